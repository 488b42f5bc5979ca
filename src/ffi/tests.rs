//! Tests of the C tracker through its raw API: every anomaly is detected
//! without crashing, accounting is exact, and the ring never loses an event
//! silently. They live here because only this module may call C directly.

use std::ffi::{CStr, c_void};

use super::sys::{self, fs_free, fs_malloc, fs_realloc};
use super::{Domain, Event, EventKind, Tracker, TrackerConfig};
use crate::track::Model;

const SITE: &CStr = c"test_site";
const FREE_SITE: &CStr = c"test_free";

pub(super) fn events(tracker: &Tracker) -> Vec<Event> {
    let mut out = Vec::new();
    tracker.drain_into(&mut out);
    out
}

pub(super) fn anomalies(tracker: &Tracker) -> Vec<Event> {
    events(tracker).into_iter().filter(|e| e.kind.is_anomaly()).collect()
}

pub(super) fn malloc(size: usize) -> *mut u8 {
    // SAFETY: fs_malloc takes any size and a static site.
    let ptr = unsafe { fs_malloc(size, SITE.as_ptr()) }.cast::<u8>();
    assert!(!ptr.is_null());
    ptr
}

pub(super) fn free(ptr: *mut u8) {
    // SAFETY: every call in these tests either frees a live block or hands the
    // tracker a pointer it must refuse without touching.
    unsafe { fs_free(ptr.cast::<c_void>(), FREE_SITE.as_ptr()) }
}

#[test]
fn double_free_is_refused_and_reported() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let block = malloc(32);
    free(block);
    free(block);
    let found = anomalies(&tracker);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, EventKind::DoubleFree);
    assert_eq!(found[0].address, block as u64);
    assert_eq!(found[0].size, 32);
    assert_eq!(found[0].related_site.map(super::Site::name), Some("test_free"));
    let counts = tracker.counts();
    assert_eq!((counts.c_heap.allocations, counts.c_heap.frees, counts.c_heap.live_blocks), (1, 1, 0));
}

#[test]
fn never_allocated_and_interior_frees_are_invalid() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let mut on_stack = [0u8; 16];
    free(on_stack.as_mut_ptr());
    let block = malloc(64);
    // SAFETY: 10 is inside the 64-byte block; the pointer is only compared.
    free(unsafe { block.add(10) });
    let found = anomalies(&tracker);
    assert_eq!(found.iter().map(|e| e.kind).collect::<Vec<_>>(), [EventKind::InvalidFree, EventKind::InvalidFree]);
    assert_eq!(found[0].related_address, 0, "a stack address belongs to no block");
    assert_eq!(found[1].related_address, block as u64, "the interior free names its block");
    assert_eq!(found[1].related_size, 10);
    assert_eq!(tracker.counts().c_heap.live_blocks, 1, "the block survives the bad free");
    free(block);
    assert_eq!(tracker.counts().c_heap.live_blocks, 0);
}

/// A free 8 or 16 bytes before a live block is what code that keeps its own
/// header before its blocks (`sqlite3_free`, for one) does with a block it
/// did not allocate: refused, and reported with the block after it, for a
/// small (slab) block and a large (table) one alike.
#[test]
fn a_free_just_before_a_block_names_that_block() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let small = malloc(24);
    let large = malloc(8192);
    // SAFETY: the pointers are only compared, never read or written.
    free(unsafe { small.sub(8) });
    // SAFETY: as above.
    free(unsafe { large.sub(16) });
    let found = anomalies(&tracker);
    assert_eq!(found.iter().map(|e| e.kind).collect::<Vec<_>>(), [EventKind::InvalidFree, EventKind::InvalidFree]);
    for (event, block, gap, size) in [(&found[0], small, 8, 24), (&found[1], large, 16, 8192)] {
        assert_eq!((event.related_address, event.related_size, event.size), (block as u64, gap, size), "{event:?}");
        assert_eq!(event.related_site.map(super::Site::name), Some("test_site"));
    }
    let said = crate::track::Anomaly::from_event(&found[0], None).message;
    assert!(said.contains("8 B before the start of a C-heap block (24 B, from `test_site`)"), "{said}");
    assert_eq!(tracker.counts().c_heap.live_blocks, 2, "both blocks survive the bad frees");
    free(small);
    free(large);
}

