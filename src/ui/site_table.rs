//! Per-site statistics: who allocates, who has blocks still outstanding.

use egui::{Grid, RichText, Ui};

use crate::track::SiteRow;

use super::{format, heap_color};

pub fn site_table_ui(ui: &mut Ui, rows: &[SiteRow]) {
    ui.label(RichText::new(format!("Allocation sites ({})", rows.len())).strong());
    if rows.is_empty() {
        ui.weak("Nothing allocated yet.");
        return;
    }
    Grid::new("allocation-sites").striped(true).num_columns(6).show(ui, |ui| {
        for header in ["Site", "Heap", "Allocations", "Frees", "Live", "Peak"] {
            ui.label(RichText::new(header).strong());
        }
        ui.end_row();
        for row in rows {
            ui.monospace(row.site);
            ui.label(RichText::new(row.domain.label()).color(heap_color(row.domain)));
            ui.label(format::thousands(row.stats.allocations));
            ui.label(format::thousands(row.stats.frees));
            ui.label(format!("{} ({})", format::thousands(row.stats.live_blocks), format::bytes(row.stats.live_bytes)));
            ui.label(format::bytes(row.stats.peak_bytes));
            ui.end_row();
        }
    });
}
