//! The lesson plan beside whatever tab is open: where the workshop is, the
//! notes for this stop, and the way to the next; presenting, a strip under
//! the tab with no notes.

use egui::{RichText, Ui};

use crate::teaching::plan::{PLAN, total_minutes};

/// Draws the plan with the instructor's notes; returns the stop to go to,
/// if one was chosen.
#[must_use]
pub fn plan_panel_ui(ui: &mut Ui, current: usize) -> Option<usize> {
    let mut go = None;
    let current = current.min(PLAN.len() - 1);
    ui.heading("Lesson plan");
    ui.label(progress(current));
    ui.add(egui::ProgressBar::new((current + 1) as f32 / PLAN.len() as f32).desired_height(6.0));
    ui.horizontal(|ui| go = go.or(previous_and_next_ui(ui, current)));
    let stop = &PLAN[current];
    ui.separator();
    ui.label(RichText::new(stop.title).strong());
    ui.label(RichText::new(stop.notes).italics());
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

/// The plan as one row, for presentation mode: where the workshop is, this
/// stop's title, and the way on. No notes, and no width taken from the tab.
#[must_use]
pub fn plan_strip_ui(ui: &mut Ui, current: usize) -> Option<usize> {
    let current = current.min(PLAN.len() - 1);
    let mut go = None;
    ui.horizontal_wrapped(|ui| {
        go = previous_and_next_ui(ui, current);
        ui.label(progress(current));
        ui.label(RichText::new(PLAN[current].title).strong());
    });
    go
}

/// E.g. "Stop 3 of 17 · 12 of 90 minutes".
fn progress(current: usize) -> String {
    let elapsed: u32 = PLAN[..current].iter().map(|s| s.minutes).sum();
    format!("Stop {} of {} · {elapsed} of {} minutes", current + 1, PLAN.len(), total_minutes())
}

fn previous_and_next_ui(ui: &mut Ui, current: usize) -> Option<usize> {
    let mut go = None;
    if ui.add_enabled(current > 0, egui::Button::new("Previous stop")).clicked() {
        go = Some(current - 1);
    }
    if ui.add_enabled(current + 1 < PLAN.len(), egui::Button::new("Next stop")).clicked() {
        go = Some(current + 1);
    }
    go
}
