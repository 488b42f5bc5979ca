//! Per-site statistics: who allocates, who has blocks still outstanding.
//! A program may allocate from thousands of places: the table lists the
//! first `SITES_LISTED` in the order its headers choose, so a frame costs
//! the same whatever the count.

use egui::{Grid, RichText, Ui};

use crate::track::{SiteRow, rows_with_the_most};

use super::{format, heap_color};

/// The most of a site's name a row shows (the whole on its hover).
const SITE_CHARS: usize = 64;

/// The fewest characters of a site shown, whatever the pane.
const MIN_SITE_CHARS: usize = 16;

/// The most rows a frame lists: a Record tab showing 5,000 sites took 65 ms
/// a frame, each laid out in a grid nobody scrolls through; with 100 of
/// them listed, 1.4 ms (BENCHMARKS.md).
pub const SITES_LISTED: usize = 100;

/// The columns after the site's, and the order each header's click sets.
/// No column of frees: a site's are its allocations less its live blocks
/// (a free counts against the site that allocated), and the room it took
/// is a long name's at 1024 pixels.
const COUNT_HEADERS: [(&str, Option<SiteOrder>); 5] = [
    ("Heap", None),
    ("Allocations", Some(SiteOrder::Allocations)),
    (TEMPORARY, Some(SiteOrder::Temporary)),
    ("Live", Some(SiteOrder::Live)),
    ("Peak", Some(SiteOrder::Peak)),
];

const TEMPORARY: &str = "Temporary";

/// What the temporary column counts, on its header's hover.
const TEMPORARY_MEANS: &str = "Temporary allocations: blocks freed by the thread that allocated them before it \
     allocated again, each an allocator's round trip that a reused buffer or a borrow would save.";

/// Which rows come first: by heap then name, or the most of a count first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SiteOrder {
    #[default]
    Name,
    Allocations,
    Temporary,
    Live,
    Peak,
}

impl SiteOrder {
    /// The count rows are ranked by, the most first; none by name.
    fn rank(self) -> Option<fn(&SiteRow) -> u64> {
        match self {
            SiteOrder::Name => None,
            SiteOrder::Allocations => Some(|row| row.stats.allocations),
            SiteOrder::Temporary => Some(|row| row.stats.temporary),
            SiteOrder::Live => Some(|row| row.stats.live_bytes),
            SiteOrder::Peak => Some(|row| row.stats.peak_bytes),
        }
    }

    /// The first `listed` of `rows` (sorted by heap then name) in this
    /// order: only those listed are sorted.
    fn first(self, rows: &[SiteRow], listed: usize) -> Vec<&SiteRow> {
        match self.rank() {
            None => rows.iter().take(listed).collect(),
            Some(count) => rows_with_the_most(rows.iter().collect(), listed, count).0,
        }
    }
}

/// The table of `rows`, in the order its headers chose last (kept in
/// egui's memory under the table's id).
pub fn site_table_ui(ui: &mut Ui, rows: &[SiteRow]) {
    ui.label(RichText::new(format!("Allocation sites ({})", format::thousands(rows.len() as u64))).strong());
    if rows.is_empty() {
        ui.weak("Nothing allocated yet.");
        return;
    }
    // One order for every sites table: a choice made in one tab holds in the other.
    let order_id = egui::Id::unique("allocation-sites-order");
    let mut order: SiteOrder = ui.data(|d| d.get_temp(order_id)).unwrap_or_default();
    let listed = order.first(rows, SITES_LISTED);
    let counts: Vec<[String; 4]> = listed
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
        for (header, sets) in std::iter::once(("Site", Some(SiteOrder::Name))).chain(COUNT_HEADERS) {
            match sets {
                Some(choice) => {
                    // A label that takes clicks, not a button: a button's
                    // padding is a long name's room at 1024 pixels. The
                    // header whose order the table is in is underlined.
                    let text = RichText::new(header).strong();
                    let text = if order == choice { text.underline() } else { text };
                    let clicked = ui.add(egui::Label::new(text).sense(egui::Sense::click()));
                    let hint = if choice == SiteOrder::Name { "by heap, then name" } else { "the most first" };
                    let clicked = if header == TEMPORARY {
                        clicked.on_hover_text(format!("{TEMPORARY_MEANS}\nClick to list {hint}."))
                    } else {
                        clicked.on_hover_text(format!("Click to list {hint}."))
                    };
                    if clicked.clicked() {
                        order = choice;
                    }
                }
                None => {
                    ui.label(RichText::new(header).strong());
                }
            }
        }
        ui.end_row();
        for (row, counts) in listed.iter().zip(&counts) {
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
    if rows.len() > listed.len() {
        ui.weak(format!(
            "and {} more site(s): a header's click lists the first {SITES_LISTED} in its order",
            format::thousands((rows.len() - listed.len()) as u64)
        ));
    }
    ui.data_mut(|d| d.insert_temp(order_id, order));
}

/// How many characters of a site's name fit beside the count columns, so
/// that the last column stays in a half-width pane (a long C++ or library
/// name ran the peak off the side).
fn site_chars_fitting(ui: &Ui, counts: &[[String; 4]]) -> usize {
    let mut columns: Vec<Vec<&str>> = vec![vec![COUNT_HEADERS[0].0, "Rust"]];
    for (column, (header, _)) in COUNT_HEADERS[1..].iter().enumerate() {
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

#[cfg(test)]
mod tests {
    use super::SiteOrder;
    use crate::ffi::Domain;
    use crate::track::{AtPeak, BlockCounts, SiteRow};

    fn row(site: &'static str, allocations: u64, temporary: u64) -> SiteRow {
        SiteRow {
            domain: Domain::C,
            site,
            stats: BlockCounts { allocations, temporary, ..BlockCounts::default() },
            at_peak: AtPeak::default(),
        }
    }

    #[test]
    fn a_count_lists_its_most_first_and_only_as_many_as_asked() {
        let rows = [row("a", 5, 0), row("b", 9, 1), row("c", 1, 7), row("d", 9, 3)];
        let names = |order: SiteOrder, listed| order.first(&rows, listed).iter().map(|r| r.site).collect::<Vec<_>>();
        assert_eq!(names(SiteOrder::Name, 3), ["a", "b", "c"]);
        assert_eq!(names(SiteOrder::Allocations, 3), ["b", "d", "a"], "ties by name");
        assert_eq!(names(SiteOrder::Temporary, 2), ["c", "d"]);
        assert_eq!(names(SiteOrder::Temporary, 10), ["c", "d", "b", "a"]);
    }
}
