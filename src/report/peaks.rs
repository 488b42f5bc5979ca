//! What each heap held at its peak, by the sites that held the most: the
//! question a memory profiler answers first ("what made my peak?"), as
//! heaptrack's peak consumers and memray's high-water mark answer it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ffi::Domain;
use crate::track::{Model, SiteRow, rows_with_the_most};

/// The sites a report lists at each heap's peak, unless asked otherwise.
pub const PEAK_SITES_LISTED: usize = 5;

/// One heap at its peak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeapPeak {
    pub heap: Domain,
    pub bytes: u64,
    pub blocks: u64,
    /// Nanoseconds from the first recorded event to the one that made the
    /// peak (the first to reach it).
    pub after_ns: u64,
    /// The sites that held the most then, the most first.
    pub sites: Vec<PeakSite>,
    /// The sites past those listed that held something then, and their bytes.
    pub other_sites: u64,
    pub other_bytes: u64,
}

/// What one site held at its heap's peak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeakSite {
    pub site: String,
    pub bytes: u64,
    pub blocks: u64,
}

/// Each heap's peak with the `listed` sites that held the most then; a
/// heap that never held a byte has none. Linear in the sites (a view asks
/// each frame): only the listed are sorted and named.
pub fn heap_peaks(model: &Model, listed: usize) -> Vec<HeapPeak> {
    let first_ns = model.first_time_ns().unwrap_or(0);
    [Domain::C, Domain::Rust]
        .into_iter()
        .filter_map(|heap| {
            let (_, peak_ns) = model.heap(heap).peak_at()?;
            let held: Vec<&SiteRow> =
                model.site_rows().iter().filter(|row| row.domain == heap && row.at_peak.bytes > 0).collect();
            let blocks = held.iter().map(|row| row.at_peak.blocks).sum();
            let (held, rest) = rows_with_the_most(held, listed, |row| row.at_peak.bytes);
            let other_sites = rest.len() as u64;
            let other_bytes = rest.iter().map(|row| row.at_peak.bytes).sum();
            let sites: Vec<PeakSite> = held
                .iter()
                .map(|row| PeakSite { site: row.site.to_owned(), bytes: row.at_peak.bytes, blocks: row.at_peak.blocks })
                .collect();
            Some(HeapPeak {
                heap,
                bytes: model.heap(heap).stats().peak_bytes,
                blocks,
                after_ns: peak_ns.saturating_sub(first_ns),
                sites,
                other_sites,
                other_bytes,
            })
        })
        .collect()
}

impl HeapPeak {
    /// The heap's peak and who held it, a line each, begun with `indent`;
    /// nothing where no site is listed.
    pub fn write(&self, f: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        if self.sites.is_empty() {
            return Ok(());
        }
        writeln!(
            f,
            "{indent}at the {} heap's peak, {}, {:.3} s in, the most was held by:",
            self.heap.label(),
            held_text(self.bytes, self.blocks),
            self.after_ns as f64 / 1e9
        )?;
        let lines: Vec<(String, &str)> =
            self.sites.iter().map(|site| (held_text(site.bytes, site.blocks), site.site.as_str())).collect();
        super::write_site_lines(f, indent, &lines)?;
        if self.other_sites > 0 {
            writeln!(f, "{indent}  and {} other site(s), {} B", self.other_sites, self.other_bytes)?;
        }
        Ok(())
    }
}

fn held_text(bytes: u64, blocks: u64) -> String {
    let plural = if blocks == 1 { "" } else { "s" };
    format!("{bytes} B in {blocks} block{plural}")
}

#[cfg(test)]
mod tests {
    use super::{HeapPeak, PeakSite};
    use crate::ffi::Domain;

    #[test]
    fn a_peak_reads_as_a_sentence_and_its_sites_line_up() {
        let site = |name: &str, bytes, blocks| PeakSite { site: name.to_owned(), bytes, blocks };
        let peak = HeapPeak {
            heap: Domain::Rust,
            bytes: 1040,
            blocks: 1,
            after_ns: 2_500_000,
            sites: vec![site("r::main (r.rs:3)", 1000, 1), site("r::build (r.rs:1)", 40, 2)],
            other_sites: 0,
            other_bytes: 0,
        };
        let mut text = String::new();
        peak.write(&mut text, "  ").unwrap();
        assert_eq!(
            text,
            "  at the Rust heap's peak, 1040 B in 1 block, 0.003 s in, the most was held by:\n    \
             1000 B in 1 block  r::main (r.rs:3)\n    \
             40 B in 2 blocks   r::build (r.rs:1)\n"
        );
        let mut none = String::new();
        HeapPeak { sites: Vec::new(), other_sites: 2, ..peak }.write(&mut none, "").unwrap();
        assert_eq!(none, "", "with no site listed (`--top 0`), nothing");
    }
}
