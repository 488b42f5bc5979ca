//! The fourteenth lesson, headless: what each recovery strategy costs in
//! requests and blocks, and that the worker is a real process that really
//! crashes while the service, this very process, lives on.

use std::path::Path;

use ffiscope::report::{Outcome, Report};
use ffiscope::scenarios::runner::Runner;
use ffiscope::scenarios::{RunOptions, find};
use ffiscope::track::AnomalyKind;

fn run(variant: &str) -> Report {
    let scenario = find("service-survives").expect("the lesson is in the catalogue");
    Runner::new(scenario.as_ref(), variant, RunOptions::default()).run_to_end()
}

/// (planned, served, degraded, failed, lost)
fn requests(report: &Report) -> [u64; 5] {
    ["requests_planned", "requests_served", "requests_degraded", "requests_failed", "requests_lost"]
        .map(|name| report.tallies.get(name).copied().unwrap_or_else(|| panic!("no {name} in\n{report}")))
}

#[test]
fn a_worker_really_crashes_in_its_own_process_and_the_service_survives() {
    let report = run("isolated-worker");
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(requests(&report), [10, 9, 1, 0, 0], "every request answered, one from the cache");
    let crash = report.anomalies.iter().find(|a| a.kind == AnomalyKind::WorkerCrash).expect("the worker's crash");
    assert!(crash.message.contains("killed by SIGSEGV on request 5"), "{}", crash.message);
    let pids: Vec<u32> = crash
        .message
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .filter(|&n| n > 10)
        .collect();
    let (dead, replacement) = (pids[0], pids[1]);
    assert_ne!(dead, std::process::id(), "the worker is another process");
    assert_ne!(dead, replacement, "a new process took its place");
    for pid in [dead, replacement] {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "process {pid} was reaped");
    }
    assert_eq!((report.c_heap.live_blocks, report.rust_heap.live_blocks), (0, 0), "nothing leaked:\n{report}");
    // And this process, the service, is still here to check.
}

#[test]
fn a_restart_that_forgets_the_dead_worker_leaks_its_block() {
    let report = run("restart-leaks");
    assert_eq!(requests(&report), [10, 9, 1, 0, 0]);
    let leak = report.anomalies.iter().find(|a| a.kind == AnomalyKind::Leak).expect("a leak");
    assert_eq!((leak.site.as_str(), report.c_heap.live_blocks), ("worker_start", 1));
    assert!(leak.message.contains("worker_stop"), "the remedy is named: {}", leak.message);
}

#[test]
fn a_panic_caught_at_the_boundary_costs_one_error_answer() {
    let report = run("panic-recovered");
    assert_eq!(requests(&report), [10, 9, 0, 1, 0]);
    assert_eq!(report.anomalies, [], "{report}");
    assert!(report.c_heap.allocations >= 10, "C copied every line, and freed every copy:\n{report}");
    assert_eq!(report.c_heap.live_blocks, 0);
}

#[test]
fn in_process_the_fault_takes_the_service_down_at_request_5() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ffiscope"))
        .args(["run", "service-survives", "--variant", "in-process", "--json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Report = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report.signal.as_deref(), Some("SIGSEGV"));
    assert_eq!(requests(&report), [10, 4, 0, 0, 6], "requests 5 to 10 were lost");
    let crash = report.anomalies.iter().find(|a| a.kind == AnomalyKind::Crash).expect("a crash");
    assert!(crash.message.contains("Request 5: a line with no path"), "{}", crash.message);
}

#[test]
fn every_variant_has_its_own_story() {
    let scenario = find("service-survives").unwrap();
    let mut request_5 = Vec::new();
    for variant in scenario.variants() {
        let run = scenario.start(variant.name, RunOptions::default());
        request_5.push((run.steps()[2].explanation, run.steps()[2].rust, run.steps()[2].c));
    }
    for (index, step) in request_5.iter().enumerate() {
        assert!(!request_5[..index].contains(step), "two variants tell request 5 the same way: {step:?}");
    }
    assert_eq!(scenario.default_variant(), "panic-recovered", "it opens on a variant that does not crash");
}
