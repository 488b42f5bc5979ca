//! The window: a top bar of tabs and settings, and the current tab's panel.
//! Panels return commands, applied once at the end of the frame.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::command::{Command, Export};
use crate::export::{FolderDialog, Picked};
use crate::layout::Layout;
use crate::layout::exhibits::{Exhibit, load_exhibits};
use crate::layout::lab::session::{LabCommand, LabSession};
use crate::layout::listing::pahole_listing;
use crate::record::session::RecordSession;
use crate::report::Table;
use crate::scenarios::session::{ScenarioCommand, ScenarioSession};
use crate::scenarios::type_mapping::type_table;
use crate::teaching::quiz::{Quiz, QuizCommand};
use crate::track::TrackerSession;
use crate::ui::allocation_plot::{Measure, XAxis};
use crate::ui::layouts_panel::{LayoutsView, layouts_panel_ui};
use crate::ui::plan_panel::{plan_panel_ui, plan_strip_ui};
use crate::ui::quiz_panel::quiz_panel_ui;
use crate::ui::record_panel::record_panel_ui;
use crate::ui::scenarios_panel::scenarios_panel_ui;
use crate::ui::shortcuts::{self, Shortcut, cheat_sheet_ui};
use crate::ui::struct_lab_panel::{LabView, struct_lab_panel_ui};
use crate::ui::tracker_panel::tracker_panel_ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tab {
    #[default]
    Tracker,
    Record,
    Scenarios,
    Layouts,
    StructLab,
    Quiz,
}

impl Tab {
    /// In the order of the top bar and of the digit keys; Record came last,
    /// so the keys a room learned for the others stay.
    pub const ALL: [Tab; 6] = [Tab::Tracker, Tab::Scenarios, Tab::Layouts, Tab::StructLab, Tab::Quiz, Tab::Record];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Tracker => "Tracker",
            Tab::Record => "Record",
            Tab::Scenarios => "Scenarios",
            Tab::Layouts => "Layouts",
            Tab::StructLab => "Struct Lab",
            Tab::Quiz => "Quiz",
        }
    }
}

/// The quiz a fresh launch asks: the same in every copy of the app, so a
/// room that has not agreed on a seed still gets the same questions.
const DEFAULT_QUIZ_SEED: u64 = 2026;

/// What survives a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub dark_mode: bool,
    pub zoom: f32,
    pub tab: Tab,
    pub plot_x_axis: XAxis,
    /// What the Scenarios tab's plot shows: live blocks or live bytes.
    pub plot_measure: Measure,
    /// Struct Lab's text: a pasted declaration survives a restart.
    pub lab_text: String,
    /// Or, for a header opened and not edited since, its path: opened again
    /// at start rather than kept as a copy.
    pub lab_path: String,
    /// Struct Lab's Rust mirror of the C types.
    pub lab_mirror: String,
    /// Where exports are written.
    pub export_dir: String,
    /// The scenario and variant last shown, opened again at start.
    pub last_scenario: String,
    pub last_variant: String,
    /// Where the workshop is in the lesson plan.
    pub plan_stop: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dark_mode: true,
            zoom: 1.0,
            tab: Tab::Tracker,
            plot_x_axis: XAxis::Sequence,
            plot_measure: Measure::Blocks,
            lab_text: crate::layout::lab::session::EXAMPLE.to_owned(),
            lab_path: String::new(),
            lab_mirror: String::new(),
            export_dir: default_export_dir(),
            last_scenario: String::new(),
            last_variant: String::new(),
            plan_stop: 0,
        }
    }
}

/// The folder a user typed, with a leading `~` meaning their home, as a
/// shell would read it.
fn expand_home(typed: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (typed.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home,
        (Some(rest), Some(home)) if rest.starts_with('/') => home.join(rest.trim_start_matches('/')),
        _ => PathBuf::from(typed),
    }
}

/// `~/ffiscope-exports`, or a folder of that name here without a home.
fn default_export_dir() -> String {
    std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("ffiscope-exports"), |home| PathBuf::from(home).join("ffiscope-exports"))
        .display()
        .to_string()
}

