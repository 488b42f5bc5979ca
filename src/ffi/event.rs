//! Safe views of the tracker's event records.

use std::ffi::{CStr, CString, c_char};
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use rustc_hash::FxHashMap;

use super::sys;

/// Which allocator owns a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)] // numbered as in the C header, so a drained event is read in place
pub enum Domain {
    /// `fs_malloc` and friends.
    C = sys::FS_DOMAIN_C,
    /// The Rust global allocator, inside a [`super::HeapScope`].
    Rust = sys::FS_DOMAIN_RUST,
}

impl Domain {
    pub const ALL: [Domain; 2] = [Domain::C, Domain::Rust];

    pub fn index(self) -> usize {
        match self {
            Domain::C => 0,
            Domain::Rust => 1,
        }
    }

    pub(crate) fn from_raw(raw: u8) -> Domain {
        if raw == sys::FS_DOMAIN_RUST { Domain::Rust } else { Domain::C }
    }

    pub(crate) fn to_raw(self) -> u8 {
        self as u8 // its discriminant is the C header's number
    }

    pub fn label(self) -> &'static str {
        match self {
            Domain::C => "C",
            Domain::Rust => "Rust",
        }
    }
}

/// The name of a function that allocated or freed, as a pointer to a string
/// with static storage duration, or an id below `FS_SITE_ID_LIMIT` whose
/// name is kept by whoever made it (a recorder symbolizing addresses). Two
/// equal values are the same site; the text is read only when it is displayed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)] // `Option<Site>` is laid out as a C pointer, null for `None`
pub struct Site(NonZeroUsize);

impl Site {
    /// A site for Rust code, from a C string literal.
    pub fn new(name: &'static CStr) -> Site {
        Site(NonZeroUsize::new(name.as_ptr() as usize).expect("a reference is never null"))
    }

    /// The site with this name, for events that arrive as text (from a child
    /// process). Each distinct name is stored once, for the life of the process.
    pub fn intern(name: &str) -> Site {
        static INTERNED: Mutex<Option<FxHashMap<String, &'static CStr>>> = Mutex::new(None);
        let mut table = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
        let table = table.get_or_insert_with(FxHashMap::default);
        if let Some(stored) = table.get(name) {
            return Site::new(stored);
        }
        let text = CString::new(name.replace('\0', " ")).unwrap_or_default();
        let stored: &'static CStr = Box::leak(text.into_boxed_c_str());
        table.insert(name.to_owned(), stored);
        Site::new(stored)
    }

    /// The site with this id (`FS_SITE_ID(id)` on the C side), if it is one.
    pub fn from_id(id: u32) -> Option<Site> {
        NonZeroUsize::new(id as usize).filter(|id| id.get() < sys::FS_SITE_ID_LIMIT).map(Site)
    }

    /// The id, for a site made by [`Site::from_id`].
    pub fn id(self) -> Option<u32> {
        (self.0.get() < sys::FS_SITE_ID_LIMIT).then_some(self.0.get() as u32)
    }

    pub(crate) fn from_raw(raw: *const c_char) -> Option<Site> {
        NonZeroUsize::new(raw as usize).map(Site)
    }

    pub(crate) fn as_ptr(self) -> *const c_char {
        self.0.get() as *const c_char
    }

    pub fn name(self) -> &'static str {
        if let Some(id) = self.id() {
            return id_name(id);
        }
        // SAFETY: a Site that is not an id is only made from a pointer handed to the
        // tracker as a site, and the tracker's contract (ffiscope.h) is that
        // sites are NUL-terminated strings with static storage duration.
        let text = unsafe { CStr::from_ptr(self.as_ptr()) };
        text.to_str().unwrap_or("<site name is not UTF-8>")
    }
}

/// "site #N", made once per id for the life of the process.
fn id_name(id: u32) -> &'static str {
    static NAMES: Mutex<Option<FxHashMap<u32, &'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    names
        .get_or_insert_with(FxHashMap::default)
        .entry(id)
        .or_insert_with(|| Box::leak(format!("site #{id}").into_boxed_str()))
}

