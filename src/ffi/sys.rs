//! Raw declarations mirroring `csrc/include/ffiscope.h`, one to one.

use std::ffi::{c_char, c_int, c_void};

/// Opaque tracker handle.
#[derive(Debug)]
#[repr(C)]
pub struct fs_tracker {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_event {
    pub seq: u64,
    pub time_ns: u64,
    pub address: u64,
    pub size: u64,
    pub related_address: u64,
    pub related_size: u64,
    pub site: *const c_char,
    pub related_site: *const c_char,
    pub thread: u32,
    pub domain: u8,
    pub kind: u8,
    pub reserved: u16,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_config {
    pub ring_capacity: usize,
    pub quarantine_max_bytes: usize,
    pub quarantine_max_blocks: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fs_heap_counts {
    pub allocations: u64,
    pub frees: u64,
    pub reallocs: u64,
    pub live_blocks: u64,
    pub live_bytes: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fs_counts {
    pub heap: [fs_heap_counts; 2],
    pub anomalies: u64,
    pub events_recorded: u64,
    pub events_dropped: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_block {
    pub address: u64,
    pub size: u64,
    pub seq: u64,
    pub site: *const c_char,
    pub domain: u8,
}

pub const FS_DOMAIN_C: u8 = 0;
pub const FS_DOMAIN_RUST: u8 = 1;

pub const FS_EVENT_ALLOC: u8 = 0;
pub const FS_EVENT_FREE: u8 = 1;
pub const FS_EVENT_REALLOC: u8 = 2;
pub const FS_EVENT_DOUBLE_FREE: u8 = 16;
pub const FS_EVENT_INVALID_FREE: u8 = 17;
pub const FS_EVENT_FOREIGN_FREE: u8 = 18;
pub const FS_EVENT_HEAP_OVERFLOW: u8 = 19;
pub const FS_EVENT_USE_AFTER_FREE: u8 = 20;

unsafe extern "C" {
    pub fn fs_tracker_new(config: *const fs_config) -> *mut fs_tracker;
    pub fn fs_tracker_destroy(tracker: *mut fs_tracker);
    pub fn fs_tracker_bind(tracker: *mut fs_tracker) -> *mut fs_tracker;

    pub fn fs_malloc(size: usize, site: *const c_char) -> *mut c_void;
    pub fn fs_calloc(count: usize, size: usize, site: *const c_char) -> *mut c_void;
    pub fn fs_realloc(ptr: *mut c_void, size: usize, site: *const c_char) -> *mut c_void;
    pub fn fs_free(ptr: *mut c_void, site: *const c_char);
    pub fn fs_strdup(text: *const c_char, site: *const c_char) -> *mut c_char;

    pub fn fs_is_live(ptr: *const c_void) -> c_int;
    pub fn fs_check_access(ptr: *const c_void, len: usize, site: *const c_char) -> c_int;
    pub fn fs_check_all(tracker: *mut fs_tracker) -> usize;

    pub fn fs_rust_alloc(tracker: *mut fs_tracker, ptr: *mut c_void, size: usize, site: *const c_char);
    pub fn fs_rust_free(tracker: *mut fs_tracker, ptr: *mut c_void, site: *const c_char) -> c_int;
    pub fn fs_rust_is_live(tracker: *mut fs_tracker, ptr: *const c_void) -> c_int;
    pub fn fs_report(
        tracker: *mut fs_tracker,
        kind: u8,
        domain: u8,
        ptr: *const c_void,
        size: usize,
        site: *const c_char,
        related_site: *const c_char,
    );

    pub fn fs_drain(tracker: *mut fs_tracker, out: *mut fs_event, max_events: usize) -> usize;
    pub fn fs_tracker_counts(tracker: *mut fs_tracker) -> fs_counts;
    pub fn fs_live_blocks(tracker: *mut fs_tracker, out: *mut fs_block, max_blocks: usize) -> usize;
    pub fn fs_ring_capacity(tracker: *mut fs_tracker) -> usize;
    pub fn fs_now_ns() -> u64;

    pub fn demo_allocate_block(size: usize) -> *mut c_void;
    pub fn demo_free_block(ptr: *mut c_void);
    pub fn demo_overflow(size: usize, past_end: usize);
    pub fn demo_write_after_free(size: usize);

    pub fn fs_bench_raw_pairs(count: usize, size: usize);
    pub fn fs_bench_tracked_pairs(count: usize, size: usize);

    pub fn create_message() -> *mut c_char;
    pub fn free_message(message: *mut c_char);
}
