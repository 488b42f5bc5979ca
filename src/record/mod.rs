//! Recording any program: `ffiscope record -- ./prog`. The program runs with
//! a preloaded library ([`preload`]) that records every allocation in a
//! tracker of its own, whose rings are in memory shared with ffiscope
//! ([`crate::ffi::record_channel`]), read here in place. Here the events are symbolized
//! ([`symbols`]), each block is told Rust or C by its allocation's call
//! site, frees across the two are flagged, and the events feed the same
//! [`Model`] as every other run.

pub mod compare;
pub mod flame;
pub mod flame_tree;
pub mod interpreter;
pub mod preload;
pub mod program;
mod rust_code;
pub mod session;
pub mod suppressions;
pub mod symbols;
pub mod trace;
pub mod wrappers;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use crate::ffi::record_channel::{CHANNEL_FILE_NAME, Channel, ChannelState, RecordedProgram, StartedUnrecorded};
use crate::report::{Outcome, OwnAllocator, ProcessReport, RECORDED, Report, share};
use crate::scenarios::isolated::signal_label;
use crate::track::{Anomaly, AnomalyKind, EventSource, Model};
pub use interpreter::{Held, Interpreter, LeakCheck};
use suppressions::Suppressions;
use wrappers::Wrappers;

/// Events each of the program's rings holds: 8 MiB of them.
const RING_EVENTS: usize = 1 << 18;

/// Channels made for the processes a recorded program starts, with
/// `--follow-children` and no number: the first so many each record on
/// their own, later ones are counted as started unrecorded. A channel no
/// process claims costs its header's pages alone; one claimed, the pages
/// its process wrote, until the recording ends.
pub const FOLLOWED_PROCESSES: usize = 32;

/// The most processes `--follow-children=N` follows: each channel is a
/// descriptor every process started inherits.
pub const FOLLOWED_PROCESSES_AT_MOST: usize = 256;

/// How often /proc is read for followed processes that may have been
/// killed (one that ends by itself says so in its channel).
const LOOK_FOR_THE_KILLED_EVERY: Duration = Duration::from_millis(20);

/// Followed processes that have gone kept whole for the report, at most:
/// each keeps its model (up to 8 MiB). Those past it are counted.
pub const FOLLOWED_KEPT_AT_MOST: usize = 4096;

/// The least alignment of a guarded block unless asked otherwise
/// (`--guard-align`): what glibc's malloc promises every block on x86-64 and
/// aarch64, `alignof(max_align_t)`, and what Rust's system allocator counts
/// on (a block of 16 bytes or more asked 16-aligned is plain `malloc`'s, and
/// hashbrown's tables are read with aligned SSE loads: at 8, every Rust
/// program with a `HashMap` faulted).
pub const GUARD_ALIGNMENT: u8 = 16;

/// What to record and how.
#[derive(Debug, Clone, Default)]
pub struct RecordSpec {
    pub program: String,
    pub args: Vec<OsString>,
    pub working_dir: Option<PathBuf>,
    /// Where the program's output goes.
    pub output: ProgramOutput,
    /// Every block guarded (`--guard`), with at least this alignment:
    /// overflows and uses after free fault where they happen.
    pub guard: Option<u8>,
    /// Frames kept of each allocation's stack (`--stack`).
    pub stack: Option<u8>,
    /// The programs it starts recorded too, each on its own, up to so many
    /// processes (`--follow-children`); 0: none.
    pub follow_children: usize,
    /// Programs not followed (`--follow-skip`): shell patterns separated
    /// by commas, each matched against a program's path, the name it was
    /// started by, and their file names (`csrc/record/claim.c`).
    pub follow_skip: String,
    /// The program's own allocation wrappers (`--alloc-fn`), besides the
    /// known ones: a block made in one is named by its caller.
    pub wrappers: Wrappers,
}

/// Where a recorded program's stdout and stderr go: never into ffiscope's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgramOutput {
    /// The terminal's, as without ffiscope.
    #[default]
    Inherited,
    /// stdout to ffiscope's stderr, so stdout carries ffiscope's report alone.
    ToStderr,
    /// Both through pipes, for the app to show.
    Captured,
}

/// Why a recording could not start.
#[derive(Debug)]
pub enum StartError {
    Unrecordable(program::Unrecordable),
    Setup(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Unrecordable(why) => write!(f, "{why}"),
            StartError::Setup(error) => write!(f, "could not start the recording: {error}"),
        }
    }
}

