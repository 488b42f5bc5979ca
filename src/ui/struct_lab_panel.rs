//! The Struct Lab tab: C declarations on the left; on the right, the chosen
//! type laid out for each target side by side, the differences between
//! targets called out, and what the real compilers said.

use egui::{Color32, RichText, ScrollArea, Ui};

use crate::command::{Command, Export};
use crate::layout::lab::Target;
use crate::layout::lab::report::{LabReport, TargetReport, TypeReport};
use crate::layout::lab::session::{LabCommand, LabSession};
use crate::layout::{Field, Layout};

use super::layout_grid::{field_details, layout_grid_ui};
use super::mirror_check_panel::{editors_ui, mirror_detail_ui, mirror_editor_ui, mirror_summary_ui, scrolled_editor};
use super::{ANOMALY_COLOR, format};

const VERIFIED_COLOR: Color32 = Color32::from_rgb(0x4c, 0xaf, 0x50);

/// The panel's own state: the path field and the hovered member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabView {
    pub path: String,
    /// Part of a type's name, to find it among all a header brings.
    pub search: String,
    /// The preprocessor's include folders and defines, as typed.
    pub includes: String,
    pub defines: String,
    pub hovered: Option<String>,
    pub language: Language,
}

/// What the badge above a target's column says.
pub fn badge(result: &TargetReport, ty: &TypeReport) -> (String, Color32) {
    match (&ty.verified, &result.verification_error) {
        (Some(v), _) if v.ok => (format!("verified by {}", v.by), VERIFIED_COLOR),
        (Some(v), _) => (
            format!("{} mismatch{} with {}", v.mismatches.len(), if v.mismatches.len() == 1 { "" } else { "es" }, v.by),
            ANOMALY_COLOR,
        ),
        (None, Some(error)) => (format!("not verified: {error}"), ANOMALY_COLOR),
        (None, None) => match &ty.unverified {
            Some(why) => (format!("not verified: {why}"), ANOMALY_COLOR),
            None => ("model only".to_owned(), Color32::GRAY),
        },
    }
}

/// The most of the tab's width the editors' column may take.
const EDITORS_SHARE_AT_MOST: f32 = 0.55;

/// Below this width per target, the targets' grids are stacked, not squeezed.
const MIN_TARGET_COLUMN_WIDTH: f32 = 240.0;

#[must_use]
pub fn struct_lab_panel_ui(ui: &mut Ui, session: &LabSession, view: &mut LabView) -> Vec<Command> {
    let mut commands = Vec::new();
    toolbar_ui(ui, session, view, &mut commands);
    ui.separator();
    // At most this share of the tab: a width dragged (or grown) in a wide
    // window is kept when it shrinks, and would leave the results a sliver.
    let widest = ui.available_width() * EDITORS_SHARE_AT_MOST;
    egui::Panel::left("lab-editor").resizable(true).default_size(420.0).max_size(widest).show(ui, |ui| {
        let mut mirror_commands = Vec::new();
        editors_ui(
            ui,
            |ui, max_height| {
                let label = ui.strong("C declarations");
                let mut text = session.text().to_owned();
                // As tall as the text (within bounds), so the Rust pane below stays in sight.
                let rows = (text.lines().count() + 1).clamp(6, 18);
                let editor =
                    egui::TextEdit::multiline(&mut text).code_editor().desired_rows(rows).desired_width(f32::INFINITY);
                let response = scrolled_editor(ui, "lab-c-text", max_height, editor).labelled_by(label.id);
                if response.on_hover_text("C declarations: struct, union, enum, typedef, #pragma pack").changed() {
                    commands.push(LabCommand::Edit(text).into());
                }
                errors_ui(ui, session);
            },
            |ui, max_height| mirror_editor_ui(ui, session, max_height, &mut mirror_commands),
        );
        commands.extend(mirror_commands);
    });
    egui::CentralPanel::default().show(ui, |ui| {
        ScrollArea::both().id_salt("lab-results").show(ui, |ui| results_ui(ui, session, view, &mut commands));
    });
    commands
}

