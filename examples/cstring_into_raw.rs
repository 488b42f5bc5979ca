//! Lesson cstring-into-raw, as a program: Rust lends a `CString` to C with
//! `into_raw` and must take it back with `from_raw`; C must never free it.
//!
//! Variants: correct, never-reclaimed, c-frees-it.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::CString;

fn main() {
    let variant = c_half::variant(&["correct", "never-reclaimed", "c-frees-it"]);
    let Ok(text) = CString::new("hello from Rust") else { return };
    let raw = text.into_raw(); // Rust no longer owns the block
    // SAFETY: a live NUL-terminated string, borrowed for the call.
    let length = unsafe { c_half::read_rust_string(raw) };
    println!("C read {length} bytes");
    match variant {
        "never-reclaimed" => {} // no from_raw: nothing can free the block now
        "c-frees-it" => {
            // SAFETY: none: C's free() on a block Rust's allocator made.
            unsafe { c_half::c_frees_rust_string(raw) };
        }
        _ => {
            // SAFETY: `raw` came from into_raw and C kept no copy.
            drop(unsafe { CString::from_raw(raw) }); // Rust's allocator frees it
        }
    }
}
