//! The Layouts tab: each exhibit's C declarations and Rust mirrors side by
//! side, byte by byte, as the compilers laid them out; and the type table.

use egui::{Grid, RichText, ScrollArea, Ui};

use crate::command::{Command, Export};
use crate::layout::exhibits::{Column, Exhibit};
use crate::layout::listing::pahole_listing;
use crate::layout::{Field, Layout};
use crate::report::Table;

use super::layout_grid::{RULER_WIDTH, field_color, field_details, layout_grid_ui};
use super::table_view::table_ui;
use super::{ANOMALY_COLOR, MATCH_COLOR, format};

/// What the tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Exhibit(usize),
    TypeTable,
}

/// The tab's own state: nothing here touches C.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutsView {
    pub shown: Shown,
    pub bytes_per_row: usize,
    /// The last "Copy as text", shown under the columns: (column, listing).
    pub listing: Option<(String, String)>,
    /// The member under the pointer last frame, lit in every column.
    pub hovered: Option<String>,
}

impl Default for LayoutsView {
    fn default() -> Self {
        LayoutsView { shown: Shown::Exhibit(0), bytes_per_row: 8, listing: None, hovered: None }
    }
}

/// Choosing an exhibit is the view's own business; what the app must do
/// (an export) comes back as a command.
#[must_use]
pub fn layouts_panel_ui(
    ui: &mut Ui,
    exhibits: &[Exhibit],
    types: &Table,
    view: &mut LayoutsView,
    presenting: bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    // Presenting: the room sees the exhibit, not the list of exhibits.
    if !presenting {
        egui::Panel::left("exhibit-list").resizable(true).default_size(200.0).show(ui, |ui| {
            ui.label(RichText::new("Exhibits").small().weak());
            for (index, exhibit) in exhibits.iter().enumerate() {
                if ui.selectable_label(view.shown == Shown::Exhibit(index), exhibit.spec.name).clicked() {
                    view.shown = Shown::Exhibit(index);
                    view.listing = None;
                }
            }
            ui.add_space(8.0);
            ui.label(RichText::new("Types").small().weak());
            if ui.selectable_label(view.shown == Shown::TypeTable, "C, Rust and Go types").clicked() {
                view.shown = Shown::TypeTable;
            }
        });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        ScrollArea::both().id_salt("layouts-main").show(ui, |ui| {
            // Presenting hides the list: the next exhibit is a menu away.
            if presenting {
                exhibit_menu_ui(ui, exhibits, view);
            }
            match view.shown {
                Shown::TypeTable => type_table_ui(ui, types),
                Shown::Exhibit(index) => {
                    if let Some(exhibit) = exhibits.get(index) {
                        exhibit_ui(ui, exhibit, view, &mut commands);
                    }
                }
            }
        });
    });
    commands
}

fn exhibit_menu_ui(ui: &mut Ui, exhibits: &[Exhibit], view: &mut LayoutsView) {
    ui.menu_button("Other exhibits…", |ui| {
        for (index, exhibit) in exhibits.iter().enumerate() {
            if ui.selectable_label(view.shown == Shown::Exhibit(index), exhibit.spec.name).clicked() {
                view.shown = Shown::Exhibit(index);
                view.listing = None;
            }
        }
        if ui.selectable_label(view.shown == Shown::TypeTable, "C, Rust and Go types").clicked() {
            view.shown = Shown::TypeTable;
        }
    });
}

/// A byte's cell is never drawn narrower than this: its two hex digits
/// need the room.
const MIN_CELL_WIDTH: f32 = 24.0;

fn exhibit_ui(ui: &mut Ui, exhibit: &Exhibit, view: &mut LayoutsView, commands: &mut Vec<Command>) {
    ui.heading(exhibit.spec.name);
    ui.label(exhibit.spec.description);
    ui.horizontal(|ui| {
        ui.label("Bytes per row:");
        for per_row in [4, 8, 16] {
            ui.selectable_value(&mut view.bytes_per_row, per_row, per_row.to_string());
        }
        if ui
            .button("Export SVG, PNG and text")
            .on_hover_text("Every column side by side, and their pahole-style listings")
            .clicked()
        {
            commands.push(Command::Export(Export::Exhibit));
        }
    });
    ui.separator();
    let highlighted = view.hovered.take();
    let mut hovered = None;
    // Columns stack, as many to a row as leave each byte its cell.
    let spacing = ui.spacing().item_spacing.x;
    let narrowest = RULER_WIDTH + MIN_CELL_WIDTH * view.bytes_per_row as f32;
    let fit = ((ui.available_width() + spacing) / (narrowest + spacing)).floor() as usize;
    let per_line = fit.clamp(1, exhibit.columns.len().max(1));
    for (line, columns_here) in exhibit.columns.chunks(per_line).enumerate() {
        if line > 0 {
            ui.separator();
        }
        ui.columns(per_line, |columns| {
            for (ui, column) in columns.iter_mut().zip(columns_here) {
                ui.push_id(column.spec.title, |ui| {
                    // Not justified: a wrapped label would be letter-spaced.
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        if let Some(name) = column_ui(ui, column, view, highlighted.as_deref()) {
                            hovered = Some(name);
                        }
                    });
                });
            }
        });
    }
    view.hovered = hovered;
    if let Some((title, listing)) = &view.listing {
        ui.separator();
        ui.label(RichText::new(format!("Copied as text: {title}")).strong());
        ui.add(egui::Label::new(RichText::new(listing).monospace()).wrap_mode(egui::TextWrapMode::Extend));
    }
}

