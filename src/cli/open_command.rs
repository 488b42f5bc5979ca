//! `ffiscope open run.fsrec`: a recording read back, its report and its
//! flame graphs; with `--compare before.fsrec`, set beside another
//! recording: what moved, what was found anew and what is gone.

use std::path::Path;
use std::process::ExitCode;

use super::record_command::{EXIT_FINDINGS, flame_files_can_be_written, write_flame_graph};
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

/// A recording read back whole: its file's name, what it holds, and its
/// report.
pub(super) struct Recorded {
    pub name: String,
    pub opened: Opened,
    pub report: Report,
}

impl Recorded {
    /// The recording at `path`; a file cut off before its report has one
    /// rebuilt from its events, which is said.
    pub(super) fn read(path: &Path, io: &mut Io<'_>) -> Result<Recorded, String> {
        let mut opened = trace::open(path)?;
        let report = match opened.report.take() {
            Some(report) => report,
            None => rebuilt_report(&opened, path, io),
        };
        Ok(Recorded { name: path.display().to_string(), opened, report })
    }

    /// It, as a comparison reads it.
    pub(super) fn side(&self) -> Side<'_> {
        Side {
            name: &self.name,
            report: &self.report,
            stacks: &self.opened.stacks,
            stack_frames: self.opened.stack_frames,
        }
    }
}

pub fn open(path: &Path, asked: &Asked<'_>, io: &mut Io<'_>) -> ExitCode {
    if let Err(why) = flame_files_can_be_written(asked.flame) {
        let _ = writeln!(io.err, "error: {why}");
        return ExitCode::from(EXIT_USAGE);
    }
    let read = Recorded::read(path, io)
        .and_then(|this| Ok((this, asked.compare.map(|other| Recorded::read(other, io)).transpose()?)));
    let (this, before) = match read {
        Ok(read) => read,
        Err(why) => {
            let _ = writeln!(io.err, "error: {why}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if asked.flame.asked()
        && let Err(code) = draw(asked.flame, &this, before.as_ref(), io)
    {
        return code;
    }
    let (written, found) = if let Some(before) = &before {
        let comparison = compare(before.side(), this.side(), asked.flame.flame_of);
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
fn draw(flame: &FlameArgs, this: &Recorded, before: Option<&Recorded>, io: &mut Io<'_>) -> Result<(), ExitCode> {
    if let Some(lacking) = std::iter::once(this).chain(before).find(|read| read.opened.stacks.is_empty()) {
        let _ = writeln!(
            io.err,
            "error: {} holds no call stacks to draw: it was cut off before its end, or recorded by an ffiscope \
             that did not keep them",
            lacking.name
        );
        return Err(ExitCode::from(EXIT_USAGE));
    }
    write_flame_graph(flame, &this.opened.stacks, before, &this.report.scenario, io);
    Ok(())
}

/// A report rebuilt from the events of a file cut off before its own, which
/// says so.
fn rebuilt_report(opened: &Opened, path: &Path, io: &mut Io<'_>) -> Report {
    let _ =
        writeln!(io.err, "note: {} stops before its report; rebuilt from its {} events", path.display(), opened.events);
    let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    // Blocks live when the file stops were not known to leak.
    let mut report = Report::with_leaks(&name, RECORDED, 0, &opened.model, &[]);
    report.profile_heaps(&opened.model, PEAK_SITES_LISTED);
    report.outcome = Outcome::Crashed;
    report
}
