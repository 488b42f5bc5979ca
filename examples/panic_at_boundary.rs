//! Lesson panic-at-boundary, as a program: C calls a Rust callback for each
//! item, and the callback panics on a negative one.
//!
//! Variants: correct (the callback catches its panic and returns -1, so C
//! cleans up), no-catch-unwind (the panic cannot unwind into C: Rust
//! aborts the process).

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::c_int;
use std::panic::catch_unwind;

const BATCHES: [&[c_int]; 2] = [&[3, 1, 4], &[5, -9, 2]];

fn validate(item: c_int) {
    assert!(item >= 0, "negative item {item}");
}

extern "C" fn checked_callback(item: c_int) -> c_int {
    let outcome = catch_unwind(|| validate(item));
    if outcome.is_ok() { 0 } else { -1 }
}

/// Wrong: a panic here cannot unwind out of an extern "C" fn.
extern "C" fn unchecked_callback(item: c_int) -> c_int {
    validate(item);
    0
}

fn main() {
    let variant = c_half::variant(&["correct", "no-catch-unwind"]);
    let callback = if variant == "correct" { checked_callback } else { unchecked_callback };
    for items in BATCHES {
        // SAFETY: `items` is valid for the call.
        let status = unsafe { c_half::process_items(items.as_ptr(), items.len(), callback) };
        if status == 0 {
            println!("C processed {items:?}");
        } else {
            println!("the callback reported an error for {items:?}; C freed its scratch memory and returned -1");
        }
    }
}
