//! `csrc/scenarios/callbacks.c`: C calls a Rust callback for each item. The
//! panic-at-boundary lesson's Rust pane shows the call marked here above
//! the callbacks it passes.

use std::ffi::c_int;

use crate::ffi::sys;

/// C could not finish: a callback reported an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackFailed;

/// C's `process_items`, calling `callback` for each item.
pub fn process_items(items: &[c_int], callback: extern "C" fn(c_int) -> c_int) -> Result<(), CallbackFailed> {
    // [step:callback@correct,no-catch-unwind]
    // SAFETY: `items` is valid for the call. A callback that
    // panics without catching it aborts the process: Rust
    // never unwinds out of an extern "C" fn. (The variant
    // that shows this runs isolated.)
    let status = unsafe { sys::process_items(items.as_ptr(), items.len(), callback) };
    // [/step]
    if status == 0 { Ok(()) } else { Err(CallbackFailed) }
}