/// A program being recorded.
#[derive(Debug)]
pub struct Recording {
    child: Child,
    main: Recorded,
    /// With `--follow-children`: a channel for each process it may start
    /// at once, claimed in order, and made free again once its process
    /// has gone.
    followed: Vec<Followed>,
    /// Followed processes that have gone, their channels made free again
    /// (at most `FOLLOWED_KEPT_AT_MOST`).
    ended: Vec<FollowedProcess>,
    /// Followed processes that have gone past those kept: counted.
    ended_not_kept: u64,
    /// Followed processes seen so far: the next one's number.
    seen: usize,
    /// When /proc was last read for followed processes that were killed.
    looked: Instant,
    /// With `--out`: the file the program's events go to, beside which each
    /// followed process's go (`run.4242.fsrec`).
    out: Option<PathBuf>,
    /// Stop ended it, and the followed processes with it.
    stopped: bool,
    status: Option<ExitStatus>,
}

/// A followed process while the recording runs: one recording now, or
/// one that has gone.
#[derive(Debug)]
pub struct FollowedNow<'a> {
    /// Its place among the followed processes, in the order they began.
    pub number: usize,
    pub pid: i32,
    pub model: &'a SharedModel,
    program: ProgramSource<'a>,
    /// It has gone, its channel made free again: "completed" or "crashed"
    /// (which signal, and its leaks, are told once the recording ends).
    pub ended: Option<&'static str>,
}

#[derive(Debug)]
enum ProgramSource<'a> {
    Channel(&'a Channel),
    Ended(&'a RecordedProgram),
}

impl FollowedNow<'_> {
    /// Its program, once it has written it whole.
    pub fn program(&self) -> Option<RecordedProgram> {
        match self.program {
            ProgramSource::Channel(channel) => channel.program(),
            ProgramSource::Ended(program) => Some(program.clone()),
        }
    }
}

/// One process's channel, and what its events mean.
#[derive(Debug)]
struct Recorded {
    channel: Channel,
    interpreter: Interpreter,
}

/// A process the recorded program started, recorded into a model of its
/// own, which a view may read as it fills.
#[derive(Debug)]
struct Followed {
    recorded: Recorded,
    /// Its place among the followed processes, once its channel is seen claimed.
    number: Option<usize>,
    model: SharedModel,
    /// Where its events are written (`--out`'s file with its pid), once
    /// the file is made, or why it could not be.
    trace: Option<Result<PathBuf, String>>,
}

/// A model a worker fills and a view draws.
pub type SharedModel = Arc<Mutex<Model>>;

