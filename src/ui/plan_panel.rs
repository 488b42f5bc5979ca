//! The lesson plan beside whatever tab is open: where the workshop is, the
//! notes for this stop, and the way to the next.

use egui::{RichText, Ui};

use crate::teaching::plan::{PLAN, total_minutes};

/// Draws the plan; returns the stop to go to, if one was chosen. While
/// `presenting`, the instructor's notes stay off the projector.
#[must_use]
pub fn plan_panel_ui(ui: &mut Ui, current: usize, presenting: bool) -> Option<usize> {
    let mut go = None;
    let current = current.min(PLAN.len() - 1);
    let elapsed: u32 = PLAN[..current].iter().map(|s| s.minutes).sum();
    ui.heading("Lesson plan");
    ui.label(format!("Stop {} of {} · {elapsed} of {} minutes", current + 1, PLAN.len(), total_minutes()));
    ui.add(egui::ProgressBar::new((current + 1) as f32 / PLAN.len() as f32).desired_height(6.0));
    ui.horizontal(|ui| {
        if ui.add_enabled(current > 0, egui::Button::new("Previous stop")).clicked() {
            go = Some(current - 1);
        }
        if ui.add_enabled(current + 1 < PLAN.len(), egui::Button::new("Next stop")).clicked() {
            go = Some(current + 1);
        }
    });
    let stop = &PLAN[current];
    ui.separator();
    ui.label(RichText::new(stop.title).strong());
    if !presenting {
        ui.label(RichText::new(stop.notes).italics());
    }
    ui.separator();
    egui::ScrollArea::vertical().id_salt("plan-stops").show(ui, |ui| {
        for (index, stop) in PLAN.iter().enumerate() {
            let text = format!("{}. {} ({} min)", index + 1, stop.title, stop.minutes);
            let label = if index < current { RichText::new(text).weak() } else { RichText::new(text) };
            if ui.selectable_label(index == current, label).clicked() {
                go = Some(index);
            }
        }
    });
    go
}