impl Settings {
    /// The settings saved by the last launch, or the defaults.
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Settings {
        storage.and_then(|s| eframe::get_value(s, eframe::APP_KEY)).unwrap_or_default()
    }

    pub fn store(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, self);
    }
}

#[derive(Debug)]
pub struct FfiscopeApp {
    settings: Settings,
    tracker: TrackerSession,
    record: RecordSession,
    scenarios: ScenarioSession,
    /// Measured once at start: the compilers' layouts do not change while we run.
    exhibits: Vec<Exhibit>,
    types: Table,
    layouts: LayoutsView,
    lab: LabSession,
    lab_view: LabView,
    quiz: Quiz,
    /// The quiz's seed field, as typed.
    quiz_seed: String,
    /// The desktop's folder picker, while it is open.
    folder_dialog: Option<FolderDialog>,
    /// The outcome of the last export or folder choice, shown in the status bar.
    status: Option<String>,
    presenting: bool,
    cheat_sheet_open: bool,
    plan_open: bool,
    startup_probe: Option<StartupProbe>,
}

/// Measures launch to first drawn frame: the frame is painted after `ui`
/// returns, so the time is taken when the second frame begins.
#[derive(Debug, Clone, Copy)]
struct StartupProbe {
    launched: Instant,
    frames_begun: u32,
}

impl FfiscopeApp {
    pub fn new(cc: &eframe::CreationContext<'_>) -> FfiscopeApp {
        let settings = Settings::load(cc.storage);
        apply_look(&cc.egui_ctx, &settings, false);
        // Variants that crash run in a child: this very program, in `run --isolated` mode.
        let program = std::env::current_exe().unwrap_or_else(|_| "ffiscope".into());
        let mut scenarios = ScenarioSession::new(program);
        scenarios.reopen(&settings.last_scenario, &settings.last_variant);
        let mut lab = LabSession::with_mirror(settings.lab_text.clone(), settings.lab_mirror.clone());
        if !settings.lab_path.is_empty() {
            // Read on a worker, as any open is.
            lab.apply(LabCommand::Open(settings.lab_path.clone()));
        }
        FfiscopeApp {
            settings: settings.clone(),
            tracker: TrackerSession::new(),
            record: RecordSession::default(),
            scenarios,
            exhibits: load_exhibits(),
            types: type_table(),
            layouts: LayoutsView::default(),
            lab,
            lab_view: LabView::default(),
            quiz: Quiz::new(DEFAULT_QUIZ_SEED),
            quiz_seed: DEFAULT_QUIZ_SEED.to_string(),
            folder_dialog: None,
            status: None,
            presenting: false,
            cheat_sheet_open: false,
            plan_open: false,
            startup_probe: None,
        }
    }

    /// Uses `program` as the child for isolated runs (tests point it at the
    /// built binary, since they are not it themselves).
    #[must_use]
    pub fn with_child_program(mut self, program: PathBuf) -> FfiscopeApp {
        self.scenarios = ScenarioSession::new(program);
        self
    }

