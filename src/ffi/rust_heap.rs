//! The Rust heap, made visible: a global allocator over [`System`] that
//! records only what is allocated inside a [`HeapScope`] on the current
//! thread (a scenario's code), so egui's own allocations stay out of the
//! picture. Outside a scope the cost is one thread-local read.
//!
//! Scoped blocks are registered with the C tracker, which is how `fs_free`
//! recognises a Rust pointer handed to C's `free` as a foreign free: glibc,
//! `ASan` and memcheck all stay silent on that mistake on Linux.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{CStr, c_char, c_void};
use std::marker::PhantomData;

use super::sys;
use super::tracker::{BindGuard, Tracker};

#[global_allocator]
static ALLOCATOR: ScopedAllocator = ScopedAllocator;

const DEFAULT_SITE: &CStr = c"rust";

#[derive(Debug, Clone, Copy)]
struct ActiveScope {
    tracker: *mut sys::fs_tracker,
    site: *const c_char,
}

impl ActiveScope {
    const NONE: ActiveScope = ActiveScope { tracker: std::ptr::null_mut(), site: std::ptr::null() };
}

thread_local! {
    // A const-initialised Cell of a Copy type: reading it never allocates and
    // never fails, even while the thread is being torn down.
    static ACTIVE: Cell<ActiveScope> = const { Cell::new(ActiveScope::NONE) };
}

fn active() -> ActiveScope {
    ACTIVE.with(Cell::get)
}

/// The tracker recording on this thread, if a scope is open.
pub(crate) fn active_tracker() -> *mut sys::fs_tracker {
    active().tracker
}

/// The process's global allocator (installed by this module).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopedAllocator;

impl ScopedAllocator {
    fn record_alloc(ptr: *mut u8, size: usize) {
        let scope = active();
        if !scope.tracker.is_null() && !ptr.is_null() {
            // SAFETY: the scope keeps its tracker alive; the C side only
            // records the address and never calls back into this allocator.
            unsafe { sys::fs_rust_alloc(scope.tracker, ptr.cast::<c_void>(), size, scope.site) };
        }
    }

    /// Whether `ptr` may go back to `System`. Inside a scope, a pointer that
    /// the tracker knows as a C block is refused (and reported).
    fn record_free(ptr: *mut u8) -> bool {
        let scope = active();
        if scope.tracker.is_null() {
            return true;
        }
        // SAFETY: as in record_alloc; the address is looked up, not dereferenced.
        let verdict = unsafe { sys::fs_rust_free(scope.tracker, ptr.cast::<c_void>(), scope.site) };
        verdict != sys::FS_RUST_FREE_REFUSED
    }
}

// SAFETY: every method forwards to System with the caller's arguments
// unchanged; recording never touches the blocks themselves. The one
// deviation, refusing to release a C block, leaks it instead of corrupting
// the heap, which GlobalAlloc permits.
unsafe impl GlobalAlloc for ScopedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded under the caller's contract.
        let ptr = unsafe { System.alloc(layout) };
        Self::record_alloc(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded under the caller's contract.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        Self::record_alloc(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::record_free(ptr) {
            // SAFETY: forwarded under the caller's contract.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let scope = active();
        if scope.tracker.is_null() {
            // SAFETY: forwarded under the caller's contract.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: as in record_free.
        let verdict = unsafe { sys::fs_rust_free(scope.tracker, ptr.cast::<c_void>(), scope.site) };
        if verdict == sys::FS_RUST_FREE_REFUSED {
            // A C block: growing it here would corrupt the heap. Refuse.
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded under the caller's contract.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if verdict == sys::FS_RUST_FREE_RECORDED {
            Self::record_alloc(new_ptr, new_size);
        }
        new_ptr
    }
}

/// While alive, Rust allocations on this thread are recorded into a tracker,
/// and C allocations go to the same tracker. Not `Send`: a scope belongs to
/// the thread that opened it.
#[derive(Debug)]
#[must_use = "recording stops when the scope drops"]
pub struct HeapScope<'a> {
    previous_tracker: *mut sys::fs_tracker,
    previous_site: *const c_char,
    _bind: BindGuard<'a>,
    _tracker: PhantomData<&'a Tracker>,
}

impl Tracker {
    /// Opens a recording scope on the current thread (see [`HeapScope`]).
    pub fn scope(&self) -> HeapScope<'_> {
        let bind = self.bind();
        let previous = active();
        ACTIVE.with(|cell| cell.set(ActiveScope { tracker: self.as_ptr(), site: DEFAULT_SITE.as_ptr() }));
        HeapScope {
            previous_tracker: previous.tracker,
            previous_site: previous.site,
            _bind: bind,
            _tracker: PhantomData,
        }
    }
}

impl Drop for HeapScope<'_> {
    fn drop(&mut self) {
        let previous = ActiveScope { tracker: self.previous_tracker, site: self.previous_site };
        ACTIVE.with(|cell| cell.set(previous));
    }
}

/// Puts this thread's scope back as it was, even if the body it guards unwinds.
#[derive(Debug)]
struct ScopeRestore(ActiveScope);

impl Drop for ScopeRestore {
    fn drop(&mut self) {
        ACTIVE.with(|cell| cell.set(self.0));
    }
}

/// Names the Rust blocks this thread allocates in a scope `site`, until the
/// guard drops: set just before a lesson's shown code, so the code shows
/// only the allocation itself.
#[must_use = "the name lasts as long as the guard"]
pub fn name_rust_blocks(site: &'static CStr) -> RustBlocksNamed {
    let before = active();
    if !before.tracker.is_null() {
        ACTIVE.with(|cell| cell.set(ActiveScope { site: site.as_ptr(), ..before }));
    }
    RustBlocksNamed { _restore: ScopeRestore(before) }
}

/// While it lives, this thread's Rust blocks carry the name it was given.
#[derive(Debug)]
pub struct RustBlocksNamed {
    _restore: ScopeRestore,
}

/// Runs `body` with Rust allocations attributed to `site` (inside a scope).
pub fn rust_heap_site<R>(site: &'static CStr, body: impl FnOnce() -> R) -> R {
    let before = active();
    if before.tracker.is_null() {
        return body();
    }
    let _restore = ScopeRestore(before);
    ACTIVE.with(|cell| cell.set(ActiveScope { site: site.as_ptr(), ..before }));
    body()
}

/// Runs `body` with recording paused on this thread: for the stepper's own
/// bookkeeping (notes, findings) made while a scenario's scope is open.
pub fn unrecorded<R>(body: impl FnOnce() -> R) -> R {
    let _restore = ScopeRestore(active());
    ACTIVE.with(|cell| cell.set(ActiveScope::NONE));
    body()
}
