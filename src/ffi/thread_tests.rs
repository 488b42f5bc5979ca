//! Tests of the tracker's per-thread shards: blocks that cross threads are
//! counted exactly and still caught when misused, a reader that keeps up
//! loses nothing, and short-lived threads do not pile up shards.

use std::ffi::{CStr, c_void};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, PoisonError};

use super::bench_loops::tracked_pairs;
use super::sys::{self, fs_free, fs_malloc};
use super::{Domain, Event, EventKind, Tracker, TrackerConfig};
use crate::track::Model;

const ALLOC_SITE: &CStr = c"thread_alloc";
const FREE_SITE: &CStr = c"thread_free";

fn malloc(size: usize) -> usize {
    // SAFETY: fs_malloc takes any size and a static site.
    let ptr = unsafe { fs_malloc(size, ALLOC_SITE.as_ptr()) };
    assert!(!ptr.is_null());
    ptr as usize
}

fn free(address: usize) {
    // SAFETY: each call frees a live block or hands the tracker a pointer it
    // must refuse without touching.
    unsafe { fs_free(address as *mut c_void, FREE_SITE.as_ptr()) }
}

fn anomalies(tracker: &Tracker) -> Vec<Event> {
    let mut out = Vec::new();
    tracker.drain_into(&mut out);
    out.retain(|e| e.kind.is_anomaly());
    out
}

/// Runs `body` on a new thread bound to `tracker`.
fn on_thread<R: Send>(tracker: &Tracker, body: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let _bind = tracker.bind();
                body()
            })
            .join()
            .expect("the thread finished")
    })
}

/// Each of `threads` threads allocates `pairs` blocks and hands every one to
/// the next thread, which frees it, while a reader drains into a model.
fn pass_blocks_around(threads: usize, pairs: usize) {
    const BATCH: usize = 1000;
    let tracker = Tracker::with_config(TrackerConfig { ring_capacity: 1 << 20, ..TrackerConfig::default() });
    let mailboxes: Vec<Mutex<Vec<Vec<usize>>>> = (0..threads).map(|_| Mutex::new(Vec::new())).collect();
    let finished_allocating = Barrier::new(threads);
    let done = AtomicUsize::new(0);
    // Producers wait while the reader is far behind, so no ring (2^20 slots)
    // ever fills and the order check below sees every event.
    let (made, drained) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut model = Model::new();
    // At each address, allocations and frees must alternate in the merged
    // stream: a free drained before its allocation, or an allocation at a
    // reused address drained before the free that released it, breaks that.
    let mut live = rustc_hash::FxHashSet::default();
    let mut out_of_order = 0u64;
    let mut read = |model: &mut Model| {
        tracker.drain_with(|event| {
            let in_order = match event.kind {
                EventKind::Alloc => live.insert(event.address),
                EventKind::Free => live.remove(&event.address),
                _ => true,
            };
            out_of_order += u64::from(!in_order);
            model.apply(event);
            drained.fetch_add(1, Ordering::Relaxed);
        });
        model.set_dropped_events(tracker.counts().events_dropped);
    };
    let take_mail = |me: usize| std::mem::take(&mut *mailboxes[me].lock().unwrap_or_else(PoisonError::into_inner));
    std::thread::scope(|scope| {
        for me in 0..threads {
            let (tracker, mailboxes, finished_allocating, done) = (&tracker, &mailboxes, &finished_allocating, &done);
            let (made, drained) = (&made, &drained);
            scope.spawn(move || {
                let _bind = tracker.bind();
                let next = (me + 1) % threads;
                let wait_for_reader = || {
                    while made.load(Ordering::Relaxed) > drained.load(Ordering::Relaxed) + 400_000 {
                        std::thread::yield_now();
                    }
                };
                // Frees a mailbox's blocks a batch at a time, waiting for the reader between batches.
                let free_mail = || {
                    for batch in take_mail(me) {
                        wait_for_reader();
                        batch.iter().copied().for_each(free);
                        made.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    }
                };
                for batch_start in (0..pairs).step_by(BATCH) {
                    wait_for_reader();
                    let batch: Vec<usize> =
                        (batch_start..pairs.min(batch_start + BATCH)).map(|i| malloc(8 + i % 64)).collect();
                    made.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    mailboxes[next].lock().unwrap_or_else(PoisonError::into_inner).push(batch);
                    free_mail();
                }
                finished_allocating.wait();
                free_mail();
                done.fetch_add(1, Ordering::Release);
            });
        }
        while done.load(Ordering::Acquire) < threads {
            read(&mut model);
        }
    });
    read(&mut model);
    let counts = tracker.counts();
    let truth = counts.c_heap;
    let total = (threads * pairs) as u64;
    assert_eq!((truth.allocations, truth.frees, truth.live_blocks, truth.live_bytes), (total, total, 0, 0));
    assert_eq!(
        counts.events_recorded + counts.events_dropped,
        2 * total,
        "every event is recorded or counted as dropped"
    );
    assert_eq!(model.events_applied(), counts.events_recorded, "the reader got every recorded event");
    assert_eq!(model.dropped_events(), counts.events_dropped);
    assert!(model.anomalies().is_empty(), "a free on another thread is not a bad free: {:?}", &model.anomalies()[..1]);
    assert_eq!(counts.events_dropped, 0, "the producers waited for the reader");
    assert_eq!(out_of_order, 0, "events of one address drained out of order");
    let stats = model.heap(Domain::C).stats();
    assert_eq!((stats.allocations, stats.frees, stats.live_blocks), (total, total, 0));
    assert_eq!(model.outstanding_count(), 0);
}

