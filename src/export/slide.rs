//! A step of a run as a slide (1280×720 SVG, and PNG from the same SVG): the
//! lesson, the step and what it means, the code it lit in both languages,
//! both heaps plotted, and the verdict once there is one (what was caught so
//! far until then). And the Tracker's
//! plots as a picture of their own.

use std::fmt::Write as _;

use egui::Color32;

use crate::ffi::Domain;
use crate::scenarios::session::VerdictLine;
use crate::scenarios::snippet::wrap_code_line;
use crate::track::{Model, SeriesPoint};
use crate::ui::allocation_plot::{Measure, PEAK_COLOR, line_points, peak_markers};
use crate::ui::{ANOMALY_COLOR, MATCH_COLOR, heap_color};

use super::svg::escape;

const WIDTH: f64 = 1280.0;
const HEIGHT: f64 = 720.0;
const MARGIN: f64 = 40.0;
const BACKGROUND: &str = "#1b1b1b";
const TEXT: &str = "#eeeeee";
const WEAK: &str = "#a0a0a0";
/// Rows of code a pane of the slide shows; longer code ends in "…".
const CODE_ROWS: usize = 13;
/// Characters a row of code holds at the slide's code size (15 px).
const CODE_COLUMNS: usize = 62;
const CODE_ROW: f64 = 19.0;

/// Everything a slide shows, gathered from a run.
#[derive(Debug)]
pub struct Slide<'a> {
    /// The lesson and the variant.
    pub title: String,
    /// E.g. "Step 2 of 4: Lend it to C".
    pub step: String,
    pub explanation: &'a str,
    /// The code the step lit, if it lit any, in each language.
    pub rust: Option<&'a str>,
    pub c: Option<&'a str>,
    pub model: &'a Model,
    pub measure: Measure,
    /// Empty until the run has ended.
    pub verdict: &'a [VerdictLine],
}

/// The slide as SVG.
pub fn slide_svg(slide: &Slide<'_>) -> String {
    let mut out = open_svg(WIDTH, HEIGHT);
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="52" fill="{TEXT}" font-size="28" font-weight="bold">{}</text>
<text x="{MARGIN}" y="86" fill="{TEXT}" font-size="20">{}</text>"#,
        escape(&slide.title),
        escape(&slide.step)
    );
    let mut y = 112.0;
    for line in at_most(wrap_words(slide.explanation, 140), 3) {
        let _ = writeln!(out, r#"<text x="{MARGIN}" y="{y}" fill="{WEAK}" font-size="16">{}</text>"#, escape(&line));
        y += 20.0;
    }
    let code_top = 182.0;
    let pane_width = (WIDTH - 3.0 * MARGIN) / 2.0;
    code_pane(&mut out, MARGIN, code_top, pane_width, "Rust", heap_color(Domain::Rust), slide.rust);
    code_pane(&mut out, 2.0 * MARGIN + pane_width, code_top, pane_width, "C", heap_color(Domain::C), slide.c);
    let lower = 450.0;
    plot(&mut out, slide.model, slide.measure, (MARGIN, lower), (700.0, HEIGHT - lower - 30.0));
    // Mid-run there is no verdict yet: what the tracker caught so far stands in.
    if slide.verdict.is_empty() {
        let caught: Vec<VerdictLine> = slide
            .model
            .anomalies()
            .iter()
            .rev()
            .take(3)
            .map(|a| VerdictLine { kind: Some(a.kind.label()), text: a.message.clone(), more: 0, clean: false })
            .collect();
        findings(&mut out, "Caught so far", &caught, 800.0, lower);
    } else {
        findings(&mut out, "Verdict", slide.verdict, 800.0, lower);
    }
    out.push_str("</svg>\n");
    out
}

/// The Tracker's plots, live blocks above live bytes, as SVG.
pub fn plots_svg(title: &str, model: &Model) -> String {
    let (width, height) = (1000.0, 640.0);
    let mut out = open_svg(width, height);
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="40" fill="{TEXT}" font-size="22" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let each = (height - 70.0) / 2.0;
    for (index, measure) in Measure::BOTH.into_iter().enumerate() {
        let top = 60.0 + index as f64 * each;
        plot(&mut out, model, measure, (MARGIN, top), (width - 2.0 * MARGIN, each - 20.0));
    }
    out.push_str("</svg>\n");
    out
}

fn open_svg(width: f64, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">
<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>
"#
    )
}

fn rgb(color: Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", color.r(), color.g(), color.b())
}

fn code_pane(out: &mut String, left: f64, top: f64, width: f64, title: &str, color: Color32, code: Option<&str>) {
    let _ = writeln!(
        out,
        r#"<text x="{left}" y="{top}" fill="{}" font-size="16" font-weight="bold">{title}</text>"#,
        rgb(color)
    );
    let Some(code) = code else {
        let _ = writeln!(
            out,
            r#"<text x="{left}" y="{}" fill="{WEAK}" font-size="14">No {title} runs in this step.</text>"#,
            top + 28.0
        );
        return;
    };
    let rows = at_most(code.lines().flat_map(|line| wrap_code_line(line, CODE_COLUMNS)).collect(), CODE_ROWS);
    let height = rows.len() as f64 * CODE_ROW + 14.0;
    let _ = writeln!(
        out,
        r##"<rect x="{left}" y="{}" width="{width}" height="{height}" rx="4" fill="#1f3b4d"/>"##,
        top + 10.0
    );
    for (index, row) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" fill="{TEXT}" font-size="15" font-family="monospace" xml:space="preserve">{}</text>"#,
            left + 8.0,
            top + 33.0 + index as f64 * CODE_ROW,
            escape(row)
        );
    }
}

