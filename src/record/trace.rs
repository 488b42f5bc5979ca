//! A recording on disk (`record --out run.fsrec`, read back by `ffiscope
//! open` and the Record tab): JSON lines in the same shape an isolated
//! run's child streams ([`ChildMessage`]), so one reader serves both.
//! Each event carries its sites by name; anomalies found outside the
//! tracker follow as they are found; the final report closes the file.

use std::fs::File;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::Path;

use crate::ffi::Event;
use crate::report::{AnomalyReport, Report};
use crate::scenarios::isolated::ChildMessage;
use crate::track::{Anomaly, Model};

/// Writes a recording as it happens. The first failure is kept and every
/// later write skipped, so a full disk never stops the recording itself.
#[derive(Debug)]
pub struct TraceWriter {
    out: BufWriter<File>,
    failed: Option<std::io::Error>,
}

impl TraceWriter {
    pub fn create(path: &Path) -> std::io::Result<TraceWriter> {
        Ok(TraceWriter { out: BufWriter::new(File::create(path)?), failed: None })
    }

    fn write(&mut self, message: &ChildMessage) {
        if self.failed.is_some() {
            return;
        }
        let written = serde_json::to_writer(&mut self.out, message)
            .map_err(std::io::Error::other)
            .and_then(|()| self.out.write_all(b"\n"));
        self.failed = written.err();
    }

    pub fn event(&mut self, event: &Event) {
        self.write(&ChildMessage::Event { event: *event });
    }

    pub fn anomaly(&mut self, anomaly: &Anomaly) {
        self.write(&ChildMessage::Anomaly { anomaly: AnomalyReport::from(anomaly) });
    }

    /// Ends the file with the final report; says whether every line was written.
    pub fn finish(mut self, report: &Report) -> std::io::Result<()> {
        self.write(&ChildMessage::Done { report: Box::new(report.clone()) });
        match self.failed.take() {
            Some(error) => Err(error),
            None => self.out.flush(),
        }
    }
}

/// A recording read back.
#[derive(Debug)]
pub struct Opened {
    pub model: Model,
    /// The report the recording ended with; `None` when the file stops early
    /// (the recording was cut off).
    pub report: Option<Report>,
    pub events: u64,
}

/// Reads a recording; an unreadable line is an error naming its line.
pub fn open(path: &Path) -> Result<Opened, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut opened = Opened { model: Model::new(), report: None, events: 0 };
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), number + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let message: ChildMessage = serde_json::from_str(&line)
            .map_err(|e| format!("{}:{}:{}: not a recording line: {e}", path.display(), number + 1, e.column()))?;
        match message {
            ChildMessage::Event { event } => {
                opened.model.apply(&event);
                opened.events += 1;
            }
            ChildMessage::Anomaly { anomaly } => opened.model.push_anomaly(anomaly.into()),
            ChildMessage::Done { report } => opened.report = Some(*report),
            ChildMessage::StepBegin { .. } | ChildMessage::StepEnd { .. } => {}
        }
    }
    Ok(opened)
}
