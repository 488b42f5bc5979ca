//! The Scenarios tab's state: which scenario and variant, the run in
//! progress (in this process, or in a child for variants that crash), and
//! the clock that steps it when it runs to the end on its own.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::report::{Outcome, Report};
use crate::track::{Anomaly, Model};

use super::batch::BatchRun;
use super::isolated::IsolatedRun;
use super::runner::{Runner, StepRecord};
use super::{RunOptions, Scenario, StepInfo, catalogue};

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
    /// Write the run's timeline and report to the export folder (done by the app).
    Export,
    /// Run every variant of every scenario in the background.
    RunAll,
    /// Put away the results of running them all.
    CloseRunAll,
}

/// A run in progress, wherever it runs.
#[derive(Debug)]
pub enum ActiveRun {
    Local(Runner),
    Child(IsolatedRun),
    /// The child could not even be started.
    Failed {
        steps: Vec<StepInfo>,
        model: Model,
        error: String,
    },
    /// A model recorded elsewhere, shown as it is: nothing left to step.
    Recorded {
        steps: Vec<StepInfo>,
        model: Model,
        scenario: &'static str,
        variant: String,
    },
}

impl ActiveRun {
    pub fn steps(&self) -> &[StepInfo] {
        match self {
            ActiveRun::Local(run) => run.steps(),
            ActiveRun::Child(run) => run.steps(),
            ActiveRun::Failed { steps, .. } | ActiveRun::Recorded { steps, .. } => steps,
        }
    }

    pub fn model(&self) -> &Model {
        match self {
            ActiveRun::Local(run) => run.model(),
            ActiveRun::Child(run) => run.model(),
            ActiveRun::Failed { model, .. } | ActiveRun::Recorded { model, .. } => model,
        }
    }

    pub fn records(&self) -> &[StepRecord] {
        match self {
            ActiveRun::Local(run) => run.records(),
            ActiveRun::Child(run) => run.records(),
            ActiveRun::Failed { .. } | ActiveRun::Recorded { .. } => &[],
        }
    }

    /// The run's events, for exports (none for a recorded model).
    pub fn events(&self) -> &[crate::ffi::Event] {
        match self {
            ActiveRun::Local(run) => run.events(),
            ActiveRun::Child(run) => run.events(),
            ActiveRun::Failed { .. } | ActiveRun::Recorded { .. } => &[],
        }
    }

    /// Steps run so far (= index of the next one).
    pub fn steps_run(&self) -> usize {
        self.records().len()
    }

    /// Nothing more will happen: every step ran, or the child died.
    pub fn is_over(&self) -> bool {
        match self {
            ActiveRun::Local(run) => run.is_finished(),
            ActiveRun::Child(run) => run.finished().is_some() || run.records().len() >= run.steps().len(),
            ActiveRun::Failed { .. } | ActiveRun::Recorded { .. } => true,
        }
    }

    /// A step was asked of a child that has not answered yet.
    pub fn busy(&self) -> bool {
        matches!(self, ActiveRun::Child(run) if run.busy())
    }

    /// The run as a report: what the verdict is made from.
    pub fn report(&self) -> Option<Report> {
        match self {
            ActiveRun::Local(run) => Some(run.report()),
            ActiveRun::Child(run) => Some(run.report()),
            ActiveRun::Failed { .. } => None,
            ActiveRun::Recorded { steps, model, scenario, variant } => {
                Some(Report::from_model(scenario, variant, steps.len() as u32, model, &|_| None))
            }
        }
    }

    /// Why there is no run, if the child could not start or misbehaved.
    pub fn error(&self) -> Option<&str> {
        match self {
            ActiveRun::Failed { error, .. } => Some(error),
            ActiveRun::Child(run) => run.finished().and_then(|f| f.error.as_deref()),
            ActiveRun::Local(_) | ActiveRun::Recorded { .. } => None,
        }
    }

    /// The crash that ended a child, as (signal, step index).
    pub fn crash(&self) -> Option<(String, Option<u32>)> {
        let ActiveRun::Child(run) = self else { return None };
        let finished = run.finished()?;
        (finished.outcome == Outcome::Crashed)
            .then(|| (finished.signal.clone().unwrap_or_else(|| "an error".to_owned()), run.last_step_reached()))
    }

