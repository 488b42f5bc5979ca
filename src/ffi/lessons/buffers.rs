//! `csrc/scenarios/buffers.c`: a C resource released by a Rust guard, or by hand.

use std::ffi::{CStr, c_void};
use std::ptr::NonNull;

use crate::ffi::sys;

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

fn open() -> Option<NonNull<c_void>> {
    // SAFETY: returns NULL or CAPACITY zeroed bytes we now own.
    NonNull::new(unsafe { sys::buffer_open(CAPACITY) })
}

fn fill(buffer: NonNull<c_void>, input: &CStr) -> Result<(), FillError> {
    // SAFETY: the buffer holds CAPACITY bytes; buffer_fill writes at most that.
    let status = unsafe { sys::buffer_fill(buffer.as_ptr(), CAPACITY, input.as_ptr()) };
    if status == 0 { Ok(()) } else { Err(FillError) }
}

fn close(buffer: NonNull<c_void>) {
    // SAFETY: callers own the buffer and close it once.
    unsafe { sys::buffer_close(buffer.as_ptr()) }
}

/// The guard: `Drop` calls `buffer_close`, on every path out of a scope.
#[derive(Debug)]
pub struct BufferGuard(NonNull<c_void>);

impl BufferGuard {
    pub fn open() -> Option<BufferGuard> {
        open().map(BufferGuard)
    }

    pub fn fill(&mut self, input: &CStr) -> Result<(), FillError> {
        fill(self.0, input)
    }
}

impl Drop for BufferGuard {
    fn drop(&mut self) {
        close(self.0);
    }
}

/// No guard: whoever holds it must call [`ManualBuffer::close`] on every
/// path. Forgetting leaks the buffer (and only that).
#[derive(Debug)]
pub struct ManualBuffer(NonNull<c_void>);

impl ManualBuffer {
    pub fn open() -> Option<ManualBuffer> {
        open().map(ManualBuffer)
    }

    pub fn fill(&mut self, input: &CStr) -> Result<(), FillError> {
        fill(self.0, input)
    }

    pub fn close(self) {
        close(self.0);
    }
}
