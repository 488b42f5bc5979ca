//! Lesson ownership-handoff, as a program: Rust hands a boxed object to C
//! with the callback that destroys it, and shares a counted one.
//!
//! Variants: correct, destroy-twice, never-destroyed, double-free-unprotected
//! (glibc aborts the plain program; a recording refuses the second free).

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::c_void;
use std::sync::Arc;

#[derive(Debug)]
struct Widget {
    id: u32,
    label: [u8; 24],
}

impl Widget {
    fn new(id: u32, label: &str) -> Widget {
        let mut bytes = [0; 24];
        let n = label.len().min(23);
        bytes[..n].copy_from_slice(&label.as_bytes()[..n]);
        Widget { id, label: bytes }
    }
}

/// C calls this once it no longer needs the object.
extern "C" fn destroy_widget(object: *mut c_void) {
    // SAFETY: `object` came from Box::into_raw, and C destroys it once
    // (the broken variant does not: that is its lesson).
    let widget: Box<Widget> = unsafe { Box::from_raw(object.cast::<Widget>()) };
    drop(widget); // Rust's allocator frees the widget
}

/// C drops its counted reference with this.
extern "C" fn release_widget(object: *const c_void) {
    // SAFETY: C's reference came from Arc::into_raw and is given back once.
    unsafe { Arc::decrement_strong_count(object.cast::<Widget>()) }
}

fn main() {
    let variant = c_half::variant(&["correct", "destroy-twice", "never-destroyed", "double-free-unprotected"]);
    let widget = Box::new(Widget::new(7, "handed to C"));
    println!("handing widget {} ({:?}) to C", widget.id, String::from_utf8_lossy(&widget.label));
    let object: *mut c_void = Box::into_raw(widget).cast(); // Rust lets go
    // SAFETY: C owns `object` from now on and destroys it with destroy_widget.
    let holder = unsafe { c_half::holder_adopt(object, destroy_widget) };
    let shared = Arc::new(Widget::new(8, "shared with C"));
    let in_c = Arc::into_raw(Arc::clone(&shared)).cast::<c_void>(); // C's own count
    // SAFETY: C keeps one counted reference until shared_drop.
    let shared_ref = unsafe { c_half::shared_keep(in_c, release_widget) };
    println!("Arc strong count: {} (Rust's and C's)", Arc::strong_count(&shared));
    if holder.is_null() || shared_ref.is_null() {
        return;
    }
    // SAFETY: each holder is released once, by the one call its variant makes.
    unsafe {
        match variant {
            "destroy-twice" => c_half::holder_release_twice(holder),
            "never-destroyed" => c_half::holder_forget(holder),
            "double-free-unprotected" => {
                c_half::unprotected_double_free();
                c_half::holder_release(holder);
            }
            _ => c_half::holder_release(holder),
        }
    }
    // SAFETY: C's reference is dropped once.
    unsafe { c_half::shared_drop(shared_ref) };
    drop(shared); // Rust's own count: the last one frees the widget
}
