//! The Scenarios tab's state: which scenario and variant, the run in
//! progress (any [`RunSource`]: in this process, or in a child for variants
//! that crash), the clock that steps it when it runs to the end on its own,
//! and what the tab derives from the run, kept fresh when the run changes
//! so that a frame only draws.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::report::Report;
use crate::track::Model;

use super::batch::BatchRun;
use super::isolated::IsolatedRun;
use super::run_source::{EndedRun, RunLog, RunSource};
use super::runner::Runner;
use super::snippet::{CodeRegion, pane_regions};
use super::{RunOptions, Scenario, catalogue};

/// What the Scenarios tab asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScenarioCommand {
    Select(&'static str),
    SetVariant(&'static str),
    SetThreads(usize),
    Step,
    /// Re-runs from the start up to the step before the last one run.
    Back,
    /// Steps on its own, `steps_per_second` (or everything at once if infinite).
    RunToEnd,
    Pause,
    Reset,
    SetSpeed(f32),
    /// Run every variant of every scenario in the background.
    RunAll,
    /// Put away the results of running them all.
    CloseRunAll,
}

/// The code panes of a run: every region its steps show, cut once when the
/// run starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodePanes {
    pub rust: Vec<CodeRegion>,
    pub c: Vec<CodeRegion>,
}

/// The end of a finished run: its report, and its anomalies grouped by kind
/// and site for the few lines of a verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub report: Report,
    /// (index of a group's first anomaly in `report.anomalies`, how many the group has).
    pub findings: Vec<(usize, usize)>,
    /// The verdict in plain words.
    pub lines: Vec<VerdictLine>,
}

impl Verdict {
    fn of(report: Report) -> Verdict {
        let findings = report.findings();
        let lines = Verdict::lines_of(&report, &findings);
        Verdict { report, findings, lines }
    }

    /// The verdict in plain words, a line per kind of finding and site: what
    /// the tab shows and a slide prints.
    fn lines_of(report: &Report, findings: &[(usize, usize)]) -> Vec<VerdictLine> {
        let mut lines: Vec<VerdictLine> = report
            .requests_line()
            .map(|text| VerdictLine { kind: None, text, more: 0, clean: false })
            .into_iter()
            .collect();
        if report.anomalies.is_empty() {
            let allocated = report.c_heap.allocations + report.rust_heap.allocations > 0;
            let text = match (&report.table, allocated) {
                (Some(table), false) => table.caption.clone(),
                _ => "Clean: every block went back to the allocator that made it, and nothing went wrong.".to_owned(),
            };
            lines.push(VerdictLine { kind: None, text, more: 0, clean: true });
            return lines;
        }
        lines.extend(findings.iter().map(|&(first, times)| {
            let anomaly = &report.anomalies[first];
            VerdictLine {
                kind: Some(anomaly.kind.label()),
                text: anomaly.message.clone(),
                more: times - 1,
                clean: false,
            }
        }));
        lines
    }
}

/// One line of a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictLine {
    /// The kind of finding ("leak", "double free"), if the line is one.
    pub kind: Option<&'static str>,
    pub text: String,
    /// How many more findings like it the run had.
    pub more: usize,
    /// The run went clean: nothing leaked, nothing went wrong.
    pub clean: bool,
}

/// The verdict, and the state of the run it was made from.
#[derive(Debug, Default)]
struct VerdictCache {
    made_from: Option<RunState>,
    verdict: Option<Verdict>,
}

/// Everything a run's report depends on: equal states, equal reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunState {
    model: (u64, u64),
    steps_run: usize,
    over: bool,
    crashed: bool,
}

impl RunState {
    fn of(run: &dyn RunSource) -> RunState {
        RunState {
            model: run.model().version(),
            steps_run: run.steps_run(),
            over: run.is_over(),
            crashed: run.crash().is_some(),
        }
    }
}

