//! Two recordings of a program side by side, as heaptrack's "compare to"
//! has them: how each heap's peak, allocations and leaks moved, which
//! findings are new and which are gone, and which of the functions that
//! made blocks changed the most.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::export::flame::FlameOf;
use crate::ffi::Domain;
use crate::record::flame::{FlameCounts, FlameStack};
use crate::report::{AnomalyReport, Report};

/// How many changed functions a comparison lists; the rest are counted.
pub const FUNCTIONS_LISTED: usize = 10;

/// One recording as a comparison reads it: its report and its stacks.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// How the comparison names it (its file).
    pub name: &'a str,
    pub report: &'a Report,
    pub stacks: &'a [FlameStack],
    /// The frames of each stack it kept (`--stack`), where known.
    pub stack_frames: Option<u8>,
}

/// One number, in the recording compared with and in this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Change {
    pub before: u64,
    pub after: u64,
}

impl Change {
    fn new(before: u64, after: u64) -> Change {
        Change { before, after }
    }

    fn delta(self) -> i128 {
        i128::from(self.after) - i128::from(self.before)
    }

    /// `before → after (+delta, +percent)`, or `after, unchanged`.
    fn describe(self, unit: &str) -> String {
        let Change { before, after } = self;
        let delta = self.delta();
        if delta == 0 {
            return format!("{after}{unit}, unchanged");
        }
        let percent = if before == 0 {
            String::new()
        } else {
            #[expect(clippy::cast_precision_loss, reason = "a percentage to one decimal")]
            let share = delta as f64 * 100.0 / before as f64;
            format!(", {share:+.1}%")
        };
        format!("{before}{unit} → {after}{unit} ({delta:+}{unit}{percent})")
    }
}

/// How a heap moved between the recordings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeapChange {
    pub heap: Domain,
    pub peak_bytes: Change,
    pub allocations: Change,
    pub leaked_blocks: Change,
    pub leaked_bytes: Change,
}

/// A function that made blocks (the innermost frame of their stacks) and
/// the one that called it, what their blocks did in each recording: an
/// allocation wrapper or a library's function (`jv_mem_alloc`, `strdup`)
/// makes blocks for many callers, told apart by them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionChange {
    pub heap: Domain,
    pub function: String,
    /// The frame that called it, where the stack has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub called_from: Option<String>,
    pub before: FlameCounts,
    pub after: FlameCounts,
}

/// Two recordings compared.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub program: String,
    pub compared_with: String,
    /// What the functions are ranked by: `peak`, `leaks`, `allocated`…
    pub ranked_by: FlameOf,
    pub heaps: Vec<HeapChange>,
    /// Findings this recording has and the one compared with has not, by
    /// their kind and site.
    pub new_findings: Vec<AnomalyReport>,
    pub gone_findings: Vec<AnomalyReport>,
    /// The functions whose weight changed, the largest change first.
    pub functions: Vec<FunctionChange>,
    pub functions_not_listed: usize,
    /// What may make the two differ that the program did not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// `after` compared with `before`; the functions ranked by how much their
/// weight (`of`) changed.
pub fn compare(before: Side<'_>, after: Side<'_>, of: FlameOf) -> Comparison {
    let (made_before, made_after) = (by_function(before.stacks), by_function(after.stacks));
    let heaps = Domain::ALL
        .into_iter()
        .map(|heap| {
            let counts = |side: &Side<'_>| if heap == Domain::C { side.report.c_heap } else { side.report.rust_heap };
            let (was, is) = (counts(&before), counts(&after));
            let (lost, losing) = (heap_total(&made_before, heap), heap_total(&made_after, heap));
            HeapChange {
                heap,
                peak_bytes: Change::new(was.peak_bytes, is.peak_bytes),
                allocations: Change::new(was.allocations, is.allocations),
                leaked_blocks: Change::new(lost.leaked_blocks, losing.leaked_blocks),
                leaked_bytes: Change::new(lost.leaked_bytes, losing.leaked_bytes),
            }
        })
        .collect();
    let mut functions: Vec<FunctionChange> = made_before
        .keys()
        .chain(made_after.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|key| FunctionChange {
            heap: key.heap,
            function: key.function.clone(),
            called_from: key.called_from.clone(),
            before: made_before.get(key).copied().unwrap_or_default(),
            after: made_after.get(key).copied().unwrap_or_default(),
        })
        .filter(|change| of.weight(&change.before) != of.weight(&change.after))
        .collect();
    let moved = |change: &FunctionChange| Change::new(of.weight(&change.before), of.weight(&change.after)).delta();
    functions.sort_by_key(|change| std::cmp::Reverse(moved(change).unsigned_abs()));
    let functions_not_listed = functions.len().saturating_sub(FUNCTIONS_LISTED);
    functions.truncate(FUNCTIONS_LISTED);
    Comparison {
        program: after.report.scenario.clone(),
        compared_with: before.name.to_owned(),
        ranked_by: of,
        heaps,
        new_findings: findings_apart(after.report, before.report),
        gone_findings: findings_apart(before.report, after.report),
        functions,
        functions_not_listed,
        notes: stacks_kept_apart(&before, &after).into_iter().collect(),
    }
}

