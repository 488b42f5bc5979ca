//! `ffiscope record -- PROGRAM ARGS…`: runs a program with its allocator
//! recorded, live into a model, and reports like `run`: both heaps, the
//! anomalies, and the leaks left at exit.

use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitCode;
use std::time::Duration;

use super::{EXIT_CRASHED, EXIT_USAGE, Io};
use crate::record::suppressions::Suppressions;
use crate::record::{ProgramOutput, RecordSpec, Recording};
use crate::report::{AnomalyReport, Outcome, RECORDED, Report};
use crate::scenarios::isolated::signal_label;
use crate::track::{AnomalyKind, Model};

/// What the command line asked for.
#[derive(Debug)]
pub struct Asked<'a> {
    pub command: &'a [String],
    pub json: bool,
    pub check: bool,
    pub suppress: Option<&'a std::path::Path>,
}

/// Exit code of `record --check` when it found anything.
pub const EXIT_FINDINGS: u8 = 1;

pub fn record(asked: &Asked<'_>, io: &mut Io<'_>) -> ExitCode {
    let Some((program, args)) = asked.command.split_first() else {
        let _ = writeln!(io.err, "error: name the program to record, after `--`");
        return ExitCode::from(EXIT_USAGE);
    };
    let suppressions = match asked.suppress.map(std::fs::read_to_string).transpose() {
        Ok(text) => match Suppressions::parse(text.as_deref().unwrap_or_default()) {
            Ok(parsed) => parsed,
            Err(why) => {
                let path = asked.suppress.map(|p| p.display().to_string()).unwrap_or_default();
                let _ = writeln!(io.err, "error: {path}:{why}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        Err(error) => {
            let _ = writeln!(io.err, "error: cannot read the suppressions: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let spec = RecordSpec {
        program: program.clone(),
        args: args.iter().map(Into::into).collect(),
        working_dir: None,
        // With --json, stdout carries the report alone.
        output: if asked.json { ProgramOutput::ToStderr } else { ProgramOutput::Inherited },
    };
    let mut recording = match Recording::start(&spec) {
        Ok(recording) => recording,
        Err(why) => {
            let _ = writeln!(io.err, "error: {why}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut model = Model::new();
    while recording.exited().is_none() {
        if recording.poll(&mut model) == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let finished = recording.finish(&mut model);
    let status = finished.status;
    let signal = status.and_then(|s| s.signal());
    let mut report = Report::from_model(program, RECORDED, 0, &model, &|_| None);
    let leaks = finished.interpreter.leaks(&model, &suppressions);
    report.anomalies.retain(|a| a.kind != AnomalyKind::Leak);
    report.anomalies.extend(leaks.iter().map(AnomalyReport::from));
    if let Some(signal) = signal {
        report.outcome = Outcome::Crashed;
        report.signal = Some(signal_label(signal));
    }
    if !finished.recorded {
        report.anomalies.push(AnomalyReport {
            kind: AnomalyKind::Crash,
            domain: None,
            site: program.clone(),
            bytes: 0,
            step: None,
            message: "the program never started recording: it did not load ffiscope's library".to_owned(),
        });
    }
    let written = if asked.json {
        writeln!(io.out, "{}", report.to_json())
    } else {
        let uncertain = if finished.uncertain_blocks > 0 {
            format!(
                "  {} block(s) from code with no debug information: counted in the C heap, their heap uncertain\n",
                finished.uncertain_blocks
            )
        } else {
            String::new()
        };
        write!(io.err, "{report}{uncertain}")
    };
    if written.is_err() {
        return ExitCode::FAILURE;
    }
    if signal.is_some() {
        return ExitCode::from(EXIT_CRASHED);
    }
    if asked.check {
        return if report.anomalies.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FINDINGS) };
    }
    ExitCode::from(status.and_then(|s| s.code()).map_or(1, |code| code as u8))
}
