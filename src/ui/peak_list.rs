//! What held each heap at its peak: the sites that held the most then, as
//! a recording's report lists them (`ffiscope record --top`).

use egui::{Grid, RichText, Ui};

use crate::report::{PEAK_SITES_LISTED, heap_peaks};
use crate::track::Model;

use super::site_table::site_chars_beside;
use super::{format, heap_color};

/// The most of a site's name a row shows (the whole on its hover).
const SITE_CHARS: usize = 56;

/// The fewest characters of a site shown, whatever the pane.
const MIN_SITE_CHARS: usize = 16;

pub fn peak_list_ui(ui: &mut Ui, model: &Model) {
    ui.label(RichText::new("At the peak").strong());
    let peaks = heap_peaks(model, PEAK_SITES_LISTED);
    if peaks.is_empty() {
        ui.weak("Nothing allocated yet.");
        return;
    }
    // One grid for both heaps, so that their columns line up: a heap's
    // row names it and its peak, in the site's column, the sites follow.
    let rows: Vec<Vec<[String; 2]>> = peaks
        .iter()
        .map(|peak| peak.sites.iter().map(|site| [format::bytes(site.bytes), format::blocks(site.blocks)]).collect())
        .collect();
    // A long name would widen the pane past the window, and the tables
    // below with it.
    let cells = rows.concat();
    let bytes_column = std::iter::once("Rust heap").chain(cells.iter().map(|[bytes, _]| bytes.as_str())).collect();
    let blocks_column = cells.iter().map(|[_, blocks]| blocks.as_str()).collect();
    let site_chars = site_chars_beside(ui, &[bytes_column, blocks_column], MIN_SITE_CHARS..=SITE_CHARS);
    Grid::new("peak-sites").striped(true).num_columns(3).show(ui, |ui| {
        for (peak, rows) in peaks.iter().zip(rows) {
            ui.label(RichText::new(format!("{} heap", peak.heap.label())).color(heap_color(peak.heap)));
            ui.label("");
            ui.label(format!(
                "{} in {}, {:.2} s in",
                format::bytes(peak.bytes),
                format::blocks(peak.blocks),
                peak.after_ns as f64 / 1e9
            ));
            ui.end_row();
            for (site, [bytes, blocks]) in peak.sites.iter().zip(rows) {
                ui.label(bytes);
                ui.label(blocks);
                let shown = format::short_site(&site.site, site_chars);
                let cut = shown.len() != site.site.len();
                let label = ui.monospace(shown);
                if cut {
                    label.on_hover_text(&site.site);
                }
                ui.end_row();
            }
            if peak.other_sites > 0 {
                ui.label("");
                ui.label("");
                ui.weak(format!(
                    "and {} other site(s), {}",
                    format::thousands(peak.other_sites),
                    format::bytes(peak.other_bytes)
                ));
                ui.end_row();
            }
        }
    });
}
