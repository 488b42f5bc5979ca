//! Workshop comforts, driven headless: presentation mode by shortcut and by
//! button, the shortcut cheat sheet, tab switching by digit keys, and keys
//! that stay out of the way while a text field has the focus.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::{FfiscopeApp, Tab};

fn harness() -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness
}

#[test]
fn presentation_mode_toggles_by_shortcut_and_by_button() {
    let mut harness = harness();
    assert!(!harness.state().is_presenting());
    harness.key_press(egui::Key::F5);
    harness.run();
    assert!(harness.state().is_presenting());
    assert!(harness.ctx.zoom_factor() >= 1.5, "zoomed for the back of the room");
    // The list of lessons is a secondary panel: hidden while presenting.
    harness.get_by_label("Scenarios").click();
    harness.run();
    assert!(harness.query_by_label("A C array as a Rust slice").is_none());
    harness.get_by_label("Present").click();
    harness.run();
    assert!(!harness.state().is_presenting());
    assert!((harness.ctx.zoom_factor() - 1.0).abs() < 1e-3, "the user's zoom comes back");
    harness.get_by_label("A C array as a Rust slice");
}

#[test]
fn question_mark_opens_the_cheat_sheet() {
    let mut harness = harness();
    harness.event(egui::Event::Text("?".into()));
    harness.run();
    assert!(harness.state().is_cheat_sheet_open());
    harness.get_by_label("Keyboard shortcuts");
    harness.get_by_label("presentation mode on or off");
}

#[test]
fn digits_switch_tabs_but_not_while_typing() {
    let mut harness = harness();
    harness.key_press(egui::Key::Num3);
    harness.run();
    assert_eq!(harness.state().settings().tab, Tab::Layouts);
    harness.key_press(egui::Key::Num4);
    harness.run();
    assert_eq!(harness.state().settings().tab, Tab::StructLab);
    harness
        .get(egui_kittest::kittest::by().role(egui::accesskit::Role::MultilineTextInput).label("C declarations"))
        .focus();
    harness.run();
    harness.key_press(egui::Key::Num1);
    harness.run();
    assert_eq!(harness.state().settings().tab, Tab::StructLab, "a digit typed into the editor stays there");
}

#[test]
fn the_lesson_plan_advances_and_opens_the_right_scenario() {
    let mut harness = harness();
    harness.get_by_label("Lesson plan").click();
    harness.run();
    harness.get_by_label("Stop 1 of 17 · 0 of 90 minutes");
    harness.get_by_label("Next stop").click();
    harness.run();
    assert_eq!(harness.state().settings().tab, Tab::Scenarios);
    assert_eq!(harness.state().scenarios().scenario().id(), "cstring-into-raw");
    harness.get_by_label("Stop 2 of 17 · 6 of 90 minutes");
    // The alignment stop opens the layout exhibit, not a scenario.
    harness.get_by_label("6. Padding and packing (6 min)").click();
    harness.run();
    assert_eq!(harness.state().settings().tab, Tab::Layouts);
    harness.get_by_label_contains("16 bytes naturally (offsets 0, 4, 8); 13 bytes packed");
    assert_eq!(harness.state().settings().plan_stop, 5);
}

#[test]
fn the_closing_scenario_stop_opens_the_variant_its_notes_start_from() {
    let program = std::path::PathBuf::from(env!("CARGO_BIN_EXE_ffiscope"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_eframe(move |cc| FfiscopeApp::new(cc).with_child_program(program.clone()));
    harness.run();
    harness.get_by_label("Lesson plan").click();
    harness.run();
    harness.get_by_label("15. The service that survives its C library (6 min)").click();
    harness.run();
    let scenarios = harness.state().scenarios();
    assert_eq!((scenarios.scenario().id(), scenarios.variant()), ("service-survives", "in-process"));
    harness.get_by_label_contains("Run in-process: the C parser's SIGSEGV at request 5");
}

#[test]
fn presentation_mode_keeps_the_instructors_notes_off_the_projector() {
    let mut harness = harness();
    harness.get_by_label("Lesson plan").click();
    harness.run();
    let notes = ffiscope::teaching::plan::PLAN[0].notes;
    harness.get_by_label(notes);
    harness.key_press(egui::Key::F5);
    harness.run();
    assert!(harness.state().is_presenting());
    assert!(harness.query_by_label(notes).is_none(), "the room never reads the answers");
    harness.get_by_label("Stop 1 of 17 · 0 of 90 minutes");
}

#[test]
fn the_stepping_keys_only_step_on_the_scenarios_tab() {
    let mut harness = harness();
    harness.key_press(egui::Key::Num2);
    harness.run();
    harness.key_press(egui::Key::Space);
    harness.run();
    assert_eq!(harness.state().scenarios().run().steps_run(), 1, "Space steps on the Scenarios tab");
    // Elsewhere the keys leave the run alone: Esc, which leaves a text field,
    // does not reset it, and Space does not step it unseen.
    harness.key_press(egui::Key::Num4);
    harness.run();
    for key in [egui::Key::Escape, egui::Key::Space, egui::Key::B] {
        harness.key_press(key);
        harness.run();
    }
    assert_eq!(harness.state().scenarios().run().steps_run(), 1, "the run is where the learner left it");
}
