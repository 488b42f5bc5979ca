//! Lesson service-survives, as a program: a request loop over a C parser
//! that crashes on a line without a path, and four ways to live with it.
//!
//! Variants: in-process (the parser's crash takes the service down),
//! panic-recovered (C calls back; the handler catches its own panic),
//! isolated-worker (the parser runs in a worker process; when it dies the
//! service starts another), restart-leaks (the same, forgetting the dead
//! worker's block).

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::{CStr, c_char, c_int, c_void};
use std::panic::catch_unwind;
use std::ptr::NonNull;

const REQUESTS: [&CStr; 10] = [
    c"GET /",
    c"GET /menu",
    c"POST /order",
    c"GET /order/17",
    c"BROKEN",
    c"GET /menu",
    c"GET /hours",
    c"POST /order",
    c"GET /order/18",
    c"GET /",
];

fn text_of(part: &[c_char]) -> String {
    let bytes: Vec<u8> = part.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The parser, in this very process.
fn parse_in_process(line: &CStr) -> String {
    let mut request = c_half::Request { method: [0; 16], path: [0; 128] };
    // SAFETY: a NUL-terminated line and room for both parts. The parser
    // trusts its input: a line without a space crashes it.
    unsafe { c_half::parse_request(line.as_ptr(), &raw mut request) };
    format!("200 {} {}", text_of(&request.method), text_of(&request.path))
}

type Handler<'a> = &'a mut dyn FnMut(&str, Option<&str>) -> c_int;

/// C splits the line and calls `handler` with its parts.
fn serve(line: &CStr, handler: Handler<'_>) -> c_int {
    extern "C" fn trampoline(service: *mut c_void, method: *const c_char, path: *const c_char) -> c_int {
        // SAFETY: `service` is the handler passed below, alive for the call.
        let handler = unsafe { &mut *service.cast::<Handler<'_>>() };
        // SAFETY: C passes a NUL-terminated method, and a path or NULL.
        let method = unsafe { CStr::from_ptr(method) }.to_str().unwrap_or("");
        // SAFETY: as above.
        let path = NonNull::new(path.cast_mut()).map(|p| unsafe { CStr::from_ptr(p.as_ptr()) }.to_str().unwrap_or(""));
        handler(method, path)
    }
    let mut handler = handler;
    // SAFETY: the handler outlives the call.
    unsafe { c_half::serve_request(line.as_ptr(), trampoline, (&raw mut handler).cast()) }
}

fn answer_recovering(line: &CStr) -> Option<String> {
    let mut answer = None;
    let status = serve(line, &mut |method, path| {
        // No panic may unwind into C: it is caught here, at the boundary.
        match catch_unwind(|| path.expect("a request line has a path")) {
            Ok(path) => {
                answer = Some(format!("200 {method} {path}"));
                0
            }
            Err(_) => -1,
        }
    });
    answer.filter(|_| status == 0)
}

/// A worker process running the parser; its block is the service's.
struct Worker(NonNull<c_half::Opaque>);

impl Worker {
    fn start() -> Option<Worker> {
        // SAFETY: NULL or a worker, ours until worker_stop.
        NonNull::new(unsafe { c_half::worker_start() }).map(Worker)
    }

    fn ask(&mut self, line: &CStr) -> Result<String, c_int> {
        let mut reply: *const c_char = std::ptr::null();
        // SAFETY: a live worker and a NUL-terminated line.
        let status = unsafe { c_half::worker_ask(self.0.as_ptr(), line.as_ptr(), &raw mut reply) };
        if status == 0 && !reply.is_null() {
            // SAFETY: the reply lives in the worker's block until the next ask.
            return Ok(unsafe { CStr::from_ptr(reply) }.to_string_lossy().into_owned());
        }
        // SAFETY: a live worker block.
        Err(unsafe { c_half::worker_exit_signal(self.0.as_ptr()) })
    }

    /// Ends the worker and releases its block.
    fn stop(self) {
        let worker = std::mem::ManuallyDrop::new(self);
        // SAFETY: ours, stopped once; Drop will not run.
        unsafe { c_half::worker_stop(worker.0.as_ptr()) }
    }
}

impl Drop for Worker {
    /// Ends the worker process, but keeps its block: only `stop` frees it.
    fn drop(&mut self) {
        // SAFETY: a live worker block.
        unsafe { c_half::worker_end(self.0.as_ptr()) }
    }
}

fn main() {
    let variant = c_half::variant(&["in-process", "panic-recovered", "isolated-worker", "restart-leaks"]);
    let isolated = matches!(variant, "isolated-worker" | "restart-leaks");
    let mut worker = if isolated { Worker::start() } else { None };
    let mut answers: Vec<String> = Vec::with_capacity(REQUESTS.len());
    let mut cache: Option<String> = None;
    for line in REQUESTS {
        let answer = match variant {
            "in-process" => Some(parse_in_process(line)),
            "panic-recovered" => answer_recovering(line),
            _ => match worker.as_mut().map(|w| w.ask(line)) {
                Some(Ok(reply)) => Some(reply),
                Some(Err(signal)) => {
                    println!("the worker died of signal {signal} with {line:?}; starting another");
                    let dead = worker.take();
                    if variant == "isolated-worker" {
                        if let Some(dead) = dead {
                            dead.stop(); // worker_stop: releases the dead worker's block
                        }
                    } else {
                        drop(dead); // no worker_stop: the dead worker's block is never released
                    }
                    worker = Worker::start();
                    cache.clone()
                }
                None => None,
            },
        };
        let text = answer.unwrap_or_else(|| "503 Service Unavailable".to_owned());
        println!("{line:?} → {text}");
        cache = Some(text.clone());
        answers.push(text);
    }
    if let Some(worker) = worker {
        worker.stop();
    }
    drop(answers);
}
