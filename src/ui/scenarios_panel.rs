//! The Scenarios tab: pick a lesson and a variant, step through real Rust ↔ C
//! code with both heaps plotted live, and read the verdict at the end.

use egui::{Color32, Frame, RichText, ScrollArea, TextWrapMode, Ui};

use crate::command::{Command, Export};
use crate::scenarios::StepInfo;
use crate::scenarios::run_source::Crash;
use crate::scenarios::session::{ScenarioCommand, ScenarioSession};
use crate::scenarios::snippet::{CodeRegion, wrap_code_line};

use super::allocation_plot::{Measure, XAxis, allocation_plot_ui, plot_controls_ui};
use super::anomaly_list::{NO_ANOMALY, anomaly_list_ui};
use super::heap_counts::heap_counts_ui;
use super::outstanding_table::{BlockContext, outstanding_table_ui};
use super::run_all_view::{run_all_button_ui, run_all_window};
use super::table_view::table_ui;
use super::{ANOMALY_COLOR, MATCH_COLOR, format, heap_color};

/// The label of a variant's button.
pub fn variant_label(name: &str) -> String {
    if name == "correct" { "Correct".to_owned() } else { name.to_owned() }
}

/// E.g. "Step 2 of 4: Rust copies the text", or "Next: step 1 of 4: …" before the first.
pub fn step_heading(steps: &[StepInfo], steps_run: usize) -> String {
    let total = steps.len();
    if steps_run == 0 {
        return steps.first().map_or_else(String::new, |s| format!("Next: step 1 of {total}: {}", s.title));
    }
    let index = steps_run.min(total) - 1;
    format!("Step {} of {total}: {}", index + 1, steps[index].title)
}

/// Share of the height left under the step's text that the code panes may
/// take; the plot and the verdict get the rest.
const CODE_SHARE: f32 = 0.45;
const MIN_CODE_HEIGHT: f32 = 80.0;
/// Below this the plot and the verdict are unreadable: the page scrolls.
const MIN_LOWER_HEIGHT: f32 = 150.0;

/// The Scenarios tab, laid out to fit the window: the step, its code, the
/// plot and the verdict share the height, the code taking what it needs up
/// to `CODE_SHARE`. Presenting, the code panes show the current step's
/// regions only and lessons are picked from a menu.
#[must_use]
pub fn scenarios_panel_ui(
    ui: &mut Ui,
    session: &ScenarioSession,
    x_axis: &mut XAxis,
    measure: &mut Measure,
    presenting: bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    // Presenting: the room sees the lesson, not the list of lessons.
    if !presenting {
        egui::Panel::left("scenario-list").resizable(true).default_size(230.0).show(ui, |ui| {
            ScrollArea::vertical().show(ui, |ui| scenario_list_ui(ui, session, &mut commands));
        });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        let viewport = ui.available_height();
        ScrollArea::vertical().id_salt("scenario-main").show(ui, |ui| {
            let top = ui.cursor().top();
            let height_left = |ui: &Ui| (viewport - (ui.cursor().top() - top)).max(0.0);
            header_ui(ui, session, presenting, &mut commands);
            ui.separator();
            step_ui(ui, session, presenting);
            // The code gets its share, but not the plot's minimum (nor the
            // counts' row above the plot).
            let rest = height_left(ui);
            let counts_row = ui.spacing().interact_size.y * 2.0;
            let code_height = (rest * CODE_SHARE).min(rest - MIN_LOWER_HEIGHT - counts_row).max(MIN_CODE_HEIGHT);
            code_panes_ui(ui, session, code_height, presenting);
            ui.separator();
            let model = session.run().model();
            // The toggles follow the counts, so a narrow window wraps them
            // rather than drawing one over the other.
            ui.horizontal_wrapped(|ui| {
                heap_counts_ui(ui, model, presenting);
                ui.separator();
                plot_controls_ui(ui, x_axis, Some(measure));
            });
            let lower = height_left(ui).max(MIN_LOWER_HEIGHT);
            ui.columns(2, |columns| {
                // A lesson whose point is a table shows it, once its run has made it,
                // where the plot would be.
                match session.verdict().and_then(|v| v.report.table.as_ref()) {
                    Some(table) => {
                        ScrollArea::vertical()
                            .id_salt("scenario-table-scroll")
                            .max_height(lower)
                            .show(&mut columns[0], |ui| table_ui(ui, table, "scenario-table"));
                    }
                    None => allocation_plot_ui(&mut columns[0], model, *x_axis, &[*measure], "scenario", lower),
                }
                results_ui(&mut columns[1], session, lower);
            });
        });
    });
    run_all_window(ui.ctx(), session.batch(), &mut commands);
    commands
}

