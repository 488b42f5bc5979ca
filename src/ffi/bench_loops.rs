//! Safe handles on the C loops that the tracker's benchmarks time
//! (`benches/tracker.rs`, `benches/pair_ratio.rs`), and the timing both use.

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{Tracker, TrackerConfig, sys};

/// Pairs timed between two drains in [`timed_pairs`].
pub const PAIRS_PER_CHUNK: u64 = 100_000;

/// A tracker whose rings hold every event of a chunk of [`timed_pairs`]
/// (1 M slots for the 200,000 events of a thread's chunk), so none fills.
pub fn tracker_for_timed_pairs() -> Tracker {
    Tracker::with_config(TrackerConfig { ring_capacity: 1 << 20, ..TrackerConfig::default() })
}

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

/// Times `iters` pairs of `work` on each of `threads` threads, and the
/// reader's drain of every event they made: the tracker is drained after each
/// chunk of [`PAIRS_PER_CHUNK`], inside the timed region, so the ring never
/// fills ([`tracker_for_timed_pairs`]) and the cost of
/// reading is counted with the cost of recording. Thread start-up is timed
/// for the raw and the tracked loop alike, and a raw loop's chunks are
/// drained too (of nothing), so both sides pay the same around the pairs.
pub fn timed_pairs(iters: u64, threads: usize, tracker: &Tracker, work: fn(usize, usize), size: usize) -> Duration {
    let mut total = Duration::ZERO;
    let mut remaining = iters;
    while remaining > 0 {
        let chunk = remaining.min(PAIRS_PER_CHUNK) as usize;
        let start = Instant::now();
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(|| {
                    let _bind = tracker.bind();
                    work(chunk, size);
                });
            }
            let _bind = tracker.bind();
            work(chunk, size);
        });
        let drained = tracker.drain_with(|event| {
            black_box(event);
        });
        total += start.elapsed();
        black_box(drained);
        remaining -= chunk as u64;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::{raw_pairs, timed_pairs, tracked_pairs};
    use crate::ffi::{Tracker, TrackerConfig};

    /// The timing both tracker benchmarks share drains every event its pairs
    /// make inside the timed region, so none is left for the next chunk's
    /// drain, none is dropped, and a raw loop records nothing.
    #[test]
    fn timed_pairs_drains_every_event_its_pairs_make() {
        let tracker = Tracker::with_config(TrackerConfig { ring_capacity: 1 << 13, ..TrackerConfig::default() });
        timed_pairs(3_000, 2, &tracker, tracked_pairs, 16);
        let counts = tracker.counts();
        assert_eq!((counts.c_heap.allocations, counts.c_heap.frees, counts.c_heap.live_blocks), (6_000, 6_000, 0));
        assert_eq!(counts.events_dropped, 0);
        assert_eq!(tracker.drain_with(|_| {}), 0, "every event was drained inside the timed region");
        timed_pairs(3_000, 1, &tracker, raw_pairs, 16);
        assert_eq!(tracker.counts().c_heap.allocations, 6_000, "the raw loop records nothing");
    }
}
