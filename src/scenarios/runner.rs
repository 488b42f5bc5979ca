//! Runs a scenario step by step against its own tracker and model, in this
//! process. Each step's events are summarised ("+1 C block, 20 B, from
//! `create_message`") before they go into the model.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use crate::ffi::call_log::lesson_calls;
use crate::ffi::{Domain, Event, EventKind, Site, Tracker};
use crate::report::Report;

use super::run_source::{RunLog, RunSource};
use super::step_panics::StepPanics;
use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext};

/// What one step did, for the line under the panes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepRecord {
    pub index: u32,
    /// What changed on the heaps, in one line.
    pub summary: String,
    /// Findings the step reported.
    pub notes: Vec<String>,
    /// The lessons' C functions the step entered, where the program exports
    /// their names (see [`crate::ffi::call_log`]); empty elsewhere.
    pub calls: Vec<&'static str>,
}

/// A scenario being run in this process.
pub struct Runner {
    scenario: &'static ScenarioInfo,
    variant: String,
    options: RunOptions,
    tracker: Tracker,
    run: Option<Box<dyn ScenarioRun>>,
    /// Every event of the run is kept, for exports: a scenario's run is small.
    log: RunLog,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("scenario", &self.scenario.id)
            .field("variant", &self.variant)
            .field("steps_run", &self.log.records.len())
            .finish_non_exhaustive()
    }
}

impl Runner {
    pub fn new(scenario: &dyn Scenario, variant: &str, options: RunOptions) -> Runner {
        // The run's own state is built outside any scope: only what the
        // steps allocate belongs on the scenario's books.
        let run = scenario.start(variant, options);
        Runner {
            scenario: scenario.info(),
            variant: variant.to_owned(),
            options,
            tracker: Tracker::new(),
            log: RunLog::new(run.steps().to_vec()),
            run: Some(run),
        }
    }

    /// Index of the step that runs next (= steps run so far).
    pub fn next_step(&self) -> usize {
        self.log.records.len()
    }

    pub fn is_finished(&self) -> bool {
        self.next_step() >= self.log.steps.len()
    }

    /// The tracker's own counts, which the model must agree with.
    pub fn tracker_counts(&self) -> crate::ffi::Counts {
        self.tracker.counts()
    }

    /// Runs the next step and drains what it did into the model. Returns
    /// the step's events (for a child process to stream), or `None` when
    /// there was no step left.
    pub fn step(&mut self) -> Option<Vec<Event>> {
        let index = self.next_step();
        let run = self.run.as_mut()?;
        if index >= run.steps().len() {
            return None;
        }
        let model = &mut self.log.model;
        model.begin_step(index as u32);
        let mut cx = StepContext::new(&self.tracker, self.options);
        let calls;
        {
            let _scope = self.tracker.scope();
            // A panic the step catches is the lesson's, not the terminal's.
            let _held = StepPanics::hold();
            calls = lesson_calls(&self.tracker, || run.run_step(index, &mut cx)).1.unwrap_or_default();
        }
        // A write past the end or after a free is found when it is checked.
        self.tracker.check_all();
        let mut events = Vec::new();
        self.tracker.drain_into(&mut events);
        let model = &mut self.log.model;
        for event in &events {
            model.apply(event);
        }
        model.set_dropped_events(self.tracker.counts().events_dropped);
        for (name, value) in cx.tallies {
            model.set_tally(name, value);
        }
        if let Some(table) = cx.table {
            self.log.table = Some(table);
        }
        for mut anomaly in cx.anomalies {
            anomaly.step = Some(index as u32);
            model.push_anomaly(anomaly);
        }
        let record = StepRecord { index: index as u32, summary: summarize(&events), notes: cx.notes, calls };
        self.log.records.push(record);
        self.log.events.extend_from_slice(&events);
        Some(events)
    }

    /// Runs every remaining step and returns the report.
    pub fn run_to_end(mut self) -> Report {
        while self.step().is_some() {}
        self.report()
    }

    pub fn report(&self) -> Report {
        let scenario = self.scenario;
        let mut report =
            Report::from_model(scenario.id, &self.variant, self.next_step() as u32, &self.log.model, &|site| {
                scenario.releaser(site)
            });
        report.steps = self.log.step_reports(scenario, &self.variant);
        report.table.clone_from(&self.log.table);
        report
    }
}

impl RunSource for Runner {
    fn log(&self) -> &RunLog {
        &self.log
    }

    fn is_over(&self) -> bool {
        self.is_finished()
    }

    fn step(&mut self) {
        Runner::step(self);
    }

    fn report(&self) -> Option<Report> {
        Some(Runner::report(self))
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // Whatever the run still holds is released inside a scope so that
        // its frees reach the tracker that recorded the allocations.
        let _scope = self.tracker.scope();
        self.run = None;
    }
}

/// "+1 C block, 20 B, from `create_message`; −1 Rust block, 19 B", or
/// "no change on either heap".
pub fn summarize(events: &[Event]) -> String {
    #[derive(Default)]
    struct Tally {
        blocks: u64,
        bytes: u64,
        sites: Vec<Site>,
    }
    let mut allocated: FxHashMap<Domain, Tally> = FxHashMap::default();
    let mut freed: FxHashMap<Domain, Tally> = FxHashMap::default();
    let mut anomalies = 0;
    for event in events {
        let tally = match event.kind {
            EventKind::Alloc => allocated.entry(event.domain).or_default(),
            EventKind::Free => freed.entry(event.domain).or_default(),
            EventKind::Realloc => continue,
            _ => {
                anomalies += 1;
                continue;
            }
        };
        tally.blocks += 1;
        tally.bytes += event.size;
        let site = if event.kind == EventKind::Alloc { event.site } else { event.related_site };
        if let Some(site) = site
            && !tally.sites.contains(&site)
        {
            tally.sites.push(site);
        }
    }
    let mut parts = Vec::new();
    for domain in Domain::ALL {
        for (sign, tallies) in [("+", &allocated), ("−", &freed)] {
            if let Some(tally) = tallies.get(&domain) {
                let mut part = format!(
                    "{sign}{} {} block{}, {} B",
                    tally.blocks,
                    domain.label(),
                    if tally.blocks == 1 { "" } else { "s" },
                    tally.bytes
                );
                if sign == "+" && !tally.sites.is_empty() {
                    let names: Vec<String> = tally.sites.iter().take(3).map(|s| format!("`{}`", s.name())).collect();
                    let _ = write!(part, ", from {}", names.join(", "));
                }
                parts.push(part);
            }
        }
    }
    if anomalies > 0 {
        parts.push(format!("{anomalies} anomal{} caught", if anomalies == 1 { "y" } else { "ies" }));
    }
    if parts.is_empty() { "no change on either heap".to_owned() } else { parts.join("; ") }
}