    /// Closes the window once the first frame is drawn and prints the time since `launched`.
    #[must_use]
    pub fn with_startup_probe(mut self, launched: Option<Instant>) -> FfiscopeApp {
        self.startup_probe = launched.map(|launched| StartupProbe { launched, frames_begun: 0 });
        self
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn is_presenting(&self) -> bool {
        self.presenting
    }

    pub fn is_cheat_sheet_open(&self) -> bool {
        self.cheat_sheet_open
    }

    pub fn record_mut(&mut self) -> &mut RecordSession {
        &mut self.record
    }

    pub fn record(&self) -> &RecordSession {
        &self.record
    }

    pub fn tracker(&self) -> &TrackerSession {
        &self.tracker
    }

    pub fn scenarios(&self) -> &ScenarioSession {
        &self.scenarios
    }

    pub fn scenarios_mut(&mut self) -> &mut ScenarioSession {
        &mut self.scenarios
    }

    pub fn lab(&self) -> &LabSession {
        &self.lab
    }

    /// Opens what stop `index` of the lesson plan teaches with.
    fn go_to_stop(&mut self, index: usize) {
        use crate::teaching::plan::{Opens, PLAN};
        let Some(stop) = PLAN.get(index) else { return };
        self.settings.plan_stop = index;
        match stop.opens {
            Opens::Scenario(id) => {
                self.settings.tab = Tab::Scenarios;
                self.scenarios.reopen(id, "");
            }
            Opens::ScenarioVariant(id, variant) => {
                self.settings.tab = Tab::Scenarios;
                self.scenarios.reopen(id, variant);
            }
            Opens::Exhibit(name) => {
                self.settings.tab = Tab::Layouts;
                if let Some(at) = self.exhibits.iter().position(|e| e.spec.name == name) {
                    self.layouts.shown = crate::ui::layouts_panel::Shown::Exhibit(at);
                }
            }
            Opens::StructLab => self.settings.tab = Tab::StructLab,
            Opens::Quiz => self.settings.tab = Tab::Quiz,
        }
    }

    pub fn quiz(&self) -> &Quiz {
        &self.quiz
    }

    pub fn is_plan_open(&self) -> bool {
        self.plan_open
    }

    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// Where exports go (as the top bar's field sets it).
    pub fn set_export_dir(&mut self, dir: &std::path::Path) {
        self.settings.export_dir = dir.display().to_string();
    }

    /// Takes the folder the picker returned, if it has closed.
    fn poll_folder_dialog(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &self.folder_dialog else { return };
        match dialog.poll() {
            Picked::StillOpen => ctx.request_repaint_after(std::time::Duration::from_millis(100)),
            Picked::Folder(folder) => {
                self.status = Some(format!("Exports will go to {}", folder.display()));
                self.settings.export_dir = folder.display().to_string();
                self.folder_dialog = None;
            }
            Picked::Nothing => {
                self.status = Some("No folder chosen; if no dialog opened, type the folder into the field".into());
                self.folder_dialog = None;
            }
        }
    }

    /// Writes `files` (name, contents) into the export folder; says what happened.
    fn write_exports(&self, files: &[(String, Vec<u8>)]) -> String {
        let dir = expand_home(&self.settings.export_dir);
        if let Err(error) = std::fs::create_dir_all(&dir) {
            return format!("Could not create {}: {error}", dir.display());
        }
        for (name, contents) in files {
            let path = dir.join(name);
            if let Err(error) = crate::export::save_whole(&path, contents) {
                return format!("Could not write {}: {error}", path.display());
            }
        }
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        format!("Wrote {} to {}", names.join(", "), dir.display())
    }

    fn export_run(&self) -> String {
        let run = self.scenarios.run();
        let Some(report) = run.report() else { return "Nothing to export: the run did not start.".to_owned() };
        let stem = format!("{}-{}", report.scenario, report.variant);
        self.write_exports(&[
            (format!("{stem}.csv"), crate::export::timeline_csv(run.events()).into_bytes()),
            (format!("{stem}.trace.json"), crate::export::chrome_trace(run.events()).into_bytes()),
            (format!("{stem}.md"), crate::export::report_markdown(&report).into_bytes()),
            (format!("{stem}.json"), report.to_json().into_bytes()),
        ])
    }

    /// The step on show as a slide, named for its lesson, variant and step.
    fn export_slide(&self) -> String {
        let session = &self.scenarios;
        let run = session.run();
        let scenario = session.scenario();
        let step = run.step_on_show();
        let lit = |regions: &'_ [crate::scenarios::snippet::CodeRegion], name: Option<&str>| {
            regions.iter().find(|r| Some(r.name) == name).map(|r| r.text.clone())
        };
        let code = session.code();
        let (rust, c) = (lit(&code.rust, step.map(|s| s.rust)), lit(&code.c, step.and_then(|s| s.c)));
        let variant = crate::ui::scenarios_panel::variant_label(session.variant());
        let reached = run.steps_reached();
        let slide = crate::export::Slide {
            title: format!("{} · {variant}", scenario.title()),
            step: crate::ui::scenarios_panel::step_heading(run.steps(), reached),
            explanation: step.map_or("", |s| s.explanation),
            rust: rust.as_deref(),
            c: c.as_deref(),
            model: run.model(),
            measure: self.settings.plot_measure,
            verdict: session.verdict().map_or(&[], |v| v.lines.as_slice()),
        };
        let stem = format!("{}-{}-step{reached}", scenario.id(), session.variant());
        self.export_picture(&stem, &crate::export::slide_svg(&slide))
    }

