//! Layout grids as SVG, side by side, with the same look as on screen:
//! coloured member spans with their names, hatched padding, the offset ruler
//! and 64-byte cache-line marks.

use std::fmt::Write as _;

use crate::layout::Layout;
use crate::ui::layout_grid::field_color;

const CELL_WIDTH: f64 = 34.0;
const CELL_HEIGHT: f64 = 26.0;
const RULER: f64 = 34.0;
const TITLE: f64 = 40.0;
const GAP: f64 = 24.0;
const LINE: f64 = 14.0;

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn hex(index: usize) -> String {
    let c = field_color(index);
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

/// The grids of `columns` (title, layout) side by side, `per_row` bytes a row.
pub fn layouts_svg(columns: &[(&str, &Layout)], per_row: usize) -> String {
    let per_row = per_row.max(1);
    let column_width = RULER + CELL_WIDTH * per_row as f64;
    let rows = columns.iter().map(|(_, l)| l.drawn_bytes().div_ceil(per_row)).max().unwrap_or(1);
    let listed = columns.iter().map(|(_, l)| l.fields.len()).max().unwrap_or(0);
    let width = columns.len() as f64 * (column_width + GAP) + GAP;
    let height = TITLE + rows as f64 * CELL_HEIGHT + 10.0 + listed as f64 * LINE + GAP;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">
<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#2a2a2a"/><line x1="0" y1="0" x2="0" y2="6" stroke="#777" stroke-width="1.5"/></pattern></defs>
<rect width="{width}" height="{height}" fill="#1b1b1b"/>"##
    );
    for (index, (title, layout)) in columns.iter().enumerate() {
        let left = GAP + index as f64 * (column_width + GAP);
        column(&mut out, left, title, layout, per_row);
    }
    out.push_str("</svg>\n");
    out
}

fn column(out: &mut String, left: f64, title: &str, layout: &Layout, per_row: usize) {
    let _ = writeln!(
        out,
        r##"<text x="{left}" y="18" fill="#eeeeee" font-size="13" font-weight="bold">{}</text>
<text x="{left}" y="33" fill="#999999" font-size="11">size {} · align {} · padding {} B</text>"##,
        escape(title),
        layout.size,
        layout.align,
        layout.padding_bytes()
    );
    let size = layout.drawn_bytes();
    for row in 0..size.div_ceil(per_row) {
        grid_row(out, left, layout, per_row, row);
    }
    // Every member listed under the grid, as on screen: union members share
    // bytes, bitfields share bits, a flexible array member has no bytes at all.
    let list_top = TITLE + size.div_ceil(per_row) as f64 * CELL_HEIGHT + 10.0;
    for (index, field) in layout.fields.iter().enumerate() {
        let position = match (field.bit_offset, field.bit_width) {
            (Some(bit), Some(width)) => format!("bits {bit}..{}", bit + width),
            _ => format!("offset {}, size {}", field.offset, field.size),
        };
        let _ = writeln!(
            out,
            r#"<text x="{left}" y="{}" fill="{}" font-size="11">{}: {position}</text>"#,
            list_top + (index as f64 + 1.0) * LINE,
            hex(index),
            escape(field.name.trim_start_matches("r#"))
        );
    }
}

/// The ruler, a cache-line mark where one begins, and the spans of one row.
fn grid_row(out: &mut String, left: f64, layout: &Layout, per_row: usize, row: usize) {
    let size = layout.drawn_bytes();
    let cell = |offset: usize| {
        (left + RULER + (offset % per_row) as f64 * CELL_WIDTH, TITLE + (offset / per_row) as f64 * CELL_HEIGHT)
    };
    let (_, y) = cell(row * per_row);
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" fill="#888888" font-size="10" text-anchor="end" font-family="monospace">{}</text>"##,
        left + RULER - 4.0,
        y + CELL_HEIGHT / 2.0 + 4.0,
        row * per_row
    );
    if row > 0 && (row * per_row).is_multiple_of(64) {
        let _ = writeln!(
            out,
            r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e07b39" stroke-width="1.5" stroke-dasharray="4 3"/>"##,
            left + RULER,
            left + RULER + CELL_WIDTH * per_row as f64
        );
    }
    let (start, end) = (row * per_row, ((row + 1) * per_row).min(size));
    let mut at = start;
    while at < end {
        let owners = layout.bit_owners(at as u64);
        let first = owners.iter().flatten().next().copied();
        let shared = owners.iter().flatten().any(|&o| Some(o) != first);
        if shared {
            // A byte that bitfields share: eight bit columns.
            let (x, y) = cell(at);
            for (bit, owner) in owners.iter().enumerate() {
                let fill = owner.map_or_else(|| "url(#hatch)".to_owned(), hex);
                let _ = writeln!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"/>"#,
                    x + bit as f64 * CELL_WIDTH / 8.0,
                    y + 1.0,
                    CELL_WIDTH / 8.0,
                    CELL_HEIGHT - 2.0
                );
            }
            at += 1;
            continue;
        }
        let mut until = at + 1;
        while until < end && layout.bit_owners(until as u64) == owners {
            until += 1;
        }
        let (x, y) = cell(at);
        let span_width = (until - at) as f64 * CELL_WIDTH - 2.0;
        match first {
            Some(index) => {
                let name = escape(layout.fields[index].name.trim_start_matches("r#"));
                let _ = writeln!(
                    out,
                    r##"<rect x="{}" y="{}" width="{span_width}" height="{}" rx="3" fill="{}"/>
    <text x="{}" y="{}" fill="#ffffff" font-size="11" text-anchor="middle">{name}</text>"##,
                    x + 1.0,
                    y + 1.0,
                    CELL_HEIGHT - 2.0,
                    hex(index),
                    x + 1.0 + span_width / 2.0,
                    y + CELL_HEIGHT / 2.0 + 4.0
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    r##"<rect x="{}" y="{}" width="{span_width}" height="{}" rx="2" fill="url(#hatch)"/>
    <text x="{}" y="{}" fill="#cccccc" font-size="10" text-anchor="middle">pad</text>"##,
                    x + 1.0,
                    y + 1.0,
                    CELL_HEIGHT - 2.0,
                    x + 1.0 + span_width / 2.0,
                    y + CELL_HEIGHT / 2.0 + 4.0
                );
            }
        }
        at = until;
    }
}
