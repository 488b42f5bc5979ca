//! Each lesson's standalone program (`examples/`), recorded, reports what
//! the lesson's own run reports, variant by variant: the same anomaly
//! kinds, and a crash for each variant that crashes (exit 3, with its
//! signal). Where a recording of the plain program rightly differs from
//! the lesson's instrumented run, the difference is listed with its reason.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// Where a recording of the plain program rightly differs from the
/// lesson's instrumented run of the same variant.
struct Difference {
    scenario: &'static str,
    variant: &'static str,
    /// Kinds the lesson's run reports that a recording cannot.
    run_only: &'static [&'static str],
    /// Kinds only a recording reports.
    recording_only: &'static [&'static str],
    /// Why; read by whoever changes the table.
    #[expect(dead_code, reason = "documentation the test carries with each entry")]
    why: &'static str,
}

const LOST_UPDATE: &str =
    "a lost update is the program's own arithmetic, which no allocation shows; the program prints it";

const DIFFERENCES: &[Difference] = &[
    Difference {
        scenario: "cstring-into-raw",
        variant: "c-frees-it",
        run_only: &["leak"],
        recording_only: &[],
        why: "the lesson's tracker refuses the foreign free, so the block leaks; the plain program's glibc takes it",
    },
    Difference {
        scenario: "ownership-handoff",
        variant: "double-free-unprotected",
        run_only: &["crash"],
        recording_only: &["double_free"],
        why: "a recording refuses the double free before glibc can abort",
    },
    Difference {
        scenario: "threads-shared-resource",
        variant: "unsynchronised",
        run_only: &["lost_update"],
        recording_only: &[],
        why: LOST_UPDATE,
    },
    Difference {
        scenario: "threads-shared-resource",
        variant: "lock-step",
        run_only: &["lost_update"],
        recording_only: &[],
        why: LOST_UPDATE,
    },
];

/// Recorded without `--guard`, against the guarded recording's kinds less
/// what only the guard sees (`GUARDED_KINDS`).
const UNGUARDED_DIFFERENCES: &[Difference] = &[
    Difference {
        scenario: "array-to-slice",
        variant: "slice-after-free",
        run_only: &[],
        recording_only: &["crash"],
        why: "unguarded, the freed block is handed straight back to the copy's Vec, and the debug build's own \
              check of copy_nonoverlapping aborts on the overlap",
    },
    Difference {
        scenario: "null-and-bounds",
        variant: "overflow",
        run_only: &[],
        recording_only: &["heap_overflow"],
        why: "the write past the block's end lands on the canary after it, found when the block is freed",
    },
    Difference {
        scenario: "service-survives",
        variant: "restart-leaks",
        run_only: &["leak"],
        recording_only: &[],
        why: "at exit Rust's stdout keeps stale stack bytes in its padding, a pointer that happens to fall inside \
              the dead worker's block (the blocks sit close together in a slab): a scan that cannot tell \
              padding from a pointer, LeakSanitizer's as well, counts the block reachable",
    },
];

fn difference<'a>(table: &'a [Difference], scenario: &str, variant: &str) -> Option<&'a Difference> {
    table.iter().find(|d| d.scenario == scenario && d.variant == variant)
}

/// What `--guard` catches where it happens: reads and writes out of bounds
/// or after free. Unguarded, a write past a small block's end is seen when
/// the block is freed (its canary), listed in `UNGUARDED_DIFFERENCES`.
const GUARDED_KINDS: &[&str] = &["heap_overflow", "use_after_free"];

fn ffiscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ffiscope"))
}

fn example(scenario: &str) -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ffiscope"));
    bin.parent().expect("the binary's folder").join("examples").join(scenario.replace('-', "_"))
}

fn kinds(report: &Value) -> BTreeSet<String> {
    report["anomalies"].as_array().expect("anomalies").iter().map(|a| a["kind"].as_str().unwrap().to_owned()).collect()
}

