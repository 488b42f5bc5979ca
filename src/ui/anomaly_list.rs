//! The anomaly list: kind, where, and the plain sentence, newest first.

use egui::{RichText, Ui};

use crate::track::Anomaly;

use super::{ANOMALY_COLOR, format};

/// The newest anomalies listed; older ones stay in the report and exports.
/// A frame's work must not grow with a run that keeps finding things.
pub const LISTED_ANOMALIES: usize = 100;

/// What an empty list says of a run that allocated and ended.
pub const NO_ANOMALY: &str = "None: every free matched an allocation of its own heap.";

/// The list, or `none` where it is empty: what that means for the run.
pub fn anomaly_list_ui(ui: &mut Ui, anomalies: &[Anomaly], none: &str) {
    ui.label(RichText::new(format!("Anomalies ({})", format::thousands(anomalies.len() as u64))).strong());
    if anomalies.is_empty() {
        ui.weak(none);
        return;
    }
    for anomaly in anomalies.iter().rev().take(LISTED_ANOMALIES) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(anomaly.kind.label()).color(ANOMALY_COLOR).strong());
            ui.label(&anomaly.message);
        });
    }
    let older = anomalies.len().saturating_sub(LISTED_ANOMALIES);
    if older > 0 {
        ui.weak(format!("… and {} older, in the report and the exports", format::thousands(older as u64)));
    }
}
