//! Every scenario × variant, headless: each report holds exactly the
//! anomalies its lesson promises (kind, heap, site, bytes), every correct
//! variant ends clean, crashing variants crash in a child and are reported,
//! and every step's code panes come from the real sources.

use std::path::Path;

use ffiscope::ffi::Domain;
use ffiscope::report::{Outcome, Report};
use ffiscope::scenarios::isolated::run_isolated;
use ffiscope::scenarios::run_source::RunSource as _;
use ffiscope::scenarios::runner::Runner;
use ffiscope::scenarios::snippet::{pane_regions, snippet};
use ffiscope::scenarios::{RunOptions, catalogue, find};
use ffiscope::track::AnomalyKind::{self, *};

type Expected = &'static [(AnomalyKind, Option<Domain>, &'static str, u64)];

const C: Option<Domain> = Some(Domain::C);
const RUST: Option<Domain> = Some(Domain::Rust);

/// What each variant must report, from LESSONS.md.
const EXPECTED: &[(&str, &str, Expected)] = &[
    ("c-string-ownership", "leak", &[(Leak, C, "create_message", 20)]),
    ("cstring-into-raw", "never-reclaimed", &[(Leak, RUST, "CString::new", 16)]),
    (
        "cstring-into-raw",
        "c-frees-it",
        &[(ForeignFree, RUST, "c_frees_rust_string", 16), (Leak, RUST, "CString::new", 16)],
    ),
    ("dangling-cstring", "temporary", &[(UseAfterFree, RUST, "greet", 7)]),
    ("ownership-handoff", "destroy-twice", &[(DoubleFree, RUST, "destroy_widget", 28)]),
    ("ownership-handoff", "never-destroyed", &[(Leak, RUST, "Box::new(Widget)", 28)]),
    ("ownership-handoff", "double-free-unprotected", &[(Crash, None, "process", 0)]),
    ("alignment", "unpacked-mirror", &[(HeapOverflow, C, "read_mirror", 13)]),
    ("alignment", "rust-layout-mirror", &[(HeapOverflow, C, "read_mirror", 13)]),
    ("null-and-bounds", "overflow", &[(HeapOverflow, C, "canary check", 16)]),
    ("null-and-bounds", "null-unchecked", &[(Crash, None, "process", 0)]),
    ("array-to-slice", "slice-after-free", &[(UseAfterFree, C, "slice_after_free", 32)]),
    ("array-to-slice", "never-freed", &[(Leak, C, "create_array", 32)]),
    ("raii-release", "manual-free", &[(Leak, C, "buffer_open", 48)]),
    ("arena-release", "individual", &[]),
    ("arena-release", "leak-without-arena", &[(Leak, C, "item_alloc", 2400)]),
    ("threads-shared-resource", "atomic", &[]),
    ("threads-shared-resource", "unsynchronised", &[(LostUpdate, None, "counter_add_unsynchronised", 0)]),
    ("threads-shared-resource", "lock-step", &[(LostUpdate, None, "counter_add_lock_step", 0)]),
    ("panic-at-boundary", "no-catch-unwind", &[(Panic, None, "callback", 0), (Crash, None, "process", 0)]),
    ("leak-hunt", "leaky", &[(Leak, C, "read_body", 640)]),
    ("service-survives", "in-process", &[(Crash, None, "process", 0)]),
    ("service-survives", "panic-recovered", &[]),
    ("service-survives", "isolated-worker", &[(WorkerCrash, None, "worker", 0)]),
    ("service-survives", "restart-leaks", &[(WorkerCrash, None, "worker", 0), (Leak, C, "worker_start", 268)]),
];

fn program() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ffiscope"))
}

fn report(id: &str, variant: &str) -> Report {
    let scenario = find(id).unwrap_or_else(|| panic!("no scenario {id}"));
    let crashes = scenario.variant(variant).unwrap_or_else(|| panic!("no variant {id}/{variant}")).crashes;
    if crashes {
        run_isolated(program(), scenario.as_ref(), variant, RunOptions::default()).expect("the child runs")
    } else {
        Runner::new(scenario.as_ref(), variant, RunOptions::default()).run_to_end()
    }
}