fn record(args: &[&str], scenario: &str, variant: &str) -> (Value, Option<i32>, String) {
    let output = ffiscope()
        .arg("record")
        .args(["--json"])
        .args(args)
        .arg("--")
        .arg(example(scenario))
        .arg(variant)
        .output()
        .expect("ffiscope runs");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{scenario} {variant}: {e}\n{}", String::from_utf8_lossy(&output.stderr));
    });
    (report, output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn every_lessons_program_recorded_reports_what_its_lesson_reports() {
    let runs = ffiscope().args(["run", "--all", "--json"]).output().expect("ffiscope runs");
    let runs: Vec<Value> = serde_json::from_slice(&runs.stdout).expect("run --all --json");
    assert!(runs.len() >= 38, "every variant of every lesson: {}", runs.len());
    let mut mismatches = Vec::new();
    for run in &runs {
        let (scenario, variant) = (run["scenario"].as_str().unwrap(), run["variant"].as_str().unwrap());
        let mut expected = kinds(run);
        let mut crashes = run["outcome"] == "crashed";
        if let Some(difference) = difference(DIFFERENCES, scenario, variant) {
            expected.retain(|kind| !difference.run_only.contains(&kind.as_str()));
            expected.extend(difference.recording_only.iter().map(|kind| (*kind).to_owned()));
            crashes &= !difference.run_only.contains(&"crash");
        }
        // Every byte past a block's end faults only at alignment 1.
        let (guarded, code, _) = record(&["--guard", "--guard-align", "1"], scenario, variant);
        if kinds(&guarded) != expected {
            mismatches.push(format!("{scenario} {variant} --guard: {:?}, expected {expected:?}", kinds(&guarded)));
        }
        let expected_code = if crashes { Some(3) } else { Some(0) };
        if code != expected_code || (crashes && guarded["signal"].is_null()) {
            mismatches.push(format!("{scenario} {variant}: exit {code:?} signal {}", guarded["signal"]));
        }
        let (plain, _, _) = record(&[], scenario, variant);
        expected.retain(|kind| !GUARDED_KINDS.contains(&kind.as_str()));
        if let Some(difference) = difference(UNGUARDED_DIFFERENCES, scenario, variant) {
            expected.retain(|kind| !difference.run_only.contains(&kind.as_str()));
            expected.extend(difference.recording_only.iter().map(|kind| (*kind).to_owned()));
        }
        if kinds(&plain) != expected {
            mismatches.push(format!("{scenario} {variant}: {:?}, expected {expected:?}", kinds(&plain)));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn the_lock_step_race_loses_updates_and_says_so_itself() {
    let (report, code, output) = record(&[], "threads-shared-resource", "lock-step");
    assert_eq!(code, Some(0));
    assert!(kinds(&report).is_empty(), "{report}");
    let line = output.lines().find(|line| line.contains("expected")).expect("the program's own count");
    let lost: u64 = line.rsplit('(').next().and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(lost > 0, "{line}");
}

#[test]
fn a_panic_that_cannot_unwind_into_c_is_named_at_the_function_it_tried_to_leave() {
    let (report, code, _) = record(&[], "panic-at-boundary", "no-catch-unwind");
    assert_eq!((code, report["signal"].as_str()), (Some(3), Some("SIGABRT")));
    let anomalies = report["anomalies"].as_array().unwrap();
    let panic = anomalies.iter().find(|a| a["kind"] == "panic").expect("a panic");
    // With its module where it is a function of its own (a debug build), by its own name where inlined.
    assert!(panic["site"].as_str().unwrap().contains("unchecked_callback (panic_at_boundary.rs:"), "{panic}");
    assert!(panic["message"].as_str().unwrap().contains("process_items (callbacks.c:"), "{panic}");
    let crash = anomalies.iter().find(|a| a["kind"] == "crash").expect("a crash");
    assert!(crash["message"].as_str().unwrap().contains("killed by SIGABRT"), "{crash}");
}

#[test]
fn with_stacks_a_rust_leak_is_named_by_the_programs_own_line() {
    let (plain, ..) = record(&[], "cstring-into-raw", "never-reclaimed");
    let (stacked, ..) = record(&["--stack", "16"], "cstring-into-raw", "never-reclaimed");
    let site = |report: &Value| report["anomalies"][0]["site"].as_str().unwrap().to_owned();
    assert!(site(&plain).starts_with("alloc::"), "without stacks, the allocator's line: {}", site(&plain));
    assert!(site(&stacked).contains("main (cstring_into_raw.rs:"), "{}", site(&stacked));
    assert!(stacked["anomalies"][0]["message"].as_str().unwrap().contains("allocated at:"), "{stacked}");
}
