//! The screens the app is used on, 1024×640 to 1920×1080, in normal and
//! presentation mode, with the lesson plan open and closed: a finished run's
//! step, its highlighted code in both languages, the plot and the verdict
//! all lie inside the window and none covers another. The top bar's
//! controls never overlap, at any of the sizes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{Rect, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;
use ffiscope::ui::allocation_plot::plot_id;

mod support;

const SCREENS: [(f32, f32); 3] = [(1024.0, 640.0), (1280.0, 800.0), (1920.0, 1080.0)];

/// What must be on screen at the end of `null-and-bounds/correct`: the last
/// step frees the buffer, lighting Rust's `Drop` and C's `free_buffer`.
const STEP: &str = "Step 4 of 4: Free the buffer";
const EXPLANATION: &str = "C's buffer goes back to C's free.";
const RUST_LIT: &str = "impl Drop for CBuffer";
const C_LIT: &str = "free(buffer);";
const VERDICT: &str = "Clean: every block went back";

fn finished_run_at(size: (f32, f32), presenting: bool, plan_open: bool) -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(vec2(size.0, size.1)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Scenarios").click();
    harness.run();
    harness.get_by_label("NULL checks and bounded copies").click();
    harness.run();
    for _ in 0..4 {
        harness.key_press(egui::Key::Space);
        harness.run();
    }
    if plan_open {
        harness.get_by_label("Lesson plan").click();
        harness.run();
    }
    if presenting {
        harness.key_press(egui::Key::F5);
    }
    // Zoom and the scroll to the lit code settle over a few frames.
    harness.run_steps(4);
    harness
}

fn window(harness: &Harness<'static, FfiscopeApp>) -> Rect {
    harness.ctx.content_rect()
}

fn rect_of(harness: &Harness<'static, FfiscopeApp>, label: &str) -> Rect {
    harness.get_by_label_contains(label).rect()
}

/// The rects that must be seen, by name.
fn must_be_seen(harness: &Harness<'static, FfiscopeApp>) -> Vec<(&'static str, Rect)> {
    let memory = egui_plot::PlotMemory::load(&harness.ctx, plot_id("scenario", "Live blocks")).expect("a plot");
    vec![
        ("step", rect_of(harness, STEP)),
        ("explanation", rect_of(harness, EXPLANATION)),
        ("Rust's lit code", rect_of(harness, RUST_LIT)),
        ("C's lit code", rect_of(harness, C_LIT)),
        ("plot", *memory.transform().frame()),
        ("verdict", rect_of(harness, VERDICT)),
    ]
}

/// Every rect inside the window, and no two overlapping (a hair of
/// touching allowed).
fn assert_laid_out(what: &str, window: Rect, rects: &[(&str, Rect)]) {
    for (name, rect) in rects {
        assert!(window.expand(0.5).contains_rect(*rect), "{what}: {name} at {rect:?} is outside the window {window:?}");
    }
    for (index, (a, first)) in rects.iter().enumerate() {
        for (b, second) in &rects[index + 1..] {
            let shared = first.intersect(*second);
            assert!(!shared.is_positive() || shared.area() < 1.0, "{what}: {a} {first:?} and {b} {second:?} overlap");
        }
    }
}

#[test]
fn a_finished_run_fits_every_screen_in_both_modes() {
    for size in SCREENS {
        for presenting in [false, true] {
            for plan_open in [false, true] {
                let harness = finished_run_at(size, presenting, plan_open);
                let what = format!("{}×{}, presenting {presenting}, plan open {plan_open}", size.0, size.1);
                assert_laid_out(&what, window(&harness), &must_be_seen(&harness));
            }
        }
    }
}

/// The top bar's controls, by label: the tabs and modes always, and out of
/// presentation either the Settings menu or, on one line, the folder's
/// button, the theme and the zoom.
fn top_bar_controls(harness: &Harness<'static, FfiscopeApp>, presenting: bool) -> Vec<(&'static str, Rect)> {
    let mut controls =
        vec!["Tracker", "Scenarios", "Layouts", "Struct Lab", "Quiz", "Record", "Present", "Lesson plan", "?"];
    let one_line = !presenting && harness.query_by_label("Settings").is_none();
    match (presenting, one_line) {
        (true, _) => {}
        (false, true) => controls.extend(["Choose…", "Light theme"]),
        (false, false) => controls.push("Settings"),
    }
    let mut rects: Vec<(&str, Rect)> =
        controls.iter().map(|label| (*label, harness.get_by_label(label).rect())).collect();
    if one_line {
        rects.push(("the zoom", harness.get_by_label_contains("(Ctrl +/-)").rect()));
    }
    rects
}

#[test]
fn the_top_bar_never_overlaps_itself() {
    for size in SCREENS {
        for presenting in [false, true] {
            let harness = finished_run_at(size, presenting, false);
            assert_laid_out(
                &format!("top bar at {}×{}, presenting {presenting}", size.0, size.1),
                window(&harness),
                &top_bar_controls(&harness, presenting),
            );
        }
    }
}

