//! Rust mirrors of the C exhibits, declared every way Rust can, and measured
//! by rustc: `offset_of!`, `size_of`, `align_of`. Nothing here is a number
//! typed by hand.
#![expect(missing_debug_implementations, reason = "mirrors exist to be measured, never printed")]

use std::ffi::c_char;
use std::mem::offset_of;

use super::{Field, Kind, Layout};

/// Measures a mirror. Each field's type is written out so its size and
/// alignment can be measured, and the compiler checks it is the field's type.
macro_rules! measure {
    ($name:literal, struct $ty:ty { $($field:ident : $fty:ty),* $(,)? }) => {{
        // Moves each field out by value (allowed for packed fields, unlike a
        // reference), which only compiles if the written type is the real one.
        #[allow(unused_variables, clippy::needless_pass_by_value)]
        fn _types_match(value: $ty) { $( let _: $fty = value.$field; )* }
        measure!(@layout $name, Kind::Struct, $ty, $($field: $fty),*)
    }};
    ($name:literal, union $ty:ty { $($field:ident : $fty:ty),* $(,)? }) => {
        measure!(@layout $name, Kind::Union, $ty, $($field: $fty),*)
    };
    (@layout $name:literal, $kind:expr, $ty:ty, $($field:ident : $fty:ty),*) => {
        Layout {
            name: $name.to_owned(),
            kind: $kind,
            size: size_of::<$ty>() as u64,
            align: align_of::<$ty>() as u64,
            fields: vec![$(Field {
                name: stringify!($field).to_owned(),
                ty: stringify!($fty).replace(' ', ""),
                offset: offset_of!($ty, $field) as u64,
                size: size_of::<$fty>() as u64,
                align: align_of::<$fty>() as u64,
                bit_offset: None,
                bit_width: None,
            }),*],
        }
    };
}

// [decl:Example]
#[repr(C)]
pub struct Example {
    pub a: c_char,
    pub b: i64,
}
// [/decl]

// [decl:PackedDataNatural]
#[repr(C)]
pub struct PackedDataNatural {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}
// [/decl]

// [decl:PackedDataPacked]
#[repr(C, packed)]
pub struct PackedDataPacked {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}
// [/decl]

// [decl:PackedDataRust]
/// rustc is free to reorder these.
pub struct PackedDataRust {
    pub flag: u8,
    pub value: u32,
    pub timestamp: u64,
}
// [/decl]

// [decl:OverAligned]
#[repr(C, align(16))]
pub struct OverAligned {
    pub id: u32,
    pub weights: [f32; 3],
}
// [/decl]

// [decl:Nested]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Point {
    pub x: i16,
    pub y: i16,
}

#[repr(C)]
pub struct Nested {
    pub tag: u8,
    pub origin: Point,
    pub scale: f64,
    pub samples: [u16; 3],
}
// [/decl]

// [decl:Number]
#[repr(C)]
pub union Number {
    pub as_u32: u32,
    pub as_f32: f32,
    pub bytes: [u8; 8],
}
// [/decl]

// [decl:MessageHeader]
/// A flexible array member has no Rust field: the header is mirrored, and
/// the data follows it.
#[repr(C)]
pub struct MessageHeader {
    pub length: u32,
    pub r#type: u16,
}
// [/decl]

// [decl:ReorderableC]
#[repr(C)]
pub struct ReorderableC {
    pub a: u8,
    pub b: u64,
    pub c: u16,
    pub d: u32,
}
// [/decl]

// [decl:ReorderableRust]
pub struct ReorderableRust {
    pub a: u8,
    pub b: u64,
    pub c: u16,
    pub d: u32,
}
// [/decl]

// [decl:EpollEvent]
/// glibc's `struct epoll_event` on x86-64 is packed.
#[repr(C, packed)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}
// [/decl]

// [decl:EpollEventUnpacked]
/// The mirror a careful reader of the man page would write, and get wrong.
#[repr(C)]
pub struct EpollEventUnpacked {
    pub events: u32,
    pub data: u64,
}
// [/decl]

// [decl:SockaddrIn]
#[repr(C)]
pub struct SockaddrIn {
    pub sin_family: libc::sa_family_t,
    pub sin_port: libc::in_port_t,
    pub sin_addr: libc::in_addr,
    pub sin_zero: [u8; 8],
}
// [/decl]

// [decl:Timeval]
#[repr(C)]
pub struct Timeval {
    pub tv_sec: libc::time_t,
    pub tv_usec: libc::suseconds_t,
}
// [/decl]

