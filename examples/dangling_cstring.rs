//! Lesson dangling-cstring, as a program: `CString::new(..).as_ptr()` in
//! one expression hands C a pointer to a string that is freed at the end
//! of the statement.
//!
//! Variants: correct, temporary. Record the broken one with `--guard` to
//! see C's read of the freed string where it happens.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::{CStr, CString, c_char};

fn greet(name: *const c_char) -> String {
    let mut out = [0 as c_char; 64];
    // SAFETY: `out` holds 64 bytes; `name` should be a live string.
    let written = unsafe { c_half::greet(name, out.as_mut_ptr(), out.len()) };
    if written < 0 {
        return String::new();
    }
    // SAFETY: greet wrote a NUL-terminated string into `out`.
    unsafe { CStr::from_ptr(out.as_ptr()) }.to_string_lossy().into_owned()
}

fn main() {
    let variant = c_half::variant(&["correct", "temporary"]);
    let greeting = if variant == "temporary" {
        #[expect(dangling_pointers_from_temporaries, reason = "the broken variant of the lesson")]
        let name = CString::new("ferris").unwrap_or_default().as_ptr(); // the CString dies here
        greet(name)
    } else {
        let name = CString::new("ferris").unwrap_or_default(); // lives until the end of the block
        greet(name.as_ptr())
    };
    println!("C answered: {greeting:?}");
}
