//! The catalogue of layout exhibits, as data: which C declarations and
//! which Rust mirrors stand side by side, what each mirror must equal, and
//! what each is checked against.

use super::mirrors::{Repr, rust_mirrors};
use super::{Layout, c_layouts, c_sample};
use crate::scenarios::snippet::declaration;

/// The sources the exhibits' types are declared in, as compiled.
const C_DECLARATIONS: &str = include_str!("../../csrc/layouts.c");
const RUST_MIRRORS: &str = include_str!("mirrors.rs");

/// Where a column's layout comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The C compiler's table, by exhibit name.
    C(&'static str),
    /// rustc's measurement of a mirror of this exhibit.
    Rust(Repr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    pub title: &'static str,
    pub source: Source,
    /// For a Rust mirror: the C declaration with the same attributes, which
    /// it must equal exactly (tested).
    pub mirrors: Option<&'static str>,
    /// For a Rust mirror: the real C type it is meant to read, against which
    /// each field is marked right or wrong in the view.
    pub original: Option<&'static str>,
    /// The region of the compiled source (`csrc/layouts.c` or `mirrors.rs`)
    /// that declares the type, if it is declared there and not in a system header.
    pub declared: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExhibitSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub columns: &'static [ColumnSpec],
}

/// A C column, declared in `csrc/layouts.c` under its table's name.
const fn c(title: &'static str, table: &'static str) -> ColumnSpec {
    ColumnSpec { title, source: Source::C(table), mirrors: None, original: None, declared: Some(table) }
}

/// A C column whose type comes from a system header.
const fn c_system(title: &'static str, table: &'static str) -> ColumnSpec {
    ColumnSpec { title, source: Source::C(table), mirrors: None, original: None, declared: None }
}

/// A Rust mirror, declared in `mirrors.rs` as `declared`.
const fn rust(
    title: &'static str,
    repr: Repr,
    mirrors: Option<&'static str>,
    original: &'static str,
    declared: &'static str,
) -> ColumnSpec {
    ColumnSpec { title, source: Source::Rust(repr), mirrors, original: Some(original), declared: Some(declared) }
}

pub const EXHIBITS: &[ExhibitSpec] = &[
    ExhibitSpec {
        name: "Example",
        description: "char then int64_t: 7 bytes of padding so that b starts on a multiple of 8. Size 16, align 8.",
        columns: &[c("C", "Example"), rust("Rust repr(C)", Repr::C, Some("Example"), "Example", "Example")],
    },
    ExhibitSpec {
        name: "PackedData",
        description: "uint8_t, uint32_t, uint64_t: 16 bytes naturally (offsets 0, 4, 8); 13 bytes packed (offsets 0, 1, 5), with value and timestamp misaligned.",
        columns: &[
            c("C natural", "PackedData"),
            c("C packed", "PackedData (packed)"),
            rust("Rust repr(C)", Repr::C, Some("PackedData"), "PackedData", "PackedDataNatural"),
            rust(
                "Rust repr(C, packed)",
                Repr::CPacked,
                Some("PackedData (packed)"),
                "PackedData (packed)",
                "PackedDataPacked",
            ),
            rust("Rust repr(Rust)", Repr::Rust, None, "PackedData", "PackedDataRust"),
        ],
    },
    ExhibitSpec {
        name: "OverAligned",
        description: "__attribute__((aligned(16))) / #[repr(C, align(16))]: the whole struct aligns to 16, so 16 bytes of members take 16 and an array of them stays aligned.",
        columns: &[
            c("C aligned(16)", "OverAligned"),
            rust("Rust repr(C, align(16))", Repr::CAlign16, Some("OverAligned"), "OverAligned", "OverAligned"),
        ],
    },
    ExhibitSpec {
        name: "Nested",
        description: "A nested struct aligns as its strictest member; an array aligns as its element.",
        columns: &[c("C", "Nested"), rust("Rust repr(C)", Repr::C, Some("Nested"), "Nested", "Nested")],
    },
    ExhibitSpec {
        name: "Number",
        description: "A union: every member at offset 0; its size is the largest member's, rounded up to the alignment.",
        columns: &[c("C union", "Number"), rust("Rust repr(C) union", Repr::C, Some("Number"), "Number", "Number")],
    },
    ExhibitSpec {
        name: "Flags",
        description: "Bitfields share storage units as the compiler decides. Rust has no bitfields: a mirror uses the storage integer and shifts and masks.",
        columns: &[
            c("C bitfields", "Flags"),
            rust("Rust repr(C, align(4)), shifts and masks", Repr::CAlign4, Some("Flags"), "Flags", "Flags"),
        ],
    },
    ExhibitSpec {
        name: "Message",
        description: "A flexible array member: data has offset but no size; sizeof covers only the header. Rust mirrors the header and reads the data after it.",
        columns: &[
            c("C", "Message"),
            rust("Rust repr(C) header", Repr::C, Some("Message"), "Message", "MessageHeader"),
        ],
    },
    ExhibitSpec {
        name: "Reorderable",
        description: "Declared in a wasteful order. C keeps it (24 bytes); repr(Rust) lets rustc reorder it (16 bytes), which is why FFI needs repr(C).",
        columns: &[
            c("C", "Reorderable"),
            rust("Rust repr(C)", Repr::C, Some("Reorderable"), "Reorderable", "ReorderableC"),
            rust("Rust repr(Rust)", Repr::Rust, None, "Reorderable", "ReorderableRust"),
        ],
    },
    ExhibitSpec {
        name: "epoll_event",
        description: "glibc packs struct epoll_event on x86-64: 12 bytes, data at 4. The obvious #[repr(C)] mirror is 16 bytes with data at 8, and reads garbage.",
        columns: &[
            c_system("C (glibc, packed)", "epoll_event"),
            c("C if it were not packed", "epoll_event (unpacked)"),
            rust("Rust repr(C, packed)", Repr::CPacked, Some("epoll_event"), "epoll_event", "EpollEvent"),
            rust("Rust repr(C)", Repr::C, Some("epoll_event (unpacked)"), "epoll_event", "EpollEventUnpacked"),
        ],
    },
    ExhibitSpec {
        name: "sockaddr_in",
        description: "A socket address: family, port and address in network byte order, padded to the size of struct sockaddr.",
        columns: &[
            c_system("C", "sockaddr_in"),
            rust("Rust repr(C)", Repr::C, Some("sockaddr_in"), "sockaddr_in", "SockaddrIn"),
        ],
    },
    ExhibitSpec {
        name: "timeval",
        description: "Two longs on LP64 (time_t and suseconds_t): 16 bytes; on 32-bit targets they differ.",
        columns: &[c_system("C", "timeval"), rust("Rust repr(C)", Repr::C, Some("timeval"), "timeval", "Timeval")],
    },
];

/// A column with its numbers filled in.
#[derive(Debug, Clone)]
pub struct Column {
    pub spec: ColumnSpec,
    pub layout: Layout,
    /// The C type it is checked against, for a Rust mirror.
    pub original: Option<Layout>,
    /// Bytes C wrote into an instance: of this very type for a C column, of
    /// the original for a Rust mirror (what the mirror would be reading).
    pub bytes: Option<Vec<u8>>,
    /// Its declaration, cut from the very source that was compiled and
    /// measured; `None` for a type from a system header.
    pub declaration: Option<String>,
}

impl Column {
    pub fn is_rust(&self) -> bool {
        matches!(self.spec.source, Source::Rust(_))
    }
}

#[derive(Debug, Clone)]
pub struct Exhibit {
    pub spec: ExhibitSpec,
    pub columns: Vec<Column>,
}

/// Every exhibit with every column measured; asks C once.
pub fn load_exhibits() -> Vec<Exhibit> {
    let c_tables = c_layouts();
    let mirrors = rust_mirrors();
    let c_table = |name: &str| c_tables.iter().find(|l| l.name == name).cloned();
    EXHIBITS
        .iter()
        .map(|spec| Exhibit {
            spec: *spec,
            columns: spec
                .columns
                .iter()
                .filter_map(|column| {
                    let layout = match column.source {
                        Source::C(table) => c_table(table)?,
                        Source::Rust(repr) => mirrors
                            .iter()
                            .find(|(name, r, _)| *name == spec.name && *r == repr)
                            .map(|(_, _, l)| l.clone())?,
                    };
                    let sample_of = match column.source {
                        Source::C(table) => Some(table),
                        Source::Rust(_) => column.original,
                    };
                    let source = match column.source {
                        Source::C(_) => C_DECLARATIONS,
                        Source::Rust(_) => RUST_MIRRORS,
                    };
                    Some(Column {
                        spec: *column,
                        original: column.original.and_then(c_table),
                        bytes: sample_of.and_then(c_sample),
                        declaration: column.declared.and_then(|name| declaration(source, name)),
                        layout,
                    })
                })
                .collect(),
        })
        .collect()
}

/// A Rust mirror with the C declaration it claims to equal, for tests.
pub fn mirror_pairs() -> Vec<(&'static str, Repr, Layout, Layout)> {
    let c_tables = c_layouts();
    let mirrors = rust_mirrors();
    let mut pairs = Vec::new();
    for spec in EXHIBITS {
        for column in spec.columns {
            let (Source::Rust(repr), Some(mirrors_name)) = (column.source, column.mirrors) else { continue };
            let rust = mirrors.iter().find(|(name, r, _)| *name == spec.name && *r == repr).map(|(_, _, l)| l.clone());
            let c = c_tables.iter().find(|l| l.name == mirrors_name).cloned();
            if let (Some(rust), Some(c)) = (rust, c) {
                pairs.push((spec.name, repr, rust, c));
            }
        }
    }
    pairs
}
