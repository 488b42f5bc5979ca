//! What tracking costs: tracked vs raw allocation (C, 1 and 2 threads),
//! scoped vs unscoped Rust allocation, draining events into the model, the
//! model alone applying allocations and frees, and a recording's reader
//! naming a program's events before the model takes them.
//! Run with `cargo bench --bench tracker`; figures go in BENCHMARKS.md.

use std::hint::black_box;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ffiscope::ffi::bench_loops::{PAIRS_PER_CHUNK, raw_pairs, timed_pairs, tracked_pairs, tracker_for_timed_pairs};
use ffiscope::ffi::record_channel::{Channel, SiteAddresses};
use ffiscope::ffi::{Domain, Event, EventKind, Site, Tracker, TrackerConfig, sys};
use ffiscope::record::interpreter::Interpreter;
use ffiscope::track::Model;

/// A ring of 1 M slots: every event of a chunk of Rust allocations, or the
/// million events drained into the model.
fn big_ring() -> Tracker {
    Tracker::with_config(TrackerConfig { ring_capacity: 1 << 20, ..TrackerConfig::default() })
}

fn c_allocation(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("c_pair_{threads}_thread"));
        for size in [16, 256, 4096] {
            group.throughput(Throughput::Elements(threads as u64));
            let tracker = tracker_for_timed_pairs();
            group.bench_with_input(BenchmarkId::new("raw", size), &size, |b, &size| {
                b.iter_custom(|iters| timed_pairs(iters, threads, &tracker, raw_pairs, size));
            });
            group.bench_with_input(BenchmarkId::new("tracked", size), &size, |b, &size| {
                b.iter_custom(|iters| timed_pairs(iters, threads, &tracker, tracked_pairs, size));
            });
        }
        group.finish();
    }
}

fn rust_allocation(c: &mut Criterion) {
    let mut group = c.benchmark_group("rust_box_64");
    group.bench_function("unscoped", |b| b.iter(|| drop(black_box(Box::new([0u8; 64])))));
    let tracker = big_ring();
    group.bench_function("scoped", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut sink = Vec::new();
            let mut remaining = iters;
            while remaining > 0 {
                let chunk = remaining.min(PAIRS_PER_CHUNK);
                let start = Instant::now();
                {
                    let _scope = tracker.scope();
                    for _ in 0..chunk {
                        drop(black_box(Box::new([0u8; 64])));
                    }
                }
                total += start.elapsed();
                sink.clear();
                tracker.drain_into(&mut sink);
                remaining -= chunk;
            }
            total
        });
    });
    group.finish();
}

fn drain_into_model(c: &mut Criterion) {
    const EVENTS: u64 = 1 << 20;
    let mut group = c.benchmark_group("drain");
    group.throughput(Throughput::Elements(EVENTS));
    let tracker = big_ring();
    group.bench_function("model_1M_events", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                {
                    let _bind = tracker.bind();
                    tracked_pairs(EVENTS as usize / 2, 32);
                }
                let mut model = Model::new();
                let start = Instant::now();
                let applied = model.drain_from(&tracker);
                total += start.elapsed();
                assert_eq!(applied as u64, EVENTS);
                black_box(&model);
            }
            total
        });
    });
    group.finish();
}

/// The model alone: an allocation and its free, over a window of 64 live
/// blocks (as `benches/record_heavy.c` makes them), and over 1,000,000, the
/// oldest freed first.
fn model_apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("model");
    group.throughput(Throughput::Elements(2));
    let site = Some(Site::new(c"bench_site"));
    let event = |seq: u64, kind: EventKind, address: u64| Event {
        seq,
        time_ns: seq,
        address,
        size: 48,
        related_address: 0,
        related_size: 0,
        site,
        related_site: site,
        thread: 1,
        domain: Domain::C,
        kind,
    };
    for window in [64u64, 1_000_000] {
        group.bench_function(BenchmarkId::new("alloc_free_pair", format!("{window}_live")), |b| {
            let mut model = Model::new();
            let address = |n: u64| 0x5555_0000_0000 + (n % window) * 64;
            let mut seq = 0;
            for n in 0..window {
                model.apply(&event(seq, EventKind::Alloc, address(n)));
                seq += 1;
            }
            let mut n = window;
            b.iter(|| {
                model.apply(&event(seq, EventKind::Free, address(n)));
                model.apply(&event(seq + 1, EventKind::Alloc, address(n)));
                seq += 2;
                n += 1;
            });
            black_box(&model);
        });
    }
    group.finish();
}

/// A recording's reader after the merge: a batch of the program's raw
/// events as the merge hands them over (an allocation and a free over a
/// window of 64 live blocks, as `benches/record_heavy.c` makes them, two
/// sites named by return addresses), each named and told C or Rust by the
/// interpreter and applied to the model.
fn interpret_recorded(c: &mut Criterion) {
    const BATCH: u64 = 256;
    const ALLOC_SITE: u32 = 1;
    const FREE_SITE: u32 = 2;
    let mut group = c.benchmark_group("record_reader");
    group.throughput(Throughput::Elements(BATCH));
    let channel = Channel::create(1024).expect("a channel");
    let table: &'static [AtomicU64] = Box::leak(Box::new([0, 0x5555_0000_1234, 0x5555_0000_1250].map(AtomicU64::new)));
    let sites = SiteAddresses::from_static(table);
    let address = |n: u64| 0x7f00_0000_0000 + (n % 64) * 64;
    let raw = |seq: u64, kind: u8, site: u32, related_site: u32| sys::fs_id_event {
        seq,
        time_ns: seq,
        address: address(seq / 2),
        size: 16 + seq % 256,
        related_address: 0,
        related_size: 0,
        site,
        related_site,
        thread: 1,
        domain: sys::FS_DOMAIN_C,
        kind,
        reserved: 0,
    };
    // Each block is freed, then its address allocated again.
    let batch: Vec<sys::fs_id_event> = (0..BATCH)
        .map(|seq| match seq % 2 {
            0 => raw(seq, sys::FS_EVENT_FREE, FREE_SITE, ALLOC_SITE),
            _ => raw(seq, sys::FS_EVENT_ALLOC, ALLOC_SITE, 0),
        })
        .collect();
    // One model for every sample, as one recording's: its series thinned
    // as a long recording's is, not grown from nothing at each sample.
    let mut interpreter = Interpreter::default();
    let mut model = Model::new();
    let window: Vec<sys::fs_id_event> = (0..64).map(|n| raw(n * 2 + 1, sys::FS_EVENT_ALLOC, ALLOC_SITE, 0)).collect();
    interpreter.apply_all(&window, &sites, channel.stacks(), &mut model);
    group.bench_function("interpret_256_events", |b| {
        b.iter(|| interpreter.apply_all(&batch, &sites, channel.stacks(), &mut model));
        black_box(&model);
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = c_allocation, rust_allocation, drain_into_model, model_apply, interpret_recorded
}
criterion_main!(benches);