#[test]
fn c_free_of_a_scoped_rust_pointer_is_foreign() {
    let tracker = Tracker::new();
    let scope = tracker.scope();
    let rust_block = vec![7u8; 48].into_boxed_slice();
    let address = rust_block.as_ptr();
    free(address.cast_mut());
    assert_eq!(rust_block[47], 7, "C did not free or touch the Rust block");
    drop(rust_block);
    drop(scope);
    let found = anomalies(&tracker);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, EventKind::ForeignFree);
    assert_eq!(found[0].domain, Domain::Rust);
    assert_eq!(found[0].size, 48);
    let counts = tracker.counts();
    assert_eq!((counts.rust_heap.allocations, counts.rust_heap.frees, counts.rust_heap.live_blocks), (1, 1, 0));
}

#[test]
fn one_byte_overflow_is_found_at_free() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let block = malloc(24);
    // SAFETY: byte 24 is the first byte of the block's 16-byte tail canary,
    // which the tracker allocated along with the block.
    unsafe { block.add(24).write(b'!') };
    free(block);
    let found = anomalies(&tracker);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, EventKind::HeapOverflow);
    assert_eq!(found[0].related_size, 1, "reached one byte past the end");
    assert_eq!(found[0].size, 24);
}

#[test]
fn overflow_is_found_by_check_all_and_reported_once() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let block = malloc(8);
    // SAFETY: bytes 8..13 lie in the tail canary.
    unsafe { block.add(8).write_bytes(0, 5) };
    assert_eq!(tracker.check_all(), 1);
    assert_eq!(tracker.check_all(), 0, "already reported");
    free(block);
    let found = anomalies(&tracker);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].related_size, 5);
}

#[test]
fn write_after_free_is_found_in_quarantine() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let block = malloc(64);
    free(block);
    // SAFETY: the freed block sits poisoned in the tracker's quarantine and
    // is still allocated; writing it is the mistake being demonstrated.
    unsafe { block.add(40).write(1) };
    assert_eq!(tracker.check_all(), 1);
    let found = anomalies(&tracker);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, EventKind::UseAfterFree);
    assert_eq!(found[0].related_size, 40, "offset of the write");
}

/// The poison scan finds the first byte written after a free at any offset
/// of any size, whatever width of compare covered it: slab blocks up to
/// 16 KiB and backing blocks beyond, both when the block leaves the
/// quarantine and when every quarantined block is checked.
#[test]
fn the_first_byte_written_after_free_is_found_at_any_offset() {
    use proptest::test_runner::{Config, TestRunner};
    // One block held back: the next free sends the last one out, checked.
    let tracker = Tracker::with_config(TrackerConfig { quarantine_max_blocks: 1, ..TrackerConfig::default() });
    let _bind = tracker.bind();
    let mut runner = TestRunner::new(Config { cases: 600, failure_persistence: None, ..Config::default() });
    let case = (1usize..20_000, 0.0f64..1.0, 0.0f64..1.0, proptest::bool::ANY);
    runner
        .run(&case, |(size, first, second, checked_while_held)| {
            let first = (first * size as f64) as usize;
            let second = first + ((second * (size - first) as f64) as usize);
            let block = malloc(size);
            free(block);
            // SAFETY: the freed block is held in the quarantine, still mapped;
            // writing it is the mistake being looked for.
            unsafe {
                block.add(second).write(0);
                block.add(first).write(0);
            }
            if checked_while_held {
                assert_eq!(tracker.check_all(), 1);
            } else {
                free(malloc(1)); // sends `block` out of the quarantine
            }
            let found = anomalies(&tracker);
            assert_eq!(found.len(), 1, "size {size}, writes at {first} and {second}: {found:?}");
            assert_eq!(found[0].kind, EventKind::UseAfterFree);
            assert_eq!(found[0].related_size, first as u64, "size {size}: the first byte written");
            assert_eq!(found[0].address, block as u64 + first as u64);
            assert_eq!(found[0].size, size as u64);
            if checked_while_held {
                free(malloc(1)); // `block` leaves, reported already: no second report
                assert_eq!(anomalies(&tracker), []);
            }
            Ok(())
        })
        .unwrap();
}

