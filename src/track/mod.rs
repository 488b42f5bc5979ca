//! The model both heaps feed: events drained from the tracker become per-heap
//! series, per-site statistics, the outstanding blocks and the anomaly list.
//! Views read it; only its `apply` family ([`Model::apply`], and for a
//! reader's allocations and frees [`Model::allocate`] and [`Model::free`])
//! changes it.

// Every event of a run or a recording passes through the model's counts,
// series and outstanding blocks: their steps are forced in line into the
// readers' loops, where a call per step was a quarter of a recording
// reader's instructions (BENCHMARKS.md, "Every event's steps in line").
#![expect(clippy::inline_always, reason = "measured: each event's steps in line, see above")]

pub mod accounting;
mod address_map;
mod anomaly;
mod heap;
mod outstanding;
mod session;
mod source;
mod temporary;

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use crate::ffi::{Domain, Event, EventKind, Site, Tracker, sys};
use outstanding::OutstandingBlocks;
use temporary::LatestAllocations;

pub use anomaly::{Anomaly, AnomalyKind};
pub use heap::{BlockCounts, HeapModel, SERIES_LIMIT, SeriesPoint};
pub use session::{LEAK_SITE, TrackerCommand, TrackerSession};
pub use source::EventSource;

/// The most outstanding blocks a view lists, oldest first: a frame costs
/// the same whether a program holds ten thousand blocks or ten million.
pub const OUTSTANDING_LISTED: usize = 10_000;

/// An allocation or a free, the two kinds nearly every event is: what the
/// model needs of one, handed over by a reader without building an [`Event`].
#[derive(Debug, Clone, Copy)]
pub struct BlockChange {
    pub seq: u64,
    pub time_ns: u64,
    pub address: u64,
    pub size: u64,
    pub domain: Domain,
    /// Where an allocation was made; a free's is not needed (the model
    /// remembers each block's).
    pub site: Option<Site>,
    /// The thread that made the change: a block it frees before it
    /// allocates again was a temporary allocation.
    pub thread: u32,
}

impl BlockChange {
    #[inline(always)]
    fn of(event: &Event) -> BlockChange {
        BlockChange {
            seq: event.seq,
            time_ns: event.time_ns,
            address: event.address,
            size: event.size,
            domain: event.domain,
            site: event.site,
            thread: event.thread,
        }
    }
}

/// A block the model holds as live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutstandingBlock {
    pub address: u64,
    pub size: u64,
    pub domain: Domain,
    pub site: Option<Site>,
    /// The step that allocated it, when the model was told steps.
    pub step: Option<u32>,
    /// Stream position of its allocation.
    pub seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SiteKey {
    domain: Domain,
    site: Option<Site>,
}

/// One allocating site of one heap. Frees count against the site that
/// allocated, so that `live_blocks` says what it still has outstanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteRow {
    pub domain: Domain,
    pub site: &'static str,
    pub stats: BlockCounts,
    /// What it held when its heap was at its peak: what made the peak.
    pub at_peak: AtPeak,
}

/// The order rows are listed in by name: by heap, then name as a person
/// reads it, a line's number by its value (`main (c.c:9)` before
/// `main (c.c:10)`).
fn by_heap_then_name(a: &SiteRow, b: &SiteRow) -> std::cmp::Ordering {
    a.domain.cmp(&b.domain).then_with(|| alphanumeric_sort::compare_str(a.site, b.site))
}

/// The `listed` of `rows` with the most of `count`, the most first, and
/// the rest, in no order: only the listed are sorted, so a view may ask
/// each frame however many sites there are. `rows` are of one slice of
/// `Model::site_rows`, by heap then name, and ties keep that order, told
/// by their places in it: comparing their names again costs a frame of
/// 5,000 sites that all held 16 B at the peak 0.8 ms.
pub fn rows_with_the_most(
    mut rows: Vec<&SiteRow>,
    listed: usize,
    count: impl Fn(&SiteRow) -> u64,
) -> (Vec<&SiteRow>, Vec<&SiteRow>) {
    let most_first = |a: &&SiteRow, b: &&SiteRow| {
        count(b).cmp(&count(a)).then_with(|| std::ptr::from_ref(*a).cmp(&std::ptr::from_ref(*b)))
    };
    if listed < rows.len() {
        rows.select_nth_unstable_by(listed, most_first);
    }
    let rest = rows.split_off(listed.min(rows.len()));
    rows.sort_unstable_by(most_first);
    (rows, rest)
}

