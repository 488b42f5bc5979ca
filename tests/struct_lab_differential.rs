//! Differential test of the layout engine: randomly generated declarations
//! (nesting, arrays, bitfields, unions, packed, aligned, #pragma pack) laid
//! out by the model and checked by each target's real C compiler, in
//! batched probes. Every number must agree.
//!
//! Targets whose compiler is not installed are reported as not checked;
//! with `FFISCOPE_REQUIRE_COMPILERS=1` (as CI sets it) a missing compiler fails.

use std::fmt::Write as _;

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::report::analyze;
use ffiscope::layout::lab::verify::find_compiler;

const BATCHES: u64 = 10;
const TYPES_PER_BATCH: usize = 200;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const SCALARS: &[&str] = &[
    "char",
    "short",
    "int",
    "long",
    "long long",
    "float",
    "double",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "void *",
    "size_t",
    "unsigned char",
    "_Bool",
];
/// Bitfield types with their widths in bits.
const BITFIELD_TYPES: &[(&str, u64)] = &[
    ("char", 8),
    ("unsigned char", 8),
    ("short", 16),
    ("unsigned short", 16),
    ("int", 32),
    ("unsigned int", 32),
    ("long long", 64),
];

fn member(rng: &mut Rng, index: usize, earlier: &[String], text: &mut String) {
    let name = format!("m{index}");
    let roll = rng.below(100);
    if roll < 20 {
        let (ty, bits) = BITFIELD_TYPES[rng.below(BITFIELD_TYPES.len() as u64) as usize];
        if rng.chance(10) {
            let _ = writeln!(text, "    {ty} : 0;");
        } else if rng.chance(15) {
            let _ = writeln!(text, "    {ty} : {};", 1 + rng.below(bits));
        } else {
            let _ = writeln!(text, "    {ty} {name} : {};", 1 + rng.below(bits));
        }
        return;
    }
    let ty = if roll < 35 && !earlier.is_empty() {
        earlier[rng.below(earlier.len() as u64) as usize].clone()
    } else {
        rng.pick(SCALARS).to_owned()
    };
    let array = if rng.chance(15) { format!("[{}]", 1 + rng.below(4)) } else { String::new() };
    let attribute = match rng.below(100) {
        0..=5 => format!(" __attribute__((aligned({})))", 1 << (1 + rng.below(4))),
        6..=8 => " __attribute__((packed))".to_owned(),
        _ => String::new(),
    };
    let (star, ty) = match ty.strip_suffix(" *") {
        Some(base) => ("*", base.to_owned()),
        None => ("", ty),
    };
    let _ = writeln!(text, "    {ty} {star}{name}{array}{attribute};");
}

/// `count` declarations, each a struct or union that may use earlier ones.
fn declarations(seed: u64, count: usize) -> String {
    let mut rng = Rng(seed | 1);
    let mut text = String::new();
    let mut earlier: Vec<String> = Vec::new();
    for index in 0..count {
        let kind = if rng.chance(15) { "union" } else { "struct" };
        let name = format!("{kind} t{seed}_{index}");
        let pack = rng.chance(15).then(|| 1 << rng.below(4));
        if let Some(pack) = pack {
            let _ = writeln!(text, "#pragma pack(push, {pack})");
        }
        let _ = writeln!(text, "{name} {{");
        let body_start = text.len();
        for member_index in 0..=(rng.below(6) as usize) {
            member(&mut rng, member_index, &earlier, &mut text);
        }
        // C11 6.7.2.1p8: a record without a named member is undefined behaviour.
        if !text[body_start..].lines().any(|l| l.contains(" m")) {
            let _ = writeln!(text, "    char named;");
        }
        let attribute = match rng.below(100) {
            0..=9 => " __attribute__((packed))".to_owned(),
            10..=17 => format!(" __attribute__((aligned({})))", 1 << (1 + rng.below(4))),
            _ => String::new(),
        };
        let _ = writeln!(text, "}}{attribute};");
        if pack.is_some() {
            let _ = writeln!(text, "#pragma pack(pop)");
        }
        earlier.push(name);
    }
    text
}

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
