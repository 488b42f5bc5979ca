//! The C half of the c-string-ownership lesson: `create_message` returns a
//! string that the caller owns and must give back to `free_message`. The
//! lesson's Rust pane is cut from the regions marked here, so it shows the
//! very `unsafe` calls that run.

use std::ffi::{CStr, c_char};
use std::ptr::NonNull;

use crate::ffi::sys::{create_message, free_message};

/// A message string allocated by C; dropping it calls `free_message`.
#[derive(Debug)]
pub struct CMessage {
    ptr: NonNull<c_char>,
}

impl CMessage {
    /// Calls `create_message`; `None` if C is out of memory.
    pub fn create() -> Option<CMessage> {
        // [step:create]
        // SAFETY: create_message returns NULL or a NUL-terminated
        // string that the caller owns from now on.
        let ptr: *mut c_char = unsafe { create_message() };
        let ptr = NonNull::new(ptr)?; // NULL: C was out of memory
        // [/step]
        Some(CMessage { ptr })
    }

    /// Rust's own copy of the text, on Rust's heap.
    pub fn copy_text(&self) -> String {
        let ptr = self.ptr.as_ptr();
        // [step:copy]
        // SAFETY: `ptr` is a live NUL-terminated string that C
        // keeps until it is given back to free_message.
        let text: &CStr = unsafe { CStr::from_ptr(ptr) };
        let copy: String = text.to_string_lossy().into_owned();
        // [/step]
        copy
    }

    /// Forgets the message without freeing it: the lesson's leak.
    pub fn leak(self) {
        let message = self;
        // [step:give_back@leak]
        std::mem::forget(message); // Drop never runs: free_message is never called
        // [/step]
    }
}

// [step:give_back]
// drop(message) runs this Drop, which gives the string
// back to C:
impl Drop for CMessage {
    fn drop(&mut self) {
        // SAFETY: we own the string and free it once,
        // with C's own free.
        unsafe { free_message(self.ptr.as_ptr()) }
    }
}
// [/step]