/// Why two recordings' stacks may not compare: they kept different depths
/// of them, and a stack or place is matched by its frames' names.
fn stacks_kept_apart(before: &Side<'_>, after: &Side<'_>) -> Option<String> {
    let (Some(was), Some(is)) = (before.stack_frames, after.stack_frames) else { return None };
    let kept = |frames: u8| {
        if frames == 0 {
            "no stack (a block named by its line alone)".to_owned()
        } else {
            format!("{frames} frames of each stack")
        }
    };
    (was != is).then(|| {
        format!(
            "{} kept {} and {} {}: a stack or a place is matched by its frames' names, so the same call may stand \
             apart in the two; record both the same way (the same `--stack`)",
            before.name,
            kept(was),
            after.name,
            kept(is)
        )
    })
}

/// Where blocks were made: on which heap, by which function, called from where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Maker {
    heap: Domain,
    function: String,
    called_from: Option<String>,
}

/// What each function that made blocks made, by heap and caller: the
/// stacks' counts summed by their two innermost frames.
fn by_function(stacks: &[FlameStack]) -> BTreeMap<Maker, FlameCounts> {
    let mut made: BTreeMap<Maker, FlameCounts> = BTreeMap::new();
    for stack in stacks {
        let Some((innermost, outer)) = stack.frames.split_last() else { continue };
        let maker = Maker { heap: stack.heap, function: innermost.clone(), called_from: outer.last().cloned() };
        made.entry(maker).or_default().add(&stack.counts);
    }
    made
}

/// What every function that made blocks on `heap` made, together: a
/// heap's stacks add up to its leaks (as the leak check found them).
fn heap_total(made: &BTreeMap<Maker, FlameCounts>, heap: Domain) -> FlameCounts {
    made.iter().filter(|(maker, _)| maker.heap == heap).fold(FlameCounts::default(), |mut sum, (_, counts)| {
        sum.add(counts);
        sum
    })
}

/// The findings of `report` that `other` has none of the same kind at the
/// same site.
fn findings_apart(report: &Report, other: &Report) -> Vec<AnomalyReport> {
    let theirs: BTreeSet<_> = other.anomalies.iter().map(|a| (a.kind.label(), a.site.as_str())).collect();
    report.anomalies.iter().filter(|a| !theirs.contains(&(a.kind.label(), a.site.as_str()))).cloned().collect()
}

impl Comparison {
    /// Whether this recording found something the one compared with did not.
    pub fn found_more(&self) -> bool {
        !self.new_findings.is_empty()
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        writeln!(text, "{} compared with {}:", self.program, self.compared_with)?;
        for heap in &self.heaps {
            writeln!(
                text,
                "  {:<9}  peak {}; allocations {}; leaked {}",
                format!("{} heap", heap.heap.label()),
                heap.peak_bytes.describe(" B"),
                heap.allocations.describe(""),
                heap.leaked_bytes.describe(" B"),
            )?;
        }
        write_findings(&mut text, &self.new_findings, "new, not in the recording compared with")?;
        write_findings(&mut text, &self.gone_findings, "gone, found in the recording compared with")?;
        if self.new_findings.is_empty() && self.gone_findings.is_empty() {
            writeln!(text, "  the same findings in both")?;
        }
        self.write_functions(&mut text)?;
        for note in &self.notes {
            writeln!(text, "  note: {note}")?;
        }
        f.write_str(&text)
    }
}

fn write_findings(text: &mut String, findings: &[AnomalyReport], which: &str) -> fmt::Result {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(text, "  {} finding(s) {which}:", findings.len())?;
    for finding in findings {
        writeln!(text, "    [{}] {}: {}", finding.kind.label(), finding.site, finding.message)?;
    }
    Ok(())
}