/// Where the Scenarios tab is.
#[derive(Debug)]
pub struct ScenarioSession {
    scenarios: Vec<Box<dyn Scenario>>,
    selected: usize,
    variant: &'static str,
    options: RunOptions,
    run: Box<dyn RunSource>,
    code: CodePanes,
    verdict: VerdictCache,
    /// Steps Back still has to run again; a child answers them one by one.
    replaying: usize,
    /// This program, started as the child of isolated runs.
    program: PathBuf,
    auto_run: bool,
    steps_per_second: f32,
    last_auto_step: Option<Instant>,
    /// Every variant of every scenario, run or running in the background.
    batch: Option<BatchRun>,
}

impl ScenarioSession {
    pub fn new(program: PathBuf) -> ScenarioSession {
        let scenarios = catalogue();
        let options = RunOptions::default();
        let variant = scenarios[0].default_variant();
        let run = start(scenarios[0].as_ref(), variant, options, &program);
        let mut session = ScenarioSession {
            code: code_panes(scenarios[0].as_ref(), variant, run.as_ref()),
            scenarios,
            selected: 0,
            variant,
            options,
            run,
            verdict: VerdictCache::default(),
            replaying: 0,
            program,
            auto_run: false,
            steps_per_second: 2.0,
            last_auto_step: None,
            batch: None,
        };
        session.refresh_verdict();
        session
    }

    pub fn batch(&self) -> Option<&BatchRun> {
        self.batch.as_ref()
    }

    pub fn scenarios(&self) -> &[Box<dyn Scenario>] {
        &self.scenarios
    }

    pub fn scenario(&self) -> &dyn Scenario {
        self.scenarios[self.selected].as_ref()
    }

