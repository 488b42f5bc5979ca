//! `csrc/scenarios/arena.c`: one block holding many items, against items
//! allocated one by one.

use std::ffi::c_void;
use std::ptr::NonNull;

use crate::ffi::sys;

/// An arena; dropping it calls `arena_free`, releasing every item at once.
#[derive(Debug)]
pub struct Arena(NonNull<sys::arena>);

impl Arena {
    pub fn new(capacity: usize) -> Option<Arena> {
        // SAFETY: returns NULL or an empty arena we now own.
        NonNull::new(unsafe { sys::arena_new(capacity) }).map(Arena)
    }

    /// Carves `bytes` out of the arena; `false` when it is full.
    pub fn alloc(&mut self, bytes: usize) -> bool {
        // SAFETY: the arena is live; the returned pointer is not kept.
        !unsafe { sys::arena_alloc(self.0.as_ptr(), bytes) }.is_null()
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: we own the arena and free it once.
        unsafe { sys::arena_free(self.0.as_ptr()) }
    }
}

/// One item allocated on its own; dropping it calls `item_free`.
#[derive(Debug)]
pub struct Item(NonNull<c_void>);

impl Item {
    pub fn alloc(bytes: usize) -> Option<Item> {
        // SAFETY: returns NULL or a block we now own.
        NonNull::new(unsafe { sys::item_alloc(bytes) }).map(Item)
    }

    /// Gives up ownership without freeing: the per-item free forgotten.
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        // SAFETY: we own the item and free it once.
        unsafe { sys::item_free(self.0.as_ptr()) }
    }
}
