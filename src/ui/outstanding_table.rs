//! The outstanding-blocks table: the blocks still live, oldest first. In a
//! scenario it also says how many steps old each block is and who should
//! release it.

use egui::{Grid, RichText, ScrollArea, Ui};

use crate::ffi::Site;
use crate::track::OutstandingBlock;

use super::{format, heap_color};

/// Height of the scrolled list of rows.
const TABLE_HEIGHT: f32 = 240.0;

/// The most of a site's name a row shows.
const SITE_CHARS: usize = 44;

/// What the tab knows about its blocks.
#[expect(missing_debug_implementations, reason = "holds a closure")]
pub struct BlockContext<'a> {
    /// The step running or last run, in a scenario: blocks then have an age
    /// in steps. Outside a scenario, the event that allocated them is shown.
    pub current_step: Option<u32>,
    /// How blocks from a site must be released.
    pub releaser: &'a dyn Fn(&str) -> Option<&'static str>,
}

/// Lists `blocks`, the oldest of `total` outstanding (the model lists at
/// most [`crate::track::OUTSTANDING_LISTED`]).
pub fn outstanding_table_ui(
    ui: &mut Ui,
    blocks: &[OutstandingBlock],
    total: usize,
    context: Option<&BlockContext<'_>>,
) {
    ui.label(RichText::new(format!("Outstanding blocks ({})", format::thousands(total as u64))).strong());
    if blocks.is_empty() {
        ui.weak("No live blocks.");
        return;
    }
    if blocks.len() < total {
        ui.weak(format!(
            "The oldest {} listed; the sites below count them all.",
            format::thousands(blocks.len() as u64)
        ));
    }
    let headers: &[&str] = match context {
        Some(BlockContext { current_step: Some(_), .. }) => {
            &["Address", "Size", "Heap", "Allocated by", "Age", "Release with"]
        }
        Some(_) => &["Address", "Size", "Heap", "Allocated by", "Event", "Release with"],
        None => &["Address", "Size", "Heap", "Allocated by", "Event"],
    };
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace).max(ui.spacing().interact_size.y);
    // Only the rows in view are laid out: ten thousand blocks cost what twenty do.
    ScrollArea::vertical().id_salt("outstanding-rows").max_height(TABLE_HEIGHT).auto_shrink([false, true]).show_rows(
        ui,
        row_height,
        blocks.len(),
        |ui, rows| {
            Grid::new("outstanding-blocks").striped(true).num_columns(headers.len()).show(ui, |ui| {
                if rows.start == 0 {
                    for header in headers {
                        ui.label(RichText::new(*header).strong());
                    }
                    ui.end_row();
                }
                for block in &blocks[rows] {
                    block_row_ui(ui, block, context);
                    ui.end_row();
                }
            });
        },
    );
}

fn block_row_ui(ui: &mut Ui, block: &OutstandingBlock, context: Option<&BlockContext<'_>>) {
    let site = block.site.map_or("(unknown)", Site::name);
    ui.monospace(format!("{:#014x}", block.address));
    ui.label(format::bytes(block.size));
    ui.label(RichText::new(block.domain.label()).color(heap_color(block.domain)));
    // Long names (a generic's whole path) would push the other columns out
    // of a half-width pane: shortened, the whole name is on hover.
    let shown = format::short_site(site, SITE_CHARS);
    let label = ui.monospace(shown.as_ref());
    if shown.len() != site.len() {
        label.on_hover_text(site);
    }
    match context.and_then(|c| c.current_step) {
        Some(now) => {
            let age = block.step.map_or_else(
                || "-".to_owned(),
                |then| format!("{} step{}", now - then, if now - then == 1 { "" } else { "s" }),
            );
            ui.label(age);
        }
        None => {
            ui.label(format!("#{}", block.seq));
        }
    }
    if let Some(context) = context {
        ui.label((context.releaser)(site).unwrap_or("its allocator's free"));
    }
}