fn scenario_list_ui(ui: &mut Ui, session: &ScenarioSession, commands: &mut Vec<Command>) {
    run_all_button_ui(ui, session.batch(), commands);
    ui.separator();
    let mut lesson = "";
    for scenario in session.scenarios() {
        if scenario.lesson() != lesson {
            lesson = scenario.lesson();
            ui.add_space(6.0);
            ui.label(RichText::new(lesson).small().weak());
        }
        let selected = scenario.id() == session.scenario().id();
        if ui.selectable_label(selected, scenario.title()).on_hover_text(scenario.id()).clicked() && !selected {
            commands.push(ScenarioCommand::Select(scenario.id()).into());
        }
    }
}

fn header_ui(ui: &mut Ui, session: &ScenarioSession, presenting: bool, commands: &mut Vec<Command>) {
    let scenario = session.scenario();
    ui.horizontal_wrapped(|ui| {
        ui.heading(scenario.title());
        if presenting {
            // The list is hidden while presenting; another lesson is a menu away.
            lesson_menu_ui(ui, session, commands);
        } else {
            ui.weak(scenario.id());
        }
    });
    // Presenting, the variants and the step buttons share a row: the height
    // is the room's, for the code and the plot.
    if presenting {
        ui.horizontal_wrapped(|ui| {
            variants_ui(ui, session, commands);
            ui.separator();
            controls_ui(ui, session, presenting, commands);
        });
        return;
    }
    ui.horizontal_wrapped(|ui| variants_ui(ui, session, commands));
    if let Some(variant) = scenario.variant(session.variant()) {
        ui.weak(variant.summary);
    }
    ui.horizontal_wrapped(|ui| controls_ui(ui, session, presenting, commands));
}

fn variants_ui(ui: &mut Ui, session: &ScenarioSession, commands: &mut Vec<Command>) {
    ui.label("Variant:");
    for variant in session.scenario().variants() {
        let selected = variant.name == session.variant();
        let mut hint = variant.summary.to_owned();
        if variant.crashes {
            hint.push_str(" Runs in a child process.");
        }
        if ui.selectable_label(selected, variant_label(variant.name)).on_hover_text(hint).clicked() && !selected {
            commands.push(ScenarioCommand::SetVariant(variant.name).into());
        }
    }
    if session.isolated() {
        ui.label(RichText::new("runs isolated in a child process").italics().color(ANOMALY_COLOR));
    }
}

fn controls_ui(ui: &mut Ui, session: &ScenarioSession, presenting: bool, commands: &mut Vec<Command>) {
    let run = session.run();
    let can_step = !run.is_over() && !run.busy();
    if ui.add_enabled(can_step, egui::Button::new("Step")).on_hover_text("Run the next step (Space)").clicked() {
        commands.push(ScenarioCommand::Step.into());
    }
    if ui
        .add_enabled(run.steps_run() > 0, egui::Button::new("Back"))
        .on_hover_text("Re-run from the start to the previous step")
        .clicked()
    {
        commands.push(ScenarioCommand::Back.into());
    }
    if session.is_auto_running() {
        if ui.button("Pause").clicked() {
            commands.push(ScenarioCommand::Pause.into());
        }
    } else if ui.add_enabled(!run.is_over(), egui::Button::new("Run to end")).clicked() {
        commands.push(ScenarioCommand::RunToEnd.into());
    }
    if ui.button("Reset").clicked() {
        commands.push(ScenarioCommand::Reset.into());
    }
    // Exports and the speed are the instructor's, set before presenting.
    if !presenting {
        exports_and_speed_ui(ui, session, commands);
    }
    if session.scenario().id() == "threads-shared-resource" {
        let mut threads = session.options().threads;
        if ui.add(egui::Slider::new(&mut threads, 2..=8).text("threads")).changed() {
            commands.push(ScenarioCommand::SetThreads(threads).into());
        }
    }
    if run.busy() {
        ui.spinner();
    }
}

