//! [`Tracker`]: the safe owner of one C tracker.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Mutex;

use super::event::{Domain, Event, EventKind, Site};
use super::sys;

/// Sizes of the tracker's bounded buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Event slots each thread's ring holds before the reader must drain;
    /// a power of two. An event about a related block (a realloc, an
    /// anomaly) takes two.
    pub ring_capacity: usize,
    /// Freed C blocks each thread holds back poisoned, so writes after free are found.
    pub quarantine_max_bytes: usize,
    pub quarantine_max_blocks: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig { ring_capacity: 1 << 16, quarantine_max_bytes: 4 << 20, quarantine_max_blocks: 4096 }
    }
}

/// The tracker's own counts for one heap: the ground truth the model is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapCounts {
    pub allocations: u64,
    pub frees: u64,
    pub reallocs: u64,
    pub live_blocks: u64,
    pub live_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub c_heap: HeapCounts,
    pub rust_heap: HeapCounts,
    pub anomalies: u64,
    pub events_recorded: u64,
    pub events_dropped: u64,
}

impl Counts {
    pub fn heap(&self, domain: Domain) -> &HeapCounts {
        match domain {
            Domain::C => &self.c_heap,
            Domain::Rust => &self.rust_heap,
        }
    }
}

fn heap_counts(raw: sys::fs_heap_counts) -> HeapCounts {
    HeapCounts {
        allocations: raw.allocations,
        frees: raw.frees,
        reallocs: raw.reallocs,
        live_blocks: raw.live_blocks,
        live_bytes: raw.live_bytes,
    }
}

/// A block the tracker holds as live right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveBlock {
    pub address: u64,
    pub size: u64,
    /// When it was allocated, in the tracker's clock ticks: sorts blocks
    /// oldest first across threads.
    pub allocation_order: u64,
    pub site: Option<Site>,
    pub domain: Domain,
}

/// One instrumented heap: a registry of live blocks, a quarantine and an
/// event ring. Independent of every other tracker, so two runs (or two
/// tests) never see each other's counts.
#[derive(Debug)]
pub struct Tracker {
    raw: NonNull<sys::fs_tracker>,
    /// The ring has one reader at a time; this serialises drains.
    reader: Mutex<Vec<sys::fs_event>>,
}

// SAFETY: every C entry point is thread-safe (each thread's shard has its
// own lock, which others take to reach it), except fs_drain, which `reader`
// serialises.
unsafe impl Send for Tracker {}
// SAFETY: as above; shared references only reach thread-safe entry points.
unsafe impl Sync for Tracker {}

const DRAIN_BATCH: usize = 4096;

impl Tracker {
    /// A tracker with the default buffer sizes.
    pub fn new() -> Tracker {
        Tracker::with_config(TrackerConfig::default())
    }

    /// # Panics
    /// If the C side cannot allocate the tracker (out of memory).
    pub fn with_config(config: TrackerConfig) -> Tracker {
        let raw_config = sys::fs_config {
            ring_capacity: config.ring_capacity,
            quarantine_max_bytes: config.quarantine_max_bytes,
            quarantine_max_blocks: config.quarantine_max_blocks,
            backing: std::ptr::null(),
        };
        // SAFETY: the config pointer is valid for the call; the result is
        // either NULL or a tracker we now own.
        let raw = unsafe { sys::fs_tracker_new(&raw const raw_config) };
        Tracker {
            raw: NonNull::new(raw).expect("out of memory creating a tracker"),
            reader: Mutex::new(Vec::with_capacity(DRAIN_BATCH)),
        }
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::fs_tracker {
        self.raw.as_ptr()
    }

    /// Makes this tracker the one that `fs_malloc` and friends use on the
    /// calling thread until the guard drops.
    pub fn bind(&self) -> BindGuard<'_> {
        // SAFETY: the tracker outlives the guard, which restores the previous binding.
        let previous = unsafe { sys::fs_tracker_bind(self.as_ptr()) };
        BindGuard { previous, _tracker: PhantomData }
    }

    /// Moves every event the ring holds into `out`, in stream order, and
    /// returns how many were added.
    pub fn drain_into(&self, out: &mut Vec<Event>) -> usize {
        self.drain_with(|event| out.push(*event))
    }

    /// Calls `visit` for every event the ring holds, without building a Vec.
    pub fn drain_with(&self, visit: impl FnMut(&Event)) -> usize {
        self.drain_at_most(usize::MAX, visit)
    }

    /// As `drain_with`, for at most `max` events; the rest stay in the ring.
    pub fn drain_at_most(&self, max: usize, mut visit: impl FnMut(&Event)) -> usize {
        self.drain_raw_at_most(max, |raw| match Event::in_place(raw) {
            Some(event) => visit(event),
            None => visit(&Event::from_raw(raw)),
        })
    }

