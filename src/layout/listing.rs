//! A pahole-style listing of a layout: one line per member with its offset
//! and size, the holes called out where they are, and the totals.

use std::fmt::Write as _;

use super::{Field, Layout, PaddingKind};

const CACHE_LINE: u64 = 64;

/// `float[3]` + `weights` → `float weights[3]`; `int (*)(…)` + `compare`
/// → `int (*compare)(…)`, and an array of such pointers `int (*compare[2])(…)`.
pub fn member_declaration(field: &Field) -> String {
    let name = field.name.trim_start_matches("r#");
    let bits = field.bit_width.map(|w| format!(":{w}")).unwrap_or_default();
    if let Some(at) = field.ty.find("(*)") {
        let (returns, rest) = (&field.ty[..at], &field.ty[at + "(*)".len()..]);
        let (parameters, dimensions) = rest.find('[').map_or((rest, ""), |d| rest.split_at(d));
        return format!("{returns}(*{name}{dimensions}){parameters}{bits}");
    }
    // `char *name`, as C is written: a pointer's star goes with the name.
    let (element, dimensions) = field.ty.split_at(field.ty.find('[').unwrap_or(field.ty.len()));
    let element = element.trim_end();
    let space = if element.ends_with('*') { "" } else { " " };
    format!("{element}{space}{name}{dimensions}{bits}")
}

pub fn pahole_listing(layout: &Layout) -> String {
    let mut out = String::new();
    // Names from C text already say `struct x`; exhibit names do not.
    let keyword = layout.kind.keyword();
    let title = if layout.name.starts_with(&format!("{keyword} ")) {
        layout.name.clone()
    } else {
        format!("{keyword} {}", layout.name)
    };
    let _ = writeln!(out, "{title} {{");
    let padding = layout.padding();
    for (index, field) in layout.fields.iter().enumerate() {
        // Before the first member after the hole: an anonymous union's
        // members (flattened here) all start where it does.
        let first_there = index == 0 || layout.fields[index - 1].offset != field.offset;
        let hole = padding.iter().find(|p| p.kind == PaddingKind::Hole && p.offset + p.size == field.offset);
        if let Some(hole) = hole.filter(|_| first_there) {
            let _ = writeln!(
                out,
                "\n\t/* XXX {} byte{} hole, try to pack */\n",
                hole.size,
                if hole.size == 1 { "" } else { "s" }
            );
        }
        let position = match field.bit_offset {
            Some(bit) => format!("{:>5}:{:<2}{:>4}", bit / 8, bit % 8, field.size),
            None => format!("{:>5} {:>5}", field.offset, field.size),
        };
        let _ = writeln!(out, "\t{:<42} /* {position} */", format!("{};", member_declaration(field)));
    }
    let holes: Vec<_> = padding.iter().filter(|p| p.kind == PaddingKind::Hole).collect();
    if let Some(tail) = padding.iter().find(|p| p.kind == PaddingKind::Tail) {
        let _ = writeln!(out, "\n\t/* padding: {} */", tail.size);
    }
    let members: u64 = layout.size - layout.padding_bytes();
    let cachelines = layout.size.div_ceil(CACHE_LINE);
    let _ =
        writeln!(out, "\n\t/* size: {}, cachelines: {cachelines}, members: {} */", layout.size, layout.fields.len());
    let hole_bytes: u64 = holes.iter().map(|h| h.size).sum();
    if holes.is_empty() {
        let _ = writeln!(out, "\t/* sum members: {members} */");
    } else {
        let _ = writeln!(out, "\t/* sum members: {members}, holes: {}, sum holes: {hole_bytes} */", holes.len());
    }
    let last = layout.size % CACHE_LINE;
    if last != 0 {
        let _ = writeln!(out, "\t/* last cacheline: {last} bytes */");
    }
    let _ = writeln!(out, "}};");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Kind;

    fn field(name: &str, ty: &str, offset: u64, size: u64, align: u64) -> Field {
        Field { name: name.into(), ty: ty.into(), offset, size, align, bit_offset: None, bit_width: None }
    }

    #[test]
    fn lists_members_holes_and_totals_as_pahole_does() {
        let layout = Layout {
            name: "PackedData".into(),
            kind: Kind::Struct,
            size: 16,
            align: 8,
            fields: vec![
                field("flag", "uint8_t", 0, 1, 1),
                field("value", "uint32_t", 4, 4, 4),
                field("timestamp", "uint64_t", 8, 8, 8),
            ],
        };
        let listing = pahole_listing(&layout);
        assert!(listing.starts_with("struct PackedData {\n"), "{listing}");
        assert!(listing.contains("\tuint8_t flag;"), "{listing}");
        assert!(listing.contains("/* XXX 3 bytes hole, try to pack */"), "{listing}");
        assert!(listing.contains("/*     4     4 */"), "{listing}");
        assert!(listing.contains("/* size: 16, cachelines: 1, members: 3 */"), "{listing}");
        assert!(listing.contains("/* sum members: 13, holes: 1, sum holes: 3 */"), "{listing}");
        assert!(listing.trim_end().ends_with("};"));
    }

    #[test]
    fn a_hole_before_an_anonymous_unions_members_is_listed_once() {
        // struct { int a; union { char b; long c; }; }
        let layout = Layout {
            name: "nested".into(),
            kind: Kind::Struct,
            size: 16,
            align: 8,
            fields: vec![field("a", "int", 0, 4, 4), field("b", "char", 8, 1, 1), field("c", "long", 8, 8, 8)],
        };
        let listing = pahole_listing(&layout);
        assert_eq!(listing.matches("XXX").count(), 1, "{listing}");
        assert!(listing.contains("/* sum members: 12, holes: 1, sum holes: 4 */"), "{listing}");
    }

    #[test]
    fn arrays_are_declared_the_c_way() {
        assert_eq!(member_declaration(&field("weights", "float[3]", 4, 12, 4)), "float weights[3]");
    }

    #[test]
    fn a_pointers_star_goes_with_its_name() {
        assert_eq!(member_declaration(&field("names", "char **", 0, 8, 8)), "char **names");
        assert_eq!(member_declaration(&field("slots", "void *[4]", 0, 32, 8)), "void *slots[4]");
    }

    #[test]
    fn function_pointers_are_declared_the_c_way() {
        assert_eq!(member_declaration(&field("compare", "int (*)(…)", 0, 8, 8)), "int (*compare)(…)");
        assert_eq!(member_declaration(&field("handlers", "void (*)(…)[4]", 0, 32, 8)), "void (*handlers[4])(…)");
    }
}
