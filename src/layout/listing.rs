//! A pahole-style listing of a layout: one line per member with its offset
//! and size, the holes called out where they are, and the totals.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Field, Kind, Layout, PaddingKind};

const CACHE_LINE: u64 = 64;

/// Width of the declaration column at the outermost level.
const DECLARATION_WIDTH: usize = 42;

/// The declaration column's width `depth` blocks in: each tab takes 8.
fn declaration_width(depth: usize) -> usize {
    DECLARATION_WIDTH.saturating_sub(8 * depth).max(16)
}

/// An anonymous struct or union member, whose members a layout lists
/// flattened: fields `first_field..first_field + fields`, nested `depth`
/// levels in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnonymousMember {
    pub kind: Kind,
    pub offset: u64,
    pub size: u64,
    pub first_field: usize,
    pub fields: usize,
    pub depth: usize,
}

/// `float[3]` + `weights` → `float weights[3]`; `int (*)(…)` + `compare`
/// → `int (*compare)(…)`, and an array of such pointers `int (*compare[2])(…)`.
pub fn member_declaration(field: &Field) -> String {
    let bits = field.bit_width.map(|w| format!(":{w}")).unwrap_or_default();
    format!("{}{bits}", declaration(&field.ty, field.name.trim_start_matches("r#")))
}

/// The type written `ty` declaring `name`, as C is written: `char *name`,
/// `float name[3]`, `int (*name)(…)`, `double (*name)[3]`; `name` may be a
/// function's name and parameters, `int (*lookup(int n))(…)`.
pub fn declaration(ty: &str, name: &str) -> String {
    if let Some(at) = ty.find("(*)") {
        let (before, rest) = (&ty[..at], &ty[at + "(*)".len()..]);
        if rest.starts_with('[') {
            // A pointer to an array: `double (*grid)[3]`.
            return format!("{before}(*{name}){rest}");
        }
        let (parameters, dimensions) = rest.find('[').map_or((rest, ""), |d| rest.split_at(d));
        return format!("{before}(*{name}{dimensions}){parameters}");
    }
    // A pointer's star goes with the name.
    let (element, dimensions) = ty.split_at(ty.find('[').unwrap_or(ty.len()));
    let element = element.trim_end();
    let space = if element.ends_with('*') { "" } else { " " };
    format!("{element}{space}{name}{dimensions}")
}

pub fn pahole_listing(layout: &Layout) -> String {
    pahole_listing_nested(layout, &[])
}

