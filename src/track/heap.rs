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
}

impl BlockCounts {
    pub(crate) fn acquire(&mut self, size: u64) {
        self.allocations += 1;
        self.live_blocks += 1;
        self.live_bytes += size;
        self.peak_bytes = self.peak_bytes.max(self.live_bytes);
    }

    pub(crate) fn release(&mut self, size: u64) {
        self.frees += 1;
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

/// The heap's state right after one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPoint {
    pub seq: u64,
    /// Monotonic nanoseconds, on the clock of [`crate::ffi::now_ns`].
    pub time_ns: u64,
    pub live_blocks: u64,
    pub live_bytes: u64,
}

#[derive(Debug, Default)]
pub struct HeapModel {
    stats: BlockCounts,
    series: Vec<SeriesPoint>,
}

impl HeapModel {
    pub fn stats(&self) -> &BlockCounts {
        &self.stats
    }

    pub fn series(&self) -> &[SeriesPoint] {
        &self.series
    }

    pub(crate) fn last(&self) -> Option<&SeriesPoint> {
        self.series.last()
    }

    pub(crate) fn allocated(&mut self, seq: u64, time_ns: u64, size: u64) {
        self.stats.acquire(size);
        self.record(seq, time_ns);
    }

    pub(crate) fn freed(&mut self, seq: u64, time_ns: u64, size: u64) {
        self.stats.release(size);
        self.record(seq, time_ns);
    }

    pub(crate) fn moved(&mut self, seq: u64, time_ns: u64, old_size: u64, new_size: u64) {
        self.stats.resize(old_size, new_size);
        self.record(seq, time_ns);
    }

    fn record(&mut self, seq: u64, time_ns: u64) {
        let stats = &self.stats;
        self.series.push(SeriesPoint { seq, time_ns, live_blocks: stats.live_blocks, live_bytes: stats.live_bytes });
    }
}
