//! The layout grid: one cell per byte, rows of 4, 8 or 16. Each member is a
//! coloured span labelled with its name; padding is hatched; the left ruler
//! gives each row's offset; a dashed line marks every 64-byte cache line.
//! With the bytes of a real instance, each cell shows its byte in hex.

use std::fmt::Write as _;

use egui::{Color32, FontId, Pos2, Rect, Sense, Stroke, Ui, pos2, vec2};

use crate::layout::{Field, Layout};

pub const RULER_WIDTH: f32 = 30.0;
const CACHE_LINE: usize = 64;

/// Distinct, readable on dark and light themes.
const PALETTE: [Color32; 8] = [
    Color32::from_rgb(0x3b, 0x82, 0xc4),
    Color32::from_rgb(0xd9, 0x8b, 0x2b),
    Color32::from_rgb(0x4c, 0xa6, 0x6b),
    Color32::from_rgb(0xa8, 0x5c, 0xc8),
    Color32::from_rgb(0xc9, 0x4f, 0x6d),
    Color32::from_rgb(0x3d, 0xa9, 0xa8),
    Color32::from_rgb(0x9c, 0x8b, 0x3a),
    Color32::from_rgb(0x6a, 0x74, 0xd6),
];

/// The colour of the member at `index`, the same in every column.
pub fn field_color(index: usize) -> Color32 {
    PALETTE[index % PALETTE.len()]
}

/// One line per fact about a member: what the tooltip and the field list say.
pub fn field_details(layout: &Layout, field: &Field) -> String {
    let mut text =
        format!("{}: {}\noffset {}, size {}, align {}", field.name, field.ty, field.offset, field.size, field.align);
    if let (Some(bit), Some(width)) = (field.bit_offset, field.bit_width) {
        let _ = write!(text, "\nbits {bit}..{} ({width} bit{})", bit + width, if width == 1 { "" } else { "s" });
    }
    if let Some(reason) = layout.hole_reason(field) {
        let _ = write!(text, "\npadding before it: {reason}");
    }
    if field.is_misaligned() {
        let _ = write!(text, "\nmisaligned: offset {} is not a multiple of {}", field.offset, field.align);
    }
    text
}

/// Where each byte's cell is.
struct Geometry {
    rect: Rect,
    per_row: usize,
    size: usize,
    cell_width: f32,
    cell_height: f32,
}

impl Geometry {
    fn cell(&self, offset: usize) -> Rect {
        let (row, column) = (offset / self.per_row, offset % self.per_row);
        Rect::from_min_size(
            pos2(
                self.rect.left() + RULER_WIDTH + column as f32 * self.cell_width,
                self.rect.top() + row as f32 * self.cell_height,
            ),
            vec2(self.cell_width, self.cell_height),
        )
    }

    /// The byte under `pointer`, if it is over a cell.
    fn offset_at(&self, pointer: Pos2) -> Option<usize> {
        let x = pointer.x - self.rect.left() - RULER_WIDTH;
        let y = pointer.y - self.rect.top();
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let offset = (y / self.cell_height) as usize * self.per_row + (x / self.cell_width) as usize;
        (offset < self.size).then_some(offset)
    }
}

/// Draws the grid; returns the name of the member under the pointer.
/// `highlighted` is drawn outlined, so hovering one column lights up all.
pub fn layout_grid_ui(
    ui: &mut Ui,
    layout: &Layout,
    bytes: Option<&[u8]>,
    per_row: usize,
    highlighted: Option<&str>,
) -> Option<String> {
    grid_ui(ui, layout, bytes, per_row, highlighted, &[])
}

/// As [`layout_grid_ui`], with the byte ranges `[from, to)` of `marked`
/// outlined in red: where a mirror and its C type disagree.
pub fn marked_layout_grid_ui(ui: &mut Ui, layout: &Layout, per_row: usize, marked: &[(u64, u64)]) -> Option<String> {
    grid_ui(ui, layout, None, per_row, None, marked)
}

/// The colour bytes that disagree are outlined in.
pub const MARK_COLOR: Color32 = Color32::from_rgb(0xe5, 0x48, 0x4d);

