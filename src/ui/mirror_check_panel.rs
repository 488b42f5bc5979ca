//! Struct Lab's Rust pane and what it finds: the mirror as typed, its errors
//! at their line and column, which C type each Rust type mirrors and how it
//! stands, and for the C type shown, C's grid beside Rust's on every target
//! with the bytes that disagree outlined and each difference in words.

use egui::{Color32, RichText, ScrollArea, Ui};

use super::ANOMALY_COLOR;
use super::layout_grid::{MARK_COLOR, marked_layout_grid_ui};
use crate::command::Command;
use crate::layout::lab::Target;
use crate::layout::lab::session::{LabCommand, LabSession};
use crate::layout::mirror_check::constants::ConstantPair;
use crate::layout::mirror_check::functions::FunctionPair;
use crate::layout::mirror_check::{MirrorPair, MirrorReport, PairOnTarget, Standing};

const MATCH_COLOR: Color32 = Color32::from_rgb(0x4c, 0xaf, 0x50);

/// Where a mirror is pasted, and its errors.
pub fn mirror_editor_ui(ui: &mut Ui, session: &LabSession, max_height: f32, commands: &mut Vec<Command>) {
    let label = ui
        .horizontal(|ui| {
            let label = ui.strong("Rust mirror");
            if ui
                .small_button("Load an example")
                .on_hover_text(
                    "Replaces both texts with a C struct and a Rust mirror of it that is right on one machine only",
                )
                .clicked()
            {
                commands.push(LabCommand::LoadMirrorExample.into());
            }
            let cfgs_label = ui.label("cfgs");
            let mut cfgs = session.cfgs_text().to_owned();
            let field = ui
                .add(egui::TextEdit::singleline(&mut cfgs).hint_text("ossl300 key=\"value\"").desired_width(160.0))
                .labelled_by(cfgs_label.id)
                .on_hover_text("Cfgs the crate's build script sets, taken as set in the mirror (rustc's --cfg)");
            if field.changed() {
                commands.push(LabCommand::SetCfgs(cfgs).into());
            }
            label
        })
        .inner;
    for error in session.cfg_errors() {
        ui.label(RichText::new(format!("cfg {error}")).color(ANOMALY_COLOR));
    }
    let mut text = session.mirror_text().to_owned();
    let rows = (text.lines().count() + 1).clamp(6, 16);
    let editor = egui::TextEdit::multiline(&mut text)
        .code_editor()
        .desired_rows(rows)
        .desired_width(f32::INFINITY)
        .hint_text("#[repr(C)] pub struct …\nPaste a Rust mirror of the C types to check it on every target.");
    let response = scrolled_editor(ui, "lab-rust-text", max_height, editor).labelled_by(label.id).on_hover_text(
        "Each #[repr(C)] struct or union pairs with the C type of its name (or of a `pub type` alias of it), or the one a `// mirrors: struct name` comment above it names",
    );
    if response.changed() {
        commands.push(LabCommand::EditMirror(text).into());
    }
    let Some(mirror) = session.mirror() else { return };
    for error in &mirror.mirror_errors {
        let rendered = error.render_in(&mirror.mirror, session.mirror_text());
        ui.label(RichText::new(rendered).monospace().color(ANOMALY_COLOR));
    }
}

/// One line per Rust type: the C type it mirrors and how it stands; a click
/// shows that C type. Then the mirror's handles and the types that mirror
/// nothing, beside the results rather than under a long Rust text.
pub fn mirror_summary_ui(ui: &mut Ui, session: &LabSession, commands: &mut Vec<Command>) {
    let Some(mirror) = session.mirror() else { return };
    if !mirror.pairs.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label("Mirrors:");
            for pair in &mirror.pairs {
                let (text, color) = standing_of(pair);
                let chosen = session.selected() == Some(pair.c.as_str());
                let label = RichText::new(format!("{} ({text})", pair.rust)).color(color);
                if ui.selectable_label(chosen, label).on_hover_text(format!("mirrors `{}`", pair.c)).clicked() {
                    commands.push(LabCommand::Select(pair.c.clone()).into());
                }
            }
        });
    }
    unpaired_ui(ui, mirror);
    constants_ui(ui, mirror);
    functions_ui(ui, mirror);
}

