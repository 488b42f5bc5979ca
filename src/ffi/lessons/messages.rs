//! The C half of the c-string-ownership lesson: `create_message` returns a
//! string that the caller owns and must give back to `free_message`.

use std::borrow::Cow;
use std::ffi::{CStr, c_char};
use std::ptr::NonNull;

use crate::ffi::sys;

/// A message string allocated by C; dropping it calls `free_message`.
#[derive(Debug)]
pub struct CMessage {
    ptr: NonNull<c_char>,
}

impl CMessage {
    /// Calls `create_message`; `None` if C is out of memory.
    pub fn create() -> Option<CMessage> {
        // SAFETY: create_message returns NULL or a NUL-terminated string we now own.
        let ptr = unsafe { sys::create_message() };
        NonNull::new(ptr).map(|ptr| CMessage { ptr })
    }

    pub fn as_c_str(&self) -> &CStr {
        // SAFETY: the string is NUL-terminated and lives as long as `self`.
        unsafe { CStr::from_ptr(self.ptr.as_ptr()) }
    }

    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        self.as_c_str().to_string_lossy()
    }

    /// Forgets the message without freeing it: the lesson's leak.
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for CMessage {
    fn drop(&mut self) {
        // SAFETY: we own the string and free it with the matching C free.
        unsafe { sys::free_message(self.ptr.as_ptr()) }
    }
}