/// Sites travel by name (to and from a child process).
impl serde::Serialize for Site {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Site {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(Site::intern(&name))
    }
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an event records. Travels as its number in the C header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(from = "u8", into = "u8")]
#[repr(u8)] // numbered as in the C header, so a drained event is read in place
pub enum EventKind {
    Alloc = sys::FS_EVENT_ALLOC,
    Free = sys::FS_EVENT_FREE,
    /// `address`/`size`: the new block; `related_*`: the old one.
    Realloc = sys::FS_EVENT_REALLOC,
    /// A recording's exit: the block at `address` is live and still reachable.
    Reachable = sys::FS_EVENT_REACHABLE,
    /// A recorded process exec'd: `address` is its new image's number.
    Image = sys::FS_EVENT_IMAGE,
    /// A recording's exit: the lost block at `address` is reachable only from other lost blocks.
    LostWith = sys::FS_EVENT_LOST_WITH,
    /// A recorded program's child died of a signal that is no fault
    /// (SIGTERM, SIGKILL): `address` is its pid, `size` the signal.
    ChildKilled = sys::FS_EVENT_CHILD_KILLED,
    /// A recording's start: functions ffiscope replaces that the program's
    /// calls reach elsewhere (its own `malloc`): `address` is the first
    /// one's code, `size` a mask of `record_channel::REPLACED_NAMES`.
    AllocatorElsewhere = sys::FS_EVENT_ALLOCATOR_ELSEWHERE,
    /// A recording's exit: the block at `address` is live and reachable,
    /// but only through a pointer into a block's middle somewhere on the
    /// way (memcheck's "possibly lost").
    ReachableInterior = sys::FS_EVENT_REACHABLE_INTERIOR,
    DoubleFree = sys::FS_EVENT_DOUBLE_FREE,
    InvalidFree = sys::FS_EVENT_INVALID_FREE,
    ForeignFree = sys::FS_EVENT_FOREIGN_FREE,
    HeapOverflow = sys::FS_EVENT_HEAP_OVERFLOW,
    UseAfterFree = sys::FS_EVENT_USE_AFTER_FREE,
    /// A recorded program died: `address` is the faulting address, `related_size` the signal.
    Crash = sys::FS_EVENT_CRASH,
    /// A recorded program's child crashed: `address` is its pid, `related_size` the signal.
    ChildCrash = sys::FS_EVENT_CHILD_CRASH,
    /// A block released by another form than made it (`delete` of a `new[]`
    /// block): `related_size` holds both forms (`Form::pair_of`).
    MismatchedFree = sys::FS_EVENT_MISMATCHED_FREE,
    /// A kind this build does not know; kept rather than dropped. (Its own
    /// number is one no C kind has; the kind's number follows it.)
    Unknown(u8) = UNKNOWN_KIND_TAG,
}

/// `EventKind::Unknown`'s own number: none of the C header's kinds.
const UNKNOWN_KIND_TAG: u8 = u8::MAX;

/// For every byte, whether it is the number of a kind this build knows.
const KNOWN_KIND: [bool; 256] = {
    let mut known = [false; 256];
    let mut raw = 0;
    while raw < known.len() {
        let kind = EventKind::from_raw(raw as u8);
        if !matches!(kind, EventKind::Unknown(_)) {
            // A known kind must be stored as the number the C side writes,
            // or reading an event in place would read another kind.
            assert!(stored_number(&kind) == raw as u8, "an EventKind numbered unlike its C kind");
            known[raw] = true;
        }
        raw += 1;
    }
    known
};

/// The number that stands for a kind in memory (its `#[repr(u8)]`
/// discriminant): a known kind's C number. (Outside `impl EventKind`, which
/// derives `Deserialize`: this reads a layout, not a value's invariant.)
const fn stored_number(kind: &EventKind) -> u8 {
    // SAFETY: a `#[repr(u8)]` enum, fields or not, begins with its
    // discriminant as a u8 (the Reference, "Primitive representations").
    unsafe { *std::ptr::from_ref(kind).cast::<u8>() }
}

