//! C's anonymous structs and unions against the named types a Rust mirror
//! has to give them: Rust has no anonymous members or types, so bindgen
//! writes `__bindgen_anon_1: io_uring_sqe__bindgen_ty_1` for an anonymous
//! member, and `u: key_spec__bindgen_ty_1` for `union { … } u`, and a
//! hand-written mirror does the same under names of its own.
//!
//! C's layout lists an anonymous member's fields in place; where the mirror
//! has a field of one of its own types at the member's offset, under a name
//! C does not use, the member is compared as that one field. Either way the
//! C type's fields are then compared with that Rust type's, one level in.

use super::RustSide;
use super::diff::same_name;
use super::rust_model::RustLayout;
use super::types::TypeClass;
use crate::layout::lab::Target;
use crate::layout::lab::engine::{anonymous_member_in, lay_out_record};
use crate::layout::lab::parser::written_record;
use crate::layout::lab::parser::{Declarations, RecordDef, TypeRef};
use crate::layout::{Field, Layout};

/// Anonymous members inside anonymous members are followed at most this deep.
pub const MAX_ANONYMOUS_DEPTH: usize = 8;

/// One anonymous C member and the Rust field that stands for it.
#[derive(Debug)]
pub struct Folded<'a> {
    /// The Rust field's name (`data[0]` for an array's first element), which
    /// the folded C layout uses for an anonymous member.
    pub rust_field: String,
    /// The C layout's field for the member: the Rust field's name for an
    /// anonymous member, the member's own name for a named one.
    pub c_field: String,
    /// A named member of an unnamed type (`union { … } u`), not an anonymous member.
    pub member_named: bool,
    /// Where the member starts in the outer type.
    pub offset: u64,
    /// The member's own C record (`(anonymous union at 12:5)`) and its layout.
    pub c_record: &'a RecordDef,
    pub c_layout: Layout,
    /// The Rust type of the field, laid out.
    pub rust: &'a RustLayout,
}

/// `c` with each anonymous member of `record` that `rust` gives a field of
/// its own type as that one field (named as the Rust field, a record), and
/// the members to compare one level in: those, and the named members of an
/// unnamed C type that `rust` gives a type of its own.
pub fn fold<'a>(
    c: &Layout,
    record: &RecordDef,
    declarations: &'a Declarations,
    rust: &RustLayout,
    rust_types: &'a RustSide,
    target: Target,
) -> (Layout, Vec<Folded<'a>>) {
    let mut folded_layout = c.clone();
    let mut folded = Vec::new();
    for member in record.members.iter().filter(|m| m.bit_width.is_none()) {
        let TypeRef::Record(id) = *member.ty.element() else { continue };
        let Some(c_record) = declarations.records.get(id).filter(|r| !r.reported) else { continue };
        let in_array = matches!(member.ty, TypeRef::Array(..));
        // Where the member lies: a named one by its field; an anonymous one by the fields it holds.
        let placed = match &member.name {
            Some(name) => c.field(name).map(|f| f.offset).zip(lay_out_record(declarations, id, target).ok()),
            None if in_array => None, // an anonymous member is never an array
            None => anonymous_member_in(declarations, id, c, target),
        };
        let Some((offset, inner)) = placed else { continue };
        let unnamed = Unnamed { c_record, inner, offset, in_array };
        let found = match &member.name {
            Some(name) => named_member(name, unnamed, rust, rust_types),
            None => anonymous_member((c, &mut folded_layout), unnamed, rust, rust_types, &folded),
        };
        folded.extend(found);
    }
    (folded_layout, folded)
}

/// A C member's type that has no name, laid out on its own.
struct Unnamed<'a> {
    c_record: &'a RecordDef,
    inner: Layout,
    /// Where the member starts in the outer type.
    offset: u64,
    /// The member is an array of it (`struct { … } data[2]`).
    in_array: bool,
}

/// `union { … } u` or `struct { … } data[2]`: the field is there by name,
/// and its type (its first element's) is compared one level in.
fn named_member<'a>(
    name: &str,
    unnamed: Unnamed<'a>,
    rust: &RustLayout,
    rust_types: &'a RustSide,
) -> Option<Folded<'a>> {
    let (rust_field, laid) = rust.layout.fields.iter().zip(&rust.fields).find_map(|(field, (class, text))| {
        let laid = rust_types.get(type_name(text))?.as_ref().ok()?;
        (same_name(&field.name, name) && is_record(class)).then_some((field, laid))
    })?;
    let rust_field = if unnamed.in_array { format!("{}[0]", rust_field.name) } else { rust_field.name.clone() };
    Some(Folded {
        rust_field,
        c_field: name.to_owned(),
        member_named: true,
        offset: unnamed.offset,
        c_record: unnamed.c_record,
        c_layout: unnamed.inner,
        rust: laid,
    })
}

/// An anonymous member: the mirror's field of its own type at the member's
/// offset, under a name C does not use (in `c`, as C lays it out), takes the
/// place of the member's fields in `folded_layout`.
fn anonymous_member<'a>(
    (c, folded_layout): (&Layout, &mut Layout),
    unnamed: Unnamed<'a>,
    rust: &RustLayout,
    rust_types: &'a RustSide,
    folded: &[Folded<'_>],
) -> Option<Folded<'a>> {
    let offset = unnamed.offset;
    let (rust_field, laid) = rust.layout.fields.iter().zip(&rust.fields).find_map(|(field, (class, text))| {
        let free = c.field(&field.name).is_none() && !folded.iter().any(|f| f.rust_field == field.name);
        let laid = rust_types.get(type_name(text))?.as_ref().ok()?;
        (field.offset == offset && *class == TypeClass::Record && free).then_some((field, laid))
    })?;
    let inside: Vec<&str> = unnamed.inner.fields.iter().map(|f| f.name.as_str()).collect();
    let at = folded_layout.fields.iter().position(|f| inside.contains(&f.name.as_str()))?;
    folded_layout.fields.retain(|f| !inside.contains(&f.name.as_str()));
    let whole = Field {
        name: rust_field.name.clone(),
        ty: written_record(unnamed.c_record.kind, &unnamed.c_record.name),
        offset,
        size: unnamed.inner.size,
        align: unnamed.inner.align,
        bit_offset: None,
        bit_width: None,
    };
    folded_layout.fields.insert(at.min(folded_layout.fields.len()), whole);
    Some(Folded {
        rust_field: rust_field.name.clone(),
        c_field: rust_field.name.clone(),
        member_named: false,
        offset,
        c_record: unnamed.c_record,
        c_layout: unnamed.inner,
        rust: laid,
    })
}

/// The type a field's type text names, or its arrays' elements do:
/// `io_uring_sqe__bindgen_ty_1`, the last segment of a path, `X` of
/// `[[X; 2]; 3]` and of bindgen's union marker `__BindgenUnionField<X>`.
fn type_name(text: &str) -> &str {
    let text = text.trim();
    let text = text.strip_prefix("__BindgenUnionField<").and_then(|t| t.strip_suffix('>')).unwrap_or(text);
    let element = text.trim_start_matches(['[', ' ']).split(';').next().unwrap_or(text);
    element.rsplit("::").next().unwrap_or(element).trim()
}

/// Whether a Rust field holds a record, or an array of them.
fn is_record(class: &TypeClass) -> bool {
    match class {
        TypeClass::Array { element, .. } => is_record(element),
        other => *other == TypeClass::Record,
    }
}
