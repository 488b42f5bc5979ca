//! A recording's call stacks drawn as a flame graph, root on top (an
//! icicle, read down as the calls go): each frame as wide as what the
//! stacks through it weigh, its callees under it by name. Hovering a frame
//! tells everything its stacks did; clicking one draws it the whole width,
//! the frames that called it above it, dimmed, to click back up to.

use std::fmt::Write as _;

use egui::text::{LayoutJob, TextWrapping};
use egui::{Color32, Rect, Sense, Stroke, TextFormat, TextStyle, Ui};

use crate::export::flame::FlameOf;
use crate::ffi::Domain;
use crate::record::flame_tree::{FlameFrame, FlameTree, FrameIndex};

use super::{format, heap_color};

/// The narrowest frame drawn, in points: narrower ones are left out, with
/// their callees (zooming in shows them).
const NARROWEST_DRAWN: f32 = 1.0;
/// The narrowest frame that can be hovered and clicked.
const NARROWEST_PICKED: f32 = 2.0;
/// The narrowest frame that is labelled: room for a letter and "…".
const NARROWEST_LABELLED: f32 = 24.0;
/// A frame's inner margin, either side of its label.
const LABEL_MARGIN: f32 = 3.0;
const LABEL_COLOR: Color32 = Color32::from_rgb(0x1a, 0x1a, 0x1a);
/// A frame the search found: apart from both heaps' hues, as flame graphs
/// have marked theirs.
const FOUND_COLOR: Color32 = Color32::from_rgb(0xd9, 0x5c, 0xd9);

/// A frame where the graph draws it: `left` and `width` in points from the
/// graph's left edge, `row` 0 at the top.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedFrame {
    pub frame: FrameIndex,
    pub left: f32,
    pub width: f32,
    pub row: usize,
    /// A frame above the one zoomed into: drawn whole width, dimmed.
    pub above_zoom: bool,
}

/// Where each frame is drawn, `width` points wide, zoomed into `zoom`:
/// the frames from the root down to it each the whole width, then its
/// callees in proportion to what they weigh, those narrower than
/// `narrowest` left out with theirs. Costs a visit of the frames drawn,
/// not of the tree.
pub fn place_frames(tree: &FlameTree, of: FlameOf, zoom: FrameIndex, width: f32, narrowest: f32) -> Vec<PlacedFrame> {
    let path = tree.path_to(zoom);
    let zoom = *path.last().unwrap_or(&FlameTree::ROOT);
    let mut placed: Vec<PlacedFrame> = path
        .iter()
        .enumerate()
        .map(|(row, &frame)| PlacedFrame { frame, left: 0.0, width, row, above_zoom: frame != zoom })
        .collect();
    let total = tree.frame(zoom).map_or(0, |frame| of.weight(&frame.counts));
    if total == 0 {
        return placed;
    }
    let points_per_unit = f64::from(width) / total as f64;
    // Each frame's callees from its left edge, one row further down.
    let mut pending = vec![(zoom, 0.0_f64, path.len() - 1)];
    while let Some((at, left, row)) = pending.pop() {
        let Some(frame) = tree.frame(at) else { continue };
        let mut callee_left = left;
        for &callee in &frame.children {
            let Some(weight) = tree.frame(callee).map(|c| of.weight(&c.counts)).filter(|&w| w > 0) else { continue };
            let callee_width = weight as f64 * points_per_unit;
            if callee_width >= f64::from(narrowest) {
                placed.push(PlacedFrame {
                    frame: callee,
                    left: callee_left as f32,
                    width: callee_width as f32,
                    row: row + 1,
                    above_zoom: false,
                });
                pending.push((callee, callee_left, row + 1));
            }
            callee_left += callee_width;
        }
    }
    placed
}

/// What a frame's hover says: its name, what it weighs and its share of
/// the graph (and of the frame zoomed into), then all its stacks did.
pub fn frame_summary(tree: &FlameTree, frame: FrameIndex, of: FlameOf, zoom: FrameIndex) -> String {
    let Some(shown) = tree.frame(frame) else { return String::new() };
    let weight = of.weight(&shown.counts);
    let share_of = |whole: FrameIndex| {
        let whole = tree.frame(whole).map_or(0, |w| of.weight(&w.counts));
        if whole == 0 { 0.0 } else { 100.0 * weight as f64 / whole as f64 }
    };
    let mut share = format!("{:.1}% of the graph", share_of(FlameTree::ROOT));
    if zoom != FlameTree::ROOT
        && zoom != frame
        && tree.path_to(frame).contains(&zoom)
        && let Some(zoomed) = tree.frame(zoom)
    {
        let _ = write!(share, ", {:.1}% of {}", share_of(zoom), zoomed.name);
    }
    let counts = &shown.counts;
    let mut lines = vec![
        shown.name.clone(),
        format!("{}: {share}", weighed(of, weight)),
        format!(
            "Held at its heap's peak: {} in {}",
            format::bytes(counts.peak_bytes),
            format::blocks(counts.peak_blocks)
        ),
    ];
    if counts.leaked_blocks > 0 {
        lines.push(format!(
            "Leaked: {} in {}",
            format::bytes(counts.leaked_bytes),
            format::blocks(counts.leaked_blocks)
        ));
    }
    lines.push(format!(
        "Allocated over the run: {} in {} allocation{}, {} temporary",
        format::bytes(counts.allocated_bytes),
        format::thousands(counts.allocations),
        if counts.allocations == 1 { "" } else { "s" },
        format::thousands(counts.temporary),
    ));
    lines.join("\n")
}

