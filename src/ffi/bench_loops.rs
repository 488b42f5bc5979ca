//! Safe handles on the C loops that `benches/tracker.rs` times.

use super::sys;

/// `count` × (`malloc(size)`, one write, `free`), with no tracker.
pub fn raw_pairs(count: usize, size: usize) {
    // SAFETY: the loop allocates, writes its own block and frees it.
    unsafe { sys::fs_bench_raw_pairs(count, size) }
}

/// The same loop through `fs_malloc`/`fs_free` into the calling thread's tracker.
pub fn tracked_pairs(count: usize, size: usize) {
    // SAFETY: as above, through the tracker.
    unsafe { sys::fs_bench_tracked_pairs(count, size) }
}