/// The value behind `mutex`, even if a thread panicked holding it: a
/// model is whole between events.
pub fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Recording {
    pub fn start(spec: &RecordSpec) -> Result<Recording, StartError> {
        let path = program::recordable(&spec.program).map_err(StartError::Unrecordable)?;
        let library = preload::library_path().map_err(StartError::Setup)?;
        let channel = Channel::create(RING_EVENTS).map_err(StartError::Setup)?;
        let followed: Vec<Channel> = (0..spec.follow_children.min(FOLLOWED_PROCESSES_AT_MOST))
            .map(|_| Channel::create(RING_EVENTS))
            .collect::<std::io::Result<_>>()
            .map_err(StartError::Setup)?;
        let mut command = Command::new(&path);
        command.args(&spec.args);
        if let Some(dir) = &spec.working_dir {
            command.current_dir(dir);
        }
        let mut preload = OsString::from(&library);
        if let Some(existing) = std::env::var_os("LD_PRELOAD").filter(|p| !p.is_empty()) {
            preload.push(":");
            preload.push(existing);
        }
        command.env("LD_PRELOAD", preload);
        for variable in [
            "FFISCOPE_RECORD_GUARD",
            "FFISCOPE_RECORD_GUARD_ALIGN",
            "FFISCOPE_RECORD_STACK",
            "FFISCOPE_RECORD_FOLLOW_SKIP",
        ] {
            command.env_remove(variable);
        }
        if !spec.follow_skip.trim().is_empty() {
            command.env("FFISCOPE_RECORD_FOLLOW_SKIP", spec.follow_skip.trim());
        }
        if let Some(alignment) = spec.guard {
            command.env("FFISCOPE_RECORD_GUARD", "1").env("FFISCOPE_RECORD_GUARD_ALIGN", alignment.to_string());
        }
        if let Some(frames) = spec.stack {
            command.env("FFISCOPE_RECORD_STACK", frames.to_string());
        }
        match spec.output {
            ProgramOutput::Inherited => {}
            ProgramOutput::ToStderr => {
                command.stdout(Stdio::from(std::io::stderr()));
            }
            ProgramOutput::Captured => {
                command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
            }
        }
        let child = channel.spawn(&mut command, &followed).map_err(StartError::Setup)?;
        let followed = followed.into_iter().map(|channel| Followed {
            recorded: Recorded::new(channel, &spec.wrappers),
            number: None,
            model: SharedModel::default(),
            trace: None,
        });
        Ok(Recording {
            child,
            main: Recorded::new(channel, &spec.wrappers),
            followed: followed.collect(),
            ended: Vec::new(),
            ended_not_kept: 0,
            seen: 0,
            looked: Instant::now(),
            out: None,
            stopped: false,
            status: None,
        })
    }

    /// Also writes every event from now on to `path`, as `ffiscope open`
    /// reads it (already made as `trace`), and each followed process's to a
    /// file beside it named with its pid.
    pub fn write_to(&mut self, trace: trace::TraceWriter, path: &std::path::Path) {
        self.main.interpreter.trace = Some(trace);
        self.out = Some(path.to_owned());
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The allocator functions the program defines itself, once its
    /// recording has told them (at its start).
    pub fn own_allocator(&self) -> Option<&OwnAllocator> {
        self.main.interpreter.own_allocator.as_ref()
    }

    /// The program's stdout and stderr, when they were captured.
    pub fn take_output(&mut self) -> (Option<std::process::ChildStdout>, Option<std::process::ChildStderr>) {
        (self.child.stdout.take(), self.child.stderr.take())
    }

    /// Ends the program (SIGKILL), and each followed process still
    /// running: what they recorded until then is kept.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        self.stopped = true;
        for followed in &self.followed {
            if followed.recorded.channel.recorded_pid().is_some_and(maps_a_channel) {
                followed.recorded.channel.kill_recorder();
            }
        }
    }

    /// The program's exit status, once it has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits for the program to end and takes every event it left, and
    /// every event of the processes it started that were followed.
    pub fn finish(mut self, model: &mut Model) -> Finished {
        let status = self.status.or_else(|| self.child.wait().ok());
        self.feed_all(model);
        let followed_channels = self.followed.len();
        let (out, stopped) = (self.out.as_deref(), self.stopped);
        let mut followed = std::mem::take(&mut self.ended);
        for channel in &mut self.followed {
            if channel.is_claimed() {
                let number = *channel.number.get_or_insert_with(|| post_increment(&mut self.seen));
                followed.extend(channel.finish(out, stopped, number));
            }
        }
        followed.sort_by_key(|process| process.number);
        let main = self.main.finish();
        // Which signal ended a followed process that was killed, as the
        // recorded process that reaped it saw (a pool's terminate).
        let killed: FxHashMap<i32, i32> = std::iter::once(&main.interpreter)
            .chain(followed.iter().map(|process| &process.finished.interpreter))
            .flat_map(|interpreter| interpreter.children_killed.iter().map(|(&pid, &signal)| (pid, signal)))
            .collect();
        for process in &mut followed {
            if process.finished.ending == Ending::Cut {
                process.finished.killed_by = killed.get(&process.pid).copied();
            }
        }
        Finished { status, followed, followed_channels, followed_not_kept: self.ended_not_kept, ..main }
    }

    /// Applies to each followed process's own model at most `max` of the
    /// events it has handed over (each model locked on its own, the
    /// program's not at all); returns how many in all.
    ///
    /// A process that has gone (or exec'd a program `--follow-skip` names)
    /// is finished once its last event is in, and its channel made free
    /// for the next process: so channels bound how many processes are
    /// followed at once, not in all. One that gave its channel back with
    /// no finding is not kept: it only ran a skipped program.
    pub fn feed_followed(&mut self, max: usize) -> usize {
        let out = self.out.as_deref();
        let look = self.looked.elapsed() >= LOOK_FOR_THE_KILLED_EVERY;
        if look {
            self.looked = Instant::now();
        }
        let mut taken = 0;
        for channel in &mut self.followed {
            if !channel.is_claimed() {
                continue;
            }
            let number = *channel.number.get_or_insert_with(|| post_increment(&mut self.seen));
            channel.begin_trace(out);
            taken += channel.recorded.feed(&mut locked(&channel.model), max);
            if channel.has_gone(look) {
                let ended = channel.finish(out, false, number);
                channel.make_free();
                match ended {
                    Some(process) if self.ended.len() < FOLLOWED_KEPT_AT_MOST => self.ended.push(process),
                    Some(_) => self.ended_not_kept += 1,
                    None => {}
                }
            }
        }
        taken
    }

    /// The processes followed so far, those recording now and those that
    /// have gone, in the order they began.
    pub fn followed(&self) -> Vec<FollowedNow<'_>> {
        let ended = self.ended.iter().map(|process| FollowedNow {
            number: process.number,
            pid: process.pid,
            model: &process.model,
            program: ProgramSource::Ended(&process.program),
            ended: Some(process.ended_as),
        });
        let now = self.followed.iter().filter_map(|channel| {
            Some(FollowedNow {
                number: channel.number?,
                pid: channel.recorded.channel.recorded_pid()?,
                model: &channel.model,
                program: ProgramSource::Channel(&channel.recorded.channel),
                ended: None,
            })
        });
        let mut all: Vec<FollowedNow<'_>> = ended.chain(now).collect();
        all.sort_by_key(|process| process.number);
        all
    }
}

