//! Raw declarations mirroring `csrc/include/ffiscope.h`, one to one.

use std::ffi::{c_char, c_int, c_long, c_void};

/// Opaque tracker handle.
#[derive(Debug)]
#[repr(C)]
pub struct fs_tracker {
    _private: [u8; 0],
}

/// Opaque reader of a recorded program's rings (`csrc/record/record_channel.h`).
#[derive(Debug)]
#[repr(C)]
pub struct fs_record_reader {
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

/// A recorded program's event as the merge hands it to ffiscope: an
/// `fs_event` whose sites are ids into the channel's site table (0: none)
/// (`fs_id_event`, `csrc/tracker_shard.h`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_id_event {
    pub seq: u64,
    pub time_ns: u64,
    pub address: u64,
    pub size: u64,
    pub related_address: u64,
    pub related_size: u64,
    pub site: u32,
    pub related_site: u32,
    pub thread: u32,
    pub domain: u8,
    pub kind: u8,
    pub reserved: u16,
}

/// Where the tracker gets block memory; a null `backing` means libc's.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_allocator {
    pub allocate: Option<unsafe extern "C" fn(size: usize) -> *mut c_void>,
    pub release: Option<unsafe extern "C" fn(ptr: *mut c_void)>,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_config {
    pub ring_capacity: usize,
    pub quarantine_max_bytes: usize,
    pub quarantine_max_blocks: usize,
    pub backing: *const fs_allocator,
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

// The C header asserts the same sizes (FS_*_BYTES in ffiscope.h), so a field
// added on one side only fails to build instead of misreading every event.
const _: () = {
    assert!(size_of::<fs_event>() == 72);
    assert!(std::mem::offset_of!(fs_event, site) == 48);
    assert!(std::mem::offset_of!(fs_event, thread) == 64);
    assert!(std::mem::offset_of!(fs_event, kind) == 69);
    assert!(size_of::<fs_id_event>() == 64);
    assert!(std::mem::offset_of!(fs_id_event, site) == 48);
    assert!(std::mem::offset_of!(fs_id_event, kind) == 61);
    assert!(size_of::<fs_counts>() == 104);
    assert!(size_of::<fs_block>() == 40);
    assert!(size_of::<fs_config>() == 32);
};

/// Sites below this value are ids (`FS_SITE_ID_LIMIT`), not strings.
pub const FS_SITE_ID_LIMIT: usize = 4096;

/// What `fs_rust_free` found (`enum fs_rust_free_result`).
pub const FS_RUST_FREE_UNKNOWN: c_int = -1;
pub const FS_RUST_FREE_REFUSED: c_int = 0;
pub const FS_RUST_FREE_RECORDED: c_int = 1;

pub const FS_DOMAIN_C: u8 = 0;
pub const FS_DOMAIN_RUST: u8 = 1;

pub const FS_EVENT_ALLOC: u8 = 0;
pub const FS_EVENT_FREE: u8 = 1;
pub const FS_EVENT_REALLOC: u8 = 2;
pub const FS_EVENT_REACHABLE: u8 = 3;
pub const FS_EVENT_IMAGE: u8 = 4;
pub const FS_EVENT_LOST_WITH: u8 = 5;
pub const FS_EVENT_CHILD_KILLED: u8 = 6;
pub const FS_EVENT_ALLOCATOR_ELSEWHERE: u8 = 7;
pub const FS_EVENT_REACHABLE_INTERIOR: u8 = 8;
pub const FS_EVENT_DOUBLE_FREE: u8 = 16;
pub const FS_EVENT_INVALID_FREE: u8 = 17;
pub const FS_EVENT_FOREIGN_FREE: u8 = 18;
pub const FS_EVENT_HEAP_OVERFLOW: u8 = 19;
pub const FS_EVENT_USE_AFTER_FREE: u8 = 20;
pub const FS_EVENT_CRASH: u8 = 21;
pub const FS_EVENT_CHILD_CRASH: u8 = 22;
pub const FS_EVENT_MISMATCHED_FREE: u8 = 23;

pub const FS_FORM_MALLOC: u8 = 0;
pub const FS_FORM_NEW: u8 = 1;
pub const FS_FORM_NEW_ARRAY: u8 = 2;
pub const FS_SITE_FORM_SHIFT: u32 = 59;
pub const FS_SITE_FORM_MASK: u64 = 3;

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
    pub fn fs_was_freed(ptr: *const c_void) -> c_int;
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

    // A recorded program's rings, read in the memory shared with it
    // (csrc/record/record_channel.h, csrc/record_reader.c).
    pub fn fs_record_reader_new(region: *mut c_void, bytes: usize) -> *mut fs_record_reader;
    pub fn fs_record_reader_free(reader: *mut fs_record_reader);
    pub fn fs_record_drain(reader: *mut fs_record_reader, out: *mut fs_id_event, max_events: usize) -> usize;
    pub fn fs_record_dropped(reader: *const fs_record_reader) -> u64;
    pub fn fs_call_log_start(t: *mut fs_tracker) -> c_int;
    pub fn fs_call_log_stop(t: *mut fs_tracker, out: *mut *mut c_void, capacity: usize) -> usize;
    pub fn fs_tracker_counts(tracker: *mut fs_tracker) -> fs_counts;
    pub fn fs_live_blocks(tracker: *mut fs_tracker, out: *mut fs_block, max_blocks: usize) -> usize;
    pub fn fs_ring_capacity(tracker: *mut fs_tracker) -> usize;
    pub fn fs_tracker_shards(tracker: *mut fs_tracker) -> usize;
    pub fn fs_now_ns() -> u64;

    pub fn demo_allocate_block(size: usize) -> *mut c_void;
    pub fn demo_free_block(ptr: *mut c_void);
    pub fn demo_leak_block(size: usize);
    pub fn demo_overflow(size: usize, past_end: usize);
    pub fn demo_write_after_free(size: usize);

    pub fn fs_bench_raw_pairs(count: usize, size: usize);
    pub fn fs_bench_tracked_pairs(count: usize, size: usize);

    pub fn create_message() -> *mut c_char;
    pub fn free_message(message: *mut c_char);

    pub fn read_rust_string(text: *const c_char) -> usize;
    pub fn c_frees_rust_string(text: *mut c_char);
    pub fn greet(name: *const c_char, out: *mut c_char, capacity: usize) -> c_int;

    pub fn holder_adopt(object: *mut c_void, destroy: DestroyFn) -> *mut holder;
    pub fn holder_release(h: *mut holder);
    pub fn holder_release_twice(h: *mut holder);
    pub fn holder_forget(h: *mut holder);
    pub fn unprotected_double_free();
    pub fn shared_keep(object: *const c_void, release: ReleaseFn) -> *mut shared_ref;
    pub fn shared_drop(r: *mut shared_ref);

    pub fn packed_data_new() -> *mut c_void;
    pub fn packed_data_size() -> usize;
    pub fn packed_data_free(data: *mut c_void);

    pub fn make_buffer(capacity: usize) -> *mut c_char;
    pub fn copy_bounded(dst: *mut c_char, capacity: usize, src: *const c_char);
    pub fn copy_unbounded(dst: *mut c_char, src: *const c_char);
    pub fn free_buffer(buffer: *mut c_char);
    pub fn lookup_user_name(id: c_int) -> *const c_char;
    pub fn name_length(name: *const c_char) -> usize;

    pub fn create_array(n: usize) -> *mut i32;
    pub fn free_array(values: *mut i32);

    pub fn buffer_open(capacity: usize) -> *mut c_void;
    pub fn buffer_fill(buffer: *mut c_void, capacity: usize, input: *const c_char) -> c_int;
    pub fn buffer_close(buffer: *mut c_void);

    pub fn arena_new(capacity: usize) -> *mut arena;
    pub fn arena_alloc(a: *mut arena, n: usize) -> *mut c_void;
    pub fn arena_free(a: *mut arena);
    pub fn item_alloc(n: usize) -> *mut c_void;
    pub fn item_free(item: *mut c_void);

    pub fn counter_new() -> *mut counter;
    pub fn counter_add_unsynchronised(c: *mut counter, times: c_long);
    pub fn counter_add_lock_step(c: *mut counter, times: c_long, threads: c_int);
    pub fn counter_add_locked(c: *mut counter, times: c_long);
    pub fn counter_add_atomic(c: *mut counter, times: c_long);
    pub fn counter_value(c: *mut counter) -> c_long;
    pub fn counter_free(c: *mut counter);

    pub fn process_items(items: *const c_int, count: usize, callback: ItemFn) -> c_int;

    pub fn handle_request(id: c_int, leaky: c_int) -> c_int;

    pub fn parse_request(line: *const c_char, out: *mut fs_request);
    pub fn serve_request(line: *const c_char, handler: RequestHandler, service: *mut c_void) -> c_int;
    pub fn worker_start() -> *mut worker;
    pub fn worker_ask(w: *mut worker, line: *const c_char, reply: *mut *const c_char) -> c_int;
    pub fn worker_pid(w: *const worker) -> c_int;
    pub fn worker_exit_signal(w: *const worker) -> c_int;
    pub fn worker_end(w: *mut worker);
    pub fn worker_stop(w: *mut worker);

    pub fn c_type_table(out: *mut *const c_type_info) -> usize;
    pub fn c_char_is_signed() -> c_int;

    pub fn fs_layout_table(out: *mut *const fs_layout_info) -> usize;
    pub fn fs_layout_sample(name: *const c_char, out: *mut u8, capacity: usize) -> usize;
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_field_info {
    pub name: *const c_char,
    pub ty: *const c_char,
    pub offset: usize,
    pub size: usize,
    pub align: usize,
    pub bit_offset: u32,
    pub bit_width: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_layout_info {
    pub name: *const c_char,
    pub kind: *const c_char,
    pub size: usize,
    pub align: usize,
    pub fields: *const fs_field_info,
    pub field_count: usize,
}

pub type DestroyFn = extern "C" fn(object: *mut c_void);
pub type ReleaseFn = extern "C" fn(object: *const c_void);
pub type ItemFn = extern "C" fn(item: c_int) -> c_int;
pub type RequestHandler = extern "C" fn(service: *mut c_void, method: *const c_char, path: *const c_char) -> c_int;

/// `struct fs_request`: the two parts of a request line, each NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fs_request {
    pub method: [c_char; 16],
    pub path: [c_char; 128],
}

macro_rules! opaque {
    ($($name:ident),*) => {$(
        /// Opaque C struct.
        #[repr(C)]
        #[derive(Debug)]
        pub struct $name {
            _private: [u8; 0],
        }
    )*};
}
opaque!(holder, shared_ref, arena, counter, worker);

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct c_type_info {
    pub name: *const c_char,
    pub size: usize,
    pub align: usize,
}
