//! Lesson raii-release, as a program: a C buffer opened, filled and closed
//! on every path of a function, by a guard's `Drop` or by hand.
//!
//! Variants: correct, manual-free (the early return forgets `buffer_close`).

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::{CStr, c_void};
use std::ptr::NonNull;

const CAPACITY: usize = 48;
const INPUTS: [&CStr; 3] = [c"hello", c"", c"refused!"];

#[derive(Debug)]
struct FillError;

/// Closes the buffer when it goes out of scope, on every path.
struct BufferGuard(NonNull<c_void>);

impl BufferGuard {
    fn open() -> Option<BufferGuard> {
        // SAFETY: NULL or a buffer of CAPACITY bytes, ours until buffer_close.
        NonNull::new(unsafe { c_half::buffer_open(CAPACITY) }).map(BufferGuard)
    }
}

impl Drop for BufferGuard {
    fn drop(&mut self) {
        // SAFETY: ours, closed once.
        unsafe { c_half::buffer_close(self.0.as_ptr()) }
    }
}

fn fill(buffer: NonNull<c_void>, input: &CStr) -> Result<(), FillError> {
    // SAFETY: a live buffer of CAPACITY bytes and a NUL-terminated input.
    let status = unsafe { c_half::buffer_fill(buffer.as_ptr(), CAPACITY, input.as_ptr()) };
    if status == 0 { Ok(()) } else { Err(FillError) }
}

fn process(input: &CStr) -> Result<usize, FillError> {
    let buffer = BufferGuard::open().ok_or(FillError)?;
    if input.is_empty() {
        return Ok(0); // early return: the guard closes the buffer
    }
    fill(buffer.0, input)?; // error return: the guard closes the buffer
    Ok(input.to_bytes().len())
} // normal return: the guard closes the buffer

fn process_by_hand(input: &CStr) -> Result<usize, FillError> {
    // SAFETY: NULL or a buffer of CAPACITY bytes.
    let buffer = NonNull::new(unsafe { c_half::buffer_open(CAPACITY) }).ok_or(FillError)?;
    if input.is_empty() {
        return Ok(0); // early return: buffer_close forgotten, the buffer leaks
    }
    let filled = fill(buffer, input);
    // SAFETY: ours, closed once.
    unsafe { c_half::buffer_close(buffer.as_ptr()) };
    filled.map(|()| input.to_bytes().len())
}

fn main() {
    let variant = c_half::variant(&["correct", "manual-free"]);
    for input in INPUTS {
        let result = if variant == "manual-free" { process_by_hand(input) } else { process(input) };
        println!("process({input:?}) = {result:?}");
    }
}
