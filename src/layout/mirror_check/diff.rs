//! A C type and its Rust mirror on one target, field by field: offset, size,
//! alignment, kind of value and name, and what an offset-only check misses
//! (a field widened into padding, two fields of one type swapped, a field
//! missing at the end, `c_long` on Windows, `bool` for `int`).

use serde::{Deserialize, Serialize};

use super::types::TypeClass;
use crate::layout::lab::Target;
use crate::layout::lab::bindings::is_rust_keyword;
use crate::layout::{Field, Kind, Layout};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    Size,
    Align,
    NotReprC,
    Offset,
    FieldSize,
    FieldAlign,
    Class,
    Name,
    Order,
    /// One C member mirrored by several Rust fields, byte for byte.
    Split,
    Missing,
    Extra,
}

/// One way the mirror is wrong on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub kind: DifferenceKind,
    /// The C member it is about, or the Rust field where C has none.
    pub field: Option<String>,
    /// In words, with the numbers and both types as written.
    pub message: String,
    /// The bytes it concerns in C's layout and in Rust's, to mark on the grids.
    pub c_bytes: Option<(u64, u64)>,
    pub rust_bytes: Option<(u64, u64)>,
}

impl Difference {
    /// This difference, found inside the C type the Rust field `rust_field`
    /// stands for, which lies at `offset`: `place` says what that type is
    /// ("C's anonymous union at offset 8"). Its field is named through the
    /// Rust field, its bytes where they lie in the outer type.
    #[must_use]
    pub fn inside(self, rust_field: &str, place: &str, offset: u64) -> Difference {
        let shift = |bytes: Option<(u64, u64)>| {
            bytes.map(|(start, end)| (start.saturating_add(offset), end.saturating_add(offset)))
        };
        Difference {
            kind: self.kind,
            field: Some(self.field.map_or_else(|| rust_field.to_owned(), |f| format!("{rust_field}.{f}"))),
            message: format!("in `{rust_field}`, {place}: {}", self.message),
            c_bytes: shift(self.c_bytes),
            rust_bytes: shift(self.rust_bytes),
        }
    }
}

/// One side of the comparison: a layout and each field's class and type as written.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub layout: &'a Layout,
    pub classes: &'a [(TypeClass, String)],
}

impl Side<'_> {
    fn class_of(&self, index: usize) -> Option<&(TypeClass, String)> {
        self.classes.get(index)
    }
}

fn span(field: &Field) -> (u64, u64) {
    (field.offset, field.offset.saturating_add(field.size))
}

/// A field with its index in its layout (where its class is).
type Indexed<'a> = (usize, &'a Field);

/// A C member and the Rust field taken for it.
#[derive(Clone, Copy)]
struct Pair<'a> {
    c: Indexed<'a>,
    rust: Indexed<'a>,
}

/// The differences found so far, on one target.
struct Findings {
    on: &'static str,
    differences: Vec<Difference>,
}

impl Findings {
    fn add(
        &mut self,
        kind: DifferenceKind,
        field: Option<&str>,
        message: String,
        c: Option<(u64, u64)>,
        rust: Option<(u64, u64)>,
    ) {
        self.differences.push(Difference {
            kind,
            field: field.map(str::to_owned),
            message,
            c_bytes: c,
            rust_bytes: rust,
        });
    }
}

