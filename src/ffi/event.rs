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
pub enum Domain {
    /// `fs_malloc` and friends.
    C,
    /// The Rust global allocator, inside a [`super::HeapScope`].
    Rust,
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
        match self {
            Domain::C => sys::FS_DOMAIN_C,
            Domain::Rust => sys::FS_DOMAIN_RUST,
        }
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
pub enum EventKind {
    Alloc,
    Free,
    /// `address`/`size`: the new block; `related_*`: the old one.
    Realloc,
    /// A recording's exit: the block at `address` is live and still reachable.
    Reachable,
    /// A recorded process exec'd: `address` is its new image's number.
    Image,
    /// A recording's exit: the lost block at `address` is reachable only from other lost blocks.
    LostWith,
    DoubleFree,
    InvalidFree,
    ForeignFree,
    HeapOverflow,
    UseAfterFree,
    /// A recorded program died: `address` is the faulting address, `related_size` the signal.
    Crash,
    /// A recorded program's child crashed: `address` is its pid, `related_size` the signal.
    ChildCrash,
    /// A kind this build does not know; kept rather than dropped.
    Unknown(u8),
}

impl EventKind {
    pub(crate) fn from_raw(raw: u8) -> EventKind {
        match raw {
            sys::FS_EVENT_ALLOC => EventKind::Alloc,
            sys::FS_EVENT_FREE => EventKind::Free,
            sys::FS_EVENT_REALLOC => EventKind::Realloc,
            sys::FS_EVENT_REACHABLE => EventKind::Reachable,
            sys::FS_EVENT_IMAGE => EventKind::Image,
            sys::FS_EVENT_LOST_WITH => EventKind::LostWith,
            sys::FS_EVENT_DOUBLE_FREE => EventKind::DoubleFree,
            sys::FS_EVENT_INVALID_FREE => EventKind::InvalidFree,
            sys::FS_EVENT_FOREIGN_FREE => EventKind::ForeignFree,
            sys::FS_EVENT_HEAP_OVERFLOW => EventKind::HeapOverflow,
            sys::FS_EVENT_USE_AFTER_FREE => EventKind::UseAfterFree,
            sys::FS_EVENT_CRASH => EventKind::Crash,
            sys::FS_EVENT_CHILD_CRASH => EventKind::ChildCrash,
            other => EventKind::Unknown(other),
        }
    }

    pub(crate) fn to_raw(self) -> u8 {
        match self {
            EventKind::Alloc => sys::FS_EVENT_ALLOC,
            EventKind::Free => sys::FS_EVENT_FREE,
            EventKind::Realloc => sys::FS_EVENT_REALLOC,
            EventKind::Reachable => sys::FS_EVENT_REACHABLE,
            EventKind::Image => sys::FS_EVENT_IMAGE,
            EventKind::LostWith => sys::FS_EVENT_LOST_WITH,
            EventKind::DoubleFree => sys::FS_EVENT_DOUBLE_FREE,
            EventKind::InvalidFree => sys::FS_EVENT_INVALID_FREE,
            EventKind::ForeignFree => sys::FS_EVENT_FOREIGN_FREE,
            EventKind::HeapOverflow => sys::FS_EVENT_HEAP_OVERFLOW,
            EventKind::UseAfterFree => sys::FS_EVENT_USE_AFTER_FREE,
            EventKind::Crash => sys::FS_EVENT_CRASH,
            EventKind::ChildCrash => sys::FS_EVENT_CHILD_CRASH,
            EventKind::Unknown(raw) => raw,
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

/// One record of the event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

impl Event {
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
