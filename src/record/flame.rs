//! What each call stack allocated, held at its heap's peak and leaked: the
//! counts a flame graph is drawn from (`record --flamegraph`). Kept per
//! place a block is made (a stack with `--stack`, else the site alone) as
//! the events go by, each site's brief holding its place's index, so that
//! an allocation or a free adds to its counts without a lookup; named only
//! at the end, when the stacks are read into frames.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ffi::{Domain, Site};

/// Where blocks are made: a stack (its tagged id, as the interpreter keeps
/// it) or, without one, the site that names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    Stack(u64),
    Site(Site),
}

/// One place's counts.
#[derive(Debug, Clone, Copy)]
struct Tally {
    place: Place,
    domain: Domain,
    allocations: u64,
    allocated_bytes: u64,
    temporary: u64,
    live_blocks: u64,
    live_bytes: u64,
    /// What it held at its heap's latest peak, kept as it first changes
    /// after each (`Model`'s sites keep theirs the same way): a comparison
    /// per event, however many places there are.
    peak_epoch: u64,
    peak_blocks: u64,
    peak_bytes: u64,
}

impl Tally {
    fn keep_peak(&mut self, heap_epoch: u64) {
        if self.peak_epoch != heap_epoch {
            self.peak_epoch = heap_epoch;
            self.peak_blocks = self.live_blocks;
            self.peak_bytes = self.live_bytes;
        }
    }
}

/// A place's counts among [`PlaceTallies`]', as a site's brief keeps it:
/// an event's costs no lookup.
pub type PlaceIndex = u32;

/// The places' counts, as the events go by.
#[derive(Debug, Default)]
pub struct PlaceTallies {
    index: FxHashMap<Place, PlaceIndex>,
    tallies: Vec<Tally>,
}

impl PlaceTallies {
    /// Where `place` is counted, from now until [`PlaceTallies::drain`].
    pub fn index_of(&mut self, place: Place) -> PlaceIndex {
        *self.index.entry(place).or_insert_with(|| {
            self.tallies.push(Tally {
                place,
                domain: Domain::C,
                allocations: 0,
                allocated_bytes: 0,
                temporary: 0,
                live_blocks: 0,
                live_bytes: 0,
                peak_epoch: 0,
                peak_blocks: 0,
                peak_bytes: 0,
            });
            (self.tallies.len() - 1) as PlaceIndex
        })
    }

    /// A block of `size` made at the place `at`, its heap at peak
    /// `heap_epoch` before it (read before the model takes the allocation).
    #[inline]
    pub fn allocate(&mut self, at: PlaceIndex, domain: Domain, size: u64, heap_epoch: u64) {
        if let Some(tally) = self.tallies.get_mut(at as usize) {
            tally.keep_peak(heap_epoch);
            tally.domain = domain;
            tally.allocations += 1;
            tally.allocated_bytes += size;
            tally.live_blocks += 1;
            tally.live_bytes += size;
        }
    }

    /// A block of `size` made at the place `at` is gone.
    #[inline]
    pub fn release(&mut self, at: PlaceIndex, size: u64, heap_epoch: u64) {
        if let Some(tally) = self.tallies.get_mut(at as usize) {
            tally.keep_peak(heap_epoch);
            tally.live_blocks = tally.live_blocks.saturating_sub(1);
            tally.live_bytes = tally.live_bytes.saturating_sub(size);
        }
    }

    /// A block made at the place `at` was freed as a temporary allocation.
    #[inline]
    pub fn temporary(&mut self, at: PlaceIndex) {
        if let Some(tally) = self.tallies.get_mut(at as usize) {
            tally.temporary += 1;
        }
    }

    /// Every block still live is gone at once (the process exec'd).
    pub fn release_all(&mut self, heap_epochs: impl Fn(Domain) -> u64) {
        for tally in &mut self.tallies {
            tally.keep_peak(heap_epochs(tally.domain));
            tally.live_blocks = 0;
            tally.live_bytes = 0;
        }
    }

    /// Each place's counts, the places forgotten (their indexes with
    /// them): those that made no block left out.
    pub fn drain(&mut self) -> Vec<(Place, PlaceCounts)> {
        self.index.clear();
        self.tallies
            .drain(..)
            .filter(|tally| tally.allocations > 0)
            .map(|tally| (tally.place, PlaceCounts(tally)))
            .collect()
    }
}

/// A place's counts, taken out of the tallies: read as of the heap's
/// peak at the end, which may come after the place's last block was made
/// (the process exec'd, and the next program made a higher one).
#[derive(Debug, Clone, Copy)]
pub struct PlaceCounts(Tally);

impl PlaceCounts {
    pub fn domain(&self) -> Domain {
        self.0.domain
    }

