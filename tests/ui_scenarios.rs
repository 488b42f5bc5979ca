//! Drives the Scenarios tab headless: choose a lesson, step through it, go
//! back, run a broken variant to its verdict, and survive a crashing one.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;
use ffiscope::track::AnomalyKind;

fn harness() -> Harness<'static, FfiscopeApp> {
    let program = PathBuf::from(env!("CARGO_BIN_EXE_ffiscope"));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_eframe(move |cc| FfiscopeApp::new(cc).with_child_program(program.clone()));
    harness.run();
    harness.get_by_label("Scenarios").click();
    harness.run();
    harness
}

/// Lets frames pass in real time until `label` appears (auto-run and child
/// processes move on their own clock).
fn wait_for(harness: &mut Harness<'static, FfiscopeApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.query_by_label_contains(label).is_none() {
        assert!(Instant::now() < deadline, "never saw {label:?}");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn stepping_shows_the_step_and_the_live_counts() {
    let mut harness = harness();
    harness.get_by_label("A C array as a Rust slice").click();
    harness.run();
    harness.get_by_label_contains("Next: step 1 of 5: C creates an array");

    harness.get_by_label("Step").click();
    harness.run();
    harness.get_by_label_contains("Step 1 of 5: C creates an array");
    harness.get_by_label_contains("What changed: +1 C block, 32 B, from `create_array`");
    harness.get_by_label_contains("C heap: 1 live block, 32 B");

    harness.key_press(egui::Key::Space);
    harness.run();
    harness.get_by_label_contains("Step 2 of 5: View it as a slice and copy it");
    harness.get_by_label_contains("Rust heap: 1 live block, 32 B");
    assert_eq!(harness.state().scenarios().run().steps_run(), 2);

    harness.get_by_label("Back").click();
    harness.run();
    harness.get_by_label_contains("Step 1 of 5: C creates an array");
    harness.get_by_label_contains("Rust heap: 0 live blocks");
}

#[test]
fn a_broken_variant_runs_to_its_verdict() {
    let mut harness = harness();
    harness.get_by_label("A C array as a Rust slice").click();
    harness.run();
    harness.get_by_label("never-freed").click();
    harness.run();
    harness.get_by_label("Run to end").click();
    wait_for(&mut harness, "Verdict");
    harness.get_by_label_contains("Leaked 1 block, 32 B, on the C heap, allocated by `create_array` in step 1");
    harness.get_by_label_contains("must release it with `free_array`");
    harness.get_by_label_contains("Outstanding blocks (1)");
}

#[test]
fn a_correct_variant_ends_with_a_clean_verdict() {
    let mut harness = harness();
    for _ in 0..4 {
        harness.get_by_label("Step").click();
        harness.run();
    }
    wait_for(&mut harness, "Clean: every block went back to the allocator that made it");
    harness.get_by_label_contains("C heap: 0 live blocks");
}

#[test]
fn a_crashing_variant_dies_in_a_child_and_the_app_lives_on() {
    let mut harness = harness();
    harness.get_by_label("NULL checks and bounded copies").click();
    harness.run();
    harness.get_by_label("null-unchecked").click();
    harness.run();
    harness.get_by_label_contains("runs isolated in a child process");
    harness.get_by_label("Run to end").click();
    wait_for(&mut harness, "The child process died with SIGSEGV in step 3");
    // The step that died is the one on show, and the line it died on is named.
    harness.get_by_label_contains("Step 3 of 4: Look up a user that does not exist");
    harness.get_by_label_contains("It died at Rust: let length = unsafe { name_length(name) };");
    harness.get_by_label_contains("→  C: size_t name_length(const char *name) { return strlen(name); }");
    harness.get_by_label_contains("What changed: the process died before the step finished.");
    // The plot marks the crash where the stream stopped.
    let crash = harness.state().scenarios().run().model().anomalies().iter().find(|a| a.kind == AnomalyKind::Crash);
    assert!(crash.and_then(|a| a.seq).is_some(), "the crash has a place on the plot");
    // The child's events before the crash made it to the plot.
    harness.get_by_label_contains("C heap: 1 live block, 16 B");
    // Back starts a fresh child and replays in it; the window does not wait:
    // nothing has been answered when the frame that took the click ends.
    harness.get_by_label("Back").click();
    harness.step();
    assert!(harness.state().scenarios().run().busy(), "the replay is answered by later frames");
    wait_for(&mut harness, "Step 1 of 4: C allocates a 16-byte buffer");
    // And the app still works: a fresh run of the same lesson.
    harness.get_by_label("Correct").click();
    harness.run();
    harness.get_by_label("Step").click();
    harness.run();
    harness.get_by_label_contains("Step 1 of 4: C allocates a 16-byte buffer");
}

#[test]
fn a_run_exports_its_timeline_and_report() {
    let mut harness = harness();
    let folder = std::env::temp_dir().join(format!("ffiscope-export-{}", std::process::id()));
    harness.state_mut().set_export_dir(&folder);
    for _ in 0..2 {
        harness.get_by_label("Step").click();
        harness.run();
    }
    harness.get_by_label("Export run").click();
    harness.run();
    let status = harness.state().status().unwrap_or_default().to_owned();
    assert!(status.starts_with("Wrote c-string-ownership-correct.csv"), "{status}");
    let csv = std::fs::read_to_string(folder.join("c-string-ownership-correct.csv")).expect("the CSV");
    assert_eq!(csv.lines().count(), 1 + harness.state().scenarios().run().events().len());
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("c-string-ownership-correct.trace.json")).unwrap())
            .unwrap();
    assert!(trace["traceEvents"].is_array());
    assert!(
        std::fs::read_to_string(folder.join("c-string-ownership-correct.md"))
            .unwrap()
            .starts_with("# c-string-ownership")
    );
    // The whole message stands in the status bar until dismissed.
    harness.get_by_label(&status);
    harness.get_by_label("Dismiss").click();
    harness.run();
    assert!(harness.state().status().is_none());
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn running_every_variant_shows_progress_then_every_outcome() {
    let mut harness = harness();
    harness.get_by_label("Run every variant").click();
    harness.run_steps(2);
    let total = harness.state().scenarios().batch().expect("a batch started").progress().1;
    assert!(total >= 30, "{total} runs");
    let deadline = Instant::now() + Duration::from_mins(2);
    let mut frames_while_running = 0;
    // The last frame drew the batch as `is_done` still reports it: nothing
    // polls the worker between a frame and these checks.
    while !harness.state().scenarios().batch().unwrap().is_done() {
        // While it runs, the button gives way to the progress and a way to stop.
        assert!(harness.query_by_label("Run every variant").is_none(), "the button is back while the batch runs");
        harness.get_by_label("Stop running all");
        frames_while_running += 1;
        assert!(Instant::now() < deadline, "the batch never finished");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(frames_while_running > 0, "the batch was seen running");
    harness.get_by_label("Run every variant");
    harness.run_steps(2);
    let batch = harness.state().scenarios().batch().unwrap();
    assert_eq!(batch.progress(), (total, total));
    assert!(batch.results().iter().all(|r| r.report.is_ok()), "every run ran");
    harness.get_by_label(&format!("Every variant: {total} of {total} runs"));
    // The crashing variants ran in a child and say how they ended.
    let segfaults = harness.query_all_by_label_contains("crashed (SIGSEGV)").count();
    assert_eq!(segfaults, 2, "the NULL strlen and the in-process parser each crashed their child");
    harness.query_by_label_contains("double free").expect("a caught double free is listed");
}

#[test]
fn a_service_survives_its_workers_crash_and_says_what_it_cost() {
    let mut harness = harness();
    harness.get_by_label("The service that survives its C library").click();
    harness.run();
    harness.get_by_label("isolated-worker").click();
    harness.run();
    harness.get_by_label("Run to end").click();
    wait_for(&mut harness, "Verdict");
    harness.get_by_label("10 requests planned: 9 served, 1 from a fallback, 0 with an error, 0 lost");
    harness.get_by_label_contains("was killed by SIGSEGV on request 5");
    harness.get_by_label_contains("C heap: 0 live blocks");
}

#[test]
fn type_mapping_shows_its_table_with_a_row_per_type_and_a_column_per_target() {
    let mut harness = harness();
    harness.get_by_label("The C, Rust and Go type table").click();
    harness.run();
    harness.get_by_label("Run to end").click();
    wait_for(&mut harness, "Verdict");
    for target in ffiscope::layout::lab::Target::ALL {
        harness.get_by_label(target.triple());
    }
    for rust in ["c_char", "c_ulong", "c_ulonglong", "u16", "usize"] {
        assert!(harness.query_all_by_label(rust).count() >= 1, "a row for {rust}");
    }
    // char's sign is the targets' to choose: unsigned on aarch64 and armv7.
    assert_eq!(harness.query_all_by_label("1/1 unsigned").count(), 2);
    harness.get_by_label_contains("change size, alignment or sign: char, long");
}

/// The PNG's width and height, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("four bytes"));
    (word(16), word(20))
}

