//! The Rust side's model against rustc itself: 1,200 generated `#[repr(C)]`
//! mirrors (every kind of field the model reads, nested, packed and aligned)
//! laid out by the model for the host, then every size, alignment, offset
//! and field size asked of rustc in one probe. Also: a wrong model number
//! is caught with rustc's own value, and the real-type mirrors of
//! `mirror_check` are confirmed by rustc.

use std::fmt::Write as _;

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::generate::Rng;
use ffiscope::layout::mirror_check::rust_model::rust_layouts;
use ffiscope::layout::mirror_check::rust_reader::read_rust;
use ffiscope::layout::mirror_check::rustc::check_with_rustc;

const SCALARS: &[&str] = &[
    "u8",
    "i8",
    "u16",
    "i16",
    "u32",
    "i32",
    "u64",
    "i64",
    "u128",
    "i128",
    "usize",
    "isize",
    "f32",
    "f64",
    "bool",
    "char",
    "core::ffi::c_char",
    "core::ffi::c_long",
    "core::ffi::c_ulonglong",
    "libc::size_t",
    "libc::time_t",
    "*const u8",
    "*mut core::ffi::c_void",
    "&'static u16",
    "Option<core::ptr::NonNull<u64>>",
    "Option<&'static u8>",
    "Option<unsafe extern \"C\" fn(i32) -> i32>",
    "Option<core::num::NonZeroU32>",
    "core::mem::MaybeUninit<u16>",
    "core::marker::PhantomData<u64>",
    "Small",
];

/// A field type: a scalar, an array of one, or an earlier mirror (one
/// that holds no aligned type, if `packed`: Rust refuses those, E0588).
fn field_type(rng: &mut Rng, earlier: &[bool], packed: bool) -> String {
    let candidate = (!earlier.is_empty()).then(|| rng.below(earlier.len() as u64) as usize);
    let base = if let Some(index) = candidate.filter(|&i| rng.below(6) == 0 && !(packed && earlier[i])) {
        format!("Mirror{index}")
    } else {
        rng.pick(SCALARS).to_owned()
    };
    match rng.below(8) {
        0 => format!("[{base}; {}]", rng.below(5)),
        1 => format!("[[{base}; 2]; {}]", 1 + rng.below(3)),
        _ => base,
    }
}

fn mirrors(count: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::from("#[repr(C)] pub struct Small { pub a: u8, pub b: u16 }\n");
    // Whether each mirror is aligned or holds an aligned one.
    let mut aligned: Vec<bool> = Vec::new();
    for index in 0..count {
        let repr = match rng.below(8) {
            0 => "C, packed",
            1 => "C, packed(2)",
            2 => "C, packed(4)",
            3 => "C, align(8)",
            4 => "C, align(32)",
            _ => "C",
        };
        // References and raw pointers cannot sit in unions without Copy: structs only there.
        let union = rng.below(7) == 0;
        let keyword = if union { "union" } else { "struct" };
        let _ = write!(out, "#[repr({repr})]\n#[derive(Clone, Copy)]\npub {keyword} Mirror{index} {{");
        let mut holds_aligned = repr.contains("align");
        for field in 0..=rng.below(7) {
            let ty = field_type(&mut rng, &aligned, repr.contains("packed"));
            holds_aligned |= ty.split(|c: char| !c.is_alphanumeric()).any(|word| {
                word.strip_prefix("Mirror").and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| aligned[n])
            });
            let ty = if union && (ty.contains("PhantomData") || ty.contains("Mirror")) { "u32".to_owned() } else { ty };
            let _ = write!(out, " pub f{field}: {ty},");
        }
        out.push_str(" }\n");
        aligned.push(holds_aligned);
    }
    out.replace("pub struct Small", "#[derive(Clone, Copy)] pub struct Small")
}

fn host() -> Option<Target> {
    let host = Target::host()?;
    std::process::Command::new("rustc").arg("--version").output().ok()?;
    Some(host)
}

#[test]
fn the_model_agrees_with_rustc_on_1200_generated_mirrors() {
    let Some(host) = host() else {
        eprintln!("note: no rustc for this machine's target: the differential test is skipped");
        return;
    };
    let text = mirrors(1200, 0x5eed_f00d);
    let file = read_rust(&text);
    assert_eq!(file.errors, [], "the generated mirrors read");
    let laid = rust_layouts(&file, host);
    let mut layouts: Vec<(String, ffiscope::layout::Layout)> =
        laid.into_iter().map(|(name, l)| (name.clone(), l.unwrap_or_else(|e| panic!("{name}: {e}")).layout)).collect();
    layouts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(layouts.len(), 1201);
    let checked = check_with_rustc(&file, host, &layouts).expect("rustc answers");
    assert_eq!(checked.unanswered, [], "every number asked was answered");
    assert_eq!(checked.mismatches, [], "the model and rustc agree");

    // The probe can fail: a wrong number is caught with rustc's value.
    let (name, layout) = &mut layouts[3];
    let truth = layout.size;
    layout.size += 8;
    let name = name.clone();
    let checked = check_with_rustc(&file, host, &layouts).expect("rustc answers");
    assert_eq!(checked.mismatches, [(name, "size".to_owned(), truth + 8, truth)]);
}
