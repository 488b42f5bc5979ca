//! The headless command line: listing, running, the JSON shape, exit codes.

use std::process::Command;

fn ffiscope(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ffiscope")).args(args).output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn scenarios_json_lists_ids_and_variants() {
    let (code, out, _) = ffiscope(&["scenarios", "--json"]);
    assert_eq!(code, 0);
    let listing: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let first = &listing[0];
    assert_eq!(first["id"], "c-string-ownership");
    assert_eq!(first["variants"], serde_json::json!(["correct", "leak"]));
    assert!(first["title"].is_string() && first["lesson"].is_string());
}

#[test]
fn run_json_has_the_stable_shape() {
    let (code, out, _) = ffiscope(&["run", "c-string-ownership", "--variant", "leak", "--json"]);
    assert_eq!(code, 0, "anomalies are findings, not failures");
    let report: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let keys: Vec<&str> = report.as_object().unwrap().keys().map(String::as_str).collect();
    for key in
        ["scenario", "variant", "steps_run", "outcome", "signal", "c_heap", "rust_heap", "dropped_events", "anomalies"]
    {
        assert!(keys.contains(&key), "missing {key} in {keys:?}");
    }
    assert_eq!(report["outcome"], "completed");
    assert_eq!(report["signal"], serde_json::Value::Null);
    for heap in ["c_heap", "rust_heap"] {
        for field in ["allocations", "frees", "live_blocks", "live_bytes", "peak_bytes"] {
            assert!(report[heap][field].is_u64(), "{heap}.{field}");
        }
    }
    let anomalies = report["anomalies"].as_array().unwrap();
    assert_eq!(anomalies.len(), 1);
    let leak = &anomalies[0];
    assert_eq!(
        (leak["kind"].as_str(), leak["domain"].as_str(), leak["site"].as_str(), leak["bytes"].as_u64()),
        (Some("leak"), Some("c"), Some("create_message"), Some(20))
    );
    assert_eq!(leak["step"], 0);
    assert!(leak["message"].as_str().unwrap().contains("create_message"));
}

#[test]
fn correct_variant_ends_clean() {
    let (code, out, _) = ffiscope(&["run", "c-string-ownership", "--json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["c_heap"]["live_blocks"], 0);
    assert_eq!(report["rust_heap"]["live_blocks"], 0);
    assert_eq!(report["c_heap"]["peak_bytes"], 20);
    assert_eq!(report["anomalies"], serde_json::json!([]));
}

#[test]
fn unknown_ids_variants_and_flags_are_usage_errors() {
    let (code, _, err) = ffiscope(&["run", "no-such-scenario"]);
    assert_eq!(code, 2);
    assert!(err.contains("Valid ids: c-string-ownership"), "{err}");
    let (code, _, err) = ffiscope(&["run", "c-string-ownership", "--variant", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("Valid variants: correct, leak"), "{err}");
    let (code, _, err) = ffiscope(&["run", "--frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("--frobnicate"), "{err}");
}
