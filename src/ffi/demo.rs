//! Safe wrappers over `csrc/demo.c`, the C functions behind the Tracker tab.
//! Each call allocates or frees through the tracker bound to this thread.

use std::ffi::{CString, c_void};
use std::ptr::NonNull;

use super::sys;

/// A block allocated by `demo_allocate_block`; dropping it calls
/// `demo_free_block`, so C memory is freed by C.
#[derive(Debug)]
pub struct CBlock {
    ptr: NonNull<c_void>,
    size: usize,
}

// SAFETY: the block is plain bytes; the tracker it belongs to is thread-safe.
unsafe impl Send for CBlock {}

impl CBlock {
    /// Allocates `size` bytes in C; `None` if C is out of memory.
    pub fn allocate(size: usize) -> Option<CBlock> {
        // SAFETY: demo_allocate_block returns NULL or a fresh block of `size` bytes.
        let ptr = unsafe { sys::demo_allocate_block(size) };
        NonNull::new(ptr).map(|ptr| CBlock { ptr, size })
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn address(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// Gives up ownership without freeing: the block stays outstanding, as a leak.
    pub fn leak(self) -> usize {
        let address = self.address();
        std::mem::forget(self);
        address
    }

    /// Frees the block, then frees it again. The tracker refuses the second
    /// free and reports a double free; nothing reaches the real `free` twice.
    pub fn free_twice(self) {
        let ptr = self.ptr.as_ptr();
        std::mem::forget(self);
        // SAFETY: the first call frees a live block we own. The second hands
        // the same pointer to fs_free, which looks it up in its registry,
        // finds it freed, reports and returns without touching the memory.
        unsafe {
            sys::demo_free_block(ptr);
            sys::demo_free_block(ptr);
        }
    }
}

/// C's `demo_leak_block`: allocates `size` bytes and drops the pointer on
/// the floor. The block stays outstanding, attributed to `demo_leak_block`.
pub fn leak_block(size: usize) {
    // SAFETY: demo_leak_block takes no pointer and keeps none of ours.
    unsafe { sys::demo_leak_block(size) }
}

impl Drop for CBlock {
    fn drop(&mut self) {
        // SAFETY: we own a live block from demo_allocate_block.
        unsafe { sys::demo_free_block(self.ptr.as_ptr()) }
    }
}

/// Mistakes the tracker catches without harm, one C call each.
pub mod mistakes {
    use super::{CString, sys};
    use crate::ffi::rust_heap_site;

    /// Writes `past_end` bytes (at most 16) beyond a block, then frees it:
    /// the tail canary reports a heap overflow.
    pub fn overflow(size: usize, past_end: usize) {
        // SAFETY: demo_overflow writes only into its own block's canary.
        unsafe { sys::demo_overflow(size, past_end) }
    }

    /// Frees a block and writes to it; the poisoned quarantine catches the
    /// write when the tracker next checks.
    pub fn write_after_free(size: usize) {
        // SAFETY: the written block stays allocated in the quarantine.
        unsafe { sys::demo_write_after_free(size) }
    }

    /// Hands a Rust-heap string to C's free. Inside a heap scope the tracker
    /// knows the pointer as a Rust block, reports a foreign free and refuses;
    /// the string is then given back to Rust, which frees it properly.
    pub fn foreign_free(text: &str) {
        let owned = rust_heap_site(c"CString::new", || CString::new(text.replace('\0', " ")).unwrap_or_default());
        let raw = owned.into_raw();
        // SAFETY: fs_free only looks `raw` up in the registry; a Rust block
        // is reported and never released by C. Outside a scope it would be
        // unknown to the tracker and refused as an invalid free, likewise
        // untouched. Either way ownership is still ours, and from_raw pairs
        // with the into_raw above.
        unsafe {
            sys::demo_free_block(raw.cast());
            drop(CString::from_raw(raw));
        }
    }
}
