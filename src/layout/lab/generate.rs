//! Random C declarations, reproducible from a seed: structs and unions with
//! nesting, arrays, bitfields (zero-width and unnamed too), packed and
//! aligned attributes, and #pragma pack. The differential test checks the
//! engine on them against the real compilers; the benchmark times them.

use std::fmt::Write as _;

/// xorshift64*: small, seeded, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
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

/// `count` declarations, each a struct or union that may use earlier ones,
/// the same for the same seed.
pub fn declarations(seed: u64, count: usize) -> String {
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