/// A site's live blocks and bytes at its heap's peak. Kept as the site
/// first changes after each new peak (`epoch`, the heap's count of them),
/// so that every event costs a comparison, however many sites there are;
/// a site unchanged since the last peak holds what it held then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AtPeak {
    epoch: u64,
    pub blocks: u64,
    pub bytes: u64,
}

impl SiteRow {
    /// Before any change: what it holds is what it held at the heap's
    /// latest peak, if it has not changed since.
    #[inline(always)]
    fn keep_peak(&mut self, heap_epoch: u64) {
        if self.at_peak.epoch != heap_epoch {
            let (blocks, bytes) = (self.stats.live_blocks, self.stats.live_bytes);
            self.at_peak = AtPeak { epoch: heap_epoch, blocks, bytes };
        }
    }

    #[inline(always)]
    fn acquire(&mut self, size: u64, heap_epoch: u64) {
        self.keep_peak(heap_epoch);
        self.stats.acquire(size);
    }

    #[inline(always)]
    fn release(&mut self, size: u64, heap_epoch: u64, temporary: bool) {
        self.keep_peak(heap_epoch);
        self.stats.release(size, temporary);
    }

    /// The row as read at the end of the events so far, its heap at
    /// `heap_epoch`: unchanged since that peak, it holds what it held then.
    fn as_of(mut self, heap_epoch: u64) -> SiteRow {
        self.keep_peak(heap_epoch);
        self
    }
}

/// Per-site counts, one row per heap and site *name*: the same string
/// literal compiled into two files is two pointers but one site, and its
/// peak is the peak of the two together.
#[derive(Debug, Default)]
struct SiteTable {
    /// Which row each (heap, site pointer) counts in, resolved on first sight.
    row_of: FxHashMap<SiteKey, usize>,
    row_by_name: FxHashMap<(Domain, &'static str), usize>,
    rows: Vec<SiteRow>,
    /// `rows` sorted by heap then name: built when asked, dropped on any change.
    sorted: OnceCell<Vec<SiteRow>>,
    /// The row found last: a run's events mostly come from a few sites in
    /// turn, and a free's site is often the allocation's just before.
    recent: [Option<(SiteKey, usize)>; 2],
}

impl SiteTable {
    /// Every event's: in line while the site is one of the last two.
    #[inline(always)]
    fn counts_mut(&mut self, domain: Domain, site: Option<Site>) -> &mut SiteRow {
        if self.sorted.get().is_some() {
            self.sorted = OnceCell::new();
        }
        let key = SiteKey { domain, site };
        match self.recent {
            [Some((seen, row)), _] | [_, Some((seen, row))] if seen == key => &mut self.rows[row],
            _ => self.counts_of_other(key),
        }
    }

    #[inline(never)]
    fn counts_of_other(&mut self, key: SiteKey) -> &mut SiteRow {
        let SiteKey { domain, site } = key;
        if let Some(&row) = self.row_of.get(&key) {
            self.recent = [Some((key, row)), self.recent[0]];
            return &mut self.rows[row];
        }
        let name = site.map_or("(unknown)", Site::name);
        let rows = &mut self.rows;
        let row = *self.row_by_name.entry((domain, name)).or_insert_with(|| {
            rows.push(SiteRow { domain, site: name, stats: BlockCounts::default(), at_peak: AtPeak::default() });
            rows.len() - 1
        });
        self.row_of.insert(key, row);
        self.recent = [Some((key, row)), self.recent[0]];
        &mut self.rows[row]
    }

    /// The rows by heap then name, as of the heaps' peaks `epochs`.
    fn sorted(&self, epochs: [u64; 2]) -> &[SiteRow] {
        self.sorted.get_or_init(|| {
            let mut rows: Vec<SiteRow> = self.rows.iter().map(|row| row.as_of(epochs[row.domain.index()])).collect();
            rows.sort_by(by_heap_then_name);
            rows
        })
    }
}

#[derive(Debug)]
pub struct Model {
    /// Unique per model, so views can cache what they derive from it.
    id: u64,
    /// Bumped on every change.
    revision: u64,
    heaps: [HeapModel; 2],
    sites: SiteTable,
    outstanding: OutstandingBlocks,
    latest_allocations: LatestAllocations,
    anomalies: Vec<Anomaly>,
    dropped_events: u64,
    events_applied: u64,
    current_step: Option<u32>,
    step_starts: Vec<StepStart>,
    /// Counts a run keeps of its own (requests served, workers restarted…).
    tallies: BTreeMap<String, u64>,
    /// The oldest outstanding blocks, as a view lists them: built when
    /// asked, dropped on any change.
    listed_outstanding: OnceCell<Vec<OutstandingBlock>>,
}

impl Default for Model {
    fn default() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Model {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            revision: 0,
            heaps: Default::default(),
            sites: SiteTable::default(),
            outstanding: OutstandingBlocks::default(),
            latest_allocations: LatestAllocations::default(),
            anomalies: Vec::new(),
            dropped_events: 0,
            events_applied: 0,
            current_step: None,
            step_starts: Vec::new(),
            tallies: BTreeMap::new(),
            listed_outstanding: OnceCell::new(),
        }
    }
}

