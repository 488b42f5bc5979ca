//! Drives the Record tab headless: a program this test compiles is recorded
//! for real, and the plot, the anomaly and the program's output appear.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _, by};
use ffiscope::app::FfiscopeApp;
use ffiscope::ffi::Domain;
use ffiscope::record::session::RecordState;
use ffiscope::track::AnomalyKind;
use ffiscope::ui::allocation_plot::plot_id;

mod support;

/// A C program with a double free and a block it keeps to the end in a
/// global, compiled as `name` (each test its own).
fn program(name: &str) -> PathBuf {
    compiled_c(
        name,
        "#include <stdio.h>\n#include <stdlib.h>\n\
         static char *kept;\n\
         int main(int argc, char **argv) {\n\
           kept = malloc(64);\n\
           for (int i = 0; i < 1000; i++) { volatile char *p = malloc(32 + i); p[0] = 1; free((void *)p); }\n\
           char *once = malloc(48);\n  free(once);\n  free(once);\n\
           printf(\"done with %s\\n\", argc > 1 ? argv[1] : \"nothing\");\n  return 0;\n}\n",
    )
}

/// `text` compiled as the C program `name`, in the tests' scratch folder.
fn compiled_c(name: &str, text: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui_record");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let source = dir.join(format!("{name}.c"));
    std::fs::write(&source, text).expect("written");
    let program = dir.join(name);
    assert!(Command::new("cc").arg("-g").arg("-o").arg(&program).arg(&source).status().expect("cc runs").success());
    program
}

#[test]
fn a_recording_in_the_app_shows_its_plot_anomaly_and_output() {
    let program = program("live");
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    type_into(&mut harness, "Arguments", "'two words'");
    record_to_the_end(&mut harness);
    harness.get_by_label_contains("Ended: exited with 0");
    let kinds: Vec<AnomalyKind> = harness.state().record().model().anomalies().iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AnomalyKind::DoubleFree]);
    harness.get_by_label_contains("freed C-heap block");
    harness.get_by_label_contains("done with two words");
    // What it kept is told apart from a leak, as the command line's report does.
    harness.get_by_label_contains("still reachable at exit (from globals");
    // What held the heap at its peak, as `--top` lists it: stdout's buffer
    // (4,096 B, once `printf` made it) beside the block kept (64 B); not the
    // loop's, each of which was gone before the next.
    harness.get_by_label("At the peak");
    harness.get_by_label_contains("4,160 B in 2 blocks, ");
    let c_heap = *harness.state().record().model().heap(Domain::C).stats();
    assert!(c_heap.allocations >= 1001, "{c_heap:?}");
    // The loop's blocks, each freed before the next was made, are
    // temporary, in their own column of the sites table.
    harness.get_by_label("Temporary");
    let looped = harness.state().record().model().site_rows().iter().find(|row| row.site.contains("live.c:6")).copied();
    assert_eq!(looped.map(|row| (row.stats.allocations, row.stats.temporary)), Some((1000, 1000)), "{looped:?}");
    // The plot is on screen, and its series is the model's.
    let series = harness.state().record().model().heap(Domain::C).series().len();
    assert!(series > 2000, "{series} points");
    let plot = egui_plot::PlotMemory::load(&harness.ctx, plot_id("record", "Live blocks")).expect("the plot was drawn");
    let events = harness.state().record().model().events_applied() as f64;
    assert!(plot.bounds().max()[0] >= events * 0.9, "the plot spans the run: {:?} for {events} events", plot.bounds());
}

