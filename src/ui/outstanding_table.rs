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

/// The fewest characters of a site's name worth showing before the age or
/// event column makes way for it.
const SITE_CHARS_WANTED: usize = 24;

/// The fewest characters of a site shown, whatever the pane.
const MIN_SITE_CHARS: usize = 12;

/// The fewest characters of the releaser kept before the site gives way.
const RELEASER_CHARS_KEPT: usize = 16;

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
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace).max(ui.spacing().interact_size.y);
    // Only the rows in view are laid out: ten thousand blocks cost what twenty do.
    ScrollArea::vertical().id_salt("outstanding-rows").max_height(TABLE_HEIGHT).auto_shrink([false, true]).show_rows(
        ui,
        row_height,
        blocks.len(),
        |ui, shown| {
            let at_top = shown.start == 0;
            let rows = blocks[shown].iter().map(|block| BlockRow::new(block, context)).collect::<Vec<_>>();
            let fit = Fit::to(ui, &rows, context);
            Grid::new("outstanding-blocks").striped(true).num_columns(fit.headers.len()).show(ui, |ui| {
                if at_top {
                    for header in &fit.headers {
                        ui.label(RichText::new(*header).strong());
                    }
                    ui.end_row();
                }
                for row in &rows {
                    row.ui(ui, &fit);
                    ui.end_row();
                }
            });
        },
    );
}

/// One block's cells, as text.
struct BlockRow<'a> {
    block: &'a OutstandingBlock,
    address: String,
    size: String,
    site: &'static str,
    /// The block's age in steps, or the event that allocated it.
    when: String,
    releaser: Option<&'static str>,
}

impl<'a> BlockRow<'a> {
    fn new(block: &'a OutstandingBlock, context: Option<&BlockContext<'_>>) -> BlockRow<'a> {
        let site = block.site.map_or("(unknown)", Site::name);
        let when = match context.and_then(|c| c.current_step) {
            Some(now) => block.step.map_or_else(
                || "-".to_owned(),
                |then| format!("{} step{}", now - then, if now - then == 1 { "" } else { "s" }),
            ),
            None => format!("#{}", block.seq),
        };
        BlockRow {
            block,
            address: format!("{:#014x}", block.address),
            size: format::bytes(block.size),
            site,
            when,
            releaser: context.map(|c| (c.releaser)(site).unwrap_or("its allocator's free")),
        }
    }

    fn ui(&self, ui: &mut Ui, fit: &Fit) {
        if fit.address_shown {
            ui.monospace(&self.address);
        }
        ui.label(&self.size);
        ui.label(RichText::new(self.block.domain.label()).color(heap_color(self.block.domain)));
        // Long names (a generic's whole path) would push the other columns
        // out of the pane: shortened to what fits, the whole name on hover.
        let shown = format::short_site(self.site, fit.site_chars);
        let label = ui.monospace(shown.as_ref());
        // What the row leaves out is on hover: the whole name, the address.
        let shortened = shown.len() != self.site.len();
        if shortened || !fit.address_shown {
            label.on_hover_ui(|ui| {
                if shortened {
                    ui.label(self.site);
                }
                if !fit.address_shown {
                    ui.label(format!("at {}", self.address));
                }
            });
        }
        if fit.when_shown {
            ui.label(&self.when);
        }
        if let Some(releaser) = self.releaser {
            match fit.releasers_cut.iter().find(|(whole, _)| *whole == releaser) {
                Some((_, cut)) if cut.len() != releaser.len() => drop(ui.label(cut).on_hover_text(releaser)),
                _ => drop(ui.label(releaser)),
            }
        }
    }
}