/// Every difference between C's `c` and Rust's `rust` on `target`.
pub fn compare(c: Side<'_>, rust: Side<'_>, repr_c: bool, target: Target) -> Vec<Difference> {
    let mut found = Findings { on: target.triple(), differences: Vec::new() };
    if !repr_c {
        let message = format!(
            "`{}` is not #[repr(C)] on {}: Rust may reorder and pad its fields as it likes",
            rust.layout.name, found.on
        );
        found.add(DifferenceKind::NotReprC, None, message, None, None);
    }
    if !is_opaque(rust.layout) {
        let (pairs, c_left, rust_left) = pair_fields(c, rust, &mut found);
        order_differences(&pairs, &mut found);
        for (index, pair) in pairs.iter().enumerate() {
            let next_c_offset = pairs.get(index + 1).map_or(c.layout.size, |next| next.c.1.offset);
            let same_size = c.layout.size == rust.layout.size;
            field_differences(c, rust, *pair, next_c_offset, same_size, &mut found);
        }
        leftover_differences(c, &c_left, &rust_left, &mut found);
    }
    if c.layout.size != rust.layout.size {
        let (small, large) = (c.layout.size.min(rust.layout.size), c.layout.size.max(rust.layout.size));
        let message = format!("size: {} bytes in C on {}, {} in Rust", c.layout.size, found.on, rust.layout.size);
        found.add(DifferenceKind::Size, None, message, Some((small, large)), Some((small, large)));
    }
    if c.layout.align != rust.layout.align {
        let message = format!("alignment: {} in C on {}, {} in Rust", c.layout.align, found.on, rust.layout.align);
        found.add(DifferenceKind::Align, None, message, None, None);
    }
    found.differences
}

/// A mirror that is bindgen's opaque type: its bytes as one blob
/// (`_bindgen_opaque_blob: [u64; 3usize]`), with no fields to compare, only
/// its size and alignment.
pub fn is_opaque(rust: &Layout) -> bool {
    !rust.fields.is_empty() && rust.fields.iter().all(|f| f.name == OPAQUE_BLOB)
}

/// The one field of bindgen's opaque types.
const OPAQUE_BLOB: &str = "_bindgen_opaque_blob";

