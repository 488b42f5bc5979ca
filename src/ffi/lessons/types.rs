//! `csrc/scenarios/types.c`: C's type sizes, as this C compiler lays them out.

use std::ffi::CStr;

use crate::ffi::sys;

/// One C type as the compiler measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CTypeInfo {
    pub name: &'static str,
    pub size: usize,
    pub align: usize,
}

/// Whether this C compiler's plain `char` is signed.
pub fn c_char_is_signed() -> bool {
    // SAFETY: a pure function of the compiler's choice.
    unsafe { sys::c_char_is_signed() != 0 }
}

pub fn c_type_table() -> Vec<CTypeInfo> {
    let mut rows: *const sys::c_type_info = std::ptr::null();
    // SAFETY: c_type_table points `rows` at a static array and returns its length.
    let count = unsafe { sys::c_type_table(&raw mut rows) };
    // SAFETY: `count` static rows.
    let rows = unsafe { std::slice::from_raw_parts(rows, count) };
    rows.iter()
        .map(|row| CTypeInfo {
            // SAFETY: names are static string literals (the stringified type).
            name: unsafe { CStr::from_ptr(row.name) }.to_str().unwrap_or("?"),
            size: row.size,
            align: row.align,
        })
        .collect()
}