/// A block of up to 16 bytes leaves the quarantine in line in the common
/// free, which must still see every byte written after its free.
#[test]
fn a_small_block_written_after_free_is_found_as_it_leaves() {
    let tracker = Tracker::with_config(TrackerConfig { quarantine_max_blocks: 1, ..TrackerConfig::default() });
    let _bind = tracker.bind();
    for size in 1..=16 {
        for offset in 0..size {
            let block = malloc(size);
            free(block);
            // SAFETY: the freed block is held in the quarantine, still mapped;
            // writing it is the mistake being looked for.
            unsafe { block.add(offset).write(0) };
            free(malloc(size)); // sends `block` out of the quarantine
            let found = anomalies(&tracker);
            assert_eq!(found.len(), 1, "size {size}, write at {offset}: {found:?}");
            assert_eq!(found[0].kind, EventKind::UseAfterFree);
            assert_eq!(found[0].address, block as u64 + offset as u64);
            assert_eq!(found[0].related_size, offset as u64);
        }
    }
}

/// Slots leave the quarantine back to their slabs, and a slab that is no
/// longer the one its class allocates from is filed to be found again:
/// one freed slot of the first slab comes back once the current slab is
/// used up, and a second round of blocks takes the first round's slots
/// (and at most the ones the current slab never handed out).
#[test]
fn slots_leaving_the_quarantine_are_handed_out_again() {
    // Three slabs of 64 KiB, at 32 bytes a slot (16 and the canary).
    const SLOTS_A_SLAB: usize = (64 << 10) / 32;
    const BLOCKS: usize = 6_000;
    let tracker = Tracker::with_config(TrackerConfig { quarantine_max_blocks: 4, ..TrackerConfig::default() });
    let _bind = tracker.bind();
    let mut live: Vec<*mut u8> = (0..BLOCKS).map(|_| malloc(16)).collect();
    let first = live.remove(0);
    free(first);
    for block in live.drain(BLOCKS - 5..) {
        free(block); // the fourth sends `first` out of the quarantine
    }
    let mut taken = Vec::new();
    while taken.len() < SLOTS_A_SLAB && taken.last() != Some(&first) {
        taken.push(malloc(16));
    }
    assert_eq!(taken.last(), Some(&first), "the first slab's freed slot was not found again");

    live.append(&mut taken);
    let round: std::collections::HashSet<*mut u8> = live.iter().copied().collect();
    live.into_iter().for_each(free);
    let second: Vec<*mut u8> = (0..BLOCKS - 4).map(|_| malloc(16)).collect();
    let new_slots = second.iter().filter(|block| !round.contains(block)).count();
    assert!(new_slots < SLOTS_A_SLAB, "{new_slots} slots taken anew while freed ones wait");
    second.into_iter().for_each(free);
    assert_eq!(anomalies(&tracker), []);
}

/// A drained event is read where it lies whenever its kind and domain are
/// ones this build knows, and reads as its field-by-field conversion does;
/// any other is converted.
#[test]
fn an_event_read_in_place_reads_as_its_conversion() {
    for kind in 0..=u8::MAX {
        for domain in 0..4u8 {
            let raw = sys::fs_event {
                seq: 1,
                time_ns: 2,
                address: 3,
                size: 4,
                related_address: 5,
                related_size: 6,
                site: SITE.as_ptr(),
                related_site: std::ptr::null(),
                thread: 7,
                domain,
                kind,
                reserved: 0xffff,
            };
            let converted = Event::from_raw(&raw);
            let known = !matches!(converted.kind, EventKind::Unknown(_))
                && matches!(domain, sys::FS_DOMAIN_C | sys::FS_DOMAIN_RUST);
            let in_place = Event::in_place(&raw);
            assert_eq!(in_place.is_some(), known, "kind {kind}, domain {domain}");
            if let Some(event) = in_place {
                assert_eq!(*event, converted);
                assert_eq!(event.site.map(super::Site::name), Some("test_site"));
            }
        }
    }
}

