//! `csrc/scenarios/service.c`: a request-line parser (with a missing NULL
//! check), its callback entry point, and a worker process that runs it.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::NonNull;

use crate::ffi::sys;

/// The two parts of a request line, as C's parser split them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
}

fn text_of(part: &[c_char]) -> String {
    let bytes: Vec<u8> = part.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// C's `parse_request`, in this process. The lesson's fault: a line with no
/// path makes C read through NULL, a real SIGSEGV, so a line like that is
/// only ever parsed here by the variant that runs isolated.
pub fn parse_request(line: &CStr) -> Request {
    let mut request = sys::fs_request { method: [0; 16], path: [0; 128] };
    // SAFETY: `line` is NUL-terminated and `request` is a valid out-struct;
    // parse_request writes only inside it. A line without a space crashes
    // the process, which is the lesson, and such a run is isolated.
    unsafe { sys::parse_request(line.as_ptr(), &raw mut request) };
    Request { method: text_of(&request.method), path: text_of(&request.path) }
}

/// What the service's handler is handed for each line: the method, and the
/// path if the line has one. Its answer goes back to C: 0, or -1 for an error.
pub type Handler<'a> = &'a mut dyn FnMut(&str, Option<&str>) -> c_int;

/// C's `serve_request`: C splits `line` and calls `handler` with its parts.
/// A panic in `handler` would abort the process (it cannot unwind through
/// C): a handler catches its own panics.
pub fn serve_request(line: &CStr, handler: Handler<'_>) -> c_int {
    extern "C" fn trampoline(service: *mut c_void, method: *const c_char, path: *const c_char) -> c_int {
        // SAFETY: `service` is the `&mut Handler` below, alive and not
        // otherwise borrowed for the duration of serve_request.
        let handler = unsafe { &mut *service.cast::<Handler<'_>>() };
        // SAFETY: C passes a NUL-terminated method, valid for the call.
        let method = unsafe { CStr::from_ptr(method) }.to_str().unwrap_or("");
        // SAFETY: the path is NULL or NUL-terminated, valid for the call.
        let path = NonNull::new(path.cast_mut()).map(|p| unsafe { CStr::from_ptr(p.as_ptr()) }.to_str().unwrap_or(""));
        handler(method, path)
    }
    let mut handler = handler;
    // SAFETY: the line is NUL-terminated; the pointer to `handler` outlives
    // the call, and the trampoline is the only one to use it.
    unsafe { sys::serve_request(line.as_ptr(), trampoline, (&raw mut handler).cast()) }
}

/// How a worker process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerDied {
    pub pid: u32,
    /// The signal that killed it, 0 if it exited.
    pub signal: i32,
}

/// A worker process started by C's `worker_start`, and the block C keeps
/// for it. Like the C handle it is, its block is released only by
/// [`Worker::stop`]; dropping it still ends and reaps the process, so no
/// worker outlives the service, but leaves the block behind for the
/// tracker to find.
#[derive(Debug)]
pub struct Worker {
    ptr: NonNull<sys::worker>,
    pid: u32,
}

impl Worker {
    /// A fresh worker process, or `None` if it could not be started.
    pub fn start() -> Option<Worker> {
        // SAFETY: returns NULL or a worker we now own.
        let ptr = NonNull::new(unsafe { sys::worker_start() })?;
        // SAFETY: the worker is live.
        let pid = unsafe { sys::worker_pid(ptr.as_ptr()) };
        Some(Worker { ptr, pid: pid.unsigned_abs() })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `line` to the worker and waits for its reply.
    pub fn ask(&mut self, line: &CStr) -> Result<String, WorkerDied> {
        let mut reply: *const c_char = std::ptr::null();
        // SAFETY: the worker is live; on success `reply` points into its
        // block, NUL-terminated, until the next call.
        let status = unsafe { sys::worker_ask(self.ptr.as_ptr(), line.as_ptr(), &raw mut reply) };
        if status == 0 && !reply.is_null() {
            // SAFETY: as above.
            return Ok(unsafe { CStr::from_ptr(reply) }.to_string_lossy().into_owned());
        }
        // SAFETY: the worker's block is live; the process has been reaped.
        let signal = unsafe { sys::worker_exit_signal(self.ptr.as_ptr()) };
        Err(WorkerDied { pid: self.pid, signal })
    }

    /// C's `worker_stop`: ends and reaps the process, releases its block.
    pub fn stop(self) {
        let worker = std::mem::ManuallyDrop::new(self);
        // SAFETY: the worker is live, and ManuallyDrop keeps Drop from
        // touching it after worker_stop has freed it.
        unsafe { sys::worker_stop(worker.ptr.as_ptr()) }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // SAFETY: the worker is live; worker_end ends and reaps the process
        // and leaves the block allocated.
        unsafe { sys::worker_end(self.ptr.as_ptr()) }
    }
}