/// Both heaps' lines of `measure` over the event sequence, in the box at
/// `origin` of `size`, with its axes, a legend, the anomalies marked and,
/// on the bytes, each heap's peak, as the app's plot marks them.
fn plot(out: &mut String, model: &Model, measure: Measure, origin: (f64, f64), size: (f64, f64)) {
    let (left, top) = origin;
    let (width, height) = size;
    let gutter = 44.0;
    let (plot_left, plot_width, plot_height) = (left + gutter, width - gutter, height - 24.0);
    let bottom = top + 22.0 + plot_height;
    let _ = writeln!(
        out,
        r#"<text x="{left}" y="{}" fill="{TEXT}" font-size="16" font-weight="bold">{}</text>"#,
        top + 14.0,
        measure.title()
    );
    let end = model.next_seq().max(8) as f64;
    let lines: Vec<(Domain, Vec<[f64; 2]>)> = Domain::ALL
        .iter()
        .map(|&domain| (domain, line_points(model.heap(domain).series(), measure, |p: &SeriesPoint| p.seq as f64, end)))
        .collect();
    let peak = lines.iter().flat_map(|(_, points)| points.iter().map(|p| p[1])).fold(1.0, f64::max);
    let x = |seq: f64| plot_left + seq / end * plot_width;
    // A tenth of headroom, so the highest line is not drawn on the frame.
    let y = |value: f64| bottom - value / peak * plot_height * 0.9;
    let _ = writeln!(
        out,
        r##"<rect x="{plot_left}" y="{}" width="{plot_width}" height="{plot_height}" fill="#141414" stroke="#444"/>
<text x="{}" y="{}" fill="{WEAK}" font-size="12" text-anchor="end">{}</text>
<line x1="{plot_left}" y1="{}" x2="{}" y2="{}" stroke="#333"/>
<text x="{}" y="{}" fill="{WEAK}" font-size="12" text-anchor="end">0</text>
<text x="{}" y="{}" fill="{WEAK}" font-size="12" text-anchor="middle">event sequence</text>"##,
        bottom - plot_height,
        plot_left - 6.0,
        bottom - plot_height * 0.9 + 4.0,
        crate::ui::format::thousands(peak as u64),
        bottom - plot_height * 0.9,
        plot_left + plot_width,
        bottom - plot_height * 0.9,
        plot_left - 6.0,
        bottom,
        plot_left + plot_width / 2.0,
        bottom + 16.0
    );
    for (index, (domain, points)) in lines.iter().enumerate() {
        let path: Vec<String> = points.iter().map(|p| format!("{:.1},{:.1}", x(p[0]), y(p[1]))).collect();
        let color = rgb(heap_color(*domain));
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>
<text x="{}" y="{}" fill="{color}" font-size="14" text-anchor="end">— {} heap</text>"#,
            path.join(" "),
            plot_left + plot_width - (1 - index) as f64 * 110.0,
            top + 14.0,
            domain.label()
        );
    }
    if measure == Measure::Bytes {
        let (points, _) = peak_markers(model, |seq, _| seq as f64);
        for point in points {
            // Pointing down at the peak, as the app draws it.
            let (cx, cy) = (x(point.x), y(point.y));
            let _ = writeln!(
                out,
                r#"<polygon points="{},{} {},{} {cx},{cy}" fill="{}"><title>peak</title></polygon>"#,
                cx - 6.0,
                cy - 9.0,
                cx + 6.0,
                cy - 9.0,
                rgb(PEAK_COLOR)
            );
        }
    }
    for anomaly in model.anomalies() {
        let Some(seq) = anomaly.seq else { continue };
        let (cx, cy) = (x(seq as f64), bottom);
        let _ = writeln!(
            out,
            r#"<polygon points="{},{cy} {cx},{} {},{cy} {cx},{}" fill="{}"/>"#,
            cx - 6.0,
            cy - 6.0,
            cx + 6.0,
            cy + 6.0,
            rgb(ANOMALY_COLOR)
        );
    }
}

fn findings(out: &mut String, title: &str, lines: &[VerdictLine], left: f64, top: f64) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        r#"<text x="{left}" y="{}" fill="{TEXT}" font-size="18" font-weight="bold">{title}</text>"#,
        top + 14.0
    );
    let mut y = top + 40.0;
    for line in lines.iter().take(4) {
        let (color, prefix) = match line.kind {
            Some(kind) => (rgb(ANOMALY_COLOR), format!("{kind}: ")),
            None if line.clean => (rgb(MATCH_COLOR), String::new()),
            None => (TEXT.to_owned(), String::new()),
        };
        let more = if line.more > 0 { format!(" (and {} more like it)", line.more) } else { String::new() };
        for row in wrap_words(&format!("{prefix}{}{more}", line.text), 52).iter().take(4) {
            let _ = writeln!(out, r#"<text x="{left}" y="{y}" fill="{color}" font-size="15">{}</text>"#, escape(row));
            y += 19.0;
        }
        y += 8.0;
    }
}

/// The first `most` of `rows`, the last of them "…" if any were left out.
fn at_most(mut rows: Vec<String>, most: usize) -> Vec<String> {
    if rows.len() > most {
        rows.truncate(most.saturating_sub(1));
        rows.push("…".to_owned());
    }
    rows
}

/// `text` in lines of at most `width` characters, broken between words (a
/// word longer than that has a line of its own).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn words_wrap_between_words() {
        assert_eq!(wrap_words("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap_words("", 9), Vec::<String>::new());
    }
}