#[test]
fn access_checks_catch_freed_blocks_before_the_read() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let block = malloc(16);
    // SAFETY: fs_check_access only looks the pointer up.
    let check = |len| unsafe { sys::fs_check_access(block.cast::<c_void>(), len, SITE.as_ptr()) };
    assert_eq!(check(16), 1);
    assert_eq!(check(17), 0, "one byte too many");
    free(block);
    assert_eq!(check(1), 0);
    // SAFETY: as above.
    assert_eq!(unsafe { sys::fs_is_live(block.cast::<c_void>()) }, 0);
    let kinds: Vec<EventKind> = anomalies(&tracker).iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::HeapOverflow, EventKind::UseAfterFree]);
}

#[test]
fn realloc_grows_and_shrinks_keeping_data_and_accounting() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let block = malloc(8);
    // SAFETY: 8 bytes are ours.
    unsafe { std::ptr::copy_nonoverlapping(b"ffiscope".as_ptr(), block, 8) };
    // SAFETY: `block` is live; realloc returns a new live block or NULL.
    let grown = unsafe { fs_realloc(block.cast(), 4096, SITE.as_ptr()) }.cast::<u8>();
    assert!(!grown.is_null());
    // SAFETY: the first 8 bytes were copied into the new 4096-byte block.
    assert_eq!(unsafe { std::slice::from_raw_parts(grown, 8) }, b"ffiscope");
    assert_eq!(tracker.counts().c_heap.live_bytes, 4096);
    // SAFETY: as above.
    let shrunk = unsafe { fs_realloc(grown.cast(), 3, SITE.as_ptr()) }.cast::<u8>();
    // SAFETY: the first 3 bytes survive the shrink.
    assert_eq!(unsafe { std::slice::from_raw_parts(shrunk, 3) }, b"ffi");
    // SAFETY: the old pointer is no longer live; the tracker must refuse it.
    let stale = unsafe { fs_realloc(grown.cast(), 64, SITE.as_ptr()) };
    assert!(stale.is_null(), "a stale pointer cannot be reallocated");
    let counts = tracker.counts();
    assert_eq!(
        (counts.c_heap.allocations, counts.c_heap.reallocs, counts.c_heap.live_blocks, counts.c_heap.live_bytes),
        (1, 2, 1, 3)
    );
    free(shrunk);
    let mut model = Model::new();
    model.drain_from(&tracker);
    let stats = model.heap(Domain::C).stats();
    assert_eq!(
        (stats.allocations, stats.frees, stats.reallocs, stats.live_blocks, stats.live_bytes, stats.peak_bytes),
        (1, 1, 2, 0, 0, 4096)
    );
    let kinds: Vec<_> = model.anomalies().iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [crate::track::AnomalyKind::DoubleFree], "the stale realloc is classified as freed before");
}

/// Allocations, a realloc (whose event takes two ring slots) and a double
/// free, by work `n` (1 to 4): every size it uses leaves `n` over 16, so
/// its events can be told from the others'.
fn mixed_events(n: usize) {
    let small = malloc(16 + n);
    // SAFETY: `small` is live; realloc returns a new live block or NULL.
    let grown = unsafe { fs_realloc(small.cast(), 4096 + n, SITE.as_ptr()) }.cast::<u8>();
    free(grown);
    free(grown);
    free(malloc(48 + n));
}

/// What `mixed_events(n)` records, in order.
fn mixed_events_recorded(n: u64) -> Vec<(EventKind, u64, u64)> {
    use EventKind::{Alloc, DoubleFree, Free, Realloc};
    vec![
        (Alloc, 16 + n, 0),
        (Realloc, 4096 + n, 16 + n),
        (Free, 4096 + n, 0),
        (DoubleFree, 4096 + n, 0),
        (Alloc, 48 + n, 0),
        (Free, 48 + n, 0),
    ]
}