    fn export_tracker_plots(&self) -> String {
        let svg = crate::export::plots_svg("Tracker: both heaps, live", self.tracker.model());
        self.export_picture("tracker-plots", &svg)
    }

    /// Writes `svg` and the PNG rendered from it.
    fn export_picture(&self, stem: &str, svg: &str) -> String {
        match crate::export::svg_to_png(svg) {
            Ok(png) => {
                self.write_exports(&[(format!("{stem}.svg"), svg.as_bytes().to_vec()), (format!("{stem}.png"), png)])
            }
            Err(error) => format!("Could not render the PNG: {error}"),
        }
    }

    fn export(&self, what: Export) -> String {
        match what {
            Export::Run => self.export_run(),
            Export::Slide => self.export_slide(),
            Export::TrackerPlots => self.export_tracker_plots(),
            Export::Exhibit => self.export_exhibit(),
            Export::LabType => self.export_lab(),
            Export::RecordFlameGraphs => self.export_record_flame_graphs(),
        }
    }

    /// The recorded program's flame graphs, one for each of what held the
    /// peak, what leaked, what was allocated and the temporary allocations;
    /// none of what nothing weighs. Turned over (`-inverted`) when the tab
    /// draws them so.
    fn export_record_flame_graphs(&self) -> String {
        use crate::export::flame::{FlameOf, flame_graph_svg, folded_lines};
        // The program as it was recorded (or as its recording names it),
        // whatever the field says now.
        let recorded = self.record.flame_stacks();
        let inverted = self.record.flame.inverted;
        let (program, stacks) = (&recorded.program, &recorded.stacks);
        let suffix = if inverted { "-inverted" } else { "" };
        let stem =
            std::path::Path::new(&program).file_name().map_or_else(|| "recording".into(), |n| n.to_string_lossy());
        let mut files = Vec::new();
        let kinds = [
            (FlameOf::Peak, "peak"),
            (FlameOf::Leaks, "leaks"),
            (FlameOf::Allocated, "allocated"),
            (FlameOf::Temporary, "temporary"),
        ];
        for (of, name) in kinds {
            match flame_graph_svg(&folded_lines(stacks, of, inverted), of, program, inverted, None) {
                Some(Ok(svg)) => files.push((format!("{stem}-{name}{suffix}.svg"), svg)),
                Some(Err(why)) => return format!("Could not draw the flame graph: {why}"),
                None => {}
            }
        }
        if files.is_empty() {
            return "Nothing to draw: the program made no block.".to_owned();
        }
        self.write_exports(&files)
    }

    fn export_exhibit(&self) -> String {
        let crate::ui::layouts_panel::Shown::Exhibit(index) = self.layouts.shown else {
            return "Choose an exhibit to export.".to_owned();
        };
        let Some(exhibit) = self.exhibits.get(index) else { return String::new() };
        let columns: Vec<(&str, &Layout)> = exhibit.columns.iter().map(|c| (c.spec.title, &c.layout)).collect();
        let listings: Vec<String> = columns.iter().map(|(_, layout)| pahole_listing(layout)).collect();
        self.export_grids(&exhibit.spec.name.replace(' ', "_"), &columns, &listings, self.layouts.bytes_per_row)
    }

