//! The Record tab's session: the program, arguments and folder a user
//! typed, and the recording itself, which runs on a worker thread so the
//! window never waits on the program. The worker applies events to the
//! shared model a few thousand at a time; a frame locks the model only to
//! draw it. The program's stdout and stderr are kept apart, line by line.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::flame::{FlameCounts, FlameStack};
use super::flame_tree::{FlameTree, FrameIndex};
use super::suppressions::Suppressions;
use super::wrappers::Wrappers;
use super::{ProgramOutput, RecordSpec, Recording, SharedModel, locked};
use crate::export::flame::FlameOf;
use crate::ffi::record_channel::RecordedProgram;
use crate::report::{OwnAllocator, PEAK_SITES_LISTED, ProcessReport, Report};
use crate::scenarios::isolated::signal_label;
use crate::track::{EventSource as _, Model};

/// Events applied per lock of the model: about a tenth of a millisecond.
const EVENTS_PER_LOCK: usize = 4096;
/// Lines of the program's output kept.
const OUTPUT_LINES: usize = 2000;

/// The longest line of the program's output kept whole: a longer one
/// (or output with no newlines) is kept in pieces this long.
const LINE_BYTES: usize = 4096;

/// What a view asks of the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordCommand {
    Start,
    Stop,
    SetProgram(String),
    SetArguments(String),
    SetFolder(String),
    /// Whether the next recording guards every block (`record --guard`).
    SetGuard(bool),
    /// Whether the next recording keeps call stacks (`record --stack 32`).
    SetStacks(bool),
    /// Whether the next recording follows the programs it starts (`record --follow-children`).
    SetFollowChildren(bool),
    /// Programs the next recording does not follow (`record --follow-skip`).
    SetFollowSkip(String),
    /// The program's own allocation wrappers, for the next recording with stacks (`record --alloc-fn`).
    SetWrappers(String),
    /// Which process the tab shows: 0 the program, then those it started, in order.
    ShowProcess(usize),
    SetRecordingFile(String),
    /// Reads a recording written by `record --out` into the tab.
    OpenRecording,
    /// What the tab draws of the recording: its heaps over time or its flame graph.
    ShowView(RecordView),
    /// What the flame graph weighs each stack by.
    WeighFlamesBy(FlameOf),
    /// The flame graph's frame drawn whole width, its callees under it.
    ZoomFlames(FrameIndex),
    /// The text the flame graph's frames are searched for.
    FindInFlames(String),
    /// Whether the flame graph is turned over: each allocating function
    /// first, its callers under it.
    InvertFlames(bool),
}

/// How the tab draws a recording's flame graph.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlameView {
    /// What each stack weighs.
    pub of: FlameOf,
    /// The frame drawn whole width: the root unless one was clicked.
    pub zoom: FrameIndex,
    /// The text searched for among the frames.
    pub find: String,
    /// Turned over: allocating functions first, their callers under them.
    pub inverted: bool,
}

/// What the tab draws of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordView {
    /// Each heap's live blocks and bytes as the program ran, beside its lists.
    #[default]
    OverTime,
    /// The call stacks, once the program ended, as a flame graph.
    FlameGraph,
}

/// The frames of one tree that hold one text, and what they did together,
/// each counted once: whatever the graph weighs, read without a walk of
/// the tree each frame.
#[derive(Debug, Default)]
pub struct FoundFrames {
    /// A flag per frame, by index.
    pub frames: Vec<bool>,
    pub counts: FlameCounts,
}

impl FoundFrames {
    pub fn any(&self) -> bool {
        self.frames.contains(&true)
    }
}

/// The last search (`RecordSession::flame_found`), kept while its text and
/// tree stay.
#[derive(Debug, Default)]
struct LastSearch {
    /// The stacks whose tree was searched: held, so that another
    /// recording's or process's is never taken for them.
    stacks: Arc<RecordedStacks>,
    /// Which of its trees: as called, or turned over.
    inverted: bool,
    text: String,
    found: Arc<FoundFrames>,
}

/// The program a recording ran, and its call stacks with what each made,
/// once it ended: as the flame graph files' lines and as the tab's trees.
#[derive(Debug, Default)]
pub struct RecordedStacks {
    pub program: String,
    pub stacks: Vec<FlameStack>,
    pub tree: FlameTree,
    /// The same stacks turned over: allocating functions first.
    pub inverted: FlameTree,
}