    pub fn variant(&self) -> &'static str {
        self.variant
    }

    pub fn options(&self) -> RunOptions {
        self.options
    }

    pub fn run(&self) -> &dyn RunSource {
        self.run.as_ref()
    }

    /// What the code panes show for this run.
    pub fn code(&self) -> &CodePanes {
        &self.code
    }

    /// The verdict once the run is over (and is a lesson, not an error).
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.verdict.as_ref()
    }

    pub fn is_auto_running(&self) -> bool {
        self.auto_run
    }

    pub fn steps_per_second(&self) -> f32 {
        self.steps_per_second
    }

    /// Whether the current variant runs in a child process.
    pub fn isolated(&self) -> bool {
        self.scenario().variant(self.variant).is_some_and(|v| v.crashes)
    }

    /// Opens the scenario and variant shown last time, if they still exist.
    pub fn reopen(&mut self, id: &str, variant: &str) {
        if let Some(scenario) = self.scenarios.iter().find(|s| s.id() == id) {
            let (id, variant) = (scenario.id(), scenario.variant(variant).map(|v| v.name));
            self.apply(ScenarioCommand::Select(id));
            if let Some(variant) = variant {
                self.apply(ScenarioCommand::SetVariant(variant));
            }
        }
    }

    /// Shows `model`, recorded elsewhere, as a finished run of the selected
    /// scenario and variant.
    pub fn load_recording(&mut self, model: Model) {
        self.auto_run = false;
        self.replaying = 0;
        let scenario = self.scenarios[self.selected].as_ref();
        let steps = scenario.start(self.variant, self.options).steps().to_vec();
        self.run = Box::new(EndedRun {
            log: RunLog { model, ..RunLog::new(steps) },
            scenario: scenario.info(),
            variant: self.variant.to_owned(),
            error: None,
        });
        self.refresh_verdict();
    }

    pub fn apply(&mut self, command: ScenarioCommand) {
        match command {
            ScenarioCommand::Select(id) => {
                if let Some(index) = self.scenarios.iter().position(|s| s.id() == id) {
                    self.selected = index;
                    self.variant = self.scenarios[index].default_variant();
                    self.restart();
                }
            }
            ScenarioCommand::SetVariant(name) => {
                if let Some(variant) = self.scenario().variant(name) {
                    self.variant = variant.name;
                    self.restart();
                }
            }
            ScenarioCommand::SetThreads(threads) => {
                self.options.threads = threads.clamp(2, 8);
                self.restart();
            }
            ScenarioCommand::Step => {
                if !self.run.is_over() && !self.run.busy() && self.replaying == 0 {
                    self.run.step();
                }
            }
            ScenarioCommand::Back => {
                // Runs are deterministic: a fresh start run to the step
                // before is the previous step.
                let target = self.run.steps_run().saturating_sub(1);
                self.restart();
                self.replaying = target;
                self.continue_replay();
            }
            ScenarioCommand::RunToEnd => {
                self.auto_run = true;
                self.last_auto_step = None;
            }
            ScenarioCommand::Pause => self.auto_run = false,
            ScenarioCommand::Reset => self.restart(),
            ScenarioCommand::SetSpeed(speed) => self.steps_per_second = speed.clamp(0.25, 20.0),
            ScenarioCommand::RunAll => self.batch = Some(BatchRun::start(self.program.clone(), self.options)),
            ScenarioCommand::CloseRunAll => self.batch = None,
        }
        self.refresh_verdict();
    }

    /// Advances what runs on its own: the child's answers, a replay and the
    /// auto-run clock. Returns how long until something is due, if anything is.
    pub fn tick(&mut self, now: Instant) -> Option<Duration> {
        let due = self.advance(now);
        self.refresh_verdict();
        due
    }

    fn advance(&mut self, now: Instant) -> Option<Duration> {
        self.run.poll();
        self.continue_replay();
        let batch_running = self.batch.as_mut().is_some_and(|batch| {
            batch.poll();
            !batch.is_done()
        });
        let waiting = self.run.busy() || self.replaying > 0;
        if batch_running && !self.auto_run && !waiting {
            return Some(Duration::from_millis(100));
        }
        if !self.auto_run {
            return waiting.then_some(Duration::from_millis(30));
        }
        if self.run.is_over() {
            self.auto_run = false;
            return None;
        }
        let interval = Duration::from_secs_f32(1.0 / self.steps_per_second);
        let due = self.last_auto_step.is_none_or(|last| now.duration_since(last) >= interval);
        if due && !waiting {
            self.run.step();
            self.last_auto_step = Some(now);
        }
        Some(interval.min(Duration::from_millis(30)))
    }

    /// Runs the steps Back still owes, as far as the run answers without waiting.
    fn continue_replay(&mut self) {
        while self.replaying > 0 && !self.run.busy() && !self.run.is_over() {
            self.run.step();
            self.replaying -= 1;
        }
        if self.run.is_over() {
            self.replaying = 0;
        }
    }

    fn restart(&mut self) {
        self.auto_run = false;
        self.replaying = 0;
        let scenario = self.scenarios[self.selected].as_ref();
        self.run = start(scenario, self.variant, self.options, &self.program);
        self.code = code_panes(scenario, self.variant, self.run.as_ref());
    }

    /// Makes the verdict again if the run changed since it was last made.
    fn refresh_verdict(&mut self) {
        let state = RunState::of(self.run.as_ref());
        if self.verdict.made_from == Some(state) {
            return;
        }
        let finished = state.over && self.run.error().is_none();
        let verdict = finished.then(|| self.run.report().map(Verdict::of)).flatten();
        self.verdict = VerdictCache { made_from: Some(state), verdict };
    }
}

fn code_panes(scenario: &dyn Scenario, variant: &str, run: &dyn RunSource) -> CodePanes {
    let steps = run.steps();
    CodePanes {
        rust: pane_regions(scenario.rust_source(), steps.iter().map(|s| Some(s.rust)), variant),
        c: pane_regions(scenario.c_source(), steps.iter().map(|s| s.c), variant),
    }
}

fn start(scenario: &dyn Scenario, variant: &str, options: RunOptions, program: &Path) -> Box<dyn RunSource> {
    if !scenario.variant(variant).is_some_and(|v| v.crashes) {
        return Box::new(Runner::new(scenario, variant, options));
    }
    match IsolatedRun::spawn(program, scenario, variant, options) {
        Ok(run) => Box::new(run),
        Err(error) => Box::new(EndedRun {
            log: RunLog::new(scenario.start(variant, options).steps().to_vec()),
            scenario: scenario.info(),
            variant: variant.to_owned(),
            error: Some(format!("could not start {} as an isolated child: {error}", program.display())),
        }),
    }
}