fn exports_and_speed_ui(ui: &mut Ui, session: &ScenarioSession, commands: &mut Vec<Command>) {
    if ui.button("Export run").on_hover_text("Timeline as CSV and Chrome trace; report as Markdown and JSON").clicked()
    {
        commands.push(Command::Export(Export::Run));
    }
    if ui
        .button("Export slide")
        .on_hover_text("This step as a 1280×720 slide, SVG and PNG: the step, its code, the plot and the verdict")
        .clicked()
    {
        commands.push(Command::Export(Export::Slide));
    }
    let mut speed = session.steps_per_second();
    if ui.add(egui::Slider::new(&mut speed, 0.25..=20.0).logarithmic(true).suffix(" steps/s").text("speed")).changed() {
        commands.push(ScenarioCommand::SetSpeed(speed).into());
    }
}

/// Another lesson, picked without the list: for presentation mode.
fn lesson_menu_ui(ui: &mut Ui, session: &ScenarioSession, commands: &mut Vec<Command>) {
    ui.menu_button("Other lessons…", |ui| {
        for scenario in session.scenarios() {
            let selected = scenario.id() == session.scenario().id();
            if ui.selectable_label(selected, scenario.title()).clicked() && !selected {
                commands.push(ScenarioCommand::Select(scenario.id()).into());
            }
        }
    });
}

/// The step's heading, explanation and what it changed; a crash's box.
/// Presenting, what the crash box and the lit lines say is not said twice.
fn step_ui(ui: &mut Ui, session: &ScenarioSession, presenting: bool) {
    let run = session.run();
    let steps = run.steps();
    let reached = run.steps_reached();
    ui.label(RichText::new(step_heading(steps, reached)).strong().size(16.0));
    let focus = reached.saturating_sub(1).min(steps.len().saturating_sub(1));
    if let Some(step) = steps.get(focus) {
        ui.label(step.explanation);
    }
    let crash = run.crash();
    if crash.is_some() {
        if !presenting {
            ui.label(RichText::new("What changed: the process died before the step finished.").strong());
        }
    } else if let Some(record) = run.records().last() {
        ui.label(RichText::new(format!("What changed: {}", record.summary)).strong());
        for note in &record.notes {
            ui.monospace(note);
        }
    }
    if let Some(crash) = crash {
        crash_box_ui(ui, session, &crash, presenting);
    }
    if let Some(error) = run.error() {
        ui.label(RichText::new(error).color(ANOMALY_COLOR));
    }
}

