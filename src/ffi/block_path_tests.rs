//! The tracker keeps small C blocks in slabs of its own and larger ones in
//! the backing allocator's memory. These tests run every detection on both
//! paths and on the sizes at their border, and check that events name the
//! thread that made them when a shard passes from one thread to the next.

use std::ffi::{CStr, c_void};

use super::sys::{self, fs_realloc};
use super::tests::{anomalies, free, malloc};
use super::{EventKind, Tracker};

const SITE: &CStr = c"path_alloc";

/// Below, at and above the largest slab block (16,384-byte slots, 16 bytes
/// of which are the canary), and sizes that fill their slot or leave slack.
const SIZES: [usize; 6] = [2, 17, 4096, 16_368, 16_369, 100_000];

#[test]
fn every_misuse_is_caught_on_both_paths_and_at_their_border() {
    for size in SIZES {
        let tracker = Tracker::new();
        let _bind = tracker.bind();
        let len = size;
        let block = malloc(len);
        // SAFETY: the byte at `len` is the first of the tail canary.
        unsafe { block.add(len).write(b'!') };
        free(block);
        free(block);
        let kept = malloc(len);
        // SAFETY: only compared by the tracker, never dereferenced.
        free(unsafe { kept.add(len / 2) });
        // SAFETY: fs_check_access only looks the pointer up.
        let allowed = unsafe { sys::fs_check_access(kept.cast::<c_void>(), len + 1, SITE.as_ptr()) };
        assert_eq!(allowed, 0, "{size} B: one byte too many");
        // SAFETY: the freed block sits poisoned in the quarantine and is still
        // the tracker's memory; writing it is the mistake being demonstrated.
        unsafe { block.add(len / 2).write(1) };
        assert_eq!(tracker.check_all(), 1, "{size} B: the write after the free");
        let kinds: Vec<EventKind> = anomalies(&tracker).iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::HeapOverflow,
                EventKind::DoubleFree,
                EventKind::InvalidFree,
                EventKind::HeapOverflow,
                EventKind::UseAfterFree
            ],
            "{size} B"
        );
        let counts = tracker.counts().c_heap;
        assert_eq!((counts.allocations, counts.frees, counts.live_blocks), (2, 1, 1), "{size} B");
        free(kept);
        assert_eq!(tracker.counts().c_heap.live_bytes, 0, "{size} B");
    }
}

#[test]
fn realloc_moves_blocks_between_the_paths_keeping_their_bytes() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let mut block = malloc(16);
    // SAFETY: the block holds 16 bytes.
    unsafe { block.write_bytes(0x5A, 16) };
    for size in [20_000, 64, 100_000, 8] {
        // SAFETY: `block` is live; the new size is non-zero.
        block = unsafe { fs_realloc(block.cast::<c_void>(), size, SITE.as_ptr()) }.cast::<u8>();
        assert!(!block.is_null());
        // SAFETY: every size kept at least the first 8 bytes.
        let first = unsafe { std::slice::from_raw_parts(block, 8) };
        assert_eq!(first, [0x5A; 8], "realloc to {size} B kept the bytes");
    }
    let counts = tracker.counts().c_heap;
    assert_eq!((counts.allocations, counts.reallocs, counts.live_blocks, counts.live_bytes), (1, 4, 1, 8));
    free(block);
    assert!(anomalies(&tracker).is_empty());
}

#[test]
fn a_pointer_into_slab_slack_is_an_invalid_free_that_touches_nothing() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    // 17 bytes and the 16-byte canary take 33 of a 48-byte slot.
    let block = malloc(17);
    // SAFETY: only compared by the tracker, never dereferenced.
    free(unsafe { block.add(40) });
    let found = anomalies(&tracker);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].kind, found[0].related_address), (EventKind::InvalidFree, 0));
    assert_eq!(tracker.counts().c_heap.live_blocks, 1);
    free(block);
}

fn gettid() -> u32 {
    // SAFETY: gettid has no preconditions.
    u32::try_from(unsafe { libc::gettid() }).expect("thread ids are positive")
}

#[test]
fn events_name_their_thread_when_a_shard_passes_to_the_next_thread() {
    let tracker = Tracker::new();
    let mut threads = Vec::new();
    let mut kept = 0usize;
    for round in 0..3 {
        let (tracker, kept) = (&tracker, &mut kept);
        threads.push(std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let _bind = tracker.bind();
                    free(malloc(32));
                    if round == 0 {
                        *kept = malloc(48) as usize;
                    } else if round == 2 {
                        // The block the first thread left, freed by the third.
                        free(*kept as *mut u8);
                    }
                    gettid()
                })
                .join()
                .expect("the thread finished")
        }));
    }
    assert_eq!(tracker.shard_count(), 1, "each thread took over the shard of the last");
    let mut drained = Vec::new();
    tracker.drain_into(&mut drained);
    let by_thread: Vec<u32> = drained.iter().map(|e| e.thread).collect();
    let expected = [threads[0], threads[0], threads[0], threads[1], threads[1], threads[2], threads[2], threads[2]];
    assert_eq!(by_thread, expected);
}