    /// What it made, and held when its heap was at the peak `heap_epoch`.
    pub fn as_of(self, heap_epoch: u64) -> FlameCounts {
        let mut tally = self.0;
        tally.keep_peak(heap_epoch);
        FlameCounts {
            allocations: tally.allocations,
            allocated_bytes: tally.allocated_bytes,
            temporary: tally.temporary,
            peak_blocks: tally.peak_blocks,
            peak_bytes: tally.peak_bytes,
            leaked_blocks: 0,
            leaked_bytes: 0,
        }
    }
}

/// A frame as a flame graph names it: a function known only by the
/// nearest symbol is named with its module alone (`near jv_parser_next
/// (libjq.so.1+0x29d78)` is `jv_parser_next (libjq.so.1)`), so that its
/// calls from different places in it are one frame; `;`, which parts the
/// frames of a collapsed line, is `:`.
pub fn flame_frame_name(name: &str) -> String {
    let by_symbol = name.strip_prefix("near ").and_then(|near| {
        let (function, place) = near.rsplit_once(" (")?;
        let (module, _offset) = place.strip_suffix(')')?.rsplit_once("+0x")?;
        Some(format!("{function} ({module})"))
    });
    by_symbol.unwrap_or_else(|| name.to_owned()).replace(';', ":")
}

/// Whether a stack's outermost frame is a program's `_start`: so named,
/// or an address in the program without a symbol (`jq+0x3df0`).
pub fn is_program_start(name: &str) -> bool {
    let name = name.strip_prefix("near ").unwrap_or(name);
    name.starts_with("_start ") || name == "_start" || !name.contains(' ')
}

/// What one stack did, as a flame graph weighs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlameCounts {
    pub allocations: u64,
    pub allocated_bytes: u64,
    /// Freed by the thread that made them before it allocated again.
    #[serde(default)]
    pub temporary: u64,
    /// Held when its heap was at its peak.
    pub peak_blocks: u64,
    pub peak_bytes: u64,
    /// Lost at exit, as the leak check found (suppressed, reachable and the
    /// C library's own blocks are not).
    pub leaked_blocks: u64,
    pub leaked_bytes: u64,
}

impl FlameCounts {
    pub fn add(&mut self, other: &FlameCounts) {
        self.allocations += other.allocations;
        self.allocated_bytes += other.allocated_bytes;
        self.temporary += other.temporary;
        self.peak_blocks += other.peak_blocks;
        self.peak_bytes += other.peak_bytes;
        self.leaked_blocks += other.leaked_blocks;
        self.leaked_bytes += other.leaked_bytes;
    }
}

/// A stack's frames, outermost first, and what the blocks made there did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlameStack {
    pub heap: Domain,
    pub frames: Vec<String>,
    #[serde(flatten)]
    pub counts: FlameCounts,
}

#[cfg(test)]
mod tests {
    use super::{Place, PlaceTallies, flame_frame_name, is_program_start};
    use crate::ffi::Domain;

    #[test]
    fn a_frame_known_by_its_nearest_symbol_is_named_by_function_and_module() {
        assert_eq!(flame_frame_name("near jv_parser_next (libjq.so.1+0x29d78)"), "jv_parser_next (libjq.so.1)");
        assert_eq!(flame_frame_name("main (app.c:10)"), "main (app.c:10)", "a line stays");
        assert_eq!(flame_frame_name("libjq.so.1+0x1bd86"), "libjq.so.1+0x1bd86", "nothing better");
        assert_eq!(flame_frame_name("<[T; 3] as Debug>::fmt (x.rs:2)"), "<[T: 3] as Debug>::fmt (x.rs:2)");
        assert!(is_program_start("jq+0x3df0") && is_program_start("_start (app+0x1040)"));
        assert!(!is_program_start("near sort_rows (app+0x1200)") && !is_program_start("main (app.c:3)"));
    }

    /// A place is read as it stood when its heap was at its peak, not at
    /// its own largest nor at the end.
    #[test]
    fn a_place_is_read_as_it_stood_at_its_heaps_peak() {
        let mut tallies = PlaceTallies::default();
        let (early, late) = (tallies.index_of(Place::Stack(1)), tallies.index_of(Place::Stack(2)));
        // Epochs as a heap counts its peaks: each event that raises it.
        tallies.allocate(early, Domain::C, 100, 0); // 100 B: peak 1
        tallies.allocate(late, Domain::C, 30, 1); // 130 B: peak 2
        tallies.release(early, 100, 2); // 30 B
        tallies.allocate(late, Domain::C, 20, 2); // 50 B, no new peak
        let mut read: Vec<_> =
            tallies.drain().into_iter().map(|(place, counts)| (place == Place::Stack(1), counts.as_of(2))).collect();
        read.sort_by_key(|(is_early, _)| !is_early);
        let [(_, early), (_, late)] = [read[0], read[1]];
        assert_eq!((early.peak_blocks, early.peak_bytes), (1, 100), "early held its block at the 130 B peak");
        assert_eq!((late.peak_blocks, late.peak_bytes), (1, 30), "late's second block came after the peak");
        assert_eq!((late.allocations, late.allocated_bytes), (2, 50));
    }
}
