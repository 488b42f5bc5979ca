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
    // The processes to follow: 1 to 256, given with `=` (a bare flag is 32).
    for asked in ["--follow-children=0", "--follow-children=257"] {
        let (code, _, err) = ffiscope(&["record", asked, "--", "true"]);
        assert_eq!(code, 2, "{asked}");
        assert!(err.contains("1..=256"), "{asked}: {err}");
    }
    let (code, _, err) = ffiscope(&["record", "--follow-skip", "cc1", "--", "true"]);
    assert_eq!(code, 2);
    assert!(err.contains("--follow-children"), "skipping asks for following: {err}");
}

fn header(text: &str) -> tempfile_path::TempHeader {
    tempfile_path::TempHeader::new(text)
}

/// A header file that removes itself.
mod tempfile_path {
    pub struct TempHeader(pub std::path::PathBuf);

    impl TempHeader {
        pub fn new(text: &str) -> TempHeader {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("ffiscope-cli-{}-{n}.h", std::process::id()));
            std::fs::write(&path, text).expect("write a header");
            TempHeader(path)
        }

        pub fn arg(&self) -> &str {
            self.0.to_str().expect("a UTF-8 path")
        }
    }

    impl Drop for TempHeader {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn targets_may_be_separated_by_commas() {
    let file = header("struct s { long l; };\n");
    let (code, out, err) = ffiscope(&["layout", file.arg(), "--target", "x86_64-linux-gnu,i686-linux-gnu", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let targets: Vec<&str> =
        report["results"].as_array().unwrap().iter().filter_map(|r| r["target"].as_str()).collect();
    assert_eq!(targets, ["x86_64-linux-gnu", "i686-linux-gnu"]);
}

#[test]
fn layout_json_has_the_documented_shape() {
    let file = header(
        "#include <stdint.h>\ntypedef struct { char a; int64_t b; } pair_t;\nunion u { int i; char c; };\nstruct bits { char k; unsigned r : 3; };\n",
    );
    let (code, out, err) =
        ffiscope(&["layout", file.arg(), "--target", "x86_64-linux-gnu", "--target", "i686-linux-gnu", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["file"], file.arg());
    assert_eq!(report["errors"], serde_json::json!([]));
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["target"], "i686-linux-gnu");
    let pair = &results[1]["types"][0];
    assert_eq!(
        (pair["name"].as_str(), pair["kind"].as_str(), pair["size"].as_u64(), pair["align"].as_u64()),
        (Some("pair_t"), Some("struct"), Some(12), Some(4))
    );
    assert_eq!(pair["padding"], serde_json::json!([{"offset": 1, "size": 3, "kind": "hole"}]));
    assert_eq!(pair["verified"], serde_json::Value::Null, "not asked to verify");
    let field = &pair["fields"][1];
    assert_eq!(
        (field["name"].as_str(), field["type"].as_str(), field["offset"].as_u64()),
        (Some("b"), Some("int64_t"), Some(4))
    );
    assert_eq!(field["bit_offset"], serde_json::Value::Null);
    let bits = &results[0]["types"][2]["fields"][1];
    assert_eq!((bits["bit_offset"].as_u64(), bits["bit_width"].as_u64()), (Some(8), Some(3)));
}

#[test]
fn layout_exit_codes_say_what_happened() {
    let good = header("struct s { char c; double d; };\n");
    let bad = header("struct s { char c; nonsense d; };\n");
    assert_eq!(ffiscope(&["layout", good.arg(), "--target", "x86_64-linux-gnu"]).0, 0);
    let (code, _, err) = ffiscope(&["layout", bad.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 4);
    assert!(err.contains("1:20: unknown type `nonsense`"), "{err}");
    assert!(err.contains("  struct s { char c; nonsense d; };\n                     ^"), "{err}");
    let (code, _, err) = ffiscope(&["layout", good.arg(), "--target", "sparc"]);
    assert_eq!(code, 2);
    assert!(err.contains("Valid targets: x86_64-linux-gnu"), "{err}");
    assert_eq!(ffiscope(&["layout", "/no/such/file.h"]).0, 2);
}

#[test]
fn layout_verify_asks_the_host_compiler() {
    let file = header("struct s { char c; long l; short h[3]; };\n");
    let (code, out, err) = ffiscope(&["layout", file.arg(), "--verify", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let result = &report["results"][0];
    if result["verified_by"].is_null() {
        eprintln!("no host compiler: {}", result["verification_error"]);
        return;
    }
    let verified = &result["types"][0]["verified"];
    assert_eq!(verified["ok"], true);
    assert!(verified["by"].as_str().unwrap().contains("gcc"), "{verified}");
    assert_eq!(verified["mismatches"], serde_json::json!([]));
}

#[test]
fn a_json_report_carries_each_step_with_the_code_it_shows() {
    let (code, out, _) = ffiscope(&["run", "c-string-ownership", "--variant", "leak", "--json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[0]["title"], "C allocates the message");
    assert!(steps[0]["c"].as_str().is_some_and(|c| c.contains("malloc(sizeof MESSAGE)")), "{}", steps[0]);
    assert!(steps[0]["summary"].as_str().is_some_and(|s| s.contains("from `create_message`")), "{}", steps[0]);
    assert!(steps.iter().all(|s| !s["rust"].as_str().unwrap_or_default().is_empty()), "every step shows its Rust");
}

#[test]
fn the_handout_has_every_lesson_variant_and_step() {
    let folder = std::env::temp_dir().join(format!("ffiscope-handout-{}", std::process::id()));
    let (code, out, err) = ffiscope(&["handout", "--out", folder.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Wrote 14 lessons"), "{out}");
    let index = std::fs::read_to_string(folder.join("README.md")).expect("an index");
    for (number, scenario) in ffiscope::scenarios::catalogue().iter().enumerate() {
        let file = format!("{:02}-{}.md", number + 1, scenario.id());
        assert!(index.contains(&format!("]({file})")), "the index links {file}");
        let page = std::fs::read_to_string(folder.join(&file)).expect("a page per lesson");
        for variant in scenario.variants() {
            assert!(page.contains(&format!("## `{}`", variant.name)), "{file}: {}", variant.name);
        }
        assert!(page.contains("### Step 1: "), "{file}");
        assert!(page.contains("**Verdict:**"), "{file}");
    }
    let crash = std::fs::read_to_string(folder.join("07-null-and-bounds.md")).unwrap();
    assert!(crash.contains("the run crashed (SIGSEGV)") && crash.contains("The run did not finish this step."));
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn type_mapping_reports_its_table() {
    let (code, out, _) = ffiscope(&["run", "type-mapping", "--json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let table = &report["table"];
    let columns: Vec<&str> = table["columns"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    for target in
        ["x86_64-linux-gnu", "i686-linux-gnu", "aarch64-linux-gnu", "armv7-linux-gnueabihf", "x86_64-windows-msvc"]
    {
        assert!(columns.contains(&target), "{columns:?}");
    }
    let rows = table["rows"].as_array().unwrap();
    let row = |c_type: &str| rows.iter().find(|r| r[0] == c_type).unwrap_or_else(|| panic!("a row for {c_type}"));
    assert_eq!(row("long")[columns.iter().position(|c| *c == "x86_64-windows-msvc").unwrap()], "4/4");
    assert_eq!(row("unsigned long")[columns.iter().position(|c| *c == "i686-linux-gnu").unwrap()], "4/4");
    assert_eq!(row("char")[columns.iter().position(|c| *c == "aarch64-linux-gnu").unwrap()], "1/1 unsigned");
    assert!(rows.len() >= 27, "signed and unsigned types: {}", rows.len());
}

/// A header named as C code includes it (`sys/stat.h`, `'<sys/epoll.h>'`)
/// is the one each target's compiler finds for `#include <…>`: glibc keeps
/// it in a folder of each architecture's own, never at
/// `/usr/include/sys/stat.h`, whose absence says what to write instead. A
/// name nothing finds says so in those words, and one no `#include` could
/// write is refused.
#[test]
fn layout_and_mirror_take_a_header_by_the_name_an_include_finds_it_by() {
    let (code, out, err) =
        ffiscope(&["layout", "sys/stat.h", "--type", "stat", "--target", "x86_64-linux-gnu", "--verify", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["file"], "<sys/stat.h>");
    let stat = &report["results"][0]["types"][0];
    assert_eq!((stat["name"].as_str(), stat["size"].as_u64()), (Some("struct stat"), Some(144)), "{stat}");
    let declared_in = stat["declared_in"]["file"].as_str().unwrap_or("");
    assert!(declared_in.ends_with("/bits/struct_stat.h"), "found where the compiler finds it: {declared_in}");
    assert_eq!(report["results"][0]["verified_by"].as_str().map(|by| by.contains("gcc")), Some(true), "{report}");

    let (code, out, err) =
        ffiscope(&["layout", "<sys/epoll.h>", "--type", "epoll_event", "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/* size: 12, cachelines: 1, members: 2 */"), "packed on x86-64: {out}");

    let (code, _, err) = ffiscope(&["layout", "sys/no_such_header.h", "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("no header `sys/no_such_header.h` in its own folders or the include folders given it"),
        "{err}"
    );
    let (code, _, err) = ffiscope(&["layout", "/usr/include/sys/stat.h", "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name it so: `sys/stat.h`"), "{err}");
    let (code, _, err) = ffiscope(&["layout", "<>"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no header name an `#include <…>` could write"), "{err}");

    let mirror = header(
        "#[repr(C)]\n#[cfg_attr(target_arch = \"x86_64\", repr(packed))]\n\
         pub struct epoll_event { pub events: u32, pub data: u64 }\n",
    );
    let (code, out, err) = ffiscope(&["mirror", "sys/epoll.h", mirror.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("x86_64-linux-gnu       matches: 12 bytes, aligned to 1"), "{out}");
}

/// A header that expects others included before it (libjpeg's `jpeglib.h`
/// wants `<stdio.h>`) says which header declares the type it stopped at and
/// how to include it first; `--include-first` does, for `layout` and
/// `mirror` alike.
#[test]
fn a_header_expecting_another_first_takes_it_with_include_first() {
    let c = header("#ifndef READER_H\n#define READER_H\nstruct reader { FILE *input; size_t left; };\n#endif\n");
    let (code, _, err) = ffiscope(&["layout", c.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains(&format!("{}:3:17: unknown type name `FILE`", c.arg())), "{err}");
    assert!(err.contains("hint: a header that expects others included before it takes them with `--include-first`: `--include-first stdio.h`"), "{err}");
    let first = ["--target", "x86_64-linux-gnu", "--include-first", "<stdio.h>"];
    let (code, out, err) = ffiscope(&[&["layout", c.arg(), "--verify"][..], &first].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(verified by") && out.contains("/* size: 16, cachelines: 1, members: 2 */"), "{out}");
    assert!(!err.contains("hint:"), "{err}");

    let mirror = header("#[repr(C)]\npub struct reader { pub input: *mut core::ffi::c_void, pub left: usize }\n");
    let (code, _, err) = ffiscope(&["mirror", c.arg(), mirror.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("`--include-first stdio.h`"), "{err}");
    let (code, out, err) = ffiscope(&[&["mirror", c.arg(), mirror.arg()][..], &first].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("x86_64-linux-gnu       matches: 16 bytes, aligned to 8"), "{out}");

    let (code, _, err) = ffiscope(&["layout", c.arg(), "--include-first", "<>"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`<>` is no header name an `#include <…>` could write"), "{err}");
}

#[test]
fn mirror_says_what_differs_and_exits_for_ci() {
    let c = header("struct record { long flags; char tag; int count; };\n");
    let right = header(
        "#[repr(C)]\npub struct record { pub flags: core::ffi::c_long, pub tag: core::ffi::c_char, pub count: i32 }\n",
    );
    let (code, out, err) = ffiscope(&["mirror", c.arg(), right.arg()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches(" matches: ").count(), 5, "all five targets by default: {out}");

    let wrong =
        header("#[repr(C)]\npub struct record { pub flags: i64, pub tag: core::ffi::c_char, pub count: i32 }\n");
    let (code, out, _) = ffiscope(&["mirror", c.arg(), wrong.arg()]);
    assert_eq!(code, 1, "a mismatch fails the build: {out}");
    assert!(out.contains("`flags`: 4 bytes in C on x86_64-windows-msvc (`long`), 8 in Rust (`i64`)"), "{out}");
    assert!(out.contains("x86_64-linux-gnu       matches"), "{out}");

    let (code, out, _) = ffiscope(&["mirror", c.arg(), wrong.arg(), "--json", "--target", "i686-linux-gnu"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let on = &report["pairs"][0]["targets"][0];
    assert_eq!((on["target"].as_str(), on["standing"].as_str()), (Some("i686-linux-gnu"), Some("differs")));
    assert_eq!(on["differences"][0]["kind"], "field_size");
    assert!(report["rust_guards"].as_str().unwrap().contains("const _: () = {"));

    let (code, guards, _) = ffiscope(&["mirror", c.arg(), right.arg(), "--guards", "c"]);
    assert_eq!(code, 0);
    assert!(guards.contains("_Static_assert(offsetof(struct record, count) == 8, "), "{guards}");
    assert!(guards.contains("#if defined(_M_X64)"), "{guards}");

    let broken = header("#[repr(C)]\npub struct record { pub flags: i64,, }\n");
    let (code, _, err) = ffiscope(&["mirror", c.arg(), broken.arg()]);
    assert_eq!(code, 4);
    assert!(err.contains(&format!("{}:2:", broken.arg())), "names the file and line: {err}");
    assert_eq!(ffiscope(&["mirror", c.arg(), "/no/such/mirror.rs"]).0, 2);
}

/// A header's `gcc -E -P` output uses no preprocessor, and holds GNU C the
/// lab's own reader does not read (`__builtin_va_list`, `sizeof` in a
/// bound, `__extension__` before a typedef): the compilers read it instead,
/// and the type is laid out and verified. A typo is still said by the own
/// reader, which names the standard types without their headers.
#[test]
fn preprocessed_output_is_read_through_the_compilers() {
    let c = header(
        "typedef __builtin_va_list __gnuc_va_list;\n\
         extern int printf (const char *__restrict __format, ...);\n\
         __extension__ typedef struct { long long int quot; long long int rem; } lldiv_t;\n\
         struct buf { char data[sizeof(long) * 2]; __gnuc_va_list ap; lldiv_t d; };\n\
         static __inline int twice (int x) { return x * 2; }\n",
    );
    let (code, out, err) = ffiscope(&["layout", c.arg(), "--target", "x86_64-linux-gnu", "--verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(verified by") && out.contains("struct buf {"), "{out}");
    assert!(out.contains("__gnuc_va_list ap;") && out.contains("/* size: 56,"), "{out}");
    let typo = header("struct s { size_t n; strcut x y; };\n");
    let (code, _, err) = ffiscope(&["layout", typo.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 4);
    assert!(err.contains(":1:22: unknown type `strcut`"), "{err}");
}

/// A struct whose body the header's reader could not read is no opaque
/// handle: its mirror says the header has errors, and the check fails.
#[test]
fn a_mirror_of_a_type_the_header_could_not_read_fails_and_says_why() {
    let c = header(
        "#include <stdint.h>\nstruct a { int32_t x; };\nstruct b { int y __attribute__((vector_size(nothing))); };\n",
    );
    let mirror = header("#[repr(C)]\npub struct a { pub x: i32 }\n#[repr(C)]\npub struct b { pub y: i32 }\n");
    let (code, out, err) = ffiscope(&["mirror", c.arg(), mirror.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(out.contains("struct a <- a"), "{out}");
    assert!(out.contains("b: no C type of that name was read: the header has errors, below"), "{out}");
    assert!(!out.contains("opaque handle"), "{out}");
    assert!(err.contains(":3:45: `nothing` is not a constant this header declares"), "{err}");
}

/// A target that cannot preprocess the header at all (Windows, whose
/// SDK is not installed, and glibc's `string.h`) reads none of it: a
/// mirror's type the other targets read the whole header without finding
/// is no C type of that name, not one the errors may have hidden.
#[test]
fn a_target_that_read_nothing_does_not_hide_a_mirrors_missing_type() {
    let c = header("#include <string.h>\nstruct a { int x; };\n");
    let mirror = header("#[repr(C)]\npub struct a { pub x: i32 }\n#[repr(C)]\npub struct extra { pub y: i32 }\n");
    let targets = ["--target", "x86_64-linux-gnu", "--target", "x86_64-windows-msvc"];
    let (code, out, err) = ffiscope(&[&["mirror", c.arg(), mirror.arg()][..], &targets].concat());
    assert!(err.contains("x86_64-windows-msvc: clang"), "{err}");
    assert!(out.contains("extra: no C type of that name on any target; pair it with"), "{out}");
    assert_eq!(code, 0, "{out}{err}");
}

/// `--type` checks only the pairs it names, by the mirror's name, the C
/// type's or its bare tag; the exit code speaks of those alone, and a name
/// that picks out nothing is a usage error that says so.
#[test]
fn mirror_checks_only_the_types_named() {
    let c = header(
        "struct stream_s { long total; int state; };\ntypedef struct stream_s stream;\n\
         struct header_s { int flags; };\nstruct handle;\n",
    );
    let mirror = header(
        "#[repr(C)]\npub struct stream { pub total: i64, pub state: i32 }\n\
         #[repr(C)]\npub struct header_s { pub flags: i32 }\n\
         #[repr(C)]\npub struct handle { _data: [u8; 0] }\n\
         #[repr(C)]\npub struct helper { pub x: u8 }\n",
    );
    let check = |types: &[&str]| {
        let picks = types.iter().flat_map(|t| ["--type", t]);
        let args: Vec<&str> = ["mirror", c.arg(), mirror.arg()].into_iter().chain(picks).collect();
        ffiscope(&args)
    };
    let (code, out, _) = check(&[]);
    assert_eq!(code, 1, "`i64` for `long` differs on Windows and 32-bit ARM and x86: {out}");
    assert!(out.contains("struct header_s <- header_s") && out.contains("helper: no C type"), "{out}");

    for by in ["header_s", "struct header_s"] {
        let (code, out, err) = check(&[by]);
        assert_eq!(code, 0, "the stream's difference is not asked about: {out}{err}");
        assert!(out.contains("struct header_s <- header_s"), "{out}");
        assert!(!out.contains("stream") && !out.contains("helper") && !out.contains("handle"), "{out}");
    }
    for by in ["stream", "stream_s", "struct stream_s"] {
        let (code, out, _) = check(&[by]);
        assert_eq!(code, 1, "{by}: {out}");
        assert!(out.contains("struct stream_s <- stream") && !out.contains("header_s"), "{by}: {out}");
    }
    let (code, out, _) = check(&["handle", "helper"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("`handle` mirrors `struct handle`") && out.contains("helper: no C type"), "{out}");

    let (code, _, err) = check(&["header_s", "z_stream"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "no Rust type, constant or function of the mirror is named `z_stream` or mirrors a C one of that name"
        ),
        "{err}"
    );
}

/// Several files are one crate's modules, read as one: a type one names is
/// found in another, each pair says the file it is written in, and an
/// error says its own file and line.
#[test]
fn mirror_reads_several_files_as_one_crate() {
    let c =
        header("struct event_data { long serial; int code; };\nunion event { int type; struct event_data data; };\n");
    let events =
        header("use super::data::event_data;\n#[repr(C)]\npub union event { pub type_: i32, pub data: event_data }\n");
    let data = header("\n\n#[repr(C)]\npub struct event_data { pub serial: i64, pub code: i32 }\n");
    let (code, out, err) = ffiscope(&["mirror", c.arg(), events.arg(), "--target", "x86_64-windows-msvc"]);
    assert_eq!(code, 0, "alone, `event_data` is taken from C: {out}{err}");
    assert!(out.contains("`event_data` is not declared in the mirror"), "{out}");

    let (code, out, _) = ffiscope(&["mirror", c.arg(), events.arg(), data.arg(), "--target", "x86_64-windows-msvc"]);
    assert_eq!(code, 1, "the second file's `i64` for `long` is wrong on Windows: {out}");
    assert!(out.contains(&format!("union event <- event ({}:2)", events.arg())), "{out}");
    assert!(out.contains(&format!("struct event_data <- event_data ({}:3)", data.arg())), "{out}");
    assert!(out.contains("`serial`: 4 bytes in C on x86_64-windows-msvc (`long`), 8 in Rust (`i64`)"), "{out}");

    let broken = header("#[repr(C)]\npub struct event_data { pub serial: i64,, }\n");
    let (code, _, err) = ffiscope(&["mirror", c.arg(), events.arg(), broken.arg()]);
    assert_eq!(code, 4);
    assert!(err.contains(&format!("{}:2:", broken.arg())), "names the file and line: {err}");
}

/// A constant the mirror repeats from C is checked too: where it differs,
/// on which targets and in which file, exit 1; the ones that agree are
/// counted; `--type` picks constants by name as it picks types.
#[test]
fn mirror_checks_the_constants_it_repeats_from_c() {
    let c = header("#define LEVEL_MAX 9\nenum mode { MODE_A = 1, MODE_B };\nstruct record { int level; };\n");
    let right = header(
        "#[repr(C)]\npub struct record { pub level: i32 }\npub const LEVEL_MAX: i32 = 9;\n\
         #[repr(C)]\npub enum mode { MODE_A = 1, MODE_B }\n",
    );
    let (code, out, err) = ffiscope(&["mirror", c.arg(), right.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 constants agree with C's value wherever both are defined"), "{out}");

    let wrong = header("#[repr(C)]\npub struct record { pub level: i32 }\n\npub const LEVEL_MAX: i32 = 10;\n");
    let (code, out, _) = ffiscope(&["mirror", c.arg(), wrong.arg()]);
    assert_eq!(code, 1, "a wrong constant fails the build: {out}");
    assert!(
        out.contains(&format!(
            "LEVEL_MAX ({}:4)\n  every target           differs: 10 in Rust (`i32`), 9 in C",
            wrong.arg()
        )),
        "{out}"
    );

    let (code, out, _) = ffiscope(&["mirror", c.arg(), wrong.arg(), "--json", "--type", "LEVEL_MAX"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["pairs"].as_array().map(Vec::len), Some(0), "only the constant named");
    let on = &report["constants"][0]["targets"][0];
    assert_eq!((on["standing"].as_str(), on["rust"].as_i64(), on["c"].as_i64()), (Some("differs"), Some(10), Some(9)));

    // With `--verify`, the compiler confirms C's values.
    let (code, out, _) = ffiscope(&["mirror", c.arg(), right.arg(), "--target", "x86_64-linux-gnu", "--verify"]);
    assert_eq!(code, 0, "{out}");
    if out.contains("C verified by") {
        assert!(
            out.contains("3 constants agree with C's value wherever both are defined; C's values confirmed by "),
            "{out}"
        );
    }
}

/// `--cfg` sets a cfg in the mirror as its crate's build script would
/// (openssl-sys's `ossl300`): the fields under it are laid out, and
/// `key="value"` pairs too; a predicate is a usage error.
#[test]
fn mirror_takes_the_cfgs_a_build_script_would_set() {
    let c = header("struct ctx { int flags; void *db; void *issuer_pkey; };\n");
    let mirror = header(
        "#[repr(C)]\npub struct ctx { flags: i32, db: *mut u8,\n\
         #[cfg(all(ossl300, not(conf = \"NO_PKEY\")))] issuer_pkey: *mut u8 }\n",
    );
    let check = |set: &[&str]| {
        ffiscope(&[&["mirror", c.arg(), mirror.arg(), "--target", "x86_64-linux-gnu"][..], set].concat())
    };
    let (code, out, _) = check(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("`issuer_pkey`: in C on x86_64-linux-gnu at offset 16"), "{out}");
    let (code, out, err) = check(&["--cfg", "ossl300"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = check(&["--cfg", "ossl300", "--cfg", "conf=\"NO_PKEY\""]);
    assert_eq!(code, 1, "a `key=\"value\"` pair is set too: {out}");
    let (code, _, err) = check(&["--cfg", "any(ossl300)"]);
    assert_eq!(code, 2);
    assert!(err.contains("a cfg to set is a name or `name=\"value\"`"), "{err}");
}

/// `--type` picks a type by its own name, its bare tag or a typedef's, in a header that
/// uses the preprocessor and in one that does not; a name that picks out no
/// type with a layout is a usage error that says why. A member whose type is
/// a typedef of a pointer is listed as written, not as a pointer to it.
#[test]
fn layout_types_are_picked_by_their_names_or_typedefs() {
    let preprocessed = header(
        "#define N 2\ntypedef void *handle;\ntypedef handle (*make_fn)(unsigned);\nstruct hidden;\n\
         typedef struct session_s { make_fn make; handle opaque; handle *slots; char *name;\n\
         int (*compare)(const void *, const void *); handle pair[N]; char *names[3]; } session;\n\
         struct other { int x; };\n",
    );
    let (code, out, err) =
        ffiscope(&["layout", preprocessed.arg(), "--target", "x86_64-linux-gnu", "--type", "session"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("struct session_s {") && !out.contains("struct other"), "{out}");
    let members: Vec<&str> = out.lines().filter_map(|line| line.trim().split(';').next()).collect();
    for member in [
        "make_fn make",
        "handle opaque",
        "handle *slots",
        "char *name",
        "int (*compare)(…)",
        "handle pair[2]",
        "char *names[3]",
    ] {
        assert!(members.contains(&member), "`{member}` in {out}");
    }
    let (code, out, err) = ffiscope(&[
        "layout",
        preprocessed.arg(),
        "--target",
        "x86_64-linux-gnu",
        "--type",
        "session",
        "--type",
        "sesion",
        "--type",
        "struct hidden",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("struct session_s {"), "what was found is still shown: {out}");
    assert!(err.contains("no struct, union or typedef of one is named `sesion`"), "{err}");
    assert!(err.contains("`struct hidden` is declared but never defined"), "{err}");

    // A bare tag, as pahole's `-C` takes it.
    let (code, out, err) = ffiscope(&[
        "layout",
        preprocessed.arg(),
        "--target",
        "x86_64-linux-gnu",
        "--type",
        "other",
        "--type",
        "hidden",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("struct other {") && !out.contains("struct session_s"), "{out}");
    assert!(err.contains("`hidden` is `struct hidden`, declared but never defined"), "{err}");

    // The lab's own reader, for a header without the preprocessor.
    let plain = header(
        "typedef struct point_s { int x, y; int (*compare)(const void *, const void *); void (*handlers[4])(int); } point;\n\
         struct other { char c; };\n",
    );
    let (code, out, err) = ffiscope(&["layout", plain.arg(), "--target", "x86_64-linux-gnu", "--type", "point"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("struct point_s {") && !out.contains("struct other"), "{out}");
    let (code, bare, err) = ffiscope(&["layout", plain.arg(), "--target", "x86_64-linux-gnu", "--type", "point_s"]);
    assert_eq!((code, &bare), (0, &out), "{err}");
    let members: Vec<&str> = out.lines().filter_map(|line| line.trim().split(';').next()).collect();
    for member in ["int (*compare)(…)", "void (*handlers[4])(…)"] {
        assert!(members.contains(&member), "`{member}` in {out}");
    }
    let (code, _, err) = ffiscope(&["layout", plain.arg(), "--target", "x86_64-linux-gnu", "--type", "pont"]);
    assert_eq!(code, 2);
    assert!(err.contains("no struct, union or typedef of one is named `pont`"), "{err}");
}

/// A binding's functions are checked against C's prototypes: each that
/// differs prints both signatures and how, exit 1; `--json` has them under
/// `functions`; functions written with a macro another file of the crate
/// defines are read as that macro writes them.
#[test]
fn mirror_checks_a_bindings_functions_against_cs_prototypes() {
    let c = header(
        "struct s { int a; };\nunsigned long sum(const struct s *items, unsigned int count);\nvoid reset(void);\n",
    );
    let macros = header(
        "macro_rules! link {\n    ($(pub fn $name:ident($($arg:ident: $t:ty),*) -> $ret:ty,)*) => {\n        \
         extern \"C\" { $(pub fn $name($($arg: $t),*) -> $ret;)* }\n    };\n}\n",
    );
    let binding = header(
        "#[repr(C)]\npub struct s { pub a: i32 }\nlink! {\n    pub fn sum(items: *const s, count: u64) -> u64,\n    \
         pub fn reset() -> (),\n}\n",
    );
    let (code, out, err) = ffiscope(&["mirror", c.arg(), binding.arg(), macros.arg(), "--target", "x86_64-linux-gnu"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!(
            "sum() ({}:3)\n  C:    unsigned long sum(const struct s *items, unsigned int count)  ({}:2)\n  \
             Rust: fn sum(items: *const s, count: u64) -> u64\n  x86_64-linux-gnu       differs: parameter 2 `count`: \
             C takes `unsigned int`, unsigned 32-bit integer; the binding passes `u64`, unsigned 64-bit integer",
            binding.arg(),
            c.arg()
        )),
        "{out}"
    );
    assert!(out.contains("1 function agrees with C's prototypes wherever both declare them"), "{out}");

    let (code, out, _) = ffiscope(&["mirror", c.arg(), binding.arg(), "--target", "x86_64-linux-gnu", "--json"]);
    assert_eq!(code, 0, "without the macro's file, no function is read: {out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert!(report.get("functions").is_none(), "{out}");

    let (_, out, _) =
        ffiscope(&["mirror", c.arg(), binding.arg(), macros.arg(), "--target", "i686-linux-gnu", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let sum = &report["functions"]["pairs"][0];
    assert_eq!(sum["c"].as_str(), Some("sum"));
    let on = &sum["targets"][0];
    assert_eq!(on["standing"].as_str(), Some("differs"), "{sum}");
    assert_eq!(on["differences"].as_array().map(Vec::len), Some(2), "`u64` is wider than `unsigned long` here: {on}");

    let picked = ["mirror", c.arg(), binding.arg(), macros.arg(), "--target", "x86_64-linux-gnu", "--type", "reset"];
    let (code, out, err) = ffiscope(&picked);
    assert_eq!(code, 0, "`--type` picks a function by name, and `reset` agrees: {out}{err}");
    assert!(out.contains("1 function agrees") && !out.contains("sum()"), "{out}");
}

/// A library crate's macros as dlib writes them: a `|`-separated
/// repetition, a rule forwarding to its other rule and to another macro
/// through `$crate::`, one expansion per feature under `#[cfg]`.
const DLIB_LIKE: &str = r#"
#[macro_export]
macro_rules! link_external_library(
    ($link: expr,
        $(functions: $($(#[$fattr:meta])* fn $fname: ident($($farg: ty),*) -> $fret:ty),+,)|*
    ) => (
        #[link(name = $link)]
        extern "C" { $($( $(#[$fattr])* pub fn $fname($(_: $farg),*) -> $fret; )+)* }
    );
);
#[macro_export]
macro_rules! dlopen_external_library(
    ($structname: ident,
        $(functions: $($(#[$fattr:meta])* fn $fname: ident($($farg: ty),*) -> $fret:ty),+,)|*
    ) => (
        pub struct $structname { $($( $(#[$fattr])* pub $fname: unsafe extern "C" fn($($farg),*) -> $fret, )+)* }
    );
);
#[macro_export]
macro_rules! external_library(
    (feature=$feature: expr, $structname: ident, $link: expr,
        $(functions: $($(#[$fattr:meta])* fn $fname: ident($($farg: ty),*) -> $fret:ty),+,)|*
    ) => (
        #[cfg(feature = $feature)]
        $crate::dlopen_external_library!($structname, $(functions: $($(#[$fattr])* fn $fname($($farg),*) -> $fret),+,)|*);
        #[cfg(not(feature = $feature))]
        $crate::link_external_library!($link, $(functions: $($(#[$fattr])* fn $fname($($farg),*) -> $fret),+,)|*);
    );
    ($structname: ident, $link: expr,
        $(functions: $($(#[$fattr:meta])* fn $fname: ident($($farg: ty),*) -> $fret:ty),+,)|*
    ) => (
        $crate::external_library!(feature="dlopen", $structname, $link,
            $(functions: $($(#[$fattr])* fn $fname($($farg),*) -> $fret),+,)|*);
    );
);
"#;

#[test]
fn mirror_reads_functions_a_library_crates_macros_declare() {
    let c = header("#include <stddef.h>\nvoid *grow(size_t size, unsigned long *used);\nint count(void);\n");
    let library = header(DLIB_LIKE);
    let binding = header(
        "use std::os::raw::{c_int, c_void};\n\
         #[cfg(feature = \"client\")]\n\
         dlib::external_library!(Client, \"client\",\n    functions:\n        \
         fn grow(usize, *mut u32) -> (),\n        fn count() -> c_int,\n);\n",
    );
    let on_x86_64 = ["--target", "x86_64-linux-gnu"];
    let (code, out, err) = ffiscope(&[&["mirror", c.arg(), binding.arg(), library.arg()][..], &on_x86_64].concat());
    assert_eq!(code, 0, "the invocation's cfg is not set: {out}{err}");
    assert!(out.contains("2 functions of the binding cfg'd out on every target"), "{out}");

    let with_feature = ["--cfg", "feature=\"client\""];
    let args = [&["mirror", c.arg(), binding.arg(), library.arg()][..], &on_x86_64, &with_feature].concat();
    let (code, out, err) = ffiscope(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("1 function agrees"), "`count` through three expansions: {out}");
    assert!(out.contains("returns: C gives back `void *`, pointer; the binding declares nothing comes back"), "{out}");
    assert!(
        out.contains(
            "parameter 2 `used`: C's `unsigned long *` points at an unsigned 64-bit integer; the binding's `*mut u32` \
             at an unsigned 32-bit integer: a value there is 8 bytes to C and 4 to the binding"
        ),
        "{out}"
    );
    assert!(!out.contains("Client"), "the struct for `dlopen`, set on no target, mirrors nothing: {out}");
}
