//! Which frees end a temporary allocation: a block its thread frees before
//! allocating again, as heaptrack counts them. A string built to be passed
//! and dropped, a buffer made for one call: each costs an allocator's round
//! trip that a reused buffer or a borrow would not. Counted per thread, so
//! that another thread's allocation in between does not hide one.

use rustc_hash::FxHashMap;

/// No allocation since the thread's last temporary one (no block starts at 0).
const NONE: u64 = 0;

/// Each thread's latest allocation, while it may still turn out temporary.
#[derive(Debug, Default)]
pub(super) struct LatestAllocations {
    /// The thread of the latest allocation or free, and its latest
    /// allocation: a run is one thread's, or long stretches of one, so
    /// nearly every event finds its thread here.
    current: (u32, u64),
    /// The other threads', those that have one.
    others: FxHashMap<u32, u64>,
}

impl LatestAllocations {
    #[inline(always)]
    pub(super) fn allocated(&mut self, thread: u32, address: u64) {
        *self.latest_of(thread) = address;
    }

    /// Whether the block `thread` frees is the one it allocated last.
    #[inline(always)]
    pub(super) fn freed_is_temporary(&mut self, thread: u32, address: u64) -> bool {
        let latest = self.latest_of(thread);
        let temporary = *latest == address && address != NONE;
        if temporary {
            *latest = NONE;
        }
        temporary
    }

    /// A program that exec'd another: its threads went with its image.
    pub(super) fn forget(&mut self) {
        *self = LatestAllocations::default();
    }

    #[inline(always)]
    fn latest_of(&mut self, thread: u32) -> &mut u64 {
        if self.current.0 != thread {
            self.switch_to(thread);
        }
        &mut self.current.1
    }

    /// Puts the current thread's latest away and takes out `thread`'s: the
    /// map holds only threads whose latest allocation is still live.
    #[inline(never)]
    fn switch_to(&mut self, thread: u32) {
        let (previous, latest) = self.current;
        if latest != NONE {
            self.others.insert(previous, latest);
        }
        self.current = (thread, self.others.remove(&thread).unwrap_or(NONE));
    }
}

#[cfg(test)]
mod tests {
    use super::LatestAllocations;

    #[test]
    fn only_a_free_before_the_threads_next_allocation_is_temporary() {
        let mut latest = LatestAllocations::default();
        latest.allocated(1, 0x100);
        latest.allocated(1, 0x200);
        assert!(latest.freed_is_temporary(1, 0x200), "freed straight after");
        assert!(!latest.freed_is_temporary(1, 0x100), "another allocation came after it");
        latest.allocated(1, 0x300);
        assert!(latest.freed_is_temporary(1, 0x300), "a free in between does not matter");
        assert!(!latest.freed_is_temporary(1, 0x300), "counted once");
    }

    #[test]
    fn each_thread_has_its_own_latest() {
        let mut latest = LatestAllocations::default();
        latest.allocated(1, 0x100);
        latest.allocated(2, 0x200);
        assert!(!latest.freed_is_temporary(2, 0x100), "another thread's block");
        assert!(latest.freed_is_temporary(1, 0x100), "thread 2's allocation does not hide thread 1's");
        assert!(latest.freed_is_temporary(2, 0x200));
        assert!(latest.others.is_empty(), "no thread holds a latest allocation any more");
        latest.allocated(3, 0x300);
        latest.forget();
        assert!(!latest.freed_is_temporary(3, 0x300), "forgotten with the image");
    }
}