/// How the child died, on which lines of the code, in the words it left.
fn crash_box_ui(ui: &mut Ui, session: &ScenarioSession, crash: &Crash<'_>, presenting: bool) {
    let steps = session.run().steps();
    let step = crash.step.and_then(|s| steps.get(s as usize));
    let at = match (crash.step, step) {
        (Some(index), Some(step)) => format!(" in step {} ({})", index + 1, step.title),
        _ => String::new(),
    };
    Frame::group(ui.style()).stroke((1.5, ANOMALY_COLOR)).show(ui, |ui| {
        ui.label(
            RichText::new(format!("The child process died with {}{at}. ffiscope itself is unharmed.", crash.signal))
                .color(ANOMALY_COLOR)
                .strong(),
        );
        let code = session.code();
        let died_at: Vec<String> = [("Rust", &code.rust, step.map(|s| s.rust)), ("C", &code.c, step.and_then(|s| s.c))]
            .into_iter()
            .filter_map(|(language, regions, name)| {
                let line = regions.iter().find(|r| Some(r.name) == name)?.crashing_code()?;
                Some(format!("{language}: {line}"))
            })
            .collect();
        if !died_at.is_empty() && !presenting {
            ui.label(RichText::new(format!("It died at {}", died_at.join("  →  "))).monospace());
        }
        let explanation = crash.explaining_lines();
        if !explanation.is_empty() {
            ui.monospace(explanation.join("\n"));
        }
        if !crash.stderr.trim().is_empty() {
            egui::CollapsingHeader::new(format!("All it wrote on stderr ({} lines)", crash.stderr.lines().count()))
                .id_salt("child-stderr")
                .show(ui, |ui| {
                    ScrollArea::vertical().max_height(160.0).show(ui, |ui| {
                        ui.add(
                            egui::Label::new(RichText::new(crash.stderr).monospace()).wrap_mode(TextWrapMode::Extend),
                        );
                    });
                });
        }
    });
}

/// Where a code pane last scrolled to its lit region: the scenario, the
/// variant, the steps reached and the pane's size.
type ScrolledTo = (&'static str, &'static str, usize, [f32; 2]);

/// Both code panes, at most `height` tall; presenting, only the current
/// step's regions, so the room sees the lines that matter.
fn code_panes_ui(ui: &mut Ui, session: &ScenarioSession, height: f32, presenting: bool) {
    let run = session.run();
    let steps = run.steps();
    let reached = run.steps_reached();
    let focus = reached.saturating_sub(1);
    let current = steps.get(focus.min(steps.len().saturating_sub(1)));
    let crashed = run.crash().is_some();
    // The room must read the lit regions whole: presenting, if one is taller
    // than its pane, both panes' code is set smaller, down to `SMALLEST_CODE`.
    // At a desk the pane scrolls instead, to the lit region.
    let pane_width = (ui.available_width() - ui.spacing().item_spacing.x) / 2.0 - 2.0 * CODE_MARGIN;
    let scale = current.filter(|_| presenting).map_or(1.0, |step| {
        let code = session.code();
        let fitting = |pane: &'static str, text: &str| {
            let key = hash_of((text, pane_width.to_bits(), height.to_bits(), ui.ctx().pixels_per_point().to_bits()));
            kept(ui, egui::Id::unique(("code-fit", pane)), key, || fitting_scale(ui, text, pane_width, height))
        };
        fitting("Rust", lit_text(&code.rust, Some(step.rust))).min(fitting("C", lit_text(&code.c, step.c)))
    });
    ui.columns(2, |columns| {
        for (column, rust) in columns.iter_mut().zip([true, false]) {
            let title = if rust { "Rust" } else { "C" };
            column.label(RichText::new(title).strong().color(heap_color(if rust {
                crate::ffi::Domain::Rust
            } else {
                crate::ffi::Domain::C
            })));
            let highlighted = current.and_then(|s| if rust { Some(s.rust) } else { s.c });
            if presenting && highlighted.is_none() {
                column.weak(format!("No {title} runs in this step."));
            }
            let code = session.code();
            let regions: &[CodeRegion] = if rust { &code.rust } else { &code.c };
            // Long lines wrap rather than run off the pane: a cut line hides the
            // end of a call or of its SAFETY comment.
            ScrollArea::vertical().id_salt(("code", title)).max_height(height).auto_shrink([false, true]).show(
                column,
                |ui| {
                    for region in regions.iter().filter(|r| !presenting || highlighted == Some(r.name)) {
                        let CodeRegion { name, text, crash_line } = region;
                        let lit = highlighted == Some(*name);
                        let fill = if lit {
                            ui.visuals().selection.bg_fill.gamma_multiply(0.45)
                        } else {
                            Color32::TRANSPARENT
                        };
                        let frame = Frame::new().fill(fill).inner_margin(CODE_MARGIN).corner_radius(3.0);
                        let response = frame.show(ui, |ui| {
                            let died_here = crash_line.filter(|_| lit && crashed);
                            let code = laid_out_code(ui, (title, *name), text, died_here, scale);
                            let label = ui.add(egui::Label::new(code.galley));
                            // Every row is one monospace line high.
                            let row_height = label.rect.height() / code.rows.max(1) as f32;
                            code.crash_row.map(|row| {
                                let top = label.rect.top() + row as f32 * row_height;
                                egui::Rect::from_x_y_ranges(label.rect.x_range(), top..=top + row_height)
                            })
                        });
                        // Once per step and pane size, not every frame: scrolling keeps
                        // egui repainting, and a learner may scroll away. A new size
                        // (the plan opened, presenting) wraps the code anew: scroll again.
                        let size = ui.clip_rect().size().round();
                        let position = (session.scenario().id(), session.variant(), reached, [size.x, size.y]);
                        let remembered = egui::Id::unique(("code-scrolled-to", title));
                        let moved = ui.data(|d| d.get_temp::<ScrolledTo>(remembered)) != Some(position);
                        if lit && moved && reached > 0 {
                            ui.data_mut(|d| d.insert_temp(remembered, position));
                            // The line it died on, if it died here: a long region may not fit.
                            let target = response.inner.unwrap_or(response.response.rect);
                            ui.scroll_to_rect(target, Some(egui::Align::Center));
                        }
                    }
                },
            );
        }
    });
}