// [decl:Flags]
/// No bitfields in Rust: the byte C packs them into
/// is kept whole and read with shifts and masks.
#[repr(C, align(4))] // C's `unsigned int` storage unit
pub struct Flags {
    pub kind: u8,
    pub bits: u8, // ready: bit 0 · priority: 1–3 · retries: 4–7
    pub code: u16,
}

impl Flags {
    pub fn ready(&self) -> bool {
        self.bits & 0b1 != 0
    }

    pub fn priority(&self) -> u8 {
        (self.bits >> 1) & 0b111
    }

    pub fn retries(&self) -> u8 {
        (self.bits >> 4) & 0b1111
    }
}
// [/decl]

/// Which Rust declaration a mirror is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repr {
    C,
    CPacked,
    CAlign16,
    CAlign4,
    Rust,
}

impl Repr {
    pub fn attribute(self) -> &'static str {
        match self {
            Repr::C => "#[repr(C)]",
            Repr::CPacked => "#[repr(C, packed)]",
            Repr::CAlign16 => "#[repr(C, align(16))]",
            Repr::CAlign4 => "#[repr(C, align(4))]",
            Repr::Rust => "#[repr(Rust)]",
        }
    }
}

/// Every mirror, measured: (exhibit, declaration, layout).
#[expect(clippy::too_many_lines, reason = "a table: one entry per mirror")]
pub fn rust_mirrors() -> Vec<(&'static str, Repr, Layout)> {
    vec![
        (
            "Example",
            Repr::C,
            measure!(
                "Example",
                struct Example {
                    a: c_char,
                    b: i64,
                }
            ),
        ),
        (
            "PackedData",
            Repr::C,
            measure!(
                "PackedData",
                struct PackedDataNatural {
                    flag: u8,
                    value: u32,
                    timestamp: u64,
                }
            ),
        ),
        (
            "PackedData",
            Repr::CPacked,
            measure!(
                "PackedData",
                struct PackedDataPacked {
                    flag: u8,
                    value: u32,
                    timestamp: u64,
                }
            ),
        ),
        (
            "PackedData",
            Repr::Rust,
            measure!(
                "PackedData",
                struct PackedDataRust {
                    flag: u8,
                    value: u32,
                    timestamp: u64,
                }
            ),
        ),
        (
            "OverAligned",
            Repr::CAlign16,
            measure!(
                "OverAligned",
                struct OverAligned {
                    id: u32,
                    weights: [f32; 3],
                }
            ),
        ),
        (
            "Nested",
            Repr::C,
            measure!(
                "Nested",
                struct Nested {
                    tag: u8,
                    origin: Point,
                    scale: f64,
                    samples: [u16; 3],
                }
            ),
        ),
        ("Number", Repr::C, measure!("Number", union Number { as_u32: u32, as_f32: f32, bytes: [u8; 8] })),
        (
            "Message",
            Repr::C,
            measure!(
                "Message",
                struct MessageHeader {
                    length: u32,
                    r#type: u16,
                }
            ),
        ),
        (
            "Reorderable",
            Repr::C,
            measure!(
                "Reorderable",
                struct ReorderableC {
                    a: u8,
                    b: u64,
                    c: u16,
                    d: u32,
                }
            ),
        ),
        (
            "Reorderable",
            Repr::Rust,
            measure!(
                "Reorderable",
                struct ReorderableRust {
                    a: u8,
                    b: u64,
                    c: u16,
                    d: u32,
                }
            ),
        ),
        (
            "epoll_event",
            Repr::CPacked,
            measure!(
                "epoll_event",
                struct EpollEvent {
                    events: u32,
                    data: u64,
                }
            ),
        ),
        (
            "epoll_event",
            Repr::C,
            measure!(
                "epoll_event",
                struct EpollEventUnpacked {
                    events: u32,
                    data: u64,
                }
            ),
        ),
        (
            "sockaddr_in",
            Repr::C,
            measure!(
                "sockaddr_in",
                struct SockaddrIn {
                    sin_family: libc::sa_family_t,
                    sin_port: libc::in_port_t,
                    sin_addr: libc::in_addr,
                    sin_zero: [u8; 8],
                }
            ),
        ),
        (
            "Flags",
            Repr::CAlign4,
            measure!(
                "Flags",
                struct Flags {
                    kind: u8,
                    bits: u8,
                    code: u16,
                }
            ),
        ),
        (
            "timeval",
            Repr::C,
            measure!(
                "timeval",
                struct Timeval {
                    tv_sec: libc::time_t,
                    tv_usec: libc::suseconds_t,
                }
            ),
        ),
    ]
}