fn found(report: &Report) -> Vec<(AnomalyKind, Option<Domain>, String, u64)> {
    report.anomalies.iter().map(|a| (a.kind, a.domain, a.site.clone(), a.bytes)).collect()
}

#[test]
fn every_broken_variant_reports_exactly_its_anomalies() {
    let mut checked = 0;
    for (id, variant, expected) in EXPECTED {
        let report = report(id, variant);
        let expected: Vec<_> = expected.iter().map(|(k, d, s, b)| (*k, *d, (*s).to_owned(), *b)).collect();
        assert_eq!(found(&report), expected, "{id} / {variant}:\n{report}");
        checked += 1;
    }
    let variants: usize = catalogue().iter().map(|s| s.variants().iter().filter(|v| v.name != "correct").count()).sum();
    assert_eq!(checked, variants, "every variant but `correct` has an expectation");
}

#[test]
fn a_leak_from_several_steps_names_them_all() {
    let leaky = report("leak-hunt", "leaky");
    assert!(leaky.anomalies[0].message.contains("allocated by `read_body` in steps 1–4"), "{leaky}");
    let once = report("array-to-slice", "never-freed");
    assert!(once.anomalies[0].message.contains("allocated by `create_array` in step 1;"), "{once}");
}

#[test]
fn every_correct_variant_ends_clean() {
    // A lesson whose variants are strategies has no `correct`; its table
    // rows above say what each must report.
    for scenario in catalogue().into_iter().filter(|s| s.variant("correct").is_some()) {
        let mut runner = Runner::new(scenario.as_ref(), "correct", RunOptions::default());
        while runner.step().is_some() {}
        let report = runner.report();
        assert_eq!(report.anomalies, [], "{}:\n{report}", scenario.id());
        assert_eq!((report.c_heap.live_blocks, report.rust_heap.live_blocks), (0, 0), "{}", scenario.id());
        let truth = runner.tracker_counts();
        assert_eq!(
            (truth.c_heap.live_blocks, truth.rust_heap.live_blocks),
            (0, 0),
            "{}: the tracker agrees",
            scenario.id()
        );
        let touched = report.c_heap.allocations + report.rust_heap.allocations;
        assert!(touched > 0 || scenario.id() == "type-mapping", "{} allocates on some heap", scenario.id());
    }
}

#[test]
fn crashing_variants_crash_in_a_child_and_are_reported() {
    for (id, variant, signal, step) in [
        ("null-and-bounds", "null-unchecked", "SIGSEGV", 2),
        ("panic-at-boundary", "no-catch-unwind", "SIGABRT", 1),
        ("ownership-handoff", "double-free-unprotected", "SIGABRT", 2),
        ("service-survives", "in-process", "SIGSEGV", 2),
    ] {
        let report = report(id, variant);
        assert_eq!(report.outcome, Outcome::Crashed, "{id}/{variant}");
        assert_eq!(report.signal.as_deref(), Some(signal), "{id}/{variant}");
        let crash = report.anomalies.iter().find(|a| a.kind == Crash).expect("a crash anomaly");
        assert_eq!(crash.step, Some(step), "{id}/{variant}: the last step reached");
        assert!(crash.message.contains(signal), "{}", crash.message);
        // The code that step shows marks the line the process dies on.
        let scenario = find(id).unwrap();
        let info = scenario.start(variant, RunOptions::default()).steps()[step as usize];
        let rust = pane_regions(scenario.rust_source(), [Some(info.rust)], variant);
        assert!(rust[0].crashing_code().is_some(), "{id}/{variant}: the Rust line it dies on");
        let c = pane_regions(scenario.c_source(), [info.c], variant);
        assert!(c.first().and_then(|r| r.crashing_code()).is_some(), "{id}/{variant}: the C line it dies on");
    }
    // And this process is still here to say so.
}

