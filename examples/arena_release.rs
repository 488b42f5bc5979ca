//! Lesson arena-release, as a program: 100 small C items, in one arena
//! released at once, or each on its own.
//!
//! Variants: correct, individual, leak-without-arena.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

use std::ffi::c_void;
use std::ptr::NonNull;

const ITEMS: usize = 100;
const ITEM_BYTES: usize = 24;

/// One C item, freed by `item_free` when dropped.
struct Item(NonNull<c_void>);

impl Drop for Item {
    fn drop(&mut self) {
        // SAFETY: ours, freed once.
        unsafe { c_half::item_free(self.0.as_ptr()) }
    }
}

fn main() {
    let variant = c_half::variant(&["correct", "individual", "leak-without-arena"]);
    if variant == "correct" {
        // SAFETY: NULL or an arena, ours until arena_free.
        let arena = unsafe { c_half::arena_new(ITEMS * 32) };
        if arena.is_null() {
            return;
        }
        // SAFETY: a live arena; its blocks go with it.
        let placed = (0..ITEMS).filter(|_| !unsafe { c_half::arena_alloc(arena, ITEM_BYTES) }.is_null()).count();
        println!("{placed} items placed in one arena block");
        // SAFETY: one arena_free releases all of them.
        unsafe { c_half::arena_free(arena) };
        return;
    }
    // SAFETY: NULL or a block, ours until item_free.
    let items: Vec<Item> =
        (0..ITEMS).filter_map(|_| NonNull::new(unsafe { c_half::item_alloc(ITEM_BYTES) }).map(Item)).collect();
    println!("{} separate C blocks", items.len());
    if variant == "leak-without-arena" {
        items.into_iter().for_each(std::mem::forget); // no Drop, so no item_free
    } else {
        drop(items); // each Item's Drop runs item_free
    }
}
