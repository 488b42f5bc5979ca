//! The end-of-run report: the stable JSON shape that `ffiscope run --json`
//! prints, and its plain-text rendering.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use crate::ffi::Domain;
use crate::track::{Anomaly, AnomalyKind, BlockCounts, Model};

mod peaks;
mod temporaries;

pub use peaks::{HeapPeak, PEAK_SITES_LISTED, PeakSite, heap_peaks};
pub use temporaries::{HeapTemporaries, TemporarySite, heap_temporaries};

/// The variant a recording's report names: it ran a program, not a lesson.
pub const RECORDED: &str = "record";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Crashed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyReport {
    pub kind: AnomalyKind,
    pub domain: Option<Domain>,
    pub site: String,
    pub bytes: u64,
    /// Zero-based index of the step in which it happened.
    pub step: Option<u32>,
    pub message: String,
}

impl From<&Anomaly> for AnomalyReport {
    fn from(anomaly: &Anomaly) -> Self {
        AnomalyReport {
            kind: anomaly.kind,
            domain: anomaly.domain,
            site: anomaly.site.clone(),
            bytes: anomaly.bytes,
            step: anomaly.step,
            message: anomaly.message.clone(),
        }
    }
}

/// An anomaly read back from a report line (an isolated child's, a
/// recording's): where in the stream it was is not kept.
impl From<AnomalyReport> for Anomaly {
    fn from(report: AnomalyReport) -> Self {
        Anomaly {
            kind: report.kind,
            domain: report.domain,
            site: report.site,
            related_site: None,
            address: 0,
            bytes: report.bytes,
            step: report.step,
            seq: None,
            time_ns: None,
            message: report.message,
        }
    }
}

/// A table a run produces besides its heaps (the type-mapping table), as
/// text: what the Scenarios tab draws and `run --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Table {
    /// What the table shows, in a sentence or two: the verdict of a run whose point it is.
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One step as a learner steps it: what it is for, the code it shows, and
/// what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    pub title: String,
    pub explanation: String,
    /// The Rust the step runs, as the code pane shows it.
    pub rust: String,
    /// The C it calls, as the code pane shows it, if it calls C.
    pub c: Option<String>,
    /// What changed on the heaps; `None` for a step the run never finished.
    pub summary: Option<String>,
    /// Findings the step reported.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub scenario: String,
    pub variant: String,
    pub steps_run: u32,
    pub outcome: Outcome,
    /// The signal that ended a crashed run, e.g. "SIGSEGV".
    pub signal: Option<String>,
    pub c_heap: BlockCounts,
    pub rust_heap: BlockCounts,
    pub dropped_events: u64,
    pub anomalies: Vec<AnomalyReport>,
    /// A recording's heaps at their peaks, and the sites that held the most then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peaks: Vec<HeapPeak>,
    /// A recording's temporary allocations, and the sites that made the most.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub temporary: Vec<HeapTemporaries>,
    /// Counts the run kept of its own; a request loop's are `requests_planned`,
    /// `requests_served`, `requests_degraded` (answered from a fallback),
    /// `requests_failed` (answered with an error) and `requests_lost`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tallies: BTreeMap<String, u64>,
    /// Every step of the variant, with the code it shows and what it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepReport>,
    /// A table the run produced, if its lesson is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// The processes a recorded program started, each recorded on its own
    /// (`record --follow-children`), in the order they began.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProcessReport>,
    /// A recorded program whose calls of the allocator reach its own, not
    /// ffiscope's: what it allocates there is not in this report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_allocator: Option<OwnAllocator>,
    /// What a recording adds to its findings, a line each: how complete it
    /// is, what the program kept to the end or the leak check set apart,
    /// what could not be told (a followed process's are beside its report).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An allocator a recorded program has of its own, which ffiscope does not