/// A pahole-style listing with `anonymous` members shown as the blocks
/// they are (`union { … };`), their members indented inside, and each
/// cache line's start marked.
pub fn pahole_listing_nested(layout: &Layout, anonymous: &[AnonymousMember]) -> String {
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
    // Which blocks open and close at each field, and how deep each field
    // lies: one pass over the blocks, not one per field.
    let count = layout.fields.len();
    let mut opens: Vec<Vec<&AnonymousMember>> = vec![Vec::new(); count];
    let mut closes: Vec<Vec<&AnonymousMember>> = vec![Vec::new(); count];
    let mut depth_change = vec![0_isize; count + 1];
    for block in anonymous.iter().filter(|a| a.fields > 0 && a.first_field + a.fields <= count) {
        opens[block.first_field].push(block);
        closes[block.first_field + block.fields - 1].push(block);
        depth_change[block.first_field] += 1;
        depth_change[block.first_field + block.fields] -= 1;
    }
    let mut open_blocks = 0_isize;
    let mut next_line = CACHE_LINE;
    let mut top_level_members = 0;
    for (index, field) in layout.fields.iter().enumerate() {
        let opening = &opens[index];
        open_blocks += depth_change[index];
        let depth = usize::try_from(open_blocks).unwrap_or(0);
        let starts_at = opening.first().map_or(field.offset, |a| a.offset);
        // Before the first member after the hole: an anonymous union's
        // members all start where it does.
        let first_there = index == 0 || layout.fields[index - 1].offset != field.offset;
        let hole = padding.iter().find(|p| p.kind == PaddingKind::Hole && p.offset + p.size == starts_at);
        if let Some(hole) = hole.filter(|_| first_there) {
            let _ = writeln!(
                out,
                "\n\t/* XXX {} byte{} hole, try to pack */\n",
                hole.size,
                if hole.size == 1 { "" } else { "s" }
            );
        }
        if starts_at >= next_line && (first_there || !opening.is_empty()) {
            // The last boundary passed, and how far back when a member before spans it.
            let line = starts_at / CACHE_LINE;
            let boundary = line * CACHE_LINE;
            let ago = match starts_at - boundary {
                0 => String::new(),
                1 => " was 1 byte ago".to_owned(),
                bytes => format!(" was {bytes} bytes ago"),
            };
            let _ = writeln!(out, "\t/* --- cacheline {line} boundary ({boundary} bytes){ago} --- */");
            next_line = boundary + CACHE_LINE;
        }
        top_level_members += usize::from(depth == 0) + usize::from(opening.iter().any(|a| a.depth == 0));
        for block in opening {
            let _ = writeln!(out, "{}{} {{", "\t".repeat(block.depth + 1), block.kind.keyword());
        }
        let position = match field.bit_offset {
            Some(bit) => format!("{:>5}:{:<2}{:>4}", bit / 8, bit % 8, field.size),
            None => format!("{:>5} {:>5}", field.offset, field.size),
        };
        let width = declaration_width(depth);
        let declaration = format!("{};", member_declaration(field));
        let _ = writeln!(out, "{}{declaration:<width$} /* {position} */", "\t".repeat(depth + 1));
        let closing = &mut closes[index];
        closing.sort_by_key(|a| std::cmp::Reverse(a.depth));
        for block in closing.iter() {
            let width = declaration_width(block.depth);
            let _ = writeln!(
                out,
                "{}{:<width$} /* {:>5} {:>5} */",
                "\t".repeat(block.depth + 1),
                "};",
                block.offset,
                block.size
            );
        }
    }
    let holes: Vec<_> = padding.iter().filter(|p| p.kind == PaddingKind::Hole).collect();
    if let Some(tail) = padding.iter().find(|p| p.kind == PaddingKind::Tail) {
        let _ = writeln!(out, "\n\t/* padding: {} */", tail.size);
    }
    let members: u64 = layout.size - layout.padding_bytes();
    let cachelines = layout.size.div_ceil(CACHE_LINE);
    let _ = writeln!(out, "\n\t/* size: {}, cachelines: {cachelines}, members: {top_level_members} */", layout.size);
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

    fn structure(name: &str, size: u64, align: u64, fields: Vec<Field>) -> Layout {
        Layout { name: name.into(), kind: Kind::Struct, size, align, fields }
    }

    #[test]
    fn lists_members_holes_and_totals_as_pahole_does() {
        let layout = structure(
            "PackedData",
            16,
            8,
            vec![
                field("flag", "uint8_t", 0, 1, 1),
                field("value", "uint32_t", 4, 4, 4),
                field("timestamp", "uint64_t", 8, 8, 8),
            ],
        );
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
        let layout = structure(
            "nested",
            16,
            8,
            vec![field("a", "int", 0, 4, 4), field("b", "char", 8, 1, 1), field("c", "long", 8, 8, 8)],
        );
        let listing = pahole_listing(&layout);
        assert_eq!(listing.matches("XXX").count(), 1, "{listing}");
        assert!(listing.contains("/* sum members: 12, holes: 1, sum holes: 4 */"), "{listing}");
    }

    #[test]
    fn anonymous_members_are_nested_and_cache_lines_marked_as_pahole_does() {
        // struct { char a; union { int i; float f; }; char pad[70]; long tail; }
        let layout = structure(
            "nested",
            88,
            8,
            vec![
                field("a", "char", 0, 1, 1),
                field("i", "int", 4, 4, 4),
                field("f", "float", 4, 4, 4),
                field("pad", "char[70]", 8, 70, 1),
                field("tail", "long", 80, 8, 8),
            ],
        );
        let union = AnonymousMember { kind: Kind::Union, offset: 4, size: 4, first_field: 1, fields: 2, depth: 0 };
        let listing = pahole_listing_nested(&layout, &[union]);
        let expected = "\tunion {\n\t\tint i;                             /*     4     4 */\n\
                        \t\tfloat f;                           /*     4     4 */\n\
                        \t};                                         /*     4     4 */\n";
        assert!(listing.contains(expected), "{listing}");
        assert!(
            listing.contains("/* --- cacheline 1 boundary (64 bytes) was 16 bytes ago --- */\n\tlong tail;"),
            "{listing}"
        );
        assert!(listing.contains("members: 4 */"), "a, the union, pad and tail: {listing}");
        assert_eq!(listing.matches("XXX").count(), 2, "before the union and before tail: {listing}");
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