/// Every window width from the narrowest screen to beyond the one that
/// fits the whole bar on one line, the window the app opens at (1200×760)
/// among them: the bar is on one line or wraps, and no control covers
/// another (the zoom's label lay under the folder's button from 1170 to
/// 1260 points wide).
#[test]
fn the_top_bar_fits_every_window_width() {
    let mut one_line_from = None;
    for width in (1000..=1400).step_by(10) {
        let mut harness =
            Harness::builder().with_size(vec2(width as f32, 760.0)).build_eframe(|cc| FfiscopeApp::new(cc));
        harness.run();
        let what = format!("top bar {width} points wide");
        assert_laid_out(&what, window(&harness), &top_bar_controls(&harness, false));
        if harness.query_by_label("Settings").is_none() {
            one_line_from.get_or_insert(width);
        }
    }
    assert!(one_line_from.is_some_and(|width| width <= 1280), "one line from {one_line_from:?}: a 1280 screen");
}

/// A crash shown to the room: the box that says how the child died, the
/// lines it died on, the plot and the verdict, all on screen at once.
#[test]
fn a_crash_fits_the_projector() {
    for size in SCREENS {
        let program = PathBuf::from(env!("CARGO_BIN_EXE_ffiscope"));
        let mut harness = Harness::builder()
            .with_size(vec2(size.0, size.1))
            .build_eframe(move |cc| FfiscopeApp::new(cc).with_child_program(program.clone()));
        harness.run();
        harness.get_by_label("Scenarios").click();
        harness.run();
        harness.get_by_label("NULL checks and bounded copies").click();
        harness.run();
        harness.get_by_label("null-unchecked").click();
        harness.run();
        harness.key_press(egui::Key::F5);
        harness.run();
        harness.get_by_label("Run to end").click();
        let deadline = Instant::now() + Duration::from_secs(20);
        while harness.query_by_label_contains("The process was killed by SIGSEGV").is_none() {
            assert!(Instant::now() < deadline, "the crash never showed");
            harness.run_steps(1);
            std::thread::sleep(Duration::from_millis(20));
        }
        harness.run_steps(4);
        let memory = egui_plot::PlotMemory::load(&harness.ctx, plot_id("scenario", "Live blocks")).expect("a plot");
        let rects = [
            ("crash box", rect_of(&harness, "The child process died with SIGSEGV in step 3")),
            ("Rust's crashing code", rect_of(&harness, "// SAFETY: claimed, wrongly")),
            ("C's crashing code", rect_of(&harness, "NULL when there is no such user")),
            ("plot", *memory.transform().frame()),
            ("verdict", rect_of(&harness, "The process was killed by SIGSEGV")),
        ];
        assert_laid_out(&format!("a crash at {}×{}, presenting", size.0, size.1), window(&harness), &rects);
    }
}

/// Presenting the Layouts tab: the exhibit is changed from a menu, and its
/// columns stack rather than squeeze, so none runs past the window's right
/// edge or over another.
#[test]
fn layouts_stack_their_columns_to_fit_the_projector() {
    for size in SCREENS {
        let mut harness = Harness::builder().with_size(vec2(size.0, size.1)).build_eframe(|cc| FfiscopeApp::new(cc));
        harness.run();
        harness.get_by_label("Layouts").click();
        harness.run();
        harness.key_press(egui::Key::F5);
        harness.run_steps(3);
        harness.get_by_label("Other exhibits…").click();
        harness.run();
        harness.get_by_label("PackedData").click();
        harness.run_steps(3);
        let titles = ["C natural", "C packed", "Rust repr(C)", "Rust repr(C, packed)", "Rust repr(Rust)"];
        let rects: Vec<(&str, Rect)> =
            titles.iter().map(|title| (*title, harness.get_by_label(title).rect())).collect();
        let window = window(&harness);
        for (title, rect) in &rects {
            assert!(rect.right() <= window.right() + 0.5, "{}×{}: {title} runs past the window", size.0, size.1);
        }
        let beside = |a: &Rect, b: &Rect| a.y_range().intersects(b.y_range());
        for (index, (a, first)) in rects.iter().enumerate() {
            for (b, second) in &rects[index + 1..] {
                if beside(first, second) {
                    // Side by side, each column has room for its grid of 8 bytes a row.
                    assert!(
                        (second.left() - first.left()).abs() >= 200.0,
                        "{}×{}: {a} and {b} squeezed",
                        size.0,
                        size.1
                    );
                }
            }
        }
    }
}

/// The outstanding blocks of a leak on the projector: the site that
/// allocated them and who should release them stay whole or shortened, never
/// cut by the window's edge, however many columns make way for them.
#[test]
fn the_outstanding_blocks_fit_the_projector() {
    for size in SCREENS {
        let mut harness = support::finished_leak_hunt_at(vec2(size.0, size.1));
        harness.key_press(egui::Key::F5);
        harness.run_steps(4);
        let window = window(&harness);
        let what = format!("{}×{}, presenting", size.0, size.1);
        for header in ["Size", "Heap", "Allocated by", "Release with"] {
            let rect = harness.get_by_label(header).rect();
            assert!(rect.right() <= window.right() + 0.5, "{what}: the {header} column runs past the window");
        }
        let sites = harness.get_all_by_label_contains("read_body").map(|node| node.rect()).collect::<Vec<_>>();
        let releasers =
            harness.get_all_by_label_contains("`free` on every").map(|node| node.rect()).collect::<Vec<_>>();
        assert!(!sites.is_empty() && !releasers.is_empty(), "{what}: the leaked blocks are listed");
        for rect in sites.iter().chain(&releasers) {
            assert!(rect.right() <= window.right() + 0.5, "{what}: a cell at {rect:?} runs past the window {window:?}");
        }
    }
}