fn grid_ui(
    ui: &mut Ui,
    layout: &Layout,
    bytes: Option<&[u8]>,
    per_row: usize,
    highlighted: Option<&str>,
    marked: &[(u64, u64)],
) -> Option<String> {
    let per_row = per_row.max(1);
    let size = layout.drawn_bytes();
    let rows = size.div_ceil(per_row);
    let cell_width = ((ui.available_width() - RULER_WIDTH) / per_row as f32).clamp(12.0, 44.0);
    let cell_height = if bytes.is_some() { 36.0 } else { 24.0 };
    let desired = vec2(RULER_WIDTH + cell_width * per_row as f32, cell_height * rows as f32);
    let (rect, response) = ui.allocate_exact_size(desired, Sense::hover());
    let geometry = Geometry { rect, per_row, size, cell_width, cell_height };
    let painter = ui.painter_at(rect.expand(1.0));
    // Only the rows in view are painted.
    let clip = ui.clip_rect();
    let first = ((clip.top() - rect.top()) / cell_height).floor().max(0.0) as usize;
    let last = (((clip.bottom() - rect.top()) / cell_height).ceil().max(0.0) as usize).min(rows);
    for row in first..last {
        paint_row(&painter, ui.visuals(), &geometry, layout, row, bytes, highlighted);
        paint_marks(&painter, &geometry, row, marked);
    }
    if layout.size > size as u64 {
        ui.weak(format!("… and {} more bytes, not drawn", super::format::thousands(layout.size - size as u64)));
    }
    let pointer = response.hover_pos();
    let hovered = pointer.and_then(|pointer| geometry.offset_at(pointer));
    let hovered_field = hovered.and_then(|offset| {
        // In a byte that bitfields share, the bit under the pointer decides.
        let cell = geometry.cell(offset);
        let bit = pointer.map_or(0, |p| (((p.x - cell.left()) / cell.width() * 8.0) as usize).min(7));
        let by_bit = layout.bit_owners(offset as u64)[bit].and_then(|index| layout.fields.get(index));
        by_bit.or_else(|| layout.field_at(offset as u64))
    });
    if let Some(offset) = hovered {
        let text = match hovered_field {
            Some(field) => field_details(layout, field),
            None => padding_details(layout, offset as u64),
        };
        response.on_hover_text_at_pointer(text);
    }
    hovered_field.map(|f| f.name.clone())
}

/// The parts of `marked` that fall in `row`, outlined.
fn paint_marks(painter: &egui::Painter, geometry: &Geometry, row: usize, marked: &[(u64, u64)]) {
    let start = (row * geometry.per_row) as u64;
    let end = (start + geometry.per_row as u64).min(geometry.size as u64);
    for &(from, to) in marked {
        let (from, to) = (from.max(start), to.min(end));
        if from >= to {
            continue;
        }
        let span = geometry.cell(from as usize).union(geometry.cell(to as usize - 1));
        painter.rect_filled(span, 2.0, MARK_COLOR.gamma_multiply(0.35));
        painter.rect_stroke(span, 2.0, Stroke::new(3.0, MARK_COLOR), egui::StrokeKind::Inside);
    }
}

/// The ruler, a cache-line mark where one begins, the spans and the bytes of one row.
fn paint_row(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    geometry: &Geometry,
    layout: &Layout,
    row: usize,
    bytes: Option<&[u8]>,
    highlighted: Option<&str>,
) {
    let (rect, per_row) = (geometry.rect, geometry.per_row);
    let small = FontId::monospace(10.0);
    let y = rect.top() + row as f32 * geometry.cell_height;
    painter.text(
        pos2(rect.left() + RULER_WIDTH - 4.0, y + geometry.cell_height / 2.0),
        egui::Align2::RIGHT_CENTER,
        (row * per_row).to_string(),
        small.clone(),
        visuals.weak_text_color(),
    );
    if row > 0 && (row * per_row).is_multiple_of(CACHE_LINE) {
        let line = [pos2(rect.left() + RULER_WIDTH, y), pos2(rect.right(), y)];
        painter.add(egui::Shape::dashed_line(&line, Stroke::new(1.5, Color32::from_rgb(0xe0, 0x7b, 0x39)), 4.0, 3.0));
    }
    // Spans: runs of bytes in this row that belong to the same member (or to none).
    let start = row * per_row;
    let end = (start + per_row).min(geometry.size);
    let owner_of = |offset: usize| layout.field_at(offset as u64).map(|f| f.name.as_str());
    // A byte that several bitfields share is drawn bit by bit, on its own.
    let shared = |offset: usize| {
        let owners = layout.bit_owners(offset as u64);
        owners.iter().flatten().any(|&o| Some(o) != owners.iter().flatten().next().copied())
    };
    let mut at = start;
    while at < end {
        if shared(at) {
            paint_bits(
                painter,
                geometry.cell(at).shrink(1.0),
                &layout.bit_owners(at as u64),
                highlighted,
                layout,
                visuals,
            );
            at += 1;
            continue;
        }
        let owner = owner_of(at);
        let mut until = at + 1;
        while until < end && !shared(until) && owner_of(until) == owner {
            until += 1;
        }
        let span = geometry.cell(at).union(geometry.cell(until - 1)).shrink(1.0);
        match owner.and_then(|name| layout.fields.iter().position(|f| f.name == name)) {
            Some(index) => {
                let lit = highlighted == owner;
                painter.rect_filled(span, 3.0, field_color(index).gamma_multiply(if lit { 0.95 } else { 0.7 }));
                if lit {
                    let stroke = Stroke::new(2.0, visuals.strong_text_color());
                    painter.rect_stroke(span, 3.0, stroke, egui::StrokeKind::Inside);
                }
                let name = owner.unwrap_or_default().trim_start_matches("r#");
                let label_y = if bytes.is_some() { span.top() + 9.0 } else { span.center().y };
                let label = pos2(span.center().x, label_y);
                let font = FontId::proportional(11.0);
                // Shortened to its span, never cut mid-letter; hovering names it whole.
                let name = shortened(painter, name, &font, span.width() - 2.0);
                painter.with_clip_rect(span).text(label, egui::Align2::CENTER_CENTER, name, font, Color32::WHITE);
            }
            None => hatch(painter, span, visuals, at == start || owner_of(at - 1).is_some()),
        }
        at = until;
    }
    for offset in start..end {
        if let Some(byte) = bytes.and_then(|b| b.get(offset)) {
            let cell = geometry.cell(offset);
            let at = pos2(cell.center().x, cell.bottom() - 9.0);
            painter.text(
                at,
                egui::Align2::CENTER_CENTER,
                format!("{byte:02x}"),
                small.clone(),
                visuals.strong_text_color(),
            );
        }
    }
}

