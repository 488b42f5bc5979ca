//! `csrc/scenarios/arena.c`: one block holding many items, against items
//! allocated one by one. The arena-release lesson's release steps show the
//! `Drop` impls marked here: they are what the learner's `drop` runs.

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

// [step:release]
// Dropping the Arena runs this Drop: one arena_free for
// all its items.
impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: we own the arena and free it once, with
        // its C free.
        unsafe { sys::arena_free(self.0.as_ptr()) }
    }
}
// [/step]

/// One item allocated on its own; dropping it calls `item_free`.
#[derive(Debug)]
pub struct Item(NonNull<c_void>);

impl Item {
    pub fn alloc(bytes: usize) -> Option<Item> {
        // SAFETY: returns NULL or a block we now own.
        NonNull::new(unsafe { sys::item_alloc(bytes) }).map(Item)
    }
}

// [step:release@individual]
// Dropping an Item runs this Drop: one item_free per
// item.
impl Drop for Item {
    fn drop(&mut self) {
        // SAFETY: we own the item and free it once, with
        // its C free.
        unsafe { sys::item_free(self.0.as_ptr()) }
    }
}
// [/step]