/// Works 1 and 2 on two threads in turn while both live, so that their
/// events lie in two rings; then works 3 and 4 the same way on two new
/// threads, which take over the first two's rings (unless a first thread
/// is still leaving, when a third ring is made).
fn two_rings_of_mixed_events(tracker: &Tracker) {
    for round in 0..2 {
        let first_done = std::sync::Barrier::new(2);
        let second_done = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _bind = tracker.bind();
                mixed_events(2 * round + 1);
                first_done.wait();
                second_done.wait();
            });
            scope.spawn(|| {
                let _bind = tracker.bind();
                first_done.wait();
                mixed_events(2 * round + 2);
                second_done.wait();
            });
        });
    }
    assert!((2..=4).contains(&tracker.shard_count()), "{} rings", tracker.shard_count());
}

#[test]
fn a_drain_in_pieces_hands_out_every_ring_in_order() {
    for piece in [1, 2, 3, 5, usize::MAX] {
        let tracker = Tracker::new();
        two_rings_of_mixed_events(&tracker);
        let mut got = Vec::new();
        loop {
            let before = got.len();
            let taken = tracker.drain_at_most(piece, |event| got.push(*event));
            assert_eq!(taken, got.len() - before);
            if taken < piece {
                assert_eq!(tracker.drain_with(|_| {}), 0, "a short piece means the rings are empty");
                break;
            }
        }
        let seqs: Vec<u64> = got.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (0..24).collect::<Vec<_>>(), "pieces of {piece}");
        // Rings are merged by tick, which the fast clock lets two threads'
        // unrelated events share, so each work's events are checked apart.
        let mut threads = Vec::new();
        for n in 1..=4 {
            let work: Vec<&Event> = got.iter().filter(|e| e.size % 16 == n).collect();
            let recorded: Vec<_> = work.iter().map(|e| (e.kind, e.size, e.related_size)).collect();
            assert_eq!(recorded, mixed_events_recorded(n), "work {n}, pieces of {piece}");
            assert!(work.iter().all(|e| e.thread == work[0].thread), "work {n}, pieces of {piece}");
            threads.push(work[0].thread);
        }
        threads.sort_unstable();
        threads.dedup();
        assert_eq!(threads.len(), 4, "each work is told by its own thread, pieces of {piece}");
    }
}

#[test]
fn trackers_never_see_each_other() {
    let first = Tracker::new();
    let second = Tracker::new();
    {
        let _bind = first.bind();
        free(malloc(10));
        let kept = malloc(10);
        let inner = second.bind();
        free(malloc(20));
        drop(inner);
        free(kept);
    }
    assert_eq!(first.counts().c_heap.allocations, 2);
    assert_eq!(second.counts().c_heap.allocations, 1);
    assert_eq!(second.counts().c_heap.live_bytes, 0);
}

