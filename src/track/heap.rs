//! One heap's running totals and its series over the event stream, and the
//! one shape every count of blocks and bytes in the model takes.

use serde::{Deserialize, Serialize};

/// Blocks and bytes through one heap or one allocating site. Frees count
/// against what they free, so `live_blocks` is what is still outstanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockCounts {
    pub allocations: u64,
    pub frees: u64,
    /// Blocks resized in place or moved (a heap's count; sites count a
    /// move as a free of the old block and an allocation of the new).
    #[serde(default)]
    pub reallocs: u64,
    pub live_blocks: u64,
    pub live_bytes: u64,
    pub peak_bytes: u64,
    /// Frees of temporary allocations: blocks freed by the thread that
    /// allocated them before it allocated again (heaptrack's count).
    #[serde(default)]
    pub temporary: u64,
}

impl BlockCounts {
    #[inline(always)]
    pub(crate) fn acquire(&mut self, size: u64) {
        self.allocations += 1;
        self.live_blocks += 1;
        self.live_bytes += size;
        self.peak_bytes = self.peak_bytes.max(self.live_bytes);
    }

    #[inline(always)]
    pub(crate) fn release(&mut self, size: u64, temporary: bool) {
        self.frees += 1;
        self.temporary += u64::from(temporary);
        // Saturating: after dropped events a free can outrun its allocation.
        self.live_blocks = self.live_blocks.saturating_sub(1);
        self.live_bytes = self.live_bytes.saturating_sub(size);
    }

    pub(crate) fn resize(&mut self, old_size: u64, new_size: u64) {
        self.reallocs += 1;
        self.live_bytes = self.live_bytes.saturating_sub(old_size) + new_size;
        self.peak_bytes = self.peak_bytes.max(self.live_bytes);
    }
}

/// The heap's state over a stretch of the event stream: one event while the
/// series is short, a run of consecutive events once it has been thinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPoint {
    /// The stretch's first event.
    pub seq: u64,
    /// Monotonic nanoseconds, on the clock of [`crate::ffi::now_ns`]: when
    /// the stretch began.
    pub time_ns: u64,
    /// The counts after the stretch's last event.
    pub live_blocks: u64,
    pub live_bytes: u64,
    /// The least and most live blocks and bytes after any of its events:
    /// a thinned series keeps every spike.
    pub blocks_range: (u64, u64),
    pub bytes_range: (u64, u64),
}

impl SeriesPoint {
    fn exact(seq: u64, time_ns: u64, stats: &BlockCounts) -> SeriesPoint {
        let (live_blocks, live_bytes) = (stats.live_blocks, stats.live_bytes);
        SeriesPoint {
            seq,
            time_ns,
            live_blocks,
            live_bytes,
            blocks_range: (live_blocks, live_blocks),
            bytes_range: (live_bytes, live_bytes),
        }
    }

    /// This stretch followed by one more event, after which the heap holds
    /// `stats`. An allocation can only raise the counts and a free only
    /// lower them, so each moves one end of the ranges (`Change`).
    #[inline(always)]
    fn absorb_counts(&mut self, stats: &BlockCounts, change: Change) {
        let (blocks, bytes) = (stats.live_blocks, stats.live_bytes);
        self.live_blocks = blocks;
        self.live_bytes = bytes;
        if change != Change::Fell {
            self.blocks_range.1 = self.blocks_range.1.max(blocks);
            self.bytes_range.1 = self.bytes_range.1.max(bytes);
        }
        if change != Change::Rose {
            self.blocks_range.0 = self.blocks_range.0.min(blocks);
            self.bytes_range.0 = self.bytes_range.0.min(bytes);
        }
    }

    /// This stretch followed by `later`, as one.
    fn absorb(&mut self, later: &SeriesPoint) {
        self.live_blocks = later.live_blocks;
        self.live_bytes = later.live_bytes;
        self.blocks_range =
            (self.blocks_range.0.min(later.blocks_range.0), self.blocks_range.1.max(later.blocks_range.1));
        self.bytes_range = (self.bytes_range.0.min(later.bytes_range.0), self.bytes_range.1.max(later.bytes_range.1));
    }
}

/// Which way an event moved a heap's live counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// An allocation: neither count fell.
    Rose,
    /// A free: neither count rose.
    Fell,
    /// A realloc: the bytes may have gone either way.
    Either,
}

/// The most points a heap's series keeps: past it, neighbours merge in
/// pairs, so the series of a recording of any length takes at most
/// `SERIES_LIMIT` × 64 bytes (4 MiB) per heap.
pub const SERIES_LIMIT: usize = 1 << 16;

#[derive(Debug)]
pub struct HeapModel {
    stats: BlockCounts,
    series: Vec<SeriesPoint>,
    /// Events each point stands for (the last may still be filling).
    events_per_point: u64,
    events_in_last_point: u64,
    /// The latest event's position and time, exact whatever the thinning.
    latest: Option<(u64, u64)>,
    /// Bumped each time the live bytes pass their peak: what a site held
    /// at the peak is what it held in the latest epoch (`SiteRow`).
    peak_epoch: u64,
    /// The position and time of the event that last raised the peak.
    peak_at: Option<(u64, u64)>,
}

impl Default for HeapModel {
    fn default() -> Self {
        HeapModel {
            stats: BlockCounts::default(),
            series: Vec::new(),
            events_per_point: 1,
            events_in_last_point: 0,
            latest: None,
            peak_epoch: 0,
            peak_at: None,
        }
    }
}

impl HeapModel {
    pub fn stats(&self) -> &BlockCounts {
        &self.stats
    }

    /// The heap over the whole stream, oldest first: a point per event until
    /// [`SERIES_LIMIT`] points, then a point per run of events.
    pub fn series(&self) -> &[SeriesPoint] {
        &self.series
    }