/// Pairs C's members with Rust's fields by name, then what is left by
/// position (a renamed field); returns the pairs in C's order and what
/// neither side could pair. Bitfields and zero-sized fields take no part.
fn pair_fields<'a>(
    c: Side<'a>,
    rust: Side<'a>,
    found: &mut Findings,
) -> (Vec<Pair<'a>>, Vec<Indexed<'a>>, Vec<Indexed<'a>>) {
    let c_fields = c.layout.fields.iter().enumerate().filter(|(_, f)| f.bit_width.is_none());
    let mut rust_left: Vec<Indexed<'a>> = rust
        .layout
        .fields
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(rust.class_of(*i), Some((TypeClass::Empty, _))))
        .collect();
    let mut pairs = Vec::new();
    let mut c_left = Vec::new();
    for (ci, cf) in c_fields {
        match rust_left.iter().position(|(_, rf)| same_name(&rf.name, &cf.name)) {
            Some(at) => pairs.push(Pair { c: (ci, cf), rust: rust_left.remove(at) }),
            None => c_left.push((ci, cf)),
        }
    }
    // A C member spanned exactly by several Rust fields is split, byte for
    // byte (libc writes `struct stat`'s `st_atim` as `st_atime` and `st_atime_nsec`).
    c_left.retain(|&(_, cf)| {
        let Some(parts) = tiling(cf, &rust_left) else { return true };
        let names: Vec<String> = parts.iter().map(|&at| format!("`{}`", rust_left[at].1.name)).collect();
        let message = format!(
            "`{}` (`{}`, {} bytes at {}) is split into {} in Rust; the bytes agree",
            cf.name,
            cf.ty,
            cf.size,
            cf.offset,
            names.join(" and ")
        );
        found.add(DifferenceKind::Split, Some(&cf.name), message, Some(span(cf)), Some(span(cf)));
        for at in parts.into_iter().rev() {
            rust_left.remove(at);
        }
        false
    });
    // A field named differently at the same place is the same field, renamed
    // (padding named differently is padding still). Where C has several
    // members there (a union's), it is the one most like the Rust field: of
    // its type's name (Xlib's `XEvent` has a dozen members of 96 bytes, and
    // the x11 crate renames every one: `xkey` of type `XKeyEvent` is `key`),
    // else of its size and kind of value, else of its size and a record as
    // it is a record or not, else of its size; then one whose name holds the
    // other's; else the first.
    rust_left.retain(|&(ri, rf)| {
        if rf.size == 0 {
            return true; // a zero-sized marker (`_align: [u64; 0]`) stands for no member
        }
        let likeness = |&(at, &(ci, cf)): &(usize, &Indexed<'a>)| {
            let same_size = cf.size == rf.size;
            let (same_type, agrees, both_records_or_neither) = match (c.class_of(ci), rust.class_of(ri)) {
                (Some((c_class, c_type)), Some((rust_class, rust_type))) => (
                    same_type_name(c_type, rust_type),
                    c_class.agrees_with(rust_class),
                    matches!(c_class, TypeClass::Record) == matches!(rust_class, TypeClass::Record),
                ),
                _ => (false, false, false),
            };
            let similar_name = cf.name.contains(rf.name.as_str()) || rf.name.contains(cf.name.as_str());
            (
                same_type,
                same_size && agrees,
                same_size && both_records_or_neither,
                same_size,
                similar_name,
                std::cmp::Reverse(at),
            )
        };
        let candidates: Vec<(usize, &Indexed<'a>)> =
            c_left.iter().enumerate().filter(|(_, (_, cf))| cf.offset == rf.offset).collect();
        let Some(&(at, &(ci, _))) = candidates.iter().max_by_key(|candidate| likeness(candidate)) else {
            return true;
        };
        // Among a union's members, a record of another named type is another
        // member (the x11 crate's `xf86vm_notify` is no rename of `xgeneric`).
        let among_members = c.layout.kind == Kind::Union || candidates.len() > 1;
        if among_members && records_of_other_names(c.class_of(ci), rust.class_of(ri)) {
            return true;
        }
        let (ci, cf) = c_left.remove(at);
        if !is_padding_pair(cf, rf) {
            let message = format!("at offset {}: `{}` in C, `{}` in Rust", cf.offset, cf.name, rf.name);
            found.add(DifferenceKind::Name, Some(&cf.name), message, Some(span(cf)), Some(span(rf)));
        }
        pairs.push(Pair { c: (ci, cf), rust: (ri, rf) });
        false
    });
    // Another member of a union, where the mirror keeps one that holds its
    // bytes (C's members overlap only in unions): read through that one.
    c_left.retain(|&(_, cf)| {
        let (start, end) = span(cf);
        !pairs.iter().any(|pair| {
            let (from, to) = span(pair.c.1);
            from <= start && end <= to
        })
    });
    pairs.sort_by_key(|pair| pair.c.0);
    (pairs, c_left, rust_left)
}

/// Whether a C member's type and a Rust field's name one type: `XKeyEvent`
/// and `XKeyEvent` (or `xlib::XKeyEvent`), `struct foo` and `foo`. Basic
/// types say nothing of which member is which, and are never alike here.
fn same_type_name(c: &str, rust: &str) -> bool {
    let c = c.trim_start_matches("struct ").trim_start_matches("union ").trim();
    let rust = rust.rsplit("::").next().unwrap_or(rust).trim();
    named_type(c) && c == rust && super::types::known(c, Target::X86_64Linux).is_none()
}