#[test]
fn the_cli_reports_a_crash_with_exit_code_3() {
    let output = std::process::Command::new(program())
        .args(["run", "null-and-bounds", "--variant", "null-unchecked", "--json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report["outcome"], "crashed");
    assert_eq!(report["signal"], "SIGSEGV");
    assert_eq!(report["steps_run"], 3);
}

#[test]
fn run_all_runs_every_variant() {
    let output = std::process::Command::new(program()).args(["run", "--all", "--json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let reports: Vec<Report> = serde_json::from_slice(&output.stdout).expect("JSON reports");
    let variants: usize = catalogue().iter().map(|s| s.variants().len()).sum();
    assert_eq!(reports.len(), variants);
    let crashed = reports.iter().filter(|r| r.outcome == Outcome::Crashed).count();
    assert_eq!(crashed, 4);
    // The panics the lessons catch at their boundary are theirs, not the terminal's.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let no_catch = reports.iter().find(|r| r.variant == "no-catch-unwind").unwrap();
    assert!(
        no_catch.anomalies.iter().any(|a| a.message.contains("negative item -9")),
        "an escaping panic still says why"
    );
}

#[test]
fn lost_updates_happen_on_every_run_and_never_when_synchronised() {
    let scenario = find("threads-shared-resource").unwrap();
    // Racing for real: updates are lost on every run, and not the same number.
    let mut counted = Vec::new();
    for _ in 0..5 {
        let broken = Runner::new(scenario.as_ref(), "unsynchronised", RunOptions { threads: 4 }).run_to_end();
        assert_eq!(found(&broken).len(), 1, "4 threads lose updates:\n{broken}");
        let message = &broken.anomalies[0].message;
        assert!(message.starts_with("Expected 80000 increments, counted "), "{message}");
        counted.push(message.split_whitespace().nth(4).unwrap_or_default().trim_end_matches(':').to_owned());
    }
    counted.dedup();
    assert!(counted.len() > 1, "five races, five times the same count: {counted:?}");
    for threads in [2, 8] {
        let options = RunOptions { threads };
        // Forced worst case: every thread reads the same value each round, one update survives.
        let forced = Runner::new(scenario.as_ref(), "lock-step", options).run_to_end();
        let expected = format!("Expected {} increments, counted 2000", threads * 2000);
        assert!(forced.anomalies[0].message.starts_with(&expected), "{}", forced.anomalies[0].message);
        for variant in ["correct", "atomic"] {
            let fine = Runner::new(scenario.as_ref(), variant, options).run_to_end();
            assert_eq!(fine.anomalies, [], "{variant} with {threads} threads");
        }
    }
}

#[test]
fn every_step_shows_code_cut_from_the_real_sources() {
    for scenario in catalogue() {
        for variant in scenario.variants() {
            let run = scenario.start(variant.name, RunOptions::default());
            for step in run.steps() {
                let rust = snippet(scenario.rust_source(), step.rust, variant.name);
                assert!(
                    rust.is_some_and(|s| !s.trim().is_empty()),
                    "{}/{}: Rust region {}",
                    scenario.id(),
                    variant.name,
                    step.rust
                );
                if let Some(c) = step.c {
                    let code = snippet(scenario.c_source(), c, variant.name);
                    assert!(
                        code.is_some_and(|s| !s.trim().is_empty()),
                        "{}/{}: C region {c}",
                        scenario.id(),
                        variant.name
                    );
                }
            }
        }
    }
}

#[test]
fn a_variant_region_is_the_code_that_variant_runs() {
    let scenario = find("c-string-ownership").unwrap();
    let correct = snippet(scenario.rust_source(), "give_back", "correct").unwrap();
    let leak = snippet(scenario.rust_source(), "give_back", "leak").unwrap();
    assert!(correct.contains("free_message(self.ptr.as_ptr())"), "{correct}");
    assert!(leak.contains("std::mem::forget(message)"), "{leak}");
    let c = snippet(scenario.c_source(), "create_message", "correct").unwrap();
    assert!(c.contains("malloc(sizeof MESSAGE)"), "{c}");
}

#[test]
fn verdicts_name_the_release_function_a_learner_calls() {
    for (id, variant, _) in EXPECTED {
        let report = report(id, variant);
        for anomaly in &report.anomalies {
            assert!(!anomaly.message.contains("`fs_"), "{id}/{variant}: {}", anomaly.message);
        }
    }
}

#[test]
fn the_c_shown_is_the_c_a_learner_would_write() {
    for scenario in catalogue() {
        for variant in scenario.variants() {
            let run = scenario.start(variant.name, RunOptions::default());
            let steps = run.steps().iter().map(|s| s.c);
            for region in pane_regions(scenario.c_source(), steps, variant.name) {
                // Calls into the tracker (fs_malloc, fs_free, fs_check_access…) are wired in
                // underneath; the code shown calls malloc, calloc and free.
                let plumbing = region.text.match_indices("fs_").any(|(at, _)| {
                    let call = &region.text[at..];
                    call.find('(')
                        .is_some_and(|paren| call[..paren].chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                });
                assert!(!plumbing, "{}/{}: {}\n{}", scenario.id(), variant.name, region.name, region.text);
            }
        }
    }
}

#[test]
fn the_last_scenario_and_variant_open_again() {
    let mut session = ffiscope::scenarios::session::ScenarioSession::new(program().to_path_buf());
    session.reopen("leak-hunt", "leaky");
    assert_eq!((session.scenario().id(), session.variant()), ("leak-hunt", "leaky"));
    session.reopen("no-such-scenario", "leaky");
    assert_eq!(session.scenario().id(), "leak-hunt", "an unknown id changes nothing");
    session.reopen("c-string-ownership", "no-such-variant");
    assert_eq!((session.scenario().id(), session.variant()), ("c-string-ownership", "correct"));
}

/// The functions a C region defines: a line at the margin that opens a body.
fn functions_defined(region: &str) -> Vec<&str> {
    region
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()) && line.contains('(') && line.contains('{'))
        .filter_map(|line| {
            let before = &line[..line.find('(')?];
            before.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().filter(|name| !name.is_empty())
        })
        .collect()
}

#[test]
fn the_c_a_step_highlights_is_c_the_step_ran() {
    let (mut checked, mut wrong) = (0, Vec::new());
    for scenario in catalogue() {
        for variant in scenario.variants().iter().filter(|v| !v.crashes) {
            let mut runner = Runner::new(scenario.as_ref(), variant.name, RunOptions::default());
            let steps = scenario.start(variant.name, RunOptions::default()).steps().to_vec();
            for (index, step) in steps.iter().enumerate() {
                runner.step();
                let Some(region) = step.c else { continue };
                let text = snippet(scenario.c_source(), region, variant.name).unwrap_or_default();
                let defined = functions_defined(&text);
                let ran = &runner.records()[index].calls;
                if !defined.iter().any(|f| ran.contains(f)) {
                    wrong.push(format!(
                        "{}/{} step {} \"{}\" highlights {defined:?}, but it ran {ran:?}",
                        scenario.id(),
                        variant.name,
                        index + 1,
                        step.title
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked > 50, "{checked} steps checked");
}

/// A step as a variant tells it: (Rust shown, C shown, title, explanation).
type Told = (String, String, &'static str, &'static str);

#[test]
fn variants_that_run_different_code_in_a_step_tell_it_differently() {
    let mut same = Vec::new();
    for scenario in catalogue() {
        let told: Vec<(&str, Vec<Told>)> = scenario
            .variants()
            .iter()
            .map(|variant| {
                let run = scenario.start(variant.name, RunOptions::default());
                let steps = run
                    .steps()
                    .iter()
                    .map(|step| {
                        let rust = snippet(scenario.rust_source(), step.rust, variant.name).unwrap_or_default();
                        let c = step.c.and_then(|c| snippet(scenario.c_source(), c, variant.name)).unwrap_or_default();
                        (rust, c, step.title, step.explanation)
                    })
                    .collect();
                (variant.name, steps)
            })
            .collect();
        for (a, (first, first_steps)) in told.iter().enumerate() {
            for (second, second_steps) in &told[a + 1..] {
                for (index, (x, y)) in first_steps.iter().zip(second_steps).enumerate() {
                    let different_code = (&x.0, &x.1) != (&y.0, &y.1);
                    if different_code && (x.2, x.3) == (y.2, y.3) {
                        same.push(format!("{}: {first} and {second}, step {} \"{}\"", scenario.id(), index + 1, x.2));
                    }
                }
            }
        }
    }
    assert!(same.is_empty(), "the same words for different code:\n{}", same.join("\n"));
}

/// The shown Rust with its `//` comments cut: the code, not what it says of itself.
fn code_without_comments(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_rust_shown_has_no_bookkeeping_in_it() {
    for scenario in catalogue() {
        for variant in scenario.variants() {
            let run = scenario.start(variant.name, RunOptions::default());
            let steps = run.steps().iter().map(|s| Some(s.rust));
            for region in pane_regions(scenario.rust_source(), steps, variant.name) {
                let code = code_without_comments(&region.text);
                let context = format!("{}/{}: {} shows", scenario.id(), variant.name, region.name);
                // Naming blocks, binding the tracker and pausing the recorder happen around
                // the code shown, never in it.
                for plumbing in ["rust_heap_site", "name_rust_blocks", "unrecorded", "cx.", "tracker", "Tracker", "fs_"]
                {
                    assert!(!code.contains(plumbing), "{context} {plumbing}:\n{}", region.text);
                }
                // A run's state kept between steps is plumbing too; `self` belongs in the
                // methods of an owner type, shown whole.
                if !code.contains("fn ") {
                    assert!(!code.contains("self."), "{context} the run's state:\n{}", region.text);
                }
                // Every unsafe block says why it is sound (or, in a broken variant, why
                // its author wrongly thought so).
                let unsafe_blocks = code.matches("unsafe {").count();
                let reasons = region.text.matches("SAFETY").count();
                assert!(reasons >= unsafe_blocks, "{context} an unsafe block without SAFETY:\n{}", region.text);
            }
        }
    }
}

/// The std and FFI calls each lesson is about, which its panes must show as
/// code (not only in comments), in some variant.
const LESSON_APIS: &[(&str, &[&str])] = &[
    ("c-string-ownership", &["create_message()", "CStr::from_ptr", "free_message(", "std::mem::forget"]),
    ("cstring-into-raw", &["CString::new", ".into_raw()", "CString::from_raw", "c_frees_rust_string("]),
    ("dangling-cstring", &[".as_ptr()", "greet("]),
    ("ownership-handoff", &["Box::into_raw", "Box::from_raw", "Arc::into_raw", "holder_adopt(", "shared_drop("]),
    ("alignment", &["#[repr(C, packed)]", "#[repr(C)]", "read_unaligned", "packed_data_free("]),
    ("null-and-bounds", &["is_null()", "CStr::from_ptr", "copy_bounded(", "free_buffer("]),
    ("array-to-slice", &["slice::from_raw_parts", "create_array(", "free_array(", "std::mem::forget"]),
    ("raii-release", &["impl Drop for BufferGuard", "buffer_close("]),
    ("arena-release", &["impl Drop for Arena", "arena_free(", "item_free("]),
    ("threads-shared-resource", &["std::thread::scope", "counter_add_locked(", "counter_add_unsynchronised("]),
    ("panic-at-boundary", &["catch_unwind", "extern \"C\" fn", "process_items("]),
];

#[test]
fn the_apis_a_lesson_is_about_are_shown_as_code() {
    for (id, apis) in LESSON_APIS {
        let scenario = find(id).unwrap_or_else(|| panic!("no scenario {id}"));
        let shown: String = scenario
            .variants()
            .iter()
            .flat_map(|variant| {
                let run = scenario.start(variant.name, RunOptions::default());
                let steps: Vec<_> = run.steps().iter().map(|s| Some(s.rust)).collect();
                pane_regions(scenario.rust_source(), steps, variant.name)
            })
            .map(|region| code_without_comments(&region.text))
            .collect();
        for api in *apis {
            assert!(shown.contains(api), "{id}: no variant shows {api} as code");
        }
    }
}
