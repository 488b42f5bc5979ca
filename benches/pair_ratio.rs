//! Tracked ÷ raw, interleaved: the ratio the tracker's speed goals are
//! stated in, measured so that a change of the machine's pace falls on both
//! sides alike. Criterion times the raw loop and the tracked one seconds
//! apart, and on a virtual machine whose speed shifts between phases the
//! two can land in different ones (a raw 4096 B pair has read 17 ns and
//! 29 ns in consecutive runs). Here each round times one chunk of raw pairs
//! and one of tracked pairs back to back, in alternating order, with the
//! same timing as the criterion bench (`timed_pairs`: the drain of every
//! event inside the timed region), and the ratio is taken within the round.
//!
//! Run with `cargo bench --bench pair_ratio` (`-- --rounds N` for more
//! rounds than the default). It prints one Markdown row per size and thread
//! count: the median raw and tracked pair, and the median ratio with its
//! quartiles.

use std::time::Duration;

use ffiscope::ffi::bench_loops::{PAIRS_PER_CHUNK, raw_pairs, timed_pairs, tracked_pairs, tracker_for_timed_pairs};

/// Rounds measured for each row, after the warm-up rounds.
const DEFAULT_ROUNDS: usize = 61;
/// Rounds run and thrown away first: slabs, rings and glibc's arenas grow
/// to their working size in them.
const WARM_UP_ROUNDS: usize = 5;

/// Each row's goal, tracked ÷ raw, the drain included (none is set for
/// 4096 B on two threads).
fn goal(size: usize, threads: usize) -> Option<f64> {
    match (size, threads) {
        (16, 1) => Some(2.5),
        (4096, 1) => Some(5.0),
        (4096, _) => None,
        _ => Some(3.0),
    }
}

fn main() {
    let rounds = rounds_asked().unwrap_or(DEFAULT_ROUNDS);
    println!("{rounds} rounds of {PAIRS_PER_CHUNK} pairs a thread on each side, in alternating order");
    println!();
    println!("| size | threads | raw pair | tracked pair | ratio | quartiles | goal |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for threads in [1, 2] {
        for size in [16, 256, 4096] {
            let row = measure(size, threads, rounds);
            let goal = goal(size, threads).map_or_else(|| "—".to_owned(), |goal| format!("≤ {goal}×"));
            println!(
                "| {size} B | {threads} | {:.1} ns | {:.1} ns | {:.2}× | {:.2}–{:.2}× | {goal} |",
                row.raw_ns, row.tracked_ns, row.ratio.median, row.ratio.lower_quartile, row.ratio.upper_quartile,
            );
        }
    }
}

/// `--rounds N` from the command line (cargo adds `--bench`, ignored).
fn rounds_asked() -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|arg| arg == "--rounds")?;
    match args.get(at + 1).map(|n| n.parse::<usize>()) {
        Some(Ok(n)) if n > 0 => Some(n),
        _ => {
            eprintln!("--rounds wants a whole number above 0; measuring {DEFAULT_ROUNDS} rounds");
            None
        }
    }
}

struct Row {
    raw_ns: f64,
    tracked_ns: f64,
    ratio: Spread,
}

fn measure(size: usize, threads: usize, rounds: usize) -> Row {
    let tracker = tracker_for_timed_pairs();
    let time = |work: fn(usize, usize)| timed_pairs(PAIRS_PER_CHUNK, threads, &tracker, work, size);
    let mut raw = Vec::with_capacity(rounds);
    let mut tracked = Vec::with_capacity(rounds);
    for round in 0..WARM_UP_ROUNDS + rounds {
        let (r, t) = if round % 2 == 0 {
            let r = time(raw_pairs);
            (r, time(tracked_pairs))
        } else {
            let t = time(tracked_pairs);
            (time(raw_pairs), t)
        };
        if round >= WARM_UP_ROUNDS {
            raw.push(r);
            tracked.push(t);
        }
    }
    let ratios = raw.iter().zip(&tracked).map(|(r, t)| t.as_secs_f64() / r.as_secs_f64()).collect();
    Row {
        raw_ns: Spread::of(raw.iter().map(per_pair_ns).collect()).median,
        tracked_ns: Spread::of(tracked.iter().map(per_pair_ns).collect()).median,
        ratio: Spread::of(ratios),
    }
}

fn per_pair_ns(chunk: &Duration) -> f64 {
    chunk.as_secs_f64() * 1e9 / PAIRS_PER_CHUNK as f64
}

/// The median and quartiles of a sample (nearest rank).
struct Spread {
    lower_quartile: f64,
    median: f64,
    upper_quartile: f64,
}

impl Spread {
    fn of(mut sample: Vec<f64>) -> Spread {
        sample.sort_by(f64::total_cmp);
        let at = |fraction: f64| sample[((sample.len() - 1) as f64 * fraction).round() as usize];
        Spread { lower_quartile: at(0.25), median: at(0.5), upper_quartile: at(0.75) }
    }
}
