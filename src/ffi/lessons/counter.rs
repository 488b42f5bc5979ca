//! `csrc/scenarios/counter.c`: a C counter that threads increment. The
//! threads-shared-resource lesson's Rust pane shows the `unsafe` call each
//! strategy makes, cut from the regions marked here.

use std::ffi::{c_int, c_long};
use std::ptr::NonNull;

use crate::ffi::rust_heap::active_tracker;
use crate::ffi::sys::{
    self, counter_add_atomic, counter_add_lock_step, counter_add_locked, counter_add_unsynchronised, counter_free,
    counter_new,
};

/// How the threads add to the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Load, then store, racing the other threads: updates are lost as the
    /// threads happen to interleave (no undefined behaviour: the load and the
    /// store are each atomic, just not together).
    Unsynchronised,
    /// The worst case, forced: every thread loads before any stores, each
    /// round, so one update per round survives. Every thread must call `add`
    /// the same number of times.
    LockStep,
    Mutex,
    Atomic,
}

/// The counter; dropping it calls `counter_free`. It remembers the tracker
/// recording when it was made, so that C on the threads that add to it
/// reports to that tracker too.
#[derive(Debug)]
pub struct Counter {
    counter: NonNull<sys::counter>,
    tracker: *mut sys::fs_tracker,
}

// SAFETY: the counter's value is atomic and its mutex is a pthread mutex;
// every C function on it may be called from any thread. The tracker is
// only bound, never freed, by the counter, and the tracker's ring takes
// events from any thread.
unsafe impl Send for Counter {}
// SAFETY: as above.
unsafe impl Sync for Counter {}

impl Counter {
    pub fn new() -> Option<Counter> {
        // [step:create]
        // SAFETY: counter_new returns NULL or a zeroed counter
        // that the caller owns.
        let counter: *mut sys::counter = unsafe { counter_new() };
        // [/step]
        NonNull::new(counter).map(|counter| Counter { counter, tracker: active_tracker() })
    }

    /// Adds `times` from the calling thread, one of `threads` that call this
    /// together (the lock-step strategy waits for all of them each round).
    pub fn add(&self, strategy: Strategy, times: u32, threads: usize) {
        let times = c_long::from(times);
        let threads = c_int::try_from(threads).unwrap_or(c_int::MAX);
        let counter = self.counter.as_ptr();
        // SAFETY: the tracker outlives every step of the run that made the
        // counter; the previous binding is restored below.
        let previous = unsafe { sys::fs_tracker_bind(self.tracker) };
        match strategy {
            Strategy::Unsynchronised => {
                // [step:add@unsynchronised]
                // SAFETY: the counter outlives the threads. Its C loads,
                // then stores, each a relaxed atomic: updates are lost
                // when threads interleave, with no undefined behaviour.
                unsafe { counter_add_unsynchronised(counter, times) };
                // [/step]
            }
            Strategy::LockStep => {
                // [step:add@lock-step]
                // SAFETY: as unsynchronised, but every thread loads
                // before any stores, each round: the worst case, forced.
                unsafe { counter_add_lock_step(counter, times, threads) };
                // [/step]
            }
            Strategy::Mutex => {
                // [step:add@correct]
                // SAFETY: the counter outlives the threads, and its C
                // holds the counter's mutex around each load and store.
                unsafe { counter_add_locked(counter, times) };
                // [/step]
            }
            Strategy::Atomic => {
                // [step:add@atomic]
                // SAFETY: the counter outlives the threads, and its C
                // adds with one atomic fetch-add.
                unsafe { counter_add_atomic(counter, times) };
                // [/step]
            }
        }
        // SAFETY: `previous` was bound on this thread before the call.
        unsafe { sys::fs_tracker_bind(previous) };
    }

    pub fn value(&self) -> u64 {
        // SAFETY: an atomic load of a live counter.
        u64::try_from(unsafe { sys::counter_value(self.counter.as_ptr()) }).unwrap_or(0)
    }
}

// [step:free]
// Dropping the Counter runs this Drop, which gives it
// back to C:
impl Drop for Counter {
    fn drop(&mut self) {
        // SAFETY: we own the counter and free it once,
        // with its C free.
        unsafe { counter_free(self.counter.as_ptr()) }
    }
}
// [/step]