/// A weight as its unit says it: `4.0 KiB`, `12 allocations`.
pub fn weighed(of: FlameOf, weight: u64) -> String {
    if of.counts_bytes() { format::bytes(weight) } else { format!("{} {}", format::thousands(weight), of.unit()) }
}

/// Draws the graph the width of `ui`, zoomed into `zoom`, the frames
/// `found` marked; the frame clicked, to zoom into next.
#[must_use]
pub fn flame_graph_ui(
    ui: &mut Ui,
    tree: &FlameTree,
    of: FlameOf,
    zoom: FrameIndex,
    found: &[bool],
) -> Option<FrameIndex> {
    let width = ui.available_width();
    let row_height = ui.text_style_height(&TextStyle::Body) + 2.0 * LABEL_MARGIN;
    let placed = place_frames(tree, of, zoom, width, NARROWEST_DRAWN);
    let rows = placed.iter().map(|p| p.row + 1).max().unwrap_or(1);
    let (area, _) = ui.allocate_exact_size(egui::vec2(width, rows as f32 * row_height), Sense::hover());
    let font = TextStyle::Body.resolve(ui.style());
    let id = ui.make_persistent_id("flame-graph");
    let mut clicked = None;
    for frame_placed in &placed {
        let Some(frame) = tree.frame(frame_placed.frame) else { continue };
        let min = area.min + egui::vec2(frame_placed.left, frame_placed.row as f32 * row_height);
        // A point's gap under and after each frame keeps neighbours apart.
        let rect = Rect::from_min_size(min, egui::vec2((frame_placed.width - 1.0).max(1.0), row_height - 1.0));
        if !ui.is_rect_visible(rect) {
            continue;
        }
        let painter = ui.painter();
        let color = if found.get(frame_placed.frame).copied().unwrap_or(false) {
            FOUND_COLOR
        } else {
            frame_color(frame, frame_placed.above_zoom)
        };
        painter.rect_filled(rect, 2.0, color);
        if frame_placed.width >= NARROWEST_LABELLED {
            let mut job = LayoutJob::single_section(frame.name.clone(), TextFormat::simple(font.clone(), LABEL_COLOR));
            job.wrap = TextWrapping::truncate_at_width(rect.width() - 2.0 * LABEL_MARGIN);
            let galley = painter.layout_job(job);
            let at = egui::pos2(rect.min.x + LABEL_MARGIN, rect.center().y - galley.size().y / 2.0);
            painter.galley(at, galley, LABEL_COLOR);
        }
        if frame_placed.width < NARROWEST_PICKED {
            continue;
        }
        let response = ui.interact(rect, id.with(frame_placed.frame), Sense::click());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &frame.name));
        if response.hovered() {
            ui.painter().rect_stroke(
                rect,
                2.0,
                Stroke::new(1.5, ui.visuals().strong_text_color()),
                egui::StrokeKind::Inside,
            );
        }
        // Told only while hovered: every frame drawn would format its own.
        let hovered = response.on_hover_ui(|ui| {
            ui.label(frame_summary(tree, frame_placed.frame, of, zoom));
        });
        if hovered.clicked() {
            clicked = Some(frame_placed.frame);
        }
    }
    clicked
}

/// A frame's colour: its heap's, shifted toward a neighbouring hue and
/// lightened by a hash of its name, so that neighbours differ and a
/// function keeps its colour wherever it is; the root grey, and the frames
/// above a zoom dimmed toward grey.
fn frame_color(frame: &FlameFrame, above_zoom: bool) -> Color32 {
    let grey = Color32::from_gray(0xa8);
    let Some(heap) = frame.heap else { return grey };
    // FNV-1a: the same name, the same shade, run after run.
    let hash =
        frame.name.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193));
    let share = |shift: u32| f32::from((hash >> shift) as u8) / 255.0;
    let neighbour = match heap {
        Domain::C => Color32::from_rgb(0x6a, 0x74, 0xd6),
        Domain::Rust => Color32::from_rgb(0xd9, 0x4f, 0x3b),
    };
    let hue = heap_color(heap).lerp_to_gamma(neighbour, 0.6 * share(8));
    let color = hue.lerp_to_gamma(Color32::WHITE, 0.2 + 0.35 * share(16));
    if above_zoom { color.lerp_to_gamma(grey, 0.6) } else { color }
}