/// The recorded program: what it has handed over through the channel, each
/// event named and told Rust or C by the interpreter. The processes it
/// started that are followed feed their own models
/// ([`Recording::feed_followed`]).
impl EventSource for Recording {
    fn feed(&mut self, model: &mut Model, max: usize) -> usize {
        self.main.feed(model, max)
    }
}

impl Recorded {
    fn new(channel: Channel, wrappers: &Wrappers) -> Recorded {
        Recorded { channel, interpreter: Interpreter::new(wrappers.clone()) }
    }

    /// Applies at most `max` of the events waiting in the channel to `model`.
    fn feed(&mut self, model: &mut Model, max: usize) -> usize {
        // A process that execs waits until its modules are read, events or
        // none (a wrapper script may allocate nothing before it execs).
        self.interpreter.add_modules(&self.channel);
        let mut taken = 0;
        while taken < max {
            let read = self.channel.read_events(max - taken);
            if read == 0 {
                break;
            }
            // Modules after the events: the program publishes a module before
            // any event whose site is in it.
            self.interpreter.add_modules(&self.channel);
            self.interpreter.apply_all(self.channel.batch(), self.channel.sites(), self.channel.stacks(), model);
            taken += read;
        }
        model.set_dropped_events(self.channel.dropped());
        taken
    }

    /// Applies every event waiting in the channel.
    fn feed_all(&mut self, model: &mut Model) {
        while self.feed(model, usize::MAX) > 0 {}
    }

    /// How the process ended, as its channel tells (its exit status is
    /// its parent's to know); what its events meant is taken along.
    fn finish(&mut self) -> Finished {
        self.interpreter.settle_allocators();
        let channel = &self.channel;
        let ending = match channel.state() {
            _ if channel.recorded_pid().is_none() => Ending::NotRecorded,
            ChannelState::Finished => Ending::Exited,
            ChannelState::FinishedInFrames => Ending::ExitedInFrames,
            ChannelState::LeftChecked => Ending::LeftThroughExit,
            ChannelState::HandedOver => Ending::LeftUnchecked,
            ChannelState::GivenBack => Ending::GaveBack,
            ChannelState::Starting | ChannelState::Recording => Ending::Cut,
        };
        Finished {
            status: None,
            ending,
            unguarded: channel.guard(),
            stacks_dropped: channel.stacks_dropped(),
            mappings_unread: channel.mappings_unread(),
            started_unrecorded: channel.started_unrecorded(),
            followed: Vec::new(),
            followed_channels: 0,
            killed_by: None,
            followed_not_kept: 0,
            interpreter: std::mem::take(&mut self.interpreter),
        }
    }
}

impl Followed {
    fn is_claimed(&self) -> bool {
        self.recorded.channel.recorded_pid().is_some()
    }

    /// With `--out`, the file its events go to, made before its first event.
    fn begin_trace(&mut self, out: Option<&std::path::Path>) {
        let (Some(out), None, Some(pid)) = (out, &self.trace, self.recorded.channel.recorded_pid()) else { return };
        let path = trace::beside(out, pid);
        self.trace = Some(match trace::TraceWriter::create(&path) {
            Ok(writer) => {
                self.recorded.interpreter.trace = Some(writer);
                Ok(path)
            }
            Err(error) => Err(format!("cannot write {}: {error}", path.display())),
        });
    }

    /// Whether its process will write no more into the channel: it has
    /// handed over its last event (exiting, or through `_exit`), given the
    /// channel back, or, when `look` lets /proc be read, is no longer
    /// running (killed).
    fn has_gone(&self, look: bool) -> bool {
        let channel = &self.recorded.channel;
        let Some(pid) = channel.recorded_pid() else { return false };
        match channel.state() {
            ChannelState::Finished
            | ChannelState::FinishedInFrames
            | ChannelState::LeftChecked
            | ChannelState::HandedOver
            | ChannelState::GivenBack => true,
            ChannelState::Starting | ChannelState::Recording => look && !is_running(pid),
        }
    }

    /// What the process left, once it has gone or the recorded program has
    /// ended, taken out of the channel with its model and file; None for a
    /// channel no process claimed, or a process that only ran a program
    /// `--follow-skip` names (its file removed). `stopped`: Stop sent it
    /// SIGKILL, which may not have landed yet.
    fn finish(&mut self, out: Option<&std::path::Path>, stopped: bool, number: usize) -> Option<FollowedProcess> {
        let pid = self.recorded.channel.recorded_pid()?;
        self.begin_trace(out);
        self.recorded.feed_all(&mut locked(&self.model));
        let program = self.recorded.channel.program().unwrap_or_default();
        let mut finished = self.recorded.finish();
        // Not ended, and its process still there: it outlived the program
        // that started it (a daemon, a job left in the background).
        if finished.ending == Ending::Cut && !stopped && is_running(pid) {
            finished.ending = Ending::StillRunning;
        }
        let (model, trace) = (std::mem::take(&mut self.model), self.trace.take());
        let ended_as = if crashed(&locked(&model), finished.ending) { "crashed" } else { "completed" };
        let process = FollowedProcess { number, pid, program, model, finished, trace, ended_as };
        if process.only_ran_a_skipped_program() {
            process.discard();
            return None;
        }
        Some(process)
    }

