//! Compiles the instrumented C sources in `csrc/` into one static library.
//! Every file is listed by name so a stray file never slips into the build.

const C_SOURCES: &[&str] = &[
    "csrc/tracker.c",
    "csrc/tracker_drain.c",
    "csrc/demo.c",
    "csrc/bench_loops.c",
    "csrc/layouts.c",
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

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let mut build = cc::Build::new();
    build
        .files(C_SOURCES)
        .include("csrc/include")
        .std("c11")
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true);
    if target_os == "linux" {
        build.define("_GNU_SOURCE", None);
    }
    build.compile("ffiscope_c");
    if target_os == "linux" {
        println!("cargo:rustc-link-lib=pthread");
    }
    println!("cargo:rerun-if-changed=csrc/include/ffiscope.h");
    println!("cargo:rerun-if-changed=csrc/tracker_shard.h");
    for source in C_SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
}
