//! Compiles the C sources in `csrc/` into two static libraries: the tracker
//! and the app's own C, and the lessons' C halves, which log the functions
//! they enter.
//! Every file is listed by name so a stray file never slips into the build.

/// The tracker and the app's own C.
const C_SOURCES: &[&str] = &[
    "csrc/tracker.c",
    "csrc/tracker_drain.c",
    "csrc/tracker_poison.c",
    "csrc/tracker_sites.c",
    "csrc/tracker_slabs.c",
    "csrc/record_reader.c",
    "csrc/call_log.c",
    "csrc/demo.c",
    "csrc/bench_loops.c",
    "csrc/layouts.c",
];

/// The lessons' C halves, compiled to log the functions they enter
/// (`csrc/call_log.c`), so tests can check a step highlights code it ran.
const LESSON_SOURCES: &[&str] = &[
    "csrc/scenarios/alignment.c",
    "csrc/scenarios/arena.c",
    "csrc/scenarios/arrays.c",
    "csrc/scenarios/bounds.c",
    "csrc/scenarios/buffers.c",
    "csrc/scenarios/callbacks.c",
    "csrc/scenarios/counter.c",
    "csrc/scenarios/handoff.c",
    "csrc/scenarios/messages.c",
    "csrc/scenarios/requests.c",
    "csrc/scenarios/service.c",
    "csrc/scenarios/strings.c",
    "csrc/scenarios/types.c",
];

/// The library `ffiscope record` preloads into a program: the tracker, built
/// again as position-independent code, and the functions that replace the C
/// library's allocator.
const RECORD_SOURCES: &[&str] = &[
    "csrc/record/caller.c",
    "csrc/record/claim.c",
    "csrc/record/fault_guard.c",
    "csrc/record/guard.c",
    "csrc/record/interpose.c",
    "csrc/record/mappings.c",
    "csrc/record/reach.c",
    "csrc/record/signal_stack.c",
    "csrc/record/stacks.c",
    "csrc/record/unrecorded.c",
    "csrc/record/unwind.c",
    "csrc/tracker.c",
    "csrc/tracker_drain.c",
    "csrc/tracker_poison.c",
    "csrc/tracker_sites.c",
    "csrc/tracker_slabs.c",
];

/// Code generation for the tracker, whose allocation and free run on every
/// event: GCC's -O2 packs neighbouring counter updates (a count and its
/// bytes) into vector adds that take several times the instructions of two
/// plain ones, and with debug info cc keeps frame pointers, which cost every
/// call a register and three instructions (its frames unwind by their
/// tables, `.eh_frame`, all the same).
fn tune_for_the_fast_path(build: &mut cc::Build) {
    build.flag_if_supported("-fno-tree-slp-vectorize").force_frame_pointer(false);
}

/// Links `RECORD_SOURCES` into `$OUT_DIR/libffiscope_record.so`. `cc` makes
/// static archives only, so its compiler is run here with `-shared`.
fn build_record_library() {
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut build = cc::Build::new();
    build.opt_level(2).pic(true);
    tune_for_the_fast_path(&mut build);
    let compiler = build.get_compiler();
    let output = out_dir.join("libffiscope_record.so");
    let status = compiler
        .to_command()
        .args(["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-shared"])
        // Initial-exec TLS: the general model may allocate, inside malloc.
        .args(["-ftls-model=initial-exec", "-fvisibility=hidden", "-Icsrc/include", "-Icsrc"])
        .args(RECORD_SOURCES)
        .arg("-o")
        .arg(&output)
        .args(["-ldl", "-pthread"])
        .status()
        .expect("the C compiler runs");
    assert!(status.success(), "building {} failed", output.display());
    for source in RECORD_SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    println!("cargo:rerun-if-changed=csrc/record/record_channel.h");
    for header in [
        "caller.h",
        "claim.h",
        "fault_guard.h",
        "guard.h",
        "mappings.h",
        "reach.h",
        "signal_stack.h",
        "stacks.h",
        "unrecorded.h",
        "unwind.h",
    ] {
        println!("cargo:rerun-if-changed=csrc/record/{header}");
    }
}

/// The same lessons' C built plain, as a learner builds it: the C library's
/// malloc and free, no tracker. Linked into `examples/` only, which
/// `ffiscope record` then records as it would any program.
fn build_plain_lessons(mut build: cc::Build) {
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    build.define("FFISCOPE_PLAIN_ALLOC", None).debug(true).cargo_metadata(false).compile("ffiscope_lessons_plain");
    let archive = out_dir.join("libffiscope_lessons_plain.a");
    println!("cargo:rustc-link-arg-examples={}", archive.display());
    println!("cargo:rustc-link-arg-examples=-lpthread");
}

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let build = |sources: &[&str]| {
        let mut build = cc::Build::new();
        build
            .files(sources)
            .include("csrc/include")
            .std("c11")
            .opt_level(2)
            .warnings(true)
            .extra_warnings(true)
            .warnings_into_errors(true);
        if target_os == "linux" {
            build.define("_GNU_SOURCE", None);
            // These objects only ever join executables, which Rust links as
            // position-independent executables: -fPIE lets the compiler reach
            // the tracker's globals and thread-locals directly, where -fPIC
            // goes through the GOT (about 20 instructions of a tracked pair,
            // BENCHMARKS.md).
            build.pic(false).flag("-fPIE");
        }
        build
    };
    build(LESSON_SOURCES).flag("-finstrument-functions").compile("ffiscope_lessons");
    build_plain_lessons(build(LESSON_SOURCES));
    let mut tracker = build(C_SOURCES);
    tune_for_the_fast_path(&mut tracker);
    tracker.compile("ffiscope_c");
    if target_os == "linux" {
        println!("cargo:rustc-link-lib=pthread");
        build_record_library();
    }
    println!("cargo:rerun-if-changed=csrc/include/ffiscope.h");
    println!("cargo:rerun-if-changed=csrc/tracker_shard.h");
    println!("cargo:rerun-if-changed=csrc/scenarios/lesson_alloc.h");
    for source in C_SOURCES.iter().chain(LESSON_SOURCES) {
        println!("cargo:rerun-if-changed={source}");
    }
    // Tests name the functions a step ran (dladdr needs them exported).
    println!("cargo:rustc-link-arg-tests=-rdynamic");
}