#[cfg(test)]
mod tests {
    use super::{PlacedFrame, frame_summary, place_frames};
    use crate::export::flame::FlameOf;
    use crate::ffi::Domain;
    use crate::record::flame::{FlameCounts, FlameStack};
    use crate::record::flame_tree::{FlameTree, FrameIndex};

    fn tree() -> FlameTree {
        let stack = |frames: &[&str], peak_bytes: u64, leaked_bytes: u64| FlameStack {
            heap: Domain::C,
            frames: frames.iter().map(|&f| f.to_owned()).collect(),
            counts: FlameCounts {
                allocations: 2,
                allocated_bytes: 2 * peak_bytes.max(leaked_bytes),
                peak_blocks: 1,
                peak_bytes,
                leaked_blocks: u64::from(leaked_bytes > 0),
                leaked_bytes,
                ..FlameCounts::default()
            },
        };
        FlameTree::new(&[
            stack(&["main (a.c:9)", "load (a.c:5)"], 600, 0),
            stack(&["main (a.c:9)", "parse (a.c:3)"], 200, 90),
            stack(&["main (a.c:9)", "parse (a.c:3)", "tiny (a.c:1)"], 1, 0),
        ])
    }

    fn index_of(tree: &FlameTree, name: &str) -> FrameIndex {
        (0..tree.len()).find(|&i| tree.frame(i).is_some_and(|f| f.name == name)).expect(name)
    }

    fn named<'t>(tree: &'t FlameTree, placed: &[PlacedFrame]) -> Vec<(&'t str, f32, f32, usize)> {
        placed.iter().map(|p| (tree.frame(p.frame).map_or("", |f| f.name.as_str()), p.left, p.width, p.row)).collect()
    }

    #[test]
    fn frames_are_as_wide_as_they_weigh_by_name_under_their_caller() {
        let tree = tree();
        let mut placed = named(&tree, &place_frames(&tree, FlameOf::Peak, FlameTree::ROOT, 801.0, 2.0));
        placed.sort_by(|a, b| a.3.cmp(&b.3).then(a.1.total_cmp(&b.1)));
        assert_eq!(
            placed,
            [
                ("all", 0.0, 801.0, 0),
                ("C heap", 0.0, 801.0, 1),
                ("main (a.c:9)", 0.0, 801.0, 2),
                ("load (a.c:5)", 0.0, 600.0, 3),
                ("parse (a.c:3)", 600.0, 201.0, 3),
            ],
            "tiny's 1 B is a point wide, under the 2 points asked"
        );
        let leaks = named(&tree, &place_frames(&tree, FlameOf::Leaks, FlameTree::ROOT, 90.0, 1.0));
        assert!(leaks.iter().all(|&(name, ..)| name != "load (a.c:5)"), "load leaked nothing: {leaks:?}");
        assert!(leaks.contains(&("parse (a.c:3)", 0.0, 90.0, 3)), "{leaks:?}");
    }

    #[test]
    fn a_zoomed_frame_is_drawn_whole_under_its_callers_and_its_callees_in_proportion() {
        let tree = tree();
        let parse = index_of(&tree, "parse (a.c:3)");
        let placed = place_frames(&tree, FlameOf::Peak, parse, 201.0, 1.0);
        let above: Vec<bool> = placed.iter().take(4).map(|p| p.above_zoom).collect();
        assert_eq!(above, [true, true, true, false], "all, C heap and main above, parse itself not");
        let mut drawn = named(&tree, &placed);
        drawn.sort_by_key(|d| d.3);
        assert_eq!(drawn[3..], [("parse (a.c:3)", 0.0, 201.0, 3), ("tiny (a.c:1)", 0.0, 1.0, 4)]);
        assert!(placed.iter().all(|p| p.frame != index_of(&tree, "load (a.c:5)")), "load is not under parse");
    }

    #[test]
    fn a_hover_tells_the_share_weighed_and_all_the_stacks_did() {
        let tree = tree();
        let parse = index_of(&tree, "parse (a.c:3)");
        let summary = frame_summary(&tree, parse, FlameOf::Peak, index_of(&tree, "main (a.c:9)"));
        assert_eq!(
            summary,
            "parse (a.c:3)\n\
             201 B: 25.1% of the graph, 25.1% of main (a.c:9)\n\
             Held at its heap's peak: 201 B in 2 blocks\n\
             Leaked: 90 B in 1 block\n\
             Allocated over the run: 402 B in 4 allocations, 0 temporary"
        );
        let allocations = frame_summary(&tree, parse, FlameOf::Allocations, FlameTree::ROOT);
        assert!(allocations.starts_with("parse (a.c:3)\n4 allocations: 66.7% of the graph\n"), "{allocations}");
    }
}
