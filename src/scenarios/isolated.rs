//! Variants whose lesson is a real crash run in a child process: the app
//! starts its own binary as `ffiscope run <id> --variant <v> --isolated`,
//! sends it `step` or `run` lines on stdin, and reads JSON lines back on
//! stdout. The parent rebuilds the model from them, so it can plot a run live
//! and still report it after the child dies: the signal, the last step
//! reached, and any panic message the child printed.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::ffi::Event;
use crate::record::flame::FlameStack;
use crate::report::{AnomalyReport, Outcome, Report};
use crate::track::{Anomaly, EventSource as _, Model};

use super::child_stream::{ChildStream, Incoming, News};
use super::run_source::{Crash, RunLog, RunSource};
use super::runner::Runner;
use super::{RunOptions, Scenario, ScenarioInfo};

/// How long a child may take for one step before it is killed as hung.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long after the child exits its last words on stderr may still arrive.
const STDERR_GRACE: Duration = Duration::from_millis(200);

/// One line from the child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChildMessage {
    /// Sent before the step runs, so a crash inside it still names it.
    StepBegin {
        index: u32,
    },
    Event {
        event: Event,
    },
    /// An anomaly found outside the allocator (lost updates, caught panics).
    Anomaly {
        anomaly: AnomalyReport,
    },
    StepEnd {
        index: u32,
        summary: String,
        notes: Vec<String>,
        /// The run's own counts after the step.
        #[serde(default)]
        tallies: Vec<(String, u64)>,
    },
    /// A recording's call stacks and what each made (`record --out`), for
    /// a flame graph read back: just before `done`.
    Stacks {
        stacks: Vec<FlameStack>,
        /// The frames of each stack the recording kept (`--stack`; 0 for
        /// the allocating line alone); none in a file written before it was said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        frames: Option<u8>,
    },
    Done {
        report: Box<Report>,
    },
}

impl ChildMessage {
    /// What the message tells a model: the part every reader of this stream
    /// (an isolated run, a recording read back from a file) shares.
    pub fn apply_to(&self, model: &mut Model) {
        match self {
            ChildMessage::StepBegin { index } => model.begin_step(*index),
            ChildMessage::Event { event } => model.apply(event),
            ChildMessage::Anomaly { anomaly } => model.push_anomaly(anomaly.clone().into()),
            ChildMessage::StepEnd { tallies, .. } => {
                for (name, value) in tallies {
                    model.set_tally(name, *value);
                }
            }
            ChildMessage::Done { report } => model.set_dropped_events(report.dropped_events),
            ChildMessage::Stacks { .. } => {}
        }
    }
}

fn send(out: &mut dyn Write, message: &ChildMessage) -> std::io::Result<()> {
    let line = serde_json::to_string(message).map_err(std::io::Error::other)?;
    writeln!(out, "{line}")?;
    out.flush()
}

/// The child's side: runs steps as `step`/`run` lines arrive and streams
/// what happened. Ends with a `done` message when every step has run.
pub fn serve_child(
    scenario: &dyn Scenario,
    variant: &str,
    options: RunOptions,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut runner = Runner::new(scenario, variant, options);
    let mut line = String::new();
    while !runner.is_finished() {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let steps_wanted = match line.trim() {
            "step" => 1,
            "run" => usize::MAX,
            _ => 0,
        };
        for _ in 0..steps_wanted {
            if runner.is_finished() {
                break;
            }
            let index = runner.next_step() as u32;
            let anomalies_before = runner.model().anomalies().len();
            send(out, &ChildMessage::StepBegin { index })?;
            let events = runner.step().unwrap_or_default();
            for event in &events {
                send(out, &ChildMessage::Event { event: *event })?;
            }
            // Anomalies the allocator did not see travel on their own.
            let found_outside = runner.model().anomalies()[anomalies_before..].iter().filter(|a| a.seq.is_none());
            for anomaly in found_outside.cloned().collect::<Vec<_>>() {
                send(out, &ChildMessage::Anomaly { anomaly: AnomalyReport::from(&anomaly) })?;
            }
            let record = runner.records().last().cloned().unwrap_or_default();
            let tallies = runner.model().tallies().iter().map(|(name, &value)| (name.clone(), value)).collect();
            send(out, &ChildMessage::StepEnd { index, summary: record.summary, notes: record.notes, tallies })?;
        }
    }
    send(out, &ChildMessage::Done { report: Box::new(runner.report()) })
}

