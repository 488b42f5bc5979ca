//! `csrc/scenarios/strings.c`: C that borrows strings from Rust.

use std::ffi::{CStr, CString, c_char};

use crate::ffi::rust_heap::active_tracker;
use crate::ffi::{rust_heap_site, sys};

/// C's `read_rust_string`: borrows the text for the call and returns its length.
pub fn read_rust_string(text: &CStr) -> usize {
    // SAFETY: `text` is a live NUL-terminated string for the whole call.
    unsafe { sys::read_rust_string(text.as_ptr()) }
}

/// A Rust string handed to C with `CString::into_raw`: only
/// [`RawCString::reclaim`] (`CString::from_raw`) may free it.
#[derive(Debug)]
pub struct RawCString(*mut c_char);

impl RawCString {
    pub fn from_cstring(text: CString) -> RawCString {
        RawCString(text.into_raw())
    }

    pub fn as_ptr(&self) -> *const c_char {
        self.0
    }

    /// C reads the string it was lent.
    pub fn read_in_c(&self) -> usize {
        // SAFETY: the pointer came from into_raw and has not been reclaimed.
        unsafe { sys::read_rust_string(self.0) }
    }

    /// The lesson's mistake: C calls `free()` on the Rust pointer. The
    /// tracker recognises a Rust block, reports a foreign free and refuses;
    /// the string is untouched and still ours.
    pub fn freed_by_c(&self) {
        // SAFETY: fs_free looks the pointer up and, finding a Rust block,
        // only reports; nothing is released or written.
        unsafe { sys::c_frees_rust_string(self.0) }
    }

    /// Lets go of the pointer without `from_raw`: nobody can free the string now.
    pub fn abandon(self) {}

    /// `CString::from_raw`: Rust takes the string back and frees it itself.
    pub fn reclaim(self) -> CString {
        // SAFETY: the pointer came from CString::into_raw and is reclaimed once.
        unsafe { CString::from_raw(self.0) }
    }
}

/// C's `greet`, given a pointer that may already dangle. A pointer to a live
/// block of either heap is greeted. A pointer to a block the tracker saw
/// freed still reaches C, whose read goes through the tracker: it reports the
/// use after free and reads nothing, and the answer is `None`. A pointer the
/// tracker does not know is refused before C sees it: `None`.
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "the pointer is checked against the tracker and only live blocks are read"
)]
pub fn greet_pointer(name: *const c_char) -> Option<String> {
    let tracker = active_tracker();
    // SAFETY: these look the address up without dereferencing it.
    let (live, freed) = unsafe {
        let live = sys::fs_is_live(name.cast()) != 0
            || (!tracker.is_null() && sys::fs_rust_is_live(tracker, name.cast()) != 0);
        (live, sys::fs_was_freed(name.cast()) != 0)
    };
    if !live && !freed {
        return None;
    }
    let mut out = [0 as c_char; 64];
    // SAFETY: `name` is a live, tracked block holding a C string, or one the
    // tracker saw freed, which greet's checked read refuses to read; `out`
    // has room for 64 bytes and greet's snprintf writes at most that.
    let written = unsafe { sys::greet(name, out.as_mut_ptr(), out.len()) };
    if written < 0 || !live {
        return None;
    }
    // SAFETY: snprintf always terminates within `out`.
    let greeting = unsafe { CStr::from_ptr(out.as_ptr()) };
    Some(rust_heap_site(c"greeting String", || greeting.to_string_lossy().into_owned()))
}