impl EventKind {
    pub(crate) const fn from_raw(raw: u8) -> EventKind {
        match raw {
            sys::FS_EVENT_ALLOC => EventKind::Alloc,
            sys::FS_EVENT_FREE => EventKind::Free,
            sys::FS_EVENT_REALLOC => EventKind::Realloc,
            sys::FS_EVENT_REACHABLE => EventKind::Reachable,
            sys::FS_EVENT_IMAGE => EventKind::Image,
            sys::FS_EVENT_LOST_WITH => EventKind::LostWith,
            sys::FS_EVENT_CHILD_KILLED => EventKind::ChildKilled,
            sys::FS_EVENT_ALLOCATOR_ELSEWHERE => EventKind::AllocatorElsewhere,
            sys::FS_EVENT_REACHABLE_INTERIOR => EventKind::ReachableInterior,
            sys::FS_EVENT_DOUBLE_FREE => EventKind::DoubleFree,
            sys::FS_EVENT_INVALID_FREE => EventKind::InvalidFree,
            sys::FS_EVENT_FOREIGN_FREE => EventKind::ForeignFree,
            sys::FS_EVENT_HEAP_OVERFLOW => EventKind::HeapOverflow,
            sys::FS_EVENT_USE_AFTER_FREE => EventKind::UseAfterFree,
            sys::FS_EVENT_CRASH => EventKind::Crash,
            sys::FS_EVENT_CHILD_CRASH => EventKind::ChildCrash,
            sys::FS_EVENT_MISMATCHED_FREE => EventKind::MismatchedFree,
            other => EventKind::Unknown(other),
        }
    }

    pub(crate) fn to_raw(self) -> u8 {
        match self {
            EventKind::Unknown(raw) => raw,
            // Numbered as in the C header (KNOWN_KIND checks each one).
            known => stored_number(&known),
        }
    }

    pub fn is_anomaly(self) -> bool {
        !matches!(
            self,
            EventKind::Alloc
                | EventKind::Free
                | EventKind::Realloc
                | EventKind::Reachable
                | EventKind::Image
                | EventKind::LostWith
                | EventKind::ChildKilled
                | EventKind::AllocatorElsewhere
                | EventKind::ReachableInterior
        )
    }
}

impl From<u8> for EventKind {
    fn from(code: u8) -> Self {
        EventKind::from_raw(code)
    }
}

impl From<EventKind> for u8 {
    fn from(kind: EventKind) -> Self {
        kind.to_raw()
    }
}

/// How a block was made, and so how it must be released (`enum fs_form`):
/// C++'s `new` pairs with `delete`, `new[]` with `delete[]`, `malloc` with `free`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    Malloc,
    New,
    NewArray,
}

impl Form {
    pub fn from_raw(raw: u64) -> Form {
        match u8::try_from(raw) {
            Ok(sys::FS_FORM_NEW) => Form::New,
            Ok(sys::FS_FORM_NEW_ARRAY) => Form::NewArray,
            _ => Form::Malloc,
        }
    }

    /// The form a recording's site carries in its high bits (`FS_SITE_FORM`).
    pub fn of_site(raw_site: u64) -> Form {
        Form::from_raw((raw_site >> sys::FS_SITE_FORM_SHIFT) & sys::FS_SITE_FORM_MASK)
    }

    /// A recording's site with its form taken off: the address or stack it names.
    pub fn strip(raw_site: u64) -> u64 {
        raw_site & !(sys::FS_SITE_FORM_MASK << sys::FS_SITE_FORM_SHIFT)
    }

    /// A mismatched free's `related_size`: the block's form, then the release's.
    pub fn pair_of(related_size: u64) -> (Form, Form) {
        (Form::from_raw(related_size & 0xff), Form::from_raw((related_size >> 8) & 0xff))
    }

    /// What makes a block so, as a program spells it.
    pub fn maker(self) -> &'static str {
        match self {
            Form::Malloc => "`malloc`",
            Form::New => "`new`",
            Form::NewArray => "`new[]`",
        }
    }

    /// What releases a block made so.
    pub fn releaser(self) -> &'static str {
        match self {
            Form::Malloc => "`free`",
            Form::New => "`delete`",
            Form::NewArray => "`delete[]`",
        }
    }
}

/// One record of the event stream. Laid out as the C side's `fs_event`
/// (asserted below), so that a drained event is read where it lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct Event {
    /// Position in the tracker's stream: strictly increasing in drain order.
    pub seq: u64,
    pub time_ns: u64,
    pub address: u64,
    pub size: u64,
    pub related_address: u64,
    /// Realloc: the old size. Overflow: how far past the end. Use after
    /// free and interior free: the offset into the block.
    pub related_size: u64,
    pub site: Option<Site>,
    /// Anomalies: who allocated the block (or, for a double free, who freed it first).
    pub related_site: Option<Site>,
    pub thread: u32,
    pub domain: Domain,
    pub kind: EventKind,
}

