//! The allocation plot: live blocks and live bytes of both heaps against the
//! event sequence, with anomalies as markers and step starts as lines.

use egui::Ui;
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoints, Points, VLine};

use crate::ffi::Domain;
use crate::track::{HeapModel, Model, SeriesPoint};

use super::{ANOMALY_COLOR, heap_color};

/// Above this many points a series is denser than any plot is wide.
const DENSE_POINTS: usize = 4096;

/// What a series plots from each point.
#[derive(Clone, Copy)]
enum Measure {
    Blocks,
    Bytes,
}

impl Measure {
    fn of(self, point: &SeriesPoint) -> u64 {
        match self {
            Measure::Blocks => point.live_blocks,
            Measure::Bytes => point.live_bytes,
        }
    }
}

/// A step-shaped line through a heap's series, extended to `end_seq` so the
/// latest value stays visible. Only changes make corners: repeated points
/// would be zero-length segments, which the tessellator draws as spikes.
fn step_points(heap: &HeapModel, measure: Measure, end_seq: u64) -> Vec<[f64; 2]> {
    let series = heap.series();
    let mut points = Vec::with_capacity(series.len() * 2 + 2);
    let mut last = 0;
    points.push([0.0, 0.0]);
    for point in series {
        let value = measure.of(point);
        if value != last {
            let x = point.seq as f64;
            points.push([x, last as f64]);
            points.push([x, value as f64]);
            last = value;
        }
    }
    let end = end_seq as f64;
    if points.last().is_some_and(|&[x, _]| x < end) {
        points.push([end, last as f64]);
    }
    points
}

/// Draws the two stacked plots (blocks above, bytes below), x axes linked.
pub fn allocation_plot_ui(ui: &mut Ui, model: &Model, id_salt: &str) {
    let end_seq = model.next_seq();
    let link = egui::Id::unique((id_salt, "x-link"));
    let height = ((ui.available_height() - 24.0) / 2.0).max(120.0);
    for (measure, title, unit) in [(Measure::Blocks, "Live blocks", "blocks"), (Measure::Bytes, "Live bytes", "bytes")]
    {
        ui.label(egui::RichText::new(title).strong());
        Plot::new((id_salt, title))
            .height(height)
            .legend(Legend::default())
            .link_axis(link, [true, false])
            // Counts are never negative; an empty plot still shows a sensible frame.
            .include_y(0.0)
            .include_y(1.0)
            .include_x(0.0)
            .include_x(8.0)
            .x_axis_label("event sequence")
            .y_axis_label(unit)
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                for domain in Domain::ALL {
                    let points = step_points(model.heap(domain), measure, end_seq);
                    // egui_plot folds dense lines into min/max bands per pixel
                    // column; a sparse step line must stay a line, or its
                    // risers are drawn as filled wedges.
                    let dense = points.len() > DENSE_POINTS;
                    plot_ui.line(
                        Line::new(format!("{} heap", domain.label()), PlotPoints::new(points))
                            .color(heap_color(domain))
                            .width(2.0)
                            .allow_band(dense),
                    );
                }
                for (step, &start) in model.step_starts().iter().enumerate() {
                    plot_ui.vline(
                        VLine::new(format!("step {}", step + 1), start as f64).color(egui::Color32::GRAY).width(1.0),
                    );
                }
                let markers: Vec<[f64; 2]> =
                    model.anomalies().iter().filter_map(|a| a.seq).map(|seq| [seq as f64, 0.0]).collect();
                if !markers.is_empty() {
                    plot_ui.points(
                        Points::new("anomalies", PlotPoints::new(markers))
                            .color(ANOMALY_COLOR)
                            .shape(MarkerShape::Diamond)
                            .radius(6.0),
                    );
                }
            });
    }
}
