//! Lesson: a Rust string for C. `CString::new` allocates on the Rust heap,
//! `into_raw` lends the pointer out, and only `CString::from_raw` may free it.

use std::ffi::CString;

use crate::ffi::lessons::strings::RawCString;
use crate::ffi::name_rust_blocks;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct CStringIntoRaw;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "Rust takes the string back with CString::from_raw and drops it."),
    Variant::new("never-reclaimed", "into_raw is never paired with from_raw: the Rust block leaks."),
    Variant::new("c-frees-it", "C calls free() on the Rust pointer: a free with the wrong allocator."),
];

const MAKE: StepInfo = StepInfo {
    title: "Rust makes a C string",
    explanation: "CString::new copies the text and a NUL onto the Rust heap.",
    rust: "make",
    c: None,
};

const LEND: StepInfo = StepInfo {
    title: "Lend it to C",
    explanation: "into_raw gives up Rust's ownership and yields a *mut c_char. C reads the string; it does not own it.",
    rust: "lend",
    c: Some("read_rust_string"),
};

const CORRECT: &[StepInfo] = &[
    MAKE,
    LEND,
    StepInfo {
        title: "Take it back",
        explanation: "Whoever allocates frees: CString::from_raw rebuilds the CString, and dropping it frees the block with Rust's allocator. C is not involved.",
        rust: "reclaim",
        c: None,
    },
];

const NEVER_RECLAIMED: &[StepInfo] = &[
    MAKE,
    LEND,
    StepInfo {
        title: "Never take it back",
        explanation: "into_raw is never paired with from_raw: nothing rebuilds the CString, so nothing frees its 16 bytes. Rust's heap leaks.",
        rust: "reclaim",
        c: None,
    },
];

const C_FREES_IT: &[StepInfo] = &[
    MAKE,
    LEND,
    StepInfo {
        title: "C frees it",
        explanation: "C calls free() on a block Rust's allocator made: a free with the wrong allocator. The tracker refuses it (glibc would not notice, another allocator would corrupt its heap), and Rust, believing C freed it, never calls from_raw: the block leaks too.",
        rust: "reclaim",
        c: Some("c_frees_rust_string"),
    },
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "cstring-into-raw",
    title: "Lending a Rust string to C",
    lesson: "strings",
    variants: VARIANTS,
    rust_source: concat!(include_str!("cstring_into_raw.rs"), include_str!("../ffi/lessons/strings.rs")),
    c_source: include_str!("../../csrc/scenarios/strings.c"),
    releasers: &[("CString::new", "`CString::from_raw`, then drop")],
};

impl Scenario for CStringIntoRaw {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { variant: variant.to_owned(), text: None, raw: None })
    }
}

struct Run {
    variant: String,
    text: Option<CString>,
    raw: Option<RawCString>,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        match self.variant.as_str() {
            "never-reclaimed" => NEVER_RECLAIMED,
            "c-frees-it" => C_FREES_IT,
            _ => CORRECT,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => {
                let named = name_rust_blocks(c"CString::new");
                // [step:make]
                let text = CString::new("hello from Rust");
                // [/step]
                drop(named);
                self.text = text.ok();
            }
            1 => {
                let Some(text) = self.text.take() else { return };
                let (raw, length) = RawCString::lend(text);
                cx.note_with(|| format!("C read {length} bytes through {:p}", raw.as_ptr()));
                self.raw = Some(raw);
            }
            _ => {
                let Some(raw) = self.raw.take() else { return };
                match self.variant.as_str() {
                    "never-reclaimed" => raw.abandon(),
                    "c-frees-it" => raw.freed_by_c(),
                    _ => raw.reclaim(),
                }
            }
        }
    }
}