    /// As `drain_at_most`, handing each event over as the C side wrote it,
    /// so that a reader that needs only some fields (the model, for an
    /// allocation or a free) builds no whole [`Event`].
    pub(crate) fn drain_raw_at_most(&self, max: usize, mut visit: impl FnMut(&sys::fs_event)) -> usize {
        let mut batch = self.reader.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut total = 0;
        loop {
            let wanted = DRAIN_BATCH.min(max - total);
            batch.clear();
            // SAFETY: the tracker is live; `batch` has room for `wanted` events
            // (at most DRAIN_BATCH, its capacity), fs_drain writes exactly
            // `taken` of them, and the lock makes this the only reader.
            let taken = unsafe {
                let taken = sys::fs_drain(self.as_ptr(), batch.as_mut_ptr(), wanted);
                batch.set_len(taken);
                taken
            };
            for raw in batch.iter() {
                visit(raw);
            }
            total += taken;
            if taken < wanted || total == max {
                return total;
            }
        }
    }

    pub fn counts(&self) -> Counts {
        // SAFETY: the tracker is live; fs_tracker_counts only reads it under its locks.
        let raw = unsafe { sys::fs_tracker_counts(self.as_ptr()) };
        Counts {
            c_heap: heap_counts(raw.heap[0]),
            rust_heap: heap_counts(raw.heap[1]),
            anomalies: raw.anomalies,
            events_recorded: raw.events_recorded,
            events_dropped: raw.events_dropped,
        }
    }

    pub fn ring_capacity(&self) -> usize {
        // SAFETY: the tracker is live.
        unsafe { sys::fs_ring_capacity(self.as_ptr()) }
    }

    /// How many per-thread shards the tracker has made: at most the number of
    /// threads that used it at the same time.
    pub fn shard_count(&self) -> usize {
        // SAFETY: the tracker is live.
        unsafe { sys::fs_tracker_shards(self.as_ptr()) }
    }

    /// Every block the tracker holds as live, both heaps, sorted by address.
    pub fn live_blocks(&self) -> Vec<LiveBlock> {
        let mut raw: Vec<sys::fs_block> = Vec::new();
        loop {
            // SAFETY: `raw` has room for `capacity` blocks and fs_live_blocks
            // writes at most that many; it returns the total, which may be larger.
            let total = unsafe {
                let total = sys::fs_live_blocks(self.as_ptr(), raw.as_mut_ptr(), raw.capacity());
                raw.set_len(total.min(raw.capacity()));
                total
            };
            if total <= raw.capacity() {
                break;
            }
            raw = Vec::with_capacity(total + total / 4 + 16);
        }
        let mut blocks: Vec<LiveBlock> = raw
            .iter()
            .map(|b| LiveBlock {
                address: b.address,
                size: b.size,
                allocation_order: b.seq,
                site: Site::from_raw(b.site),
                domain: Domain::from_raw(b.domain),
            })
            .collect();
        blocks.sort_by_key(|b| b.address);
        blocks
    }

    /// Checks every tail canary and every quarantined block now; returns how
    /// many new anomalies were found (they also appear in the event stream).
    pub fn check_all(&self) -> usize {
        // SAFETY: the tracker is live.
        unsafe { sys::fs_check_all(self.as_ptr()) }
    }

    /// Records an anomaly that code outside the allocator found, such as a
    /// second call of a destroy callback.
    pub fn report(
        &self,
        kind: EventKind,
        domain: Domain,
        address: usize,
        size: usize,
        site: Site,
        related_site: Option<Site>,
    ) {
        // SAFETY: sites are static strings; the address is only recorded, never dereferenced.
        unsafe {
            sys::fs_report(
                self.as_ptr(),
                kind.to_raw(),
                domain.to_raw(),
                address as *const c_void,
                size,
                site.as_ptr(),
                related_site.map_or(std::ptr::null(), Site::as_ptr),
            );
        }
    }

    /// Whether `address` is a live Rust block recorded by this tracker.
    pub fn is_live_rust_block(&self, address: usize) -> bool {
        // SAFETY: the address is only looked up, never dereferenced.
        unsafe { sys::fs_rust_is_live(self.as_ptr(), address as *const c_void) != 0 }
    }
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker::new()
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        // SAFETY: we own the tracker; no BindGuard or HeapScope can outlive
        // `self` (they borrow it), so nothing uses it after this.
        unsafe { sys::fs_tracker_destroy(self.as_ptr()) }
    }
}

/// Keeps a tracker bound to the current thread; restores the previous one on drop.
#[derive(Debug)]
#[must_use = "the binding ends when the guard drops"]
pub struct BindGuard<'a> {
    previous: *mut sys::fs_tracker,
    _tracker: PhantomData<&'a Tracker>,
}

impl Drop for BindGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: `previous` was bound before us on this thread (the guard is
        // not Send, being built from a raw pointer), so it is still valid.
        unsafe { sys::fs_tracker_bind(self.previous) };
    }
}

/// Monotonic clock shared with the C tracker, in nanoseconds.
pub fn now_ns() -> u64 {
    // SAFETY: reads the clock; no arguments.
    unsafe { sys::fs_now_ns() }
}
