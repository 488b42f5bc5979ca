//! The Record tab: any program, recorded live. Its path, arguments and
//! folder; Start and Stop; then the Tracker tab's views of the program's
//! two heaps, and the program's own output kept apart below them.

use egui::{RichText, Ui};

use crate::command::Command;
use crate::record::session::{RecordCommand, RecordSession, RecordState, Stream};

use super::allocation_plot::{Measure, XAxis, allocation_plot_ui, plot_controls_ui};
use super::anomaly_list::anomaly_list_ui;
use super::heap_counts::heap_counts_ui;
use super::outstanding_table::outstanding_table_ui;
use super::site_table::site_table_ui;

/// The share of the tab's height the program's output may take.
const OUTPUT_SHARE: f32 = 0.25;

#[must_use]
pub fn record_panel_ui(ui: &mut Ui, session: &RecordSession, x_axis: &mut XAxis) -> Vec<Command> {
    let mut commands = Vec::new();
    let state = session.state();
    let running = matches!(state, RecordState::Running { .. });
    commands.extend(program_row_ui(ui, session, &state));
    ui.horizontal_wrapped(|ui| {
        ui.weak("or open one made with record --out:");
        commands.extend(
            field_ui(ui, "Recording", &session.recording_file, 220.0, "run.fsrec").map(RecordCommand::SetRecordingFile),
        );
        let can_open = !running && !session.recording_file.trim().is_empty();
        if ui.add_enabled(can_open, egui::Button::new("Open")).on_hover_text("Shows a recording made earlier").clicked()
        {
            commands.push(RecordCommand::OpenRecording);
        }
    });
    ui.separator();
    if state == RecordState::Idle {
        ui.label(
            "Any dynamically linked program: its C heap and its Rust heap told apart by the call behind each \
             block, frees across them flagged, double frees refused, C++'s delete of a new[] block caught, \
             a crash or a panic into C named with its \
             stack, and as leaks what it can no longer reach at exit. Guard blocks catches overflows and uses \
             after free where they happen; Call stacks names Rust's blocks by your own line.",
        );
        return commands.into_iter().map(Command::Record).collect();
    }
    let model = session.model();
    ui.horizontal_wrapped(|ui| {
        heap_counts_ui(ui, &model, false);
        ui.separator();
        ui.weak("x axis:");
        plot_controls_ui(ui, x_axis, None);
    });
    for note in session.notes().iter() {
        ui.weak(note);
    }
    let output = session.output();
    let lists_height = ui.available_height() * (1.0 - OUTPUT_SHARE);
    ui.allocate_ui(egui::vec2(ui.available_width(), lists_height), |ui| {
        ui.columns(2, |columns| {
            allocation_plot_ui(&mut columns[0], &model, *x_axis, &Measure::BOTH, "record", lists_height);
            egui::ScrollArea::vertical().id_salt("record-lists").show(&mut columns[1], |ui| {
                anomaly_list_ui(ui, model.anomalies());
                ui.separator();
                outstanding_table_ui(ui, model.outstanding(), model.outstanding_count(), None);
                ui.separator();
                site_table_ui(ui, model.site_rows());
            });
        });
    });
    drop(model);
    ui.separator();
    let lines = if output.len() == 1 { "1 line".to_owned() } else { format!("{} lines", output.len()) };
    ui.label(RichText::new(format!("The program's output ({lines})")).strong());
    egui::ScrollArea::vertical().id_salt("record-output").stick_to_bottom(true).auto_shrink([false, false]).show(
        ui,
        |ui| {
            for (stream, line) in &output {
                let text = RichText::new(line).monospace();
                ui.label(if *stream == Stream::Stderr { text.color(ui.visuals().warn_fg_color) } else { text });
            }
        },
    );
    commands.into_iter().map(Command::Record).collect()
}

/// The program to record, its arguments, folder and options; Start or
/// Stop; and where the recording is.
fn program_row_ui(ui: &mut Ui, session: &RecordSession, state: &RecordState) -> Vec<RecordCommand> {
    let mut commands = Vec::new();
    let running = matches!(state, RecordState::Running { .. });
    ui.horizontal_wrapped(|ui| {
        commands.extend(
            field_ui(ui, "Program", &session.program, 220.0, "/path/to/program, or a name on PATH")
                .map(RecordCommand::SetProgram),
        );
        commands.extend(
            field_ui(ui, "Arguments", &session.arguments, 200.0, "as a shell would take them")
                .map(RecordCommand::SetArguments),
        );
        commands.extend(
            field_ui(ui, "Folder", &session.folder, 140.0, "where it runs (this one if empty)")
                .map(RecordCommand::SetFolder),
        );
        let mut guard = session.guard;
        if ui
            .add_enabled(!running, egui::Checkbox::new(&mut guard, "Guard blocks"))
            .on_hover_text(
                "Every block on pages of its own: an overflow or a use after free is caught where it happens \
                 (record --guard). Slower: two system calls per malloc and free.",
            )
            .changed()
        {
            commands.push(RecordCommand::SetGuard(guard));
        }
        let mut stacks = session.stacks;
        if ui
            .add_enabled(!running, egui::Checkbox::new(&mut stacks, "Call stacks"))
            .on_hover_text(
                "16 frames of each allocation's stack (record --stack 16): Rust's blocks named by your own code's line, \
                 not the allocator's. Slower: a walk of the stack per allocation, up to about twice the time.",
            )
            .changed()
        {
            commands.push(RecordCommand::SetStacks(stacks));
        }
        if running {
            if ui.button("Stop").on_hover_text("Ends the program (or stops reading the file); what came so far stays").clicked() {
                commands.push(RecordCommand::Stop);
            }
        } else {
            let ready = !session.program.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new("Start"))
                .on_hover_text("Runs the program with its allocator recorded")
                .clicked()
            {
                commands.push(RecordCommand::Start);
            }
        }
        ui.label(match state {
            RecordState::Idle => RichText::new("Not recording").weak(),
            RecordState::Running { pid: 0 } => RichText::new("Starting…"),
            RecordState::Running { pid } => RichText::new(format!("Recording, process {pid}")),
            RecordState::Ended(how) => RichText::new(format!("Ended: {how}")),
        });
    });
    commands
}

/// A labelled one-line field, kept on one line with its label; the new
/// text when it was edited.
fn field_ui(ui: &mut Ui, label: &str, current: &str, width: f32, hint: &str) -> Option<String> {
    let mut text = current.to_owned();
    let edited = ui
        .horizontal(|ui| {
            let name = ui.label(label);
            ui.add(egui::TextEdit::singleline(&mut text).hint_text(hint).desired_width(width))
                .labelled_by(name.id)
                .changed()
        })
        .inner;
    edited.then_some(text)
}
