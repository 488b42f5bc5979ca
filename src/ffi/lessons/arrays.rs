//! `csrc/scenarios/arrays.c`: a C array viewed from Rust as a slice.

use std::ffi::c_void;
use std::ptr::NonNull;

use crate::ffi::sys;

/// `n` integers allocated by `create_array`; dropping it calls `free_array`.
#[derive(Debug)]
pub struct CArray {
    ptr: NonNull<i32>,
    len: usize,
}

impl CArray {
    pub fn create(len: usize) -> Option<CArray> {
        // SAFETY: returns NULL or `len` initialised integers we now own.
        NonNull::new(unsafe { sys::create_array(len) }).map(|ptr| CArray { ptr, len })
    }

    /// `slice::from_raw_parts(ptr, n)`: borrows the C memory, no copy.
    pub fn as_slice(&self) -> &[i32] {
        // SAFETY: `len` initialised integers, alive as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub fn bytes(&self) -> usize {
        self.len * size_of::<i32>()
    }

    /// Gives up ownership without freeing: the lesson's leak.
    pub fn leak(self) {
        std::mem::forget(self);
    }

    /// The lesson's mistake: frees the array but keeps a view of it.
    pub fn free_keeping_view(self) -> StaleView {
        let view = StaleView { ptr: self.ptr, len: self.len };
        drop(self);
        view
    }
}

impl Drop for CArray {
    fn drop(&mut self) {
        // SAFETY: we own the array and free it with its C free.
        unsafe { sys::free_array(self.ptr.as_ptr()) }
    }
}

/// Where a freed array used to be.
#[derive(Debug)]
pub struct StaleView {
    ptr: NonNull<i32>,
    len: usize,
}

impl StaleView {
    /// Tries to read through the stale view. The tracker is asked first and
    /// reports the use after free; the read is refused (`None`).
    pub fn read(&self) -> Option<Vec<i32>> {
        let bytes = self.len * size_of::<i32>();
        // SAFETY: fs_check_access only looks the pointer up.
        let allowed =
            unsafe { sys::fs_check_access(self.ptr.as_ptr().cast::<c_void>(), bytes, c"slice_after_free".as_ptr()) };
        // SAFETY: reached only if the tracker says the block is live.
        (allowed != 0).then(|| unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }.to_vec())
    }
}
