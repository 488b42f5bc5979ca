//! The allocation plot: live blocks and live bytes of both heaps against the
//! event sequence or time, with anomalies as markers (hover one to read what
//! happened) and step starts as vertical lines.

use egui::Ui;
use egui_plot::{HoverPosition, Legend, Line, MarkerShape, Plot, PlotPoints, Points, VLine};
use serde::{Deserialize, Serialize};

use crate::ffi::Domain;
use crate::track::{Anomaly, Model, SeriesPoint};

use super::{ANOMALY_COLOR, format, heap_color};

/// Above this many points a series is denser than any plot is wide.
const DENSE_POINTS: usize = 4096;
const ANOMALY_SERIES: &str = "anomalies";

/// What the horizontal axis measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum XAxis {
    /// Position in the event stream: every event one unit apart.
    #[default]
    Sequence,
    /// Milliseconds since the first event.
    Time,
}

impl XAxis {
    pub fn label(self) -> &'static str {
        match self {
            XAxis::Sequence => "event sequence",
            XAxis::Time => "time (ms)",
        }
    }

    /// Where a moment lies on this axis.
    fn x(self, seq: u64, time_ns: u64, origin_ns: u64) -> f64 {
        match self {
            XAxis::Sequence => seq as f64,
            XAxis::Time => time_ns.saturating_sub(origin_ns) as f64 / 1e6,
        }
    }
}

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

    fn describe(self, value: f64) -> String {
        match self {
            Measure::Blocks => format!("{} live blocks", format::thousands(value as u64)),
            Measure::Bytes => format!("{} live", format::bytes(value as u64)),
        }
    }
}

/// A step-shaped line through a heap's series, extended to `end` so the
/// latest value stays visible. Only changes make corners: repeated points
/// would be zero-length segments, which the tessellator draws as spikes.
fn step_points(series: &[SeriesPoint], measure: Measure, x: impl Fn(&SeriesPoint) -> f64, end: f64) -> Vec<[f64; 2]> {
    let mut points = Vec::with_capacity(series.len() * 2 + 2);
    let mut last = 0;
    points.push([0.0, 0.0]);
    for point in series {
        let value = measure.of(point);
        if value != last {
            let at = x(point);
            points.push([at, last as f64]);
            points.push([at, value as f64]);
            last = value;
        }
    }
    if points.last().is_some_and(|&[at, _]| at < end) {
        points.push([end, last as f64]);
    }
    points
}

/// Draws the two stacked plots (blocks above, bytes below), x axes linked.
pub fn allocation_plot_ui(ui: &mut Ui, model: &Model, x_axis: XAxis, id_salt: &str) {
    let origin_ns = model.first_time_ns().unwrap_or(0);
    let end = match x_axis {
        XAxis::Sequence => model.next_seq() as f64,
        XAxis::Time => x_axis.x(0, model.last_time_ns().unwrap_or(origin_ns), origin_ns),
    };
    let marked: Vec<&Anomaly> = model.anomalies().iter().filter(|a| a.seq.is_some()).collect();
    let link = egui::Id::unique((id_salt, "x-link"));
    let height = ((ui.available_height() - 24.0) / 2.0).max(120.0);
    for (measure, title, unit) in [(Measure::Blocks, "Live blocks", "blocks"), (Measure::Bytes, "Live bytes", "bytes")]
    {
        ui.label(egui::RichText::new(title).strong());
        let marked = &marked;
        Plot::new((id_salt, title))
            .height(height)
            .legend(Legend::default())
            .link_axis(link, [true, false])
            // Counts are never negative; an empty plot still shows a sensible frame.
            .include_y(0.0)
            .include_y(1.0)
            .include_x(0.0)
            .include_x(if x_axis == XAxis::Sequence { 8.0 } else { 1.0 })
            .x_axis_label(x_axis.label())
            .y_axis_label(unit)
            .allow_scroll(false)
            .label_formatter(move |hover| hover_text(hover, measure, x_axis, marked))
            .show(ui, |plot_ui| {
                for domain in Domain::ALL {
                    let series = model.heap(domain).series();
                    let points = step_points(series, measure, |p| x_axis.x(p.seq, p.time_ns, origin_ns), end);
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
                for (step, start) in model.step_starts().iter().enumerate() {
                    let at = x_axis.x(start.seq, start.time_ns, origin_ns);
                    plot_ui.vline(VLine::new(format!("step {}", step + 1), at).color(egui::Color32::GRAY).width(1.0));
                }
                if !marked.is_empty() {
                    let markers: Vec<[f64; 2]> = marked
                        .iter()
                        .map(|a| [x_axis.x(a.seq.unwrap_or(0), a.time_ns.unwrap_or(origin_ns), origin_ns), 0.0])
                        .collect();
                    plot_ui.points(
                        Points::new(ANOMALY_SERIES, PlotPoints::new(markers))
                            .color(ANOMALY_COLOR)
                            .shape(MarkerShape::Diamond)
                            .radius(6.0),
                    );
                }
            });
    }
}

/// Hovering a marker tells what went wrong; hovering a line, the heap's state.
fn hover_text(hover: &HoverPosition<'_>, measure: Measure, x_axis: XAxis, marked: &[&Anomaly]) -> Option<String> {
    let HoverPosition::NearDataPoint { plot_name, position, index } = *hover else { return None };
    if plot_name == ANOMALY_SERIES {
        return marked.get(index).map(|a| format!("{}\n{}", a.kind.label(), a.message));
    }
    let at = match x_axis {
        XAxis::Sequence => format!("event #{}", position.x as u64),
        XAxis::Time => format!("{:.3} ms", position.x),
    };
    Some(format!("{plot_name}, {at}: {}", measure.describe(position.y)))
}
