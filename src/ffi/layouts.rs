//! `csrc/layouts.c`: the exhibits as the C compiler laid them out, and
//! instances of them filled with known values.

use std::ffi::{CStr, CString, c_char};

use crate::layout::{Field, Kind, Layout};

use super::sys;

fn text(raw: *const c_char) -> String {
    // SAFETY: the table's strings are static literals.
    unsafe { CStr::from_ptr(raw) }.to_string_lossy().into_owned()
}

/// Every exhibit's C layout, from `offsetof`, `sizeof` and `__alignof__`.
pub fn c_layouts() -> Vec<Layout> {
    let mut table: *const sys::fs_layout_info = std::ptr::null();
    // SAFETY: points `table` at a static array and returns its length.
    let count = unsafe { sys::fs_layout_table(&raw mut table) };
    // SAFETY: `count` static rows.
    let rows = unsafe { std::slice::from_raw_parts(table, count) };
    rows.iter()
        .map(|row| {
            // SAFETY: each row points at `field_count` static fields.
            let fields = unsafe { std::slice::from_raw_parts(row.fields, row.field_count) };
            Layout {
                name: text(row.name),
                kind: if text(row.kind) == "union" { Kind::Union } else { Kind::Struct },
                size: row.size as u64,
                align: row.align as u64,
                fields: fields
                    .iter()
                    .map(|f| Field {
                        name: text(f.name),
                        ty: text(f.ty),
                        offset: f.offset as u64,
                        size: f.size as u64,
                        align: f.align as u64,
                        bit_offset: (f.bit_width > 0).then_some(u64::from(f.bit_offset)),
                        bit_width: (f.bit_width > 0).then_some(u64::from(f.bit_width)),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The bytes of an instance C allocated and filled, or `None` if the
/// exhibit has no sample.
pub fn c_sample(name: &str) -> Option<Vec<u8>> {
    let name = CString::new(name).ok()?;
    let mut bytes = vec![0u8; 256];
    // SAFETY: `bytes` has room for 256; C writes at most that and returns the size.
    let size = unsafe { sys::fs_layout_sample(name.as_ptr(), bytes.as_mut_ptr(), bytes.len()) };
    (size > 0 && size <= bytes.len()).then(|| {
        bytes.truncate(size);
        bytes
    })
}