    /// The channel made new for another process, once this one's is
    /// finished. A channel that cannot be made new is left to no process.
    fn make_free(&mut self) {
        self.number = None;
        let _ = self.recorded.channel.recycle();
    }
}

/// Whether a process's own fault handler reported a crash.
fn faulted(model: &Model) -> bool {
    model.anomalies().iter().any(|a| a.kind == AnomalyKind::Crash)
}

/// Whether a followed process crashed: it faulted, or never handed over
/// its last events (it was killed).
fn crashed(model: &Model, ending: Ending) -> bool {
    faulted(model) || ending == Ending::Cut
}

/// `counter`'s value, and the counter one past it.
fn post_increment(counter: &mut usize) -> usize {
    *counter += 1;
    *counter - 1
}

/// Whether process `pid` is running: there, and no zombie (dead, its exit
/// status not yet taken by its parent).
fn is_running(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // "pid (command) state …": the command may hold spaces and parentheses.
    stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with(['Z', 'X']))
}

/// Whether process `pid` is running and has a recording channel mapped:
/// still a process of the recording's, not one its pid went to since.
fn maps_a_channel(pid: i32) -> bool {
    is_running(pid)
        && std::fs::read_to_string(format!("/proc/{pid}/maps")).is_ok_and(|maps| maps.contains(CHANNEL_FILE_NAME))
}

/// A process the recorded program started, recorded on its own channel
/// (`--follow-children`).
#[derive(Debug)]
pub struct FollowedProcess {
    /// Its place among the followed processes, in the order they began.
    pub number: usize,
    pub pid: i32,
    pub program: RecordedProgram,
    /// Its events, shared with any view that drew it as it ran.
    pub model: SharedModel,
    pub finished: Finished,
    /// With `--out`: the file its events went to, or why there is none.
    pub trace: Option<Result<PathBuf, String>>,
    /// "completed" or "crashed", as its own channel told when it ended
    /// (which signal, if its parent killed it, is known once the recording ends).
    pub ended_as: &'static str,
}

impl FollowedProcess {
    /// A forked copy that did nothing to find before it exec'd a program
    /// `--follow-skip` names (a shell's child running a skipped compiler).
    fn only_ran_a_skipped_program(&self) -> bool {
        self.finished.ending == Ending::GaveBack && locked(&self.model).anomalies().is_empty()
    }

    /// Not reported: the file its events went to (`--out`) goes too.
    fn discard(self) {
        if let Some(Ok(path)) = &self.trace {
            drop(self.finished.interpreter);
            let _ = std::fs::remove_file(path);
        }
    }

    /// Its heaps, findings and leaks under its own name, with its notes;
    /// its heaps at their peaks, with the `top` sites that held the most;
    /// and the leak check, whose leaks the report lists. Its exit status
    /// was its parent's to take, so it crashed if its own fault handler
    /// said so, or if it never handed over its last events (it was killed).
    pub fn report(&self, suppressions: &Suppressions, top: usize) -> (ProcessReport, LeakCheck) {
        let finished = &self.finished;
        let model = locked(&self.model);
        let check = finished.leaks(&model, suppressions);
        let mut report = Report::with_leaks(&self.program.path, RECORDED, 0, &model, &check.leaks);
        report.profile_heaps(&model, top);
        if crashed(&model, finished.ending) {
            report.outcome = Outcome::Crashed;
        }
        if let Some(signal) = finished.killed_by {
            report.signal = Some(signal_label(signal));
        }
        report.own_allocator.clone_from(&finished.interpreter.own_allocator);
        for (name, count) in finished.leak_tallies(&check) {
            report.tallies.insert(name.to_owned(), count);
        }
        let notes = finished.notes(faulted(&model), &check, &model);
        let recording = self.trace.as_ref().and_then(|kept| kept.as_ref().ok()).map(|path| path.display().to_string());
        let process = ProcessReport {
            pid: self.pid,
            command: self.program.command.clone(),
            report,
            notes,
            recording,
            forked_from: self.program.forked_from,
        };
        (process, check)
    }
}

