//! One seam for everything that feeds a model the events of a run as they
//! happen: the tracker in this process (the Tracker tab, lessons stepped
//! here), a lesson stepped in a child process, a recorded program, and a
//! recording read back from a file. Whoever keeps a model current (a view
//! once a frame, a worker, the command line) feeds it the same way, a
//! bounded batch at a time, and never asks which kind of source it has.

use super::Model;
use crate::ffi::Tracker;

/// A run's events, arriving. Besides events, a source hands the model what
/// else its stream says (a step beginning, an anomaly found outside the
/// allocator, the count of events lost on the way).
pub trait EventSource {
    /// Applies to `model` at most `max` of the events that have arrived and
    /// not been applied yet; returns how many it applied. `max` lets a
    /// caller that holds a lock on the model keep it short.
    fn feed(&mut self, model: &mut Model, max: usize) -> usize;

    /// Applies everything that has arrived; returns how many events.
    fn feed_all(&mut self, model: &mut Model) -> usize {
        let mut total = 0;
        loop {
            let applied = self.feed(model, FEED_BATCH);
            total += applied;
            if applied < FEED_BATCH {
                return total;
            }
        }
    }
}

/// Events per batch in [`EventSource::feed_all`].
const FEED_BATCH: usize = 65_536;

/// The tracker in this process. Draining takes only a shared reference (the
/// tracker keeps its one reader behind a lock of its own), so a tracker
/// shared with the threads that allocate into it feeds a model too.
impl EventSource for &Tracker {
    fn feed(&mut self, model: &mut Model, max: usize) -> usize {
        let applied = self.drain_raw_at_most(max, |raw| model.apply_drained(raw));
        model.set_dropped_events(self.counts().events_dropped);
        applied
    }
}

impl EventSource for Tracker {
    fn feed(&mut self, model: &mut Model, max: usize) -> usize {
        (&*self).feed(model, max)
    }
}

#[cfg(test)]
mod tests {
    use super::EventSource;
    use crate::ffi::{CBlock, Domain, Tracker};
    use crate::track::Model;

    #[test]
    fn a_tracker_feeds_at_most_what_is_asked_and_keeps_the_rest_in_order() {
        let tracker = Tracker::new();
        {
            let _bind = tracker.bind();
            for size in 1..=10 {
                drop(CBlock::allocate(size * 8));
            }
        }
        let mut model = Model::new();
        let mut source = &tracker;
        assert_eq!(source.feed(&mut model, 3), 3);
        assert_eq!(model.events_applied(), 3);
        assert_eq!(source.feed(&mut model, 0), 0);
        assert_eq!(source.feed_all(&mut model), 17, "the rest, and nothing twice");
        let stats = model.heap(Domain::C).stats();
        assert_eq!((stats.allocations, stats.frees, stats.live_blocks), (10, 10, 0));
        assert_eq!(stats.peak_bytes, 80, "the blocks came and went one at a time, in order");
        assert_eq!(source.feed_all(&mut model), 0);
    }
}
