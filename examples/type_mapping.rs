//! Lesson type-mapping, as a program: C's sizes and alignments of its own
//! types, beside Rust's `c_*` aliases. No heap: nothing to record but the
//! runtime's own.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::{CStr, c_char, c_int, c_long, c_longlong, c_short};

fn main() {
    c_half::variant(&["correct"]);
    let mut table = std::ptr::null();
    // SAFETY: c_type_table points `table` at a static array and returns its length.
    let count = unsafe { c_half::c_type_table(&raw mut table) };
    let rows = if table.is_null() {
        &[][..]
    } else {
        // SAFETY: `count` rows of static data.
        unsafe { std::slice::from_raw_parts(table, count) }
    };
    for row in rows {
        // SAFETY: each name is a static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(row.name) }.to_string_lossy();
        println!("C {name}: size {}, align {}", row.size, row.align);
    }
    let rust = [
        ("c_char", size_of::<c_char>()),
        ("c_short", size_of::<c_short>()),
        ("c_int", size_of::<c_int>()),
        ("c_long", size_of::<c_long>()),
        ("c_longlong", size_of::<c_longlong>()),
    ];
    for (name, size) in rust {
        println!("Rust {name}: size {size}");
    }
    // SAFETY: a pure function.
    let signed = unsafe { c_half::c_char_is_signed() } != 0;
    println!("C's char is {}", if signed { "signed" } else { "unsigned" });
}