    /// How many events each point of the series stands for.
    pub fn events_per_point(&self) -> u64 {
        self.events_per_point
    }

    /// The latest event's point, exact whatever the thinning.
    pub(crate) fn last(&self) -> Option<SeriesPoint> {
        self.latest.map(|(seq, time_ns)| SeriesPoint::exact(seq, time_ns, &self.stats))
    }

    /// Which peak the heap is at: bumped by each event that raises it.
    pub(crate) fn peak_epoch(&self) -> u64 {
        self.peak_epoch
    }

    /// The position and time of the event that brought the heap to its
    /// peak (the first, where it reached it more than once).
    pub fn peak_at(&self) -> Option<(u64, u64)> {
        self.peak_at
    }

    #[inline(always)]
    pub(crate) fn allocated(&mut self, seq: u64, time_ns: u64, size: u64) {
        let peak = self.stats.peak_bytes;
        self.stats.acquire(size);
        self.note_peak(peak, seq, time_ns);
        self.record(seq, time_ns, Change::Rose);
    }

    #[inline(always)]
    fn note_peak(&mut self, peak_before: u64, seq: u64, time_ns: u64) {
        if self.stats.peak_bytes > peak_before {
            self.peak_epoch += 1;
            self.peak_at = Some((seq, time_ns));
        }
    }

    #[inline(always)]
    pub(crate) fn freed(&mut self, seq: u64, time_ns: u64, size: u64, temporary: bool) {
        self.stats.release(size, temporary);
        self.record(seq, time_ns, Change::Fell);
    }

    pub(crate) fn moved(&mut self, seq: u64, time_ns: u64, old_size: u64, new_size: u64) {
        let peak = self.stats.peak_bytes;
        self.stats.resize(old_size, new_size);
        self.note_peak(peak, seq, time_ns);
        self.record(seq, time_ns, Change::Either);
    }

    /// Every event's: inlined, with a new point out of line, because once
    /// the series is thinned nearly every event joins the last point.
    #[inline(always)]
    fn record(&mut self, seq: u64, time_ns: u64, change: Change) {
        self.latest = Some((seq, time_ns));
        if self.events_in_last_point < self.events_per_point
            && let Some(last) = self.series.last_mut()
        {
            last.absorb_counts(&self.stats, change);
            self.events_in_last_point += 1;
            return;
        }
        self.new_point(seq, time_ns);
    }

    #[inline(never)]
    fn new_point(&mut self, seq: u64, time_ns: u64) {
        if self.series.len() == SERIES_LIMIT {
            self.halve();
        }
        self.series.push(SeriesPoint::exact(seq, time_ns, &self.stats));
        self.events_in_last_point = 1;
    }

    /// Merges neighbours in pairs. Every point is full when this runs, so
    /// every merged point is too.
    fn halve(&mut self) {
        let merged = self.series.len() / 2;
        for i in 0..merged {
            let mut point = self.series[2 * i];
            point.absorb(&self.series[2 * i + 1]);
            self.series[i] = point;
        }
        self.series.truncate(merged);
        self.events_per_point *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::{HeapModel, SERIES_LIMIT};

    #[test]
    fn a_long_series_is_thinned_keeping_its_spikes_and_its_latest_value() {
        let mut heap = HeapModel::default();
        let events = SERIES_LIMIT as u64 * 5 + 3;
        for seq in 0..events {
            if seq == 1000 {
                // One spike among alternating small blocks.
                heap.allocated(seq, seq, 1 << 30);
                heap.freed(seq, seq, 1 << 30, false);
                continue;
            }
            if seq % 2 == 0 { heap.allocated(seq, seq, 16) } else { heap.freed(seq, seq, 16, false) }
        }
        let series = heap.series();
        assert!(series.len() <= SERIES_LIMIT && series.len() > SERIES_LIMIT / 2, "{}", series.len());
        assert_eq!(heap.events_per_point(), 8);
        assert!(series.windows(2).all(|pair| pair[0].seq < pair[1].seq));
        assert_eq!(series.iter().map(|p| p.bytes_range.1).max(), Some(1 << 30), "the spike is kept");
        assert_eq!(heap.last().map(|p| (p.seq, p.live_bytes)), Some((events - 1, 16)));
        assert_eq!(series.last().map(|p| p.live_bytes), Some(16), "the last point ends at the latest value");
        assert_eq!(heap.stats().allocations, events / 2 + 1);
    }

    #[test]
    fn a_thinned_point_keeps_the_rise_and_the_dip_inside_it() {
        let mut heap = HeapModel::default();
        let full = SERIES_LIMIT as u64;
        for seq in 0..full {
            heap.allocated(seq, seq, 1);
        }
        // Thinned to two events a point: each new point opens on an
        // allocation and takes in the free after it; then, one free on,
        // each opens on a free and takes in the allocation after it.
        for seq in (full..full + 1000).step_by(2) {
            heap.allocated(seq, seq, 1);
            heap.freed(seq + 1, seq + 1, 1, false);
        }
        heap.freed(full + 1000, full + 1000, 1, false);
        for seq in (full + 1001..full + 2001).step_by(2) {
            heap.allocated(seq, seq, 1);
            heap.freed(seq + 1, seq + 1, 1, false);
        }
        assert_eq!(heap.events_per_point(), 2);
        let new_points = &heap.series()[heap.series().len() - 1001..];
        let dips = &new_points[..500];
        assert!(dips.iter().all(|p| p.blocks_range == (full, full + 1)), "{:?}", &dips[..2]);
        let rises = &new_points[500..1000];
        assert!(rises.iter().all(|p| p.bytes_range == (full - 1, full)), "{:?}", &rises[..2]);
    }
}
