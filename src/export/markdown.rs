//! A scenario's report as Markdown, for notes and handouts.

use std::fmt::Write as _;

use crate::report::{Outcome, Report};

pub fn report_markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} / {}\n", report.scenario, report.variant);
    let outcome = match (&report.outcome, &report.signal) {
        (Outcome::Completed, _) => "completed".to_owned(),
        (Outcome::Crashed, Some(signal)) => format!("crashed ({signal})"),
        (Outcome::Crashed, None) => "crashed".to_owned(),
    };
    let _ = writeln!(out, "{} step(s), {outcome}.\n", report.steps_run);
    let _ = writeln!(
        out,
        "| heap | allocations | frees | live blocks | live bytes | peak bytes |\n|---|---:|---:|---:|---:|---:|"
    );
    for (name, heap) in [("C", &report.c_heap), ("Rust", &report.rust_heap)] {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} |",
            heap.allocations, heap.frees, heap.live_blocks, heap.live_bytes, heap.peak_bytes
        );
    }
    if report.dropped_events > 0 {
        let _ = writeln!(out, "\n{} events were dropped: the reader fell behind.", report.dropped_events);
    }
    if let Some(requests) = report.requests_line() {
        let _ = writeln!(out, "\n{requests}.");
    }
    let _ = writeln!(out, "\n## Anomalies\n");
    if report.anomalies.is_empty() {
        let _ = writeln!(out, "None: every block went back to the allocator that made it.");
    }
    for anomaly in &report.anomalies {
        let step = anomaly.step.map(|s| format!(", step {}", s + 1)).unwrap_or_default();
        let _ = writeln!(out, "- **{}** (`{}`{step}): {}", anomaly.kind.label(), anomaly.site, anomaly.message);
    }
    out
}