/// With Follow children, each program a script starts is recorded on its
/// own, and the tab shows the one picked under Process: its anomalies and
/// heaps, not the script's.
#[test]
fn a_program_a_script_starts_is_followed_and_shown_when_picked() {
    let program = program("followed");
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", "sh");
    let folder = program.parent().expect("its folder").display().to_string();
    let script = format!("-c 'cd {folder} && ./followed one && /bin/true && ./followed two'");
    type_into(&mut harness, "Arguments", &script);
    harness.get_by_label("Follow children").click();
    harness.run();
    type_into(&mut harness, "Skip", "true");
    record_to_the_end(&mut harness);
    harness.get_by_label_contains("Ended: exited with 0");
    assert!(harness.state().record().model().anomalies().is_empty(), "the script's own model");
    assert_eq!(harness.state().record().followed().len(), 2);
    harness.get_by_label_contains("2 it started, each recorded on its own");
    harness.get_by_label_contains("1 skipped by `--follow-skip`");
    harness.get_by_label("Process").click();
    harness.run();
    harness.get_by_label_contains("· completed · 1 finding · `./followed two`").click();
    harness.run();
    assert_eq!(harness.state().record().shown, 2);
    let shown = harness.state().record().shown_model();
    let kinds: Vec<AnomalyKind> = shown.lock().unwrap().anomalies().iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AnomalyKind::DoubleFree]);
    assert!(shown.lock().unwrap().heap(Domain::C).stats().allocations >= 1001);
    harness.get_by_label_contains("freed C-heap block");
    harness.get_by_label_contains("still reachable at exit (from globals");
    // Its flame graph is its own: the block it kept to the end held its peak.
    harness.get_by_label("Flame graph").click();
    harness.run();
    assert_eq!(harness.query_all_by_label("main (followed.c:5)").count(), 1);
}

/// A forked copy that runs on without an exec (a pool's worker) is listed
/// under Process as a fork of the program, with its own findings.
#[test]
fn a_forked_copy_is_listed_as_a_fork_of_the_program() {
    let program = forking_program("forking");
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    harness.get_by_label("Follow children").click();
    harness.run();
    record_to_the_end(&mut harness);
    assert!(harness.state().record().model().anomalies().is_empty(), "the program's own frees are clean");
    harness.get_by_label_contains("1 it started or forked, each recorded on its own");
    let kinds = findings_of_the_fork(&mut harness);
    assert_eq!(kinds, [AnomalyKind::DoubleFree], "its own double free; its parent's block was its to free");
}

/// Picks the one process followed, a fork, under Process: its findings.
fn findings_of_the_fork(harness: &mut Harness<'_, FfiscopeApp>) -> Vec<AnomalyKind> {
    let followed = harness.state().record().followed();
    assert_eq!(followed.len(), 1);
    let parent = followed[0].forked_from().expect("a fork");
    harness.get_by_label("Process").click();
    harness.run();
    harness.get_by_label_contains(&format!(" · fork of {parent} · completed · 1 finding · ")).click();
    harness.run();
    let shown = harness.state().record().shown_model();
    shown.lock().unwrap().anomalies().iter().map(|a| a.kind).collect()
}

