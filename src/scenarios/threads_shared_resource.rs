//! Lesson: concurrent access to a C resource. Threads add to one C counter:
//! unsynchronised read-modify-write loses updates; a mutex or an atomic add
//! does not. The demonstration itself has no undefined behaviour: the
//! unsynchronised load and store are each atomic, just not together.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::ffi::lessons::counter::{Counter, Strategy};
use crate::ffi::unrecorded;
use crate::track::Anomaly;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct ThreadsSharedResource;

/// Increments per thread: enough that racing threads overlap for
/// milliseconds, whatever else the machine is doing.
pub const ADDS_PER_THREAD: u32 = 20_000;

/// Increments per thread in lock-step, where every round waits for every
/// thread twice.
pub const LOCK_STEP_ADDS_PER_THREAD: u32 = 2_000;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "Each increment holds the counter's mutex."),
    Variant::new("atomic", "Each increment is one atomic fetch-add."),
    Variant::new(
        "unsynchronised",
        "Load, then store, with nothing between threads: updates are lost as the threads happen to interleave, a different number on each run.",
    ),
    Variant::new(
        "lock-step",
        "The worst case, forced: every thread loads before any stores, each round, so only one update per round survives.",
    ),
];

const CREATE: StepInfo = StepInfo {
    title: "C allocates a counter",
    explanation: "One counter, shared by every thread.",
    rust: "create",
    c: Some("counter_new"),
};

const COMPARE: StepInfo = StepInfo {
    title: "Compare expected and counted",
    explanation: "threads × increments each should give exactly that count. Any shortfall is lost updates.",
    rust: "compare",
    c: None,
};

const FREE: StepInfo = StepInfo {
    title: "C frees the counter",
    explanation: "The counter goes back to C's free.",
    rust: "free",
    c: Some("counter_free"),
};

const MUTEX_STEPS: &[StepInfo] = &[
    CREATE,
    StepInfo {
        title: "The threads add 20,000 each",
        explanation: "All threads start together and call C concurrently. Each increment takes the counter's mutex, so loads and stores of different threads never interleave.",
        rust: "add",
        c: Some("counter_add"),
    },
    COMPARE,
    FREE,
];

const ATOMIC_STEPS: &[StepInfo] = &[
    CREATE,
    StepInfo {
        title: "The threads add 20,000 each",
        explanation: "All threads start together and call C concurrently. Each increment is one atomic fetch-add: the load and the store cannot be pulled apart.",
        rust: "add",
        c: Some("counter_add"),
    },
    COMPARE,
    FREE,
];

const UNSYNCHRONISED_STEPS: &[StepInfo] = &[
    CREATE,
    StepInfo {
        title: "The threads add 20,000 each",
        explanation: "All threads start together and race. A thread loads the value, and before it stores value + 1, others may store theirs: its store overwrites them. How many are lost depends on how the threads happen to run, so it changes from run to run.",
        rust: "add",
        c: Some("counter_add"),
    },
    COMPARE,
    FREE,
];

const LOCK_STEP_STEPS: &[StepInfo] = &[
    CREATE,
    StepInfo {
        title: "The threads add 2,000 each, in lock-step",
        explanation: "The worst interleaving, forced rather than left to luck: each round, every thread loads before any thread stores. All read the same value and all write back value + 1, so one update per round survives.",
        rust: "add",
        c: Some("counter_add"),
    },
    COMPARE,
    FREE,
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "threads-shared-resource",
    title: "Threads sharing a C counter",
    lesson: "threads",
    variants: VARIANTS,
    rust_source: concat!(include_str!("threads_shared_resource.rs"), include_str!("../ffi/lessons/counter.rs")),
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
            "lock-step" => Strategy::LockStep,
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

// [step:add@correct,atomic,unsynchronised,lock-step]
/// Every thread waits at the barrier, then adds `adds`
/// times.
fn add_from_threads(counter: &Counter, strategy: Strategy, threads: usize, adds: u32) {
    let start_together = Barrier::new(threads);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                start_together.wait();
                counter.add(strategy, adds, threads);
            });
        }
    });
}
// [/step]

impl Run {
    fn adds_per_thread(&self) -> u32 {
        if self.strategy == Strategy::LockStep { LOCK_STEP_ADDS_PER_THREAD } else { ADDS_PER_THREAD }
    }
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        match self.strategy {
            Strategy::Mutex => MUTEX_STEPS,
            Strategy::Atomic => ATOMIC_STEPS,
            Strategy::Unsynchronised => UNSYNCHRONISED_STEPS,
            Strategy::LockStep => LOCK_STEP_STEPS,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => self.counter = Counter::new(),
            1 => {
                let Some(counter) = &self.counter else { return };
                // Spawning threads allocates on the Rust heap, and the threads
                // free it; that is the runtime's business, not the lesson's.
                let adds = self.adds_per_thread();
                let started = Instant::now();
                unrecorded(|| add_from_threads(counter, self.strategy, self.threads, adds));
                self.took = started.elapsed();
            }
            2 => {
                let Some(counter) = &self.counter else { return };
                let (threads, adds) = (self.threads, self.adds_per_thread());
                // [step:compare]
                let expected = threads as u64 * u64::from(adds);
                let counted = counter.value();
                // [/step]
                let (strategy, took) = (self.strategy, self.took);
                cx.note_with(|| {
                    format!(
                        "{strategy:?}: {threads} threads, expected {expected}, counted {counted} ({} lost) in {:.1} ms",
                        expected.saturating_sub(counted),
                        took.as_secs_f64() * 1e3
                    )
                });
                if counted != expected {
                    let site = if strategy == Strategy::LockStep {
                        "counter_add_lock_step"
                    } else {
                        "counter_add_unsynchronised"
                    };
                    cx.anomaly_with(|| Anomaly::lost_update(site, expected, counted));
                }
            }
            _ => self.counter = None,
        }
    }
}
