//! The lessons' C halves (`csrc/scenarios/`), built plain by `build.rs`:
//! the C library's own `malloc` and `free`, nothing in between. Each
//! example declares here the C functions it calls, exactly as a crate
//! binding that C would.

#![allow(dead_code, reason = "each example calls the functions of its own lesson")]

use std::ffi::{c_char, c_int, c_long, c_void};

/// `struct fs_request`: the two parts of a request line, each NUL-terminated.
#[repr(C)]
pub struct Request {
    pub method: [c_char; 16],
    pub path: [c_char; 128],
}

/// `c_type_info`: one row of C's table of its own types.
#[repr(C)]
pub struct TypeInfo {
    pub name: *const c_char,
    pub size: usize,
    pub align: usize,
}

/// C's own types, used only behind pointers.
#[repr(C)]
pub struct Opaque {
    _private: [u8; 0],
}

pub type DestroyFn = extern "C" fn(object: *mut c_void);
pub type ReleaseFn = extern "C" fn(object: *const c_void);
pub type ItemFn = extern "C" fn(item: c_int) -> c_int;
pub type RequestHandler = extern "C" fn(service: *mut c_void, method: *const c_char, path: *const c_char) -> c_int;

unsafe extern "C" {
    // messages.c
    pub fn create_message() -> *mut c_char;
    pub fn free_message(message: *mut c_char);
    // strings.c
    pub fn read_rust_string(text: *const c_char) -> usize;
    pub fn c_frees_rust_string(text: *mut c_char);
    pub fn greet(name: *const c_char, out: *mut c_char, capacity: usize) -> c_int;
    // handoff.c
    pub fn holder_adopt(object: *mut c_void, destroy: DestroyFn) -> *mut Opaque;
    pub fn holder_release(holder: *mut Opaque);
    pub fn holder_release_twice(holder: *mut Opaque);
    pub fn holder_forget(holder: *mut Opaque);
    pub fn unprotected_double_free();
    pub fn shared_keep(object: *const c_void, release: ReleaseFn) -> *mut Opaque;
    pub fn shared_drop(shared: *mut Opaque);
    // alignment.c
    pub fn packed_data_new() -> *mut c_void;
    pub fn packed_data_free(data: *mut c_void);
    // bounds.c
    pub fn make_buffer(capacity: usize) -> *mut c_char;
    pub fn copy_bounded(dst: *mut c_char, capacity: usize, src: *const c_char);
    pub fn copy_unbounded(dst: *mut c_char, src: *const c_char);
    pub fn free_buffer(buffer: *mut c_char);
    pub fn lookup_user_name(id: c_int) -> *const c_char;
    pub fn name_length(name: *const c_char) -> usize;
    // arrays.c
    pub fn create_array(n: usize) -> *mut i32;
    pub fn free_array(values: *mut i32);
    // buffers.c
    pub fn buffer_open(capacity: usize) -> *mut c_void;
    pub fn buffer_fill(buffer: *mut c_void, capacity: usize, input: *const c_char) -> c_int;
    pub fn buffer_close(buffer: *mut c_void);
    // arena.c
    pub fn arena_new(capacity: usize) -> *mut Opaque;
    pub fn arena_alloc(arena: *mut Opaque, n: usize) -> *mut c_void;
    pub fn arena_free(arena: *mut Opaque);
    pub fn item_alloc(n: usize) -> *mut c_void;
    pub fn item_free(item: *mut c_void);
    // counter.c
    pub fn counter_new() -> *mut Opaque;
    pub fn counter_add_unsynchronised(counter: *mut Opaque, times: c_long);
    pub fn counter_add_lock_step(counter: *mut Opaque, times: c_long, threads: c_int);
    pub fn counter_add_locked(counter: *mut Opaque, times: c_long);
    pub fn counter_add_atomic(counter: *mut Opaque, times: c_long);
    pub fn counter_value(counter: *mut Opaque) -> c_long;
    pub fn counter_free(counter: *mut Opaque);
    // callbacks.c
    pub fn process_items(items: *const c_int, count: usize, callback: ItemFn) -> c_int;
    // requests.c
    pub fn handle_request(id: c_int, leaky: c_int) -> c_int;
    // service.c
    pub fn parse_request(line: *const c_char, out: *mut Request);
    pub fn serve_request(line: *const c_char, handler: RequestHandler, service: *mut c_void) -> c_int;
    pub fn worker_start() -> *mut Opaque;
    pub fn worker_ask(worker: *mut Opaque, line: *const c_char, reply: *mut *const c_char) -> c_int;
    pub fn worker_pid(worker: *const Opaque) -> c_int;
    pub fn worker_exit_signal(worker: *const Opaque) -> c_int;
    pub fn worker_end(worker: *mut Opaque);
    pub fn worker_stop(worker: *mut Opaque);
    // types.c
    pub fn c_type_table(out: *mut *const TypeInfo) -> usize;
    pub fn c_char_is_signed() -> c_int;
}

/// The variant named on the command line (the first of `variants` when
/// none is); an unknown one ends the program with the list and status 2.
pub fn variant(variants: &[&'static str]) -> &'static str {
    let asked = std::env::args().nth(1);
    let Some(asked) = asked else { return variants[0] };
    if let Some(known) = variants.iter().find(|v| **v == asked) {
        return known;
    }
    eprintln!("unknown variant {asked:?}; this lesson has: {}", variants.join(", "));
    std::process::exit(2);
}
