//! Frame time of the Scenarios tab (CPU, headless harness) with a large run
//! on screen: 1 M and 10 M recorded events, 10 k blocks outstanding. Also
//! prints the model's memory, measured by recording the model's own Rust
//! allocations with a second tracker, and what one frame allocates: at the
//! end of `leak-hunt/leaky` as a learner runs it, and with each large run.
//! Also the frame time of Struct Lab with all of `SDL2/SDL.h` laid out on
//! five targets, where the preprocessor and SDL2's headers are installed.
//! Run with `cargo bench --bench frame`; figures go in BENCHMARKS.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;
use ffiscope::ffi::bench_loops::tracked_pairs;
use ffiscope::ffi::{CBlock, Domain, Tracker, TrackerConfig};
use ffiscope::track::Model;
use ffiscope::track::accounting::rust_allocations_of;
use support::{finished_leak_hunt, open_dropped};

#[path = "../tests/support/mod.rs"]
mod support;

const OUTSTANDING: usize = 10_000;
const CHUNK_PAIRS: usize = 250_000;
const MIB: f64 = 1024.0 * 1024.0;

/// A model of `events` real tracker events, `OUTSTANDING` of them blocks
/// still live, and what the model itself holds on the Rust heap (live, peak).
fn recorded_model(events: usize) -> (Model, u64, u64) {
    let tracker = Tracker::with_config(TrackerConfig { ring_capacity: 1 << 20, ..TrackerConfig::default() });
    // Records the model's own allocations: a few hundred, as its vectors and maps grow.
    let accounting = Tracker::with_config(TrackerConfig { ring_capacity: 1 << 16, ..TrackerConfig::default() });
    let mut model = Model::new();
    let mut remaining_pairs = (events - OUTSTANDING) / 2;
    let mut left_live = OUTSTANDING;
    while remaining_pairs > 0 || left_live > 0 {
        {
            let _bind = tracker.bind();
            let pairs = remaining_pairs.min(CHUNK_PAIRS);
            tracked_pairs(pairs, 48);
            remaining_pairs -= pairs;
            // Spread the outstanding blocks over the run.
            let live_now = left_live.min(OUTSTANDING / 8 + 1);
            for _ in 0..live_now {
                let _ = CBlock::allocate(64).map(CBlock::leak);
            }
            left_live -= live_now;
        }
        let _scope = accounting.scope();
        model.drain_from(&tracker);
    }
    let mut meter = Model::new();
    meter.drain_from(&accounting);
    assert_eq!(meter.dropped_events(), 0, "every model allocation was seen");
    assert_eq!(model.outstanding_count(), OUTSTANDING);
    let heap = meter.heap(Domain::Rust).stats();
    (model, heap.live_bytes, heap.peak_bytes)
}

/// Prints what one frame allocates once the view's caches are warm.
fn print_frame_allocations(label: &str, harness: &mut Harness<'static, FfiscopeApp>) {
    harness.run_steps(3);
    let ((), tally) = rust_allocations_of(|| harness.step());
    assert_eq!(tally.dropped_events, 0, "every allocation of the frame was counted");
    eprintln!("  {label}: one frame allocates {} times, {:.1} KiB", tally.allocations, tally.bytes as f64 / 1024.0);
}

fn harness_showing(model: Model) -> Harness<'static, FfiscopeApp> {
    let mut harness = finished_leak_hunt();
    print_frame_allocations("leak-hunt/leaky at its verdict", &mut harness);
    harness.state_mut().scenarios_mut().load_recording(model);
    let first = Instant::now();
    harness.step();
    eprintln!("  first frame (decimating the series): {:.1} ms", first.elapsed().as_secs_f64() * 1e3);
    print_frame_allocations("the recorded run", &mut harness);
    harness
}

fn scenarios_tab(c: &mut Criterion) {
    let mut group = c.benchmark_group("scenarios_tab_frame");
    group.sample_size(30).measurement_time(Duration::from_secs(8));
    for (label, events) in [("1M_events", 1_000_000), ("10M_events", 10_000_000)] {
        let started = Instant::now();
        let (model, live, peak) = recorded_model(events);
        eprintln!(
            "{label}: model built in {:.1} s; model memory {:.1} MiB live, {:.1} MiB peak",
            started.elapsed().as_secs_f64(),
            live as f64 / MIB,
            peak as f64 / MIB
        );
        let mut harness = harness_showing(model);
        time_frames(&mut group, label, &mut harness);
    }
    group.finish();
}