impl RecordedStacks {
    pub fn new(program: String, stacks: Vec<FlameStack>) -> RecordedStacks {
        let (tree, inverted) = (FlameTree::new(&stacks), FlameTree::inverted(&stacks));
        RecordedStacks { program, stacks, tree, inverted }
    }
}

/// Where the recording is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RecordState {
    #[default]
    Idle,
    Running {
        pid: u32,
    },
    /// "exited with 0", "crashed (SIGSEGV)", or why it could not start.
    Ended(String),
}

/// Which stream a line of the program's output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A process the recorded program started, followed: what the tab shows of it.
#[derive(Debug, Clone)]
pub struct FollowedView {
    pub pid: i32,
    /// Its program, once it has written it whole.
    pub program: Option<RecordedProgram>,
    pub model: SharedModel,
    /// "completed", "crashed", once the recording ended.
    pub ended: Option<String>,
    /// What its recording adds, once the recording ended (`Finished::notes`).
    pub notes: Vec<String>,
    /// A forked copy that only ran a program `--follow-skip` names, with
    /// nothing found: not listed (kept, so that the others keep their places).
    pub hidden: bool,
    /// The allocator functions it defines itself, once the recording ended.
    pub own_allocator: Option<OwnAllocator>,
    /// Its call stacks and what each made, once the recording ended.
    pub stacks: Arc<RecordedStacks>,
}

impl FollowedView {
    /// A place not yet shown, or that of a process that only ran a skipped
    /// program.
    fn hidden_place() -> FollowedView {
        FollowedView {
            pid: 0,
            program: None,
            model: SharedModel::default(),
            ended: None,
            notes: Vec::new(),
            hidden: true,
            own_allocator: None,
            stacks: Arc::default(),
        }
    }

    /// A forked copy of another recorded process: that one's pid.
    pub fn forked_from(&self) -> Option<i32> {
        self.program.as_ref().and_then(|program| program.forked_from)
    }

    /// Its command line ("./child one"), or its program's path where it
    /// has none; "…" until it has written them.
    pub fn command(&self) -> &str {
        self.program.as_ref().map_or("…", |p| if p.command.is_empty() { &p.path } else { &p.command })
    }
}

#[derive(Debug, Default)]
struct Shared {
    model: SharedModel,
    /// With Follow children: the processes it started, in the order they began.
    followed: Mutex<Vec<FollowedView>>,
    state: Mutex<RecordState>,
    output: Mutex<VecDeque<(Stream, String)>>,
    /// The recording's notes once the program ended (`Finished::notes`).
    notes: Mutex<Vec<String>>,
    /// The allocator functions the program defines itself, as soon as its
    /// recording tells them: its heaps stay empty, and the tab says why.
    own_allocator: Mutex<Option<OwnAllocator>>,
    /// The program, and its call stacks and what each made, once it
    /// ended: for its flame graphs.
    stacks: Mutex<Arc<RecordedStacks>>,
    stop: AtomicBool,
}

#[derive(Debug, Default)]
pub struct RecordSession {
    pub program: String,
    pub arguments: String,
    pub folder: String,
    pub guard: bool,
    pub stacks: bool,
    pub follow_children: bool,
    /// Programs not followed: shell patterns separated by commas.
    pub follow_skip: String,
    /// The program's own allocation wrappers, with stacks: names or
    /// patterns separated by commas (`--alloc-fn`).
    pub wrappers: String,
    /// The process shown: 0 the program, then those it started.
    pub shown: usize,
    /// A recording to open (`record --out`'s file).
    pub recording_file: String,
    pub view: RecordView,
    /// How the flame graph is drawn.
    pub flame: FlameView,
    /// Which frames hold the text searched for, found once for each text and tree.
    found: Mutex<LastSearch>,
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

/// Frames kept of each allocation's stack when the tab asks for stacks:
/// the most, since a library's own calls run deep (`sqlite3_exec` reaches
/// `sqlite3Malloc` 18 frames in) and a walk stops where the stack ends.
pub(crate) const STACK_FRAMES: u8 = 32;

impl RecordSession {
    pub fn apply(&mut self, command: RecordCommand) {
        match command {
            RecordCommand::Start => self.start(),
            RecordCommand::Stop => self.shared.stop.store(true, Ordering::Relaxed),
            RecordCommand::SetProgram(text) => self.program = text,
            RecordCommand::SetArguments(text) => self.arguments = text,
            RecordCommand::SetFolder(text) => self.folder = text,
            RecordCommand::SetGuard(on) => self.guard = on,
            RecordCommand::SetStacks(on) => self.stacks = on,
            RecordCommand::SetFollowChildren(on) => self.follow_children = on,
            RecordCommand::SetFollowSkip(text) => self.follow_skip = text,
            RecordCommand::SetWrappers(text) => self.wrappers = text,
            RecordCommand::ShowProcess(index) => {
                self.shown = index;
                // Each process has a tree of its own: a frame's index in one
                // is some other frame in the next.
                self.flame.zoom = FlameTree::ROOT;
            }
            RecordCommand::SetRecordingFile(text) => self.recording_file = text,
            RecordCommand::OpenRecording => self.open_recording(),
            RecordCommand::ShowView(view) => self.view = view,
            RecordCommand::WeighFlamesBy(of) => self.flame.of = of,
            RecordCommand::ZoomFlames(frame) => self.flame.zoom = frame,
            RecordCommand::FindInFlames(text) => self.flame.find = text,
            RecordCommand::InvertFlames(inverted) => {
                self.flame.inverted = inverted;
                // The other tree's frames are indexed apart.
                self.flame.zoom = FlameTree::ROOT;
            }
        }
    }

