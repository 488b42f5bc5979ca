//! `csrc/scenarios/bounds.c`: copies into a fixed C buffer, and a lookup
//! that returns NULL.

use std::ffi::{CStr, c_char};
use std::ptr::NonNull;

use crate::ffi::sys;

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
        // SAFETY: returns NULL or `capacity` zeroed bytes we now own.
        NonNull::new(unsafe { sys::make_buffer(capacity) }).map(|ptr| CBuffer { ptr, capacity })
    }

    /// C's `copy_bounded`: never writes past the buffer.
    pub fn copy_bounded(&mut self, src: &CStr) {
        // SAFETY: copy_bounded writes at most `capacity` bytes.
        unsafe { sys::copy_bounded(self.ptr.as_ptr(), self.capacity, src.as_ptr()) }
    }

    /// The lesson's mistake, C's `strcpy`: writes the whole string whatever
    /// the buffer holds. Refused (returns false) if the overrun would reach
    /// past the tracker's canary, so it only ever damages tracker memory.
    pub fn copy_unbounded(&mut self, src: &CStr) -> bool {
        let needed = src.to_bytes_with_nul().len();
        if needed > self.capacity + CANARY_BYTES {
            return false;
        }
        // SAFETY: the overrun stays inside the block's tail canary, which the
        // tracker allocated with it; the canary reports it at the free.
        unsafe { sys::copy_unbounded(self.ptr.as_ptr(), src.as_ptr()) };
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

impl Drop for CBuffer {
    fn drop(&mut self) {
        // SAFETY: we own the buffer and free it with its C free.
        unsafe { sys::free_buffer(self.ptr.as_ptr()) }
    }
}

/// `lookup_user_name`, checked: `None` for an unknown id instead of NULL.
pub fn lookup_user_name(id: i32) -> Option<&'static CStr> {
    // SAFETY: returns NULL or a pointer to a static string.
    let name = unsafe { sys::lookup_user_name(id) };
    // SAFETY: non-null names are static NUL-terminated strings.
    (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) })
}

/// The lesson's mistake: the pointer goes on to C's `strlen` without a NULL
/// check. For an unknown id this dereferences NULL and the process dies with
/// SIGSEGV; it is only ever run in a child process.
pub fn name_length_unchecked(id: i32) -> usize {
    // SAFETY: not safe for unknown ids, deliberately: this is the crash the
    // lesson shows, and it only runs isolated.
    unsafe { sys::name_length(sys::lookup_user_name(id)) }
}