/// see: functions ffiscope replaces that the program defines itself
/// (jemalloc linked in, rustc's), which the loader finds before any
/// preloaded library's, or an allocator linked in under names of its own
/// (mimalloc as Rust's `#[global_allocator]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnAllocator {
    /// As the C library names them (`malloc`, `free`, `_Znwm` for operator
    /// new), or as `library` does (`mi_malloc_aligned`).
    pub functions: Vec<String>,
    /// The file that defines the first of them: the program, as a rule.
    pub defined_in: String,
    /// An allocator linked in under names of its own (`mimalloc`), whose
    /// `functions` are its own: the program's `malloc` is the C library's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
}

impl OwnAllocator {
    /// Whether the blocks `malloc` makes are out of sight (not only C++'s `new`).
    pub fn has_malloc(&self) -> bool {
        self.functions.iter().any(|f| f == "malloc")
    }

    /// What the report says of it, in a sentence.
    pub fn sentence(&self) -> String {
        let named: Vec<String> = self
            .functions
            .iter()
            .map(|f| match f.as_str() {
                "_Znwm" => "`operator new`".to_owned(),
                "_ZdlPv" => "`operator delete`".to_owned(),
                other => format!("`{other}`"),
            })
            .collect();
        if let Some(library) = &self.library {
            return format!(
                "not recorded: {library} is linked into the program ({} in {}), and the blocks it makes never \
                 reach `malloc`: Rust's heap, where it is the `#[global_allocator]`, is not in this report, only \
                 what reaches the C library's allocator",
                and_list(&named),
                self.defined_in
            );
        }
        let (these, are) = if named.len() == 1 { ("it", "is") } else { ("them", "are") };
        format!(
            "not recorded: {} {are} the program's own (in {}): its calls, and its libraries', reach {these} and not \
             ffiscope's, so no block made there is in this report. Record a build that uses the C library's \
             allocator, or loads its own as a shared library (ffiscope's goes before it)",
            and_list(&named),
            self.defined_in
        )
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    }
}

/// A process a recorded program started, recorded on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessReport {
    pub pid: i32,
    /// Its arguments as it was started, space-separated, cut short.
    pub command: String,
    /// Its report; its `scenario` is the program's path.
    pub report: Report,
    /// What its recording adds: how complete it is, what it kept to the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// With `record --out`: the file its events went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// A forked copy of another recorded process that ran on without an
    /// exec: that process's pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<i32>,
}

impl ProcessReport {
    /// Whether it found anything, or the process did not end well.
    pub fn has_findings(&self) -> bool {
        !self.report.anomalies.is_empty() || self.report.outcome == Outcome::Crashed
    }

    /// The program's file name: `cc` for `/usr/bin/cc`.
    pub fn program_name(&self) -> &str {
        self.report.scenario.rsplit('/').next().unwrap_or(&self.report.scenario)
    }

    /// Whose copy it is, when it is a forked copy: " (a fork of pid 41)".
    pub fn fork_text(&self) -> String {
        self.forked_from.map(|parent| format!(" (a fork of pid {parent})")).unwrap_or_default()
    }
}

/// Characters of a followed process's command the text report shows (the JSON has all it kept).
const COMMAND_SHOWN: usize = 100;

/// Processes with no findings named, by program, in one line of the text report.
const CLEAN_PROGRAMS_NAMED: usize = 8;

impl Report {
    /// "completed", or "crashed (SIGSEGV)".
    pub fn outcome_label(&self) -> String {
        match (&self.outcome, &self.signal) {
            (Outcome::Completed, _) => "completed".to_owned(),
            (Outcome::Crashed, Some(signal)) => format!("crashed ({signal})"),
            (Outcome::Crashed, None) => "crashed".to_owned(),
        }
    }

    /// A completed run's report: the model's totals, its anomalies, and one
    /// leak per site that still has blocks outstanding.
    pub fn from_model(
        scenario: &str,
        variant: &str,
        steps_run: u32,
        model: &Model,
        releaser: &dyn Fn(&str) -> Option<&'static str>,
    ) -> Report {
        Report::with_leaks(scenario, variant, steps_run, model, &model.leak_anomalies(releaser))
    }

