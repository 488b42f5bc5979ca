//! Drives the Tracker tab headless: buttons call real C, and the labels and
//! the plot's series move with what the tracker saw.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;
use ffiscope::ffi::Domain;
use ffiscope::track::AnomalyKind;
use ffiscope::ui::allocation_plot::{XAxis, plot_id};

fn harness() -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(egui::vec2(1200.0, 800.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness
}

fn last_live_blocks(app: &FfiscopeApp, domain: Domain) -> u64 {
    app.tracker().model().heap(domain).series().last().map_or(0, |point| point.live_blocks)
}

#[test]
fn allocate_ten_in_c_moves_the_labels_and_the_plot() {
    let mut harness = harness();
    harness.get_by_label_contains("C heap: 0 live blocks");
    let before = last_live_blocks(harness.state(), Domain::C);

    harness.get_by_label("Allocate 10 blocks in C").click();
    harness.run();

    harness.get_by_label_contains("C heap: 10 live blocks, 1,368 B");
    assert_eq!(last_live_blocks(harness.state(), Domain::C), before + 10);
    assert_eq!(harness.state().tracker().counts().c_heap.live_blocks, 10, "the C tracker agrees");
    assert_eq!(harness.state().tracker().model().outstanding_count(), 10);
    assert_eq!(harness.state().tracker().counts().rust_heap.allocations, 0, "egui's own allocations stay out");

    harness.get_by_label("Free all").click();
    harness.run();
    harness.get_by_label_contains("C heap: 0 live blocks");
    assert_eq!(harness.state().tracker().counts().c_heap.frees, 10);
}

#[test]
fn caught_mistakes_appear_in_the_anomaly_list() {
    let mut harness = harness();
    for button in
        ["Double free (caught)", "Overflow by 1 (caught)", "Write after free (caught)", "Foreign free (caught)"]
    {
        harness.get_by_label(button).click();
        harness.run();
    }
    harness.get_by_label_contains("Anomalies (4)");
    let kinds: Vec<AnomalyKind> = harness.state().tracker().model().anomalies().iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [AnomalyKind::DoubleFree, AnomalyKind::HeapOverflow, AnomalyKind::UseAfterFree, AnomalyKind::ForeignFree]
    );
    harness.get_by_label_contains("a second time; `demo_free_block` had already freed it");
}

#[test]
fn a_leak_stays_outstanding_until_reset() {
    let mut harness = harness();
    harness.get_by_label("Leak one").click();
    harness.run();
    harness.get_by_label("Free all").click();
    harness.run();
    harness.get_by_label_contains("C heap: 1 live block, 40 B");
    harness.get_by_label_contains("Outstanding blocks (1)");
    // The leak has a site of its own, and stays flagged once the rest is freed.
    let outstanding = harness.state().tracker().model().outstanding();
    assert_eq!(outstanding[0].site.map(ffiscope::ffi::Site::name), Some("demo_leak_block"));
    // Whole, and inside the window: the event column makes way for it.
    let releaser = harness.get_by_label("nobody: its pointer is gone (leaked)").rect();
    assert!(releaser.right() <= harness.ctx.content_rect().right() + 0.5, "{releaser:?} is cut by the window");
    harness.get_by_label("Reset").click();
    harness.run();
    harness.get_by_label_contains("C heap: 0 live blocks");
    assert_eq!(harness.state().tracker().leaked_blocks(), 0);
}

#[test]
fn rust_blocks_are_drawn_on_their_own_heap() {
    let mut harness = harness();
    harness.get_by_label("Allocate 10 blocks in Rust").click();
    harness.run();
    harness.get_by_label_contains("Rust heap: 10 live blocks, 1,368 B");
    harness.get_by_label_contains("C heap: 0 live blocks");
    assert_eq!(last_live_blocks(harness.state(), Domain::Rust), 10);
}

/// The widest x the plot of live blocks shows, as the plot itself kept it.
fn plot_x_end(harness: &Harness<'static, FfiscopeApp>) -> f64 {
    let memory =
        egui_plot::PlotMemory::load(&harness.ctx, plot_id("tracker", "Live blocks")).expect("the plot was drawn");
    memory.bounds().max()[0]
}

#[test]
fn the_plot_switches_between_sequence_and_time() {
    let mut harness = harness();
    // Ten events: ten units of sequence, and in time what they took, which
    // is usually a fraction of a millisecond (more on a busy machine).
    harness.get_by_label("Allocate 10 blocks in C").click();
    harness.run();
    assert_eq!(harness.state().settings().plot_x_axis, XAxis::Sequence);
    let sequence_end = plot_x_end(&harness);
    assert!(sequence_end >= 10.0, "the x axis counts events: {sequence_end}");

    harness.get_by_label("time (ms)").click();
    harness.run();
    assert_eq!(harness.state().settings().plot_x_axis, XAxis::Time);
    let time_end = plot_x_end(&harness);
    let model = harness.state().tracker().model();
    let span_ms = (model.last_time_ns().unwrap() - model.first_time_ns().unwrap()) as f64 / 1e6;
    // The plot spans the events' time, with its margin and a width of at
    // least one unit (ten events that shared one stamp span 0 ms, and the
    // plot then ends at 1.05).
    assert!(
        time_end >= span_ms && time_end <= span_ms * 1.2 + 2.0,
        "the x axis is in milliseconds: it ends at {time_end}, the events span {span_ms} ms"
    );

    harness.get_by_label("event sequence").click();
    harness.run();
    assert_eq!(harness.state().settings().plot_x_axis, XAxis::Sequence);
    assert!(plot_x_end(&harness) >= 10.0, "back to counting events");
}

#[test]
fn the_plots_export_as_a_picture() {
    let mut harness = harness();
    let exports = std::env::temp_dir().join(format!("ffiscope-plots-{}", std::process::id()));
    harness.state_mut().set_export_dir(&exports);
    harness.get_by_label("Allocate 10 blocks in C").click();
    harness.run();
    harness.get_by_label("Export plots").click();
    harness.run();
    let svg = std::fs::read_to_string(exports.join("tracker-plots.svg")).expect("the plots' SVG");
    let document = roxmltree::Document::parse(&svg).expect("the SVG parses");
    let texts: Vec<&str> = document.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"Live blocks") && texts.contains(&"Live bytes"), "{texts:?}");
    let lines: Vec<_> = document.descendants().filter(|n| n.has_tag_name("polyline")).collect();
    assert_eq!(lines.len(), 4, "both heaps, blocks and bytes");
    // The C heap's line of live blocks climbs to the ten blocks.
    let c_blocks = lines[0].attribute("points").expect("points");
    assert!(c_blocks.split(' ').count() > 10, "{c_blocks}");
    // The C heap's peak is marked on the bytes, as on screen; the Rust
    // heap held nothing.
    let peaks = document.descendants().filter(|n| n.has_tag_name("title") && n.text() == Some("peak")).count();
    assert_eq!(peaks, 1, "{svg}");
    assert!(exports.join("tracker-plots.png").exists());
    let _ = std::fs::remove_dir_all(&exports);
}
