//! The anomaly list: kind, where, and the plain sentence, newest first,
//! but for the leaks found at the end, which come first in their own order.

use egui::{RichText, Ui};

use crate::track::{Anomaly, AnomalyKind};

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
    for anomaly in listed_order(anomalies).take(LISTED_ANOMALIES) {
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

/// The order anomalies are listed in. What happened while the program ran,
/// newest first; above it the leaks the check at the end found, the last
/// of the anomalies, as the check ordered them: the lost blocks nothing
/// else lost points to first (an unclosed database), which freed would
/// free the rest, then those reachable only through them (its statements).
/// Newest first put every block of the database before the database.
fn listed_order(anomalies: &[Anomaly]) -> impl Iterator<Item = &Anomaly> {
    let leaks_at_end = anomalies.iter().rev().take_while(|anomaly| anomaly.kind == AnomalyKind::Leak).count();
    let (during, at_end) = anomalies.split_at(anomalies.len() - leaks_at_end);
    at_end.iter().chain(during.iter().rev())
}

#[cfg(test)]
mod tests {
    use super::listed_order;
    use crate::ffi::Domain;
    use crate::track::Anomaly;

    #[test]
    fn the_leaks_found_at_the_end_come_first_in_their_order_and_the_rest_newest_first() {
        let anomalies = [
            Anomaly::panic("first", "a panic"),
            Anomaly::lost_update("second", 10, 8),
            Anomaly::leak(Domain::C, "the database", 1, 848, None, None),
            Anomaly::leak(Domain::C, "its statements", 6, 1688, None, None),
        ];
        let sites: Vec<&str> = listed_order(&anomalies).map(|anomaly| anomaly.site.as_str()).collect();
        assert_eq!(sites, ["the database", "its statements", "second", "first"]);
        let none: Vec<&Anomaly> = listed_order(&[]).collect();
        assert!(none.is_empty());
    }
}