/// One column; returns the member under the pointer, if any.
fn column_ui(ui: &mut Ui, column: &Column, view: &mut LayoutsView, highlighted: Option<&str>) -> Option<String> {
    let layout = &column.layout;
    ui.label(RichText::new(column.spec.title).strong());
    ui.weak(format!(
        "size {} · align {} · padding {} ({:.0}%)",
        layout.size,
        layout.align,
        format::bytes(layout.padding_bytes()),
        layout.wasted_share() * 100.0
    ));
    if let Some(declaration) = &column.declaration {
        // The very text the compiler measured, cut from the compiled source;
        // clipped to its column, which may be narrower than its lines.
        ScrollArea::horizontal().id_salt((column.spec.title, "declaration")).show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(declaration).monospace()).wrap_mode(egui::TextWrapMode::Extend));
        });
    }
    let mut hovered = layout_grid_ui(ui, layout, column.bytes.as_deref(), view.bytes_per_row, highlighted);
    if let Some(original) = &column.original {
        let agrees = layout.size == original.size && layout.align == original.align;
        let verdict = if agrees {
            format!("size and align match C ({} / {})", original.size, original.align)
        } else {
            format!("differs: C has size {} / align {}", original.size, original.align)
        };
        ui.label(RichText::new(verdict).color(if agrees { MATCH_COLOR } else { ANOMALY_COLOR }));
    }
    for (index, field) in layout.fields.iter().enumerate() {
        let response = field_row_ui(ui, layout, index, field, column.original.as_ref());
        if response.hovered() {
            hovered = Some(field.name.clone());
        }
    }
    misalignment_ui(ui, layout);
    if column.bytes.is_some() {
        live_values_ui(ui, column);
    }
    if ui.button("Copy as text").on_hover_text("A pahole-style listing, to the clipboard").clicked() {
        let listing = pahole_listing(layout);
        ui.ctx().copy_text(listing.clone());
        view.listing = Some((column.spec.title.to_owned(), listing));
    }
    hovered
}

fn field_row_ui(
    ui: &mut Ui,
    layout: &Layout,
    index: usize,
    field: &Field,
    original: Option<&Layout>,
) -> egui::Response {
    let name = field.name.trim_start_matches("r#");
    let position = match (field.bit_offset, field.bit_width) {
        (Some(bit), Some(width)) => format!("{name}: bits {bit}..{}", bit + width),
        _ => format!("{name}: offset {}, size {}", field.offset, field.size),
    };
    // A mirror's field against the C original: "matches C", or where C has it.
    let (verdict, color) = match original.map(|c| c.field(name)) {
        None => (String::new(), field_color(index)),
        Some(Some(c_field)) if c_field.offset == field.offset && c_field.size == field.size => {
            (" (matches C)".to_owned(), MATCH_COLOR)
        }
        Some(Some(c_field)) => (format!(" (C: offset {}, size {})", c_field.offset, c_field.size), ANOMALY_COLOR),
        Some(None) => match original.map(|c| bitfields_within(c, field)).unwrap_or_default() {
            held if held.is_empty() => (" (not in C)".to_owned(), ANOMALY_COLOR),
            held => {
                let names: Vec<&str> = held.iter().map(|f| f.name.as_str()).collect();
                (format!(" (holds C's bitfields {})", names.join(", ")), MATCH_COLOR)
            }
        },
    };
    ui.label(RichText::new(format!("{position}{verdict}")).color(color)).on_hover_text(field_details(layout, field))
}

