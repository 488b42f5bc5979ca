//! One heap's running totals and its series over the event stream.

/// Running totals for one heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapStats {
    pub allocations: u64,
    pub frees: u64,
    pub reallocs: u64,
    pub live_blocks: u64,
    pub live_bytes: u64,
    pub peak_bytes: u64,
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
    stats: HeapStats,
    series: Vec<SeriesPoint>,
}

impl HeapModel {
    pub fn stats(&self) -> &HeapStats {
        &self.stats
    }

    pub fn series(&self) -> &[SeriesPoint] {
        &self.series
    }

    pub(crate) fn last(&self) -> Option<&SeriesPoint> {
        self.series.last()
    }

    pub(crate) fn allocated(&mut self, seq: u64, time_ns: u64, size: u64) {
        let stats = &mut self.stats;
        stats.allocations += 1;
        stats.live_blocks += 1;
        stats.live_bytes += size;
        stats.peak_bytes = stats.peak_bytes.max(stats.live_bytes);
        self.record(seq, time_ns);
    }

    pub(crate) fn freed(&mut self, seq: u64, time_ns: u64, size: u64) {
        let stats = &mut self.stats;
        stats.frees += 1;
        // Saturating: after dropped events a free can outrun its allocation.
        stats.live_blocks = stats.live_blocks.saturating_sub(1);
        stats.live_bytes = stats.live_bytes.saturating_sub(size);
        self.record(seq, time_ns);
    }

    pub(crate) fn moved(&mut self, seq: u64, time_ns: u64, old_size: u64, new_size: u64) {
        let stats = &mut self.stats;
        stats.reallocs += 1;
        stats.live_bytes = stats.live_bytes.saturating_sub(old_size) + new_size;
        stats.peak_bytes = stats.peak_bytes.max(stats.live_bytes);
        self.record(seq, time_ns);
    }

    fn record(&mut self, seq: u64, time_ns: u64) {
        let stats = &self.stats;
        self.series.push(SeriesPoint { seq, time_ns, live_blocks: stats.live_blocks, live_bytes: stats.live_bytes });
    }
}
