//! Per-site statistics: who allocates, who has blocks still outstanding.

use egui::{Grid, RichText, Ui};

use crate::track::SiteRow;

use super::{format, heap_color};

/// The most of a site's name a row shows (the whole on its hover).
const SITE_CHARS: usize = 64;

/// The fewest characters of a site shown, whatever the pane.
const MIN_SITE_CHARS: usize = 16;

/// The columns after the site's.
const COUNT_HEADERS: [&str; 5] = ["Heap", "Allocations", "Frees", "Live", "Peak"];

pub fn site_table_ui(ui: &mut Ui, rows: &[SiteRow]) {
    ui.label(RichText::new(format!("Allocation sites ({})", rows.len())).strong());
    if rows.is_empty() {
        ui.weak("Nothing allocated yet.");
        return;
    }
    let counts: Vec<[String; 4]> = rows
        .iter()
        .map(|row| {
            let stats = &row.stats;
            [
                format::thousands(stats.allocations),
                format::thousands(stats.frees),
                format!("{} ({})", format::thousands(stats.live_blocks), format::bytes(stats.live_bytes)),
                format::bytes(stats.peak_bytes),
            ]
        })
        .collect();
    let site_chars = site_chars_fitting(ui, &counts);
    Grid::new("allocation-sites").striped(true).num_columns(6).show(ui, |ui| {
        for header in std::iter::once("Site").chain(COUNT_HEADERS) {
            ui.label(RichText::new(header).strong());
        }
        ui.end_row();
        for (row, counts) in rows.iter().zip(&counts) {
            let shown = format::short_site(row.site, site_chars);
            let cut = shown.len() != row.site.len();
            let site = ui.monospace(shown);
            if cut {
                site.on_hover_text(row.site);
            }
            ui.label(RichText::new(row.domain.label()).color(heap_color(row.domain)));
            for count in counts {
                ui.label(count);
            }
            ui.end_row();
        }
    });
}

/// How many characters of a site's name fit beside the count columns, so
/// that the last column stays in a half-width pane (a long C++ or library
/// name ran the peak off the side).
fn site_chars_fitting(ui: &Ui, counts: &[[String; 4]]) -> usize {
    let body = egui::TextStyle::Body.resolve(ui.style());
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    // The longest text of a column stands for its widest: digits are alike.
    let longest = |column: usize| {
        counts.iter().map(|row| row[column].as_str()).max_by_key(|text| text.chars().count()).unwrap_or_default()
    };
    let least = ui.spacing().interact_size.x;
    let (columns, mono_char) = ui.fonts_mut(|fonts| {
        let mut width = |text: &str| fonts.layout_no_wrap(text.to_owned(), body.clone(), egui::Color32::WHITE).size().x;
        let heap = width(COUNT_HEADERS[0]).max(width("Rust"));
        let counted: f32 =
            (0..4).map(|column| width(COUNT_HEADERS[column + 1]).max(width(longest(column))).max(least)).sum();
        (heap.max(least) + counted, fonts.glyph_width(&mono, '0').max(1.0))
    });
    site_chars_beside(ui, columns, 5, mono_char, MIN_SITE_CHARS..=SITE_CHARS)
}

/// How many monospace characters (`mono_char` wide) of a site's name fit
/// beside `columns` of width and `gaps` between columns, in a scrolled
/// pane, within `bounds`.
pub(super) fn site_chars_beside(
    ui: &Ui,
    columns: f32,
    gaps: usize,
    mono_char: f32,
    bounds: std::ops::RangeInclusive<usize>,
) -> usize {
    let gap = ui.spacing().item_spacing.x;
    let room = ui.available_width() - columns - gaps as f32 * gap - ui.spacing().scroll.allocated_width() - mono_char;
    ((room / mono_char).max(0.0) as usize).clamp(*bounds.start(), *bounds.end())
}