/// How far a recorded process got, as its channel tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It never started recording: it did not load ffiscope's library.
    NotRecorded,
    /// It reached its exit and handed over every event.
    Exited,
    /// It called `exit` from inside its own frames (a `usage()` or a fatal
    /// error that exits, `--version`, Rust's `process::exit`), not by
    /// returning from `main`: every event was handed over, and what those
    /// frames held, still on the stack, was among what it could reach.
    ExitedInFrames,
    /// It left through `_exit`: every event was handed over, and its leak
    /// check made as it left, though no exit handler ran.
    LeftThroughExit,
    /// It left through `_exit` where its leaks could not be looked for (a
    /// signal handler on a small stack, or one interrupting the recorder):
    /// every event was handed over, no leak check.
    LeftUnchecked,
    /// It ended without handing over its last events: killed, or dead of a signal.
    Cut,
    /// A followed process still running when the recorded program ended.
    StillRunning,
    /// A forked copy that exec'd a program `--follow-skip` names: what it
    /// did until then is here, and its channel went back.
    GaveBack,
}

/// How a recording ended.
#[derive(Debug)]
pub struct Finished {
    pub status: Option<ExitStatus>,
    pub ending: Ending,
    /// With `--guard`: how many blocks the guard had no room for.
    pub unguarded: Option<u64>,
    /// Stacks the channel's table had no room for.
    pub stacks_dropped: u64,
    /// The program's own mappings the leak check could not read.
    pub mappings_unread: u64,
    /// The programs it started, which ran unrecorded.
    pub started_unrecorded: StartedUnrecorded,
    /// With `--follow-children`, those it started that were recorded, in
    /// the order they began.
    pub followed: Vec<FollowedProcess>,
    /// Channels offered to the processes it started (0 without `--follow-children`).
    pub followed_channels: usize,
    /// A followed process that was killed: the signal, as the recorded
    /// process that reaped it saw.
    pub killed_by: Option<i32>,
    /// Followed processes that ended after `FOLLOWED_KEPT_AT_MOST` were
    /// kept: counted, not reported.
    pub followed_not_kept: u64,
    pub interpreter: Interpreter,
}

/// Programs named in the note of those a recording's program started.
const STARTED_NAMED: usize = 6;

impl Finished {
    /// What the programs it started did is not in the recording (one
    /// process records): which ones, and how to record one.
    fn started_note(&self) -> Option<String> {
        let started = &self.started_unrecorded;
        if started.processes == 0 {
            return None;
        }
        let mut programs: Vec<&(String, u64)> = started.programs.iter().collect();
        programs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let named: Vec<String> =
            programs.iter().take(STARTED_NAMED).map(|(path, n)| format!("`{path}` ({n})")).collect();
        let counted: u64 = programs.iter().take(STARTED_NAMED).map(|(_, n)| n).sum();
        let rest = started.processes.saturating_sub(counted);
        let more = if rest > 0 { format!(" and {rest} more") } else { String::new() };
        let first = programs.first().map_or("the program", |(path, _)| path.as_str());
        let by_itself = format!("record one by itself to see its own (`ffiscope record -- {first} …`)");
        let skipped = if started.skipped > 0 {
            format!("{} skipped by `--follow-skip`; ", started.skipped)
        } else {
            String::new()
        };
        let how = match self.followed_channels {
            0 => format!("`--follow-children` records each on its own, or {by_itself}"),
            _ if started.skipped == started.processes => by_itself,
            all if self.followed.len() >= all => {
                format!("the {all} channels for followed processes were all taken; {by_itself}")
            }
            _ => {
                format!("a program between closed the descriptors of the channels for followed processes; {by_itself}")
            }
        };
        let how = format!("{skipped}{how}");
        Some(format!(
            "{} process(es) it started ran unrecorded, their heaps not in this report: {}{more}; {how}",
            started.processes,
            named.join(", ")
        ))
    }

    /// Forked copies that ran on unrecorded (a fork that did not exec):
    /// how many, and why.
    fn forked_note(&self) -> Option<String> {
        let forked = self.started_unrecorded.forked;
        if forked == 0 {
            return None;
        }
        let why = if self.followed_channels == 0 {
            "`--follow-children` records each on its own".to_owned()
        } else if self.unguarded.is_some() {
            "`--guard` does not follow forked copies".to_owned()
        } else {
            format!("the {} channels for followed processes were all taken", self.followed_channels)
        };
        Some(format!(
            "{forked} forked copy(ies) of a recorded process ran on without an exec (a pool's worker, a server's \
             child), unrecorded, their heaps not in this report: {why}"
        ))
    }

    /// The leaks, when the program reached its exit or `_exit`: one killed
    /// or crashed was still using what it held.
    pub fn leaks(&self, model: &Model, suppressions: &Suppressions) -> LeakCheck {
        if matches!(self.ending, Ending::Exited | Ending::ExitedInFrames | Ending::LeftThroughExit) {
            self.interpreter.leaks(model, suppressions)
        } else {
            LeakCheck::default()
        }
    }

