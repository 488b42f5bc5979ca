//! Lesson: concurrent access to a C resource. Threads add to one C counter:
//! unsynchronised read-modify-write loses updates; a mutex or an atomic add
//! does not. The demonstration itself has no undefined behaviour: the
//! unsynchronised load and store are each atomic, just not together.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::ffi::lessons::counter::{Counter, Strategy};
use crate::ffi::{Tracker, unrecorded};
use crate::track::Anomaly;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct ThreadsSharedResource;

/// Increments per thread.
pub const ADDS_PER_THREAD: u32 = 2_000;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "Each increment holds the counter's mutex."),
    Variant::new("atomic", "Each increment is one atomic fetch-add."),
    Variant::new("unsynchronised", "Load, then store, with nothing between threads: updates are lost."),
];

const STEPS: &[StepInfo] = &[
    StepInfo {
        title: "C allocates a counter",
        explanation: "One counter, shared by every thread.",
        rust: "create",
        c: Some("counter_new"),
    },
    StepInfo {
        title: "The threads add 2,000 each",
        explanation: "All threads start together and call C concurrently. Unsynchronised, each round every thread reads the same value before any writes: all but one update is overwritten.",
        rust: "add",
        c: Some("counter_add"),
    },
    StepInfo {
        title: "Compare expected and counted",
        explanation: "threads × 2,000 increments should give exactly that count. Any shortfall is lost updates.",
        rust: "compare",
        c: None,
    },
    StepInfo {
        title: "C frees the counter",
        explanation: "The counter goes back to C's free.",
        rust: "free",
        c: Some("counter_free"),
    },
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "threads-shared-resource",
    title: "Threads sharing a C counter",
    lesson: "threads",
    variants: VARIANTS,
    rust_source: include_str!("threads_shared_resource.rs"),
    c_source: include_str!("../../csrc/scenarios/counter.c"),
    releasers: &[],
};

impl Scenario for ThreadsSharedResource {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, options: RunOptions) -> Box<dyn ScenarioRun> {
        let strategy = match variant {
            "atomic" => Strategy::Atomic,
            "unsynchronised" => Strategy::Unsynchronised,
            _ => Strategy::Mutex,
        };
        Box::new(Run { strategy, threads: options.threads.clamp(2, 8), counter: None, took: Duration::ZERO })
    }
}

struct Run {
    strategy: Strategy,
    threads: usize,
    counter: Option<Counter>,
    took: Duration,
}

// [step:add]
/// Every thread waits at the barrier, then adds `ADDS_PER_THREAD` times.
fn add_from_threads(tracker: &Tracker, counter: &Counter, strategy: Strategy, threads: usize) -> Duration {
    let start_together = Barrier::new(threads);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let _bind = tracker.bind(); // C on this thread reports to the same tracker
                start_together.wait();
                counter.add(strategy, ADDS_PER_THREAD, threads);
            });
        }
    });
    started.elapsed()
}
// [/step]

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        STEPS
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => {
                // [step:create]
                self.counter = Counter::new();
                // [/step]
            }
            1 => {
                let Some(counter) = &self.counter else { return };
                // Spawning threads allocates on the Rust heap, and the threads
                // free it; that is the runtime's business, not the lesson's.
                self.took = unrecorded(|| add_from_threads(cx.tracker, counter, self.strategy, self.threads));
            }
            2 => {
                let Some(counter) = &self.counter else { return };
                // [step:compare]
                let expected = self.threads as u64 * u64::from(ADDS_PER_THREAD);
                let counted = counter.value();
                // [/step]
                let (threads, strategy, took) = (self.threads, self.strategy, self.took);
                cx.note_with(|| {
                    format!(
                        "{strategy:?}: {threads} threads, expected {expected}, counted {counted} ({} lost) in {:.1} ms",
                        expected.saturating_sub(counted),
                        took.as_secs_f64() * 1e3
                    )
                });
                if counted != expected {
                    cx.anomaly_with(|| Anomaly::lost_update("counter_add_unsynchronised", expected, counted));
                }
            }
            _ => {
                // [step:free]
                self.counter = None; // Counter's Drop calls counter_free
                // [/step]
            }
        }
    }
}