/// Whether a type as written is a name, a path to one or a tagged record
/// (`XKeyEvent`, `xlib::XKeyEvent`, `struct foo`), not an unnamed C type or
/// a Rust type of several parts (`[u8; 4]`, `Option<T>`).
fn named_type(text: &str) -> bool {
    let bare = text.trim_start_matches("struct ").trim_start_matches("union ").trim();
    let bare = bare.rsplit("::").next().unwrap_or(bare);
    bare.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
        && bare.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Whether both are records, each of a type with a name, and the names differ.
fn records_of_other_names(c: Option<&(TypeClass, String)>, rust: Option<&(TypeClass, String)>) -> bool {
    match (c, rust) {
        (Some((TypeClass::Record, c_type)), Some((TypeClass::Record, rust_type))) => {
            named_type(c_type) && named_type(rust_type) && !same_type_name(c_type, rust_type)
        }
        _ => false,
    }
}

/// Whether a Rust field's name is a C member's: as written, or with the `_`
/// Rust needs beside a keyword (`type_` for C's `type`, as bindgen and the
/// libc crate write it, or `_type`, as older crates do; `r#type` is read as
/// `type`).
pub fn same_name(rust: &str, c: &str) -> bool {
    let escaped = |bare: Option<&str>| bare.is_some_and(|bare| bare == c && is_rust_keyword(c));
    rust == c || escaped(rust.strip_suffix('_')) || escaped(rust.strip_prefix('_'))
}

/// Whether a field's name says it is padding or reserved bytes:
/// `__bindgen_padding_0`, `_pad`, `__pad2`, `padding`, `__ss_padding`,
/// `__unused1`, `__reserved`, `__glibc_reserved1`.
fn is_padding_name(name: &str) -> bool {
    let bare = name.trim_start_matches('_').to_ascii_lowercase();
    bare.starts_with("pad") || ["_pad", "unused", "reserved"].iter().any(|part| bare.contains(part))
}

/// The member bindgen before 0.54 gave a union to force its alignment
/// (`_bindgen_union_align: [u32; 4]`): within the union's bytes it is no
/// extra field, as the union's own size and alignment are compared anyway.
const BINDGEN_UNION_ALIGN: &str = "_bindgen_union_align";

/// A C member and a Rust field that both say they are padding.
fn is_padding_pair(c: &Field, rust: &Field) -> bool {
    is_padding_name(&c.name) && is_padding_name(&rust.name)
}

/// The indices (ascending) of Rust fields that cover `field`'s bytes exactly,
/// one after another, if there are at least two.
fn tiling(field: &Field, rust: &[Indexed<'_>]) -> Option<Vec<usize>> {
    let (start, end) = span(field);
    let mut parts = Vec::new();
    let mut at = start;
    while at < end {
        let next = rust.iter().position(|(_, rf)| rf.offset == at && rf.size > 0 && span(rf).1 <= end)?;
        parts.push(next);
        at = span(rust[next].1).1;
    }
    parts.sort_unstable();
    (parts.len() >= 2).then_some(parts)
}

/// Two fields in the other order: what an offset check reads as two shifted fields.
fn order_differences(pairs: &[Pair<'_>], found: &mut Findings) {
    for (at, first) in pairs.iter().enumerate() {
        for second in &pairs[at + 1..] {
            let ((_, a), (_, ra), (_, b), (_, rb)) = (first.c, first.rust, second.c, second.rust);
            if a.offset < b.offset && ra.offset > rb.offset {
                let message = format!(
                    "`{}` and `{}` are in the other order: C has `{}` at {} before `{}` at {}; Rust has them the other way round",
                    a.name, b.name, a.name, a.offset, b.name, b.offset
                );
                let c_bytes = (a.offset.min(b.offset), span(a).1.max(span(b).1));
                let rust_bytes = (ra.offset.min(rb.offset), span(ra).1.max(span(rb).1));
                found.add(DifferenceKind::Order, Some(&a.name), message, Some(c_bytes), Some(rust_bytes));
            }
        }
    }
}

/// One pair's offset, size, kind of value and alignment. `next_c_offset`
/// is where C's next paired member starts (or C's size).
fn field_differences(
    c: Side<'_>,
    rust: Side<'_>,
    pair: Pair<'_>,
    next_c_offset: u64,
    same_size: bool,
    found: &mut Findings,
) {
    let ((ci, cf), (ri, rf)) = (pair.c, pair.rust);
    let on = found.on;
    let (c_class, c_text) = c.class_of(ci).cloned().unwrap_or((TypeClass::Bytes, cf.ty.clone()));
    let (rust_class, rust_text) = rust.class_of(ri).cloned().unwrap_or((TypeClass::Bytes, rf.ty.clone()));
    let name = &cf.name;
    let bytes = (Some(span(cf)), Some(span(rf)));
    if cf.offset != rf.offset {
        let message = format!("`{name}`: at offset {} in C on {on}, at {} in Rust", cf.offset, rf.offset);
        found.add(DifferenceKind::Offset, Some(name), message, bytes.0, bytes.1);
    }
    if cf.size != rf.size {
        // A size no offset shows: the change stays inside padding.
        let hidden = cf.offset == rf.offset && rf.offset + rf.size <= next_c_offset && same_size;
        let note = match (hidden, rf.size > cf.size) {
            (true, true) => ": widened into the padding after it, so every offset and the size still agree",
            (true, false) => ": narrowed, leaving padding C does not have, so every offset and the size still agree",
            (false, _) => "",
        };
        let plural = if cf.size == 1 { "" } else { "s" };
        let message = format!(
            "`{name}`: {} byte{plural} in C on {on} (`{c_text}`), {} in Rust (`{rust_text}`){note}",
            cf.size, rf.size
        );
        found.add(DifferenceKind::FieldSize, Some(name), message, bytes.0, bytes.1);
    }
    // A size difference already says the widths differ: the kind is what is
    // left. Padding holds no value: `char` or `u8` makes no difference there.
    let class_differs = if cf.size == rf.size {
        !c_class.agrees_with(&rust_class) && !is_padding_pair(cf, rf)
    } else {
        !c_class.same_kind_as(&rust_class)
    };
    if class_differs {
        let message = format!(
            "`{name}`: {} in C on {on} (`{c_text}`), {} in Rust (`{rust_text}`)",
            c_class.describe(),
            rust_class.describe()
        );
        found.add(DifferenceKind::Class, Some(name), message, bytes.0, bytes.1);
    } else if cf.size == rf.size && cf.align != rf.align {
        let message = format!(
            "`{name}`: aligned to {} in C on {on} (`{c_text}`), to {} in Rust (`{rust_text}`)",
            cf.align, rf.align
        );
        found.add(DifferenceKind::FieldAlign, Some(name), message, bytes.0, bytes.1);
    }
}

/// C members the mirror lacks, and Rust fields C lacks (except the storage
/// of C's bitfields and padding written out where C has padding).
fn leftover_differences(c: Side<'_>, c_left: &[Indexed<'_>], rust_left: &[Indexed<'_>], found: &mut Findings) {
    let on = found.on;
    for (_, cf) in c_left {
        let message = format!(
            "`{}`: in C on {on} at offset {} ({} bytes, `{}`), missing from the Rust mirror",
            cf.name, cf.offset, cf.size, cf.ty
        );
        found.add(DifferenceKind::Missing, Some(&cf.name), message, Some(span(cf)), None);
    }
    // Rust has no bitfields: a mirror holds each run in its storage integer,
    // which lies within the storage units C's bitfields use.
    let mut storage: Vec<(u64, u64)> = c.layout.fields.iter().filter(|f| f.bit_width.is_some()).map(span).collect();
    storage.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (from, to) in storage {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    let padding = c.layout.padding();
    for (_, rf) in rust_left.iter().filter(|(_, rf)| rf.size > 0) {
        let (start, end) = span(rf);
        if merged.iter().any(|&(from, to)| start >= from && end <= to) {
            continue;
        }
        if c.layout.kind == Kind::Union && rf.name == BINDGEN_UNION_ALIGN && end <= c.layout.size {
            continue;
        }
        // Padding the mirror writes out (bindgen's `__bindgen_padding_0`) where C has padding.
        let in_padding = padding.iter().any(|p| start >= p.offset && end <= p.offset.saturating_add(p.size));
        if in_padding && is_padding_name(&rf.name) {
            continue;
        }
        let message =
            format!("`{}`: in the Rust mirror at offset {start} ({} bytes), not in C on {on}", rf.name, rf.size);
        found.add(DifferenceKind::Extra, Some(&rf.name), message, None, Some((start, end)));
    }
}