    fn step(&mut self) {
        match self {
            ActiveRun::Local(run) => {
                run.step();
            }
            ActiveRun::Child(run) => run.request(false),
            ActiveRun::Failed { .. } | ActiveRun::Recorded { .. } => {}
        }
    }

    fn poll(&mut self) -> bool {
        match self {
            ActiveRun::Child(run) => run.poll(),
            _ => false,
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
    run: ActiveRun,
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
        let run = start(scenarios[0].as_ref(), "correct", options, &program);
        ScenarioSession {
            scenarios,
            selected: 0,
            variant: "correct",
            options,
            run,
            program,
            auto_run: false,
            steps_per_second: 2.0,
            last_auto_step: None,
            batch: None,
        }
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

    pub fn run(&self) -> &ActiveRun {
        &self.run
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
        let scenario = self.scenarios[self.selected].as_ref();
        self.run = ActiveRun::Recorded {
            steps: scenario.start(self.variant, self.options).steps().to_vec(),
            model,
            scenario: scenario.id(),
            variant: self.variant.to_owned(),
        };
    }

    /// Leaks the report would state now, with their remedies.
    pub fn leaks(&self) -> Vec<Anomaly> {
        let scenario = self.scenario();
        self.run.model().leak_anomalies(&|site| scenario.releaser(site))
    }

    pub fn apply(&mut self, command: ScenarioCommand) {
        match command {
            ScenarioCommand::Select(id) => {
                if let Some(index) = self.scenarios.iter().position(|s| s.id() == id) {
                    self.selected = index;
                    self.variant = "correct";
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
                if !self.run.is_over() && !self.run.busy() {
                    self.run.step();
                }
            }
            ScenarioCommand::Back => {
                let target = self.run.steps_run().saturating_sub(1);
                self.restart();
                self.replay(target);
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
            ScenarioCommand::Export => {}
        }
    }

    /// Advances what runs on its own: the child's answers and the auto-run
    /// clock. Returns how long until something is due, if anything is.
    pub fn tick(&mut self, now: Instant) -> Option<Duration> {
        self.run.poll();
        let batch_running = self.batch.as_mut().is_some_and(|batch| {
            batch.poll();
            !batch.is_done()
        });
        if batch_running && !self.auto_run && !self.run.busy() {
            return Some(Duration::from_millis(100));
        }
        if !self.auto_run {
            return self.run.busy().then_some(Duration::from_millis(30));
        }
        if self.run.is_over() {
            self.auto_run = false;
            return None;
        }
        let interval = Duration::from_secs_f32(1.0 / self.steps_per_second);
        let due = self.last_auto_step.is_none_or(|last| now.duration_since(last) >= interval);
        if due && !self.run.busy() {
            self.run.step();
            self.last_auto_step = Some(now);
        }
        Some(interval.min(Duration::from_millis(30)))
    }

    /// Runs `steps` steps from a fresh start, waiting for a child to answer:
    /// runs are deterministic, so this is how Back gets to the previous step.
    fn replay(&mut self, steps: usize) {
        for _ in 0..steps {
            self.run.step();
            if let ActiveRun::Child(run) = &mut self.run {
                run.wait();
            }
        }
    }

    fn restart(&mut self) {
        self.auto_run = false;
        self.run = start(self.scenarios[self.selected].as_ref(), self.variant, self.options, &self.program);
    }
}

fn start(scenario: &dyn Scenario, variant: &str, options: RunOptions, program: &std::path::Path) -> ActiveRun {
    if !scenario.variant(variant).is_some_and(|v| v.crashes) {
        return ActiveRun::Local(Runner::new(scenario, variant, options));
    }
    match IsolatedRun::spawn(program, scenario, variant, options) {
        Ok(run) => ActiveRun::Child(run),
        Err(error) => ActiveRun::Failed {
            steps: scenario.start(variant, options).steps().to_vec(),
            model: Model::new(),
            error: format!("could not start {} as an isolated child: {error}", program.display()),
        },
    }
}
