//! Lesson null-and-bounds, as a program: a bounded and an unbounded copy
//! into a 16-byte C buffer, and a lookup that returns NULL.
//!
//! Variants: correct, overflow, null-unchecked (crashes: strlen(NULL)).

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::{CStr, c_char};

const LONG_TEXT: &CStr = c"The quick brown fox jumps";
const UNKNOWN_USER: i32 = 99;

fn main() {
    let variant = c_half::variant(&["correct", "overflow", "null-unchecked"]);
    let capacity = 16;
    // SAFETY: NULL or a zeroed block of `capacity` bytes, ours until free_buffer.
    let buffer: *mut c_char = unsafe { c_half::make_buffer(capacity) };
    if buffer.is_null() {
        return;
    }
    if variant == "overflow" {
        // SAFETY: none: strcpy writes the whole text, past the buffer's end.
        unsafe { c_half::copy_unbounded(buffer, LONG_TEXT.as_ptr()) };
    } else {
        // SAFETY: copies at most capacity - 1 bytes and terminates.
        unsafe { c_half::copy_bounded(buffer, capacity, LONG_TEXT.as_ptr()) };
    }
    // SAFETY: the buffer's first `capacity` bytes are ours.
    let bytes = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), capacity) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(capacity);
    println!("the buffer reads {:?}", String::from_utf8_lossy(&bytes[..end]));
    // SAFETY: a lookup of static names.
    let name = unsafe { c_half::lookup_user_name(UNKNOWN_USER) };
    if variant == "null-unchecked" {
        // SAFETY: none: `name` is NULL and strlen reads it.
        let length = unsafe { c_half::name_length(name) };
        println!("name length {length}");
    } else if name.is_null() {
        println!("no user {UNKNOWN_USER}: checked, nothing read");
    }
    // SAFETY: ours, freed once.
    unsafe { c_half::free_buffer(buffer) };
}