/// Functions the header does not declare listed by name at most.
const NAMES_LISTED: usize = 12;

/// Notes on the functions listed at most; the command line lists every one.
const NOTES_LISTED: usize = 24;

/// The binding's functions that C declares: each one that differs, both
/// signatures and how, and how many agree; folded when many differ.
fn functions_ui(ui: &mut Ui, mirror: &MirrorReport) {
    let functions = &mirror.functions;
    let total = functions.pairs.len();
    let missing = functions.not_in_header.len();
    if total + missing == 0 {
        return;
    }
    let differing: Vec<&FunctionPair> = functions.pairs.iter().filter(|f| f.differs()).collect();
    let noted = functions.pairs.iter().filter(|f| !f.notes_grouped(Target::short_name).is_empty()).count();
    let title = match differing.len() {
        0 => format!("{total} function{} C declares: every one agrees", plural(total)),
        n => format!("{total} function{} C declares: {n} differ{}", plural(total), if n == 1 { "s" } else { "" }),
    };
    let title = match noted {
        0 => title,
        n => format!("{title} ({n} with a note)"),
    };
    let color = if differing.is_empty() { MATCH_COLOR } else { ANOMALY_COLOR };
    egui::CollapsingHeader::new(RichText::new(title).color(color))
        .id_salt("lab-mirror-functions")
        .default_open(!differing.is_empty() && differing.len() <= 6)
        .show(ui, |ui| {
            for function in differing {
                ui.add(egui::Label::new(RichText::new(format!("C:    {}", function.c_prototype)).monospace()).wrap());
                ui.add(
                    egui::Label::new(RichText::new(format!("Rust: {}", function.rust_signature)).monospace()).wrap(),
                );
                for (on, why) in function.differences_grouped(Target::short_name) {
                    let said = RichText::new(format!("`{}` on {on}: {why}", function.rust)).color(ANOMALY_COLOR);
                    ui.add(egui::Label::new(said).wrap());
                }
            }
            // What agrees as the call passes it but deserves a look: `*const`
            // where C writes. A hand-written binding of an API without
            // `const` may have hundreds: the first are listed.
            let noted = functions.pairs.iter().flat_map(|function| {
                let notes = function.notes_grouped(Target::short_name);
                notes.into_iter().map(move |(on, note)| format!("`{}` on {on}: note: {note}", function.rust))
            });
            for (listed, said) in noted.enumerate() {
                if listed == NOTES_LISTED {
                    let more = "More notes: `ffiscope mirror` lists every one.";
                    ui.add(egui::Label::new(RichText::new(more).weak()).wrap());
                    break;
                }
                ui.add(egui::Label::new(RichText::new(said).weak()).wrap());
            }
            if missing > 0 {
                let names: Vec<String> =
                    functions.not_in_header.iter().take(NAMES_LISTED).map(|s| format!("`{s}`")).collect();
                let more = missing.saturating_sub(NAMES_LISTED);
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                let what = if missing == 1 { "such function" } else { "such functions" };
                let said = format!("The header declares no {what}: {}{more}", names.join(", "));
                ui.add(egui::Label::new(RichText::new(said).weak()).wrap());
            }
        });
}

