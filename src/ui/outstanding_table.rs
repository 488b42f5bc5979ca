//! The outstanding-blocks table: every block still live, oldest first. In a
//! scenario it also says how many steps old each block is and who should
//! release it.

use egui::{Grid, RichText, Ui};

use crate::ffi::Site;
use crate::track::OutstandingBlock;

use super::{format, heap_color};

/// Rows drawn at most; the rest are counted.
const MAX_ROWS: usize = 500;

/// What a scenario knows about its blocks.
#[expect(missing_debug_implementations, reason = "holds a closure")]
pub struct BlockContext<'a> {
    /// The step running or last run.
    pub current_step: Option<u32>,
    /// How blocks from a site must be released.
    pub releaser: &'a dyn Fn(&str) -> Option<&'static str>,
}

pub fn outstanding_table_ui(ui: &mut Ui, blocks: &[OutstandingBlock], context: Option<&BlockContext<'_>>) {
    ui.label(RichText::new(format!("Outstanding blocks ({})", format::thousands(blocks.len() as u64))).strong());
    if blocks.is_empty() {
        ui.weak("No live blocks.");
        return;
    }
    let columns = if context.is_some() { 6 } else { 5 };
    Grid::new("outstanding-blocks").striped(true).num_columns(columns).show(ui, |ui| {
        let headers: &[&str] = if context.is_some() {
            &["Address", "Size", "Heap", "Allocated by", "Age", "Release with"]
        } else {
            &["Address", "Size", "Heap", "Allocated by", "Event"]
        };
        for header in headers {
            ui.label(RichText::new(*header).strong());
        }
        ui.end_row();
        for block in blocks.iter().take(MAX_ROWS) {
            let site = block.site.map_or("(unknown)", Site::name);
            ui.monospace(format!("{:#014x}", block.address));
            ui.label(format::bytes(block.size));
            ui.label(RichText::new(block.domain.label()).color(heap_color(block.domain)));
            ui.monospace(site);
            match context {
                Some(context) => {
                    let age = match (context.current_step, block.step) {
                        (Some(now), Some(then)) => {
                            format!("{} step{}", now - then, if now - then == 1 { "" } else { "s" })
                        }
                        _ => "-".to_owned(),
                    };
                    ui.label(age);
                    ui.label((context.releaser)(site).unwrap_or("its allocator's free"));
                }
                None => {
                    ui.label(format!("#{}", block.seq));
                }
            }
            ui.end_row();
        }
    });
    if blocks.len() > MAX_ROWS {
        ui.weak(format!("… and {} more", format::thousands((blocks.len() - MAX_ROWS) as u64)));
    }
}