    /// A fresh model and output for the next run or file, marked running,
    /// for a worker to fill; `None` while one is at work already.
    fn begin(&mut self) -> Option<Arc<Shared>> {
        if self.is_running() {
            return None;
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
        self.shared = Arc::new(Shared::default());
        self.shown = 0;
        // A frame's index means nothing in the next recording's tree.
        self.flame.zoom = FlameTree::ROOT;
        *locked(&self.shared.state) = RecordState::Running { pid: 0 };
        Some(Arc::clone(&self.shared))
    }

    fn open_recording(&mut self) {
        let Some(shared) = self.begin() else { return };
        let path = std::path::PathBuf::from(self.recording_file.trim());
        // Read on a worker, into the model a batch at a time: a recording
        // of millions of events fills in on screen as it is read.
        self.worker = Some(std::thread::spawn(move || {
            let ended = match super::trace::TraceReader::open(&path) {
                Ok(reader) => read_recording(reader, &shared, &path),
                Err(why) => why,
            };
            *locked(&shared.state) = RecordState::Ended(ended);
        }));
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state(), RecordState::Running { .. })
    }

    pub fn state(&self) -> RecordState {
        locked(&self.shared.state).clone()
    }

    /// The program's model, to draw; held only for the frame.
    pub fn model(&self) -> MutexGuard<'_, Model> {
        locked(&self.shared.model)
    }

    /// The process shown, when it is one the program started.
    fn shown_followed(&self) -> Option<FollowedView> {
        self.shown.checked_sub(1).and_then(|i| locked(&self.shared.followed).get(i).cloned())
    }

    /// The shown process's model: the program's, or that of one it started.
    pub fn shown_model(&self) -> SharedModel {
        match self.shown_followed() {
            Some(followed) => followed.model,
            None => Arc::clone(&self.shared.model),
        }
    }

    /// What the ended recording adds to the shown process's counts: what
    /// it kept to the end, what could not be told (`Finished::notes`).
    pub fn notes(&self) -> Vec<String> {
        match self.shown_followed() {
            Some(followed) => followed.notes,
            None => locked(&self.shared.notes).clone(),
        }
    }

    /// The allocator functions the shown process defines itself, so that
    /// what it allocates there is not recorded.
    pub fn own_allocator(&self) -> Option<OwnAllocator> {
        match self.shown_followed() {
            Some(followed) => followed.own_allocator,
            None => locked(&self.shared.own_allocator).clone(),
        }
    }

    /// The shown process's program, with its call stacks and what each
    /// made, once the recording ended.
    pub fn flame_stacks(&self) -> Arc<RecordedStacks> {
        match self.shown.checked_sub(1) {
            // Its stacks alone: the whole view (its notes) is not copied each frame.
            Some(i) => locked(&self.shared.followed).get(i).map(|view| Arc::clone(&view.stacks)).unwrap_or_default(),
            None => Arc::clone(&locked(&self.shared.stacks)),
        }
    }