/// The mirror's constants that C gives a value: each one that differs, in
/// words, and how many agree; folded when many differ.
fn constants_ui(ui: &mut Ui, mirror: &MirrorReport) {
    let total = mirror.constants.len();
    if total == 0 {
        return;
    }
    let differing: Vec<&ConstantPair> = mirror.constants.iter().filter(|c| c.differs()).collect();
    let title = match differing.len() {
        0 => format!("{total} constant{} C also defines: every one agrees", plural(total)),
        n => format!("{total} constant{} C also defines: {n} differ{}", plural(total), if n == 1 { "s" } else { "" }),
    };
    let verified = mirror.constants.iter().flat_map(|c| &c.targets).any(|t| t.c_verified_by.is_some());
    let color = if differing.is_empty() { MATCH_COLOR } else { ANOMALY_COLOR };
    egui::CollapsingHeader::new(RichText::new(title).color(color))
        .id_salt("lab-mirror-constants")
        .default_open(!differing.is_empty() && differing.len() <= 6)
        .show(ui, |ui| {
            // Wrapped, not cut: a projector's width holds fewer words.
            for constant in differing {
                for (on, why) in constant.differences_grouped(Target::short_name) {
                    let said = RichText::new(format!("`{}` on {on}: {why}", constant.rust)).color(ANOMALY_COLOR);
                    ui.add(egui::Label::new(said).wrap());
                }
            }
            if verified {
                ui.add(egui::Label::new(RichText::new("C's values verified by the compilers").small().weak()).wrap());
            }
        });
}

