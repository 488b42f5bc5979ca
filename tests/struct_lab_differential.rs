//! Differential test of the layout engine: randomly generated declarations
//! (nesting, arrays, bitfields, unions, packed, aligned, #pragma pack) laid
//! out by the model and checked by each target's real C compiler, in
//! batched probes. Every number must agree.
//!
//! Targets whose compiler is not installed are reported as not checked;
//! with `FFISCOPE_REQUIRE_COMPILERS=1` (as CI sets it) a missing compiler fails.

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::generate::declarations;
use ffiscope::layout::lab::report::analyze;
use ffiscope::layout::lab::verify::find_compiler;

const BATCHES: u64 = 10;
const TYPES_PER_BATCH: usize = 200;

fn check_target(target: Target) -> Option<usize> {
    let Some(compiler) = find_compiler(target) else {
        eprintln!("{}: no compiler installed, not checked", target.triple());
        assert!(std::env::var_os("FFISCOPE_REQUIRE_COMPILERS").is_none(), "{}: compiler required", target.triple());
        return None;
    };
    let mut checked = 0;
    for batch in 0..BATCHES {
        let seed = 0x5eed_0000 + batch;
        let text = declarations(seed, TYPES_PER_BATCH);
        let report = analyze("generated.h", &text, &[target], true);
        assert!(
            report.errors.is_empty(),
            "{}: the generator wrote something the parser refused: {:?}",
            target.triple(),
            report.errors
        );
        let result = &report.results[0];
        assert!(result.verification_error.is_none(), "{}: {:?}\n{text}", compiler.version, result.verification_error);
        for ty in &result.types {
            let verified = ty.verified.as_ref().expect("verified");
            if !verified.ok {
                let lines: Vec<&str> = text.lines().collect();
                let start = lines.iter().position(|l| l.starts_with(&format!("{} {{", ty.name))).unwrap_or(0);
                let end = lines[start..]
                    .iter()
                    .position(|l| l.starts_with('}'))
                    .map_or(lines.len(), |e| start + e + 2)
                    .min(lines.len());
                let declaration = lines[start.saturating_sub(1)..end].join("\n");
                // The whole batch, for `ffiscope layout --verify` and a closer look.
                let _ = std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/target/differential-failure.h"), &text);
                panic!("{} disagrees on `{}`:\n{declaration}\n{:#?}", verified.by, ty.name, verified.mismatches);
            }
        }
        checked += result.types.len();
    }
    eprintln!("{}: {checked} generated types, 0 mismatches, verified by {}", target.triple(), compiler.version);
    Some(checked)
}

#[test]
fn x86_64_linux_agrees_with_gcc() {
    if let Some(checked) = check_target(Target::X86_64Linux) {
        assert!(checked >= 2000);
    }
}

#[test]
fn i686_linux_agrees_with_gcc() {
    if let Some(checked) = check_target(Target::I686Linux) {
        assert!(checked >= 2000);
    }
}

#[test]
fn aarch64_linux_agrees_with_gcc() {
    check_target(Target::Aarch64Linux);
}

#[test]
fn armv7_linux_agrees_with_gcc() {
    check_target(Target::Armv7Linux);
}

#[test]
fn x86_64_windows_agrees_with_clang() {
    check_target(Target::X86_64Windows);
}