    /// The tree of `recorded` the flame graph draws: as called, or turned
    /// over.
    pub fn flame_tree<'r>(&self, recorded: &'r RecordedStacks) -> &'r FlameTree {
        if self.flame.inverted { &recorded.inverted } else { &recorded.tree }
    }

    /// Which frames of the tree drawn of `recorded` hold the text searched
    /// for, and what they did together: looked for once for each text and
    /// tree, not each frame.
    pub fn flame_found(&self, recorded: &Arc<RecordedStacks>) -> Arc<FoundFrames> {
        let mut last = locked(&self.found);
        if !Arc::ptr_eq(&last.stacks, recorded) || last.text != self.flame.find || last.inverted != self.flame.inverted
        {
            let tree = self.flame_tree(recorded);
            let frames = tree.frames_named(&self.flame.find);
            let counts = tree.counts_found(&frames, FlameTree::ROOT);
            *last = LastSearch {
                stacks: Arc::clone(recorded),
                inverted: self.flame.inverted,
                text: self.flame.find.clone(),
                found: Arc::new(FoundFrames { frames, counts }),
            };
        }
        Arc::clone(&last.found)
    }

    /// Whether the shown process has call stacks to draw.
    pub fn has_flame_stacks(&self) -> bool {
        !self.flame_stacks().stacks.is_empty()
    }

    /// The processes the program started that are followed, so far.
    pub fn followed(&self) -> Vec<FollowedView> {
        locked(&self.shared.followed).clone()
    }

    /// The newest lines of the program's own output.
    pub fn output(&self) -> Vec<(Stream, String)> {
        locked(&self.shared.output).iter().cloned().collect()
    }

    fn start(&mut self) {
        let Some(shared) = self.begin() else { return };
        let wrappers = match Wrappers::parse(if self.stacks { &self.wrappers } else { "" }) {
            Ok(wrappers) => wrappers,
            Err(why) => {
                *locked(&shared.state) = RecordState::Ended(format!("not started: the wrapper {why}"));
                return;
            }
        };
        let spec = RecordSpec {
            program: self.program.trim().to_owned(),
            args: split_arguments(&self.arguments).into_iter().map(Into::into).collect(),
            working_dir: Some(self.folder.trim()).filter(|f| !f.is_empty()).map(Into::into),
            output: ProgramOutput::Captured,
            guard: self.guard.then_some(super::GUARD_ALIGNMENT),
            stack: self.stacks.then_some(STACK_FRAMES),
            follow_children: if self.follow_children { super::FOLLOWED_PROCESSES } else { 0 },
            follow_skip: if self.follow_children { self.follow_skip.clone() } else { String::new() },
            wrappers,
        };
        self.worker = Some(std::thread::spawn(move || record(&spec, &shared)));
    }
}