    /// Struct Lab's selected type, one column per chosen target.
    fn export_lab(&self) -> String {
        let Some(name) = self.lab.selected() else { return "Declare a struct or union to export.".to_owned() };
        let report = self.lab.report();
        // Each target's report of the type: its layout, and its listing with
        // anonymous members nested.
        let reported: Vec<(&str, Layout, String)> = report
            .results
            .iter()
            .filter_map(|r| {
                let ty = r.types.iter().find(|t| t.name == name)?;
                Some((r.target.triple(), ty.layout(), ty.listing()))
            })
            .collect();
        let columns: Vec<(&str, &Layout)> = reported.iter().map(|(title, layout, _)| (*title, layout)).collect();
        let listings: Vec<String> = reported.iter().map(|(_, _, listing)| listing.clone()).collect();
        self.export_grids(&name.replace(' ', "_"), &columns, &listings, 8)
    }

    /// Writes `columns` side by side as SVG and PNG, and their `listings`
    /// (one each) as text.
    fn export_grids(&self, stem: &str, columns: &[(&str, &Layout)], listings: &[String], per_row: usize) -> String {
        let listings = columns.iter().zip(listings).fold(String::new(), |mut text, ((title, _), listing)| {
            let _ = writeln!(text, "/* {title} */\n{listing}");
            text
        });
        let svg = crate::export::layouts_svg(columns, per_row);
        let png = match crate::export::svg_to_png(&svg) {
            Ok(png) => png,
            Err(error) => return format!("Could not render the PNG: {error}"),
        };
        self.write_exports(&[
            (format!("{stem}.svg"), svg.into_bytes()),
            (format!("{stem}.png"), png),
            (format!("{stem}.txt"), listings.into_bytes()),
        ])
    }

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Export(what) => self.status = Some(self.export(what)),
            Command::Lab(command) => self.lab.apply(command),
            Command::Tracker(command) => self.tracker.apply(command),
            Command::Record(command) => self.record.apply(command),
            Command::Quiz(command) => {
                if let QuizCommand::Restart(seed) = command {
                    self.quiz_seed = seed.to_string();
                }
                self.quiz.apply(command);
            }
            Command::Scenario(command) => self.scenarios.apply(command),
            Command::ShowTab(tab) => self.settings.tab = tab,
            Command::ChooseExportFolder => {
                self.folder_dialog = Some(FolderDialog::open(std::path::Path::new(&self.settings.export_dir)));
            }
            Command::SetDarkMode(dark) => {
                self.settings.dark_mode = dark;
                apply_look(ctx, &self.settings, self.presenting);
            }
            Command::Present(on) => {
                self.presenting = on;
                apply_look(ctx, &self.settings, on);
            }
            Command::ToggleCheatSheet => self.cheat_sheet_open = !self.cheat_sheet_open,
            Command::TogglePlan => self.plan_open = !self.plan_open,
            Command::PlanGo(index) => self.go_to_stop(index),
        }
    }

    /// The tabs, then the export folder, the theme and the modes. Narrower
    /// than they need on one line, the folder and the theme move into a
    /// Settings menu and the bar wraps rather than draw one control over
    /// another. What one line needs is measured each time it is drawn, so a
    /// new tab or a longer label moves the threshold with it.
    fn top_bar_ui(&mut self, ui: &mut egui::Ui) -> Option<Command> {
        let mut command = None;
        let needed_id = egui::Id::unique(("top bar on one line", self.presenting));
        let needed = ui.ctx().data(|data| data.get_temp::<f32>(needed_id)).unwrap_or(FULL_BAR_WIDTH);
        let wide = ui.available_width() >= needed;
        let shown = self.settings.tab;
        let tabs = |ui: &mut egui::Ui, command: &mut Option<Command>| {
            ui.heading("ffiscope");
            ui.separator();
            for tab in Tab::ALL {
                if ui.selectable_label(shown == tab, tab.label()).clicked() {
                    *command = Some(Command::ShowTab(tab));
                }
            }
        };
        if wide {
            ui.horizontal(|ui| {
                let start = ui.cursor().min.x;
                tabs(ui, &mut command);
                // Secondary controls stay off the projector.
                if !self.presenting {
                    ui.separator();
                    self.export_folder_ui(ui, &mut command);
                }
                let left = ui.cursor().min.x - start;
                let right = ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.mode_buttons_ui(ui, &mut command);
                    // At the projector's zoom the tabs need the room: the theme
                    // is chosen before presenting.
                    if !self.presenting {
                        self.theme_and_zoom_ui(ui, &mut command);
                    }
                });
                // Too little room shows for one frame, then the bar wraps.
                let needed = left + right.response.rect.width();
                ui.ctx().data_mut(|data| data.insert_temp(needed_id, needed));
            });
        } else {
            ui.horizontal_wrapped(|ui| {
                tabs(ui, &mut command);
                ui.separator();
                self.mode_buttons_ui(ui, &mut command);
                if !self.presenting {
                    ui.menu_button("Settings", |ui| {
                        self.export_folder_ui(ui, &mut command);
                        ui.separator();
                        self.theme_and_zoom_ui(ui, &mut command);
                    });
                }
            });
        }
        command
    }

    fn export_folder_ui(&mut self, ui: &mut egui::Ui, command: &mut Option<Command>) {
        let label = ui.label("Exports to:");
        ui.add(egui::TextEdit::singleline(&mut self.settings.export_dir).desired_width(180.0)).labelled_by(label.id);
        let choosing = self.folder_dialog.is_some();
        if ui
            .add_enabled(!choosing, egui::Button::new("Choose…"))
            .on_hover_text("Pick the folder with the desktop's dialog")
            .clicked()
        {
            *command = Some(Command::ChooseExportFolder);
        }
    }

    /// Present, Lesson plan and "?", in reading order whichever way the
    /// layout draws.
    fn mode_buttons_ui(&self, ui: &mut egui::Ui, command: &mut Option<Command>) {
        let mut order = [ModeButton::Present, ModeButton::Plan, ModeButton::Shortcuts];
        if ui.layout().main_dir() == egui::Direction::RightToLeft {
            order.reverse();
        }
        for button in order {
            match button {
                ModeButton::Present => {
                    let present = ui.selectable_label(self.presenting, "Present");
                    if present.on_hover_text("Presentation mode (F5)").clicked() {
                        *command = Some(Command::Present(!self.presenting));
                    }
                }
                ModeButton::Plan => {
                    if ui.selectable_label(self.plan_open, "Lesson plan").clicked() {
                        *command = Some(Command::TogglePlan);
                    }
                }
                ModeButton::Shortcuts => {
                    if ui.button("?").on_hover_text("Keyboard shortcuts").clicked() {
                        *command = Some(Command::ToggleCheatSheet);
                    }
                }
            }
        }
    }

    fn theme_and_zoom_ui(&self, ui: &mut egui::Ui, command: &mut Option<Command>) {
        let label = if self.settings.dark_mode { "Light theme" } else { "Dark theme" };
        if ui.button(label).clicked() {
            *command = Some(Command::SetDarkMode(!self.settings.dark_mode));
        }
        ui.weak(format!("zoom {:.0}% (Ctrl +/-)", ui.ctx().zoom_factor() * 100.0));
    }
}

