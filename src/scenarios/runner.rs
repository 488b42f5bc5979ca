//! Runs a scenario step by step against its own tracker and model.

use crate::ffi::Tracker;
use crate::report::Report;
use crate::track::Model;

use super::{Scenario, ScenarioRun, StepContext, StepInfo};

pub struct Runner {
    scenario_id: &'static str,
    variant: String,
    tracker: Tracker,
    model: Model,
    run: Option<Box<dyn ScenarioRun>>,
    next_step: usize,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("scenario", &self.scenario_id)
            .field("variant", &self.variant)
            .field("next_step", &self.next_step)
            .finish_non_exhaustive()
    }
}

impl Runner {
    pub fn new(scenario: &dyn Scenario, variant: &str) -> Runner {
        // The run's own state is built outside any scope: only what the
        // steps allocate belongs on the scenario's books.
        Runner {
            scenario_id: scenario.id(),
            variant: variant.to_owned(),
            tracker: Tracker::new(),
            model: Model::new(),
            run: Some(scenario.start(variant)),
            next_step: 0,
        }
    }

    pub fn steps(&self) -> &[StepInfo] {
        self.run.as_ref().map_or(&[], |run| run.steps())
    }

    pub fn next_step(&self) -> usize {
        self.next_step
    }

    pub fn is_finished(&self) -> bool {
        self.next_step >= self.steps().len()
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Runs the next step and drains what it did into the model. Returns
    /// false when there was no step left.
    pub fn step(&mut self) -> bool {
        let Some(run) = self.run.as_mut() else { return false };
        let index = self.next_step;
        if index >= run.steps().len() {
            return false;
        }
        self.model.begin_step(index as u32);
        {
            let _scope = self.tracker.scope();
            run.run_step(index, &StepContext { tracker: &self.tracker });
        }
        // A write past the end or after a free is found when it is checked.
        self.tracker.check_all();
        self.model.drain_from(&self.tracker);
        self.next_step += 1;
        true
    }

    /// Runs every remaining step and returns the report.
    pub fn run_to_end(mut self) -> Report {
        while self.step() {}
        self.report()
    }

    pub fn report(&self) -> Report {
        Report::from_model(self.scenario_id, &self.variant, self.next_step as u32, &self.model)
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
