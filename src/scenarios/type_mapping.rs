//! Lesson: how C, Rust and Go name the same types, with every size and
//! alignment measured on both sides, none typed by hand.

use std::ffi::{
    c_char, c_double, c_float, c_int, c_long, c_longlong, c_schar, c_short, c_uchar, c_uint, c_ulong, c_ulonglong,
    c_ushort, c_void,
};
use std::fmt::Write as _;

use crate::ffi::lessons::types::c_type_table;
use crate::layout::Layout;
use crate::layout::lab::Target;
use crate::layout::lab::report::analyze;
use crate::report::Table;

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
/// The Rust type used for each C type at the boundary,
/// measured by rustc.
fn rust_measure(c_type: &str) -> Option<(&'static str, &'static str, usize, usize)> {
    macro_rules! measured {
        ($rust:ty, $go:literal) => {
            Some((stringify!($rust), $go, size_of::<$rust>(), align_of::<$rust>()))
        };
    }
    match c_type {
        "char" => measured!(c_char, "C.char"),
        "signed char" => measured!(c_schar, "C.schar"),
        "unsigned char" => measured!(c_uchar, "C.uchar"),
        "short" => measured!(c_short, "C.short"),
        "unsigned short" => measured!(c_ushort, "C.ushort"),
        "int" => measured!(c_int, "C.int"),
        "unsigned int" => measured!(c_uint, "C.uint"),
        "long" => measured!(c_long, "C.long"),
        "unsigned long" => measured!(c_ulong, "C.ulong"),
        "long long" => measured!(c_longlong, "C.longlong"),
        "unsigned long long" => measured!(c_ulonglong, "C.ulonglong"),
        "float" => measured!(c_float, "C.float"),
        "double" => measured!(c_double, "C.double"),
        "void *" => measured!(*mut c_void, "unsafe.Pointer"),
        "size_t" => measured!(usize, "C.size_t"),
        "bool" => measured!(bool, "C.bool"),
        "int8_t" => measured!(i8, "C.int8_t"),
        "int16_t" => measured!(i16, "C.int16_t"),
        "int32_t" => measured!(i32, "C.int32_t"),
        "int64_t" => measured!(i64, "C.int64_t"),
        "uint8_t" => measured!(u8, "C.uint8_t"),
        "uint16_t" => measured!(u16, "C.uint16_t"),
        "uint32_t" => measured!(u32, "C.uint32_t"),
        "uint64_t" => measured!(u64, "C.uint64_t"),
        "intptr_t" => measured!(isize, "C.intptr_t"),
        "uintptr_t" => measured!(usize, "C.uintptr_t"),
        "wchar_t" => measured!(libc::wchar_t, "C.wchar_t"),
        _ => None,
    }
}
// [/step]

/// The measured rows: C by the C compiler, Rust by rustc.
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

/// Each type's size and alignment as a struct member on every Struct Lab
/// target, laid out by the engine the compilers are checked against; `char`
/// says its sign, which the targets do not agree on.
fn per_target(rows: &[TypeRow]) -> Vec<Vec<String>> {
    let mut header =
        String::from("#include <stdint.h>\n#include <stddef.h>\n#include <stdbool.h>\n#include <wchar.h>\n");
    for (index, row) in rows.iter().enumerate() {
        let _ = writeln!(header, "struct t{index} {{ {} m; }};", row.c_type);
    }
    let report = analyze("types.h", &header, &Target::ALL, false);
    let by_target: Vec<Vec<Layout>> = Target::ALL.iter().map(|&target| report.layouts(target)).collect();
    (0..rows.len())
        .map(|index| {
            let name = format!("struct t{index}");
            Target::ALL
                .iter()
                .zip(&by_target)
                .map(|(target, layouts)| {
                    let Some(layout) = layouts.iter().find(|l| l.name == name) else {
                        return "?".to_owned();
                    };
                    let sign = match rows[index].c_type {
                        "char" if target.char_is_signed() => " signed",
                        "char" => " unsigned",
                        _ => "",
                    };
                    format!("{}/{}{sign}", layout.size, layout.align)
                })
                .collect()
        })
        .collect()
}

/// The whole table, with a caption that says what it found.
pub fn type_table() -> Table {
    let rows = type_rows();
    let targets = per_target(&rows);
    let caption = caption(&rows, &targets);
    let mut columns: Vec<String> =
        ["C", "Rust", "Go (cgo)", "C here", "Rust here", ""].iter().map(|&c| c.to_owned()).collect();
    columns.extend(Target::ALL.iter().map(|t| t.triple().to_owned()));
    let table_rows = rows
        .iter()
        .zip(targets)
        .map(|(row, targets)| {
            let rust = match (row.rust_size, row.rust_align) {
                (Some(size), Some(align)) => format!("{size}/{align}"),
                _ => "-".to_owned(),
            };
            let verdict = match row.matches() {
                Some(true) => "match",
                Some(false) => "MISMATCH",
                None => "no Rust type",
            };
            let mut cells = vec![
                row.c_type.to_owned(),
                row.rust_type.to_owned(),
                row.go_type.to_owned(),
                format!("{}/{}", row.c_size, row.c_align),
                rust,
                verdict.to_owned(),
            ];
            cells.extend(targets);
            cells
        })
        .collect();
    Table { caption, columns, rows: table_rows }
}

/// What the table found, in words: matches here, and which types move
/// across targets (from the per-target cells).
fn caption(rows: &[TypeRow], targets: &[Vec<String>]) -> String {
    let mismatched: Vec<&str> = rows.iter().filter(|r| r.matches() == Some(false)).map(|r| r.c_type).collect();
    let unmapped: Vec<&str> = rows.iter().filter(|r| r.matches().is_none()).map(|r| r.c_type).collect();
    let here = if mismatched.is_empty() {
        format!(
            "On this machine every one of the {} types with a Rust counterpart matches C in size and alignment",
            rows.len() - unmapped.len()
        )
    } else {
        format!("On this machine {} differ from C: {}", mismatched.len(), mismatched.join(", "))
    };
    let unmapped = if unmapped.is_empty() { String::new() } else { format!("; Rust has no {}", unmapped.join(", ")) };
    let moving: Vec<&str> = rows
        .iter()
        .zip(targets)
        .filter(|(_, cells)| cells.iter().any(|cell| *cell != cells[0]))
        .map(|(row, _)| row.c_type)
        .collect();
    format!(
        "{here}{unmapped}. Across the five targets, {} of them change size, alignment or sign: {}. Bind C's named types with core::ffi's names (c_long, c_char…), never a fixed-width stand-in.",
        moving.len(),
        moving.join(", ")
    )
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
        if index == 0 {
            cx.note_with(|| {
                let listed: Vec<String> =
                    type_rows().iter().map(|r| format!("{} {}/{}", r.c_type, r.c_size, r.c_align)).collect();
                format!("C (size/align): {}", listed.join(", "))
            });
            return;
        }
        let mut types = 0;
        cx.table_with(|| {
            let table = type_table();
            types = table.rows.len();
            table
        });
        cx.note_with(|| {
            format!("{types} types measured in C and in Rust, and laid out for {} targets", Target::ALL.len())
        });
    }
}
