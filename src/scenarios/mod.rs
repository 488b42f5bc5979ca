//! Scenarios: short sequences of steps that call real, instrumented C from
//! Rust. The catalogue is data ([`catalogue`]); each scenario lives in its own
//! file and knows nothing of the UI. [`runner::Runner`] steps one through a
//! fresh tracker and model.

mod c_string_ownership;
pub mod runner;

use crate::ffi::Tracker;

/// A named way to run a scenario: `correct`, or a broken variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub name: &'static str,
    /// One sentence: what this variant does differently.
    pub summary: &'static str,
}

/// What a step is for, shown before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInfo {
    pub title: &'static str,
    pub explanation: &'static str,
}

/// What a step gets to work with.
#[derive(Debug)]
pub struct StepContext<'a> {
    /// The run's tracker, already bound and recording on this thread.
    pub tracker: &'a Tracker,
}

/// One run of a scenario in one variant: its own state, its own steps.
pub trait ScenarioRun {
    fn steps(&self) -> &[StepInfo];
    /// Runs step `index`; steps are run in order, each exactly once.
    fn run_step(&mut self, index: usize, cx: &StepContext<'_>);
}

pub trait Scenario: Send + Sync {
    fn id(&self) -> &'static str;
    fn title(&self) -> &'static str;
    /// The lesson it teaches, in a few words.
    fn lesson(&self) -> &'static str;
    /// `correct` first, then the broken variants.
    fn variants(&self) -> &'static [Variant];
    /// A fresh run; `variant` is one of [`Scenario::variants`].
    fn start(&self, variant: &str) -> Box<dyn ScenarioRun>;

    fn has_variant(&self, name: &str) -> bool {
        self.variants().iter().any(|v| v.name == name)
    }
}

/// Every scenario, in teaching order.
pub fn catalogue() -> Vec<Box<dyn Scenario>> {
    vec![Box::new(c_string_ownership::CStringOwnership)]
}

pub fn find(id: &str) -> Option<Box<dyn Scenario>> {
    catalogue().into_iter().find(|s| s.id() == id)
}
