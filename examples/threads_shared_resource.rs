//! Lesson threads-shared-resource, as a program: four threads increment
//! one C counter, under its mutex, atomically, or racing.
//!
//! Variants: correct, atomic, unsynchronised, lock-step. A lost update is
//! the program's own arithmetic: it prints what it expected and counted
//! (no allocation shows it, so a recording of the racing variants finds
//! nothing in the heap).

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::{c_int, c_long};
use std::sync::Barrier;

const THREADS: usize = 4;
const ADDS_PER_THREAD: c_long = 20_000;
const LOCK_STEP_ADDS_PER_THREAD: c_long = 2_000;

/// The C counter, shared by reference between the threads.
struct Counter(*mut c_half::Opaque);

// SAFETY: every C function the threads call takes the counter's own mutex
// or uses atomics (the racing ones lose updates, which is the lesson, but
// never tear a value).
unsafe impl Sync for Counter {}

impl Counter {
    fn ptr(&self) -> *mut c_half::Opaque {
        self.0
    }
}

fn main() {
    let variant = c_half::variant(&["correct", "atomic", "unsynchronised", "lock-step"]);
    // SAFETY: NULL or a counter, ours until counter_free.
    let counter = Counter(unsafe { c_half::counter_new() });
    if counter.0.is_null() {
        return;
    }
    let adds = if variant == "lock-step" { LOCK_STEP_ADDS_PER_THREAD } else { ADDS_PER_THREAD };
    let start_together = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                start_together.wait();
                let c = counter.ptr();
                // SAFETY: a live counter, shared as counter.c allows.
                unsafe {
                    match variant {
                        "atomic" => c_half::counter_add_atomic(c, adds),
                        "unsynchronised" => c_half::counter_add_unsynchronised(c, adds),
                        "lock-step" => c_half::counter_add_lock_step(c, adds, THREADS as c_int),
                        _ => c_half::counter_add_locked(c, adds),
                    }
                }
            });
        }
    });
    let expected = THREADS as c_long * adds;
    // SAFETY: a live counter; the threads have ended.
    let counted = unsafe { c_half::counter_value(counter.0) };
    println!("{THREADS} threads, expected {expected}, counted {counted} ({} lost)", expected - counted);
    // SAFETY: ours, freed once.
    unsafe { c_half::counter_free(counter.0) };
}