/// The worker: start the program, feed the model until it ends, then add its leaks.
fn record(spec: &RecordSpec, shared: &Arc<Shared>) {
    let mut recording = match Recording::start(spec) {
        Ok(recording) => recording,
        Err(why) => {
            *locked(&shared.state) = RecordState::Ended(why.to_string());
            return;
        }
    };
    *locked(&shared.state) = RecordState::Running { pid: recording.pid() };
    let (stdout, stderr) = recording.take_output();
    let readers = [
        stdout.map(|out| keep_lines(out, Stream::Stdout, Arc::clone(shared))),
        stderr.map(|err| keep_lines(err, Stream::Stderr, Arc::clone(shared))),
    ];
    loop {
        let mut taken = recording.feed(&mut locked(&shared.model), EVENTS_PER_LOCK);
        // Apart: the program's model is not held while the others are fed.
        taken += recording.feed_followed(EVENTS_PER_LOCK);
        publish_followed(&recording, shared);
        if let Some(own) = recording.own_allocator() {
            let mut shown = locked(&shared.own_allocator);
            if shown.as_ref() != Some(own) {
                *shown = Some(own.clone());
            }
        }
        if taken > 0 {
            continue;
        }
        if shared.stop.swap(false, Ordering::Relaxed) {
            recording.stop();
        }
        if recording.exited().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut model = locked(&shared.model);
    let mut finished = recording.finish(&mut model);
    let mut check = finished.leaks(&model, &Suppressions::default());
    let stacks = RecordedStacks::new(spec.program.clone(), finished.interpreter.flame_stacks(&model, &check));
    *locked(&shared.stacks) = Arc::new(stacks);
    for leak in std::mem::take(&mut check.leaks) {
        model.push_anomaly(leak);
    }
    let signal = finished.status.and_then(|status| std::os::unix::process::ExitStatusExt::signal(&status));
    let notes = finished.notes(signal.is_some(), &check, &model);
    drop(model);
    let mut views = locked(&shared.followed);
    // Those not reported (past the processes kept, or that only ran a
    // skipped program) are not listed either.
    for view in views.iter_mut() {
        view.hidden = true;
    }
    for process in &mut finished.followed {
        *place(&mut views, process.number) = ended_view(process);
    }
    drop(views);
    for reader in readers.into_iter().flatten() {
        let _ = reader.join();
    }
    *locked(&shared.notes) = notes;
    locked(&shared.own_allocator).clone_from(&finished.interpreter.own_allocator);
    let ended = match (finished.status, signal) {
        (_, Some(signal)) => format!("crashed ({})", signal_label(signal)),
        (Some(status), None) => format!("exited with {}", status.code().unwrap_or(-1)),
        (None, None) => "ended".to_owned(),
    };
    *locked(&shared.state) = RecordState::Ended(ended);
}

/// The processes the program started that claimed a channel since the
/// last look, added to the views; and the programs of those that had not
/// written theirs whole yet.
/// Each view is at its process's number: those are given in order, from 0.
/// A process no longer listed only ran a skipped program: hidden.
fn publish_followed(recording: &Recording, shared: &Shared) {
    let mut views = locked(&shared.followed);
    let listed = recording.followed();
    for view in views.iter_mut() {
        view.hidden = true;
    }
    for now in listed {
        let view = place(&mut views, now.number);
        view.pid = now.pid;
        view.model = Arc::clone(now.model);
        view.hidden = false;
        if view.program.is_none() {
            view.program = now.program();
        }
        if view.ended.is_none() {
            view.ended = now.ended.map(str::to_owned);
        }
    }
}

/// The view at a process's number, the places before it held by hidden ones.
fn place(views: &mut Vec<FollowedView>, number: usize) -> &mut FollowedView {
    if views.len() <= number {
        views.resize_with(number + 1, FollowedView::hidden_place);
    }
    &mut views[number]
}

/// A followed process once the recording ended: its leaks in its model,
/// how it ended, its notes and its call stacks.
fn ended_view(process: &mut super::FollowedProcess) -> FollowedView {
    let (report, mut check) = process.report(&Suppressions::default(), PEAK_SITES_LISTED);
    let mut model = locked(&process.model);
    let stacks = process.finished.interpreter.flame_stacks(&model, &check);
    for leak in std::mem::take(&mut check.leaks) {
        model.push_anomaly(leak);
    }
    drop(model);
    let stacks = Arc::new(RecordedStacks::new(process.program.path.clone(), stacks));
    FollowedView {
        pid: process.pid,
        program: Some(process.program.clone()),
        model: Arc::clone(&process.model),
        ended: Some(report.report.outcome_label()),
        notes: report.notes,
        hidden: false,
        own_allocator: report.report.own_allocator,
        stacks,
    }
}

/// The worker opening a recording: its events into the model until the
/// file ends or Stop is pressed, then the leaks its report found at exit.
fn read_recording(mut reader: super::trace::TraceReader, shared: &Shared, path: &std::path::Path) -> String {
    while reader.feed(&mut locked(&shared.model), EVENTS_PER_LOCK) > 0 {
        if shared.stop.swap(false, Ordering::Relaxed) {
            return format!("stopped reading {}", path.display());
        }
    }
    let stacks = reader.take_stacks();
    let (report, events) = match reader.finish() {
        Ok(finished) => finished,
        Err(why) => return why,
    };
    let program = report.as_ref().map_or_else(|| path.display().to_string(), |report| report.scenario.clone());
    *locked(&shared.stacks) = Arc::new(RecordedStacks::new(program, stacks));
    let how = report.as_ref().map_or_else(|| "cut off before its report".to_owned(), Report::outcome_label);
    let Some(report) = report else { return format!("opened {} ({events} events, {how})", path.display()) };
    push_leaks(&report, &mut locked(&shared.model));
    locked(&shared.own_allocator).clone_from(&report.own_allocator);
    locked(&shared.notes).clone_from(&report.notes);
    let followed = open_followed(&report.processes, path, shared);
    let followed = match followed {
        0 => String::new(),
        n => format!(", {n} followed process(es)"),
    };
    format!("opened {} ({events} events, {how}{followed})", path.display())
}

/// The report's leaks, as the recording found them at exit, into `model`.
fn push_leaks(report: &Report, model: &mut Model) {
    for leak in report.anomalies.iter().filter(|a| a.kind == crate::track::AnomalyKind::Leak) {
        model.push_anomaly(leak.clone().into());
    }
}

/// The processes a recording followed, each read from the file of its own
/// beside the recording's (`run.4242.fsrec`, where `record --out` wrote
/// it), into a view listed under Process, with how it ended and its notes;
/// one with no file shows the findings its report gave.
/// Returns how many were listed.
fn open_followed(processes: &[ProcessReport], path: &std::path::Path, shared: &Shared) -> usize {
    let mut listed = 0;
    for process in processes {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let model = SharedModel::default();
        let file = std::iter::once(super::trace::beside(path, process.pid))
            .chain(process.recording.as_ref().map(std::path::PathBuf::from))
            .find(|file| file.is_file());
        let mut stacks = Vec::new();
        let read = file.and_then(|file| super::trace::TraceReader::open(&file).ok()).map(|mut reader| {
            reader.feed_all(&mut locked(&model));
            stacks = reader.take_stacks();
            reader.finish()
        });
        let mut shown = locked(&model);
        match read {
            Some(Ok((Some(own), _))) => push_leaks(&own, &mut shown),
            // Its file stops early: its other findings are among its events.
            Some(_) => push_leaks(&process.report, &mut shown),
            None => {
                for finding in &process.report.anomalies {
                    shown.push_anomaly(finding.clone().into());
                }
            }
        }
        drop(shown);
        let program = RecordedProgram {
            path: process.report.scenario.clone(),
            command: process.command.clone(),
            forked_from: process.forked_from,
        };
        locked(&shared.followed).push(FollowedView {
            pid: process.pid,
            program: Some(program),
            model,
            ended: Some(process.report.outcome_label()),
            notes: process.notes.clone(),
            hidden: false,
            own_allocator: process.report.own_allocator.clone(),
            stacks: Arc::new(RecordedStacks::new(process.report.scenario.clone(), stacks)),
        });
        listed += 1;
    }
    listed
}

/// A line of the program's output as text: bytes that are no UTF-8 written
/// as `\xFF`, which say what the program wrote (a replacement character
/// says only that something was there).
fn text_of_output(line: &[u8]) -> String {
    let mut text = String::with_capacity(line.len());
    for chunk in line.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02X}");
        }
    }
    text
}

