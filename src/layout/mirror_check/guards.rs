//! The asserts that keep a mirror right: for each target where C has the
//! type, a cfg-gated `const _: () = { assert!(…); }` of C's size, alignment
//! and every field's offset and size, and of each constant's value, to
//! paste beside the Rust mirror; and the same numbers as C
//! `_Static_assert`s, to keep the header from moving under it.

use std::fmt::Write as _;

use super::MirrorReport;
use super::diff::{is_opaque, same_name};
use super::rust_model::emulated_union_member;
use super::rust_reader::{RustFile, field_as_written};
use crate::layout::lab::bindings::target_tests;
use crate::layout::lab::verify::c_integer;

/// Rust guards for every pair of `report`, with C's numbers.
pub fn rust_guards(report: &MirrorReport, file: &RustFile) -> String {
    let mut out = String::new();
    for pair in &report.pairs {
        let ty = &pair.rust;
        for on in &pair.targets {
            let Some(c) = &on.c else { continue };
            let (cfg, _) = target_tests(on.target);
            let _ = writeln!(out, "// `{}` as {}'s C compiler lays it out.", pair.c, on.target.triple());
            let _ = writeln!(out, "#[cfg({cfg})]\nconst _: () = {{");
            let _ = writeln!(out, "    assert!(core::mem::size_of::<{ty}>() == {});", c.size);
            let _ = writeln!(out, "    assert!(core::mem::align_of::<{ty}>() == {});", c.align);
            let item = file.items.iter().find(|i| i.name == *ty && i.cfg.as_ref().is_none_or(|c| c.holds(on.target)));
            if on.rust.as_ref().is_some_and(is_opaque) {
                let _ = writeln!(out, "    // Opaque in the mirror: C's fields have no Rust fields to guard.\n}};\n");
                continue;
            }
            let mut guarded_anonymous: Vec<&str> = Vec::new();
            for field in &c.fields {
                // A field inside an anonymous member: the mirror's field for the member is guarded whole.
                if let Some(member) = on.anonymous.iter().find(|m| m.c_fields.contains(&field.name)) {
                    if !guarded_anonymous.contains(&member.rust_field.as_str()) {
                        guarded_anonymous.push(&member.rust_field);
                        let name = field_as_written(&member.rust_field);
                        let _ = writeln!(out, "    assert!(core::mem::offset_of!({ty}, {name}) == {});", member.offset);
                        let _ = writeln!(
                            out,
                            "    assert!(core::mem::size_of::<{}>() == {});",
                            member.rust_type, member.size
                        );
                    }
                    continue;
                }
                if field.bit_width.is_some() {
                    continue;
                }
                let written = item.and_then(|i| {
                    i.fields
                        .iter()
                        .find(|f| same_name(&f.name, &field.name) && f.cfg.as_ref().is_none_or(|c| c.holds(on.target)))
                });
                match written {
                    Some(rust_field) => {
                        let name = field_as_written(&rust_field.name);
                        let _ = writeln!(out, "    assert!(core::mem::offset_of!({ty}, {name}) == {});", field.offset);
                        if emulated_union_member(&rust_field.ty).is_some() {
                            continue; // bindgen's zero-sized union marker: its member has no size here
                        }
                        let _ = writeln!(
                            out,
                            "    assert!(core::mem::size_of::<{}>() == {});",
                            rust_field.text, field.size
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "    // C has `{}` at offset {} ({} bytes), which the mirror lacks.",
                            field.name, field.offset, field.size
                        );
                    }
                }
            }
            let _ = writeln!(out, "}};\n");
        }
    }
    constant_guards(report, &mut out);
    out
}

/// A cfg-gated assert of each constant's value, the targets that share a
/// value under one `any(…)`; compared in `i128`, which holds every
/// integer type's values and an enum's variant cast to it.
fn constant_guards(report: &MirrorReport, out: &mut String) {
    for constant in &report.constants {
        let name = &constant.rust;
        for (value, targets) in constant.targets_by_value(|on| on.expected) {
            let cfgs: Vec<&str> = targets.iter().map(|&t| target_tests(t).0).collect();
            let cfg = if cfgs.len() == 1 { cfgs[0].to_owned() } else { format!("any({})", cfgs.join(", ")) };
            let _ = writeln!(out, "#[cfg({cfg})]\nconst _: () = assert!({name} as i128 == {value});");
        }
    }
}

/// C `_Static_assert`s for every pair of `report`, with C's numbers.
pub fn c_guards(report: &MirrorReport) -> String {
    let mut out = String::from("#include <stddef.h>\n\n");
    for pair in &report.pairs {
        let ty = &pair.c;
        for on in &pair.targets {
            let Some(c) = &on.c else { continue };
            let (_, test) = target_tests(on.target);
            let triple = on.target.triple();
            let _ = writeln!(out, "#if {test}");
            let _ = writeln!(out, "_Static_assert(sizeof({ty}) == {}, \"{ty}: size on {triple}\");", c.size);
            let _ = writeln!(out, "_Static_assert(_Alignof({ty}) == {}, \"{ty}: alignment on {triple}\");", c.align);
            for field in c.fields.iter().filter(|f| f.bit_width.is_none()) {
                let name = &field.name;
                let _ = writeln!(
                    out,
                    "_Static_assert(offsetof({ty}, {name}) == {}, \"{ty}.{name}: offset on {triple}\");",
                    field.offset
                );
            }
            let _ = writeln!(out, "#endif\n");
        }
    }
    for constant in &report.constants {
        let name = &constant.c;
        for (value, targets) in constant.targets_by_value(|on| on.c) {
            let tests: Vec<String> = targets.iter().map(|&t| format!("({})", target_tests(t).1)).collect();
            let value = c_integer(value);
            let _ = writeln!(out, "#if {}", tests.join(" || "));
            let _ = writeln!(out, "_Static_assert(({name}) == {value}, \"{name}: value\");\n#endif");
        }
    }
    out
}