#[test]
fn a_step_exports_as_a_slide() {
    let mut harness = harness();
    let exports = std::env::temp_dir().join(format!("ffiscope-slide-{}", std::process::id()));
    harness.state_mut().set_export_dir(&exports);
    // The first lesson opens first.
    assert_eq!(harness.state().scenarios().scenario().id(), "c-string-ownership");
    harness.get_by_label("leak").click();
    harness.run();
    for _ in 0..2 {
        harness.get_by_label("Step").click();
        harness.run();
    }
    harness.get_by_label("Export slide").click();
    harness.run();
    let svg = std::fs::read_to_string(exports.join("c-string-ownership-leak-step2.svg")).expect("the slide's SVG");
    let document = roxmltree::Document::parse(&svg).expect("the SVG parses");
    let texts: Vec<&str> = document.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"Step 2 of 4: Rust copies the text"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("CStr::from_ptr")), "the lit Rust is on the slide: {texts:?}");
    let lines = document.descendants().filter(|n| n.has_tag_name("polyline")).count();
    assert_eq!(lines, 2, "a line per heap");
    let png = std::fs::read(exports.join("c-string-ownership-leak-step2.png")).expect("the slide's PNG");
    assert_eq!(png_size(&png), (1280, 720));
    let _ = std::fs::remove_dir_all(&exports);
}