/// `name` as it fits `width`: whole, or its start and an ellipsis, or
/// nothing if not even one letter and the ellipsis fit.
fn shortened(painter: &egui::Painter, name: &str, font: &FontId, width: f32) -> String {
    let measure = |text: &str| painter.layout_no_wrap(text.to_owned(), font.clone(), Color32::WHITE).size().x;
    if measure(name) <= width {
        return name.to_owned();
    }
    let letters: Vec<char> = name.chars().collect();
    (1..letters.len())
        .rev()
        .map(|keep| format!("{}…", letters[..keep].iter().collect::<String>()))
        .find(|short| measure(short) <= width)
        .unwrap_or_default()
}

/// One byte split into eight bit columns, bit 0 on the left, coloured by owner.
fn paint_bits(
    painter: &egui::Painter,
    cell: Rect,
    owners: &[Option<usize>; 8],
    highlighted: Option<&str>,
    layout: &Layout,
    visuals: &egui::Visuals,
) {
    let width = cell.width() / 8.0;
    for (bit, owner) in owners.iter().enumerate() {
        let slot = Rect::from_min_size(pos2(cell.left() + bit as f32 * width, cell.top()), vec2(width, cell.height()));
        match owner {
            Some(index) => {
                let lit = highlighted == layout.fields.get(*index).map(|f| f.name.as_str());
                painter.rect_filled(
                    slot.shrink2(vec2(0.3, 0.0)),
                    1.0,
                    field_color(*index).gamma_multiply(if lit { 0.95 } else { 0.7 }),
                );
            }
            None => {
                painter.rect_filled(slot, 0.0, visuals.faint_bg_color);
            }
        }
    }
}

fn padding_details(layout: &Layout, offset: u64) -> String {
    let pad = layout.padding().into_iter().find(|p| offset >= p.offset && offset < p.offset + p.size);
    match pad {
        Some(pad) if pad.kind == crate::layout::PaddingKind::Tail => layout.tail_reason().unwrap_or_default(),
        Some(pad) => {
            let next = layout.fields.iter().find(|f| f.offset == pad.offset + pad.size);
            next.and_then(|f| layout.hole_reason(f)).unwrap_or_else(|| format!("{} bytes of padding", pad.size))
        }
        None => String::new(),
    }
}

/// Padding: grey with diagonal strokes, labelled where a run begins.
fn hatch(painter: &egui::Painter, span: Rect, visuals: &egui::Visuals, label: bool) {
    painter.rect_filled(span, 2.0, visuals.faint_bg_color);
    let stroke = Stroke::new(1.0, visuals.weak_text_color().gamma_multiply(0.6));
    let clip = painter.with_clip_rect(span);
    let mut x = span.left() - span.height();
    while x < span.right() {
        clip.line_segment([Pos2::new(x, span.bottom()), Pos2::new(x + span.height(), span.top())], stroke);
        x += 6.0;
    }
    if label && span.width() > 22.0 {
        clip.text(span.center(), egui::Align2::CENTER_CENTER, "pad", FontId::proportional(10.0), visuals.text_color());
    }
}