/// `compute`'s value, kept in `slot` and made again only when `key`
/// changes: wrapping and laying out code allocates, and a frame that only
/// draws should not.
fn kept<T: Clone + Send + Sync + 'static>(ui: &Ui, slot: egui::Id, key: u64, compute: impl FnOnce() -> T) -> T {
    if let Some((kept_key, value)) = ui.data(|d| d.get_temp::<(u64, T)>(slot))
        && kept_key == key
    {
        return value;
    }
    let value = compute();
    ui.data_mut(|d| d.insert_temp(slot, (key, value.clone())));
    value
}

fn hash_of(value: impl std::hash::Hash) -> u64 {
    use std::hash::Hasher as _;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A region's code as drawn: its galley, and where a crash line is in it.
#[derive(Clone)]
struct LaidOutCode {
    galley: std::sync::Arc<egui::Galley>,
    rows: usize,
    crash_row: Option<usize>,
}

/// The region `slot` of a pane, laid out for the pane's width, kept until
/// the text, the width, the zoom, the colours or the crash line change.
fn laid_out_code(
    ui: &Ui,
    slot: (&'static str, &'static str),
    text: &str,
    crash_line: Option<usize>,
    scale: f32,
) -> LaidOutCode {
    let key = hash_of((
        text,
        ui.available_width().to_bits(),
        crash_line,
        scale.to_bits(),
        ui.ctx().pixels_per_point().to_bits(),
        ui.visuals().text_color(),
    ));
    kept(ui, egui::Id::unique(("code-layout", slot)), key, || {
        let code = code_text(ui, text, crash_line, scale);
        let galley = ui.fonts_mut(|fonts| fonts.layout_job(code.job));
        LaidOutCode { galley, rows: code.rows, crash_row: code.crash_row }
    })
}

/// A region's code laid out for its pane.
struct CodeText {
    job: egui::text::LayoutJob,
    /// Rows after wrapping.
    rows: usize,
    /// The first row of the line a crash happened on.
    crash_row: Option<usize>,
}

/// A region's code in monospace, wrapped to the pane with each continuation
/// indented under its line, and the line a crash happened on lit red.
fn code_text(ui: &Ui, text: &str, crash_line: Option<usize>, scale: f32) -> CodeText {
    let mut font = egui::TextStyle::Monospace.resolve(ui.style());
    font.size *= scale;
    let color = ui.visuals().text_color();
    let char_width = ui.fonts_mut(|fonts| fonts.glyph_width(&font, 'x')).max(1.0);
    let columns = (ui.available_width() / char_width).floor() as usize;
    let mut code = CodeText { job: egui::text::LayoutJob::default(), rows: 0, crash_row: None };
    for (index, line) in text.lines().enumerate() {
        let mut format = egui::TextFormat::simple(font.clone(), color);
        if crash_line == Some(index) {
            format.background = ANOMALY_COLOR.gamma_multiply(0.55);
            format.color = Color32::WHITE;
            code.crash_row = Some(code.rows);
        }
        for row in wrap_code_line(line, columns) {
            if code.rows > 0 {
                code.job.append("\n", 0.0, format.clone());
            }
            code.job.append(&row, 0.0, format.clone());
            code.rows += 1;
        }
    }
    code
}

/// The text of the region named `name`, or nothing.
fn lit_text<'a>(regions: &'a [CodeRegion], name: Option<&str>) -> &'a str {
    regions.iter().find(|r| Some(r.name) == name).map_or("", |r| r.text.as_str())
}

