//! `csrc/scenarios/counter.c`: a C counter that threads increment.

use std::ffi::{c_int, c_long};
use std::ptr::NonNull;

use crate::ffi::sys;

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

/// The counter; dropping it calls `counter_free`.
#[derive(Debug)]
pub struct Counter(NonNull<sys::counter>);

// SAFETY: the counter's value is atomic and its mutex is a pthread mutex;
// every C function on it may be called from any thread.
unsafe impl Send for Counter {}
// SAFETY: as above.
unsafe impl Sync for Counter {}

impl Counter {
    pub fn new() -> Option<Counter> {
        // SAFETY: returns NULL or a zeroed counter we now own.
        NonNull::new(unsafe { sys::counter_new() }).map(Counter)
    }

    /// Adds `times` from the calling thread, one of `threads` that call this
    /// together (the lock-step strategy waits for all of them each round).
    pub fn add(&self, strategy: Strategy, times: u32, threads: usize) {
        let times = c_long::from(times);
        let threads = c_int::try_from(threads).unwrap_or(c_int::MAX);
        let counter = self.0.as_ptr();
        // SAFETY: the counter is live for the call; every strategy touches it
        // only through atomics or under its mutex.
        unsafe {
            match strategy {
                Strategy::Unsynchronised => sys::counter_add_unsynchronised(counter, times),
                Strategy::LockStep => sys::counter_add_lock_step(counter, times, threads),
                Strategy::Mutex => sys::counter_add_locked(counter, times),
                Strategy::Atomic => sys::counter_add_atomic(counter, times),
            }
        }
    }

    pub fn value(&self) -> u64 {
        // SAFETY: an atomic load of a live counter.
        u64::try_from(unsafe { sys::counter_value(self.0.as_ptr()) }).unwrap_or(0)
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        // SAFETY: we own the counter and free it once.
        unsafe { sys::counter_free(self.0.as_ptr()) }
    }
}
