//! The outstanding-blocks table: every block still live, oldest first.

use egui::{Grid, RichText, Ui};

use crate::ffi::Site;
use crate::track::OutstandingBlock;

use super::{format, heap_color};

/// Rows drawn at most; the rest are counted.
const MAX_ROWS: usize = 500;

pub fn outstanding_table_ui(ui: &mut Ui, blocks: &[OutstandingBlock]) {
    ui.label(RichText::new(format!("Outstanding blocks ({})", blocks.len())).strong());
    if blocks.is_empty() {
        ui.weak("No live blocks.");
        return;
    }
    Grid::new("outstanding-blocks").striped(true).num_columns(5).show(ui, |ui| {
        for header in ["Address", "Size", "Heap", "Allocated by", "Event"] {
            ui.label(RichText::new(header).strong());
        }
        ui.end_row();
        for block in blocks.iter().take(MAX_ROWS) {
            ui.monospace(format!("{:#014x}", block.address));
            ui.label(format::bytes(block.size));
            ui.label(RichText::new(block.domain.label()).color(heap_color(block.domain)));
            ui.monospace(block.site.map_or("(unknown)", Site::name));
            ui.label(format!("#{}", block.seq));
            ui.end_row();
        }
    });
    if blocks.len() > MAX_ROWS {
        ui.weak(format!("… and {} more", blocks.len() - MAX_ROWS));
    }
}
