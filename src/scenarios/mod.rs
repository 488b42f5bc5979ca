//! Scenarios: short sequences of steps that call real, instrumented C from
//! Rust, one lesson each. The catalogue is data ([`catalogue`]); each
//! scenario lives in its own file, with its C half under `csrc/scenarios/`,
//! and knows nothing of the UI. [`runner`] steps one through a fresh tracker
//! and model, in this process or, for variants that really crash, in a child
//! process ([`isolated`]).

mod alignment;
mod arena_release;
mod array_to_slice;
pub mod batch;
mod c_string_ownership;
mod child_stream;
mod cstring_into_raw;
mod dangling_cstring;
pub mod isolated;
mod leak_hunt;
mod null_and_bounds;
mod ownership_handoff;
mod panic_at_boundary;
mod raii_release;
pub mod run_source;
pub mod runner;
mod service_survives;
pub mod session;
pub mod snippet;
pub mod step_panics;
mod threads_shared_resource;
pub mod type_mapping;

use crate::ffi::{Tracker, unrecorded};
use crate::report::Table;
use crate::track::Anomaly;

/// A named way to run a scenario: `correct`, or a broken variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub name: &'static str,
    /// One sentence: what this variant does differently.
    pub summary: &'static str,
    /// The variant really crashes the process, so it always runs in a child.
    pub crashes: bool,
}

impl Variant {
    pub const fn new(name: &'static str, summary: &'static str) -> Variant {
        Variant { name, summary, crashes: false }
    }

    pub const fn crashing(name: &'static str, summary: &'static str) -> Variant {
        Variant { name, summary, crashes: true }
    }
}

/// One step: what it is for, and where its code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInfo {
    pub title: &'static str,
    /// One to three sentences.
    pub explanation: &'static str,
    /// Region name of the Rust code that runs in this step (see [`snippet`]).
    pub rust: &'static str,
    /// Region name of the C code it calls, if any.
    pub c: Option<&'static str>,
}

/// Options a learner can set before a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Threads for `threads-shared-resource` (2–8).
    pub threads: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { threads: 4 }
    }
}

/// What a step gets to work with, and what it can say back. What it says
/// is built with recording paused: the stepper's bookkeeping must never show
/// up on the lesson's heap.
#[derive(Debug)]
pub struct StepContext<'a> {
    /// The run's tracker, already bound and recording on this thread.
    pub tracker: &'a Tracker,
    pub options: RunOptions,
    pub(crate) notes: Vec<String>,
    pub(crate) anomalies: Vec<Anomaly>,
    pub(crate) tallies: Vec<(&'static str, u64)>,
    pub(crate) table: Option<Table>,
}

impl<'a> StepContext<'a> {
    pub fn new(tracker: &'a Tracker, options: RunOptions) -> StepContext<'a> {
        StepContext { tracker, options, notes: Vec::new(), anomalies: Vec::new(), tallies: Vec::new(), table: None }
    }

    /// Sets one of the run's own counts (requests served, workers
    /// restarted…), which the report carries.
    pub fn tally(&mut self, name: &'static str, value: u64) {
        unrecorded(|| self.tallies.push((name, value)));
    }

    /// The table the run produces (the report carries it), built by `table`
    /// with recording paused.
    pub fn table_with(&mut self, table: impl FnOnce() -> Table) {
        unrecorded(|| self.table = Some(table()));
    }

    /// A finding worth showing under the step ("read flag = 1, value = …"),
    /// built by `text` with recording paused.
    pub fn note_with(&mut self, text: impl FnOnce() -> String) {
        unrecorded(|| {
            let text = text();
            self.notes.push(text);
        });
    }

    /// An anomaly the allocator cannot see, such as lost updates, built by
    /// `anomaly` with recording paused.
    pub fn anomaly_with(&mut self, anomaly: impl FnOnce() -> Anomaly) {
        unrecorded(|| {
            let anomaly = anomaly();
            self.anomalies.push(anomaly);
        });
    }
}

/// One run of a scenario in one variant: its own state, its own steps.
pub trait ScenarioRun {
    fn steps(&self) -> &[StepInfo];
    /// Runs step `index`; steps are run in order, each exactly once.
    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>);
}

/// What a scenario is, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioInfo {
    pub id: &'static str,
    pub title: &'static str,
    /// The lesson it teaches, in a few words; scenarios are grouped by it.
    pub lesson: &'static str,
    /// `correct` first, then the broken variants; a lesson whose variants
    /// are strategies names them all.
    pub variants: &'static [Variant],
    /// The Rust source the steps' regions are cut from (`include_str!` of itself).
    pub rust_source: &'static str,
    /// The C source the steps' C regions are cut from.
    pub c_source: &'static str,
    /// For each allocating site: how its blocks must be released.
    pub releasers: &'static [(&'static str, &'static str)],
}

impl ScenarioInfo {
    /// How a block from `site` should have been released, if the scenario says.
    pub fn releaser(&self, site: &str) -> Option<&'static str> {
        self.releasers.iter().find(|(s, _)| *s == site).map(|(_, how)| *how)
    }
}

pub trait Scenario: Send + Sync + std::fmt::Debug {
    fn info(&self) -> &'static ScenarioInfo;

    /// A fresh run; `variant` is one of [`Scenario::variants`].
    fn start(&self, variant: &str, options: RunOptions) -> Box<dyn ScenarioRun>;

    fn id(&self) -> &'static str {
        self.info().id
    }

    fn title(&self) -> &'static str {
        self.info().title
    }

    fn lesson(&self) -> &'static str {
        self.info().lesson
    }

    fn variants(&self) -> &'static [Variant] {
        self.info().variants
    }

    fn rust_source(&self) -> &'static str {
        self.info().rust_source
    }

    fn c_source(&self) -> &'static str {
        self.info().c_source
    }

    /// The variant a scenario opens in: the first that does not crash
    /// (`correct`, where there is one).
    fn default_variant(&self) -> &'static str {
        let variants = self.variants();
        variants.iter().find(|v| !v.crashes).or(variants.first()).map_or("correct", |v| v.name)
    }

    fn variant(&self, name: &str) -> Option<&'static Variant> {
        self.variants().iter().find(|v| v.name == name)
    }

    /// How a block from `site` should have been released, if the scenario says.
    fn releaser(&self, site: &str) -> Option<&'static str> {
        self.info().releaser(site)
    }
}

/// Every scenario, in the order of the lessons.
pub fn catalogue() -> Vec<Box<dyn Scenario>> {
    vec![
        Box::new(c_string_ownership::CStringOwnership),
        Box::new(cstring_into_raw::CStringIntoRaw),
        Box::new(dangling_cstring::DanglingCString),
        Box::new(type_mapping::TypeMapping),
        Box::new(ownership_handoff::OwnershipHandoff),
        Box::new(alignment::Alignment),
        Box::new(null_and_bounds::NullAndBounds),
        Box::new(array_to_slice::ArrayToSlice),
        Box::new(raii_release::RaiiRelease),
        Box::new(arena_release::ArenaRelease),
        Box::new(threads_shared_resource::ThreadsSharedResource),
        Box::new(panic_at_boundary::PanicAtBoundary),
        Box::new(leak_hunt::LeakHunt),
        Box::new(service_survives::ServiceSurvives),
    ]
}

pub fn find(id: &str) -> Option<Box<dyn Scenario>> {
    catalogue().into_iter().find(|s| s.id() == id)
}
