//! Running every variant of every scenario from the Scenarios tab: the
//! button and its progress, and the table of what each run did.

use egui::{Context, RichText, Ui};

use crate::command::Command;
use crate::scenarios::batch::{BatchResult, BatchRun};
use crate::scenarios::session::ScenarioCommand;

/// The button, or the progress of the batch under way.
pub fn run_all_button_ui(ui: &mut Ui, batch: Option<&BatchRun>, commands: &mut Vec<Command>) {
    match batch {
        Some(batch) if !batch.is_done() => {
            let (done, total) = batch.progress();
            ui.add(egui::ProgressBar::new(done as f32 / total.max(1) as f32).text(format!("{done} of {total} runs")));
            if let Some((scenario, variant)) = batch.running() {
                ui.label(RichText::new(format!("running {scenario} / {variant}")).small().weak());
            }
            if ui.button("Stop running all").clicked() {
                commands.push(ScenarioCommand::CloseRunAll.into());
            }
        }
        _ => {
            if ui
                .button("Run every variant")
                .on_hover_text("Every scenario × variant to the end, as `ffiscope run --all`")
                .clicked()
            {
                commands.push(ScenarioCommand::RunAll.into());
            }
        }
    }
}

/// One line per run: how it ended, what is still live, what was caught.
pub fn run_all_window(ctx: &Context, batch: Option<&BatchRun>, commands: &mut Vec<Command>) {
    let Some(batch) = batch else { return };
    let (done, total) = batch.progress();
    let mut open = true;
    egui::Window::new(format!("Every variant: {done} of {total} runs"))
        .id(egui::Id::unique("run-all-results"))
        .open(&mut open)
        .default_size([720.0, 420.0])
        .default_pos([480.0, 80.0])
        .show(ctx, |ui| {
            if let Some(error) = batch.error() {
                ui.colored_label(super::ANOMALY_COLOR, error);
            }
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("run-all-grid").striped(true).num_columns(6).show(ui, |ui| {
                    for heading in ["scenario", "variant", "outcome", "C live", "Rust live", "anomalies"] {
                        ui.label(RichText::new(heading).strong());
                    }
                    ui.end_row();
                    for result in batch.results() {
                        result_row_ui(ui, result);
                    }
                });
            });
        });
    if !open {
        commands.push(ScenarioCommand::CloseRunAll.into());
    }
}

fn result_row_ui(ui: &mut Ui, result: &BatchResult) {
    ui.label(result.scenario);
    ui.label(result.variant);
    match &result.report {
        Ok(report) => {
            ui.label(report.outcome_label());
            ui.label(report.c_heap.live_blocks.to_string());
            ui.label(report.rust_heap.live_blocks.to_string());
            let kinds: Vec<&str> = report.anomalies.iter().map(|a| a.kind.label()).collect();
            if kinds.is_empty() {
                ui.label("none");
            } else {
                ui.colored_label(super::ANOMALY_COLOR, kinds.join(", "));
            }
        }
        Err(error) => {
            ui.colored_label(super::ANOMALY_COLOR, format!("could not run: {error}"));
        }
    }
    ui.end_row();
}