    /// As `from_model`, with the leaks the caller found (a recording leaves
    /// out the C runtime's own and the suppressed).
    pub fn with_leaks(scenario: &str, variant: &str, steps_run: u32, model: &Model, leaks: &[Anomaly]) -> Report {
        let anomalies = model.anomalies().iter().chain(leaks).map(AnomalyReport::from).collect();
        Report {
            scenario: scenario.to_owned(),
            variant: variant.to_owned(),
            steps_run,
            outcome: Outcome::Completed,
            signal: None,
            c_heap: *model.heap(Domain::C).stats(),
            rust_heap: *model.heap(Domain::Rust).stats(),
            dropped_events: model.dropped_events(),
            anomalies,
            peaks: Vec::new(),
            temporary: Vec::new(),
            tallies: with_requests_lost(model.tallies()),
            steps: Vec::new(),
            table: None,
            processes: Vec::new(),
            own_allocator: None,
            notes: Vec::new(),
        }
    }

    /// What a recording adds about its heaps: each at its peak, and its
    /// temporary allocations, with the `top` sites of each.
    pub fn profile_heaps(&mut self, model: &Model, top: usize) {
        self.peaks = heap_peaks(model, top);
        self.temporary = heap_temporaries(model, top);
    }

    /// "10 requests planned: 9 served, 1 from a fallback, 0 with an error, 0 lost",
    /// for a run that serves requests.
    pub fn requests_line(&self) -> Option<String> {
        let planned = *self.tallies.get("requests_planned")?;
        let count = |name: &str| self.tallies.get(name).copied().unwrap_or(0);
        Some(format!(
            "{planned} requests planned: {} served, {} from a fallback, {} with an error, {} lost",
            count("requests_served"),
            count("requests_degraded"),
            count("requests_failed"),
            count("requests_lost")
        ))
    }

    /// The anomalies grouped by kind and site, in the order each group first
    /// appeared: (index of the group's first anomaly, how many it has).
    pub fn findings(&self) -> Vec<(usize, usize)> {
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut group_of: rustc_hash::FxHashMap<(AnomalyKind, &str), usize> = rustc_hash::FxHashMap::default();
        for (index, anomaly) in self.anomalies.iter().enumerate() {
            let group = *group_of.entry((anomaly.kind, &anomaly.site)).or_insert_with(|| {
                groups.push((index, 0));
                groups.len() - 1
            });
            groups[group].1 += 1;
        }
        groups
    }

    /// The text of the processes a recording followed: those with findings
    /// each reported in full, the others counted by program in one line.
    /// The notes, a line each, as the text report ends its program's part.
    pub fn notes_text(&self) -> String {
        self.notes.iter().fold(String::new(), |mut text, note| {
            let _ = writeln!(text, "  {note}");
            text
        })
    }

    pub fn processes_text(&self) -> String {
        if self.processes.is_empty() {
            return String::new();
        }
        let mut text = format!("\n{} process(es) it started, each recorded on its own:\n", self.processes.len());
        let (found, clean): (Vec<&ProcessReport>, Vec<&ProcessReport>) =
            self.processes.iter().partition(|process| process.has_findings());
        for process in &found {
            let command = if process.command.is_empty() { &process.report.scenario } else { &process.command };
            let command = match command.char_indices().nth(COMMAND_SHOWN) {
                Some((cut, _)) => format!("{}…", &command[..cut]),
                None => command.clone(),
            };
            let kept = process.recording.as_ref().map(|file| format!(" (its events in {file})")).unwrap_or_default();
            let _ = writeln!(
                text,
                "  pid {}{} `{command}`: {}{kept}",
                process.pid,
                process.fork_text(),
                process.report.outcome_label()
            );
            let _ = process.report.write_body(&mut text, "    ");
            for note in &process.notes {
                let _ = writeln!(text, "    {note}");
            }
        }
        if !clean.is_empty() {
            let mut programs: Vec<(String, usize)> = Vec::new();
            for process in &clean {
                let fork = if process.forked_from.is_some() { " fork" } else { "" };
                let name = format!("{}{fork}", process.program_name());
                match programs.iter_mut().find(|(known, _)| *known == name) {
                    Some((_, count)) => *count += 1,
                    None => programs.push((name, 1)),
                }
            }
            programs.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
            let mut named: Vec<String> =
                programs.iter().take(CLEAN_PROGRAMS_NAMED).map(|(name, n)| format!("{name} ({n})")).collect();
            if programs.len() > CLEAN_PROGRAMS_NAMED {
                named.push(format!("{} more", programs.len() - CLEAN_PROGRAMS_NAMED));
            }
            let _ = writeln!(text, "  {} with no findings: {}", clean.len(), named.join(", "));
            // No findings where nothing was seen is no clean bill: said apart.
            let mut unseen: Vec<&str> = clean
                .iter()
                .filter(|process| process.report.own_allocator.is_some())
                .map(|process| process.program_name())
                .collect();
            let count = unseen.len();
            if count > 0 {
                unseen.sort_unstable();
                unseen.dedup();
                unseen.truncate(CLEAN_PROGRAMS_NAMED);
                let _ = writeln!(
                    text,
                    "    of them, {count} with an allocator of its own, which ffiscope does not see: {}",
                    unseen.join(", ")
                );
            }
        }
        text
    }