/// Struct Lab at 1280×800 with `SDL2/SDL.h` opened, all five targets chosen:
/// as opened (the header's types folded by the header that declared them),
/// and with every type listed by a search and one chosen.
fn struct_lab_with_sdl(c: &mut Criterion) {
    if !std::path::Path::new("/usr/include/SDL2/SDL.h").exists() {
        eprintln!("SDL2/SDL.h is not installed (libsdl2-dev): Struct Lab's frame not measured");
        return;
    }
    let header = std::env::temp_dir().join(format!("ffiscope-bench-sdl-{}.h", std::process::id()));
    std::fs::write(&header, "#include <SDL2/SDL.h>\n").expect("a temporary header");
    let mut harness = Harness::builder().with_size(egui::vec2(1280.0, 800.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Struct Lab").click();
    harness.run();
    for target in ffiscope::layout::lab::Target::ALL {
        if !harness.state().lab().targets().contains(&target) {
            harness.get_by_label(target.triple()).click();
            harness.run();
        }
    }
    open_dropped(&mut harness, &header);
    let _ = std::fs::remove_file(&header);
    let types: usize = harness.state().lab().report().results.iter().map(|r| r.types.len()).sum();
    eprintln!("SDL2/SDL.h in Struct Lab: {types} type layouts over {} targets", harness.state().lab().targets().len());
    let mut group = c.benchmark_group("struct_lab_frame");
    group.sample_size(30).measurement_time(Duration::from_secs(8));
    print_frame_allocations("SDL2/SDL.h as opened", &mut harness);
    time_frames(&mut group, "sdl_as_opened", &mut harness);
    let search =
        harness.get(egui_kittest::kittest::by().role(egui::accesskit::Role::TextInput).label_contains("find:"));
    search.focus();
    search.type_text("SDL");
    harness.run();
    harness.get_by_label("struct SDL_Surface").click();
    harness.run();
    print_frame_allocations("SDL2/SDL.h, every type listed, SDL_Surface shown", &mut harness);
    time_frames(&mut group, "sdl_all_listed_one_shown", &mut harness);
    group.finish();
}

/// The Record tab at 1280×800 while a program it records makes a million
/// events a second (`benches/record_heavy.c`, 500 pairs a millisecond):
/// over a window of 64 blocks, and over one of 2,000,000, so the model
/// holds a million blocks and more while the frames are timed.
fn record_tab_live(c: &mut Criterion) {
    let program = std::env::temp_dir().join(format!("ffiscope-bench-heavy-{}", std::process::id()));
    let compiled = std::process::Command::new("cc")
        .args(["-O2", "-g", "benches/record_heavy.c", "-o"])
        .arg(&program)
        .status()
        .is_ok_and(|s| s.success());
    if !compiled {
        eprintln!("record_tab_live: no C compiler, skipped");
        return;
    }
    let mut group = c.benchmark_group("record_tab_frame");
    group.sample_size(30).measurement_time(Duration::from_secs(8));
    time_record_tab(&mut group, "live_1M_events_per_s", &program, "200000000 500", &|model| {
        model.events_applied() >= 200_000
    });
    time_record_tab(&mut group, "live_1M_events_per_s_1M_blocks_held", &program, "200000000 500 2000000", &|model| {
        model.outstanding_count() >= 1_000_000
    });
    group.finish();
}

/// Records `program` with `arguments` in the Record tab and, once `ready`,
/// times frames while its events keep arriving.
fn time_record_tab(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    program: &std::path::Path,
    arguments: &str,
    ready: &dyn Fn(&Model) -> bool,
) {
    use ffiscope::record::session::RecordCommand;
    let mut harness = recording_in_the_record_tab(program, arguments, &[]);
    while !ready(&harness.state().record().model()) {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let (before, started) = (harness.state().record().model().events_applied(), Instant::now());
    time_frames(group, label, &mut harness);
    let model = harness.state().record().model();
    let rate = (model.events_applied() - before) as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "  events arriving while the frames were timed: {:.2} M/s; model now {} events, {} blocks held, {} dropped",
        rate / 1e6,
        model.events_applied(),
        model.outstanding_count(),
        model.dropped_events()
    );
    drop(model);
    harness.state_mut().record_mut().apply(RecordCommand::Stop);
    step_until_ended(&mut harness);
}

/// The app at 1280×800 on its Record tab, recording `program` with
/// `arguments` and the tab's `options` (Call stacks).
fn recording_in_the_record_tab(
    program: &std::path::Path,
    arguments: &str,
    options: &[ffiscope::record::session::RecordCommand],
) -> Harness<'static, FfiscopeApp> {
    use ffiscope::record::session::RecordCommand;
    let mut harness = Harness::builder().with_size(egui::vec2(1280.0, 800.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Record").click();
    harness.run();
    let session = harness.state_mut().record_mut();
    session.apply(RecordCommand::SetProgram(program.display().to_string()));
    session.apply(RecordCommand::SetArguments(arguments.to_owned()));
    for option in options {
        session.apply(option.clone());
    }
    session.apply(RecordCommand::Start);
    harness
}

/// Draws frames until the tab's recording has ended.
fn step_until_ended(harness: &mut Harness<'_, FfiscopeApp>) {
    use ffiscope::record::session::RecordState;
    while !matches!(harness.state().record().state(), RecordState::Ended(_)) {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The Record tab at 1280×800 showing a recording that ended with 5,000
/// allocating sites, each on a line of its own, each still holding a block
/// and having made a temporary one: the sites table's rows every frame.
fn record_tab_many_sites(c: &mut Criterion) {
    use std::fmt::Write as _;
    const SITES: usize = 5_000;
    let dir = std::env::temp_dir();
    let source = dir.join(format!("ffiscope-bench-sites-{}.c", std::process::id()));
    let program = source.with_extension("");
    let mut text = String::from(
        "#include <stdlib.h>\nstatic void *(*volatile allocate)(size_t) = malloc;\nvoid *kept[5000];\nint main(void) {\n",
    );
    for site in 0..SITES {
        let _ = writeln!(text, "    free(allocate(8)); kept[{site}] = allocate(16);");
    }
    text.push_str("    return 0;\n}\n");
    std::fs::write(&source, text).expect("written");
    let compiled = std::process::Command::new("cc")
        .args(["-O0", "-g", "-o"])
        .arg(&program)
        .arg(&source)
        .status()
        .is_ok_and(|s| s.success());
    if !compiled {
        eprintln!("record_tab_many_sites: no C compiler, skipped");
        return;
    }
    let mut harness = recording_in_the_record_tab(&program, "", &[]);
    step_until_ended(&mut harness);
    harness.run();
    eprintln!("  sites: {}", harness.state().record().model().site_rows().len());
    let mut group = c.benchmark_group("record_tab_frame");
    group.sample_size(30).measurement_time(Duration::from_secs(8));
    time_frames(&mut group, "ended_5000_sites", &mut harness);
    // The same sites side by side in the flame graph, a frame each.
    let flame_graph =
        ffiscope::record::session::RecordCommand::ShowView(ffiscope::record::session::RecordView::FlameGraph);
    harness.state_mut().record_mut().apply(flame_graph);
    harness.run();
    eprintln!("  frames in the flame graph's tree: {}", harness.state().record().flame_stacks().tree.len());
    time_frames(&mut group, "flame_graph_5000_sites", &mut harness);
    group.finish();
}

/// The Record tab at 1280×800 drawing an ended recording's flame graph:
/// ffiscope's own `layout` of zlib.h recorded with call stacks (its
/// threads' parsers, up to 87 frames deep), and the 5,000-site program's
/// (5,000 frames side by side under `main`, most narrower than a point);
/// with the time the tab's worker takes to merge their stacks into a tree.
fn record_tab_flame_graph(c: &mut Criterion) {
    use ffiscope::record::flame_tree::FlameTree;
    use ffiscope::record::session::{RecordCommand, RecordView};
    let header = std::path::Path::new("/usr/include/zlib.h");
    if !header.exists() {
        eprintln!("record_tab_flame_graph: no zlib.h, skipped");
        return;
    }
    let mut group = c.benchmark_group("record_tab_frame");
    group.sample_size(30).measurement_time(Duration::from_secs(8));
    let ffiscope = std::path::Path::new(env!("CARGO_BIN_EXE_ffiscope"));
    let arguments = format!("layout {}", header.display());
    let mut harness = recording_in_the_record_tab(ffiscope, &arguments, &[RecordCommand::SetStacks(true)]);
    step_until_ended(&mut harness);
    harness.state_mut().record_mut().apply(RecordCommand::ShowView(RecordView::FlameGraph));
    harness.run();
    let recorded = harness.state().record().flame_stacks();
    eprintln!(
        "  stacks: {}, frames in the tree: {}, deepest: {}",
        recorded.stacks.len(),
        recorded.tree.len(),
        recorded.tree.depth()
    );
    time_frames(&mut group, "flame_graph_layout_zlib", &mut harness);
    group.bench_function("flame_tree_of_layout_zlib", |b| b.iter(|| black_box(FlameTree::new(&recorded.stacks))));
    group.finish();
}

/// Times one `Harness::step` of `harness` as it stands, as `label`.
fn time_frames(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    harness: &mut Harness<'static, FfiscopeApp>,
) {
    group.bench_function(label, |b| {
        b.iter(|| {
            harness.step();
            black_box(&*harness);
        });
    });
}

criterion_group!(
    benches,
    scenarios_tab,
    struct_lab_with_sdl,
    record_tab_live,
    record_tab_many_sites,
    record_tab_flame_graph
);
criterion_main!(benches);
