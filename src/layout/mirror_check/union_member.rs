//! A C member of a union type that the mirror holds as one of the union's
//! members: the libc crate's `u64: u64` for `epoll_event`'s
//! `epoll_data_t data`, curl-sys's `data: *mut c_void` for `CURLMsg`'s
//! `union { void *whatever; CURLcode result; } data`. When the field takes
//! all the union's bytes and holds the kind of value one of its members
//! does, it is that member, and the others are read through it: the field is
//! compared as that member, and a note says so, rather than a difference
//! saying a union is not an integer.

use super::diff::same_name;
use super::rust_model::RustLayout;
use super::types::{IntegerKind, TypeClass, c_class};
use crate::layout::lab::Target;
use crate::layout::lab::parser::{RecordDef, TypeRef};
use crate::layout::{Kind, Layout};

/// A C field of a union type read as one of the union's members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAsMember {
    /// Its index in the C layout's fields.
    pub field: usize,
    /// The class of the member the mirror holds.
    pub class: TypeClass,
    pub note: String,
}

/// The fields of `layout` (C's, with `classes` beside them) that the mirror
/// `rust` holds as one member of their union, on `target`.
pub fn read_as_members(
    layout: &Layout,
    classes: &[(TypeClass, String)],
    record: Option<&RecordDef>,
    records: &[RecordDef],
    rust: &RustLayout,
    target: Target,
) -> Vec<ReadAsMember> {
    let Some(record) = record else { return Vec::new() };
    layout
        .fields
        .iter()
        .enumerate()
        .filter(|(index, field)| {
            field.bit_width.is_none() && matches!(classes.get(*index), Some((TypeClass::Record, _)))
        })
        .filter_map(|(index, field)| {
            let member = record.members.iter().find(|m| m.name.as_deref() == Some(field.name.as_str()))?;
            let TypeRef::Record(id) = member.ty else { return None };
            let union = records.get(id).filter(|r| r.kind == Kind::Union)?;
            // The Rust field of its name, or else the one where it lies.
            let at = rust
                .layout
                .fields
                .iter()
                .position(|rf| same_name(&rf.name, &field.name))
                .or_else(|| rust.layout.fields.iter().position(|rf| rf.offset == field.offset && rf.size > 0))?;
            let (rust_field, (rust_class, _)) = (&rust.layout.fields[at], rust.fields.get(at)?);
            if rust_field.size != field.size || matches!(rust_class, TypeClass::Record) {
                return None;
            }
            let held = union.members.iter().find_map(|m| {
                let class = c_class(&m.ty, IntegerKind::of(m), &m.ty_text, records, target);
                (m.name.is_some() && class.agrees_with(rust_class)).then_some((m, class))
            })?;
            let (held, class) = held;
            let held_name = held.name.as_deref().unwrap_or_default();
            let others: Vec<String> = union
                .members
                .iter()
                .filter_map(|m| m.name.as_deref())
                .filter(|name| *name != held_name)
                .map(|name| format!("`{name}`"))
                .collect();
            let shared = match others.len() {
                0 => String::new(),
                1 => format!("; {} shares its bytes", others[0]),
                _ => format!("; {} share its bytes", others.join(", ")),
            };
            // `union {…}` says it is one; a name (`data_t`) does not.
            let union = if field.ty.starts_with("union") { "" } else { ", a union" };
            let note = format!(
                "`{}` (`{}`{union}) is held as its member `{held_name}` (`{}`) by `{}` on {}{shared}",
                field.name,
                field.ty,
                held.ty_text,
                rust_field.name,
                target.triple()
            );
            Some(ReadAsMember { field: index, class, note })
        })
        .collect()
}