const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<Event>() == size_of::<sys::fs_event>());
    assert!(align_of::<Event>() == align_of::<sys::fs_event>());
    assert!(size_of::<Option<Site>>() == size_of::<*const c_char>());
    assert!(offset_of!(Event, seq) == offset_of!(sys::fs_event, seq));
    assert!(offset_of!(Event, time_ns) == offset_of!(sys::fs_event, time_ns));
    assert!(offset_of!(Event, address) == offset_of!(sys::fs_event, address));
    assert!(offset_of!(Event, size) == offset_of!(sys::fs_event, size));
    assert!(offset_of!(Event, related_address) == offset_of!(sys::fs_event, related_address));
    assert!(offset_of!(Event, related_size) == offset_of!(sys::fs_event, related_size));
    assert!(offset_of!(Event, site) == offset_of!(sys::fs_event, site));
    assert!(offset_of!(Event, related_site) == offset_of!(sys::fs_event, related_site));
    assert!(offset_of!(Event, thread) == offset_of!(sys::fs_event, thread));
    assert!(offset_of!(Event, domain) == offset_of!(sys::fs_event, domain));
    assert!(offset_of!(Event, kind) == offset_of!(sys::fs_event, kind));
};

/// [`Event::in_place`]'s reading, outside `impl Event`, which derives
/// `Deserialize`: it relies on a layout, not on a value's invariant.
#[inline] // into every drain's loop, in whichever crate it is made
fn read_in_place(raw: &sys::fs_event) -> Option<&Event> {
    let known_domain = matches!(raw.domain, sys::FS_DOMAIN_C | sys::FS_DOMAIN_RUST);
    if !KNOWN_KIND[usize::from(raw.kind)] || !known_domain {
        return None;
    }
    // SAFETY: Event is #[repr(C)] with fs_event's size, alignment and
    // field offsets (asserted above). Its integer fields have the C side's
    // widths; each site is an Option of a repr(transparent)
    // NonZeroUsize, pointer-sized, whose None is the null pointer, and
    // the C side's sites are pointers or small ids, never anything
    // else. `domain` and `kind` were just found to be numbers of
    // Domain's and of EventKind's field-less variants (their #[repr(u8)]
    // discriminants; KNOWN_KIND asserts that each known kind is stored as
    // its C number), so the byte after `kind` is padding. The reference
    // borrows `raw`.
    Some(unsafe { &*std::ptr::from_ref(raw).cast::<Event>() })
}

impl Event {
    /// The event as the C side wrote it, read in place: every event the
    /// tracker writes, whose kind and domain this build knows. `None` for
    /// any other, which [`Event::from_raw`] converts instead.
    #[inline]
    pub(crate) fn in_place(raw: &sys::fs_event) -> Option<&Event> {
        read_in_place(raw)
    }

    pub(crate) fn from_raw(raw: &sys::fs_event) -> Event {
        Event {
            seq: raw.seq,
            time_ns: raw.time_ns,
            address: raw.address,
            size: raw.size,
            related_address: raw.related_address,
            related_size: raw.related_size,
            site: Site::from_raw(raw.site),
            related_site: Site::from_raw(raw.related_site),
            thread: raw.thread,
            domain: Domain::from_raw(raw.domain),
            kind: EventKind::from_raw(raw.kind),
        }
    }

    /// A recorded program's event, whose sites the caller resolved from
    /// their ids (the program's return addresses or stacks).
    pub fn recorded(raw: &sys::fs_id_event, site: Option<Site>, related_site: Option<Site>) -> Event {
        Event {
            seq: raw.seq,
            time_ns: raw.time_ns,
            address: raw.address,
            size: raw.size,
            related_address: raw.related_address,
            related_size: raw.related_size,
            site,
            related_site,
            thread: raw.thread,
            domain: Domain::from_raw(raw.domain),
            kind: EventKind::from_raw(raw.kind),
        }
    }
}