fn toolbar_ui(ui: &mut Ui, session: &LabSession, view: &mut LabView, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Targets:");
        for target in Target::ALL {
            let on = session.targets().contains(&target);
            if ui.selectable_label(on, target.triple()).clicked() {
                commands.push(LabCommand::ToggleTarget(target).into());
            }
        }
        ui.separator();
        if session.is_verifying() {
            ui.spinner();
            ui.label("asking the compilers…");
        } else if ui
            .button("Verify with compilers")
            .on_hover_text("Compile a probe with each target's C compiler and compare every number")
            .clicked()
        {
            commands.push(LabCommand::Verify.into());
        }
        ui.separator();
        ui.add(egui::TextEdit::singleline(&mut view.path).hint_text("path/to/header.h").desired_width(200.0));
        if ui.add_enabled(!view.path.is_empty(), egui::Button::new("Open")).clicked() {
            commands.push(LabCommand::Open(view.path.clone()).into());
        }
        if ui.add_enabled(!view.path.is_empty(), egui::Button::new("Save")).clicked() {
            commands.push(LabCommand::Save(view.path.clone()).into());
        }
        if let Some(message) = session.message() {
            ui.weak(message);
        }
    });
    // For real headers: where else to look for includes, and what to define.
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Include folders:");
        let includes =
            ui.add(egui::TextEdit::singleline(&mut view.includes).hint_text("/opt/sdk/include …").desired_width(220.0));
        if includes.labelled_by(label.id).changed() {
            commands.push(LabCommand::SetIncludes(view.includes.clone()).into());
        }
        let label = ui.label("Defines:");
        let defines =
            ui.add(egui::TextEdit::singleline(&mut view.defines).hint_text("NAME NAME=VALUE …").desired_width(220.0));
        if defines.labelled_by(label.id).changed() {
            commands.push(LabCommand::SetDefines(view.defines.clone()).into());
        }
    });
}

fn errors_ui(ui: &mut Ui, session: &LabSession) {
    let errors = &session.report().errors;
    if errors.is_empty() {
        return;
    }
    ui.label(
        RichText::new(format!("{} error{}", errors.len(), if errors.len() == 1 { "" } else { "s" }))
            .color(ANOMALY_COLOR),
    );
    for error in errors {
        let rendered = error.render_in(session.source_name(), session.text());
        ui.label(RichText::new(rendered).monospace().color(ANOMALY_COLOR));
    }
}

/// "`st_size`: offset 8 on `x86_64`, 4 on `i686`" for members that move between targets.
pub fn differences(report: &LabReport, name: &str) -> Vec<String> {
    let layouts: Vec<(Target, Layout)> = report
        .results
        .iter()
        .filter_map(|r| r.types.iter().find(|t| t.name == name).map(|t| (r.target, t.layout())))
        .collect();
    let Some((_, first)) = layouts.first() else { return Vec::new() };
    let mut lines = Vec::new();
    let describe = |value: &dyn Fn(&Layout) -> Option<u64>| -> Option<String> {
        let values: Vec<(Target, u64)> = layouts.iter().filter_map(|(t, l)| value(l).map(|v| (*t, v))).collect();
        let all_same = values.windows(2).all(|w| w[0].1 == w[1].1);
        (!all_same)
            .then(|| values.iter().map(|(t, v)| format!("{v} on {}", t.short_name())).collect::<Vec<_>>().join(", "))
    };
    if let Some(sizes) = describe(&|l| Some(l.size)) {
        lines.push(format!("size: {sizes}"));
    }
    for field in &first.fields {
        if let Some(offsets) = describe(&|l| l.field(&field.name).map(|f| f.offset)) {
            lines.push(format!("`{}`: offset {offsets}", field.name));
        }
    }
    lines
}

/// Most types a search lists at once.
const FOUND_SHOWN: usize = 60;

