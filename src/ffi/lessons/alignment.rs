//! `csrc/scenarios/alignment.c`: a packed C struct, and Rust mirrors of it
//! declared three ways, read from the very bytes C wrote.

use std::ffi::c_void;
use std::ptr::NonNull;

use crate::ffi::sys::{self, packed_data_free, packed_data_new};

// [step:read]
/// The right mirror: same fields, same order, no padding.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PackedMirror {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}
// [/step]

// [step:read@unpacked-mirror]
/// Wrong: `repr(C)` without `packed` pads `value` to
/// offset 4 and `timestamp` to 8, so both are read from
/// the wrong bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct NaturalMirror {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}
// [/step]

// [step:read@rust-layout-mirror]
/// Wrong: without `repr(C)` rustc may order and pad
/// fields as it likes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustMirror {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}
// [/step]

/// A mirror's fields as plain numbers, whichever mirror read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
    /// Bytes the mirror covers: more than C allocated is a read past the end.
    pub mirror_size: usize,
}

/// The struct C allocated and filled (13 bytes).
#[derive(Debug)]
pub struct CPackedData(NonNull<c_void>);

impl CPackedData {
    pub fn new() -> Option<CPackedData> {
        // [step:fill]
        // SAFETY: packed_data_new returns NULL or a block that C
        // filled (flag = 1, value = 0xDEADBEEF, timestamp =
        // 1700000000123) and that the caller owns.
        let data: *mut c_void = unsafe { packed_data_new() };
        // [/step]
        NonNull::new(data).map(CPackedData)
    }

    /// `sizeof(struct packed_data)` as C sees it.
    pub fn c_size() -> usize {
        // SAFETY: no arguments.
        unsafe { sys::packed_data_size() }
    }

    /// The bytes C wrote, in memory order.
    pub fn bytes(&self) -> Vec<u8> {
        // SAFETY: the block holds c_size() initialised bytes.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), Self::c_size()) }.to_vec()
    }

    /// Reads the block through a mirror as `read_unaligned` would, made
    /// safe to show a mirror larger than C's block: the tracker is asked
    /// first, so such a mirror is reported as a read past the end, and the
    /// bytes beyond the block are read as zeros, not from memory that is not
    /// the struct's.
    fn read_checked<T: Copy + Default>(data: *mut c_void) -> T {
        let wanted = size_of::<T>();
        // SAFETY: only looks the pointer up; reports if `wanted` exceeds the block.
        unsafe { sys::fs_check_access(data, wanted, c"read_mirror".as_ptr()) };
        let mut mirror = T::default();
        let available = wanted.min(Self::c_size());
        // SAFETY: copies `available` bytes (within both the block and the
        // mirror) into a mirror whose fields are all integers, so any bytes
        // make valid values.
        unsafe {
            std::ptr::copy_nonoverlapping(data.cast::<u8>(), (&raw mut mirror).cast::<u8>(), available);
        }
        mirror
    }

    pub fn read_packed(&self) -> Decoded {
        let data = self.0.as_ptr();
        // [step:read]
        // SAFETY: `data` points at C's 13 initialised bytes and
        // PackedMirror is exactly those 13; read_unaligned, as a
        // packed struct may sit at any address.
        let m: PackedMirror = unsafe { data.cast::<PackedMirror>().read_unaligned() };
        // [/step]
        Decoded { flag: m.flag, value: m.value, timestamp: m.timestamp, mirror_size: size_of::<PackedMirror>() }
    }

    pub fn read_natural(&self) -> Decoded {
        let data = self.0.as_ptr();
        // [step:read@unpacked-mirror]
        // Wrong: unsafe {
        // data.cast::<NaturalMirror>().read_unaligned() } reads
        // 16 bytes from C's 13. Here the read is checked and the
        // tail zeroed:
        let m: NaturalMirror = Self::read_checked(data);
        // [/step]
        Decoded { flag: m.flag, value: m.value, timestamp: m.timestamp, mirror_size: size_of::<NaturalMirror>() }
    }

    pub fn read_rust_layout(&self) -> Decoded {
        let data = self.0.as_ptr();
        // [step:read@rust-layout-mirror]
        // Wrong: unsafe {
        // data.cast::<RustMirror>().read_unaligned() } reads
        // rustc's own layout. Here the read is checked and the
        // tail zeroed:
        let m: RustMirror = Self::read_checked(data);
        // [/step]
        Decoded { flag: m.flag, value: m.value, timestamp: m.timestamp, mirror_size: size_of::<RustMirror>() }
    }
}

// [step:free]
// Dropping the CPackedData runs this Drop, which gives
// the block back to C:
impl Drop for CPackedData {
    fn drop(&mut self) {
        // SAFETY: we own the block and free it once, with
        // its C free.
        unsafe { packed_data_free(self.0.as_ptr()) }
    }
}
// [/step]