    /// The leak check's sums, as a report's tallies for a script to read
    /// (the notes say them in words): what was still reachable, what the
    /// C library held for itself, what the suppressions set apart.
    pub fn leak_tallies(&self, check: &LeakCheck) -> Vec<(&'static str, u64)> {
        let suppressed = check.suppressed.iter().fold(Held::default(), |sum, (_, held)| Held {
            blocks: sum.blocks + held.blocks,
            bytes: sum.bytes + held.bytes,
        });
        [
            ("still_reachable_blocks", check.still_reachable.blocks),
            ("still_reachable_bytes", check.still_reachable.bytes),
            ("possibly_lost_blocks", check.possibly_lost.blocks),
            ("possibly_lost_bytes", check.possibly_lost.bytes),
            ("c_library_own_blocks", check.runtime.blocks),
            ("c_library_own_bytes", check.runtime.bytes),
            ("suppressed_blocks", suppressed.blocks),
            ("suppressed_bytes", suppressed.bytes),
        ]
        .into_iter()
        .filter(|&(_, count)| count > 0)
        .collect()
    }

    /// Leaks named inside a library built without line information, which
    /// tells the program's author nothing: for want of a stack, and by a
    /// stack that ended there.
    fn inside_a_library_notes(&self, leaks: &[Anomaly]) -> Vec<String> {
        let listed = |libraries: Vec<&str>| libraries.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ");
        let mut notes = Vec::new();
        let (count, libraries) = self.interpreter.named_inside_a_library(leaks, false);
        if count > 0 {
            notes.push(format!(
                "{count} leak(s) named inside a library built without line information ({}), not by the program's \
                 line that called into it: `--stack 32` (Call stacks) names that line and the function it called",
                listed(libraries)
            ));
        }
        let (count, libraries) = self.interpreter.named_inside_a_library(leaks, true);
        if count > 0 {
            notes.push(format!(
                "{count} leak(s) named inside a library built without line information ({}): their stacks end \
                 there, before the program's own code; a deeper `--stack` (up to 32) names the line that called \
                 into it",
                listed(libraries)
            ));
        }
        notes
    }

    /// The stack deep enough to name the program's line behind a block:
    /// a library's own calls run deeper than a wrapper's (`sqlite3_exec`
    /// reaches `sqlite3Malloc` 18 frames in).
    fn deep_enough(&self) -> u8 {
        if self.interpreter.named_inside_a_library_for_want_of_a_stack() { 32 } else { 16 }
    }

    /// How many allocations the sites, the peaks and the temporary
    /// allocations name by library code or a wrapper rather than the
    /// program's line (a Rust program's `CString::new`s are all
    /// `alloc::alloc::alloc`'s), and how to name the line.
    fn named_for_want_of_a_stack_note(&self, model: &Model) -> Option<String> {
        let (allocations, sites) = self.interpreter.allocations_named_for_want_of_a_stack(model, 3);
        if allocations == 0 {
            return None;
        }
        // Counted as the sites count them: a block `realloc` moved is an
        // allocation of its site's.
        let total: u64 = model.site_rows().iter().map(|row| row.stats.allocations).sum();
        let named: Vec<String> = sites.iter().map(|site| format!("`{site}`")).collect();
        Some(format!(
            "{allocations} of the {total} allocations ({}) were made at sites named by the library code the program \
             called or by an allocation wrapper ({}), not by its own line: `--stack {}` (Call stacks) names the line \
             behind each",
            share(allocations, total),
            named.join(", "),
            self.deep_enough()
        ))
    }

    /// How much of a report can be believed, a line each: an allocator it
    /// does not see, how far the process got. `crashed`: as `notes` takes it.
    fn completeness_notes(&self, crashed: bool) -> Vec<String> {
        let mut notes: Vec<String> = self.interpreter.own_allocator.iter().map(OwnAllocator::sentence).collect();
        match self.ending {
            Ending::StillRunning => notes.push(
                "it was still running when the recorded program ended: its events until then are here, and what \
                 it held is not counted as leaked"
                    .to_owned(),
            ),
            Ending::Cut if !crashed => {
                let by = self.killed_by.map(|signal| format!(": {}, as its parent saw", signal_label(signal)));
                notes.push(format!(
                    "the program ended without handing over its last events (it was killed){}",
                    by.unwrap_or_default()
                ));
            }
            Ending::LeftThroughExit => notes.push(
                "it left through `_exit`, which runs no exit handler: its leaks were looked for as it left, what its \
                 stack held then among what it could still reach"
                    .to_owned(),
            ),
            Ending::LeftUnchecked => notes.push(
                "it left through `_exit` from a signal handler, where its leaks could not be looked for (the \
                 handler's stack too small, or it interrupted ffiscope's own code)"
                    .to_owned(),
            ),
            Ending::GaveBack => notes.push(
                "it exec'd a program `--follow-skip` names, unrecorded from there: what it held went with the exec"
                    .to_owned(),
            ),
            _ => {}
        }
        if let Some(interpreter) = &self.interpreter.python_objects_apart {
            notes.push(format!(
                "CPython's objects are not in this report: its allocator, pymalloc, keeps them in arenas it maps for \
                 itself (in {interpreter}), and only blocks over 512 bytes and what C code allocates reach \
                 `malloc`; `PYTHONMALLOC=malloc` makes every object a block of `malloc`'s, recorded"
            ));
        }
        if matches!(self.ending, Ending::Cut | Ending::LeftUnchecked) {
            notes.push("it did not reach its exit, so what it still held is not counted as leaked".to_owned());
        }
        notes
    }