impl Comparison {
    fn write_functions(&self, text: &mut String) -> fmt::Result {
        let of = self.ranked_by;
        if self.functions.is_empty() {
            return writeln!(text, "  no place where blocks were made changed its {}", of.measure());
        }
        let unit = if of.counts_bytes() { " B" } else { "" };
        writeln!(
            text,
            "  where blocks were made (a function, and the one that called it), by how much their {} changed:",
            of.measure()
        )?;
        let rows: Vec<(String, String)> = self
            .functions
            .iter()
            .map(|change| {
                let moved = Change::new(of.weight(&change.before), of.weight(&change.after));
                let (Change { before, after }, delta) = (moved, moved.delta());
                let on = change.heap.label();
                let from = change.called_from.as_ref().map_or_else(String::new, |caller| format!(" from {caller}"));
                let made = format!("{}{from}, {on} heap: {before}{unit} → {after}{unit}", change.function);
                (format!("{delta:+}{unit}"), made)
            })
            .collect();
        let width = rows.iter().map(|(delta, _)| delta.chars().count()).max().unwrap_or(0);
        for (delta, what) in rows {
            writeln!(text, "    {delta:>width$}  {what}")?;
        }
        if self.functions_not_listed > 0 {
            writeln!(text, "    and {} other place(s) changed", self.functions_not_listed)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{FUNCTIONS_LISTED, Side, compare};
    use crate::export::flame::FlameOf;
    use crate::ffi::Domain;
    use crate::record::flame::{FlameCounts, FlameStack};
    use crate::report::{RECORDED, Report};
    use crate::track::Model;

    fn made(function: &str, peak_bytes: u64, leaked_bytes: u64) -> FlameStack {
        let counts = FlameCounts { allocations: 1, peak_bytes, leaked_bytes, ..FlameCounts::default() };
        FlameStack { heap: Domain::C, frames: vec!["main (a.c:1)".to_owned(), function.to_owned()], counts }
    }

    /// The functions are ranked by how far what `--flame-of` weighs moved,
    /// either way; one that did not move is not listed, and past
    /// `FUNCTIONS_LISTED` they are counted.
    #[test]
    fn functions_are_ranked_by_how_far_their_weight_moved() {
        let report = Report::with_leaks("./a", RECORDED, 0, &Model::new(), &[]);
        let before: Vec<FlameStack> =
            (0..12).map(|i| made(&format!("f{i}"), 100, 0)).chain([made("same", 5, 5), made("gone", 0, 50)]).collect();
        let after: Vec<FlameStack> = (0..12)
            .map(|i| made(&format!("f{i}"), 100 + 10 * i, 0))
            .chain([made("same", 5, 5), made("grew", 0, 80), made("f3", 0, 0)])
            .collect();
        let side = |stacks| Side { name: "x.fsrec", report: &report, stacks, stack_frames: Some(8) };
        let by_peak = compare(side(&before), side(&after), FlameOf::Peak);
        let names: Vec<&str> = by_peak.functions.iter().map(|change| change.function.as_str()).collect();
        assert_eq!(names[..3], ["f11", "f10", "f9"], "the largest moves first");
        assert_eq!((names.len(), by_peak.functions_not_listed), (FUNCTIONS_LISTED, 1), "f1..f11, f3 twice, f0 unmoved");
        let by_leaks = compare(side(&before), side(&after), FlameOf::Leaks);
        let names: Vec<&str> = by_leaks.functions.iter().map(|change| change.function.as_str()).collect();
        assert_eq!(names, ["grew", "gone"], "only what leaked moved: {names:?}");
        assert_eq!((by_leaks.heaps[0].leaked_bytes.before, by_leaks.heaps[0].leaked_bytes.after), (55, 85));
        assert!(by_leaks.to_string().contains("+80 B  grew from main (a.c:1), C heap: 0 B → 80 B"), "{by_leaks}");
        assert_eq!(by_leaks.functions[0].called_from.as_deref(), Some("main (a.c:1)"));
        assert!(by_leaks.notes.is_empty(), "both kept 8 frames");
    }

    /// Recordings that kept stacks of different depths say so: their
    /// stacks and places are matched by name.
    #[test]
    fn recordings_with_stacks_of_different_depths_say_so() {
        let report = Report::with_leaks("./a", RECORDED, 0, &Model::new(), &[]);
        let stacks = [made("f", 1, 0)];
        let side = |name, stack_frames| Side { name, report: &report, stacks: &stacks, stack_frames };
        let compared = compare(side("old.fsrec", Some(0)), side("./a", Some(32)), FlameOf::Peak);
        assert_eq!(
            compared.notes,
            [
                "old.fsrec kept no stack (a block named by its line alone) and ./a 32 frames of each stack: a stack or a \
              place is matched by its frames' names, so the same call may stand apart in the two; record both the \
              same way (the same `--stack`)"
            ]
        );
        assert!(compared.to_string().contains("  note: old.fsrec kept no stack"), "{compared}");
        let unknown = compare(side("old.fsrec", None), side("./a", Some(32)), FlameOf::Peak);
        assert!(unknown.notes.is_empty(), "a file that does not say is not guessed at");
    }
}
