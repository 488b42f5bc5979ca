//! `csrc/scenarios/buffers.c`: a C resource released by a Rust guard, or by
//! hand. The raii-release lesson's Rust pane shows the owner types marked
//! here beside the function that uses them.

use std::ffi::{CStr, c_void};
use std::ptr::NonNull;

use crate::ffi::sys::{buffer_close, buffer_fill, buffer_open};

/// C refused the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillError;

impl std::fmt::Display for FillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("C's buffer_fill refused the input")
    }
}

impl std::error::Error for FillError {}

const CAPACITY: usize = 48;

fn fill(buffer: NonNull<c_void>, input: &CStr) -> Result<(), FillError> {
    // SAFETY: the buffer holds CAPACITY bytes; buffer_fill writes at most that.
    let status = unsafe { buffer_fill(buffer.as_ptr(), CAPACITY, input.as_ptr()) };
    if status == 0 { Ok(()) } else { Err(FillError) }
}

// [step:process]
/// The guard: `Drop` calls `buffer_close`, on every path
/// out of a scope.
#[derive(Debug)]
pub struct BufferGuard(NonNull<c_void>);

impl BufferGuard {
    pub fn open() -> Option<BufferGuard> {
        // SAFETY: buffer_open returns NULL or CAPACITY
        // zeroed bytes that the caller owns.
        NonNull::new(unsafe { buffer_open(CAPACITY) }).map(BufferGuard)
    }

    pub fn fill(&mut self, input: &CStr) -> Result<(), FillError> {
        fill(self.0, input)
    }
}

impl Drop for BufferGuard {
    fn drop(&mut self) {
        // SAFETY: the guard owns the buffer, and Drop
        // runs once.
        unsafe { buffer_close(self.0.as_ptr()) }
    }
}
// [/step]

// [step:process@manual-free]
/// No guard: whoever holds it must call close on every
/// path. Forgetting leaks the buffer.
#[derive(Debug)]
pub struct ManualBuffer(NonNull<c_void>);

impl ManualBuffer {
    pub fn open() -> Option<ManualBuffer> {
        // SAFETY: buffer_open returns NULL or CAPACITY
        // zeroed bytes that the caller owns.
        NonNull::new(unsafe { buffer_open(CAPACITY) }).map(ManualBuffer)
    }

    pub fn fill(&mut self, input: &CStr) -> Result<(), FillError> {
        fill(self.0, input)
    }

    pub fn close(self) {
        // SAFETY: close takes the buffer by value, so it
        // runs once.
        unsafe { buffer_close(self.0.as_ptr()) }
    }
}
// [/step]
