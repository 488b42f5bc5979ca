//! The allocation plot: live blocks and live bytes of both heaps against the
//! event sequence or time, with anomalies as markers (hover one to read what
//! happened), each heap's peak marked on the bytes, and step starts as
//! vertical lines.

use std::sync::Arc;

use egui::Ui;
use egui_plot::{
    HoverPosition, Legend, Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points, VLine, uniform_grid_spacer,
};
use serde::{Deserialize, Serialize};

use crate::ffi::Domain;
use crate::report::{HeapPeak, heap_peaks};
use crate::track::{Anomaly, Model, SeriesPoint};

use super::{ANOMALY_COLOR, format, heap_color};

/// Above this many points a series is denser than any plot is wide.
const DENSE_POINTS: usize = 4096;
const ANOMALY_SERIES: &str = "anomalies";
const PEAK_SERIES: &str = "peak";
/// Below this a plot is no longer readable; the page scrolls instead.
const MIN_PLOT_HEIGHT: f32 = 90.0;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Measure {
    #[default]
    Blocks,
    Bytes,
}

impl Measure {
    pub const BOTH: [Measure; 2] = [Measure::Blocks, Measure::Bytes];

    /// The plot's title.
    pub fn title(self) -> &'static str {
        match self {
            Measure::Blocks => "Live blocks",
            Measure::Bytes => "Live bytes",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Measure::Blocks => "blocks",
            Measure::Bytes => "bytes",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn of(self, point: &SeriesPoint) -> u64 {
        match self {
            Measure::Blocks => point.live_blocks,
            Measure::Bytes => point.live_bytes,
        }
    }

    /// The least and the most over the point's stretch of events.
    fn range(self, point: &SeriesPoint) -> (u64, u64) {
        match self {
            Measure::Blocks => point.blocks_range,
            Measure::Bytes => point.bytes_range,
        }
    }

    fn describe(self, value: f64) -> String {
        match self {
            Measure::Blocks => format!("{} live blocks", format::thousands(value as u64)),
            Measure::Bytes => format!("{} live", format::bytes(value as u64)),
        }
    }
}

/// Buckets across the x axis when a series is decimated: about two per
/// pixel column of a wide plot.
const BUCKETS: usize = 2048;

/// The points a heap's line is drawn with: exact steps when the series is
/// sparse; when it is dense, the minimum and maximum of each of `BUCKETS`
/// columns in the order they occurred, which keeps every spike visible.
pub(crate) fn line_points(
    series: &[SeriesPoint],
    measure: Measure,
    x: impl Fn(&SeriesPoint) -> f64,
    end: f64,
) -> Vec<[f64; 2]> {
    if series.len() <= DENSE_POINTS {
        return step_points(series, measure, x, end);
    }
    let width = (end / BUCKETS as f64).max(f64::MIN_POSITIVE);
    let mut points = Vec::with_capacity(BUCKETS * 2 + 2);
    points.push([0.0, 0.0]);
    let mut bucket: Option<Bucket> = None;
    for point in series {
        let at = x(point);
        let (least, most) = measure.range(point);
        let index = (at / width) as usize;
        match &mut bucket {
            Some(current) if current.index == index => {
                current.add((at, least));
                current.add((at, most));
            }
            _ => {
                if let Some(done) = bucket.take() {
                    done.flush(&mut points);
                }
                bucket = Some(Bucket { index, low: (at, least), high: (at, most) });
            }
        }
    }
    if let Some(done) = bucket {
        done.flush(&mut points);
    }
    if let Some(&[at, value]) = points.last()
        && at < end
    {
        points.push([end, value]);
    }
    points
}

/// One column of a decimated line: its lowest and highest samples (x, value).
struct Bucket {
    index: usize,
    low: (f64, u64),
    high: (f64, u64),
}

impl Bucket {
    fn add(&mut self, sample: (f64, u64)) {
        if sample.1 < self.low.1 {
            self.low = sample;
        }
        if sample.1 > self.high.1 {
            self.high = sample;
        }
    }

