//! The sites whose blocks were freed before their thread allocated again:
//! heaptrack's "temporary allocations", the churn a reused buffer or a
//! borrow would save (a `CString` made for one call and dropped after it).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ffi::Domain;
use crate::track::{Model, SiteRow, rows_with_the_most};

/// One heap's temporary allocations, by the sites that made the most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeapTemporaries {
    pub heap: Domain,
    /// Blocks freed by their thread before it allocated again.
    pub temporary: u64,
    /// Every allocation of the heap, for the share.
    pub allocations: u64,
    /// The sites that made the most, the most first.
    pub sites: Vec<TemporarySite>,
    /// The sites past those listed that made some, and how many.
    pub other_sites: u64,
    pub other_temporary: u64,
}

/// One site's temporary allocations, of all it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporarySite {
    pub site: String,
    pub temporary: u64,
    pub allocations: u64,
}

/// Each heap's temporary allocations with the `listed` sites that made the
/// most; a heap with none has no entry. Linear in the sites: only the
/// listed are sorted and named.
pub fn heap_temporaries(model: &Model, listed: usize) -> Vec<HeapTemporaries> {
    [Domain::C, Domain::Rust]
        .into_iter()
        .filter_map(|heap| {
            let stats = model.heap(heap).stats();
            if stats.temporary == 0 {
                return None;
            }
            let made: Vec<&SiteRow> =
                model.site_rows().iter().filter(|row| row.domain == heap && row.stats.temporary > 0).collect();
            let (made, rest) = rows_with_the_most(made, listed, |row| row.stats.temporary);
            let other_sites = rest.len() as u64;
            let other_temporary = rest.iter().map(|row| row.stats.temporary).sum();
            let sites = made
                .iter()
                .map(|row| TemporarySite {
                    site: row.site.to_owned(),
                    temporary: row.stats.temporary,
                    allocations: row.stats.allocations,
                })
                .collect();
            Some(HeapTemporaries {
                heap,
                temporary: stats.temporary,
                allocations: stats.allocations,
                sites,
                other_sites,
                other_temporary,
            })
        })
        .collect()
}

impl HeapTemporaries {
    /// The heap's temporary allocations and who made them, a line each,
    /// begun with `indent`; nothing where no site is listed.
    pub fn write(&self, f: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        if self.sites.is_empty() {
            return Ok(());
        }
        writeln!(
            f,
            "{indent}{} of the {} heap's {} allocations were temporary ({}), freed before their thread \
             allocated again; the most were made by:",
            self.temporary,
            self.heap.label(),
            self.allocations,
            super::share(self.temporary, self.allocations)
        )?;
        let lines: Vec<(String, &str)> = self
            .sites
            .iter()
            .map(|site| (format!("{} of {}", site.temporary, site.allocations), site.site.as_str()))
            .collect();
        super::write_site_lines(f, indent, &lines)?;
        if self.other_sites > 0 {
            writeln!(f, "{indent}  and {} other site(s), {} temporary", self.other_sites, self.other_temporary)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{HeapTemporaries, TemporarySite};
    use crate::ffi::Domain;
    use crate::report::share;

    #[test]
    fn temporaries_read_as_a_sentence_and_their_sites_line_up() {
        let site = |name: &str, temporary, allocations| TemporarySite { site: name.to_owned(), temporary, allocations };
        let heap = HeapTemporaries {
            heap: Domain::C,
            temporary: 1010,
            allocations: 4000,
            sites: vec![site("call (t.c:4)", 1000, 1000), site("main (t.c:9)", 9, 30)],
            other_sites: 1,
            other_temporary: 1,
        };
        let mut text = String::new();
        heap.write(&mut text, "  ").unwrap();
        assert_eq!(
            text,
            "  1010 of the C heap's 4000 allocations were temporary (25.2%), freed before their thread allocated \
             again; the most were made by:\n    \
             1000 of 1000  call (t.c:4)\n    \
             9 of 30       main (t.c:9)\n    \
             and 1 other site(s), 1 temporary\n"
        );
        let mut none = String::new();
        HeapTemporaries { sites: Vec::new(), ..heap }.write(&mut none, "").unwrap();
        assert_eq!(none, "", "with no site listed (`--top 0`), nothing");
    }

    #[test]
    fn a_share_has_one_decimal_and_survives_nothing() {
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(0, 0), "0%");
    }
}