/// A followed process that ends while the recording runs is told ended at
/// once, crashed or completed, rather than "running" until the end.
#[test]
fn a_followed_process_that_crashed_is_told_so_while_the_recording_runs() {
    let crasher = lesson_program("null_and_bounds");
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", "sh");
    type_into(&mut harness, "Arguments", &format!("-c '{} null-unchecked; sleep 30'", crasher.display()));
    harness.get_by_label("Follow children").click();
    harness.run();
    harness.get_by_label("Start").click();
    let started = Instant::now();
    loop {
        harness.step();
        let followed = harness.state().record().followed();
        if followed.first().is_some_and(|view| view.ended.as_deref() == Some("crashed")) {
            break;
        }
        assert!(matches!(harness.state().record().state(), RecordState::Running { .. }), "{followed:?}");
        assert!(started.elapsed() < Duration::from_secs(20), "the crash is told while sleep runs");
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
    harness.get_by_label("Process").click();
    harness.run();
    harness.get_by_label_contains(" · crashed · ");
    harness.get_by_label("Stop").click();
    let stopped = Instant::now();
    while !matches!(harness.state().record().state(), RecordState::Ended(_)) {
        harness.step();
        assert!(stopped.elapsed() < Duration::from_secs(10), "Stop ends the recording");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A C program that forks a copy, which double-frees a block of its own
/// and frees one it inherited, compiled as `name`.
fn forking_program(name: &str) -> PathBuf {
    compiled_c(
        name,
        "#include <stdlib.h>\n#include <sys/wait.h>\n#include <unistd.h>\n\
         int main(void) {\n\
           char *volatile shared = malloc(40);\n\
           pid_t copy = fork();\n\
           if (copy == 0) { char *volatile own = malloc(8); free(own); free(own); free(shared); exit(0); }\n\
           waitpid(copy, NULL, 0);\n\
           free(shared);\n\
           return 0;\n\
         }\n",
    )
}

/// Stop ends the followed processes too: a job a script started would run
/// on after its script was killed.
#[test]
fn stop_ends_the_followed_processes_still_running() {
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", "sh");
    type_into(&mut harness, "Arguments", "-c 'sleep 30; true'");
    harness.get_by_label("Follow children").click();
    harness.run();
    harness.get_by_label("Start").click();
    let started = Instant::now();
    let pid = loop {
        harness.step();
        if let Some(view) = harness.state().record().followed().first().filter(|v| v.program.is_some()) {
            break view.pid;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "sleep is followed");
        std::thread::sleep(Duration::from_millis(20));
    };
    harness.get_by_label("Stop").click();
    let stopped = Instant::now();
    loop {
        harness.step();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let gone = stat.rsplit_once(") ").is_none_or(|(_, rest)| rest.starts_with(['Z', 'X']));
        if gone && matches!(harness.state().record().state(), RecordState::Ended(_)) {
            break;
        }
        assert!(stopped.elapsed() < Duration::from_secs(10), "sleep {pid} ends with its script: {stat}");
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
    assert_eq!(harness.state().record().followed()[0].ended.as_deref(), Some("crashed"));
}

/// A program that allocates from more places than the sites table lists:
/// it lists the first in the order its headers choose, and says how many
/// more there are. The site that made the most temporary allocations is
/// last by name, unlisted, until the Temporary header is clicked.
#[test]
fn the_sites_table_lists_the_most_of_the_count_its_header_chose() {
    let mut text = String::from(
        "#include <stdlib.h>\n\
         static void *(*volatile allocate)(size_t) = malloc;\n\
         void *kept[150];\n\
         __attribute__((noinline)) void zz_churn(void) { for (int i = 0; i < 500; i++) free(allocate(8)); }\n\
         int main(void) {\n  zz_churn();\n",
    );
    for site in 0..150 {
        let _ = writeln!(text, "  kept[{site}] = allocate(16);");
    }
    text.push_str("  return 0;\n}\n");
    let program = compiled_c("many_sites", &text);
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    record_to_the_end(&mut harness);
    let sites = harness.state().record().model().site_rows().len();
    assert!(sites > 150, "{sites} sites");
    harness.get_by_label_contains(&format!("and {} more site(s)", sites - ffiscope::ui::site_table::SITES_LISTED));
    assert!(harness.query_by_label_contains("zz_churn").is_none(), "by name, it is past the first listed");
    // Below the outstanding blocks: scrolled to, as a person would.
    harness.get_by_label("Temporary").scroll_to_me();
    harness.run();
    harness.get_by_label("Temporary").click();
    harness.run();
    harness.get_by_label_contains("zz_churn (many_sites.c:4)");
}

/// A site with a long name is cut short in the sites table (whole on its
/// hover), so that its last column stays in the window at 1024 pixels.
#[test]
fn the_sites_table_keeps_its_last_column_in_a_narrow_window() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui_record");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let source = dir.join("long_names.c");
    let function = "a_function_whose_name_is_much_longer_than_the_sites_table_has_room_for";
    std::fs::write(
        &source,
        format!(
            "#include <stdlib.h>\n\
             __attribute__((noinline)) void *{function}(size_t n) {{ return malloc(n); }}\n\
             int main(void) {{ free({function}(24)); return 0; }}\n"
        ),
    )
    .expect("written");
    let program = dir.join("long_names");
    assert!(Command::new("cc").arg("-g").arg("-o").arg(&program).arg(&source).status().expect("cc").success());
    let mut harness = record_tab(egui::vec2(1024.0, 640.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    record_to_the_end(&mut harness);
    let site = format!("{function} (long_names.c:2)");
    assert!(harness.state().record().model().site_rows().iter().any(|row| row.site == site));
    // In the sites table, and among what held the heap at its peak.
    let texts: Vec<String> = harness
        .get_all_by_label_contains("a_function_w")
        .map(|shown| shown.accesskit_node().value().unwrap_or_default().clone())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    for text in &texts {
        assert!(text.contains('…') && text.chars().count() < site.chars().count(), "cut short: {text}");
    }
    let shown = harness.get_all_by_label_contains("a_function_w").last().expect("the table's row");
    shown.hover();
    harness.run();
    harness.get_by_label_contains(&site);
    let window = harness.ctx.content_rect();
    let peak = harness.get_by_label("Peak").rect();
    assert!(window.contains_rect(peak), "the last column at {peak:?}, in {window:?}");
}

#[test]
fn a_recording_file_opens_in_the_tab() {
    let program = program("reopened");
    let harness = recorded_and_opened(&program, &[]);
    harness.get_by_label_contains("Ended: opened");
    harness.get_by_label_contains("a second time");
    assert!(harness.state().record().model().heap(Domain::C).stats().allocations >= 1001);
    // With what the recording noted at its end, as when it was recorded here.
    harness.get_by_label_contains("still reachable at exit (from globals");
}

/// A recording made with `--follow-children --out` opens with its followed
/// processes, each read from its own file beside it and listed under
/// Process with its findings.
#[test]
fn a_recording_file_opens_with_the_processes_it_followed() {
    let program = forking_program("reopened_forking");
    let mut harness = recorded_and_opened(&program, &["--follow-children"]);
    harness.get_by_label_contains("1 followed process(es))");
    assert_eq!(findings_of_the_fork(&mut harness), [AnomalyKind::DoubleFree], "read from its own file");
    let shown = harness.state().record().shown_model();
    assert!(shown.lock().unwrap().heap(Domain::C).stats().allocations >= 1);
    // Its stacks, read from its own file, drawn as its own flame graph.
    harness.get_by_label("Flame graph").click();
    harness.run();
    harness.get_by_label("Allocated").click();
    harness.run();
    assert_eq!(harness.query_all_by_label("main (reopened_forking.c:7)").count(), 1);
}

/// The tab, once it has read the recording `ffiscope record --out` (with
/// `options`) made of `program`.
fn recorded_and_opened(program: &std::path::Path, options: &[&str]) -> Harness<'static, FfiscopeApp> {
    let file = program.with_extension("fsrec");
    let status = Command::new(env!("CARGO_BIN_EXE_ffiscope"))
        .arg("record")
        .args(options)
        .arg("--out")
        .arg(&file)
        .arg("--")
        .arg(program)
        .output()
        .expect("ffiscope runs")
        .status;
    assert_eq!(status.code(), Some(0));
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Recording", file.to_str().unwrap());
    harness.get_by_label("Open").click();
    let started = Instant::now();
    while !matches!(harness.state().record().state(), RecordState::Ended(_)) {
        assert!(started.elapsed() < Duration::from_secs(30), "the files are read");
        harness.run();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
    harness
}

/// The app, `size` big, on its Record tab.
fn record_tab(size: egui::Vec2) -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(size).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Record").click();
    harness.run();
    harness
}

/// Types `text` into the one-line field labelled `field`.
fn type_into(harness: &mut Harness<'_, FfiscopeApp>, field: &str, text: &str) {
    harness.get(by().role(egui::accesskit::Role::TextInput).label(field)).focus();
    harness.run();
    harness.get(by().role(egui::accesskit::Role::TextInput).label(field)).type_text(text);
    harness.run();
}

/// Types `text` over what the one-line field labelled `field` holds.
fn type_over(harness: &mut Harness<'_, FfiscopeApp>, field: &str, text: &str) {
    harness.get(by().role(egui::accesskit::Role::TextInput).label(field)).focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    type_into(harness, field, text);
}

/// A lesson's program (`examples/`), built with the tests.
fn lesson_program(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ffiscope")).parent().expect("the binary's folder").join("examples").join(name)
}

/// Clicks the widget labelled `label` and lets the app take the click.
fn click(harness: &mut Harness<'_, FfiscopeApp>, label: &str) {
    harness.get_by_label(label).click();
    harness.run();
}

fn record_to_the_end(harness: &mut Harness<'_, FfiscopeApp>) {
    harness.get_by_label("Start").click();
    until_it_ends(harness);
}

/// Frames until the recording started has ended.
fn until_it_ends(harness: &mut Harness<'_, FfiscopeApp>) {
    let started = Instant::now();
    loop {
        // A frame at a time: while the program runs, frames keep coming.
        harness.step();
        if matches!(harness.state().record().state(), RecordState::Ended(_)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the recording ends");
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
}

#[test]
fn a_program_that_crashes_is_reported_and_the_app_records_on() {
    let program = lesson_program("panic_at_boundary");
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    type_into(&mut harness, "Arguments", "no-catch-unwind");
    harness.get_by_label("Guard blocks").click();
    harness.get_by_label("Call stacks").click();
    harness.run();
    record_to_the_end(&mut harness);
    harness.get_by_label_contains("Ended: crashed (SIGABRT)");
    let kinds: Vec<AnomalyKind> = harness.state().record().model().anomalies().iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AnomalyKind::Panic, AnomalyKind::Crash]);
    // Named with its module where it is a function of its own (a debug
    // build), by its own name where it was inlined (release).
    let boundary = harness.get_by_label_contains("A panic reached the boundary: it tried to unwind out of `");
    let told = boundary.accesskit_node().value().unwrap_or_default();
    assert!(told.contains("unchecked_callback") && told.contains("into `process_items"), "{told}");
    harness.get_by_label_contains("it did not reach its exit, so what it still held is not counted as leaked");
    // The app is whole: the same program's correct variant records to its end.
    type_over(&mut harness, "Arguments", "correct");
    record_to_the_end(&mut harness);
    harness.get_by_label_contains("Ended: exited with 0");
    assert!(harness.state().record().model().anomalies().is_empty());
}

/// A program whose output is not UTF-8 (a compressor writing to stdout)
/// runs to its end: its output is read on, the bytes that are no text
/// shown as such, and the pipe never closes under it (it died of SIGPIPE).
#[test]
fn a_program_writing_bytes_that_are_no_text_runs_to_its_end() {
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", "sh");
    type_into(&mut harness, "Arguments", r#"-c 'printf "\377\376\n"; seq 1 100000; printf "\377\376\n"'"#);
    record_to_the_end(&mut harness);
    assert_eq!(harness.state().record().state(), RecordState::Ended("exited with 0".to_owned()));
    let output = harness.state().record().output();
    let last: Vec<&str> = output.iter().rev().take(2).map(|(_, line)| line.as_str()).collect();
    // Read to the end; bytes that are no text shown as the bytes they are.
    assert_eq!(last, [r"\xFF\xFE", "100000"]);
}

/// A program with a `malloc` of its own (jemalloc linked in): its heaps
/// stay empty, and the tab says why while it runs, not only at its end,
/// and once.
#[test]
fn a_program_with_an_allocator_of_its_own_is_told_at_once_why_nothing_is_recorded() {
    let main = "#include <unistd.h>\n\
                int main(void) {\n  for (int i = 0; i < 10; i++) ((char *)malloc(40))[0] = 1;\n  sleep(2);\n  return 0;\n}\n";
    let program = compiled_c("own_allocator", &format!("{}{main}", support::OWN_MALLOC));
    let mut harness = record_tab(egui::vec2(1280.0, 800.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    harness.get_by_label("Start").click();
    let started = Instant::now();
    let told = "not recorded: `malloc`, `free`, `calloc` and `realloc` are the program's own";
    harness.step();
    while harness.query_by_label_contains(told).is_none() {
        assert!(
            !matches!(harness.state().record().state(), RecordState::Ended(_)),
            "told while it runs, before its two seconds are up"
        );
        assert!(started.elapsed() < Duration::from_secs(30), "told at all");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    // No leak check yet, and none to come: the list says which, not "every free matched".
    harness.get_by_label_contains("None so far: leaks are looked for when the program exits.");
    until_it_ends(&mut harness);
    harness.get_by_label_contains(told);
    assert_eq!(harness.state().record().model().heap(Domain::C).stats().allocations, 0);
    harness.get_by_label_contains("None: no allocation was recorded, so there was nothing to check.");
}

/// With Call stacks, a wrapper named under Wrappers names none of the
/// blocks made through it: its caller does. A name no function has is
/// refused before the program starts. The field fits a projector's width.
#[test]
fn a_wrapper_named_in_the_tab_gives_its_blocks_to_its_caller() {
    let program = compiled_c(
        "wrapped",
        "#include <stdlib.h>\n\
         __attribute__((noinline)) static void *grab(size_t n) { return malloc(n); }\n\
         __attribute__((noinline)) static void lose(void) { volatile void *lost = grab(9); (void)lost; }\n\
         int main(void) { lose(); return 0; }\n",
    );
    let mut harness = record_tab(egui::vec2(1024.0, 640.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    harness.get_by_label("Call stacks").click();
    harness.run();
    // At a projector's 1024 pixels the field goes to the next line with
    // its label, where it ran past the window's edge.
    let field = harness.get(by().role(egui::accesskit::Role::TextInput).label("Wrappers")).rect();
    assert!(field.right() <= 1024.0, "{field:?}");
    type_into(&mut harness, "Wrappers", "my alloc");
    harness.get_by_label("Start").click();
    harness.step();
    harness.run();
    harness.get_by_label_contains("not started: the wrapper `my alloc`: ` ` is in no function's name");
    type_over(&mut harness, "Wrappers", "gr*");
    record_to_the_end(&mut harness);
    let sites: Vec<String> = harness.state().record().model().anomalies().iter().map(|a| a.site.clone()).collect();
    assert_eq!(sites, ["lose (wrapped.c:3)"]);
    harness.get_by_label_contains("allocated by `lose (wrapped.c:3)`");
}

/// A C program, compiled as `name`, whose `make` (line 2) makes a block
/// along two paths: 90 B under `lose` (line 3), which loses it, and 500 B
/// straight from `main` (line 4), freed at once.
fn making_along_two_paths(name: &str) -> PathBuf {
    compiled_c(
        name,
        "#include <stdlib.h>\n\
         __attribute__((noinline)) static void *make(size_t n) { return malloc(n); }\n\
         __attribute__((noinline)) static void lose(void) { volatile void *lost = make(90); (void)lost; }\n\
         int main(void) { lose(); free(make(500)); return 0; }\n",
    )
}

/// inferno's SVG declares its document type.
const DOCTYPE_ALLOWED: roxmltree::ParsingOptions = roxmltree::ParsingOptions { allow_dtd: true, nodes_limit: u32::MAX };

/// With Call stacks, an ended recording exports its flame graphs: of what
/// held the peak, of what leaked, of what was allocated and of the
/// temporary allocations, each drawn from the program's stacks; and so
/// does one opened from its file.
#[test]
fn an_ended_recording_exports_its_stacks_as_flame_graphs() {
    let program = making_along_two_paths("flamed");
    let exports = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui_record").join("flamed-exports");
    let _ = std::fs::remove_dir_all(&exports);
    let mut harness = record_tab(egui::vec2(1024.0, 640.0));
    harness.state_mut().set_export_dir(&exports);
    type_into(&mut harness, "Program", program.to_str().unwrap());
    click(&mut harness, "Call stacks");
    record_to_the_end(&mut harness);
    click(&mut harness, "Export flame graphs");
    let read = |name: &str| std::fs::read_to_string(exports.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let titles = |svg: &str| -> Vec<String> {
        let document = roxmltree::Document::parse_with_options(svg, DOCTYPE_ALLOWED).expect("an SVG document");
        document.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).map(str::to_owned).collect()
    };
    let leaks = titles(&read("flamed-leaks.svg"));
    assert!(leaks.iter().any(|t| t.starts_with("lose (flamed.c:3) (90 bytes")), "{leaks:?}");
    assert!(!leaks.iter().any(|t| t.contains("flamed.c:4) (500")), "the freed block did not leak: {leaks:?}");
    let peak = titles(&read("flamed-peak.svg"));
    assert!(peak.iter().any(|t| t.starts_with("main (flamed.c:4) (590 bytes")), "{peak:?}");
    let allocated = titles(&read("flamed-allocated.svg"));
    assert!(allocated.iter().any(|t| t.starts_with("make (flamed.c:2) (500 bytes")), "{allocated:?}");
    assert!(allocated.iter().any(|t| t.starts_with("lose (flamed.c:3) (90 bytes")), "{allocated:?}");
    // `free(make(500))`: freed before anything else was made.
    let temporary = titles(&read("flamed-temporary.svg"));
    assert!(temporary.iter().any(|t| t.starts_with("make (flamed.c:2) (1 allocations")), "{temporary:?}");
    assert!(!temporary.iter().any(|t| t.starts_with("lose (")), "lose's block was not: {temporary:?}");
    // Exported as the tab draws it, turned over: `make` is one frame.
    click(&mut harness, "Flame graph");
    click(&mut harness, "Inverted");
    click(&mut harness, "Export flame graphs");
    let turned = titles(&read("flamed-peak-inverted.svg"));
    assert!(turned.iter().any(|t| t.starts_with("make (flamed.c:2) (590 bytes")), "{turned:?}");

    // A recording opened from its file draws the same, named for the
    // program it recorded: the Program field is empty.
    let reopened_exports = exports.with_file_name("flamed-reopened-exports");
    let _ = std::fs::remove_dir_all(&reopened_exports);
    let mut harness = recorded_and_opened(&program, &["--stack", "8"]);
    harness.state_mut().set_export_dir(&reopened_exports);
    click(&mut harness, "Export flame graphs");
    let svg = std::fs::read_to_string(reopened_exports.join("flamed-leaks.svg")).expect("drawn from the file");
    assert!(titles(&svg).iter().any(|t| t.starts_with("lose (flamed.c:3) (90 bytes")));
}

/// On a projector (1024×640, presenting), the live-bytes plot under a
/// program's output is some 60 points tall: its axis marks 5k, up to the
/// peak of 5,090 B, where lines a power of ten apart left it 0 alone.
#[test]
fn a_short_plot_on_a_projector_marks_a_line_above_zero() {
    let program = compiled_c(
        "short_plot",
        "#include <stdlib.h>\n\
         int main(void) { void *big = malloc(5000); free(malloc(90)); free(big); return 0; }\n",
    );
    let mut harness = record_tab(egui::vec2(1024.0, 640.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    record_to_the_end(&mut harness);
    harness.key_press(egui::Key::F5);
    harness.run();
    assert!(harness.state().is_presenting());
    let mut painted = Vec::new();
    for clipped in &harness.output().shapes {
        painted_texts(&clipped.shape, &mut painted);
    }
    assert!(painted.iter().any(|text| text == "5k"), "{painted:?}");
}

/// The texts a shape paints, nested shapes' too.
fn painted_texts(shape: &egui::Shape, texts: &mut Vec<String>) {
    match shape {
        egui::Shape::Text(text) => texts.push(text.galley.text().to_owned()),
        egui::Shape::Vec(shapes) => shapes.iter().for_each(|shape| painted_texts(shape, texts)),
        _ => {}
    }
}

/// The Flame graph view draws the ended recording's stacks: each frame a
/// button named as the stacks name it, weighed as chosen, and a click on
/// one zooms into it.
#[test]
fn an_ended_recording_draws_its_stacks_as_a_flame_graph_to_zoom_into() {
    let program = making_along_two_paths("flame_view");
    let mut harness = record_tab(egui::vec2(1024.0, 640.0));
    type_into(&mut harness, "Program", program.to_str().unwrap());
    click(&mut harness, "Call stacks");
    record_to_the_end(&mut harness);
    // The choice of views is one piece, never parted at a line's end nor
    // past the window's edge, however wide the window: wherever the heaps'
    // counts end a line.
    for width in (640..=1280).step_by(8) {
        harness.set_size(egui::vec2(width as f32, 640.0));
        harness.run();
        let over_time = harness.get_by_label("Over time").rect();
        let flame_graph = harness.get_by_label("Flame graph").rect();
        assert_eq!(over_time.min.y.round() as i32, flame_graph.min.y.round() as i32, "at {width}: parted");
        assert!(flame_graph.max.x <= width as f32, "at {width}: past the window's edge, at {}", flame_graph.max.x);
    }
    harness.set_size(egui::vec2(1024.0, 640.0));
    harness.run();
    click(&mut harness, "Flame graph");
    // Held at the peak: `make`'s block under `lose`, and the one `main` freed.
    let frames = |harness: &Harness<'_, FfiscopeApp>, name: &str| harness.query_all_by_label(name).count();
    assert_eq!(frames(&harness, "make (flame_view.c:2)"), 2);
    harness.get_by_label_contains("590 B in all");
    click(&mut harness, "Leaks");
    assert_eq!(frames(&harness, "make (flame_view.c:2)"), 1, "the block main freed did not leak");
    harness.get_by_label_contains("90 B in all");
    click(&mut harness, "Allocated");
    harness.get_by_label("lose (flame_view.c:3)").hover();
    harness.run();
    harness.get_by_label_contains("Leaked: 90 B in 1 block");

    // Zoomed into `lose`: `main`'s other callee is gone, `main` stays above.
    click(&mut harness, "lose (flame_view.c:3)");
    assert_eq!(frames(&harness, "make (flame_view.c:2)"), 1, "only lose's callee is drawn");
    harness.get_by_label("main (flame_view.c:4)");
    click(&mut harness, "Whole graph");
    assert_eq!(frames(&harness, "make (flame_view.c:2)"), 2);
    assert!(harness.query_by_label("Whole graph").is_none(), "nothing to zoom out of");

    // A search, in any case, weighs what the frames holding it allocated.
    type_into(&mut harness, "Find", "LOSE");
    harness.get_by_label_contains("Found: 90 B in the frames that hold it, 15.3% of the graph");
    type_over(&mut harness, "Find", "nowhere");
    harness.get_by_label("No frame holds it.");

    // Turned over, `make` is one frame, and `main` is under it twice: once
    // through `lose` and once calling it itself.
    click(&mut harness, "Inverted");
    assert_eq!(frames(&harness, "make (flame_view.c:2)"), 1);
    assert_eq!(frames(&harness, "main (flame_view.c:4)"), 2);
    harness.get_by_label("make (flame_view.c:2)").hover();
    harness.run();
    harness.get_by_label_contains("590 B: 100.0% of the graph");
}
