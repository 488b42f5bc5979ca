//! A recording on disk (`record --out run.fsrec`, read back by `ffiscope
//! open` and the Record tab): JSON lines in the same shape an isolated
//! run's child streams ([`ChildMessage`]), so one reader serves both.
//! Each event carries its sites by name; anomalies found outside the
//! tracker follow as they are found; the final report closes the file.

use std::fs::File;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use super::flame::FlameStack;
use crate::ffi::Event;
use crate::report::{AnomalyReport, Report};
use crate::scenarios::isolated::ChildMessage;
use crate::track::{Anomaly, EventSource, Model};

/// Where a followed process's recording goes beside the program's `out`:
/// `run.fsrec` gives `run.4242.fsrec` for process 4242.
pub fn beside(out: &Path, pid: i32) -> std::path::PathBuf {
    let stem = out.file_stem().map_or_else(|| "recording".into(), |s| s.to_string_lossy().into_owned());
    let name = match out.extension() {
        Some(extension) => format!("{stem}.{pid}.{}", extension.to_string_lossy()),
        None => format!("{stem}.{pid}"),
    };
    out.with_file_name(name)
}

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

    /// Ends the file with the call stacks' counts, if any, and the final
    /// report; says whether every line was written.
    pub fn finish(mut self, stacks: Vec<FlameStack>, frames: u8, report: &Report) -> std::io::Result<()> {
        if !stacks.is_empty() {
            self.write(&ChildMessage::Stacks { stacks, frames: Some(frames) });
        }
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
    /// Its call stacks and what each made, for a flame graph; none in a
    /// file cut off before them.
    pub stacks: Vec<FlameStack>,
    /// The frames of each stack it kept (`--stack`), where it says.
    pub stack_frames: Option<u8>,
}

/// Reads a recording whole; an unreadable line is an error naming its line.
pub fn open(path: &Path) -> Result<Opened, String> {
    let mut reader = TraceReader::open(path)?;
    let mut model = Model::new();
    reader.feed_all(&mut model);
    let stacks = reader.take_stacks();
    let stack_frames = reader.stack_frames();
    reader.finish().map(|(report, events)| Opened { model, report, events, stacks, stack_frames })
}

/// A recording file as an event source: read a batch of lines at a time,
/// so a view can show a long recording filling in as it is read.
#[derive(Debug)]
pub struct TraceReader {
    path: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    line_number: usize,
    report: Option<Report>,
    events: u64,
    stacks: Vec<FlameStack>,
    stack_frames: Option<u8>,
    /// The first unreadable line; nothing is read past it.
    error: Option<String>,
}

impl TraceReader {
    pub fn open(path: &Path) -> Result<TraceReader, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TraceReader {
            path: path.to_owned(),
            lines: BufReader::new(file).lines(),
            line_number: 0,
            report: None,
            events: 0,
            stacks: Vec::new(),
            stack_frames: None,
            error: None,
        })
    }

    /// The recording's final report (`None` when the file stops before it)
    /// and how many events it held; or why a line could not be read.
    pub fn finish(self) -> Result<(Option<Report>, u64), String> {
        match self.error {
            Some(why) => Err(why),
            None => Ok((self.report, self.events)),
        }
    }

    /// The call stacks the recording ended with, once read (`record --out`
    /// writes them just before its report).
    pub fn take_stacks(&mut self) -> Vec<FlameStack> {
        std::mem::take(&mut self.stacks)
    }

    /// The frames of each stack the recording kept, where it says.
    pub fn stack_frames(&self) -> Option<u8> {
        self.stack_frames
    }

    /// The next message, `None` at the end of the file or after an error.
    fn next_message(&mut self) -> Option<ChildMessage> {
        while self.error.is_none() {
            let line = self.lines.next()?;
            self.line_number += 1;
            let (path, number) = (self.path.display(), self.line_number);
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    self.error = Some(format!("{path}:{number}: {e}"));
                    return None;
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(&line) {
                Ok(message) => return Some(message),
                Err(e) => {
                    self.error = Some(format!("{path}:{number}:{}: not a recording line: {e}", e.column()));
                }
            }
        }
        None
    }
}

impl EventSource for TraceReader {
    fn feed(&mut self, model: &mut Model, max: usize) -> usize {
        let mut applied = 0;
        while applied < max {
            let Some(message) = self.next_message() else { break };
            message.apply_to(model);
            applied += 1;
            match message {
                ChildMessage::Event { .. } => self.events += 1,
                ChildMessage::Done { report } => self.report = Some(*report),
                ChildMessage::Stacks { stacks, frames } => {
                    self.stacks = stacks;
                    self.stack_frames = frames;
                }
                ChildMessage::StepBegin { .. } | ChildMessage::StepEnd { .. } | ChildMessage::Anomaly { .. } => {}
            }
        }
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::{TraceReader, TraceWriter, open};
    use crate::ffi::{Domain, Event, EventKind};
    use crate::report::{RECORDED, Report};
    use crate::track::{EventSource, Model};

    fn event(seq: u64, kind: EventKind, address: u64) -> Event {
        Event {
            seq,
            time_ns: seq * 10,
            address,
            size: 32,
            related_address: 0,
            related_size: 0,
            site: None,
            related_site: None,
            thread: 1,
            domain: Domain::C,
            kind,
        }
    }

    #[test]
    fn a_recording_read_a_few_lines_at_a_time_builds_the_model_it_was_written_from() {
        let path = std::env::temp_dir().join(format!("ffiscope-trace-{}.fsrec", std::process::id()));
        let mut written = Model::new();
        let mut writer = TraceWriter::create(&path).expect("created");
        for n in 0..100 {
            let kind = if n % 3 == 2 { EventKind::Free } else { EventKind::Alloc };
            let e = event(n, kind, 0x1000 + (n / 3) * 64 + if kind == EventKind::Free { 0 } else { (n % 3) * 16 });
            written.apply(&e);
            writer.event(&e);
        }
        writer.finish(Vec::new(), 0, &Report::with_leaks("trace", RECORDED, 0, &written, &[])).expect("finished");

        let mut reader = TraceReader::open(&path).expect("opened");
        let mut model = Model::new();
        let mut batches = 0;
        while reader.feed(&mut model, 7) > 0 {
            batches += 1;
        }
        assert_eq!(batches, 15, "100 events and the report, 7 at a time");
        let (report, events) = reader.finish().expect("read to the end");
        assert_eq!(events, 100);
        assert!(report.is_some());
        for m in [&model, &open(&path).expect("read whole").model] {
            assert_eq!(m.heap(Domain::C).stats(), written.heap(Domain::C).stats());
            assert_eq!(m.outstanding_count(), written.outstanding_count());
        }
        std::fs::remove_file(&path).ok();
    }
}