/// The parent's side of an isolated run.
#[derive(Debug)]
pub struct IsolatedRun {
    scenario: &'static ScenarioInfo,
    variant: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// What the child streams on stdout, fed into the log's model.
    stream: ChildStream,
    stderr: Receiver<String>,
    stderr_text: String,
    /// Everything the child wrote on stderr has been read.
    stderr_closed: bool,
    /// The child's exit status and when it was first seen.
    exited: Option<(std::io::Result<ExitStatus>, Instant)>,
    /// The model is rebuilt here from what the child streams.
    log: RunLog,
    steps_begun: u32,
    requested: usize,
    waiting_since: Option<Instant>,
    outcome: Option<Finished>,
}

/// How the child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub outcome: Outcome,
    pub signal: Option<String>,
    /// Set when the child ended in a way that is not a lesson (could not
    /// start, printed garbage, hung).
    pub error: Option<String>,
}

impl IsolatedRun {
    /// Starts `program` (this very binary) on the scenario.
    pub fn spawn(
        program: &Path,
        scenario: &dyn Scenario,
        variant: &str,
        options: RunOptions,
    ) -> std::io::Result<IsolatedRun> {
        let mut child = Command::new(program)
            .args(["run", scenario.id(), "--variant", variant, "--isolated", "--threads", &options.threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
        let stderr = child.stderr.take().ok_or_else(|| std::io::Error::other("no stderr pipe"))?;
        let (message_tx, messages) = channel();
        let name = format!("{}-{variant}-stdout", scenario.id());
        thread::Builder::new().name(name).spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let incoming = match serde_json::from_str::<ChildMessage>(&line) {
                    Ok(message) => Incoming::Message(Box::new(message)),
                    Err(_) => Incoming::Garbled(line),
                };
                if message_tx.send(incoming).is_err() {
                    return;
                }
            }
            let _ = message_tx.send(Incoming::Closed);
        })?;
        let (stderr_tx, stderr_lines) = channel();
        let name = format!("{}-{variant}-stderr", scenario.id());
        thread::Builder::new().name(name).spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if stderr_tx.send(line).is_err() {
                    return;
                }
            }
        })?;
        // The child builds the same steps; the parent needs their titles now.
        let steps = scenario.start(variant, options).steps().to_vec();
        Ok(IsolatedRun {
            scenario: scenario.info(),
            variant: variant.to_owned(),
            stdin: child.stdin.take(),
            child,
            stream: ChildStream::new(messages),
            stderr: stderr_lines,
            stderr_text: String::new(),
            stderr_closed: false,
            exited: None,
            log: RunLog::new(steps),
            steps_begun: 0,
            requested: 0,
            waiting_since: None,
            outcome: None,
        })
    }

    pub fn finished(&self) -> Option<&Finished> {
        self.outcome.as_ref()
    }

    /// Steps asked for but not yet reported back.
    pub fn steps_pending(&self) -> bool {
        self.outcome.is_none() && self.requested > self.log.records.len()
    }

    /// Something is still to come: an answer, or the child's exit.
    fn expecting(&self) -> bool {
        self.steps_pending() || (self.stream.is_closed() && self.outcome.is_none())
    }

    /// What the child printed on stderr so far.
    pub fn stderr_text(&self) -> &str {
        &self.stderr_text
    }

    /// Asks the child for one more step (or all of them).
    pub fn request(&mut self, all: bool) {
        if self.outcome.is_some() {
            return;
        }
        let line = if all { "run\n" } else { "step\n" };
        let steps = self.log.steps.len();
        self.requested = if all { steps } else { (self.requested + 1).min(steps) };
        self.waiting_since.get_or_insert_with(Instant::now);
        if let Some(stdin) = &mut self.stdin
            && (stdin.write_all(line.as_bytes()).is_err() || stdin.flush().is_err())
        {
            self.stdin = None; // the child is gone; poll() will say how
        }
    }

    /// Takes whatever the child sent since the last call. Returns true if
    /// anything changed. Never blocks: a child that closed its output is
    /// reaped by a later call once it has exited.
    pub fn poll(&mut self) -> bool {
        let mut changed = self.take_stderr();
        let was_closed = self.stream.is_closed();
        changed |= self.stream.feed_all(&mut self.log.model) > 0;
        for news in self.stream.take_news() {
            self.take(news);
            changed = true;
        }
        if self.stream.is_closed() {
            changed |= !was_closed;
            changed |= self.reap();
        }
        if self.outcome.is_none()
            && self.waiting_since.is_some_and(|since| since.elapsed() > STEP_TIMEOUT * (self.requested.max(1) as u32))
        {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.finish(
                Outcome::Crashed,
                Some("SIGKILL".to_owned()),
                Some("the child stopped answering and was killed".to_owned()),
            );
            changed = true;
        }
        changed
    }

    /// Moves what the child printed on stderr into `stderr_text`.
    fn take_stderr(&mut self) -> bool {
        let mut changed = false;
        loop {
            match self.stderr.try_recv() {
                Ok(line) => {
                    self.stderr_text.push_str(&line);
                    self.stderr_text.push('\n');
                    changed = true;
                }
                Err(TryRecvError::Empty) => return changed,
                Err(TryRecvError::Disconnected) => {
                    self.stderr_closed = true;
                    return changed;
                }
            }
        }
    }

    /// Blocks until every requested step has reported or the child has ended.
    pub fn wait(&mut self) {
        while self.steps_pending() {
            if !self.poll() {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        self.poll();
    }

    /// What the run keeps of the child's messages besides the model.
    fn take(&mut self, news: News) {
        match news {
            News::StepBegun(index) => self.steps_begun = index + 1,
            News::Event(event) => self.log.events.push(event),
            News::StepEnded(record) => {
                self.log.records.push(record);
                if self.log.records.len() >= self.requested {
                    self.waiting_since = None;
                } else {
                    self.waiting_since = Some(Instant::now());
                }
            }
            News::Garbled(line) => {
                let _ = writeln!(self.stderr_text, "(unreadable line from the child) {line}");
            }
        }
    }

    /// The child closed its output: once it has exited and its stderr is
    /// read to the end (or a moment has passed), say how it ended.
    fn reap(&mut self) -> bool {
        if self.outcome.is_some() {
            return false;
        }
        if self.exited.is_none() {
            match self.child.try_wait() {
                Ok(None) => return false,
                Ok(Some(status)) => self.exited = Some((Ok(status), Instant::now())),
                Err(error) => self.exited = Some((Err(error), Instant::now())),
            }
        }
        self.take_stderr();
        let Some((status, seen)) = &self.exited else { return false };
        if !self.stderr_closed && seen.elapsed() < STDERR_GRACE {
            return false;
        }
        match status {
            Ok(status) if status.success() => self.finish(Outcome::Completed, None, None),
            Ok(status) => {
                if let Some(signal) = signal_name(*status) {
                    self.finish(Outcome::Crashed, Some(signal), None);
                } else {
                    let error = format!("the child exited with {status}: {}", self.stderr_text.trim());
                    self.finish(Outcome::Crashed, None, Some(error));
                }
            }
            Err(error) => {
                let error = format!("could not wait for the child: {error}");
                self.finish(Outcome::Crashed, None, Some(error));
            }
        }
        true
    }

    fn finish(&mut self, outcome: Outcome, signal: Option<String>, error: Option<String>) {
        if outcome == Outcome::Crashed {
            let step = self.steps_begun.checked_sub(1);
            if let Some(message) = panic_message(&self.stderr_text) {
                let mut anomaly = Anomaly::panic("callback", &message);
                anomaly.step = step;
                self.log.model.push_anomaly(anomaly);
            }
            let title = step.and_then(|s| self.log.steps.get(s as usize)).map_or("", |s| s.title);
            let label = signal.as_deref().unwrap_or("an error");
            let mut crash = Anomaly::crash(label, step, title);
            // Marked on the plot where the stream stopped.
            crash.seq = Some(self.log.model.next_seq());
            crash.time_ns = self.log.model.last_time_ns();
            self.log.model.push_anomaly(crash);
        }
        self.stdin = None;
        self.waiting_since = None;
        self.outcome = Some(Finished { outcome, signal, error });
    }

    /// The report, as complete as the child got.
    pub fn report(&self) -> Report {
        let scenario = self.scenario;
        let mut report = Report::from_model(scenario.id, &self.variant, self.steps_begun, &self.log.model, &|site| {
            scenario.releaser(site)
        });
        report.steps = self.log.step_reports(scenario, &self.variant);
        if let Some(finished) = &self.outcome {
            report.outcome = finished.outcome;
            report.signal.clone_from(&finished.signal);
            if finished.outcome == Outcome::Crashed {
                // A run cut short never reached the steps that release its
                // blocks: what is outstanding is not a leak, and the counts say it.
                report.anomalies.retain(|a| a.kind != crate::track::AnomalyKind::Leak);
            }
        }
        report
    }

    /// Index of the step that ran last (or is running), if any.
    pub fn last_step_reached(&self) -> Option<u32> {
        self.steps_begun.checked_sub(1)
    }
}

impl RunSource for IsolatedRun {
    fn log(&self) -> &RunLog {
        &self.log
    }

    fn is_over(&self) -> bool {
        self.outcome.is_some() || self.log.records.len() >= self.log.steps.len()
    }

    fn busy(&self) -> bool {
        self.expecting()
    }

    fn step(&mut self) {
        self.request(false);
    }

    fn poll(&mut self) -> bool {
        IsolatedRun::poll(self)
    }

    fn report(&self) -> Option<Report> {
        Some(IsolatedRun::report(self))
    }

    fn error(&self) -> Option<&str> {
        self.outcome.as_ref().and_then(|f| f.error.as_deref())
    }

    fn crash(&self) -> Option<Crash<'_>> {
        let finished = self.outcome.as_ref().filter(|f| f.outcome == Outcome::Crashed)?;
        Some(Crash {
            signal: finished.signal.as_deref().unwrap_or("an error"),
            step: self.last_step_reached(),
            stderr: &self.stderr_text,
        })
    }
}