/// Space around a region's code, inside its lit frame.
const CODE_MARGIN: f32 = 4.0;
/// The smallest the code is set to fit its pane, as a share of its size.
const SMALLEST_CODE: f32 = 0.6;

/// The largest font scale, from 1 down to `SMALLEST_CODE`, at which `text`
/// wrapped to `width` fits `height` without scrolling.
fn fitting_scale(ui: &Ui, text: &str, width: f32, height: f32) -> f32 {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let (char_width, row_height) =
        ui.fonts_mut(|fonts| (fonts.glyph_width(&font, 'x').max(1.0), fonts.row_height(&font)));
    let fits = |scale: f32| {
        let columns = (width / (char_width * scale)).floor() as usize;
        let rows: usize = text.lines().map(|line| wrap_code_line(line, columns).len()).sum();
        rows as f32 * row_height * scale + 2.0 * CODE_MARGIN <= height
    };
    [1.0, 0.9, 0.8, 0.7].into_iter().find(|&scale| fits(scale)).unwrap_or(SMALLEST_CODE)
}

fn results_ui(ui: &mut Ui, session: &ScenarioSession, height: f32) {
    let run = session.run();
    let model = run.model();
    ScrollArea::vertical().id_salt("scenario-results").max_height(height).show(ui, |ui| {
        // Once the run is over, the verdict lists every finding, leaks
        // included; until then, what was caught so far.
        if session.verdict().is_some() {
            verdict_ui(ui, session);
        } else {
            anomaly_list_ui(ui, model.anomalies(), NO_ANOMALY);
        }
        ui.separator();
        let scenario = session.scenario();
        let releaser = |site: &str| scenario.releaser(site);
        let context = BlockContext { current_step: model.current_step(), releaser: &releaser };
        outstanding_table_ui(ui, model.outstanding(), model.outstanding_count(), Some(&context));
    });
}

/// The end of a run in plain words: one line per kind of finding and site,
/// however many times it happened.
fn verdict_ui(ui: &mut Ui, session: &ScenarioSession) {
    let Some(verdict) = session.verdict() else { return };
    ui.label(RichText::new("Verdict").strong().size(16.0));
    for line in &verdict.lines {
        ui.horizontal_wrapped(|ui| {
            match line.kind {
                Some(kind) => {
                    ui.label(RichText::new(kind).color(ANOMALY_COLOR).strong());
                    ui.label(&line.text);
                }
                None if line.clean => {
                    ui.label(RichText::new(&line.text).color(MATCH_COLOR));
                }
                None => {
                    ui.label(RichText::new(&line.text).strong());
                }
            }
            if line.more > 0 {
                ui.weak(format!("and {} more like it", format::thousands(line.more as u64)));
            }
        });
    }
}