#[test]
fn blocks_freed_on_other_threads_are_counted_exactly_with_two_threads() {
    pass_blocks_around(2, 1_000_000);
}

#[test]
fn blocks_freed_on_other_threads_are_counted_exactly_with_four_threads() {
    pass_blocks_around(4, 1_000_000);
}

/// Threads that allocate in bursts and drain the tracker empty between them,
/// under a lock they share, never fill their rings (65,536 slots, at most
/// 16,384 events waiting per thread), so nothing may be dropped, however
/// often it is repeated and whatever ran on the tracker before.
fn bursts_drained_between(threads: usize, bursts: usize) {
    const PAIRS_PER_BURST: usize = 8192;
    let tracker = Tracker::new();
    for _ in 0..3 {
        on_thread(&tracker, || tracked_pairs(PAIRS_PER_BURST, 16));
        tracker.drain_with(|_| ());
    }
    let reader = Mutex::new(0u64);
    for _ in 0..7 {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let _bind = tracker.bind();
                    for _ in 0..bursts {
                        tracked_pairs(PAIRS_PER_BURST, 16);
                        let mut drained = reader.lock().unwrap_or_else(PoisonError::into_inner);
                        *drained += tracker.drain_with(|_| ()) as u64;
                    }
                });
            }
        });
    }
    *reader.lock().unwrap_or_else(PoisonError::into_inner) += tracker.drain_with(|_| ()) as u64;
    let counts = tracker.counts();
    assert_eq!(counts.events_dropped, 0);
    let in_bursts = 2 * PAIRS_PER_BURST as u64 * 7 * threads as u64 * bursts as u64;
    let in_warm_up = 2 * PAIRS_PER_BURST as u64 * 3;
    assert_eq!(counts.events_recorded, in_warm_up + in_bursts);
    assert_eq!(
        *reader.lock().unwrap_or_else(PoisonError::into_inner),
        in_bursts,
        "the reader got every event of the bursts"
    );
}

#[test]
fn a_reader_that_keeps_up_drops_nothing_with_two_threads() {
    bursts_drained_between(2, 32);
}

#[test]
fn a_reader_that_keeps_up_drops_nothing_with_four_threads() {
    bursts_drained_between(4, 16);
}

#[test]
fn short_lived_threads_leave_their_shards_to_the_next() {
    let tracker = Tracker::new();
    for _ in 0..1000 {
        on_thread(&tracker, || free(malloc(16)));
    }
    assert!(tracker.shard_count() <= 2, "{} shards for threads that ran one at a time", tracker.shard_count());
    let counts = tracker.counts();
    assert_eq!((counts.c_heap.allocations, counts.c_heap.frees, counts.events_recorded), (1000, 1000, 2000));
    let mut model = Model::new();
    model.drain_from(&tracker);
    assert_eq!(model.events_applied(), 2000);
    assert_eq!(model.outstanding_count(), 0);
}

