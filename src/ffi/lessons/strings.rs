//! `csrc/scenarios/strings.c`: C that borrows strings from Rust.

use std::ffi::{CStr, CString, c_char};

use crate::ffi::rust_heap::active_tracker;
use crate::ffi::{rust_heap_site, sys};

/// C's `read_rust_string`: borrows the text for the call and returns its length.
pub fn read_rust_string(text: &CStr) -> usize {
    // SAFETY: `text` is a live NUL-terminated string for the whole call.
    unsafe { sys::read_rust_string(text.as_ptr()) }
}

/// A Rust string lent to C with `CString::into_raw`: only `CString::from_raw`
/// may free it. The steps' code is cut from these methods, so the pane shows
/// the very calls and `unsafe` blocks that run.
#[derive(Debug)]
pub struct RawCString(*mut c_char);

impl RawCString {
    /// Gives the string up to C, which reads it; answers the length C read.
    pub fn lend(text: CString) -> (RawCString, usize) {
        // [step:lend]
        let raw: *mut c_char = text.into_raw(); // Rust no longer owns the block
        // SAFETY: `raw` is a live NUL-terminated string; C only
        // reads it during the call and keeps no copy of the
        // pointer.
        let length = unsafe { sys::read_rust_string(raw) };
        // [/step]
        (RawCString(raw), length)
    }

    pub fn as_ptr(&self) -> *const c_char {
        self.0
    }

    /// Takes the string back and frees it with Rust's allocator.
    pub fn reclaim(self) {
        let raw = self.0;
        // [step:reclaim]
        // SAFETY: `raw` came from CString::into_raw and is taken
        // back once; C holds no copy of it.
        let text = unsafe { CString::from_raw(raw) };
        drop(text); // Rust's allocator frees the block
        // [/step]
    }

    /// The lesson's leak: the pointer goes out of scope without `from_raw`.
    pub fn abandon(self) {
        let raw = self.0;
        // [step:reclaim@never-reclaimed]
        let _ = raw; // no CString::from_raw: nothing can free the block now
        // [/step]
    }

    /// The lesson's mistake: C calls `free()` on the Rust pointer, and Rust,
    /// believing C freed it, never calls `from_raw`. The tracker recognises
    /// a Rust block, reports a free with the wrong allocator and refuses, so
    /// the block is untouched (and leaks).
    pub fn freed_by_c(self) {
        let raw = self.0;
        // [step:reclaim@c-frees-it]
        // SAFETY: of this demonstration only, the tracker finds a
        // block of Rust's heap, reports the foreign free and
        // releases nothing.
        unsafe { sys::c_frees_rust_string(raw) }; // C's free() on Rust's block
        // Rust believes C freed it: no CString::from_raw follows
        // [/step]
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
    // [step:pass@correct,temporary]
    // greet_pointer(name) calls C, which reads the name:
    let mut out = [0 as c_char; 64];
    // SAFETY: `name` must be a live NUL-terminated string for
    // the whole call, which a dangling one is not (the
    // tracker refuses its read); greet's snprintf writes at
    // most out.len() bytes.
    let written = unsafe { sys::greet(name, out.as_mut_ptr(), out.len()) };
    // [/step]
    if written < 0 || !live {
        return None;
    }
    // SAFETY: snprintf always terminates within `out`.
    let greeting = unsafe { CStr::from_ptr(out.as_ptr()) };
    Some(rust_heap_site(c"greeting String", || greeting.to_string_lossy().into_owned()))
}