#[test]
fn a_full_ring_counts_every_dropped_event_exactly() {
    let tracker = Tracker::with_config(TrackerConfig { ring_capacity: 1024, ..TrackerConfig::default() });
    let _bind = tracker.bind();
    for _ in 0..1000 {
        free(malloc(16));
    }
    let counts = tracker.counts();
    assert_eq!(counts.events_recorded, 1024);
    assert_eq!(counts.events_dropped, 2000 - 1024);
    let drained = events(&tracker);
    assert_eq!(drained.len(), 1024);
    assert!(drained.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    // Once drained, the ring takes events again.
    free(malloc(16));
    assert_eq!(events(&tracker).len(), 2);
    assert_eq!(tracker.counts().events_dropped, 976);
}

#[test]
fn two_threads_a_million_pairs_each_conserve_blocks() {
    const PAIRS: usize = 1_000_000;
    // Large enough that the concurrent reader never falls behind, so the
    // model must agree with the tracker to the block.
    let tracker = Tracker::with_config(TrackerConfig { ring_capacity: 1 << 22, ..TrackerConfig::default() });
    let mut model = Model::new();
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|threads| {
        for thread in 0..2 {
            let (tracker, done) = (&tracker, &done);
            threads.spawn(move || {
                let _bind = tracker.bind();
                let mut kept = Vec::new();
                for i in 0..PAIRS {
                    let block = malloc(16 + (i % 7) * 8);
                    // Keep a few per thread so live is not trivially zero.
                    if i % 250_000 == thread { kept.push(block as usize) } else { free(block) }
                }
                for address in kept.into_iter().skip(1) {
                    free(address as *mut u8);
                }
                done.fetch_add(1, std::sync::atomic::Ordering::Release);
            });
        }
        while done.load(std::sync::atomic::Ordering::Acquire) < 2 {
            model.drain_from(&tracker);
        }
        model.drain_from(&tracker);
    });
    let counts = tracker.counts();
    assert_eq!(counts.events_dropped, 0);
    let truth = counts.c_heap;
    assert_eq!(truth.allocations, 2 * PAIRS as u64);
    assert_eq!(truth.allocations - truth.frees, truth.live_blocks);
    assert_eq!(truth.live_blocks, 2, "one kept block per thread");
    let stats = model.heap(Domain::C).stats();
    assert_eq!(
        (stats.allocations, stats.frees, stats.live_blocks, stats.live_bytes),
        (truth.allocations, truth.frees, truth.live_blocks, truth.live_bytes)
    );
    assert_eq!(stats.allocations - stats.frees, stats.live_blocks);
    assert_eq!(model.outstanding_count(), 2);
    assert!(model.anomalies().is_empty());
}

#[test]
fn rust_allocations_are_recorded_only_inside_a_scope() {
    let tracker = Tracker::new();
    let outside = vec![1u8; 100];
    {
        let _scope = tracker.scope();
        let inside = vec![2u8; 200];
        drop(inside);
        drop(outside);
    }
    let unscoped_after = vec![3u8; 300];
    drop(unscoped_after);
    let counts = tracker.counts().rust_heap;
    assert_eq!((counts.allocations, counts.frees, counts.live_blocks), (1, 1, 0));
}

#[test]
fn event_times_are_monotonic_nanoseconds_on_the_shared_clock() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let before = super::now_ns();
    for _ in 0..1000 {
        free(malloc(8));
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    free(malloc(8));
    let after = super::now_ns();
    let drained = events(&tracker);
    // Ticks are mapped onto CLOCK_MONOTONIC; allow a little interpolation error.
    let slack = 500_000;
    assert!(drained.iter().all(|e| e.time_ns + slack >= before && e.time_ns <= after + slack));
    assert!(drained.windows(2).all(|w| w[0].time_ns <= w[1].time_ns), "one thread's events are in time order");
    let gap = drained[drained.len() - 1].time_ns - drained[drained.len() - 3].time_ns;
    assert!(gap >= 4_000_000, "the 5 ms sleep shows up between the last pairs: {gap} ns");
}

#[test]
fn a_free_after_a_pause_is_stamped_after_the_pause() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let block = malloc(16);
    std::thread::sleep(std::time::Duration::from_millis(5));
    free(block);
    free(malloc(16));
    let drained = events(&tracker);
    let times: Vec<u64> = drained.iter().map(|e| e.time_ns).collect();
    // Frees may reuse their ring's last stamp, but only within the clock's
    // 1 ms heartbeat: a free 5 ms later must show the pause.
    assert!(times[1] - times[0] >= 4_000_000, "the free is stamped after the pause: {times:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn sites_may_be_ids_that_the_tracker_stores_without_reading() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();
    let site = super::Site::from_id(7).expect("7 is below the id limit");
    // SAFETY: an id is a valid site (ffiscope.h); the tracker only stores it.
    let block = unsafe { fs_malloc(24, site.as_ptr()) };
    // SAFETY: frees the live block just made, under another id.
    unsafe { fs_free(block, super::Site::from_id(8).map_or(std::ptr::null(), super::Site::as_ptr)) };
    let drained = events(&tracker);
    assert_eq!(drained[0].site.and_then(super::Site::id), Some(7));
    assert_eq!(drained[1].site.and_then(super::Site::id), Some(8));
    assert_eq!(drained[1].related_site.map(super::Site::name), Some("site #7"), "the free names who allocated");
    assert_eq!(super::Site::new(SITE).id(), None, "a string is not an id");
}

