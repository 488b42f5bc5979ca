//! One seam for every kind of run the Scenarios tab can show: a scenario
//! stepped in this process, one stepped in a child process, a run that could
//! not start, and a model recorded elsewhere. The tab holds a
//! `Box<dyn RunSource>` and never asks which kind it has, so a new kind of
//! run is one more implementation, not another arm in every method.

use crate::ffi::Event;
use crate::report::{Report, StepReport, Table};
use crate::track::Model;

use super::runner::StepRecord;
use super::snippet::snippet;
use super::{ScenarioInfo, StepInfo};

/// What a run has produced so far: its steps, the model its events built,
/// a record per step run, and the events themselves (for exports).
#[derive(Debug, Default)]
pub struct RunLog {
    pub steps: Vec<StepInfo>,
    pub model: Model,
    pub records: Vec<StepRecord>,
    pub events: Vec<Event>,
    /// A table the run produced, if its lesson is one.
    pub table: Option<Table>,
}

impl RunLog {
    pub fn new(steps: Vec<StepInfo>) -> RunLog {
        RunLog { steps, ..RunLog::default() }
    }

    /// Every step of `variant` of `scenario`, with the code its panes show
    /// and what it did, for a report.
    pub fn step_reports(&self, scenario: &ScenarioInfo, variant: &str) -> Vec<StepReport> {
        self.steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let record = self.records.get(index);
                StepReport {
                    title: step.title.to_owned(),
                    explanation: step.explanation.to_owned(),
                    rust: snippet(scenario.rust_source, step.rust, variant).unwrap_or_default(),
                    c: step.c.and_then(|name| snippet(scenario.c_source, name, variant)),
                    summary: record.map(|r| r.summary.clone()),
                    notes: record.map(|r| r.notes.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }
}

/// A run the Scenarios tab shows and steps.
pub trait RunSource: std::fmt::Debug {
    /// What the run has produced so far.
    fn log(&self) -> &RunLog;

    /// The steps the run goes through, in order.
    fn steps(&self) -> &[StepInfo] {
        &self.log().steps
    }

    fn model(&self) -> &Model {
        &self.log().model
    }

    /// What each step did, one record per step run so far.
    fn records(&self) -> &[StepRecord] {
        &self.log().records
    }

    /// The run's events in stream order, for exports.
    fn events(&self) -> &[Event] {
        &self.log().events
    }

    /// Nothing more will happen: every step ran, or the run ended early.
    fn is_over(&self) -> bool;

    /// Something asked of the run is still to come (a step's answer, a
    /// child's exit): poll again soon.
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

    /// Steps the run reached: the steps run, and the one it died in.
    fn steps_reached(&self) -> usize {
        match self.crash().and_then(|crash| crash.step) {
            Some(step) => step as usize + 1,
            None => self.steps_run(),
        }
    }

    /// The step on show: the last one reached, or the first before any.
    fn step_on_show(&self) -> Option<&StepInfo> {
        let steps = self.steps();
        steps.get(self.steps_reached().saturating_sub(1).min(steps.len().saturating_sub(1)))
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

/// Lines of stderr the crash box shows from the end, besides the ones that explain.
const LAST_LINES: usize = 3;

impl<'a> Crash<'a> {
    /// The lines of stderr that explain the crash, in order and without
    /// backtrace frames: where a panic happened and its message, why it could
    /// not unwind, and the last few lines the process wrote.
    pub fn explaining_lines(&self) -> Vec<&'a str> {
        let lines: Vec<&'a str> = self
            .stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .filter(|line| !line.trim_start().starts_with(|c: char| c.is_ascii_digit()) && !line.contains("  at "))
            .collect();
        let explains = |index: usize| {
            let line = lines[index];
            line.contains("panicked at")
                || line.contains("cannot unwind")
                || (index > 0 && lines[index - 1].contains("panicked at"))
                || index + LAST_LINES >= lines.len()
        };
        (0..lines.len()).filter(|&index| explains(index)).map(|index| lines[index]).collect()
    }
}

/// A run with nothing left to step: a model recorded elsewhere, shown as it
/// is, or a run whose child process could not even be started.
#[derive(Debug)]
pub struct EndedRun {
    pub log: RunLog,
    pub scenario: &'static ScenarioInfo,
    pub variant: String,
    /// Why it never ran, if it did not.
    pub error: Option<String>,
}

impl RunSource for EndedRun {
    fn log(&self) -> &RunLog {
        &self.log
    }

    fn is_over(&self) -> bool {
        true
    }

    fn step(&mut self) {}

    fn report(&self) -> Option<Report> {
        if self.error.is_some() {
            return None;
        }
        let steps = self.log.steps.len() as u32;
        let mut report = Report::from_model(self.scenario.id, &self.variant, steps, &self.log.model, &|site| {
            self.scenario.releaser(site)
        });
        report.steps = self.log.step_reports(self.scenario, &self.variant);
        Some(report)
    }

    fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::Crash;

    #[test]
    fn a_crash_is_explained_by_its_panic_its_reason_and_its_last_words() {
        let stderr = "\
thread 'main' panicked at src/scenarios/panic_at_boundary.rs:39:5:
negative item -9
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
starting the next item
still going
thread 'main' panicked at library/core/src/panicking.rs:225:5:
panic in a function that cannot unwind
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/library/std/src/panicking.rs:689:5
thread caused non-unwinding panic. aborting.
";
        let crash = Crash { signal: "SIGABRT", step: Some(1), stderr };
        assert_eq!(
            crash.explaining_lines(),
            [
                "thread 'main' panicked at src/scenarios/panic_at_boundary.rs:39:5:",
                "negative item -9",
                "thread 'main' panicked at library/core/src/panicking.rs:225:5:",
                "panic in a function that cannot unwind",
                "stack backtrace:",
                "thread caused non-unwinding panic. aborting.",
            ]
        );
    }
}
