//! A frame of the Scenarios tab draws what was derived when the model last
//! changed: what it allocates does not grow with the run on screen.

mod support;

use egui_kittest::Harness;
use ffiscope::app::FfiscopeApp;
use ffiscope::ffi::bench_loops::tracked_pairs;
use ffiscope::ffi::{CBlock, Tracker, TrackerConfig};
use ffiscope::track::Model;
use ffiscope::track::accounting::{AllocationTally, rust_allocations_of};
use support::finished_leak_hunt;

/// A real tracker's model of `pairs` malloc+free pairs, `leaked` blocks
/// left live and `double_frees` caught double frees.
fn recorded_model(pairs: usize, leaked: usize, double_frees: usize) -> Model {
    let tracker = Tracker::with_config(TrackerConfig { ring_capacity: 1 << 20, ..TrackerConfig::default() });
    let mut model = Model::new();
    let _bind = tracker.bind();
    tracked_pairs(pairs, 48);
    model.drain_from(&tracker);
    for _ in 0..leaked {
        let _ = CBlock::allocate(64).map(CBlock::leak);
    }
    for _ in 0..double_frees {
        let _ = CBlock::allocate(32).map(CBlock::free_twice);
    }
    model.drain_from(&tracker);
    assert_eq!(model.dropped_events(), 0);
    model
}

/// What one frame allocates once the view's caches are warm.
fn steady_frame(harness: &mut Harness<'static, FfiscopeApp>) -> AllocationTally {
    harness.run_steps(3);
    let ((), tally) = rust_allocations_of(|| harness.step());
    assert_eq!(tally.dropped_events, 0, "every allocation of the frame was counted");
    tally
}

#[test]
fn a_frame_allocates_no_more_for_a_run_ten_times_larger() {
    let mut harness = finished_leak_hunt();
    let natural = steady_frame(&mut harness);

    harness.state_mut().scenarios_mut().load_recording(recorded_model(20_000, 200, 200));
    let small = steady_frame(&mut harness);
    harness.state_mut().scenarios_mut().load_recording(recorded_model(200_000, 2_000, 2_000));
    let large = steady_frame(&mut harness);
    eprintln!("frame allocations: leak-hunt/leaky {natural:?}; 20 k pairs {small:?}; 200 k pairs {large:?}");
    // Ten times the events, outstanding blocks and anomalies: the same frame,
    // give or take the digits of larger numbers.
    assert!(
        large.allocations <= small.allocations + small.allocations / 10,
        "allocations grew with the run: {small:?} → {large:?}"
    );
    assert!(large.bytes <= small.bytes + small.bytes / 10, "bytes grew with the run: {small:?} → {large:?}");
}
