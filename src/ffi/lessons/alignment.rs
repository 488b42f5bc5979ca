//! `csrc/scenarios/alignment.c`: a packed C struct, and Rust mirrors of it
//! declared three ways, read from the very bytes C wrote.

use std::ffi::c_void;
use std::ptr::NonNull;

use crate::ffi::sys;

/// The right mirror: same fields, same order, no padding.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PackedMirror {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}

/// Wrong: `repr(C)` without `packed` pads `value` to offset 4 and
/// `timestamp` to 8, so both are read from the wrong bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct NaturalMirror {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}

/// Wrong: without `repr(C)` rustc may order and pad fields as it likes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustMirror {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}

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
        // SAFETY: returns NULL or a filled block we now own.
        NonNull::new(unsafe { sys::packed_data_new() }).map(CPackedData)
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

    /// Reads the block through a mirror as C code would cast it. The tracker
    /// is asked first, so a mirror larger than the block is reported as a
    /// read past the end; the bytes beyond it are read as zeros, not from
    /// memory that is not the struct's.
    fn read_as<T: Copy + Default>(&self) -> T {
        let wanted = size_of::<T>();
        // SAFETY: only looks the pointer up; reports if `wanted` exceeds the block.
        unsafe { sys::fs_check_access(self.0.as_ptr(), wanted, c"read_mirror".as_ptr()) };
        let mut mirror = T::default();
        let available = wanted.min(Self::c_size());
        // SAFETY: copies `available` bytes (within both the block and the
        // mirror) into a mirror whose fields are all integers, so any bytes
        // make valid values.
        unsafe {
            std::ptr::copy_nonoverlapping(self.0.as_ptr().cast::<u8>(), (&raw mut mirror).cast::<u8>(), available);
        }
        mirror
    }

    pub fn read_packed(&self) -> Decoded {
        let m: PackedMirror = self.read_as();
        Decoded { flag: m.flag, value: m.value, timestamp: m.timestamp, mirror_size: size_of::<PackedMirror>() }
    }

    pub fn read_natural(&self) -> Decoded {
        let m: NaturalMirror = self.read_as();
        Decoded { flag: m.flag, value: m.value, timestamp: m.timestamp, mirror_size: size_of::<NaturalMirror>() }
    }

    pub fn read_rust_layout(&self) -> Decoded {
        let m: RustMirror = self.read_as();
        Decoded { flag: m.flag, value: m.value, timestamp: m.timestamp, mirror_size: size_of::<RustMirror>() }
    }
}

impl Drop for CPackedData {
    fn drop(&mut self) {
        // SAFETY: we own the block and free it with its C free.
        unsafe { sys::packed_data_free(self.0.as_ptr()) }
    }
}
