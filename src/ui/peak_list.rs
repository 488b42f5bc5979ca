//! What held each heap at its peak: the sites that held the most then, as
//! a recording's report lists them (`ffiscope record --top`).

use egui::{Grid, RichText, Ui};

use crate::ffi::Domain;
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
        .map(|peak| peak.sites.iter().map(|site| [format::bytes(site.bytes), blocks_text(site.blocks)]).collect())
        .collect();
    let mut widest = rows.concat();
    widest.push(["Rust heap".to_owned(), String::new()]);
    let site_chars = site_chars_fitting(ui, &widest);
    Grid::new("peak-sites").striped(true).num_columns(3).show(ui, |ui| {
        for (peak, rows) in peaks.iter().zip(rows) {
            let heap = match peak.heap {
                Domain::C => "C heap",
                Domain::Rust => "Rust heap",
            };
            ui.label(RichText::new(heap).color(heap_color(peak.heap)));
            ui.label("");
            ui.label(format!(
                "{} in {}, {:.2} s in",
                format::bytes(peak.bytes),
                blocks_text(peak.blocks),
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

fn blocks_text(blocks: u64) -> String {
    let plural = if blocks == 1 { "" } else { "s" };
    format!("{} block{plural}", format::thousands(blocks))
}

/// How many characters of a site's name fit beside the bytes and blocks
/// columns: a long name would widen the pane past the window, and the
/// tables below with it.
fn site_chars_fitting(ui: &Ui, rows: &[[String; 2]]) -> usize {
    let body = egui::TextStyle::Body.resolve(ui.style());
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    let (columns, mono_char) = ui.fonts_mut(|fonts| {
        let mut width = |text: &str| fonts.layout_no_wrap(text.to_owned(), body.clone(), egui::Color32::WHITE).size().x;
        let widest = |column: usize, width: &mut dyn FnMut(&str) -> f32| {
            rows.iter().map(|row| width(&row[column])).fold(0.0, f32::max)
        };
        (widest(0, &mut width) + widest(1, &mut width), fonts.glyph_width(&mono, '0').max(1.0))
    });
    site_chars_beside(ui, columns, 3, mono_char, MIN_SITE_CHARS..=SITE_CHARS)
}
