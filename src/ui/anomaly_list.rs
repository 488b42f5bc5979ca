//! The anomaly list: kind, where, and the plain sentence.

use egui::{RichText, Ui};

use crate::track::Anomaly;

use super::ANOMALY_COLOR;

pub fn anomaly_list_ui(ui: &mut Ui, anomalies: &[Anomaly]) {
    ui.label(RichText::new(format!("Anomalies ({})", anomalies.len())).strong());
    if anomalies.is_empty() {
        ui.weak("None: every free matched an allocation of its own heap.");
        return;
    }
    for anomaly in anomalies.iter().rev() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(anomaly.kind.label()).color(ANOMALY_COLOR).strong());
            ui.label(&anomaly.message);
        });
    }
}
