//! Struct Lab's speed: parsing and laying out 10,000 generated declarations
//! for all five targets, and verifying a 100-type header with each compiler
//! installed (one probe per target). Run with `cargo bench --bench struct_lab`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::engine::lay_out;
use ffiscope::layout::lab::generate::declarations;
use ffiscope::layout::lab::parser::parse;
use ffiscope::layout::lab::verify::{find_compiler, verify};

fn parse_and_lay_out(c: &mut Criterion) {
    let text = declarations(42, 10_000);
    let mut group = c.benchmark_group("struct_lab");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function("parse_and_lay_out_10k_decls_5_targets", |b| {
        b.iter(|| {
            let parsed = parse(black_box(&text));
            assert!(parsed.errors.is_empty());
            for target in Target::ALL {
                black_box(lay_out(&parsed, target));
            }
        });
    });
    let header = declarations(7, 100);
    let parsed = parse(&header);
    for target in Target::ALL {
        let Some(compiler) = find_compiler(target) else {
            eprintln!("{}: no compiler installed, not measured", target.triple());
            continue;
        };
        let layouts: Vec<_> = lay_out(&parsed, target).into_iter().filter_map(|(_, l)| l.ok()).collect();
        group.bench_function(format!("verify_100_types_{}", target.short_name()), |b| {
            b.iter(|| {
                let verified = verify(&compiler, &header, &layouts).expect("the compiler answers");
                assert!(verified.ok);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, parse_and_lay_out);
criterion_main!(benches);