    /// Both extremes, in the order they happened.
    fn flush(self, points: &mut Vec<[f64; 2]>) {
        let (first, second) = if self.low.0 <= self.high.0 { (self.low, self.high) } else { (self.high, self.low) };
        points.push([first.0, first.1 as f64]);
        if second != first {
            points.push([second.0, second.1 as f64]);
        }
    }
}

/// What one plot draws, kept between frames until the model changes.
#[derive(Clone)]
struct CachedLines {
    key: ((u64, u64), XAxis),
    lines: Arc<Lines>,
}

/// The heaps' lines, indexed by measure (blocks, bytes) then heap, the
/// anomaly markers, and the heaps' peaks.
struct Lines {
    heaps: [[Vec<PlotPoint>; 2]; 2],
    markers: Vec<PlotPoint>,
    /// For each marker: the index of its first anomaly in the model, and how
    /// many anomalies it stands for.
    marked: Vec<(usize, usize)>,
    /// Where each heap that held anything was at its largest, on the
    /// bytes plot, and what it held then.
    peaks: Vec<PlotPoint>,
    peaked: Vec<HeapPeak>,
}

/// More markers than this are merged, one per column of the x axis: a plot
/// has no room to tell them apart, and each costs a shape every frame.
const MAX_MARKERS: usize = 512;

/// One marker per anomaly that happened at a point of the stream (a crash or
/// a lost update did not), merged by column when there are too many.
fn anomaly_markers(anomalies: &[Anomaly], x: impl Fn(u64, Option<u64>) -> f64, end: f64) -> Lines {
    let at: Vec<(usize, f64)> =
        anomalies.iter().enumerate().filter_map(|(index, a)| Some((index, x(a.seq?, a.time_ns)))).collect();
    let mut lines = Lines {
        heaps: Default::default(),
        markers: Vec::new(),
        marked: Vec::new(),
        peaks: Vec::new(),
        peaked: Vec::new(),
    };
    if at.len() <= MAX_MARKERS {
        lines.markers = at.iter().map(|&(_, x)| PlotPoint::new(x, 0.0)).collect();
        lines.marked = at.iter().map(|&(index, _)| (index, 1)).collect();
        return lines;
    }
    let width = (end / MAX_MARKERS as f64).max(f64::MIN_POSITIVE);
    let mut marker_of_column: Vec<Option<usize>> = vec![None; MAX_MARKERS + 1];
    for (index, x) in at {
        let column = ((x / width) as usize).min(MAX_MARKERS);
        if let Some(marker) = marker_of_column[column] {
            lines.marked[marker].1 += 1;
        } else {
            marker_of_column[column] = Some(lines.markers.len());
            lines.markers.push(PlotPoint::new(x, 0.0));
            lines.marked.push((index, 1));
        }
    }
    lines
}

fn cached_lines(ui: &Ui, model: &Model, x_axis: XAxis, id: egui::Id, origin_ns: u64, end: f64) -> Arc<Lines> {
    let key = (model.version(), x_axis);
    if let Some(cached) = ui.data(|d| d.get_temp::<CachedLines>(id))
        && cached.key == key
    {
        return cached.lines;
    }
    let build = |measure: Measure| {
        Domain::ALL.map(|domain| {
            line_points(model.heap(domain).series(), measure, |p| x_axis.x(p.seq, p.time_ns, origin_ns), end)
                .into_iter()
                .map(|[x, y]| PlotPoint::new(x, y))
                .collect()
        })
    };
    let mut lines =
        anomaly_markers(model.anomalies(), |seq, time_ns| x_axis.x(seq, time_ns.unwrap_or(origin_ns), origin_ns), end);
    lines.heaps = [build(Measure::Blocks), build(Measure::Bytes)];
    (lines.peaks, lines.peaked) = peak_markers(model, |seq, time_ns| x_axis.x(seq, time_ns, origin_ns));
    let lines = Arc::new(lines);
    ui.data_mut(|d| d.insert_temp(id, CachedLines { key, lines: Arc::clone(&lines) }));
    lines
}

/// A marker where each heap that held anything was at its largest, at
/// `x` of the event that made the peak and the peak's bytes high, and
/// what the heap held then.
pub(crate) fn peak_markers(model: &Model, x: impl Fn(u64, u64) -> f64) -> (Vec<PlotPoint>, Vec<HeapPeak>) {
    // No site listed: the sum of what they held is all a marker tells.
    heap_peaks(model, 0)
        .into_iter()
        .filter(|peak| peak.bytes > 0)
        .filter_map(|peak| {
            let (seq, time_ns) = model.heap(peak.heap).peak_at()?;
            Some((PlotPoint::new(x(seq, time_ns), peak.bytes as f64), peak))
        })
        .unzip()
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

/// The id of one of the plots (`title` "Live blocks" or "Live bytes"), so
/// that what it shows can be read back from egui's memory.
pub fn plot_id(id_salt: &str, title: &str) -> egui::Id {
    egui::Id::unique(("allocation-plot", id_salt, title))
}

/// The y axis's grid steps, finest first: 1, 2 or 5 times a power of ten,
/// the finest at least `finest` (what the plot makes its least spacing of
/// lines), each a multiple of the one before, so that the labels of one
/// step fall on lines of the next and never between them. `egui_plot`'s own
/// are powers of ten: a plot 60 points tall up to 5 kB (a projector's)
/// has its lines 1k apart, too close to label, and the next step, 10k,
/// marks 0 alone; here the steps are 1k, 5k and 10k, and 5k is labelled.
pub fn one_two_five_steps(finest: f64) -> [f64; 3] {
    // Blocks and bytes are counted whole: no line between 0 and 1.
    if !finest.is_finite() || finest <= 1.0 {
        return [1.0, 5.0, 10.0];
    }
    let mut power = 10f64.powf(finest.log10().floor());
    let mut multiple =
        [1u8, 2, 5, 10].into_iter().find(|&m| f64::from(m) * power >= finest * (1.0 - 1e-9)).unwrap_or(10);
    if multiple == 10 {
        (multiple, power) = (1, power * 10.0);
    }
    let fine = f64::from(multiple) * power;
    // 1 → 5 → 10, 2 → 10 → 20, 5 → 10 → 50.
    let medium = if multiple == 5 { 2.0 } else { 5.0 };
    [fine, fine * medium, fine * 10.0]
}

/// Draws a plot of each of `measures`, stacked, x axes linked, in `height`
/// points between them.
pub fn allocation_plot_ui(ui: &mut Ui, model: &Model, x_axis: XAxis, measures: &[Measure], id_salt: &str, height: f32) {
    let origin_ns = model.first_time_ns().unwrap_or(0);
    let end = match x_axis {
        XAxis::Sequence => model.next_seq() as f64,
        XAxis::Time => x_axis.x(0, model.last_time_ns().unwrap_or(origin_ns), origin_ns),
    };
    let link = egui::Id::unique((id_salt, "x-link"));
    let title_height = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y * 2.0;
    let each = (height / measures.len().max(1) as f32 - title_height).max(MIN_PLOT_HEIGHT);
    let lines = cached_lines(ui, model, x_axis, egui::Id::unique((id_salt, "lines")), origin_ns, end);
    for &measure in measures {
        let (index, title, unit) = (measure.index(), measure.title(), measure.unit());
        ui.label(egui::RichText::new(title).strong());
        let lines = &lines;
        Plot::new((id_salt, title))
            .id(plot_id(id_salt, title))
            .height(each)
            // Small and see-through: on a short plot (a projector, 1024×640)
            // the legend would otherwise hide the newest data.
            .legend(Legend::default().text_style(egui::TextStyle::Small).background_alpha(0.55))
            .link_axis(link, [true, false])
            // Counts are never negative; an empty plot still shows a sensible frame.
            .include_y(0.0)
            .include_y(1.0)
            .include_x(0.0)
            .include_x(if x_axis == XAxis::Sequence { 8.0 } else { 1.0 })
            .x_axis_label(x_axis.label())
            .y_axis_label(unit)
            // 4000000 bytes reads as 4M: a projector's margin has room for no more.
            .y_axis_formatter(|mark, _| format::axis_mark(mark.value))
            .y_grid_spacer(uniform_grid_spacer(|input| one_two_five_steps(input.base_step_size)))
            .allow_scroll(false)
            .label_formatter(move |hover| hover_text(hover, measure, x_axis, model.anomalies(), lines))
            .show(ui, |plot_ui| {
                for domain in Domain::ALL {
                    let points = &lines.heaps[index][domain.index()];
                    // egui_plot folds dense lines into min/max bands per pixel
                    // column; a sparse step line must stay a line, or its
                    // risers are drawn as filled wedges.
                    let dense = model.heap(domain).series().len() > DENSE_POINTS;
                    plot_ui.line(
                        Line::new(format!("{} heap", domain.label()), PlotPoints::Borrowed(points))
                            .color(heap_color(domain))
                            .width(2.0)
                            .allow_band(dense),
                    );
                }
                // Unnamed, so they stay out of the legend.
                for start in model.step_starts() {
                    let at = x_axis.x(start.seq, start.time_ns, origin_ns);
                    plot_ui.vline(VLine::new("", at).color(egui::Color32::GRAY).width(1.0));
                }
                if measure == Measure::Bytes && !lines.peaks.is_empty() {
                    plot_ui.points(
                        Points::new(PEAK_SERIES, PlotPoints::Borrowed(&lines.peaks))
                            .color(PEAK_COLOR)
                            .shape(MarkerShape::Down)
                            .filled(true)
                            .radius(6.0),
                    );
                }
                if !lines.markers.is_empty() {
                    plot_ui.points(
                        Points::new(ANOMALY_SERIES, PlotPoints::Borrowed(&lines.markers))
                            .color(ANOMALY_COLOR)
                            .shape(MarkerShape::Diamond)
                            .radius(6.0),
                    );
                }
            });
    }
}

/// A peak's marker: apart from both heaps' colours and the anomalies' red.
pub(crate) const PEAK_COLOR: egui::Color32 = egui::Color32::from_rgb(0xd9, 0xa4, 0x1e);

/// Hovering a marker tells what went wrong, or what a heap held at its
/// peak; hovering a line, the heap's state.
fn hover_text(
    hover: &HoverPosition<'_>,
    measure: Measure,
    x_axis: XAxis,
    anomalies: &[Anomaly],
    lines: &Lines,
) -> Option<String> {
    let HoverPosition::NearDataPoint { plot_name, position, index } = *hover else { return None };
    if plot_name == PEAK_SERIES {
        let peak = lines.peaked.get(index)?;
        return Some(format!(
            "The {} heap's peak: {} in {}",
            peak.heap.label(),
            format::bytes(peak.bytes),
            format::blocks(peak.blocks)
        ));
    }
    if plot_name == ANOMALY_SERIES {
        let &(first, count) = lines.marked.get(index)?;
        let anomaly = anomalies.get(first)?;
        let more = if count > 1 {
            format!("\n(and {} more here)", format::thousands(count as u64 - 1))
        } else {
            String::new()
        };
        return Some(format!("{}\n{}{more}", anomaly.kind.label(), anomaly.message));
    }
    let at = match x_axis {
        XAxis::Sequence => format!("event #{}", position.x as u64),
        XAxis::Time => format!("{:.3} ms", position.x),
    };
    Some(format!("{plot_name}, {at}: {}", measure.describe(position.y)))
}

/// "x axis:" and its choices as one piece of a wrapping row, after a
/// separator: moved to the next line whole when this one has no room left.
pub fn x_axis_choice_ui(ui: &mut Ui, x_axis: &mut XAxis) {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let spacing = ui.spacing();
    let (gap, padding) = (spacing.item_spacing.x, spacing.button_padding.x);
    let width: f32 = ["x axis:", XAxis::Sequence.label(), XAxis::Time.label()]
        .iter()
        .map(|text| {
            ui.painter().layout_no_wrap((*text).to_owned(), font.clone(), egui::Color32::PLACEHOLDER).size().x
                + 2.0 * padding
                + gap
        })
        .sum();
    // What is left of this line (a wrapping row's available width is the
    // whole line's); set apart from what comes before it on the same line.
    let separator = ui.spacing().item_spacing.x * 2.0;
    if ui.max_rect().right() - ui.cursor().min.x < width + separator {
        ui.end_row();
    } else {
        ui.separator();
    }
    ui.horizontal(|ui| {
        ui.weak("x axis:");
        plot_controls_ui(ui, x_axis, None);
    });
}

/// The toggles of a plot: which measure (if `measure` is given) and which x axis.
pub fn plot_controls_ui(ui: &mut Ui, x_axis: &mut XAxis, measure: Option<&mut Measure>) {
    if let Some(measure) = measure {
        for choice in Measure::BOTH {
            ui.selectable_value(measure, choice, choice.unit()).on_hover_text(choice.title());
        }
        ui.separator();
    }
    for choice in [XAxis::Sequence, XAxis::Time] {
        ui.selectable_value(x_axis, choice, choice.label());
    }
}

#[cfg(test)]
mod tests {

    /// A plot a projector leaves 60 points tall, up to 5.4 kB: its middle
    /// step is labelled (`egui_plot` labels lines at least 20 points apart)
    /// and falls within the plot, where a power of ten, 10k, did not.
    #[test]
    fn a_short_plot_has_a_labelled_line_above_zero() {
        let (top, height, least_spacing) = (5400.0, 60.0, 8.0);
        // As the axis writes them.
        let steps = |finest: f64| super::one_two_five_steps(finest).map(super::format::axis_mark);
        assert_eq!(steps(top / height * least_spacing), ["1k", "5k", "10k"]);
        let middle = super::one_two_five_steps(top / height * least_spacing)[1];
        assert!(middle / top * height >= 20.0 && middle <= top);
        assert_eq!(steps(0.3), ["1", "5", "10"], "no half a block");
        assert_eq!(steps(20.0), ["20", "100", "200"]);
        assert_eq!(steps(9.5), ["10", "50", "100"]);
        assert_eq!(steps(0.0), ["1", "5", "10"]);
    }
    use super::{MAX_MARKERS, anomaly_markers};
    use crate::ffi::{Domain, Event, EventKind};
    use crate::track::{Anomaly, AnomalyKind};

    fn at(seq: Option<u64>) -> Anomaly {
        Anomaly {
            kind: AnomalyKind::DoubleFree,
            domain: None,
            site: "free_twice".to_owned(),
            related_site: None,
            address: 0,
            bytes: 0,
            step: None,
            seq,
            time_ns: None,
            message: String::new(),
        }
    }

    #[test]
    fn few_anomalies_are_one_marker_each_and_unplaced_ones_none() {
        let anomalies = [at(Some(3)), at(None), at(Some(9))];
        let lines = anomaly_markers(&anomalies, |seq, _| seq as f64, 10.0);
        assert_eq!(lines.marked, [(0, 1), (2, 1)]);
        assert_eq!(lines.markers.iter().map(|p| p.x).collect::<Vec<_>>(), [3.0, 9.0]);
    }

    #[test]
    fn many_anomalies_merge_by_column_and_none_is_lost() {
        let anomalies: Vec<Anomaly> = (0..100_000).map(|seq| at(Some(seq))).collect();
        let lines = anomaly_markers(&anomalies, |seq, _| seq as f64, 100_000.0);
        assert!(lines.markers.len() <= MAX_MARKERS + 1, "{} markers", lines.markers.len());
        assert_eq!(lines.marked.iter().map(|&(_, count)| count).sum::<usize>(), anomalies.len());
        assert_eq!(lines.marked[0], (0, 100_000 / MAX_MARKERS + 1), "the first column starts at the first anomaly");
    }

    /// An event at `seq`, `seq` microseconds in.
    fn event(seq: u64, kind: EventKind, address: u64, size: u64, domain: Domain) -> Event {
        Event {
            seq,
            time_ns: seq * 1000,
            address,
            size,
            related_address: 0,
            related_size: 0,
            site: None,
            related_site: None,
            thread: 0,
            domain,
            kind,
        }
    }

    #[test]
    fn each_heap_that_held_anything_is_marked_at_its_peak() {
        let mut model = crate::track::Model::new();
        model.apply(&event(0, EventKind::Alloc, 0x10, 100, Domain::C));
        model.apply(&event(1, EventKind::Alloc, 0x20, 300, Domain::C));
        model.apply(&event(2, EventKind::Free, 0x20, 300, Domain::C));
        model.apply(&event(3, EventKind::Alloc, 0x30, 200, Domain::C));
        let (points, peaks) = super::peak_markers(&model, |seq, _| seq as f64);
        assert_eq!(points.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>(), [(1.0, 400.0)], "the Rust heap held nothing");
        assert_eq!((peaks[0].heap, peaks[0].blocks), (Domain::C, 2));
        model.apply(&event(4, EventKind::Alloc, 0x40, 8, Domain::Rust));
        let (points, _) = super::peak_markers(&model, |_, time_ns| time_ns as f64);
        assert_eq!(points.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>(), [(1000.0, 400.0), (4000.0, 8.0)]);
    }

    #[test]
    fn a_thinned_series_still_draws_its_one_spike() {
        let mut model = crate::track::Model::new();
        let events = 400_000;
        for seq in 0..events {
            // Blocks come and go two at a time; one of them is 1 GiB.
            let kind = if seq % 2 == 0 { EventKind::Alloc } else { EventKind::Free };
            let size = if seq / 2 == 61_728 { 1 << 30 } else { 16 };
            model.apply(&event(seq, kind, 0x1000 + 16 * (seq % 2), size, Domain::C));
        }
        let series = model.heap(Domain::C).series();
        assert!(series.len() < events as usize / 4, "thinned: {} points", series.len());
        let points = super::line_points(series, super::Measure::Bytes, |p| p.seq as f64, events as f64);
        let highest = points.iter().map(|&[_, value]| value as u64).max();
        assert_eq!(highest, Some(1 << 30), "the spike survives thinning and decimation");
    }
}
