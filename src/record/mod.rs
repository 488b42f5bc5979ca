//! Recording any program: `ffiscope record -- ./prog`. The program runs with
//! a preloaded library ([`preload`]) that records every allocation in a
//! tracker of its own and forwards the events through shared memory
//! ([`crate::ffi::record_channel`]). Here they are symbolized
//! ([`symbols`]), each block is told Rust or C by its allocation's call
//! site, frees across the two are flagged, and the events feed the same
//! [`Model`] as every other run.

pub mod preload;
pub mod program;
pub mod session;
pub mod suppressions;
pub mod symbols;
pub mod trace;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};

use rustc_hash::FxHashSet;

use crate::ffi::record_channel::{Channel, ChannelState};
use crate::ffi::{Domain, Event, EventKind, Site, sys};
use crate::track::{Anomaly, Model};
use suppressions::Suppressions;
use symbols::{Heap, Symbolizer};

/// Events the shared ring holds: 18 MiB of them.
const CHANNEL_EVENTS: usize = 1 << 18;

/// What to record and how.
#[derive(Debug, Clone, Default)]
pub struct RecordSpec {
    pub program: String,
    pub args: Vec<OsString>,
    pub working_dir: Option<PathBuf>,
    /// Where the program's output goes.
    pub output: ProgramOutput,
    /// Every block guarded (`--guard`): overflows and uses after free fault
    /// where they happen.
    pub guard: bool,
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

/// Turns the program's raw events into the model's, with sites and heaps.
/// A block's heap is its allocation site's, which every free and realloc
/// names again (`related_site`), so no block is looked up here.
#[derive(Debug, Default)]
pub struct Interpreter {
    symbols: Symbolizer,
    /// Where every event and anomaly is also written, with `--out`.
    pub trace: Option<trace::TraceWriter>,
    /// The program image the symbols are for (see `Channel::image`).
    image: u64,
    /// Blocks allocated where no debug information said which heap; counted in the C heap.
    pub uncertain_blocks: u64,
    /// Sites in the C runtime's own code.
    runtime_sites: FxHashSet<Site>,
}

impl Interpreter {
    pub fn add_modules(&mut self, channel: &Channel) {
        let image = channel.image();
        if image != self.image {
            // The process exec'd another program: its addresses mean new modules.
            self.image = image;
            self.symbols = Symbolizer::default();
        }
        let known = self.symbols.module_count();
        self.symbols.add_modules(channel.modules_from(known));
    }

    /// The program's leaks at exit, one per heap and site: not what the C
    /// runtime keeps for itself (stdio buffers, locale data), nor what the
    /// suppressions name.
    pub fn leaks(&self, model: &Model, suppressions: &Suppressions) -> Vec<Anomaly> {
        let runtime: FxHashSet<&str> = self.runtime_sites.iter().map(|site| site.name()).collect();
        let mut leaks = model.leak_anomalies(&|_| None);
        leaks.retain(|leak| !runtime.contains(leak.site.as_str()) && !suppressions.suppresses(&leak.site));
        leaks
    }

    /// Applies one raw event to the model, adding a foreign-free anomaly
    /// where a block crosses heaps on its way out.
    pub fn apply(&mut self, raw: &sys::fs_event, model: &mut Model) {
        let site = self.symbols.symbol(raw.site as u64);
        let allocated = (!raw.related_site.is_null()).then(|| self.symbols.symbol(raw.related_site as u64));
        let mut event = Event::with_sites(raw, Some(site.site), allocated.map(|s| s.site));
        match event.kind {
            EventKind::Alloc => {
                event.domain = domain_of(site.heap);
                self.uncertain_blocks += u64::from(site.heap == Heap::Uncertain);
                if site.in_c_runtime {
                    self.runtime_sites.insert(site.site);
                }
            }
            EventKind::Free => {
                let owner = allocated.map_or(Heap::Uncertain, |a| a.heap);
                event.domain = domain_of(owner);
                if let Some(anomaly) = Self::foreign_free(owner, site.heap, &event) {
                    if let Some(trace) = &mut self.trace {
                        trace.anomaly(&anomaly);
                    }
                    model.push_anomaly(anomaly);
                }
            }
            EventKind::Realloc => {
                // A realloc keeps the block's heap; the new block is named for the realloc's site.
                let owner = allocated.map_or(site.heap, |a| a.heap);
                event.domain = domain_of(owner);
            }
            _ => {}
        }
        if let Some(trace) = &mut self.trace {
            trace.event(&event);
        }
        model.apply(&event);
    }