/// The types to choose from: the text's own, then each included header's,
/// folded, with a search over all of them.
fn type_list_ui(
    ui: &mut Ui,
    session: &LabSession,
    types: &[TypeReport],
    view: &mut LabView,
    commands: &mut Vec<Command>,
) {
    let own = |ty: &TypeReport| {
        ty.declared_in.as_ref().is_none_or(|d| d.file == "<stdin>" || d.file == session.source_name())
    };
    let mut choice = |ui: &mut Ui, ty: &TypeReport| {
        if ui.selectable_label(session.selected() == Some(ty.name.as_str()), &ty.name).clicked() {
            commands.push(LabCommand::Select(ty.name.clone()).into());
        }
    };
    ui.horizontal_wrapped(|ui| {
        ui.label("Type:");
        for ty in types.iter().filter(|t| own(t)) {
            choice(ui, ty);
        }
    });
    let included: Vec<&TypeReport> = types.iter().filter(|t| !own(t)).collect();
    if included.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        let label = ui.label(format!("{} more from included headers; find:", included.len()));
        ui.add(egui::TextEdit::singleline(&mut view.search).desired_width(160.0)).labelled_by(label.id);
    });
    let wanted = view.search.trim().to_lowercase();
    if !wanted.is_empty() {
        ui.horizontal_wrapped(|ui| {
            for ty in included.iter().filter(|t| t.name.to_lowercase().contains(&wanted)).take(FOUND_SHOWN) {
                choice(ui, ty);
            }
        });
        return;
    }
    let mut files: Vec<&str> = Vec::new();
    for ty in &included {
        let file = ty.declared_in.as_ref().map_or("", |d| d.file.as_str());
        if !files.contains(&file) {
            files.push(file);
        }
    }
    // A header can bring dozens of files: they scroll in a third of the
    // view, so the chosen type's layout stays in sight below them.
    let height = (ui.clip_rect().height() * 0.3).max(INCLUDED_LIST_MIN_HEIGHT);
    ScrollArea::vertical().id_salt("included-types").max_height(height).show(ui, |ui| {
        for file in files {
            let here: Vec<&&TypeReport> =
                included.iter().filter(|t| t.declared_in.as_ref().is_some_and(|d| d.file == file)).collect();
            egui::CollapsingHeader::new(format!("{file} ({})", here.len())).id_salt(("included", file)).show(
                ui,
                |ui| {
                    ui.horizontal_wrapped(|ui| {
                        for ty in here {
                            choice(ui, ty);
                        }
                    });
                },
            );
        }
    });
    ui.separator();
}

/// The folded headers' list is never shorter than this, in points.
const INCLUDED_LIST_MIN_HEIGHT: f32 = 120.0;

fn results_ui(ui: &mut Ui, session: &LabSession, view: &mut LabView, commands: &mut Vec<Command>) {
    let report = session.report();
    let Some(first) = report.results.first() else { return };
    type_list_ui(ui, session, &first.types, view, commands);
    mirror_summary_ui(ui, session, commands);
    let Some(name) = session.selected() else {
        ui.weak("No struct or union declared yet.");
        return;
    };
    // The mirror of the type shown first: it is what the Rust pane asks about.
    if mirror_detail_ui(ui, session, name) {
        ui.separator();
    }
    let moved = differences(report, name);
    if moved.is_empty() {
        ui.label(RichText::new("Same layout on every chosen target.").color(VERIFIED_COLOR));
    } else {
        // A large type can differ in every member: the first few, then the rest folded.
        const SHOWN: usize = 5;
        let differs = |ui: &mut Ui, line: &String| {
            ui.label(RichText::new(format!("differs: {line}")).color(Color32::from_rgb(0xe0, 0x7b, 0x39)));
        };
        for line in moved.iter().take(SHOWN) {
            differs(ui, line);
        }
        if moved.len() > SHOWN {
            egui::CollapsingHeader::new(format!("{} more differences", moved.len() - SHOWN))
                .id_salt(("more-differences", name))
                .show(ui, |ui| moved.iter().skip(SHOWN).for_each(|line| differs(ui, line)));
        }
    }
    if ui.button("Export SVG, PNG and text").on_hover_text("This type on every chosen target, side by side").clicked() {
        commands.push(Command::Export(Export::LabType));
    }
    ui.separator();
    let highlighted = view.hovered.take();
    let mut hovered = None;
    let mut target_ui = |ui: &mut Ui, result: &TargetReport| {
        let Some(ty) = result.types.iter().find(|t| t.name == name) else { return };
        // The type shown only: laying out every type of a large header each frame is what this avoids.
        let layout = ty.layout();
        ui.push_id(result.target.triple(), |ui| {
            if let Some(name) = target_column_ui(ui, result, ty, &layout, highlighted.as_deref()) {
                hovered = Some(name);
            }
        });
    };
    let count = report.results.len().max(1);
    // Side by side when each column can hold a readable grid; otherwise (a
    // narrow window, or the zoom of presentation mode) one under another.
    if ui.available_width() / count as f32 >= MIN_TARGET_COLUMN_WIDTH {
        ui.columns(count, |columns| {
            for (ui, result) in columns.iter_mut().zip(&report.results) {
                target_ui(ui, result);
            }
        });
    } else {
        for result in &report.results {
            target_ui(ui, result);
            ui.add_space(8.0);
        }
    }
    view.hovered = hovered;
    ui.separator();
    reorder_ui(ui, session, name);
    bindings_ui(ui, session, view, name);
}

