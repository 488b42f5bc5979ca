//! `ffiscope record -- PROGRAM ARGS…`: runs a program with its allocator
//! recorded, live into a model, and reports like `run`: both heaps, the
//! anomalies, and the leaks left at exit.

use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::open_command::Recorded;
use super::{EXIT_CRASHED, EXIT_USAGE, FlameArgs, Io};
use crate::export::flame;
use crate::export::save_whole;
use crate::record::compare::{Comparison, Side, compare};
use crate::record::flame::FlameStack;
use crate::record::session::STACK_FRAMES;
use crate::record::suppressions::Suppressions;
use crate::record::trace::{self, TraceWriter};
use crate::record::wrappers::Wrappers;
use crate::record::{Ending, Finished, FollowedProcess, LeakCheck, ProgramOutput, RecordSpec, Recording, locked};
use crate::report::{AnomalyReport, Outcome, OwnAllocator, ProcessReport, RECORDED, Report};
use crate::scenarios::isolated::signal_label;
use crate::track::{AnomalyKind, EventSource as _, Model};

/// What the command line asked for.
#[derive(Debug)]
pub struct Asked<'a> {
    pub command: &'a [String],
    pub json: bool,
    pub check: bool,
    pub suppress: Option<&'a std::path::Path>,
    pub out: Option<&'a std::path::Path>,
    /// A recording made before, to compare this one with (`--compare`).
    pub compare: Option<&'a std::path::Path>,
    /// `--guard`, with its least alignment.
    pub guard: Option<u8>,
    pub stack: Option<u8>,
    /// Processes it starts to follow, at most (0: none).
    pub follow_children: usize,
    /// Programs not to follow (`--follow-skip`).
    pub follow_skip: &'a str,
    /// The program's own allocation wrappers (`--alloc-fn`).
    pub alloc_fn: &'a str,
    /// The sites listed at each heap's peak (`--top`).
    pub top: usize,
    /// The flame graph asked for, if any.
    pub flame: &'a FlameArgs,
}

/// Events applied to each followed process's model per pass of the loop.
const FOLLOWED_BATCH: usize = 65_536;

/// Exit code of `record --check` when it found anything.
pub const EXIT_FINDINGS: u8 = 1;

/// The suppressions (`--suppress`) and wrappers (`--alloc-fn`) asked for,
/// or why they cannot be had.
fn leak_options(asked: &Asked<'_>) -> Result<(Suppressions, Wrappers), String> {
    let text = asked
        .suppress
        .map(std::fs::read_to_string)
        .transpose()
        .map_err(|error| format!("cannot read the suppressions: {error}"))?;
    let suppressions = Suppressions::parse(text.as_deref().unwrap_or_default()).map_err(|why| {
        let path = asked.suppress.map(|p| p.display().to_string()).unwrap_or_default();
        format!("{path}:{why}")
    })?;
    let wrappers = Wrappers::parse(asked.alloc_fn).map_err(|why| format!("--alloc-fn {why}"))?;
    Ok((suppressions, wrappers))
}