/// The C bitfields whose bits all lie in `field`'s bytes: what a mirror
/// that keeps the storage whole reads with shifts and masks.
fn bitfields_within<'a>(original: &'a Layout, field: &Field) -> Vec<&'a Field> {
    let (start, end) = (field.offset * 8, (field.offset + field.size) * 8);
    original
        .fields
        .iter()
        .filter(|c| match (c.bit_offset, c.bit_width) {
            (Some(bit), Some(width)) => bit >= start && bit + width <= end,
            _ => false,
        })
        .collect()
}

/// What a misaligned member of a packed layout means in each language.
fn misalignment_ui(ui: &mut Ui, layout: &Layout) {
    let misaligned: Vec<&Field> = layout.fields.iter().filter(|f| f.is_misaligned()).collect();
    if misaligned.is_empty() {
        return;
    }
    let names: Vec<String> =
        misaligned.iter().map(|f| format!("`{}` at {} (wants {})", f.name, f.offset, f.align)).collect();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(format!("Misaligned: {}", names.join(", "))).color(ANOMALY_COLOR));
        ui.small("Rust: a reference to it is error E0793; copy it out by value or use ptr::read_unaligned.");
        ui.small("cgo: the Go struct leaves the field out; reach it through C helpers.");
        ui.small("CPU: an unaligned load may be slow, or trap on strict-alignment CPUs.");
    });
}

/// Reads `size` little-endian bytes at `offset`, if they are all there.
fn read(bytes: &[u8], offset: u64, size: u64) -> Option<u64> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size.min(8)).ok()?)?;
    let slice = bytes.get(start..end)?;
    Some(slice.iter().rev().fold(0, |value, &byte| (value << 8) | u64::from(byte)))
}

fn value_text(bytes: &[u8], field: &Field) -> String {
    if let (Some(bit), Some(width)) = (field.bit_offset, field.bit_width) {
        let word = read(bytes, bit / 8, (bit % 8 + width).div_ceil(8)).unwrap_or(0);
        return format!("{:#x}", (word >> (bit % 8)) & ((1 << width) - 1));
    }
    match read(bytes, field.offset, field.size) {
        Some(value) => format!("{value:#x}"),
        None => "past the end".to_owned(),
    }
}

/// The values C wrote, and what this layout reads from the same bytes.
fn live_values_ui(ui: &mut Ui, column: &Column) {
    let Some(bytes) = &column.bytes else { return };
    ui.label(RichText::new(if column.is_rust() { "Reading C's bytes" } else { "Values C wrote" }).strong());
    Grid::new("live-values").num_columns(3).show(ui, |ui| {
        if column.original.is_some() {
            ui.label("");
            ui.weak("C wrote");
            ui.weak("this reads");
            ui.end_row();
        }
        for field in &column.layout.fields {
            let name = field.name.trim_start_matches("r#");
            let read_here = value_text(bytes, field);
            ui.label(name);
            if let Some(c_field) = column.original.as_ref().and_then(|c| c.field(name)) {
                let wrote = value_text(bytes, c_field);
                let color = if wrote == read_here { MATCH_COLOR } else { ANOMALY_COLOR };
                ui.monospace(wrote);
                ui.label(RichText::new(read_here).monospace().color(color));
            } else if column.original.is_some() {
                // A mirror's own field, with no C field of its name: what it reads.
                ui.label("");
                ui.monospace(read_here);
            } else {
                ui.monospace(read_here);
            }
            ui.end_row();
            // A storage unit kept whole: each C bitfield in it, as C wrote it and
            // as its shift and mask read it from this field's bytes.
            for bitfield in column.original.as_ref().map(|c| bitfields_within(c, field)).unwrap_or_default() {
                let (Some(bit), Some(width)) = (bitfield.bit_offset, bitfield.bit_width) else { continue };
                let wrote = value_text(bytes, bitfield);
                let storage = read(bytes, field.offset, field.size).unwrap_or(0);
                let shifted = format!("{:#x}", (storage >> (bit - field.offset * 8)) & ((1 << width) - 1));
                let color = if wrote == shifted { MATCH_COLOR } else { ANOMALY_COLOR };
                ui.label(format!("  {}", bitfield.name));
                ui.monospace(wrote);
                ui.label(RichText::new(shifted).monospace().color(color));
                ui.end_row();
            }
        }
    });
}

fn type_table_ui(ui: &mut Ui, table: &Table) {
    ui.heading("C, Rust and Go types");
    ui.label("Sizes and alignments measured on both sides: C by this C compiler, Rust by rustc; the targets' columns by the layout engine the compilers check.");
    ui.label(&table.caption);
    table_ui(ui, table, "type-table");
}
