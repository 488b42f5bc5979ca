//! Every scenario × variant in turn on a worker thread, with progress: what
//! `ffiscope run --all` prints, for the Scenarios tab. Crashing variants run
//! in a child, as everywhere else.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};

use super::isolated::run_isolated;
use super::runner::Runner;
use super::{RunOptions, Scenario, catalogue};
use crate::report::Report;

/// Runs one variant to the end: in this process, or in a child if it crashes.
pub fn report_for(
    scenario: &dyn Scenario,
    variant: &str,
    options: RunOptions,
    program: &Path,
) -> std::io::Result<Report> {
    if scenario.variant(variant).is_some_and(|v| v.crashes) {
        run_isolated(program, scenario, variant, options)
    } else {
        Ok(Runner::new(scenario, variant, options).run_to_end())
    }
}

/// One finished run, or why it could not run.
#[derive(Debug, Clone)]
pub struct BatchResult {
    pub scenario: &'static str,
    pub variant: &'static str,
    pub report: Result<Report, String>,
}

#[derive(Debug)]
enum Message {
    Started(&'static str, &'static str),
    Finished(Box<BatchResult>),
}

/// A batch under way or done. Dropping it stops the worker after its
/// current run; nothing waits for it.
#[derive(Debug)]
pub struct BatchRun {
    total: usize,
    running: Option<(&'static str, &'static str)>,
    results: Vec<BatchResult>,
    receiver: Receiver<Message>,
    stop: Arc<AtomicBool>,
    /// Why the batch could not start at all.
    error: Option<String>,
}

impl BatchRun {
    /// Starts every variant of every scenario; `program` is this program, for
    /// the variants that run as a child.
    pub fn start(program: PathBuf, options: RunOptions) -> BatchRun {
        let total = catalogue().iter().map(|s| s.variants().len()).sum();
        let (sender, receiver) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let worker_stop = Arc::clone(&stop);
        let spawned = std::thread::Builder::new()
            .name("run-all".into())
            .spawn(move || run_every_variant(&program, options, &sender, &worker_stop));
        let error = spawned.err().map(|error| format!("could not start a worker thread: {error}"));
        BatchRun { total, running: None, results: Vec::new(), receiver, stop, error }
    }

    /// Takes in what the worker has finished since the last call.
    pub fn poll(&mut self) {
        while let Ok(message) = self.receiver.try_recv() {
            match message {
                Message::Started(scenario, variant) => self.running = Some((scenario, variant)),
                Message::Finished(result) => {
                    self.running = None;
                    self.results.push(*result);
                }
            }
        }
    }

    /// (finished, total).
    pub fn progress(&self) -> (usize, usize) {
        (self.results.len(), self.total)
    }

    pub fn is_done(&self) -> bool {
        self.error.is_some() || self.results.len() >= self.total
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The scenario and variant running now.
    pub fn running(&self) -> Option<(&'static str, &'static str)> {
        self.running
    }

    pub fn results(&self) -> &[BatchResult] {
        &self.results
    }
}

impl Drop for BatchRun {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn run_every_variant(program: &Path, options: RunOptions, sender: &Sender<Message>, stop: &AtomicBool) {
    for scenario in &catalogue() {
        for variant in scenario.variants() {
            if stop.load(Ordering::Relaxed) || sender.send(Message::Started(scenario.id(), variant.name)).is_err() {
                return;
            }
            let report = report_for(scenario.as_ref(), variant.name, options, program).map_err(|e| e.to_string());
            let result = BatchResult { scenario: scenario.id(), variant: variant.name, report };
            if sender.send(Message::Finished(Box::new(result))).is_err() {
                return;
            }
        }
    }
}
