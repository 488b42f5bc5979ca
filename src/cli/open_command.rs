//! `ffiscope open run.fsrec`: a recording read back, its report and its
//! flame graphs; with `--compare before.fsrec`, set beside another
//! recording: what moved, what was found anew and what is gone.

use std::path::Path;
use std::process::ExitCode;

use super::record_command::{EXIT_FINDINGS, flame_files_can_be_written, write_compared_flame_graph, write_flame_graph};
use super::{EXIT_USAGE, FlameArgs, Io};
use crate::record::compare::{Side, compare};
use crate::record::trace::{self, Opened};
use crate::report::{Outcome, PEAK_SITES_LISTED, RECORDED, Report};

/// What the command line asked of `open`.
#[derive(Debug)]
pub struct Asked<'a> {
    pub json: bool,
    /// Exit 1 when something was found (with `compare`: found anew).
    pub check: bool,
    /// The recording to compare with, if any.
    pub compare: Option<&'a Path>,
    pub flame: &'a FlameArgs,
}

/// A recording read back: its file, what it holds, and its report.
struct Read<'p> {
    path: &'p Path,
    opened: Opened,
    report: Report,
}

pub fn open(path: &Path, asked: &Asked<'_>, io: &mut Io<'_>) -> ExitCode {
    if let Err(why) = flame_files_can_be_written(asked.flame) {
        let _ = writeln!(io.err, "error: {why}");
        return ExitCode::from(EXIT_USAGE);
    }
    let mut read = |path| -> Result<Read<'_>, ExitCode> {
        let opened = trace::open(path).map_err(|why| {
            let _ = writeln!(io.err, "error: {why}");
            ExitCode::from(EXIT_USAGE)
        })?;
        let report = report_of(&opened, path, io);
        Ok(Read { path, opened, report })
    };
    let (this, before) = match (read(path), asked.compare.map(&mut read).transpose()) {
        (Ok(this), Ok(before)) => (this, before),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    if asked.flame.asked()
        && let Err(code) = draw(asked.flame, &this, before.as_ref(), io)
    {
        return code;
    }
    let (written, found) = if let Some(before) = &before {
        let (other, path) = (before.path.display().to_string(), this.path.display().to_string());
        let comparison = compare(
            Side {
                name: &other,
                report: &before.report,
                stacks: &before.opened.stacks,
                stack_frames: before.opened.stack_frames,
            },
            Side {
                name: &path,
                report: &this.report,
                stacks: &this.opened.stacks,
                stack_frames: this.opened.stack_frames,
            },
            asked.flame.flame_of,
        );
        let written = if asked.json {
            serde_json::to_string_pretty(&comparison)
                .map_err(std::io::Error::other)
                .and_then(|text| writeln!(io.out, "{text}"))
        } else {
            write!(io.out, "{comparison}")
        };
        (written, comparison.found_more())
    } else {
        let report = &this.report;
        let written = if asked.json {
            writeln!(io.out, "{}", report.to_json())
        } else {
            write!(io.out, "{report}{}{}", report.notes_text(), report.processes_text())
        };
        (written, !report.anomalies.is_empty())
    };
    if written.is_err() {
        ExitCode::FAILURE
    } else if asked.check && found {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// The flame graph and collapsed stacks `flame` asks for: of `this`, or of
/// how it differs from `before`. A recording with no stacks is refused.
fn draw(flame: &FlameArgs, this: &Read<'_>, before: Option<&Read<'_>>, io: &mut Io<'_>) -> Result<(), ExitCode> {
    if let Some(lacking) = std::iter::once(this).chain(before).find(|read| read.opened.stacks.is_empty()) {
        let _ = writeln!(
            io.err,
            "error: {} holds no call stacks to draw: it was cut off before its end, or recorded by an ffiscope \
             that did not keep them",
            lacking.path.display()
        );
        return Err(ExitCode::from(EXIT_USAGE));
    }
    let (stacks, program) = (&this.opened.stacks, &this.report.scenario);
    match before {
        Some(before) => {
            let other = before.path.display().to_string();
            write_compared_flame_graph(flame, &other, &before.opened.stacks, stacks, program, io);
        }
        None => write_flame_graph(flame, stacks, program, io),
    }
    Ok(())
}

/// The report a recording ended with, or one rebuilt from the events of a
/// file cut off before it, which says so.
pub(super) fn report_of(opened: &Opened, path: &Path, io: &mut Io<'_>) -> Report {
    if let Some(report) = &opened.report {
        return report.clone();
    }
    let _ =
        writeln!(io.err, "note: {} stops before its report; rebuilt from its {} events", path.display(), opened.events);
    let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    // Blocks live when the file stops were not known to leak.
    let mut report = Report::with_leaks(&name, RECORDED, 0, &opened.model, &[]);
    report.profile_heaps(&opened.model, PEAK_SITES_LISTED);
    report.outcome = Outcome::Crashed;
    report
}