    /// The lines under the report's first: both heaps and the anomalies,
    /// each line begun with `indent`.
    fn write_body(&self, f: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        for (name, heap) in [("C heap   ", &self.c_heap), ("Rust heap", &self.rust_heap)] {
            writeln!(
                f,
                "{indent}{name}  {} allocations, {} frees, {} live blocks ({} B), peak {} B",
                heap.allocations, heap.frees, heap.live_blocks, heap.live_bytes, heap.peak_bytes
            )?;
        }
        if self.dropped_events > 0 {
            writeln!(f, "{indent}{} events dropped: the reader fell behind", self.dropped_events)?;
        }
        if let Some(requests) = self.requests_line() {
            writeln!(f, "{indent}{requests}")?;
        }
        if self.anomalies.is_empty() {
            writeln!(f, "{indent}no anomalies")?;
        }
        for anomaly in &self.anomalies {
            let step = anomaly.step.map_or_else(|| "end".to_owned(), |s| format!("step {}", s + 1));
            writeln!(f, "{indent}[{}] {} ({step}): {}", anomaly.kind.label(), anomaly.site, anomaly.message)?;
        }
        for peak in &self.peaks {
            peak.write(f, indent)?;
        }
        for heap in &self.temporary {
            heap.write(f, indent)?;
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }
}

/// A listed site a line, begun with `indent` and two spaces: what it
/// counts, in a column as wide as the widest, then its name.
fn write_site_lines(f: &mut impl fmt::Write, indent: &str, lines: &[(String, &str)]) -> fmt::Result {
    let width = lines.iter().map(|(count, _)| count.len()).max().unwrap_or(0);
    for (count, site) in lines {
        writeln!(f, "{indent}  {count:<width$}  {site}")?;
    }
    Ok(())
}

/// `part` of `whole` as a percentage, to one decimal: "43.8%".
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_owned();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// The tallies, with `requests_lost` worked out for a run that planned
/// requests: every planned request that was never answered, in any way.
fn with_requests_lost(tallies: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut tallies = tallies.clone();
    if let Some(&planned) = tallies.get("requests_planned") {
        let answered: u64 = ["requests_served", "requests_degraded", "requests_failed"]
            .iter()
            .filter_map(|name| tallies.get(*name))
            .sum();
        tallies.insert("requests_lost".to_owned(), planned.saturating_sub(answered));
    }
    tallies
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.variant == RECORDED {
            writeln!(f, "{}: recorded, {}", self.scenario, self.outcome_label())?;
        } else {
            writeln!(f, "{} / {}: {} step(s), {}", self.scenario, self.variant, self.steps_run, self.outcome_label())?;
        }
        // Written whole, then passed on: a formatter's padding applies to
        // nothing here.
        let mut body = String::new();
        self.write_body(&mut body, "  ")?;
        f.write_str(&body)
    }
}
