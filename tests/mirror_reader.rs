//! The Rust reader and the model never panic or hang, whatever the text:
//! random text, and a real mirror with random edits. Every error says
//! where (line and column from 1).

use ffiscope::layout::lab::Target;
use ffiscope::layout::mirror_check::rust_model::{CNames, constants_on, rust_layouts};
use ffiscope::layout::mirror_check::rust_reader::read_rust;
use proptest::test_runner::{Config, TestRunner};

const MIRROR: &str = r#"use core::ffi::{c_char, c_long};
const N: usize = 4 << 1;
#[cfg(unix)]
macro_rules! wide { ($t:ty, $n:expr) => { [$t; $n] }; (ptr) => { *mut u8 }; }
type Wide = wide!(u16, 2);
type Handle = Option<core::ptr::NonNull<u8>>;
// mirrors: struct record
#[repr(C)]
#[cfg_attr(target_arch = "x86_64", repr(packed))]
pub struct Record { pub flags: c_long, pub tag: c_char, pub name: [u8; N], pub h: Handle,
  #[cfg(any(unix, target_os = "windows"))] pub more: [Wide; 3], pub p: wide!(ptr) }
s! { pub union Either { pub a: u32, pub b: f32 } }
cfg_if! { if #[cfg(windows)] { pub enum Opaque {} } else if #[cfg(unix)] { #[repr(C)] pub struct Opaque { x: u8 } }
  else { pub type Opaque = u8; } }
pub const MASK: u32 = !(1 << 3) | N as u32;
pub const LOW: i8 = -(N as i8) - 120;
#[repr(u8)] pub enum Mode { A = 1, B, C = 200 }
"#;

fn check(text: &str) {
    let file = read_rust(text);
    for error in &file.errors {
        assert!(error.line >= 1 && error.column >= 1, "{error:?}");
    }
    for target in Target::ALL {
        let _ = rust_layouts(&file, target);
        let _ = constants_on(&file, target, &CNames::default());
    }
}

/// Runs `cases` inputs, whatever `PROPTEST_CASES` asks: each parses a file.
fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

#[test]
fn random_text_never_panics() {
    runner(2_000)
        .run(&"\\PC{0,200}", |text| {
            check(&text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn an_edited_mirror_never_panics() {
    let edits = proptest::collection::vec((0..MIRROR.len(), proptest::char::any()), 1..8);
    runner(2_000)
        .run(&edits, |edits| {
            let mut bytes: Vec<char> = MIRROR.chars().collect();
            for (at, c) in edits {
                let at = at % bytes.len();
                bytes[at] = c;
            }
            check(&bytes.into_iter().collect::<String>());
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_unedited_mirror_reads_and_lays_out() {
    let file = read_rust(MIRROR);
    assert_eq!(file.errors, []);
    let laid = rust_layouts(&file, Target::X86_64Linux);
    let record = laid["Record"].as_ref().expect("laid out");
    assert_eq!(record.layout.size, 8 + 1 + 8 + 8 + 12 + 8, "packed on x86_64");
    let constants = constants_on(&file, Target::X86_64Linux, &CNames::default());
    let value = |name: &str| constants[name].as_ref().map(|(value, _)| *value).map_err(Clone::clone);
    assert_eq!(value("MASK"), Ok(i128::from(u32::MAX)), "`!` in a `u32`, 32 bits of ones");
    assert_eq!(value("LOW"), Ok(-128));
}

/// A macro whose every definition expands to itself again, as often as the
/// text cares to define it, is read in bounded time and said unreadable.
#[test]
fn a_macro_that_expands_to_itself_is_bounded() {
    let definition = "#[cfg(unix)] macro_rules! again { ($t:tt) => { [again!($t); 2] }; }\n";
    let text = format!("{}#[repr(C)] pub struct S {{ pub a: again!(u8) }}\n", definition.repeat(64));
    let file = read_rust(&text);
    assert_eq!(file.errors, []);
    let laid = rust_layouts(&file, Target::X86_64Linux);
    let why = laid["S"].as_ref().expect_err("no layout");
    assert!(why.contains("`again ! (u8)` has no layout"), "the last expansion, as it reads: {why}");
}