/// The width, in points, the top bar is taken to need on one line with every
/// control until it has been drawn on one line and measured.
const FULL_BAR_WIDTH: f32 = 1260.0;

#[derive(Clone, Copy)]
enum ModeButton {
    Present,
    Plan,
    Shortcuts,
}

/// The size, in points, that presentation mode lays a tab out in at the
/// least: the screen is zoomed as far as keeps it, so a 1280×800 projector
/// gets 1.64×, a 1920×1080 one 2.25×, and a 1024×640 screen 1.31×.
const PRESENTED_SIZE: egui::Vec2 = egui::vec2(780.0, 480.0);

/// Theme and zoom; presenting zooms the screen down to `PRESENTED_SIZE`
/// (from 1× to 2.5×) and makes text high-contrast.
fn apply_look(ctx: &egui::Context, settings: &Settings, presenting: bool) {
    ctx.set_theme(if settings.dark_mode { egui::Theme::Dark } else { egui::Theme::Light });
    let zoom = if settings.zoom.is_finite() && (0.5..=3.0).contains(&settings.zoom) { settings.zoom } else { 1.0 };
    let screen = ctx.content_rect().size() * ctx.zoom_factor();
    let presented = (screen / PRESENTED_SIZE).min_elem().clamp(1.0, 2.5);
    ctx.set_zoom_factor(if presenting { presented } else { zoom });
    ctx.all_styles_mut(|style| {
        let strong = if style.visuals.dark_mode { egui::Color32::WHITE } else { egui::Color32::BLACK };
        style.visuals.override_text_color = presenting.then_some(strong);
    });
}

