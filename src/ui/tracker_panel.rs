//! The Tracker tab: buttons that call real C functions, the live plot of both
//! heaps, the outstanding blocks and the anomaly list.

use egui::Ui;

use crate::command::{Command, Export};
use crate::track::{LEAK_SITE, TrackerCommand, TrackerSession};

use super::allocation_plot::{Measure, XAxis, allocation_plot_ui, x_axis_choice_ui};
use super::anomaly_list::{NO_ANOMALY, anomaly_list_ui};
use super::heap_counts::heap_counts_ui;
use super::outstanding_table::{BlockContext, outstanding_table_ui};
use super::site_table::site_table_ui;

/// Each button, its command and what it does, in the order shown.
const BUTTONS: &[(&str, TrackerCommand, &str)] = &[
    ("Allocate 10 blocks in C", TrackerCommand::AllocateC, "demo_allocate_block × 10, 16–512 bytes, through fs_malloc"),
    (
        "Allocate 10 blocks in Rust",
        TrackerCommand::AllocateRust,
        "Box<[u8]> × 10 on the Rust heap, inside a recording scope",
    ),
    ("Free all", TrackerCommand::FreeAll, "Each block goes back to the allocator that made it"),
    ("Leak one", TrackerCommand::LeakOne, "demo_leak_block: allocates 40 bytes in C and loses the pointer"),
    ("Double free (caught)", TrackerCommand::DoubleFree, "Frees a C block twice; the tracker refuses the second free"),
    (
        "Overflow by 1 (caught)",
        TrackerCommand::Overflow,
        "Writes one byte past a 24-byte block; the tail canary notices",
    ),
    (
        "Write after free (caught)",
        TrackerCommand::WriteAfterFree,
        "Writes into a freed block held poisoned in quarantine",
    ),
    (
        "Foreign free (caught)",
        TrackerCommand::ForeignFree,
        "Hands a Rust CString to C's free; refused, then reclaimed by Rust",
    ),
    ("Reset", TrackerCommand::Reset, "A fresh tracker: counts, plot and anomalies start over"),
];

#[must_use]
pub fn tracker_panel_ui(ui: &mut Ui, session: &TrackerSession, x_axis: &mut XAxis) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.horizontal_wrapped(|ui| {
        for &(label, action, hint) in BUTTONS {
            if ui.button(label).on_hover_text(hint).clicked() {
                commands.push(action.into());
            }
        }
        ui.separator();
        if ui.button("Export plots").on_hover_text("Both plots as SVG and PNG, into the export folder").clicked() {
            commands.push(Command::Export(Export::TrackerPlots));
        }
    });
    ui.separator();
    let model = session.model();
    // The toggles follow the counts, so a narrow window wraps them rather
    // than drawing one over the other.
    ui.horizontal_wrapped(|ui| {
        heap_counts_ui(ui, model, false);
        x_axis_choice_ui(ui, x_axis);
    });
    let height = ui.available_height();
    ui.columns(2, |columns| {
        allocation_plot_ui(&mut columns[0], model, *x_axis, &Measure::BOTH, "tracker", height);
        egui::ScrollArea::vertical().id_salt("tracker-lists").show(&mut columns[1], |ui| {
            anomaly_list_ui(ui, model.anomalies(), NO_ANOMALY);
            ui.separator();
            let releaser = |site: &str| {
                Some(if site == LEAK_SITE { "nobody: its pointer is gone (leaked)" } else { "the tab's Free all" })
            };
            outstanding_table_ui(
                ui,
                model.outstanding(),
                model.outstanding_count(),
                Some(&BlockContext { current_step: None, releaser: &releaser }),
            );
            ui.separator();
            site_table_ui(ui, model.site_rows());
        });
    });
    commands
}
