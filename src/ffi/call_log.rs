//! Which of the lessons' C functions ran: the lessons' C is compiled with
//! `-finstrument-functions`, and `csrc/call_log.c` keeps the functions that
//! threads bound to a tracker enter. Names are read back with `dladdr`, so
//! they come out only where the program exports its symbols (the tests link
//! with `-rdynamic`); elsewhere the list is empty.

use std::ffi::{CStr, c_void};

use super::{Tracker, sys, unrecorded};

/// Most functions one log keeps (as `csrc/call_log.c` does).
const CAPACITY: usize = 256;

/// Runs `body` and returns the names of the lessons' C functions that threads
/// bound to `tracker` entered meanwhile, once each, in first-entry order.
/// `None` if every log was in use.
pub fn lesson_calls<R>(tracker: &Tracker, body: impl FnOnce() -> R) -> (R, Option<Vec<&'static str>>) {
    // SAFETY: the tracker is live; the log only compares its address.
    let started = unsafe { sys::fs_call_log_start(tracker.as_ptr()) } != 0;
    let result = body();
    if !started {
        return (result, None);
    }
    // The log's own memory is not the lesson's: kept off any scope's books.
    let names = unrecorded(|| {
        let mut calls = vec![std::ptr::null_mut::<c_void>(); CAPACITY];
        // SAFETY: `calls` has room for CAPACITY addresses; the log writes at most that many.
        let count = unsafe { sys::fs_call_log_stop(tracker.as_ptr(), calls.as_mut_ptr(), CAPACITY) };
        calls.truncate(count);
        calls.into_iter().filter_map(function_name).collect()
    });
    (result, Some(names))
}

/// The exported name of the function at `address`, if it has one.
fn function_name(address: *mut c_void) -> Option<&'static str> {
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    // SAFETY: dladdr only reads the loaded objects' tables and fills `info`.
    let found = unsafe { libc::dladdr(address.cast_const(), &raw mut info) } != 0;
    if !found || info.dli_sname.is_null() {
        return None;
    }
    // SAFETY: dli_sname points into the symbol table of a loaded object,
    // which stays mapped for the life of the process.
    unsafe { CStr::from_ptr(info.dli_sname) }.to_str().ok()
}