fn reorder_ui(ui: &mut Ui, session: &LabSession, name: &str) {
    let Some((before, after)) = session.reorder(name) else { return };
    let target = session.targets().first().map_or("", |t| t.triple());
    ui.label(
        RichText::new(format!(
            "Reordered by alignment, largest first: {} to {} bytes on {target}, {} saved",
            before.size,
            after.size,
            before.size - after.size
        ))
        .strong(),
    );
    let order: Vec<&str> = after.fields.iter().map(|f| f.name.as_str()).collect();
    ui.monospace(format!("order: {}", order.join(", ")));
    ui.columns(2, |columns| {
        columns[0].label("As written");
        layout_grid_ui(&mut columns[0], before, None, 8, None);
        columns[1].label("Reordered");
        layout_grid_ui(&mut columns[1], after, None, 8, None);
    });
}

fn bindings_ui(ui: &mut Ui, session: &LabSession, view: &mut LabView, name: &str) {
    let Some(bindings) = session.bindings(name) else { return };
    ui.horizontal(|ui| {
        ui.label(RichText::new("Bindings").strong());
        for language in Language::ALL {
            ui.selectable_value(&mut view.language, language, language.label());
        }
    });
    let text = match view.language {
        Language::Rust => &bindings.rust,
        Language::CGuards => &bindings.c_guards,
        Language::Go => &bindings.go,
        Language::Ctypes => &bindings.ctypes,
    };
    if ui.button(format!("Copy {}", view.language.label())).clicked() {
        ui.ctx().copy_text(text.clone());
    }
    ui.add(egui::Label::new(RichText::new(text).monospace()).wrap_mode(egui::TextWrapMode::Extend));
}

/// Which bindings are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Rust,
    CGuards,
    Go,
    Ctypes,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::Rust, Language::CGuards, Language::Go, Language::Ctypes];

    pub fn label(self) -> &'static str {
        match self {
            Language::Rust => "Rust",
            Language::CGuards => "C guards",
            Language::Go => "Go",
            Language::Ctypes => "Python ctypes",
        }
    }
}

fn target_column_ui(
    ui: &mut Ui,
    result: &TargetReport,
    ty: &TypeReport,
    layout: &Layout,
    highlighted: Option<&str>,
) -> Option<String> {
    ui.label(RichText::new(result.target.triple()).strong());
    let (text, color) = badge(result, ty);
    ui.label(RichText::new(text).color(color).small());
    if let Some(caveat) = &result.caveat {
        ui.label(RichText::new(caveat).color(ANOMALY_COLOR).small());
    }
    ui.label(format!(
        "size {} · align {} · padding {} ({:.0}%)",
        layout.size,
        layout.align,
        format::bytes(layout.padding_bytes()),
        layout.wasted_share() * 100.0
    ));
    let mut hovered = layout_grid_ui(ui, layout, None, 8, highlighted);
    for field in &layout.fields {
        if field_line_ui(ui, layout, field).hovered() {
            hovered = Some(field.name.clone());
        }
    }
    if let Some(reason) = layout.tail_reason() {
        ui.small(reason);
    }
    for rule in &ty.rules {
        ui.small(RichText::new(rule).italics());
    }
    if let Some(verified) = &ty.verified {
        for m in &verified.mismatches {
            ui.label(
                RichText::new(format!("{}: model {}, compiler {}", m.what, m.model, m.compiler)).color(ANOMALY_COLOR),
            );
        }
    }
    if ui.button("Copy as text").clicked() {
        ui.ctx().copy_text(ty.listing());
    }
    hovered
}

fn field_line_ui(ui: &mut Ui, layout: &Layout, field: &Field) -> egui::Response {
    let text = match (field.bit_offset, field.bit_width) {
        (Some(bit), Some(width)) => format!("{}: bits {bit}..{}", field.name, bit + width),
        _ => format!("{}: offset {}, size {}", field.name, field.offset, field.size),
    };
    let reason = layout.hole_reason(field).map(|r| format!(" ({r})")).unwrap_or_default();
    ui.label(RichText::new(format!("{text}{reason}")).small()).on_hover_text(field_details(layout, field))
}