/// A ring record holds a size of up to 47 bits; a larger one takes a second
/// slot. Both sides of that edge drain whole, with their domain, kind and
/// thread, which the record keeps in the bits above the size.
#[test]
fn sizes_at_the_edge_of_a_ring_record_drain_whole() {
    let tracker = Tracker::new();
    let largest_in_one_slot = (1usize << 47) - 1;
    let sizes = [largest_in_one_slot, largest_in_one_slot + 1, usize::MAX >> 1];
    for (i, &size) in sizes.iter().enumerate() {
        // Rust blocks are recorded where they are, never touched: any
        // address and size will do.
        let address = 0x7000_0000_0000 + i * 0x1000;
        // SAFETY: the tracker is live and only records the address and size.
        unsafe { sys::fs_rust_alloc(tracker.as_ptr(), address as *mut c_void, size, SITE.as_ptr()) };
        // SAFETY: frees the record just made.
        let verdict = unsafe { sys::fs_rust_free(tracker.as_ptr(), address as *mut c_void, FREE_SITE.as_ptr()) };
        assert_eq!(verdict, sys::FS_RUST_FREE_RECORDED);
    }
    let drained = events(&tracker);
    let thread = drained[0].thread;
    let seen: Vec<(EventKind, Domain, u64, u32)> =
        drained.iter().map(|e| (e.kind, e.domain, e.size, e.thread)).collect();
    let wanted: Vec<(EventKind, Domain, u64, u32)> = sizes
        .iter()
        .flat_map(|&size| [EventKind::Alloc, EventKind::Free].map(|kind| (kind, Domain::Rust, size as u64, thread)))
        .collect();
    assert_eq!(seen, wanted);
}

static BACKING_ALLOCATIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static BACKING_RELEASES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe extern "C" fn counting_allocate(size: usize) -> *mut c_void {
    BACKING_ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // SAFETY: forwards to the C library's malloc with the caller's size.
    unsafe { libc::malloc(size) }
}

unsafe extern "C" fn counting_release(ptr: *mut c_void) {
    BACKING_RELEASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // SAFETY: `ptr` came from counting_allocate, which took it from malloc.
    unsafe { libc::free(ptr) }
}

#[test]
fn block_memory_comes_from_the_backing_allocator_when_one_is_given() {
    let backing = sys::fs_allocator { allocate: Some(counting_allocate), release: Some(counting_release) };
    let config = sys::fs_config {
        ring_capacity: 1024,
        quarantine_max_bytes: 1 << 20,
        quarantine_max_blocks: 4,
        backing: &raw const backing,
    };
    // SAFETY: the config and the allocator it points to outlive the call;
    // the tracker copies the two function pointers.
    let raw = unsafe { sys::fs_tracker_new(&raw const config) };
    assert!(!raw.is_null());
    // SAFETY: the tracker is live until fs_tracker_destroy below, and bound
    // only for these calls on this thread.
    unsafe {
        let previous = sys::fs_tracker_bind(raw);
        for _ in 0..10 {
            fs_free(fs_malloc(32, SITE.as_ptr()), FREE_SITE.as_ptr());
        }
        let kept = fs_malloc(8, SITE.as_ptr());
        assert!(!kept.is_null());
        sys::fs_tracker_bind(previous);
        assert_eq!(BACKING_ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed), 11);
        // Six freed blocks left the 4-block quarantine; four are still held.
        assert_eq!(BACKING_RELEASES.load(std::sync::atomic::Ordering::Relaxed), 6);
        sys::fs_tracker_destroy(raw);
    }
    assert_eq!(BACKING_RELEASES.load(std::sync::atomic::Ordering::Relaxed), 11, "destroy releases what is left");
}