/// The mirror's handles and the types with no C type, folded when there
/// are more than a few (openssl-sys has 76 handles).
fn unpaired_ui(ui: &mut Ui, mirror: &MirrorReport) {
    let handles = mirror.handles.len();
    let unpaired = mirror.unpaired.len();
    if handles + unpaired == 0 {
        return;
    }
    let title = match (handles, unpaired) {
        (h, 0) => format!("{h} opaque handle{}", plural(h)),
        (0, u) => format!("{u} type{} with no C type", plural(u)),
        (h, u) => format!("{h} opaque handle{}, {u} type{} with no C type", plural(h), plural(u)),
    };
    egui::CollapsingHeader::new(title).id_salt("lab-mirror-unpaired").default_open(handles + unpaired <= 4).show(
        ui,
        |ui| {
            if let Some(said) = mirror.empty_enum_handles() {
                ui.label(RichText::new(said).color(ANOMALY_COLOR));
            }
            for handle in mirror.handles.iter().filter(|h| !h.empty_enum) {
                if handle.sized_on.is_empty() {
                    ui.weak(handle.say());
                } else {
                    ui.label(RichText::new(handle.say()).color(ANOMALY_COLOR));
                }
            }
            for name in &mirror.unpaired {
                ui.weak(format!("`{name}`: no C type of that name; pair it with a `// mirrors: struct name` comment"));
            }
        },
    );
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// "matches", "differs on i686, armv7".
fn standing_of(pair: &MirrorPair) -> (String, Color32) {
    let wrong: Vec<&str> = pair
        .targets
        .iter()
        .filter(|t| matches!(t.standing, Standing::Differs | Standing::NoMirror | Standing::Unreadable))
        .map(|t| t.target.short_name())
        .collect();
    let opaque = pair.targets.iter().all(|t| matches!(t.standing, Standing::Opaque | Standing::NoCType));
    if wrong.is_empty() && opaque && pair.targets.iter().any(|t| t.standing == Standing::Opaque) {
        ("opaque".to_owned(), Color32::GRAY)
    } else if wrong.is_empty() {
        ("matches".to_owned(), MATCH_COLOR)
    } else {
        (format!("differs on {}", wrong.join(", ")), ANOMALY_COLOR)
    }
}

/// Below this width per target, C's and Rust's grids stack.
const MIN_PAIR_WIDTH: f32 = 420.0;

/// The mirror of the C type `c_name`, if there is one: each target's
/// difference in words and the two grids. Returns whether there was one.
pub fn mirror_detail_ui(ui: &mut Ui, session: &LabSession, c_name: &str) -> bool {
    let Some(pair) = session.mirror().and_then(|m| m.pair_for(c_name)) else { return false };
    let (text, color) = standing_of(pair);
    ui.label(RichText::new(format!("Rust mirror `{}`: {text}", pair.rust)).strong().color(color));
    for on in &pair.targets {
        ui.push_id(("mirror", on.target.triple()), |ui| target_pair_ui(ui, pair, on));
    }
    true
}

fn target_pair_ui(ui: &mut Ui, pair: &MirrorPair, on: &PairOnTarget) {
    let triple = on.target.triple();
    let checks = on.checks();
    let heading = match on.standing {
        Standing::Matches => RichText::new(format!("{triple}: matches")).color(MATCH_COLOR),
        Standing::Differs => RichText::new(format!(
            "{triple}: {} difference{}",
            on.differences.len(),
            if on.differences.len() == 1 { "" } else { "s" }
        ))
        .color(ANOMALY_COLOR),
        Standing::NoMirror | Standing::Unreadable => {
            RichText::new(format!("{triple}: {}", on.why.as_deref().unwrap_or("no mirror"))).color(ANOMALY_COLOR)
        }
        Standing::NoCType | Standing::Opaque => {
            RichText::new(format!("{triple}: {}", on.why.as_deref().unwrap_or("not compared"))).weak()
        }
    };
    ui.label(heading.strong());
    if !checks.is_empty() {
        ui.small(checks.join("; "));
    }
    for difference in &on.differences {
        ui.label(RichText::new(&difference.message).color(ANOMALY_COLOR));
    }
    for note in &on.notes {
        ui.small(note);
    }
    let (Some(c), Some(rust)) = (&on.c, &on.rust) else { return };
    if on.standing != Standing::Differs {
        return; // a matching pair's grids are the C column's above
    }
    let c_marks: Vec<(u64, u64)> = on.differences.iter().filter_map(|d| d.c_bytes).collect();
    let rust_marks: Vec<(u64, u64)> = on.differences.iter().filter_map(|d| d.rust_bytes).collect();
    let side = |ui: &mut Ui, title: String, layout, marks: &[(u64, u64)]| {
        ui.label(RichText::new(title).small());
        marked_layout_grid_ui(ui, layout, 8, marks);
    };
    let c_title = format!("C `{}`: {} bytes, aligned to {}", pair.c, c.size, c.align);
    let rust_title = format!("Rust `{}`: {} bytes, aligned to {}", pair.rust, rust.size, rust.align);
    if ui.available_width() >= MIN_PAIR_WIDTH {
        ui.columns(2, |columns| {
            side(&mut columns[0], c_title, c, &c_marks);
            side(&mut columns[1], rust_title, rust, &rust_marks);
        });
    } else {
        side(ui, c_title, c, &c_marks);
        side(ui, rust_title, rust, &rust_marks);
    }
    ui.label(RichText::new("outlined: the bytes that disagree").small().color(MARK_COLOR));
    ui.add_space(6.0);
}

/// The left panel: the C text, its errors, and the Rust pane, scrolled together.
pub fn editors_ui(ui: &mut Ui, c_editor: impl FnOnce(&mut Ui, f32), mirror_editor: impl FnOnce(&mut Ui, f32)) {
    // Each text scrolls within its own share of the column, so that a real
    // header (zlib.h is 1,900 lines) keeps the Rust pane, and the errors
    // under each text, in sight.
    let height = ui.available_height();
    let c_share = (height * 0.5).max(MIN_EDITOR_HEIGHT);
    let rust_share = (height * 0.3).max(MIN_EDITOR_HEIGHT);
    ScrollArea::vertical().id_salt("lab-editors").show(ui, |ui| {
        c_editor(ui, c_share);
        ui.separator();
        mirror_editor(ui, rust_share);
    });
}

/// The least height an editor is given, in a short window.
const MIN_EDITOR_HEIGHT: f32 = 120.0;

/// `editor`, scrolling within `max_height`.
pub fn scrolled_editor(ui: &mut Ui, id: &str, max_height: f32, editor: egui::TextEdit<'_>) -> egui::Response {
    ScrollArea::vertical().id_salt(id).max_height(max_height).show(ui, |ui| ui.add(editor)).inner
}
