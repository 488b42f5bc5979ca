//! `csrc/scenarios/handoff.c`: a Rust object whose ownership C takes over,
//! destroyed through a Rust callback; and an `Arc` shared with C. The
//! ownership-handoff lesson's Rust pane is cut from the regions marked here,
//! so it shows the very `into_raw`/`from_raw` calls that run.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::ffi::name_rust_blocks;
use crate::ffi::rust_heap::active_tracker;
use crate::ffi::sys::{self, holder, holder_adopt, holder_forget, holder_release, holder_release_twice};
use crate::ffi::sys::{shared_drop, shared_keep, shared_ref};

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

/// The destroy callback C calls with the object it owns. Nothing in it can
/// panic, so nothing can unwind into C.
extern "C" fn destroy_widget(object: *mut c_void) {
    if is_destroyed_already(object) {
        return;
    }
    // [step:release]
    // C calls destroy_widget(object) once, to give the Box
    // back:
    // SAFETY: `object` came from Box::into_raw, and C calls
    // destroy once.
    let widget: Box<Widget> = unsafe { Box::from_raw(object.cast::<Widget>()) };
    drop(widget); // Rust's allocator frees the widget
    // [/step]
}

/// A second destroy of the same object is caught before `Box::from_raw`:
/// the tracker no longer knows the block, so it is reported as a double
/// free and left alone.
fn is_destroyed_already(object: *mut c_void) -> bool {
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
    }
    !live
}

/// C's holder, owning one `Widget`.
#[derive(Debug)]
pub struct Holder(NonNull<holder>);

/// Makes a widget and hands it to C (`Box::into_raw`) with `destroy_widget`.
pub fn hand_over(id: u32, label: &str) -> Option<Holder> {
    let named = name_rust_blocks(c"Box::new(Widget)");
    // [step:hand_over]
    let widget = Box::new(Widget::new(id, label));
    let object: *mut c_void = Box::into_raw(widget).cast(); // Rust lets go
    // SAFETY: C keeps `object` and calls destroy_widget on it
    // once, when the holder is released.
    let holder: *mut holder = unsafe { holder_adopt(object, destroy_widget) };
    // [/step]
    drop(named);
    NonNull::new(holder).map(Holder).or_else(|| {
        // SAFETY: C did not take it; it is still ours.
        drop(unsafe { Box::from_raw(object.cast::<Widget>()) });
        None
    })
}

impl Holder {
    /// C destroys the widget exactly once and frees the holder.
    pub fn release(self) {
        let holder = self.0.as_ptr();
        // SAFETY: the holder is live and released once; it calls
        // destroy_widget once.
        unsafe { holder_release(holder) }
    }

    /// The mistake: C calls destroy twice; the second call is caught.
    pub fn release_twice(self) {
        let holder = self.0.as_ptr();
        // [step:release@destroy-twice]
        // C's holder_release_twice calls destroy_widget(object)
        // twice:
        // SAFETY: of this demonstration only, the second call is
        // refused before Box::from_raw, because the tracker knows
        // the block is gone.
        unsafe { holder_release_twice(holder) };
        // [/step]
    }

    /// The mistake: C drops the holder and never calls destroy.
    pub fn forget_object(self) {
        let holder = self.0.as_ptr();
        // [step:release@never-destroyed]
        // SAFETY: frees only C's holder; destroy_widget is never
        // called, so nothing rebuilds the Box and the widget
        // leaks.
        unsafe { holder_forget(holder) };
        // [/step]
    }
}

extern "C" fn release_widget(object: *const c_void) {
    // SAFETY: C holds exactly one count, taken in `share`, and releases it once.
    unsafe { Arc::decrement_strong_count(object.cast::<Widget>()) }
}

/// A widget shared by Rust and C, each holding one strong count.
#[derive(Debug)]
pub struct Shared {
    widget: Arc<Widget>,
    in_c: NonNull<shared_ref>,
}

/// Makes a widget and gives C one strong count of it (`Arc::into_raw` of a clone).
pub fn share(id: u32, label: &str) -> Option<Shared> {
    let named = name_rust_blocks(c"Arc::new(Widget)");
    // [step:share]
    let widget = Arc::new(Widget::new(id, label));
    let object: *const c_void = Arc::into_raw(Arc::clone(&widget)).cast(); // C's own count
    // SAFETY: C keeps `object` and calls release_widget on it
    // once, in shared_drop.
    let in_c: *mut shared_ref = unsafe { shared_keep(object, release_widget) };
    // [/step]
    drop(named);
    let Some(in_c) = NonNull::new(in_c) else {
        // SAFETY: C did not take the count; give it back.
        unsafe { Arc::decrement_strong_count(object.cast::<Widget>()) };
        return None;
    };
    Some(Shared { widget, in_c })
}

impl Shared {
    /// Rust's and C's strong counts together.
    pub fn strong_count(&self) -> usize {
        Arc::strong_count(&self.widget)
    }

    /// Both drop their count; the widget goes with the last one.
    pub fn unshare(self) {
        let Shared { widget, in_c } = self;
        let in_c = in_c.as_ptr();
        // [step:unshare]
        // SAFETY: C's reference is live and dropped once;
        // shared_drop calls release_widget, which gives back C's
        // count.
        unsafe { shared_drop(in_c) };
        drop(widget); // Rust's own count: the last one frees the widget
        // [/step]
    }
}

/// C frees a raw `malloc` block twice, with no tracker in the way: glibc
/// aborts the process. Only ever run in a child process.
pub fn unprotected_double_free() {
    // [step:release@double-free-unprotected]
    // SAFETY: not safe at all, deliberately: this is the
    // crash the lesson shows, and it is only called from a
    // variant that runs isolated.
    unsafe { sys::unprotected_double_free() } // [crash]
    // [/step]
}
