//! Lesson: how C, Rust and Go name the same types, with every size and
//! alignment measured on both sides, none typed by hand.

use std::ffi::{c_char, c_double, c_float, c_int, c_long, c_longlong, c_schar, c_short, c_void};

use crate::ffi::lessons::types::c_type_table;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct TypeMapping;

const VARIANTS: &[Variant] = &[Variant::new("correct", "Measure every type in C and in Rust and compare.")];

const STEPS: &[StepInfo] = &[
    StepInfo {
        title: "Measure in C",
        explanation: "C reports sizeof and _Alignof of each type, as the C compiler that built ffiscope lays them out.",
        rust: "measure_c",
        c: Some("c_type_table"),
    },
    StepInfo {
        title: "Measure in Rust and compare",
        explanation: "Rust reports size_of and align_of of the type it uses at the boundary. A mismatch means the binding is wrong on this platform.",
        rust: "measure_rust",
        c: None,
    },
];

/// One row of the type-mapping table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRow {
    pub c_type: &'static str,
    pub rust_type: &'static str,
    pub go_type: &'static str,
    pub c_size: usize,
    pub c_align: usize,
    /// `None` where Rust has no such type (`long double`).
    pub rust_size: Option<usize>,
    pub rust_align: Option<usize>,
}

impl TypeRow {
    /// Whether Rust's type matches C's in size and alignment; `None` when
    /// Rust has no counterpart.
    pub fn matches(&self) -> Option<bool> {
        Some(self.rust_size? == self.c_size && self.rust_align? == self.c_align)
    }
}

// [step:measure_rust]
/// The Rust type used for each C type at the boundary, measured by rustc.
fn rust_measure(c_type: &str) -> Option<(&'static str, &'static str, usize, usize)> {
    macro_rules! measured {
        ($rust:ty, $go:literal) => {
            Some((stringify!($rust), $go, size_of::<$rust>(), align_of::<$rust>()))
        };
    }
    match c_type {
        "char" => measured!(c_char, "C.char"),
        "signed char" => measured!(c_schar, "C.schar"),
        "short" => measured!(c_short, "C.short"),
        "int" => measured!(c_int, "C.int"),
        "long" => measured!(c_long, "C.long"),
        "long long" => measured!(c_longlong, "C.longlong"),
        "float" => measured!(c_float, "C.float"),
        "double" => measured!(c_double, "C.double"),
        "void *" => measured!(*mut c_void, "unsafe.Pointer"),
        "size_t" => measured!(usize, "C.size_t"),
        "bool" => measured!(bool, "C.bool"),
        "int8_t" => measured!(i8, "C.int8_t"),
        "int16_t" => measured!(i16, "C.int16_t"),
        "int32_t" => measured!(i32, "C.int32_t"),
        "int64_t" => measured!(i64, "C.int64_t"),
        "uint64_t" => measured!(u64, "C.uint64_t"),
        "intptr_t" => measured!(isize, "C.intptr_t"),
        "wchar_t" => measured!(libc::wchar_t, "C.wchar_t"),
        _ => None,
    }
}
// [/step]

/// The whole table: C measured by the C compiler, Rust by rustc.
pub fn type_rows() -> Vec<TypeRow> {
    // [step:measure_c]
    let c_types = c_type_table(); // sizeof / _Alignof, read through FFI
    // [/step]
    c_types
        .into_iter()
        .map(|c| {
            let rust = rust_measure(c.name);
            TypeRow {
                c_type: c.name,
                rust_type: rust.map_or("(none)", |r| r.0),
                go_type: rust.map_or("(none)", |r| r.1),
                c_size: c.size,
                c_align: c.align,
                rust_size: rust.map(|r| r.2),
                rust_align: rust.map(|r| r.3),
            }
        })
        .collect()
}

const INFO: ScenarioInfo = ScenarioInfo {
    id: "type-mapping",
    title: "The C, Rust and Go type table",
    lesson: "type mapping",
    variants: VARIANTS,
    rust_source: include_str!("type_mapping.rs"),
    c_source: include_str!("../../csrc/scenarios/types.c"),
    releasers: &[],
};

impl Scenario for TypeMapping {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, _variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run)
    }
}

struct Run;

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        STEPS
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        cx.note_with(|| {
            let rows = type_rows();
            if index == 0 {
                let listed: Vec<String> =
                    rows.iter().map(|r| format!("{} {}/{}", r.c_type, r.c_size, r.c_align)).collect();
                return format!("C (size/align): {}", listed.join(", "));
            }
            let mismatched: Vec<&str> = rows.iter().filter(|r| r.matches() == Some(false)).map(|r| r.c_type).collect();
            let unmapped: Vec<&str> = rows.iter().filter(|r| r.matches().is_none()).map(|r| r.c_type).collect();
            format!(
                "{} types compared: {} mismatch{}{}; no Rust type for: {}",
                rows.len(),
                mismatched.len(),
                if mismatched.len() == 1 { "" } else { "es" },
                if mismatched.is_empty() { String::new() } else { format!(" ({})", mismatched.join(", ")) },
                if unmapped.is_empty() { "none".to_owned() } else { unmapped.join(", ") },
            )
        });
    }
}