/// Where a step began, on both of the plot's axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepStart {
    pub seq: u64,
    pub time_ns: u64,
}

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    /// Drains everything the tracker holds into the model and takes its
    /// count of dropped events. Returns how many events were applied.
    pub fn drain_from(&mut self, tracker: &Tracker) -> usize {
        let mut source = tracker;
        source.feed_all(self)
    }

    /// Marks the start of a step: later allocations and anomalies carry it.
    pub fn begin_step(&mut self, step: u32) {
        self.changed();
        self.current_step = Some(step);
        self.step_starts.push(StepStart { seq: self.next_seq(), time_ns: crate::ffi::now_ns() });
    }

    /// In line in the readers' loops, whose every event comes here: the
    /// allocations and frees stay in line, the other kinds go out of it.
    #[inline(always)]
    pub fn apply(&mut self, event: &Event) {
        match event.kind {
            EventKind::Alloc => self.allocate(BlockChange::of(event)),
            EventKind::Free => {
                self.free(BlockChange::of(event));
            }
            _ => self.apply_other(event),
        }
    }

    /// An event as the tracker in this process hands it over: an allocation
    /// or a free goes in as a [`BlockChange`] read straight from it, and
    /// only the other kinds become a whole [`Event`].
    #[inline(always)]
    pub(crate) fn apply_drained(&mut self, raw: &sys::fs_event) {
        let block = || BlockChange {
            seq: raw.seq,
            time_ns: raw.time_ns,
            address: raw.address,
            size: raw.size,
            domain: Domain::from_raw(raw.domain),
            site: Site::from_raw(raw.site),
            thread: raw.thread,
        };
        match raw.kind {
            sys::FS_EVENT_ALLOC => self.allocate(block()),
            sys::FS_EVENT_FREE => {
                self.free(block());
            }
            _ => self.apply_other(&Event::from_raw(raw)),
        }
    }

    /// An allocation, as a reader hands it over without a whole [`Event`].
    #[inline(always)]
    pub fn allocate(&mut self, block: BlockChange) {
        self.changed();
        self.events_applied += 1;
        // The site first: it keeps what it held at the heap's peak before
        // this allocation makes another.
        let epoch = self.heap(block.domain).peak_epoch();
        self.site_mut(block.domain, block.site).acquire(block.size, epoch);
        self.heap_mut(block.domain).allocated(block.seq, block.time_ns, block.size);
        self.latest_allocations.allocated(block.thread, block.address);
        let held = OutstandingBlock {
            address: block.address,
            size: block.size,
            domain: block.domain,
            site: block.site,
            step: self.current_step,
            seq: block.seq,
        };
        self.outstanding.insert(held);
    }

    /// A free, as a reader hands it over without a whole [`Event`]: whether
    /// the block was a temporary allocation (freed by the thread that made
    /// it before that thread allocated again).
    #[inline(always)]
    pub fn free(&mut self, block: BlockChange) -> bool {
        self.changed();
        self.events_applied += 1;
        let temporary = self.latest_allocations.freed_is_temporary(block.thread, block.address);
        self.heap_mut(block.domain).freed(block.seq, block.time_ns, block.size, temporary);
        // Attribute to the allocating site, which the model remembers even if
        // the event did not say it.
        let site = self.outstanding.remove(block.address).and_then(|b| b.site);
        let epoch = self.heap(block.domain).peak_epoch();
        self.site_mut(block.domain, site).release(block.size, epoch, temporary);
        temporary
    }

    #[inline(never)]
    fn apply_other(&mut self, event: &Event) {
        match event.kind {
            // `apply` takes these in line.
            EventKind::Alloc => return self.allocate(BlockChange::of(event)),
            EventKind::Free => {
                self.free(BlockChange::of(event));
                return;
            }
            _ => {}
        }
        self.changed();
        self.events_applied += 1;
        match event.kind {
            EventKind::Realloc => {
                let site = self.outstanding.remove(event.related_address).and_then(|b| b.site);
                let epoch = self.heap(event.domain).peak_epoch();
                self.site_mut(event.domain, site).release(event.related_size, epoch, false);
                self.site_mut(event.domain, event.site).acquire(event.size, epoch);
                self.heap_mut(event.domain).moved(event.seq, event.time_ns, event.related_size, event.size);
                // What it made is the thread's latest allocation.
                self.latest_allocations.allocated(event.thread, event.address);
                self.outstanding.insert(self.held(event));
            }
            // What a recording's exit found: the leak report's business, not the model's.
            EventKind::Reachable | EventKind::ReachableInterior | EventKind::LostWith => {}
            EventKind::Image => self.forget_outstanding(event),
            _ => self.anomalies.push(Anomaly::from_event(event, self.current_step)),
        }
    }

    /// A recorded process exec'd another program: the blocks it held went
    /// with its old image, released all at once.
    fn forget_outstanding(&mut self, event: &Event) {
        for block in self.outstanding.take_all() {
            self.heap_mut(block.domain).freed(event.seq, event.time_ns, block.size, false);
            let epoch = self.heap(block.domain).peak_epoch();
            self.site_mut(block.domain, block.site).release(block.size, epoch, false);
        }
        self.latest_allocations.forget();
    }

    /// The block a realloc made.
    fn held(&self, event: &Event) -> OutstandingBlock {
        OutstandingBlock {
            address: event.address,
            size: event.size,
            domain: event.domain,
            site: event.site,
            step: self.current_step,
            seq: event.seq,
        }
    }

    #[inline(always)]
    fn heap_mut(&mut self, domain: Domain) -> &mut HeapModel {
        &mut self.heaps[domain.index()]
    }

    #[inline(always)]
    fn site_mut(&mut self, domain: Domain, site: Option<Site>) -> &mut SiteRow {
        self.sites.counts_mut(domain, site)
    }

    /// Records an anomaly found outside the tracker (lost updates, panics,
    /// crashes, leaks at the end of a run).
    pub fn push_anomaly(&mut self, anomaly: Anomaly) {
        self.changed();
        self.anomalies.push(anomaly);
    }

    #[inline(always)]
    fn changed(&mut self) {
        self.revision += 1;
        if self.listed_outstanding.get().is_some() {
            self.listed_outstanding = OnceCell::new();
        }
    }

    /// Identity and revision: equal pairs mean an unchanged model.
    pub fn version(&self) -> (u64, u64) {
        (self.id, self.revision)
    }

    pub fn heap(&self, domain: Domain) -> &HeapModel {
        &self.heaps[domain.index()]
    }

    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    pub fn set_dropped_events(&mut self, dropped: u64) {
        if dropped != self.dropped_events {
            self.changed();
            self.dropped_events = dropped;
        }
    }

    /// Sets one of the run's own counts.
    pub fn set_tally(&mut self, name: &str, value: u64) {
        if self.tallies.get(name) != Some(&value) {
            self.changed();
            self.tallies.insert(name.to_owned(), value);
        }
    }

    pub fn tallies(&self) -> &BTreeMap<String, u64> {
        &self.tallies
    }

    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    pub fn current_step(&self) -> Option<u32> {
        self.current_step
    }

    /// Where each step began, in order.
    pub fn step_starts(&self) -> &[StepStart] {
        &self.step_starts
    }

    /// The position the next event will most likely have.
    pub fn next_seq(&self) -> u64 {
        self.heaps.iter().filter_map(HeapModel::last).map(|p| p.seq).max().map_or(0, |seq| seq + 1)
    }

    /// Time of the first event either heap saw, the origin of the time axis.
    pub fn first_time_ns(&self) -> Option<u64> {
        self.heaps.iter().filter_map(|h| h.series().first()).map(|p| p.time_ns).min()
    }

    /// Time of the latest event either heap saw.
    pub fn last_time_ns(&self) -> Option<u64> {
        self.heaps.iter().filter_map(HeapModel::last).map(|p| p.time_ns).max()
    }

    /// The oldest outstanding blocks, at most [`OUTSTANDING_LISTED`] of
    /// them: what a view lists (the count is [`Model::outstanding_count`]).
    pub fn outstanding(&self) -> &[OutstandingBlock] {
        self.listed_outstanding.get_or_init(|| self.outstanding.oldest(OUTSTANDING_LISTED))
    }

    pub fn outstanding_count(&self) -> usize {
        self.outstanding.len()
    }

    /// Every outstanding block, oldest first (a view lists
    /// [`Model::outstanding`] instead).
    pub fn every_outstanding(&self) -> impl Iterator<Item = &OutstandingBlock> {
        self.outstanding.iter()
    }

    /// Per-site statistics by site name, sorted by heap then name.
    pub fn site_rows(&self) -> &[SiteRow] {
        self.sites.sorted(self.heaps.each_ref().map(HeapModel::peak_epoch))
    }

    /// One leak anomaly per heap and allocating site that still has blocks
    /// outstanding: what a run leaves behind when it ends. `releaser` names,
    /// for a site, how its blocks should have been released.
    pub fn leak_anomalies(&self, releaser: &dyn Fn(&str) -> Option<&'static str>) -> Vec<Anomaly> {
        self.leak_anomalies_except(&|_| false, releaser)
    }

    /// As `leak_anomalies`, leaving out the blocks (by address) `kept` says
    /// the program still held (reachable at its exit).
    pub fn leak_anomalies_except(
        &self,
        kept: &dyn Fn(u64) -> bool,
        releaser: &dyn Fn(&str) -> Option<&'static str>,
    ) -> Vec<Anomaly> {
        /// One site's leaked blocks.
        struct Tally {
            blocks: u64,
            bytes: u64,
            /// The first and last steps that allocated them.
            steps: Option<(u32, u32)>,
            /// The stream position and address of the first allocated,
            /// which stands for them all (its stack, in a recording).
            first: (u64, u64),
        }
        let mut by_site: FxHashMap<(Domain, &'static str), Tally> = FxHashMap::default();
        for block in self.outstanding.iter() {
            if kept(block.address) {
                continue;
            }
            let name = block.site.map_or("(unknown)", Site::name);
            let tally = by_site.entry((block.domain, name)).or_insert(Tally {
                blocks: 0,
                bytes: 0,
                steps: None,
                first: (u64::MAX, 0),
            });
            tally.blocks += 1;
            tally.bytes += block.size;
            if let Some(step) = block.step {
                tally.steps = Some(tally.steps.map_or((step, step), |(first, last)| (first.min(step), last.max(step))));
            }
            tally.first = tally.first.min((block.seq, block.address));
        }
        let mut leaks: Vec<Anomaly> = by_site
            .into_iter()
            .map(|((domain, site), tally)| Anomaly {
                address: tally.first.1,
                ..Anomaly::leak(domain, site, tally.blocks, tally.bytes, tally.steps, releaser(site))
            })
            .collect();
        leaks.sort_by(|a, b| (a.domain, &a.site).cmp(&(b.domain, &b.site)));
        leaks
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;

    use super::Model;
    use crate::ffi::{Domain, Event, EventKind, Site};

    fn event(seq: u64, kind: EventKind, address: u64, size: u64, site: Site) -> Event {
        Event {
            seq,
            time_ns: seq,
            address,
            size,
            related_address: 0,
            related_size: 0,
            site: Some(site),
            related_site: None,
            thread: 0,
            domain: Domain::C,
            kind,
        }
    }

    #[test]
    fn one_name_compiled_twice_is_one_site_with_one_running_peak() {
        // The same literal in two files: two pointers, one name.
        let first = Site::new(Box::leak(CString::new("read_body").unwrap().into_boxed_c_str()));
        let second = Site::new(Box::leak(CString::new("read_body").unwrap().into_boxed_c_str()));
        assert_ne!(first, second);
        let mut model = Model::new();
        model.apply(&event(0, EventKind::Alloc, 0x10, 100, first));
        model.apply(&event(1, EventKind::Free, 0x10, 100, first));
        model.apply(&event(2, EventKind::Alloc, 0x20, 60, second));
        let rows = model.site_rows();
        assert_eq!(rows.len(), 1, "{rows:?}");
        let stats = rows[0].stats;
        assert_eq!((rows[0].site, stats.allocations, stats.frees, stats.live_bytes), ("read_body", 2, 1, 60));
        // Never more than 100 bytes were live at once: not 100 + 60.
        assert_eq!(stats.peak_bytes, 100);
        model.apply(&event(3, EventKind::Alloc, 0x30, 50, first));
        assert_eq!(model.site_rows()[0].stats.peak_bytes, 110, "the rows follow the model");
    }

    #[test]
    fn sites_are_listed_by_name_with_their_lines_in_order() {
        let mut model = Model::new();
        for (seq, name) in ["main (c.c:100)", "main (c.c:10)", "main (c.c:9)", "grow (c.c:20)"].into_iter().enumerate()
        {
            model.apply(&event(seq as u64, EventKind::Alloc, 0x10 * (seq as u64 + 1), 8, Site::intern(name)));
        }
        let names: Vec<&str> = model.site_rows().iter().map(|row| row.site).collect();
        assert_eq!(names, ["grow (c.c:20)", "main (c.c:9)", "main (c.c:10)", "main (c.c:100)"]);
    }

    /// What each site held when its heap was at its peak: what made the
    /// peak, not each site's own largest.
    #[test]
    fn each_site_is_read_as_it_stood_at_its_heaps_peak() {
        let [early, steady, late] = ["early", "steady", "late"]
            .map(|name| Site::new(Box::leak(CString::new(name).unwrap().into_boxed_c_str())));
        let mut model = Model::new();
        let at_peak = |model: &Model| -> Vec<(&str, u64, u64)> {
            model.site_rows().iter().map(|row| (row.site, row.at_peak.blocks, row.at_peak.bytes)).collect()
        };
        model.apply(&event(0, EventKind::Alloc, 0x10, 100, early));
        model.apply(&event(1, EventKind::Alloc, 0x20, 50, steady));
        assert_eq!(at_peak(&model), [("early", 1, 100), ("steady", 1, 50)], "at the peak so far, 150 B");
        model.apply(&event(2, EventKind::Free, 0x10, 100, early));
        model.apply(&event(3, EventKind::Alloc, 0x30, 70, late));
        model.apply(&event(4, EventKind::Alloc, 0x40, 60, late));
        // 50 + 130 = 180 B: a new peak, `early` gone, `steady` untouched since.
        model.apply(&event(5, EventKind::Free, 0x30, 70, late));
        model.apply(&event(6, EventKind::Alloc, 0x50, 40, early));
        assert_eq!(at_peak(&model), [("early", 0, 0), ("late", 2, 130), ("steady", 1, 50)]);
        assert_eq!(model.heap(Domain::C).peak_at().map(|(seq, _)| seq), Some(4));
        // A realloc that grows past the peak makes the next one.
        let mut grown = event(7, EventKind::Realloc, 0x60, 200, steady);
        (grown.related_address, grown.related_size) = (0x20, 50);
        model.apply(&grown);
        assert_eq!(at_peak(&model), [("early", 1, 40), ("late", 1, 60), ("steady", 1, 200)]);
        assert_eq!(model.heap(Domain::C).stats().peak_bytes, 300);
    }

    /// A block freed before its thread allocates again is temporary,
    /// counted for its heap and for the site that made it, whatever the
    /// other threads did in between.
    #[test]
    fn a_block_freed_before_its_thread_allocates_again_is_temporary() {
        let [scratch, kept] =
            ["scratch", "kept"].map(|name| Site::new(Box::leak(CString::new(name).unwrap().into_boxed_c_str())));
        let on = |thread, event: Event| Event { thread, ..event };
        let mut model = Model::new();
        model.apply(&on(1, event(0, EventKind::Alloc, 0x10, 8, kept)));
        model.apply(&on(1, event(1, EventKind::Alloc, 0x20, 8, scratch)));
        model.apply(&on(2, event(2, EventKind::Alloc, 0x30, 8, kept)));
        model.apply(&on(1, event(3, EventKind::Free, 0x20, 8, scratch)));
        model.apply(&on(2, event(4, EventKind::Alloc, 0x40, 8, scratch)));
        model.apply(&on(2, event(5, EventKind::Free, 0x40, 8, scratch)));
        // Thread 1's first block: another of its allocations came after it.
        model.apply(&on(1, event(6, EventKind::Free, 0x10, 8, kept)));
        // Grown in place of a free: what the realloc made is the latest.
        let mut grown = on(2, event(7, EventKind::Realloc, 0x50, 16, scratch));
        (grown.related_address, grown.related_size) = (0x30, 8);
        model.apply(&grown);
        model.apply(&on(2, event(8, EventKind::Free, 0x50, 16, scratch)));
        assert_eq!(model.heap(Domain::C).stats().temporary, 3);
        let temporary: Vec<(&str, u64, u64)> =
            model.site_rows().iter().map(|row| (row.site, row.stats.temporary, row.stats.allocations)).collect();
        assert_eq!(temporary, [("kept", 0, 2), ("scratch", 3, 3)]);
    }
}