/// The columns a pane of this width shows, and how much of a site's name
/// and its releaser. The site takes what the other columns leave; where
/// that is too little (a half-width pane on a projector), the age or event
/// column goes first, then the address.
struct Fit {
    headers: Vec<&'static str>,
    address_shown: bool,
    when_shown: bool,
    site_chars: usize,
    /// Each releaser of the rows shown and as much of it as fits, when the
    /// widest does not fit whole (measured once per releaser, not per row).
    releasers_cut: Vec<(&'static str, String)>,
}

impl Fit {
    fn to(ui: &Ui, rows: &[BlockRow<'_>], context: Option<&BlockContext<'_>>) -> Fit {
        let when_header = if context.is_some_and(|c| c.current_step.is_some()) { "Age" } else { "Event" };
        let body = egui::TextStyle::Body.resolve(ui.style());
        let mono = egui::TextStyle::Monospace.resolve(ui.style());
        let (widths, mono_char, body_char) = ui.fonts_mut(|fonts| {
            let mut width_of = |texts: &mut dyn Iterator<Item = &str>, header: &str, font: &egui::FontId| {
                let widest = texts
                    .map(|text| fonts.layout_no_wrap(text.to_owned(), font.clone(), egui::Color32::WHITE).size().x)
                    .fold(0.0_f32, f32::max);
                let header = fonts.layout_no_wrap(header.to_owned(), body.clone(), egui::Color32::WHITE).size().x;
                widest.max(header)
            };
            let widths = [
                width_of(&mut rows.iter().map(|r| r.address.as_str()), "Address", &mono),
                width_of(&mut rows.iter().map(|r| r.size.as_str()), "Size", &body),
                width_of(&mut rows.iter().map(|r| r.block.domain.label()), "Heap", &body),
                width_of(&mut rows.iter().map(|r| r.when.as_str()), when_header, &body),
                width_of(&mut rows.iter().filter_map(|r| r.releaser), "Release with", &body),
            ];
            // The widest common letter stands for a proportional one.
            (widths, fonts.glyph_width(&mono, '0').max(1.0), fonts.glyph_width(&body, 'o').max(1.0))
        });
        // A grid's column is never narrower than an interactive widget.
        let [address, size, heap, when, releaser] = widths.map(|w| w.max(ui.spacing().interact_size.x));
        let gap = ui.spacing().item_spacing.x;
        // As much of the longest site as is worth keeping: all of a short one.
        let longest_site = rows.iter().map(|r| r.site.chars().count()).max().unwrap_or(0);
        let site_wanted = longest_site.clamp(MIN_SITE_CHARS, SITE_CHARS_WANTED) as f32 * mono_char;
        // The releaser says what to do: it keeps a readable start when short of room.
        let releaser_least =
            if context.is_some() { releaser.min(RELEASER_CHARS_KEPT as f32 * body_char) + gap } else { 0.0 };
        // What a solid scroll bar takes, and a character's slack for rounding.
        let room = ui.available_width() - ui.spacing().scroll.allocated_width() - mono_char;
        // Short of room for the site and the releaser, the event or age
        // column goes first, then the address (named on the site's hover).
        let (mut when_shown, mut address_shown) = (true, true);
        let left = |when_shown: bool, address_shown: bool| {
            room - size
                - heap
                - 2.0 * gap
                - if when_shown { when + gap } else { 0.0 }
                - if address_shown { address + gap } else { 0.0 }
        };
        // The age or event column gives way to a releaser shown whole; the
        // address only to one that would otherwise be cut short.
        let releaser_whole = if context.is_some() { releaser + gap } else { 0.0 };
        if left(when_shown, address_shown) < site_wanted + releaser_whole {
            when_shown = false;
        }
        if left(when_shown, address_shown) < site_wanted + releaser_least {
            address_shown = false;
        }
        let mut left = left(when_shown, address_shown);
        let releaser_room = match context {
            Some(_) => releaser.min((left - gap - site_wanted).max(releaser_least - gap)),
            None => 0.0,
        };
        if context.is_some() {
            left -= releaser_room + gap;
        }
        let site_chars = ((left / mono_char).max(0.0) as usize).clamp(MIN_SITE_CHARS, SITE_CHARS);
        let mut releasers_cut: Vec<(&'static str, String)> = Vec::new();
        if releaser_room < releaser {
            for whole in rows.iter().filter_map(|row| row.releaser) {
                if !releasers_cut.iter().any(|(seen, _)| *seen == whole) {
                    releasers_cut.push((whole, cut_to_width(ui, whole, releaser_room)));
                }
            }
        }
        let mut headers = vec!["Size", "Heap", "Allocated by"];
        if address_shown {
            headers.insert(0, "Address");
        }
        if when_shown {
            headers.push(when_header);
        }
        if context.is_some() {
            headers.push("Release with");
        }
        Fit { headers, address_shown, when_shown, site_chars, releasers_cut }
    }
}

/// `text`, or if it is wider than `width`, its longest start that fits with
/// an ellipsis after it, measured in the body font (a proportional font's
/// letters differ too much to count them).
fn cut_to_width(ui: &Ui, text: &str, width: f32) -> String {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let fits = |candidate: &str| {
        let wide =
            ui.fonts_mut(|f| f.layout_no_wrap(candidate.to_owned(), font.clone(), egui::Color32::WHITE).size().x);
        wide <= width
    };
    if fits(text) {
        return text.to_owned();
    }
    let start = |chars: usize| text.chars().take(chars).chain(std::iter::once('…')).collect::<String>();
    // The longest fitting start has at least `fitting` characters and fewer than `too_many`.
    let (mut fitting, mut too_many) = (0, text.chars().count());
    while too_many - fitting > 1 {
        let middle = usize::midpoint(fitting, too_many);
        if fits(&start(middle)) { fitting = middle } else { too_many = middle }
    }
    start(fitting)
}
