//! Per-site statistics: who allocates, who has blocks still outstanding.

use egui::{Grid, RichText, Ui};

use crate::track::SiteRow;

use super::{format, heap_color};

/// The most of a site's name a row shows (the whole on its hover).
const SITE_CHARS: usize = 64;

/// The fewest characters of a site shown, whatever the pane.
const MIN_SITE_CHARS: usize = 16;

/// The columns after the site's.
/// No column of frees: a site's are its allocations less its live blocks
/// (a free counts against the site that allocated), and the room it took
/// is a long name's at 1024 pixels.
const COUNT_HEADERS: [&str; 5] = ["Heap", "Allocations", TEMPORARY, "Live", "Peak"];

const TEMPORARY: &str = "Temporary";

/// What the temporary column counts, on its header's hover.
const TEMPORARY_MEANS: &str = "Temporary allocations: blocks freed by the thread that allocated them before it \
     allocated again, each an allocator's round trip that a reused buffer or a borrow would save.";

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
                format::thousands(stats.temporary),
                format!("{} ({})", format::thousands(stats.live_blocks), format::bytes(stats.live_bytes)),
                format::bytes(stats.peak_bytes),
            ]
        })
        .collect();
    let site_chars = site_chars_fitting(ui, &counts);
    Grid::new("allocation-sites").striped(true).num_columns(6).show(ui, |ui| {
        for header in std::iter::once("Site").chain(COUNT_HEADERS) {
            let label = ui.label(RichText::new(header).strong());
            if header == TEMPORARY {
                label.on_hover_text(TEMPORARY_MEANS);
            }
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
    let mut columns: Vec<Vec<&str>> = vec![vec![COUNT_HEADERS[0], "Rust"]];
    for (column, header) in COUNT_HEADERS[1..].iter().enumerate() {
        columns.push(std::iter::once(*header).chain(counts.iter().map(|row| row[column].as_str())).collect());
    }
    site_chars_beside(ui, &columns, MIN_SITE_CHARS..=SITE_CHARS)
}

/// How many monospace characters of a site's name fit, within `bounds`,
/// beside `columns` (each its header and cells) in a scrolled pane. The
/// longest text of a column stands for its widest: digits are alike.
pub(super) fn site_chars_beside(ui: &Ui, columns: &[Vec<&str>], bounds: std::ops::RangeInclusive<usize>) -> usize {
    let body = egui::TextStyle::Body.resolve(ui.style());
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    let least = ui.spacing().interact_size.x;
    let (widths, mono_char) = ui.fonts_mut(|fonts| {
        let widths: f32 = columns
            .iter()
            .map(|texts| {
                let longest = texts.iter().max_by_key(|text| text.chars().count()).copied().unwrap_or_default();
                fonts.layout_no_wrap(longest.to_owned(), body.clone(), egui::Color32::WHITE).size().x.max(least)
            })
            .sum();
        (widths, fonts.glyph_width(&mono, '0').max(1.0))
    });
    let gaps = columns.len() as f32 * ui.spacing().item_spacing.x;
    let room = ui.available_width() - widths - gaps - ui.spacing().scroll.allocated_width() - mono_char;
    ((room / mono_char).max(0.0) as usize).clamp(*bounds.start(), *bounds.end())
}
