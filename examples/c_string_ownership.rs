//! Lesson c-string-ownership, as a program: C returns a `malloc`ed string
//! and the caller owns it. Rust copies the text into its own heap and must
//! hand the C string back to C's `free_message`.
//!
//! `cargo run --example c_string_ownership -- [correct|leak]`, or record it:
//! `ffiscope record -- target/debug/examples/c_string_ownership leak`.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::CStr;

fn main() {
    let variant = c_half::variant(&["correct", "leak"]);
    // SAFETY: create_message returns NULL or a NUL-terminated string that
    // the caller owns from now on.
    let message = unsafe { c_half::create_message() };
    if message.is_null() {
        return;
    }
    // SAFETY: a live NUL-terminated string, C's until free_message.
    let copy = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    println!("Rust's copy: {copy:?}");
    if variant == "correct" {
        // SAFETY: we own the string and give it back once, to C's own free.
        unsafe { c_half::free_message(message) };
    }
    // "leak": the pointer is forgotten; C's 20 bytes stay allocated.
    drop(copy); // Rust's allocator frees its own copy
}
