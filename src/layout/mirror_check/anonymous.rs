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
use crate::layout::lab::engine::lay_out_record;
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
    /// The member's own C type (`(anonymous union at 12:5)`) and its layout.
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
        let (TypeRef::Record(id), in_array) = element_of(&member.ty) else { continue };
        let Some(c_record) = declarations.records.get(id).filter(|r| !r.reported) else { continue };
        let Ok(inner) = lay_out_record(declarations, id, target) else { continue };
        if let Some(name) = &member.name {
            // `union { … } u` or `struct { … } data[2]`: the field is there by
            // name; its type (its first element's) is compared one level in.
            let Some(offset) = c.field(name).map(|f| f.offset) else { continue };
            let standing_in = rust.layout.fields.iter().zip(&rust.fields).find_map(|(field, (class, text))| {
                let laid = rust_types.get(type_name(text))?.as_ref().ok()?;
                (same_name(&field.name, name) && is_record(class)).then_some((field, laid))
            });
            if let Some((rust_field, laid)) = standing_in {
                let rust_field = if in_array { format!("{}[0]", rust_field.name) } else { rust_field.name.clone() };
                let c_field = name.clone();
                let member_named = true;
                folded.push(Folded {
                    rust_field,
                    c_field,
                    member_named,
                    offset,
                    c_record,
                    c_layout: inner,
                    rust: laid,
                });
            }
            continue;
        }
        if in_array {
            continue; // an anonymous member is never an array
        }
        // Where the member starts: its first field's place in the outer layout, less its place inside.
        let Some(first) = inner.fields.first() else { continue };
        let Some(offset) = c.field(&first.name).and_then(|f| f.offset.checked_sub(first.offset)) else { continue };
        let standing_in = rust.layout.fields.iter().zip(&rust.fields).find_map(|(field, (class, text))| {
            let free = c.field(&field.name).is_none() && !folded.iter().any(|f: &Folded| f.rust_field == field.name);
            let laid = rust_types.get(type_name(text))?.as_ref().ok()?;
            (field.offset == offset && *class == TypeClass::Record && free).then_some((field, laid))
        });
        let Some((rust_field, laid)) = standing_in else { continue };
        let inside: Vec<&str> = inner.fields.iter().map(|f| f.name.as_str()).collect();
        let Some(at) = folded_layout.fields.iter().position(|f| inside.contains(&f.name.as_str())) else { continue };
        folded_layout.fields.retain(|f| !inside.contains(&f.name.as_str()));
        let whole = Field {
            name: rust_field.name.clone(),
            ty: c_record.name.clone(),
            offset,
            size: inner.size,
            align: inner.align,
            bit_offset: None,
            bit_width: None,
        };
        folded_layout.fields.insert(at.min(folded_layout.fields.len()), whole);
        let (rust_field, c_field) = (rust_field.name.clone(), rust_field.name.clone());
        let member_named = false;
        folded.push(Folded { rust_field, c_field, member_named, offset, c_record, c_layout: inner, rust: laid });
    }
    (folded_layout, folded)
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

/// A C type's element, through any arrays, and whether there were any.
fn element_of(ty: &TypeRef) -> (TypeRef, bool) {
    let mut element = ty;
    let mut depth = 0;
    while let TypeRef::Array(inner, _) = element
        && depth < MAX_ANONYMOUS_DEPTH * 4
    {
        element = inner;
        depth += 1;
    }
    (element.clone(), depth > 0)
}

/// Whether a Rust field holds a record, or an array of them.
fn is_record(class: &TypeClass) -> bool {
    match class {
        TypeClass::Array { element, .. } => is_record(element),
        other => *other == TypeClass::Record,
    }
}
