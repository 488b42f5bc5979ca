//! `csrc/scenarios/callbacks.c`: C calls a Rust callback for each item.

use std::ffi::c_int;

use crate::ffi::sys;

/// C could not finish: a callback reported an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackFailed;

/// C's `process_items`, calling `callback` for each item.
pub fn process_items(items: &[c_int], callback: extern "C" fn(c_int) -> c_int) -> Result<(), CallbackFailed> {
    // SAFETY: `items` is valid for the call. A callback that panics without
    // catching it aborts the process (Rust never unwinds out of an
    // extern "C" fn); the scenario that shows this runs isolated.
    let status = unsafe { sys::process_items(items.as_ptr(), items.len(), callback) };
    if status == 0 { Ok(()) } else { Err(CallbackFailed) }
}