    /// A Rust block freed by a direct call to C's free, or a C block freed on
    /// the Rust allocator's path.
    fn foreign_free(owner: Heap, freed_by: Heap, free: &Event) -> Option<Anomaly> {
        let crossed = matches!((owner, freed_by), (Heap::Rust, Heap::C) | (Heap::C, Heap::Rust));
        if !crossed {
            return None;
        }
        let event = Event {
            kind: EventKind::ForeignFree,
            domain: domain_of(owner),
            related_address: free.address,
            related_size: 0,
            ..*free
        };
        let mut anomaly = Anomaly::from_event(&event, None);
        let (heap, other) = if owner == Heap::Rust { ("Rust", "C library's") } else { ("C", "Rust allocator's") };
        let allocated_by = anomaly.related_site.as_deref().unwrap_or("(unknown)");
        anomaly.message = format!(
            "`{}` passed a {heap}-heap block ({} B, from `{allocated_by}`) to the {other} free. Both are glibc's \
             malloc here, so it went through; with mimalloc, jemalloc or another C runtime behind either side, \
             the same call corrupts the heap. Whoever allocates must free.",
            anomaly.site, event.size
        );
        Some(anomaly)
    }
}

fn domain_of(heap: Heap) -> Domain {
    if heap == Heap::Rust { Domain::Rust } else { Domain::C }
}

/// A program being recorded.
#[derive(Debug)]
pub struct Recording {
    child: Child,
    channel: Channel,
    interpreter: Interpreter,
    status: Option<ExitStatus>,
}

impl Recording {
    pub fn start(spec: &RecordSpec) -> Result<Recording, StartError> {
        let path = program::recordable(&spec.program).map_err(StartError::Unrecordable)?;
        let library = preload::library_path().map_err(StartError::Setup)?;
        let channel = Channel::create(CHANNEL_EVENTS).map_err(StartError::Setup)?;
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
        if spec.guard {
            command.env("FFISCOPE_RECORD_GUARD", "1");
        } else {
            command.env_remove("FFISCOPE_RECORD_GUARD");
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
        let child = channel.spawn(&mut command).map_err(StartError::Setup)?;
        Ok(Recording { child, channel, interpreter: Interpreter::default(), status: None })
    }

    /// Also writes every event from now on, as `ffiscope open` reads it.
    pub fn write_to(&mut self, trace: trace::TraceWriter) {
        self.interpreter.trace = Some(trace);
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The program's stdout and stderr, when they were captured.
    pub fn take_output(&mut self) -> (Option<std::process::ChildStdout>, Option<std::process::ChildStderr>) {
        (self.child.stdout.take(), self.child.stderr.take())
    }

    /// Ends the program (SIGKILL): what it recorded until then is kept.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
    }

    /// Moves what the program has recorded into the model; returns how many
    /// events that was.
    pub fn poll(&mut self, model: &mut Model) -> usize {
        self.poll_at_most(model, 65_536)
    }

    /// As `poll`, at most `max` events: a caller that holds a lock keeps it short.
    pub fn poll_at_most(&mut self, model: &mut Model, max: usize) -> usize {
        // Modules first: an event's site may be in one loaded just before it.
        self.interpreter.add_modules(&self.channel);
        let interpreter = &mut self.interpreter;
        let taken = self.channel.read_events_with(max, |raw| interpreter.apply(raw, model));
        model.set_dropped_events(self.channel.dropped());
        taken
    }

    /// The program's exit status, once it has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits for the program to end and takes every event it left.
    pub fn finish(mut self, model: &mut Model) -> Finished {
        let status = self.status.or_else(|| self.child.wait().ok());
        while self.poll(model) > 0 {}
        Finished {
            status,
            complete: self.channel.state() == ChannelState::Finished,
            recorded: self.channel.recorded_pid().is_some(),
            interpreter: self.interpreter,
        }
    }
}

/// How a recording ended.
#[derive(Debug)]
pub struct Finished {
    pub status: Option<ExitStatus>,
    /// The program reached its exit and handed over every event (not when
    /// it was killed, died of a signal or left through `_exit`).
    pub complete: bool,
    /// The preloaded library started recording at all.
    pub recorded: bool,
    pub interpreter: Interpreter,
}
