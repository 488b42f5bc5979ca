//! `csrc/scenarios/handoff.c`: a Rust object whose ownership C takes over,
//! destroyed through a Rust callback; and an `Arc` shared with C.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::Arc;

use crate::ffi::rust_heap::active_tracker;
use crate::ffi::sys;

/// The object handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widget {
    pub id: u32,
    pub label: [u8; 24],
}

impl Widget {
    pub fn new(id: u32, label: &str) -> Widget {
        let mut bytes = [0; 24];
        let n = label.len().min(23);
        bytes[..n].copy_from_slice(&label.as_bytes()[..n]);
        Widget { id, label: bytes }
    }
}

/// The destroy callback C calls with the object it owns. No panic crosses
/// into C, and a second call for the same object is caught: the tracker no
/// longer knows the block, so it is reported as a double free and left alone.
extern "C" fn destroy_widget(object: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let tracker = active_tracker();
        // SAFETY: the address is only looked up.
        let live = tracker.is_null() || unsafe { sys::fs_rust_is_live(tracker, object) } != 0;
        if !live {
            // SAFETY: the anomaly records the address; nothing is dereferenced.
            unsafe {
                sys::fs_report(
                    tracker,
                    sys::FS_EVENT_DOUBLE_FREE,
                    sys::FS_DOMAIN_RUST,
                    object,
                    size_of::<Widget>(),
                    c"destroy_widget".as_ptr(),
                    c"holder_release".as_ptr(),
                );
            }
            return;
        }
        // SAFETY: `object` came from Box::into_raw in `adopt` and, being live,
        // has not been destroyed yet.
        drop(unsafe { Box::from_raw(object.cast::<Widget>()) });
    }));
}

/// C's holder, owning one `Widget`.
#[derive(Debug)]
pub struct Holder(NonNull<sys::holder>);

/// Hands the widget to C (`Box::into_raw`) with `destroy_widget`.
pub fn adopt(widget: Box<Widget>) -> Option<Holder> {
    let object = Box::into_raw(widget).cast::<c_void>();
    // SAFETY: C stores the pointer and the callback; it calls the callback at most as the chosen release says.
    let holder = unsafe { sys::holder_adopt(object, destroy_widget) };
    NonNull::new(holder).map(Holder).or_else(|| {
        // SAFETY: C did not take it; it is still ours.
        drop(unsafe { Box::from_raw(object.cast::<Widget>()) });
        None
    })
}

impl Holder {
    /// C destroys the widget exactly once and frees the holder.
    pub fn release(self) {
        // SAFETY: the holder is live and released once.
        unsafe { sys::holder_release(self.0.as_ptr()) }
    }

    /// The mistake: C calls destroy twice; the second call is caught.
    pub fn release_twice(self) {
        // SAFETY: as above; destroy_widget refuses the second call.
        unsafe { sys::holder_release_twice(self.0.as_ptr()) }
    }

    /// The mistake: C drops the holder and never calls destroy.
    pub fn forget_object(self) {
        // SAFETY: frees only the holder; the widget leaks.
        unsafe { sys::holder_forget(self.0.as_ptr()) }
    }
}

extern "C" fn release_widget(object: *const c_void) {
    let _ = catch_unwind(|| {
        // SAFETY: C holds exactly one count, taken in `share`, and releases it once.
        unsafe { Arc::decrement_strong_count(object.cast::<Widget>()) }
    });
}

/// C's counted reference to a shared widget.
#[derive(Debug)]
pub struct SharedRef(NonNull<sys::shared_ref>);

/// Gives C one more strong count of `widget` (`Arc::into_raw` of a clone).
pub fn share(widget: &Arc<Widget>) -> Option<SharedRef> {
    let object = Arc::into_raw(Arc::clone(widget)).cast::<c_void>();
    // SAFETY: C keeps the pointer and calls release_widget once in shared_drop.
    let kept = unsafe { sys::shared_keep(object, release_widget) };
    NonNull::new(kept).map(SharedRef).or_else(|| {
        // SAFETY: C did not take the count; give it back.
        unsafe { Arc::decrement_strong_count(object.cast::<Widget>()) };
        None
    })
}

impl SharedRef {
    /// C drops its reference; the widget goes when the last count does.
    pub fn drop_in_c(self) {
        // SAFETY: the reference is live and dropped once.
        unsafe { sys::shared_drop(self.0.as_ptr()) }
    }
}

/// C frees a raw `malloc` block twice, with no tracker in the way: glibc
/// aborts the process. Only ever run in a child process.
pub fn unprotected_double_free() {
    // SAFETY: not safe at all, deliberately: this is the crash the lesson
    // shows, and it is only called from a variant that runs isolated.
    unsafe { sys::unprotected_double_free() }
}
