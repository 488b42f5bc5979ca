//! The line of live counts for both heaps, with totals and dropped events.

use egui::{RichText, Ui};

use crate::ffi::Domain;
use crate::track::Model;

use super::{ANOMALY_COLOR, format, heap_color};

/// E.g. "C heap: 10 live blocks, 1,368 B", or "C heap: 1 live block, 16 B".
pub fn live_label(model: &Model, domain: Domain) -> String {
    let stats = model.heap(domain).stats();
    format!(
        "{} heap: {} live block{}, {}",
        domain.label(),
        format::thousands(stats.live_blocks),
        if stats.live_blocks == 1 { "" } else { "s" },
        format::bytes(stats.live_bytes)
    )
}

/// Both heaps' live counts; unless `brief`, with their totals and peaks.
pub fn heap_counts_ui(ui: &mut Ui, model: &Model, brief: bool) {
    for domain in Domain::ALL {
        let stats = model.heap(domain).stats();
        ui.label(RichText::new(live_label(model, domain)).color(heap_color(domain)).strong());
        if !brief {
            ui.weak(format!(
                "({} allocations, {} frees, peak {})",
                format::thousands(stats.allocations),
                format::thousands(stats.frees),
                format::bytes(stats.peak_bytes)
            ));
        }
        ui.add_space(12.0);
    }
    let dropped = model.dropped_events();
    if dropped > 0 {
        ui.label(RichText::new(format!("{} events dropped", format::thousands(dropped))).color(ANOMALY_COLOR))
            .on_hover_text("The reader fell behind the ring; counts and plots miss these events.");
    }
}