    /// What a report of the recording adds, a line each: how complete it
    /// is, what the program kept to the end, what the leak check (`check`)
    /// set apart, and what could not be told, of the recording's `model`.
    /// `crashed`: the program died of a signal, which its report tells.
    pub fn notes(&self, crashed: bool, check: &LeakCheck, model: &Model) -> Vec<String> {
        // First: it says how much of the rest can be believed.
        let mut notes = self.completeness_notes(crashed);
        let (when, stack) = match self.ending {
            Ending::LeftThroughExit => ("as it left", "its stack, "),
            Ending::ExitedInFrames => ("at exit", "the frames that called `exit`, "),
            _ => ("at exit", ""),
        };
        let Held { blocks, bytes } = check.still_reachable;
        if blocks > 0 {
            notes.push(format!(
                "{blocks} block(s), {bytes} B, still reachable {when} (from {stack}globals, thread-local storage, \
                 memory it mapped itself or blocks made before the recording began): kept, not leaked"
            ));
        }
        let Held { blocks, bytes } = check.possibly_lost;
        if blocks > 0 {
            notes.push(format!(
                "{blocks} block(s), {bytes} B, reachable {when} only through a pointer into a block's middle \
                 (memcheck's \"possibly lost\"): not counted as leaked, though a program that lost a block's start \
                 and kept a pointer past it has leaked it"
            ));
        }
        if check.runtime.blocks > 0 {
            notes.push(format!(
                "{} block(s), {} B, the C library made for itself and still held at exit (a finished thread's \
                 cached stack, stdio buffers, locale data): not the program's leaks",
                check.runtime.blocks, check.runtime.bytes
            ));
        }
        for (pattern, held) in &check.suppressed {
            notes.push(format!("{} block(s), {} B, suppressed by `leak:{pattern}`", held.blocks, held.bytes));
        }
        if let Some(unguarded) = self.unguarded.filter(|&n| n > 0) {
            notes.push(format!(
                "{unguarded} block(s) unguarded: too many live at once for the kernel's map count, or too large"
            ));
        }
        if self.stacks_dropped > 0 {
            notes.push(format!(
                "{} call(s) named by their return address alone: the stack table was full",
                self.stacks_dropped
            ));
        }
        if self.mappings_unread > 0 {
            notes.push(format!(
                "{} of the program's own mappings not read for pointers (too many apart): a block only they held \
                 counts as leaked",
                self.mappings_unread
            ));
        }
        let (named_by_a_wrapper, wrappers) = self.interpreter.named_by_a_wrapper(&check.leaks);
        if named_by_a_wrapper > 0 {
            let mut named: Vec<String> = wrappers.iter().take(4).map(|wrapper| format!("`{wrapper}`")).collect();
            if wrappers.len() > 4 {
                named.push(format!("{} more", wrappers.len() - 4));
            }
            notes.push(format!(
                "{named_by_a_wrapper} leak(s) named by an allocation wrapper, which allocates for its caller ({}), \
                 not by the line that called it: `--stack 16` (Call stacks) names the caller of each",
                named.join(", ")
            ));
        }
        let named_by_a_library = self.interpreter.named_by_a_library(&check.leaks);
        if named_by_a_library > 0 {
            notes.push(format!(
                "{named_by_a_library} leak(s) named by the library code the program called (Rust's `RawVec`, C++'s \
                 `_M_realloc_insert`), not by its own line: `--stack 16` (Call stacks) names the line behind each"
            ));
        }
        notes.extend(self.inside_a_library_notes(&check.leaks));
        notes.extend(self.named_for_want_of_a_stack_note(model));
        notes.extend(self.started_note());
        notes.extend(self.forked_note());
        if self.followed_not_kept > 0 {
            notes.push(format!(
                "{} more followed process(es) ended after {FOLLOWED_KEPT_AT_MOST} were kept: recorded and counted, \
                 not reported",
                self.followed_not_kept
            ));
        }
        let uncertain = self.interpreter.uncertain_blocks;
        if uncertain > 0 {
            notes.push(format!(
                "{uncertain} block(s) from code that does not say which allocator it called (no debug information, \
                 or a call through a pointer to a function not known): counted in the C heap, their heap uncertain"
            ));
        }
        notes
    }
}
