//! `csrc/scenarios/bounds.c`: copies into a fixed C buffer, and a lookup
//! that returns NULL. The null-and-bounds lesson's Rust pane is cut from the
//! regions marked here, so it shows the very `unsafe` calls that run.

use std::ffi::{CStr, c_char};
use std::ptr::NonNull;

use crate::ffi::sys::{copy_bounded, copy_unbounded, free_buffer, lookup_user_name, make_buffer, name_length};

/// How far past its end a buffer may be overrun and still only hit the
/// tracker's tail canary (which is 16 bytes).
const CANARY_BYTES: usize = 16;

/// A buffer allocated by `make_buffer`; dropping it calls `free_buffer`.
#[derive(Debug)]
pub struct CBuffer {
    ptr: NonNull<c_char>,
    capacity: usize,
}

impl CBuffer {
    pub fn new(capacity: usize) -> Option<CBuffer> {
        // [step:make]
        // SAFETY: make_buffer returns NULL or `capacity` zeroed
        // bytes that the caller owns.
        let buffer: *mut c_char = unsafe { make_buffer(capacity) };
        // [/step]
        NonNull::new(buffer).map(|ptr| CBuffer { ptr, capacity })
    }

    /// C's `copy_bounded`: never writes past the buffer.
    pub fn copy_bounded(&mut self, text: &CStr) {
        let (buffer, capacity) = (self.ptr.as_ptr(), self.capacity);
        // [step:copy]
        // SAFETY: `buffer` has `capacity` bytes, and copy_bounded
        // writes at most that many: 15 characters and a NUL.
        unsafe { copy_bounded(buffer, capacity, text.as_ptr()) };
        // [/step]
    }

    /// The lesson's mistake, C's `strcpy`: writes the whole string whatever
    /// the buffer holds. Refused (returns false) if the overrun would reach
    /// past the tracker's canary, so it only ever damages tracker memory.
    pub fn copy_unbounded(&mut self, text: &CStr) -> bool {
        let needed = text.to_bytes_with_nul().len();
        if needed > self.capacity + CANARY_BYTES {
            return false;
        }
        let buffer = self.ptr.as_ptr();
        // [step:copy@overflow]
        // Wrong: copy_unbounded is strcpy, which writes all 26
        // bytes into 16.
        // SAFETY: of this demonstration only, the overrun stays
        // inside the tracker's tail canary, which reports it when
        // the buffer is freed.
        unsafe { copy_unbounded(buffer, text.as_ptr()) };
        // [/step]
        true
    }

    /// The text in the buffer, up to its capacity.
    pub fn contents(&self) -> String {
        // SAFETY: the buffer holds `capacity` initialised bytes.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), self.capacity) };
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    }
}

// [step:free]
// Dropping the CBuffer runs this Drop, which gives the
// buffer back to C:
impl Drop for CBuffer {
    fn drop(&mut self) {
        // SAFETY: we own the buffer and free it once,
        // with its C free.
        unsafe { free_buffer(self.ptr.as_ptr()) }
    }
}
// [/step]

/// `lookup_user_name`, checked: `None` for an unknown id instead of NULL.
pub fn find_user_name(id: i32) -> Option<&'static CStr> {
    // [step:lookup]
    // SAFETY: lookup_user_name returns NULL or a static
    // NUL-terminated string.
    let name: *const c_char = unsafe { lookup_user_name(id) };
    if name.is_null() {
        return None; // no such user: nothing is read
    }
    // SAFETY: not NULL, so a static NUL-terminated string.
    let name: &'static CStr = unsafe { CStr::from_ptr(name) };
    // [/step]
    Some(name)
}

/// The lesson's mistake: the pointer goes on to C's `strlen` without a NULL
/// check. For an unknown id this dereferences NULL and the process dies with
/// SIGSEGV; it is only ever run in a child process.
pub fn name_length_unchecked(id: i32) -> usize {
    // [step:lookup@null-unchecked]
    // SAFETY: lookup_user_name returns NULL or a static
    // string.
    let name: *const c_char = unsafe { lookup_user_name(id) };
    // SAFETY: claimed, wrongly: `name` was never checked for
    // NULL. (This variant only ever runs in a child process.)
    let length = unsafe { name_length(name) }; // strlen(NULL) // [crash]
    // [/step]
    length
}