pub fn record(asked: &Asked<'_>, io: &mut Io<'_>) -> ExitCode {
    let Some((program, args)) = asked.command.split_first() else {
        let _ = writeln!(io.err, "error: name the program to record, after `--`");
        return ExitCode::from(EXIT_USAGE);
    };
    let (suppressions, wrappers) = match leak_options(asked).and_then(|options| {
        flame_files_can_be_written(asked.flame)?;
        Ok(options)
    }) {
        Ok(options) => options,
        Err(why) => {
            let _ = writeln!(io.err, "error: {why}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let spec = RecordSpec {
        program: program.clone(),
        args: args.iter().map(Into::into).collect(),
        working_dir: None,
        guard: asked.guard,
        // A flame graph of one frame a stack would be a bar chart.
        stack: asked.stack.or(asked.flame.asked().then_some(STACK_FRAMES)),
        follow_children: asked.follow_children,
        follow_skip: asked.follow_skip.to_owned(),
        wrappers,
        // With --json, stdout carries the report alone.
        output: if asked.json { ProgramOutput::ToStderr } else { ProgramOutput::Inherited },
    };
    // Read before the program runs: a recording that cannot be read stops
    // nothing that started.
    let before = match asked.compare.map(|path| Recorded::read(path, io)).transpose() {
        Ok(before) => before,
        Err(why) => {
            let _ = writeln!(io.err, "error: {why}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // The file first: a path that cannot be written stops nothing that started.
    let trace = match asked.out.map(TraceWriter::create).transpose() {
        Ok(trace) => trace,
        Err(error) => {
            let path = asked.out.map(|p| p.display().to_string()).unwrap_or_default();
            let _ = writeln!(io.err, "error: cannot write the recording to {path}: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut recording = match Recording::start(&spec) {
        Ok(recording) => recording,
        Err(why) => {
            let _ = writeln!(io.err, "error: {why}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if let (Some(trace), Some(path)) = (trace, asked.out) {
        recording.write_to(trace, path);
    }
    let mut model = Model::new();
    while recording.exited().is_none() {
        if recording.feed_all(&mut model) + recording.feed_followed(FOLLOWED_BATCH) == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let mut finished = recording.finish(&mut model);
    let status = finished.status;
    let signal = status.and_then(|s| s.signal());
    let check = finished.leaks(&model, &suppressions);
    let (report, followed_checks) = recording_report(program, &finished, &model, &check, &suppressions, asked.top);
    let stacks = finished.interpreter.flame_stacks(&model, &check);
    let frames = spec.stack.unwrap_or(0);
    write_flame_graph(asked.flame, &stacks, before.as_ref(), program, io);
    let comparison = before.as_ref().map(|before| {
        let after = Side { name: program, report: &report, stacks: &stacks, stack_frames: Some(frames) };
        compare(before.side(), after, asked.flame.flame_of)
    });
    if let Some(trace) = finished.interpreter.trace.take()
        && let Err(error) = trace.finish(stacks, frames, &report)
    {
        let _ = writeln!(io.err, "warning: the recording file is incomplete: {error}");
    }
    write_followed_files(&mut finished.followed, &report.processes, &followed_checks, frames, asked.flame, io);
    if write_report(&report, comparison.as_ref(), asked.json, io).is_err() {
        return ExitCode::FAILURE;
    }
    if signal.is_some() {
        return ExitCode::from(EXIT_CRASHED);
    }
    if asked.check {
        if report.own_allocator.as_ref().is_some_and(OwnAllocator::has_malloc) {
            // Clean would say what was never looked at.
            let _ = writeln!(
                io.err,
                "error: nothing to check: {program}'s blocks come from an allocator of its own, which ffiscope does \
                 not see"
            );
            return ExitCode::from(EXIT_USAGE);
        }
        // Compared with a baseline, only what it did not find counts.
        let clean = comparison.map_or_else(
            || report.anomalies.is_empty() && !report.processes.iter().any(ProcessReport::has_findings),
            |comparison| !comparison.found_more(),
        );
        return if clean { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FINDINGS) };
    }
    ExitCode::from(status.and_then(|s| s.code()).map_or(1, |code| code as u8))
}

/// The report, where `--json` says (with the comparison asked for beside
/// it: `{"report": …, "comparison": …}`), the program's output on stdout
/// otherwise.
fn write_report(report: &Report, comparison: Option<&Comparison>, json: bool, io: &mut Io<'_>) -> std::io::Result<()> {
    match (comparison, json) {
        (None, true) => writeln!(io.out, "{}", report.to_json()),
        (Some(comparison), true) => {
            let both = serde_json::json!({ "report": report, "comparison": comparison });
            serde_json::to_string_pretty(&both)
                .map_err(std::io::Error::other)
                .and_then(|text| writeln!(io.out, "{text}"))
        }
        (comparison, false) => {
            write!(io.err, "{report}{}{}", report.notes_text(), report.processes_text())?;
            comparison.map_or(Ok(()), |comparison| write!(io.err, "{comparison}"))
        }
    }
}

/// Each followed process's flame graph and collapsed stacks, beside the
/// program's (`peak.4242.svg`, as `--out`'s `run.4242.fsrec`), and the end
/// of its recording file, with its stacks (`frames` deep) and report;
/// `checks` are their leak checks, in the report's order.
fn write_followed_files(
    followed: &mut [FollowedProcess],
    reported: &[ProcessReport],
    checks: &[LeakCheck],
    frames: u8,
    flame: &FlameArgs,
    io: &mut Io<'_>,
) {
    for ((process, reported), check) in followed.iter_mut().zip(reported).zip(checks) {
        let stacks = process.finished.interpreter.flame_stacks(&locked(&process.model), check);
        let beside = |path: &Option<std::path::PathBuf>| path.as_deref().map(|path| trace::beside(path, process.pid));
        let its_own = FlameArgs {
            flamegraph: beside(&flame.flamegraph),
            folded: beside(&flame.folded),
            flame_of: flame.flame_of,
            flame_inverted: flame.flame_inverted,
        };
        if !stacks.is_empty() {
            write_flame_graph(&its_own, &stacks, None, &reported.report.scenario, io);
        }
        let kept = match (process.finished.interpreter.trace.take(), &process.trace) {
            (Some(trace), Some(Ok(path))) => {
                // Its file is read back alone: its notes go with its report.
                let report = Report { notes: reported.notes.clone(), ..reported.report.clone() };
                trace.finish(stacks, frames, &report).map_err(|e| format!("{}: {e}", path.display()))
            }
            (_, Some(Err(why))) => Err(why.clone()),
            _ => Ok(()),
        };
        if let Err(why) = kept {
            let _ = writeln!(io.err, "warning: process {}'s recording file is incomplete: {why}", process.pid);
        }
    }
}

/// The recorded program's report: its heaps, findings and leaks, what it
/// started (unrecorded, or followed), and how it ended; with the leak
/// check of each process it followed, in the report's order.
fn recording_report(
    program: &str,
    finished: &Finished,
    model: &Model,
    check: &LeakCheck,
    suppressions: &Suppressions,
    top: usize,
) -> (Report, Vec<LeakCheck>) {
    let signal = finished.status.and_then(|s| s.signal());
    let mut report = Report::with_leaks(program, RECORDED, 0, model, &check.leaks);
    report.profile_heaps(model, top);
    report.own_allocator.clone_from(&finished.interpreter.own_allocator);
    report.notes = finished.notes(signal.is_some(), check, model);
    for (name, count) in finished.leak_tallies(check) {
        report.tallies.insert(name.to_owned(), count);
    }
    // What ran outside the recording, for a script to see (the text report names them).
    let started = finished.started_unrecorded.processes;
    if started > 0 {
        report.tallies.insert("processes_started_unrecorded".to_owned(), started);
    }
    let skipped = finished.started_unrecorded.skipped;
    if skipped > 0 {
        report.tallies.insert("processes_skipped".to_owned(), skipped);
    }
    let forked = finished.started_unrecorded.forked;
    if forked > 0 {
        report.tallies.insert("processes_forked_unrecorded".to_owned(), forked);
    }
    let (processes, checks) = finished.followed.iter().map(|process| process.report(suppressions, top)).unzip();
    report.processes = processes;
    let followed = report.processes.len() as u64 + finished.followed_not_kept;
    if followed > 0 {
        report.tallies.insert("processes_followed".to_owned(), followed);
    }
    if finished.followed_not_kept > 0 {
        report.tallies.insert("processes_followed_not_kept".to_owned(), finished.followed_not_kept);
    }
    if let Some(signal) = signal {
        report.outcome = Outcome::Crashed;
        report.signal = Some(signal_label(signal));
        if !report.anomalies.iter().any(|a| a.kind == AnomalyKind::Crash) {
            // No fault of its own reported it: the signal came from outside
            // (a kill), or a fault where no handler could run.
            let fault = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE].contains(&signal);
            let message = if fault {
                format!(
                    "The program was killed by {} where ffiscope could not see it: sent from outside, or a \
                     fault on a thread with no room left to handle it.",
                    signal_label(signal)
                )
            } else {
                format!("The program was killed by {} from outside.", signal_label(signal))
            };
            report.anomalies.push(failure(program, message));
        }
    }
    if finished.ending == Ending::NotRecorded {
        let message = "the program never started recording: it did not load ffiscope's library";
        report.anomalies.push(failure(program, message.to_owned()));
    }
    (report, checks)
}

/// The program as a whole failed (it was killed, or never recorded).
fn failure(program: &str, message: String) -> AnomalyReport {
    AnomalyReport { kind: AnomalyKind::Crash, domain: None, site: program.to_owned(), bytes: 0, step: None, message }
}

/// Whether the folders the flame graph and collapsed stacks go in are
/// there: a mistyped one is told before the program runs, not after.
pub(super) fn flame_files_can_be_written(flame: &FlameArgs) -> Result<(), String> {
    for path in [&flame.flamegraph, &flame.folded].into_iter().flatten() {
        let folder = path.parent().filter(|folder| !folder.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !folder.is_dir() {
            return Err(format!("cannot write {}: there is no folder {}", path.display(), folder.display()));
        }
    }
    Ok(())
}

/// Writes the flame graph and the collapsed stacks `flame` asks for, of
/// `stacks`, or, with `before`, a recording to compare with, of how they
/// differ from its; a file that cannot be written is warned of, the
/// recording's report still given.
pub(super) fn write_flame_graph(
    flame: &FlameArgs,
    stacks: &[FlameStack],
    before: Option<&Recorded>,
    program: &str,
    io: &mut Io<'_>,
) {
    let Some(before) = before else {
        write_flame_files(flame, &flame_lines(flame, stacks), program, None, io);
        return;
    };
    match flame::differential_lines(&flame_lines(flame, &before.opened.stacks), &flame_lines(flame, stacks)) {
        Ok(lines) => write_flame_files(flame, &lines, program, Some(&before.name), io),
        Err(why) => {
            let _ = writeln!(io.err, "warning: the flame graph could not be drawn: {why}");
        }
    }
}

/// The collapsed lines `flame` asks for, of `stacks` (turned over, if asked).
fn flame_lines(flame: &FlameArgs, stacks: &[FlameStack]) -> Vec<String> {
    flame::folded_lines(stacks, flame.flame_of, flame.flame_inverted)
}

/// Writes `lines` as the flame graph and the collapsed stacks `flame` asks
/// for (a differential one when `compared_with` names the other recording).
fn write_flame_files(flame: &FlameArgs, lines: &[String], program: &str, compared_with: Option<&str>, io: &mut Io<'_>) {
    let nothing = flame.flame_of.nothing_to_weigh();
    if let Some(path) = &flame.folded {
        if lines.is_empty() {
            let _ = writeln!(io.err, "note: no stack {nothing}: {} is empty", path.display());
        }
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        if let Err(error) = save_whole(path, text.as_bytes()) {
            let _ = writeln!(io.err, "warning: cannot write the collapsed stacks to {}: {error}", path.display());
        }
    }
    let Some(path) = &flame.flamegraph else { return };
    match flame::flame_graph_svg(lines, flame.flame_of, program, flame.flame_inverted, compared_with) {
        Some(Ok(svg)) => {
            if let Err(error) = save_whole(path, &svg) {
                let _ = writeln!(io.err, "warning: cannot write the flame graph to {}: {error}", path.display());
            }
        }
        Some(Err(why)) => {
            let _ = writeln!(io.err, "warning: the flame graph could not be drawn: {why}");
        }
        None => {
            let _ = writeln!(io.err, "note: no stack {nothing}: no flame graph written to {}", path.display());
        }
    }
}