impl Drop for IsolatedRun {
    fn drop(&mut self) {
        self.stdin = None;
        if self.outcome.is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The panic message a Rust child printed, if it printed one.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    let at = lines.position(|line| line.contains("panicked at"))?;
    let detail = stderr.lines().nth(at + 1).unwrap_or("").trim();
    let cannot_unwind = stderr.contains("panic in a function that cannot unwind");
    let mut message = if detail.is_empty() { "a panic".to_owned() } else { format!("\"{detail}\"") };
    if cannot_unwind {
        message.push_str(", which cannot unwind out of an extern \"C\" function, so Rust aborted the process");
    }
    Some(message)
}

#[cfg(unix)]
fn signal_name(status: ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt as _;
    status.signal().map(signal_label)
}

#[cfg(not(unix))]
fn signal_name(_status: ExitStatus) -> Option<String> {
    None
}

/// "SIGSEGV", or "signal 42" for one without a usual name.
pub fn signal_label(signal: i32) -> String {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGTERM => "SIGTERM",
        other => return format!("signal {other}"),
    };
    name.to_owned()
}

/// Runs a whole variant in a child and waits for it: the headless path.
pub fn run_isolated(
    program: &Path,
    scenario: &dyn Scenario,
    variant: &str,
    options: RunOptions,
) -> std::io::Result<Report> {
    let mut run = IsolatedRun::spawn(program, scenario, variant, options)?;
    run.request(true);
    run.wait();
    while run.finished().is_none() {
        if !run.poll() {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    if let Some(error) = run.finished().and_then(|f| f.error.clone()) {
        return Err(std::io::Error::other(error));
    }
    Ok(run.report())
}
