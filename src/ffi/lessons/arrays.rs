//! `csrc/scenarios/arrays.c`: a C array viewed from Rust as a slice. The
//! array-to-slice lesson's Rust pane is cut from the regions marked here, so
//! it shows the very `slice::from_raw_parts` and `unsafe` blocks that run.

use std::ffi::c_void;
use std::ptr::NonNull;

use crate::ffi::name_rust_blocks;
use crate::ffi::sys::{self, create_array, free_array};

/// `n` integers allocated by `create_array`; dropping it calls `free_array`.
#[derive(Debug)]
pub struct CArray {
    ptr: NonNull<i32>,
    len: usize,
}

impl CArray {
    pub fn create(len: usize) -> Option<CArray> {
        // [step:create]
        // SAFETY: create_array returns NULL or `len` initialised
        // ints that the caller owns.
        let ptr: *mut i32 = unsafe { create_array(len) };
        // [/step]
        NonNull::new(ptr).map(|ptr| CArray { ptr, len })
    }

    /// Views the C memory as a slice, without copying, and copies it out.
    pub fn copy_out(&self) -> Vec<i32> {
        let (ptr, len) = (self.ptr.as_ptr(), self.len);
        let named = name_rust_blocks(c"slice::to_vec");
        // [step:view]
        // SAFETY: `ptr` holds `len` initialised ints, which C
        // keeps until free_array; the slice only borrows them.
        let slice: &[i32] = unsafe { std::slice::from_raw_parts(ptr, len) };
        let copy: Vec<i32> = slice.to_vec(); // Rust's own copy
        // [/step]
        drop(named);
        copy
    }

    pub fn bytes(&self) -> usize {
        self.len * size_of::<i32>()
    }

    /// Gives up ownership without freeing: the lesson's leak.
    pub fn leak(self) {
        let array = self;
        // [step:free@never-freed]
        std::mem::forget(array); // Drop never runs: free_array is never called
        // [/step]
    }

    /// The lesson's mistake: frees the array but keeps a view of it.
    pub fn free_keeping_view(self) -> StaleView {
        let array = self;
        // [step:free@slice-after-free]
        let (ptr, len) = (array.ptr, array.len); // kept past the free
        drop(array); // free_array runs
        // [/step]
        StaleView { ptr, len }
    }
}

// [step:free]
// drop(array) runs this Drop, which gives the array back
// to C:
impl Drop for CArray {
    fn drop(&mut self) {
        // SAFETY: we own the array and free it once, with
        // its C free.
        unsafe { free_array(self.ptr.as_ptr()) }
    }
}
// [/step]

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
        let (ptr, len) = (self.ptr.as_ptr(), self.len);
        // [step:use@slice-after-free]
        // Wrong: unsafe { slice::from_raw_parts(ptr, len) } reads
        // freed memory. Here the tracker is asked first, and
        // refuses:
        let values: Option<Vec<i32>> = read_if_live(ptr, len);
        // [/step]
        values
    }
}

/// The `len` ints at `ptr`, if the tracker says they are a live block.
fn read_if_live(ptr: *mut i32, len: usize) -> Option<Vec<i32>> {
    let bytes = len * size_of::<i32>();
    // SAFETY: fs_check_access only looks the pointer up.
    let allowed = unsafe { sys::fs_check_access(ptr.cast::<c_void>(), bytes, c"slice_after_free".as_ptr()) };
    // SAFETY: reached only if the tracker says the block is live.
    (allowed != 0).then(|| unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec())
}