fn keep_lines(stream: impl Read + Send + 'static, which: Stream, shared: Arc<Shared>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let keep = |line: &[u8]| {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let mut output = locked(&shared.output);
            if output.len() == OUTPUT_LINES {
                output.pop_front();
            }
            output.push_back((which, text_of_output(line)));
        };
        // Read to the end whatever comes: a reader that stopped at bytes
        // that are no text would close the pipe, and the program would die
        // of SIGPIPE at its next write.
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            let available = match reader.fill_buf() {
                Ok([]) => break,
                Ok(available) => available,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            // A line ends at its newline, or at `LINE_BYTES` if it has none.
            let room = &available[..available.len().min(LINE_BYTES - line.len())];
            let (taken, ended) = match room.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (room.len(), line.len() + room.len() == LINE_BYTES),
            };
            line.extend_from_slice(&room[..taken]);
            reader.consume(taken);
            if ended {
                keep(&line);
                line.clear();
            }
        }
        if !line.is_empty() {
            keep(&line);
        }
    })
}

/// Arguments as a shell splits them, for the simple cases: words apart by
/// spaces, with single or double quotes keeping spaces inside one.
pub fn split_arguments(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::{RecordCommand, RecordSession, split_arguments};
    use crate::record::flame_tree::FlameTree;

    /// A frame's index is its tree's: another process's tree, or the next
    /// recording's, starts from the whole graph.
    #[test]
    fn another_process_shown_is_drawn_whole() {
        let mut session = RecordSession::default();
        session.apply(RecordCommand::ZoomFlames(7));
        session.apply(RecordCommand::ShowProcess(1));
        assert_eq!(session.flame.zoom, FlameTree::ROOT);
    }

    #[test]
    fn arguments_split_as_a_shell_splits_simple_ones() {
        let words = split_arguments(r#"-R /usr/share  "two words" 'it''s' """#);
        assert_eq!(words, ["-R", "/usr/share", "two words", "its", ""]);
        assert!(split_arguments("   ").is_empty());
    }
}
