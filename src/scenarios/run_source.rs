//! One seam for every kind of run the Scenarios tab can show: a scenario
//! stepped in this process, one stepped in a child process, a run that could
//! not start, and a model recorded elsewhere. The tab holds a
//! `Box<dyn RunSource>` and never asks which kind it has, so a new kind of
//! run is one more implementation, not another arm in every method.

use crate::ffi::Event;
use crate::report::Report;
use crate::track::Model;

use super::runner::StepRecord;
use super::{ScenarioInfo, StepInfo};

/// A run the Scenarios tab shows and steps.
pub trait RunSource: std::fmt::Debug {
    /// The steps the run goes through, in order.
    fn steps(&self) -> &[StepInfo];

    fn model(&self) -> &Model;

    /// What each step did, one record per step run so far.
    fn records(&self) -> &[StepRecord];

    /// The run's events in stream order, for exports.
    fn events(&self) -> &[Event];

    /// Nothing more will happen: every step ran, or the run ended early.
    fn is_over(&self) -> bool;

    /// A step was asked for and has not been answered yet.
    fn busy(&self) -> bool {
        false
    }

    /// Asks for the next step: run now in this process, or answered later
    /// by [`RunSource::poll`].
    fn step(&mut self);

    /// Takes whatever arrived since the last call; true if anything changed.
    /// Never blocks.
    fn poll(&mut self) -> bool {
        false
    }

    /// The run as a report: what the verdict is made from.
    fn report(&self) -> Option<Report>;

    /// Why the run is not a lesson: it could not start, or misbehaved.
    fn error(&self) -> Option<&str> {
        None
    }

    /// The crash that ended the run, if it crashed.
    fn crash(&self) -> Option<Crash<'_>> {
        None
    }

    /// Steps run so far (= index of the next one).
    fn steps_run(&self) -> usize {
        self.records().len()
    }
}

/// How a run died, and what the dying process said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crash<'a> {
    /// E.g. "SIGSEGV", or "an error".
    pub signal: &'a str,
    /// Index of the step that was running.
    pub step: Option<u32>,
    /// Everything the process wrote on stderr.
    pub stderr: &'a str,
}

impl<'a> Crash<'a> {
    /// The lines of stderr that explain the crash, without backtrace frames.
    pub fn explaining_lines(&self) -> impl Iterator<Item = &'a str> {
        self.stderr
            .lines()
            .filter(|line| !line.trim_start().starts_with(|c: char| c.is_ascii_digit()) && !line.contains("  at "))
    }
}

/// A run whose child process could not even be started.
#[derive(Debug)]
pub struct FailedRun {
    pub steps: Vec<StepInfo>,
    pub model: Model,
    pub error: String,
}

impl RunSource for FailedRun {
    fn steps(&self) -> &[StepInfo] {
        &self.steps
    }

    fn model(&self) -> &Model {
        &self.model
    }

    fn records(&self) -> &[StepRecord] {
        &[]
    }

    fn events(&self) -> &[Event] {
        &[]
    }

    fn is_over(&self) -> bool {
        true
    }

    fn step(&mut self) {}

    fn report(&self) -> Option<Report> {
        None
    }

    fn error(&self) -> Option<&str> {
        Some(&self.error)
    }
}

/// A model recorded elsewhere, shown as a finished run: nothing left to step.
#[derive(Debug)]
pub struct RecordedRun {
    pub steps: Vec<StepInfo>,
    pub model: Model,
    pub scenario: &'static ScenarioInfo,
    pub variant: String,
}

impl RunSource for RecordedRun {
    fn steps(&self) -> &[StepInfo] {
        &self.steps
    }

    fn model(&self) -> &Model {
        &self.model
    }

    fn records(&self) -> &[StepRecord] {
        &[]
    }

    fn events(&self) -> &[Event] {
        &[]
    }

    fn is_over(&self) -> bool {
        true
    }

    fn step(&mut self) {}

    fn report(&self) -> Option<Report> {
        let steps = self.steps.len() as u32;
        Some(Report::from_model(self.scenario.id, &self.variant, steps, &self.model, &|site| {
            self.scenario.releaser(site)
        }))
    }
}
