//! Harnesses that tests and benches share (`#[path]`-included by benches).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;

/// The whole app at 1280×900 on the Scenarios tab, `leak-hunt/leaky`
/// stepped to its verdict as a learner would: one click of Step at a time.
pub fn finished_leak_hunt() -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(egui::vec2(1280.0, 900.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Scenarios").click();
    harness.run();
    harness.get_by_label("Hunting a leak in a request loop").click();
    harness.run();
    harness.get_by_label("leaky").click();
    harness.run();
    while !harness.state().scenarios().run().is_over() {
        harness.get_by_label("Step").click();
        harness.run();
    }
    harness.get_by_label_contains("Verdict");
    harness
}
