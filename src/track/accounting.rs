//! What a piece of code allocates on the Rust heap, counted by a tracker of
//! its own: how the benchmarks and tests measure the app's own memory (a
//! frame's allocations, the model's footprint) with the same instrument the
//! app shows its users.

use crate::ffi::{Domain, EventKind, Tracker, TrackerConfig};

/// Rust-heap allocations made on this thread while a body ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllocationTally {
    /// Allocations, reallocations included.
    pub allocations: u64,
    /// Bytes asked for by those allocations, in all.
    pub bytes: u64,
    /// The most bytes the body's own allocations held at once.
    pub peak_live_bytes: u64,
    /// Events the counting tracker could not keep: the tally is exact only at zero.
    pub dropped_events: u64,
}

/// Runs `body` and counts the Rust allocations it makes on this thread.
pub fn rust_allocations_of<R>(body: impl FnOnce() -> R) -> (R, AllocationTally) {
    // A frame of a busy tab allocates a few thousand times: room for far more.
    let tracker = Tracker::with_config(TrackerConfig { ring_capacity: 1 << 20, ..TrackerConfig::default() });
    let result = {
        let _scope = tracker.scope();
        body()
    };
    let mut tally = AllocationTally::default();
    let (mut live, mut peak) = (0_u64, 0_u64);
    tracker.drain_with(|event| {
        if event.domain != Domain::Rust {
            return;
        }
        match event.kind {
            EventKind::Alloc => {
                tally.allocations += 1;
                tally.bytes += event.size;
                live += event.size;
            }
            EventKind::Realloc => {
                tally.allocations += 1;
                tally.bytes += event.size;
                live = live.saturating_sub(event.related_size) + event.size;
            }
            EventKind::Free => live = live.saturating_sub(event.size),
            _ => {}
        }
        peak = peak.max(live);
    });
    tally.peak_live_bytes = peak;
    tally.dropped_events = tracker.counts().events_dropped;
    (result, tally)
}

#[cfg(test)]
mod tests {
    use super::rust_allocations_of;

    #[test]
    fn counts_what_the_body_allocates_and_nothing_else() {
        let outside = [1_u8; 10];
        let (kept, tally) = rust_allocations_of(|| {
            let a = vec![0_u8; 100];
            let b = vec![0_u8; 200];
            drop(a);
            b
        });
        assert_eq!((tally.allocations, tally.bytes, tally.dropped_events), (2, 300, 0));
        assert_eq!(tally.peak_live_bytes, 300);
        assert_eq!(kept.len() + outside.len(), 210);
    }
}
