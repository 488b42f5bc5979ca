//! `csrc/scenarios/requests.c`: a C request handler.

use crate::ffi::sys;

/// C's `handle_request`; returns the HTTP status. With `leaky`, one error
/// path in ten forgets to free the request body.
pub fn handle_request(id: i32, leaky: bool) -> i32 {
    // SAFETY: plain integers in and out; C allocates and frees through the tracker.
    unsafe { sys::handle_request(id, i32::from(leaky)) }
}