impl eframe::App for FfiscopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if let Some(probe) = &mut self.startup_probe {
            probe.frames_begun += 1;
            if probe.frames_begun == 2 {
                println!("first frame drawn {:.1} ms after launch", probe.launched.elapsed().as_secs_f64() * 1000.0);
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            } else {
                ctx.request_repaint();
            }
        }
        self.tracker.refresh();
        if self.record.is_running() {
            // The worker fills the model; frames follow it.
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        if let Some(due) = self.scenarios.tick(Instant::now()) {
            ctx.request_repaint_after(due);
        }
        self.poll_folder_dialog(&ctx);
        if self.settings.tab == Tab::Quiz {
            // The leak rounds' cases are found on a worker, before they are asked.
            crate::teaching::quiz::prepare_leak_cases();
        }
        if self.quiz.poll() || *self.quiz.question() == crate::teaching::quiz::Question::Preparing {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        if self.lab.is_busy() && !self.lab.poll() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        // A dropped header opens in Struct Lab.
        let mut commands: Vec<Command> = Vec::new();
        if !dropped.is_empty() {
            commands.extend(dropped.into_iter().map(|path| Command::Lab(LabCommand::Open(path.display().to_string()))));
            commands.push(Command::ShowTab(Tab::StructLab));
        }
        // The stepping keys are the Scenarios tab's: elsewhere they would move
        // a run nobody is looking at (Esc, leaving a text field, would reset it).
        let on_scenarios = self.settings.tab == Tab::Scenarios;
        for shortcut in shortcuts::pressed(&ctx) {
            if shortcut.is_scenarios() && !on_scenarios {
                continue;
            }
            commands.push(match shortcut {
                Shortcut::Step => Command::Scenario(ScenarioCommand::Step),
                Shortcut::Back => Command::Scenario(ScenarioCommand::Back),
                Shortcut::RunOrPause if self.scenarios.is_auto_running() => Command::Scenario(ScenarioCommand::Pause),
                Shortcut::RunOrPause => Command::Scenario(ScenarioCommand::RunToEnd),
                Shortcut::Reset => Command::Scenario(ScenarioCommand::Reset),
                Shortcut::Tab(index) => Command::ShowTab(Tab::ALL[index.min(Tab::ALL.len() - 1)]),
                Shortcut::Present => Command::Present(!self.presenting),
                Shortcut::CheatSheet => Command::ToggleCheatSheet,
            });
        }
        egui::Panel::top("top-bar").show(ui, |ui| commands.extend(self.top_bar_ui(ui)));
        // What the last export or folder choice did, until dismissed: in a bar
        // of its own, since a path or an error can be long.
        if let Some(status) = &self.status {
            let mut dismissed = false;
            egui::Panel::bottom("status-bar").show(ui, |ui| {
                ui.horizontal(|ui| {
                    dismissed = ui.small_button("Dismiss").clicked();
                    ui.label(status.as_str());
                });
            });
            if dismissed {
                self.status = None;
            }
        }
        if self.plan_open {
            let current = self.settings.plan_stop;
            // Presenting, the plan is a strip: the tab keeps its width for the room.
            if self.presenting {
                egui::Panel::bottom("lesson-plan-strip").show(ui, |ui| {
                    commands.extend(plan_strip_ui(ui, current).map(Command::PlanGo));
                });
            } else {
                egui::Panel::right("lesson-plan").resizable(true).default_size(280.0).show(ui, |ui| {
                    commands.extend(plan_panel_ui(ui, current).map(Command::PlanGo));
                });
            }
        }
        let presenting = self.presenting;
        egui::CentralPanel::default().show(ui, |ui| {
            commands.extend(match self.settings.tab {
                Tab::Tracker => tracker_panel_ui(ui, &self.tracker, &mut self.settings.plot_x_axis),
                Tab::Record => record_panel_ui(ui, &self.record, &mut self.settings.plot_x_axis),
                Tab::Scenarios => scenarios_panel_ui(
                    ui,
                    &self.scenarios,
                    &mut self.settings.plot_x_axis,
                    &mut self.settings.plot_measure,
                    presenting,
                ),
                Tab::Layouts => layouts_panel_ui(ui, &self.exhibits, &self.types, &mut self.layouts, presenting),
                Tab::StructLab => struct_lab_panel_ui(ui, &self.lab, &mut self.lab_view),
                Tab::Quiz => quiz_panel_ui(ui, &self.quiz, &mut self.quiz_seed),
            });
        });
        for command in commands {
            self.apply(&ctx, command);
        }
        // The presentation zoom is the room's, not the user's.
        if !self.presenting {
            self.settings.zoom = ctx.zoom_factor();
        }
        cheat_sheet_ui(&ctx, &mut self.cheat_sheet_open);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // Only worth a string when it is about to be written.
        self.settings.last_scenario = self.scenarios.scenario().id().to_owned();
        self.settings.last_variant = self.scenarios.variant().to_owned();
        if let Some(path) = self.lab.unedited_file() {
            path.clone_into(&mut self.settings.lab_path);
            self.settings.lab_text.clear();
        } else {
            self.settings.lab_path.clear();
            self.lab.text().clone_into(&mut self.settings.lab_text);
        }
        self.lab.mirror_text().clone_into(&mut self.settings.lab_mirror);
        self.settings.store(storage);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{Measure, Settings, Tab, XAxis};

    /// What eframe's file storage does, kept in memory.
    #[derive(Default)]
    struct MemoryStorage(HashMap<String, String>);

    impl eframe::Storage for MemoryStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_owned(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn a_typed_tilde_is_the_home_folder() {
        let Some(home) = std::env::var_os("HOME").map(std::path::PathBuf::from) else { return };
        assert_eq!(super::expand_home("~/exports"), home.join("exports"));
        assert_eq!(super::expand_home("~"), home);
        assert_eq!(super::expand_home("/tmp/~x"), std::path::PathBuf::from("/tmp/~x"));
        assert_eq!(super::expand_home("~user/x"), std::path::PathBuf::from("~user/x"), "another user's is not ours");
    }

    #[test]
    fn theme_and_zoom_survive_a_restart() {
        let mut storage = MemoryStorage::default();
        let chosen = Settings {
            dark_mode: false,
            zoom: 1.75,
            tab: Tab::StructLab,
            plot_x_axis: XAxis::Time,
            plot_measure: Measure::Bytes,
            lab_text: "struct pasted { char a; };".to_owned(),
            lab_path: "/usr/include/zlib.h".to_owned(),
            lab_mirror: "#[repr(C)] struct pasted { a: core::ffi::c_char }".to_owned(),
            export_dir: "/tmp/exports".to_owned(),
            last_scenario: "leak-hunt".to_owned(),
            last_variant: "leaky".to_owned(),
            plan_stop: 3,
        };
        chosen.store(&mut storage);
        assert_eq!(Settings::load(Some(&storage)), chosen);
    }

    #[test]
    fn missing_or_damaged_settings_fall_back_to_defaults() {
        assert_eq!(Settings::load(None), Settings::default());
        let mut storage = MemoryStorage::default();
        eframe::Storage::set_string(&mut storage, eframe::APP_KEY, "not ron at all".to_owned());
        assert_eq!(Settings::load(Some(&storage)), Settings::default());
        eframe::Storage::set_string(&mut storage, eframe::APP_KEY, "(zoom: 2.0)".to_owned());
        assert_eq!(
            Settings::load(Some(&storage)),
            Settings { zoom: 2.0, ..Settings::default() },
            "missing fields default"
        );
    }
}
