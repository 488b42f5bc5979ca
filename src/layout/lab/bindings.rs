//! Bindings for a parsed type, in the languages that meet C at the boundary:
//! Rust with compile-time guards per target, C `_Static_assert` guards, Go
//! with explicit padding, and Python ctypes. Each says plainly where the
//! language cannot express the C type, and what to do instead.

use std::fmt::Write as _;

use super::abi::Target;
use super::engine::{anonymous_member_in, lay_out_record, member_alignments};
use super::parser::{Declarations, MemberDef, RecordDef, Scalar, TypeRef};
use crate::layout::{Kind, Layout};

/// The `#[cfg]` that selects a target, and the C preprocessor test for it.
pub(crate) fn target_tests(target: Target) -> (&'static str, &'static str) {
    match target {
        Target::X86_64Linux => {
            (r#"all(target_arch = "x86_64", target_os = "linux")"#, "defined(__x86_64__) && defined(__linux__)")
        }
        Target::I686Linux => {
            (r#"all(target_arch = "x86", target_os = "linux")"#, "defined(__i386__) && defined(__linux__)")
        }
        Target::Aarch64Linux => {
            (r#"all(target_arch = "aarch64", target_os = "linux")"#, "defined(__aarch64__) && defined(__linux__)")
        }
        Target::Armv7Linux => {
            (r#"all(target_arch = "arm", target_os = "linux")"#, "defined(__arm__) && defined(__linux__)")
        }
        Target::X86_64Windows => (
            r#"all(target_arch = "x86_64", target_os = "windows")"#,
            "defined(_M_X64) || (defined(__x86_64__) && defined(_WIN64))",
        ),
    }
}

/// A Rust identifier for a C type name: `struct stat` → `stat`.
pub fn rust_name(c_name: &str) -> String {
    c_name.trim_start_matches("struct ").trim_start_matches("union ").replace(' ', "_")
}

/// Records nested inside one another are named at most this deep.
const MAX_NAMING_DEPTH: usize = 32;

/// A name for every record of `records`, as the bindings declare it: a
/// named one by its tag or typedef; one with no name after the member that
/// holds it, `packet_u` for `union { … } u` and `packet_anon_1` for the
/// first anonymous member of `packet`.
fn type_names(records: &[RecordDef]) -> Vec<String> {
    let mut names: Vec<Option<String>> = records.iter().map(|r| r.reported.then(|| rust_name(&r.name))).collect();
    for id in 0..records.len() {
        if records[id].reported {
            name_unnamed_inside(records, &mut names, id, 0);
        }
    }
    let fallback = |r: &RecordDef| r.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    names.into_iter().zip(records).map(|(name, r)| name.unwrap_or_else(|| fallback(r))).collect()
}

fn name_unnamed_inside(records: &[RecordDef], names: &mut [Option<String>], id: usize, depth: usize) {
    let Some(parent) = names[id].clone() else { return };
    for (member, field) in records[id].members.iter().zip(field_names(&records[id])) {
        let (&TypeRef::Record(inner), Some(field)) = (member.ty.element(), field) else { continue };
        if names[inner].is_some() || records[inner].reported {
            continue;
        }
        names[inner] = Some(format!("{parent}_{field}"));
        if depth < MAX_NAMING_DEPTH {
            name_unnamed_inside(records, names, inner, depth + 1);
        }
    }
}

/// Each member's field name in the bindings, in C's spelling: its own, or
/// `anon_1`, `anon_2`… for anonymous members; `None` for an unnamed bitfield.
fn field_names(record: &RecordDef) -> Vec<Option<String>> {
    let mut anonymous = 0;
    let name = |member: &MemberDef| match (&member.name, member.bit_width) {
        (Some(name), _) => Some(name.clone()),
        (None, None) => {
            anonymous += 1;
            Some(format!("anon_{anonymous}"))
        }
        (None, Some(_)) => None,
    };
    record.members.iter().map(name).collect()
}

/// Each anonymous member of `record` on `target`: its index among the
/// members, where it lies in `layout` (which lists its fields in place), and
/// its size.
fn anonymous_members(
    declarations: &Declarations,
    record: &RecordDef,
    layout: &Layout,
    target: Target,
) -> Vec<(usize, u64, u64)> {
    let anonymous = record.members.iter().enumerate().filter(|(_, m)| m.name.is_none() && m.bit_width.is_none());
    anonymous
        .filter_map(|(index, member)| {
            let TypeRef::Record(id) = member.ty else { return None };
            let (offset, inner) = anonymous_member_in(declarations, id, layout, target)?;
            Some((index, offset, inner.size))
        })
        .collect()
}

/// Rust's keywords, strict and reserved (2024 edition): a C member of one of
/// these names cannot be a Rust field under it.
const RUST_KEYWORDS: [&str; 52] = [
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super",
    "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Go's keywords: cgo puts a `_` before a C member of one of these names.
const GO_KEYWORDS: [&str; 25] = [
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

pub fn is_rust_keyword(name: &str) -> bool {
    RUST_KEYWORDS.contains(&name)
}

/// A C member's name as a Rust field: a keyword takes a `_` after it
/// (`type_`), as bindgen and the libc crate write it.
pub fn rust_field_name(c_name: &str) -> String {
    if is_rust_keyword(c_name) { format!("{c_name}_") } else { c_name.to_owned() }
}

/// A C member's name as cgo gives it to Go: `_type` for `type`.
fn go_field_name(c_name: &str) -> String {
    if GO_KEYWORDS.contains(&c_name) { format!("_{c_name}") } else { c_name.to_owned() }
}

/// The Rust type of a member of type `ty` (written `text`); `u`: the
/// declarations say it is unsigned, through any typedefs.
fn rust_type(ty: &TypeRef, text: &str, u: bool, names: &[String]) -> String {
    match ty {
        TypeRef::Scalar(scalar) => {
            let u = u || matches!(scalar, Scalar::GnuEnum { unsigned: true, .. });
            match scalar {
                Scalar::Bool => "bool".into(),
                Scalar::Char => if u { "u8" } else { "core::ffi::c_char" }.into(),
                Scalar::Short | Scalar::I16 | Scalar::GnuEnum { bytes: 2, .. } => if u { "u16" } else { "i16" }.into(),
                Scalar::Int | Scalar::I32 => if u { "u32" } else { "i32" }.into(),
                Scalar::Long => if u { "core::ffi::c_ulong" } else { "core::ffi::c_long" }.into(),
                Scalar::I8 | Scalar::GnuEnum { bytes: 1, .. } => if u { "u8" } else { "i8" }.into(),
                // A wide enum's 8 bytes (GCC makes no other width beyond an `int`'s).
                Scalar::LongLong | Scalar::I64 | Scalar::GnuEnum { .. } => if u { "u64" } else { "i64" }.into(),
                Scalar::Float => "f32".into(),
                Scalar::Double => "f64".into(),
                // Rust has no long double: its bytes, as the target stores them.
                Scalar::LongDouble => "LongDouble".into(),
                Scalar::Pointer | Scalar::Void => "*mut core::ffi::c_void".into(),
                Scalar::PointerSized => if u { "usize" } else { "isize" }.into(),
                Scalar::WChar => "WChar".into(),
                Scalar::Int128 | Scalar::RustI128 => if u { "u128" } else { "i128" }.into(),
                // Neither has a Rust type that matches C's on every target: their bytes.
                Scalar::Float128 => "[u8; 16]".into(),
                Scalar::Float16 => "[u8; 2]".into(),
                Scalar::VaList => "VaList".into(),
            }
        }
        TypeRef::Array(element, count) => {
            let inner = text.split('[').next().unwrap_or(text);
            format!("[{}; {}]", rust_type(element, inner, u, names), count.unwrap_or(0))
        }
        TypeRef::Record(id) => names.get(*id).map_or_else(|| "()".into(), Clone::clone),
    }
}

/// What keeps a record from being declared as it is in Rust.
fn rust_limits(record: &RecordDef) -> Vec<String> {
    let mut limits = Vec::new();
    if record.members.iter().any(|m| m.bit_width.is_some()) {
        limits.push(
            "Rust has no bitfields: each run of bitfields is its storage integer; read them with shifts and masks."
                .to_owned(),
        );
    }
    if record.members.iter().any(|m| matches!(m.ty, TypeRef::Scalar(Scalar::GnuEnum { .. }))) {
        limits.push(
            "a packed or wide enum is as GCC stores it: MSVC stores every enum in a 4-byte int, so on Windows the layout differs."
                .to_owned(),
        );
    }
    if (record.packed || record.pack.is_some()) && record.aligned.is_some() {
        limits.push("packed and aligned together are errors E0587/E0588 in Rust: wrap the packed struct in a #[repr(C, align(N))] newtype.".to_owned());
    }
    limits
}

/// Rust declarations of `record` and its guards on every target laid out.
pub fn rust_binding(declarations: &Declarations, names: &[String], id: usize, layouts: &[(Target, Layout)]) -> String {
    let mut out = String::new();
    let record = &declarations.records[id];
    let name = &names[id];
    if !record.reported {
        let unnamed = record.name.trim_matches(['(', ')', '<', '>']);
        let _ = writeln!(out, "// C's {unnamed}, which has no name: Rust types need one.");
    }
    for limit in rust_limits(record) {
        let _ = writeln!(out, "// NOTE: {limit}");
    }
    let mut repr = vec!["C".to_owned()];
    match (record.packed, record.pack) {
        (true, _) | (false, Some(1)) => repr.push("packed".into()),
        (false, Some(n)) => repr.push(format!("packed({n})")),
        _ => {}
    }
    if let Some(align) = record.aligned.filter(|_| repr.len() == 1) {
        repr.push(format!("align({align})"));
    }
    // `Copy`, as C's types are: a struct inside a union must be, and every field type here is.
    let _ = writeln!(out, "#[repr({})]\n#[derive(Clone, Copy)]\n#[allow(non_camel_case_types)]", repr.join(", "));
    let keyword = if record.kind == Kind::Union { "union" } else { "struct" };
    let _ = writeln!(out, "pub {keyword} {name} {{");
    let mut bitfield_runs = 0;
    let mut in_run = false;
    let fields = field_names(record);
    for (member, field) in record.members.iter().zip(&fields) {
        match (&member.name, member.bit_width) {
            (_, Some(_)) if !in_run => {
                in_run = true;
                let storage = rust_type(&member.ty, &member.ty_text, member.unsigned, names);
                let _ = writeln!(
                    out,
                    "    pub _bitfields{bitfield_runs}: {storage}, // bitfields, from `{}`",
                    member.name.as_deref().unwrap_or("(unnamed)")
                );
                bitfield_runs += 1;
            }
            (_, Some(_)) => {}
            (Some(field), None) => {
                in_run = false;
                let ty = rust_type(&member.ty, &member.ty_text, member.unsigned, names);
                let _ = writeln!(out, "    pub {}: {ty},", rust_field_name(field));
            }
            (None, None) => {
                in_run = false;
                let ty = rust_type(&member.ty, &member.ty_text, member.unsigned, names);
                let _ =
                    writeln!(out, "    pub {}: {ty}, // C's anonymous member", field.as_deref().unwrap_or_default());
            }
        }
    }
    let _ = writeln!(out, "}}");
    let checkable = !record.members.iter().any(|m| m.bit_width.is_some());
    for (target, layout) in layouts {
        let (cfg, _) = target_tests(*target);
        let _ = writeln!(out, "\n#[cfg({cfg})]\nconst _: () = {{");
        if checkable {
            let _ = writeln!(out, "    assert!(core::mem::size_of::<{name}>() == {});", layout.size);
            let _ = writeln!(out, "    assert!(core::mem::align_of::<{name}>() == {});", layout.align);
            let anonymous = anonymous_members(declarations, record, layout, *target);
            for (index, (member, field)) in record.members.iter().zip(&fields).enumerate() {
                let Some(field) = field else { continue };
                let offset = match member.name {
                    Some(_) => layout.field(field).map(|f| f.offset),
                    None => anonymous.iter().find(|a| a.0 == index).map(|a| a.1),
                };
                if let Some(offset) = offset {
                    let field = rust_field_name(field);
                    let _ = writeln!(out, "    assert!(core::mem::offset_of!({name}, {field}) == {offset});");
                }
            }
        } else {
            let _ = writeln!(out, "    // Offsets of bitfields cannot be asked of rustc.");
        }
        let _ = writeln!(out, "}};");
    }
    out
}

/// `_Static_assert` guards for `layout` on each target.
pub fn c_guards(record: &RecordDef, layouts: &[(Target, Layout)]) -> String {
    let mut out = String::new();
    let ty = &record.name;
    for (target, layout) in layouts {
        let (_, test) = target_tests(*target);
        let _ = writeln!(out, "#if {test} /* {} */", target.triple());
        let _ = writeln!(out, "_Static_assert(sizeof({ty}) == {}, \"{ty}: size\");", layout.size);
        let _ = writeln!(out, "_Static_assert(_Alignof({ty}) == {}, \"{ty}: alignment\");", layout.align);
        for field in layout.fields.iter().filter(|f| f.bit_width.is_none()) {
            let _ = writeln!(
                out,
                "_Static_assert(offsetof({ty}, {0}) == {1}, \"{ty}: offset of {0}\");",
                field.name, field.offset
            );
        }
        let _ = writeln!(out, "#endif");
    }
    out
}

fn ctypes_type(ty: &TypeRef, text: &str, u: bool, names: &[String]) -> String {
    match ty {
        TypeRef::Scalar(scalar) => {
            let u = u || matches!(scalar, Scalar::GnuEnum { unsigned: true, .. });
            let base = match scalar {
                Scalar::Bool => "c_bool",
                Scalar::Char | Scalar::I8 | Scalar::GnuEnum { bytes: 1, .. } => {
                    if u {
                        "c_uint8"
                    } else {
                        "c_char"
                    }
                }
                Scalar::Short | Scalar::I16 | Scalar::GnuEnum { bytes: 2, .. } => {
                    if u {
                        "c_uint16"
                    } else {
                        "c_int16"
                    }
                }
                Scalar::Int | Scalar::I32 => {
                    if u {
                        "c_uint32"
                    } else {
                        "c_int32"
                    }
                }
                Scalar::Long => {
                    if u {
                        "c_ulong"
                    } else {
                        "c_long"
                    }
                }
                Scalar::LongLong | Scalar::I64 | Scalar::GnuEnum { .. } => {
                    if u {
                        "c_uint64"
                    } else {
                        "c_int64"
                    }
                }
                Scalar::Float => "c_float",
                Scalar::Double => "c_double",
                Scalar::LongDouble => "c_longdouble",
                Scalar::Pointer | Scalar::Void => "c_void_p",
                Scalar::PointerSized => {
                    if u {
                        "c_size_t"
                    } else {
                        "c_ssize_t"
                    }
                }
                Scalar::WChar => "c_wchar",
                Scalar::Int128 | Scalar::RustI128 | Scalar::Float128 | Scalar::Float16 | Scalar::VaList => "c_ubyte",
            };
            format!("ctypes.{base}")
        }
        TypeRef::Array(element, count) => {
            let inner = text.split('[').next().unwrap_or(text);
            format!("({}) * {}", ctypes_type(element, inner, u, names), count.unwrap_or(0))
        }
        TypeRef::Record(id) => names.get(*id).map_or_else(|| "None".into(), Clone::clone),
    }
}

/// A Python ctypes class, with the version traps that bite it.
pub fn ctypes_binding(record: &RecordDef, names: &[String], id: usize) -> String {
    let mut out = String::new();
    let base = if record.kind == Kind::Union { "ctypes.Union" } else { "ctypes.Structure" };
    let _ = writeln!(out, "class {}({base}):", names[id]);
    if record.members.iter().any(|m| m.bit_width.is_some()) {
        let _ = writeln!(
            out,
            "    # Bitfields: before Python 3.14 ctypes lays them out its own way; check ctypes.sizeof against C."
        );
        let _ = writeln!(out, "    # From 3.14, name the rules: _layout_ = \"gcc-sysv\" (or \"ms\" for Windows).");
    }
    if let Some(pack) = record.pack.or(record.packed.then_some(1)) {
        let _ =
            writeln!(out, "    # _pack_ switches ctypes to the Microsoft layout rules on Linux too: watch bitfields.");
        let _ = writeln!(out, "    _pack_ = {pack}");
    }
    if let Some(align) = record.aligned {
        let _ = writeln!(out, "    # _align_ is ignored before Python 3.13.");
        let _ = writeln!(out, "    _align_ = {align}");
    }
    let fields = field_names(record);
    let anonymous: Vec<String> = record
        .members
        .iter()
        .zip(&fields)
        .filter_map(|(member, field)| field.as_ref().filter(|_| member.name.is_none()))
        .map(|field| format!("\"{field}\", "))
        .collect();
    if !anonymous.is_empty() {
        // ctypes reaches an anonymous member's fields through the outer type, as C does.
        let _ = writeln!(out, "    _anonymous_ = ({})", anonymous.concat().trim_end());
    }
    let _ = writeln!(out, "    _fields_ = [");
    for (member, name) in record.members.iter().zip(fields) {
        let Some(name) = name else { continue };
        let ty = ctypes_type(&member.ty, &member.ty_text, member.unsigned, names);
        match member.bit_width {
            Some(width) => {
                let _ = writeln!(out, "        (\"{name}\", {ty}, {width}),");
            }
            None => {
                let _ = writeln!(out, "        (\"{name}\", {ty}),");
            }
        }
    }
    let _ = writeln!(out, "    ]");
    out
}

fn go_type(size: u64, ty: &TypeRef) -> String {
    match (ty, size) {
        (TypeRef::Scalar(Scalar::Float), _) => "float32".into(),
        (TypeRef::Scalar(Scalar::Double), _) => "float64".into(),
        (TypeRef::Scalar(Scalar::Pointer | Scalar::Void), _) => "unsafe.Pointer".into(),
        (TypeRef::Scalar(_), 1) => "uint8".into(),
        (TypeRef::Scalar(_), 2) => "int16".into(),
        (TypeRef::Scalar(_), 4) => "int32".into(),
        (TypeRef::Scalar(_), 8) => "int64".into(),
        _ => format!("[{size}]byte"),
    }
}

/// A Go struct with its padding explicit, and what cgo would leave out.
pub fn go_binding(declarations: &Declarations, names: &[String], id: usize, on: (Target, &Layout)) -> String {
    let (target, layout) = on;
    let record = &declarations.records[id];
    let mut out = String::new();
    let mut dropped = Vec::new();
    let _ = writeln!(out, "type {} struct {{", names[id]);
    if record.kind == Kind::Union {
        let _ = writeln!(out, "\t// a union: cgo gives it as a byte array of its size");
        let _ = writeln!(out, "\tbytes [{}]byte\n}}", layout.size);
        return out;
    }
    let anonymous = anonymous_members(declarations, record, layout, target);
    let fields = field_names(record);
    let mut at = 0;
    for (index, (member, field)) in record.members.iter().zip(&fields).enumerate() {
        let Some(field) = field.as_deref().filter(|_| member.bit_width.is_none()) else { continue };
        // A named member by its field in the layout; an anonymous one as the bytes it spans.
        let (offset, size, ty) = if member.name.is_some() {
            let Some(placed) = layout.field(field) else { continue };
            if placed.is_misaligned() {
                dropped.push(format!("{field}: misaligned (offset {}, wants {})", placed.offset, placed.align));
            }
            (placed.offset, placed.size, go_type(placed.size, &member.ty))
        } else {
            let Some(&(_, offset, size)) = anonymous.iter().find(|a| a.0 == index) else { continue };
            (offset, size, format!("[{size}]byte // C's anonymous member"))
        };
        let name = go_field_name(field);
        if offset > at {
            let _ = writeln!(out, "\t_ [{}]byte // padding", offset - at);
        }
        let _ = writeln!(out, "\t{name} {ty}");
        at = offset + size;
    }
    if layout.size > at {
        let _ = writeln!(out, "\t_ [{}]byte // tail padding", layout.size - at);
    }
    let _ = writeln!(out, "}}");
    for member in record.members.iter().filter(|m| m.bit_width.is_some()) {
        dropped.push(format!("{}: a bitfield", member.name.as_deref().unwrap_or("(unnamed)")));
    }
    if !dropped.is_empty() {
        let _ = writeln!(out, "// cgo leaves these out of the Go struct: {}", dropped.join("; "));
    }
    out
}

/// The member order that makes the struct smallest on `target`: by
/// alignment, largest first, as pahole --reorganize does. `None` for unions
/// and records with bitfields or anonymous members, whose order cannot move
/// freely. A flexible array member stays last.
pub fn reordered(declarations: &Declarations, record: &RecordDef, target: Target) -> Option<RecordDef> {
    let movable =
        record.kind == Kind::Struct && record.members.iter().all(|m| m.bit_width.is_none() && m.name.is_some());
    if !movable {
        return None;
    }
    let aligns = member_alignments(declarations, record, target);
    let mut members: Vec<(u64, MemberDef)> = aligns.into_iter().zip(record.members.iter().cloned()).collect();
    let flexible = members.last().is_some_and(|(_, m)| matches!(m.ty, TypeRef::Array(_, None)));
    let last = if flexible { members.pop() } else { None };
    // Stable: members of equal alignment keep their written order.
    members.sort_by_key(|(align, _)| std::cmp::Reverse(*align));
    members.extend(last);
    Some(RecordDef { members: members.into_iter().map(|(_, m)| m).collect(), ..record.clone() })
}

/// Type aliases the Rust bindings lean on, per target.
pub const RUST_PRELUDE: &str = "#![allow(dead_code, non_camel_case_types)]\n\
/// `long double` has no Rust type: its bytes, as each target stores them.\n\
#[cfg(all(target_arch = \"x86_64\", target_os = \"linux\"))] #[repr(C, align(16))] #[derive(Clone, Copy)] pub struct LongDouble([u8; 16]);\n\
#[cfg(target_arch = \"aarch64\")] #[repr(C, align(16))] #[derive(Clone, Copy)] pub struct LongDouble([u8; 16]);\n\
#[cfg(target_arch = \"x86\")] #[repr(C, align(4))] #[derive(Clone, Copy)] pub struct LongDouble([u8; 12]);\n\
#[cfg(any(target_arch = \"arm\", target_os = \"windows\"))] pub type LongDouble = f64;\n\
#[cfg(target_os = \"windows\")] pub type WChar = u16;\n\
#[cfg(not(target_os = \"windows\"))] pub type WChar = u32;\n";

/// Everything a record needs declared before it, then the record: by value only.
fn dependencies(declarations: &Declarations, id: usize, order: &mut Vec<usize>) {
    if order.contains(&id) || order.len() > declarations.records.len() {
        return;
    }
    let record = &declarations.records[id];
    for member in &record.members {
        if let TypeRef::Record(inner) = member.ty.element()
            && *inner != id
        {
            dependencies(declarations, *inner, order);
        }
    }
    order.push(id);
}

/// All bindings for one type, on the targets laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bindings {
    pub rust: String,
    pub c_guards: String,
    pub go: String,
    pub ctypes: String,
}

/// Bindings for the type named `name`, its by-value dependencies first.
/// `layouts` holds every type's layout for each target.
pub fn bindings(declarations: &Declarations, name: &str, layouts: &[(Target, Vec<Layout>)]) -> Option<Bindings> {
    let id = declarations.records.iter().position(|r| r.name == name)?;
    let mut order = Vec::new();
    dependencies(declarations, id, &mut order);
    let mut out = Bindings {
        rust: String::new(),
        c_guards: String::new(),
        go: String::new(),
        ctypes: "import ctypes\n\n".into(),
    };
    let names = type_names(&declarations.records);
    for id in order {
        let record = &declarations.records[id];
        // A record with no name of its own is laid out here: only named ones are in `layouts`.
        let per_target: Vec<(Target, Layout)> = layouts
            .iter()
            .filter_map(|(t, ls)| match ls.iter().find(|l| l.name == record.name) {
                Some(layout) => Some((*t, layout.clone())),
                None if !record.reported => lay_out_record(declarations, id, *t).ok().map(|l| (*t, l)),
                None => None,
            })
            .collect();
        out.rust.push_str(&rust_binding(declarations, &names, id, &per_target));
        out.rust.push('\n');
        if record.reported {
            // C names no unnamed type: its fields are guarded through the type that holds it.
            out.c_guards.push_str(&c_guards(record, &per_target));
        }
        if let Some((target, layout)) = per_target.first() {
            out.go.push_str(&go_binding(declarations, &names, id, (*target, layout)));
        }
        out.ctypes.push_str(&ctypes_binding(record, &names, id));
        out.ctypes.push('\n');
    }
    Some(out)
}
