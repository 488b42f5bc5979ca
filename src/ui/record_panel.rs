//! The Record tab: any program, recorded live. Its path, arguments and
//! folder; Start and Stop; then the Tracker tab's views of the program's
//! two heaps, and the program's own output kept apart below them.

use egui::{RichText, Ui};

use crate::command::{Command, Export};
use crate::export::flame::FlameOf;
use crate::ffi::Domain;
use crate::record::flame_tree::FlameTree;
use crate::record::locked;
use crate::record::session::{FollowedView, RecordCommand, RecordSession, RecordState, RecordView, Stream};
use crate::track::Model;

use super::allocation_plot::{Measure, XAxis, allocation_plot_ui, x_axis_choice_ui};
use super::anomaly_list::{NO_ANOMALY, anomaly_list_ui};
use super::flame_graph::{flame_graph_ui, weighed};
use super::format::elide_middle;
use super::heap_counts::heap_counts_ui;
use super::outstanding_table::outstanding_table_ui;
use super::peak_list::peak_list_ui;
use super::site_table::site_table_ui;

/// Characters of a followed process's command line shown in its choice.
const COMMAND_CHARS: usize = 72;

/// The share of the tab's height the program's output may take.
const OUTPUT_SHARE: f32 = 0.25;
/// The share of the tab's height the recording's notes may take before
/// they scroll.
const NOTES_SHARE: f32 = 0.15;

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
             a crash or a panic into C named with its stack, as leaks what it can no longer reach at exit, and \
             what held each heap at its peak, its call stacks drawn as flame graphs once it ends. Guard blocks catches overflows and uses after free where they \
             happen; Call stacks names Rust's blocks, and an allocation wrapper's (xmalloc, g_malloc), by your \
             own line; Follow children records the programs it starts (cargo test's test binaries, a script's \
             commands) and the copies it forks (a pool's workers), each on its own.",
        );
        return commands.into_iter().map(Command::Record).collect();
    }
    let followed = session.followed();
    if followed.iter().any(|view| !view.hidden) {
        commands.extend(process_choice_ui(ui, session, &state, &followed));
    }
    let shown = session.shown_model();
    let model = locked(&shown);
    let mut exports = Vec::new();
    ui.horizontal_wrapped(|ui| {
        heap_counts_ui(ui, &model, false);
        commands.extend(view_choice_ui(ui, session.view));
        if session.view == RecordView::OverTime {
            x_axis_choice_ui(ui, x_axis);
        }
        if session.has_flame_stacks()
            && ui
                .button("Export flame graphs")
                .on_hover_text(
                    "The program's call stacks as flame graphs (SVG, into the export folder): what held each heap's \
                     peak, what leaked, what was allocated over the run, and the temporary allocations. Open one in \
                     a browser: a frame's hover says its bytes, a click zooms in. With Call stacks, each its whole \
                     stack; without, each its site. Turned over (-inverted) when the flame graph is.",
                )
                .clicked()
        {
            exports.push(Command::Export(Export::RecordFlameGraphs));
        }
    });
    notes_ui(ui, session);
    let output = session.output();
    let lists_height = ui.available_height() * (1.0 - OUTPUT_SHARE);
    ui.allocate_ui(egui::vec2(ui.available_width(), lists_height), |ui| {
        if session.view == RecordView::FlameGraph {
            commands.extend(flame_view_ui(ui, session, &state));
            return;
        }
        ui.columns(2, |columns| {
            allocation_plot_ui(&mut columns[0], &model, *x_axis, &Measure::BOTH, "record", lists_height);
            egui::ScrollArea::vertical().id_salt("record-lists").show(&mut columns[1], |ui| {
                anomaly_list_ui(ui, model.anomalies(), none_found(&state, &model));
                ui.separator();
                // Short, and what a profile asks first: above the long lists.
                peak_list_ui(ui, &model);
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
    commands.into_iter().map(Command::Record).chain(exports).collect()
}

/// What the shown process's recording adds to its counts: its own
/// allocator first, in the warning colour and not as a note (it is why the
/// heaps stay empty), then the ended recording's notes.
fn notes_ui(ui: &mut Ui, session: &RecordSession) {
    let own_allocator = session.own_allocator().map(|own| own.sentence());
    if let Some(sentence) = &own_allocator {
        ui.colored_label(ui.visuals().warn_fg_color, sentence);
    }
    let notes: Vec<String> = session.notes().into_iter().filter(|note| Some(note) != own_allocator.as_ref()).collect();
    if notes.is_empty() {
        return;
    }
    // Held to a share of the tab, scrolled past it: on a projector the
    // notes of a recording that ran compilers would push the plots and the
    // flame graph off the screen.
    let most = (ui.available_height() * NOTES_SHARE).max(2.0 * ui.text_style_height(&egui::TextStyle::Body));
    egui::ScrollArea::vertical().id_salt("record-notes").max_height(most).auto_shrink([false, true]).show(ui, |ui| {
        for note in &notes {
            ui.weak(note);
        }
    });
}

/// Which process the tab shows, with the program followed: the program or
/// one it started, each with how it ended and what was found in it.
fn process_choice_ui(
    ui: &mut Ui,
    session: &RecordSession,
    state: &RecordState,
    followed: &[FollowedView],
) -> Option<RecordCommand> {
    let how = match state {
        RecordState::Ended(how) => how.as_str(),
        _ => "running",
    };
    let program = format!("the program · {how} · {}", findings_text(session.model().anomalies().len()));
    // How each ended and what was found first: a command line can be long.
    let labels: Vec<String> = std::iter::once(program)
        .chain(followed.iter().map(|view| {
            let how = view.ended.as_deref().unwrap_or("running");
            let findings = findings_text(locked(&view.model).anomalies().len());
            let fork = view.forked_from().map(|parent| format!(" · fork of {parent}")).unwrap_or_default();
            format!("pid {}{fork} · {how} · {findings} · `{}`", view.pid, elide_middle(view.command(), COMMAND_CHARS))
        }))
        .collect();
    let mut shown = session.shown.min(labels.len() - 1);
    // Wrapped, and the choice no wider than half the line: a wide row
    // would widen the whole tab past a projector's window.
    ui.horizontal_wrapped(|ui| {
        let name = ui.label("Process");
        let width = (ui.available_width() * 0.6).min(560.0);
        // A combo box is as wide as its text: held to `width`, the text cut short.
        ui.allocate_ui(egui::vec2(width, ui.spacing().interact_size.y), |ui| {
            egui::ComboBox::from_id_salt("record-process")
                .selected_text(&labels[shown])
                .width(width)
                .truncate()
                .show_ui(ui, |ui| {
                    for (index, label) in labels.iter().enumerate() {
                        let hidden = index.checked_sub(1).is_some_and(|i| followed[i].hidden);
                        if !hidden || index == shown {
                            ui.selectable_value(&mut shown, index, label);
                        }
                    }
                })
                .response
                .labelled_by(name.id);
        });
        let listed: Vec<&FollowedView> = followed.iter().filter(|view| !view.hidden).collect();
        let how = if listed.iter().any(|view| view.forked_from().is_some()) { "started or forked" } else { "started" };
        ui.weak(format!("{} it {how}, each recorded on its own", listed.len()));
    });
    (shown != session.shown).then_some(RecordCommand::ShowProcess(shown))
}

/// The choice of what the tab draws: the heaps over time, or the flame
/// graph of the program's call stacks.
fn view_choice_ui(ui: &mut Ui, view: RecordView) -> Option<RecordCommand> {
    let names = ["Over time", "Flame graph"];
    let font = egui::TextStyle::Button.resolve(ui.style());
    let spacing = ui.spacing().item_spacing.x;
    let buttons: f32 = names
        .iter()
        .map(|name| {
            let text = ui.painter().layout_no_wrap((*name).to_owned(), font.clone(), egui::Color32::PLACEHOLDER);
            text.size().x + 2.0 * ui.spacing().button_padding.x + spacing
        })
        .sum();
    // The separator and the two buttons: to the next line whole where they
    // would pass the window's edge, where they start it and need no separator.
    if !end_row_unless_room(ui, buttons + ui.spacing().item_spacing.x * 2.0 + 1.0) {
        ui.separator();
    }
    let mut chosen = view;
    // One piece on the wrapping line: the two never parted at its end.
    ui.horizontal(|ui| {
        ui.selectable_value(&mut chosen, RecordView::OverTime, "Over time").on_hover_text(
            "Each heap's live blocks and bytes as the program ran, beside what was found and what held the most",
        );
        ui.selectable_value(&mut chosen, RecordView::FlameGraph, "Flame graph").on_hover_text(
            "The program's call stacks once it ended: each frame as wide as what the stacks through it held at \
             the peak, leaked or allocated",
        );
    });
    (chosen != view).then_some(RecordCommand::ShowView(chosen))
}

/// The flame graph of the program's call stacks, with the choice of what
/// it weighs; or why there is none yet.
fn flame_view_ui(ui: &mut Ui, session: &RecordSession, state: &RecordState) -> Vec<RecordCommand> {
    let mut commands = Vec::new();
    let recorded = session.flame_stacks();
    let tree = session.flame_tree(&recorded);
    if tree.is_empty() {
        ui.weak(if matches!(state, RecordState::Running { .. }) {
            "The flame graph is drawn once the recording ends."
        } else {
            "Nothing to draw: no block was recorded."
        });
        return commands;
    }
    let of = session.flame.of;
    let total = tree.frame(FlameTree::ROOT).map_or(0, |root| of.weight(&root.counts));
    ui.horizontal_wrapped(|ui| {
        ui.label("Weigh by");
        for choice in FlameOf::ALL {
            if ui.selectable_label(of == choice, choice.label()).on_hover_text(choice.subtitle()).clicked()
                && of != choice
            {
                commands.push(RecordCommand::WeighFlamesBy(choice));
            }
        }
        let mut inverted = session.flame.inverted;
        if ui
            .checkbox(&mut inverted, "Inverted")
            .on_hover_text(
                "Turned over: under each heap the functions that made blocks, each once however many paths \
                 reached it, and under each the functions that called it. A function that allocates for many \
                 callers (an allocation wrapper, a constructor, Vec's push) is one frame, its callers side by side.",
            )
            .changed()
        {
            commands.push(RecordCommand::InvertFlames(inverted));
        }
        if session.flame.zoom != FlameTree::ROOT && ui.button("Whole graph").clicked() {
            commands.push(RecordCommand::ZoomFlames(FlameTree::ROOT));
        }
        ui.weak(format!("{}: {} in all. Click a frame to zoom in.", of.subtitle(), weighed(of, total)));
    });
    let found = session.flame_found(&recorded);
    ui.horizontal_wrapped(|ui| {
        commands.extend(
            field_ui(ui, "Find", &session.flame.find, 200.0, "a function, file or library")
                .map(RecordCommand::FindInFlames),
        );
        if found.any() {
            let weight = of.weight(&found.counts);
            let share = if total == 0 { 0.0 } else { 100.0 * weight as f64 / total as f64 };
            ui.label(format!("Found: {} in the frames that hold it, {share:.1}% of the graph", weighed(of, weight)));
        } else if !session.flame.find.trim().is_empty() {
            ui.weak("No frame holds it.");
        }
    });
    if total == 0 {
        ui.weak(format!("No stack {}.", of.nothing_to_weigh()));
        return commands;
    }
    egui::ScrollArea::vertical().id_salt("record-flame-graph").auto_shrink([false, false]).show(ui, |ui| {
        commands.extend(flame_graph_ui(ui, tree, of, session.flame.zoom, &found.frames).map(RecordCommand::ZoomFlames));
    });
    commands
}

/// What an empty anomaly list says of the recording shown: a program
/// still running has had no leak check yet, and one that allocated
/// nothing ffiscope saw has had nothing to check.
fn none_found(state: &RecordState, model: &Model) -> &'static str {
    let allocations = model.heap(Domain::C).stats().allocations + model.heap(Domain::Rust).stats().allocations;
    if matches!(state, RecordState::Running { .. }) {
        "None so far: leaks are looked for when the program exits."
    } else if allocations == 0 {
        "None: no allocation was recorded, so there was nothing to check."
    } else {
        NO_ANOMALY
    }
}

/// "no findings", "1 finding", "3 findings".
fn findings_text(count: usize) -> String {
    match count {
        0 => "no findings".to_owned(),
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    }
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
                "32 frames of each allocation's stack (record --stack 32): Rust's blocks named by your own code's line, \
                 not the allocator's, and a block made in an allocation wrapper (xmalloc, g_malloc, those you name \
                 under Wrappers) by the wrapper's caller, and one an installed library made inside your call \
                 (sqlite3_open) by your line that made the call. Slower: a walk of the stack per allocation, up to \
                 about twice the time.",
            )
            .changed()
        {
            commands.push(RecordCommand::SetStacks(stacks));
        }
        if session.stacks {
            commands.extend(
                field_ui(ui, "Wrappers", &session.wrappers, 120.0, "my_alloc,pool_*")
                    .map(RecordCommand::SetWrappers),
            );
        }
        let mut follow = session.follow_children;
        if ui
            .add_enabled(!running, egui::Checkbox::new(&mut follow, "Follow children"))
            .on_hover_text(
                "The programs it starts, and the copies of itself it forks, recorded too, each on its own, up \
                 to 32 at once (record --follow-children): cargo test's test binaries, a script's commands, a \
                 pool's workers. Pick one under Process.",
            )
            .changed()
        {
            commands.push(RecordCommand::SetFollowChildren(follow));
        }
        if session.follow_children {
            commands.extend(
                field_ui(ui, "Skip", &session.follow_skip, 140.0, "cc1,as,ld")
                    .map(RecordCommand::SetFollowSkip),
            );
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

/// A labelled one-line field, kept on one line with its label (the two
/// moved to the next line whole where this one has no room left for
/// them); the new text when it was edited.
/// Ends a wrapping row with less than `needed` points left on it, so that
/// what comes next goes to the next line whole, not past the window's edge;
/// says whether it did.
fn end_row_unless_room(ui: &mut Ui, needed: f32) -> bool {
    // A wrapping row's available width is the whole line's: what is left of it.
    let ended = ui.max_rect().right() - ui.cursor().min.x < needed;
    if ended {
        ui.end_row();
    }
    ended
}

fn field_ui(ui: &mut Ui, label: &str, current: &str, width: f32, hint: &str) -> Option<String> {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let label_width = ui.painter().layout_no_wrap(label.to_owned(), font, egui::Color32::PLACEHOLDER).size().x;
    end_row_unless_room(ui, label_width + width + 2.0 * ui.spacing().item_spacing.x);
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
