//! A table a run produced (the type-mapping table): a header row, then the
//! rows, verdict cells in colour.

use egui::{Grid, RichText, ScrollArea, Ui};

use crate::report::Table;

use super::{ANOMALY_COLOR, MATCH_COLOR};

/// The table's cells; its caption is the caller's to place.
pub fn table_ui(ui: &mut Ui, table: &Table, id_salt: &str) {
    ScrollArea::horizontal().id_salt((id_salt, "scroll")).show(ui, |ui| {
        Grid::new((id_salt, "grid")).striped(true).num_columns(table.columns.len()).show(ui, |ui| {
            for column in &table.columns {
                ui.label(RichText::new(column).strong());
            }
            ui.end_row();
            for row in &table.rows {
                for cell in row {
                    match cell.as_str() {
                        "match" => ui.label(RichText::new(cell).color(MATCH_COLOR)),
                        "MISMATCH" => ui.label(RichText::new(cell).color(ANOMALY_COLOR)),
                        _ => ui.monospace(cell),
                    };
                }
                ui.end_row();
            }
        });
    });
}