#[test]
fn a_thread_that_takes_over_a_ring_reads_the_clock_for_its_first_event() {
    let tracker = Tracker::new();
    let mut events = Vec::new();
    // Each time, the second thread takes over the first's ring (or, if the
    // first is still leaving, makes one) well within a heartbeat: the
    // ring's last stamp is the first thread's, from before `between`.
    for _ in 0..20 {
        on_thread(&tracker, || free(malloc(16)));
        let between = super::now_ns();
        on_thread(&tracker, || free(malloc(32)));
        events.clear();
        tracker.drain_into(&mut events);
        let second = events.iter().find(|e| e.kind == EventKind::Alloc && e.size == 32).expect("the second allocation");
        assert!(second.time_ns >= between, "stamped {} ns before its thread began", between - second.time_ns);
    }
}

#[test]
fn misuse_across_threads_is_caught_like_misuse_on_one() {
    let tracker = Tracker::new();
    let _bind = tracker.bind();

    // Freed twice: once on another thread, then here.
    let twice = malloc(32);
    on_thread(&tracker, || free(twice));
    free(twice);

    // An interior pointer and a stack address, freed on another thread.
    let block = malloc(64);
    on_thread(&tracker, || free(block + 10));
    let mut on_stack = [0u8; 16];
    let stack_address = on_stack.as_mut_ptr() as usize;
    on_thread(&tracker, || free(stack_address));

    // Written past its end here, freed on another thread.
    let overflowed = malloc(24);
    // SAFETY: byte 24 is the first byte of the block's tail canary.
    unsafe { (overflowed as *mut u8).add(24).write(b'!') };
    on_thread(&tracker, || free(overflowed));

    // Freed on another thread, then written here: the poison in that
    // thread's quarantine shows it.
    let stale = malloc(48);
    on_thread(&tracker, || free(stale));
    // SAFETY: the block sits poisoned in the tracker's quarantine and is
    // still allocated; writing it is the mistake being demonstrated.
    unsafe { (stale as *mut u8).add(40).write(1) };
    assert_eq!(tracker.check_all(), 1);

    let found = anomalies(&tracker);
    let kinds: Vec<EventKind> = found.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::DoubleFree,
            EventKind::InvalidFree,
            EventKind::InvalidFree,
            EventKind::HeapOverflow,
            EventKind::UseAfterFree
        ]
    );
    assert_eq!(found[0].related_site.map(super::Site::name), Some("thread_free"), "names the first free");
    assert_eq!((found[1].related_address, found[1].related_size), (block as u64, 10), "names the block and offset");
    assert_eq!(found[2].related_address, 0, "a stack address belongs to no block");
    assert_eq!((found[3].related_size, found[3].related_site.map(super::Site::name)), (1, Some("thread_alloc")));
    assert_eq!(found[4].related_size, 40);
    assert_ne!(found[0].thread, found[1].thread, "each event names the thread that did it");
    let counts = tracker.counts().c_heap;
    assert_eq!((counts.allocations, counts.frees, counts.live_blocks), (4, 3, 1), "only the interior free was refused");
    free(block);
}

#[test]
fn c_free_on_another_thread_of_a_scoped_rust_block_is_foreign() {
    let tracker = Tracker::new();
    let scope = tracker.scope();
    let rust_block = vec![7u8; 40].into_boxed_slice();
    let address = rust_block.as_ptr() as usize;
    on_thread(&tracker, || free(address));
    assert_eq!(rust_block[39], 7, "C did not free or touch the Rust block");
    // SAFETY: only looked up, never dereferenced.
    let is_live = || unsafe { sys::fs_rust_is_live(tracker.as_ptr(), address as *const c_void) } == 1;
    assert!(is_live(), "still a live Rust block after C refused to free it");
    drop(rust_block);
    assert!(!is_live(), "Rust's own drop released it");
    drop(scope);
    let found = anomalies(&tracker);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].kind, found[0].domain, found[0].size), (EventKind::ForeignFree, Domain::Rust, 40));
}
