//! Lesson: avoiding segfaults. Copy into a fixed buffer with a bound, and
//! check a pointer for NULL before reading through it.

use crate::ffi::lessons::bounds::{CBuffer, find_user_name, name_length_unchecked};

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct NullAndBounds;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "Copies are bounded (strncpy-style) and NULL is checked before any read."),
    Variant::new("overflow", "An unbounded strcpy writes past the buffer: the tail canary catches it."),
    Variant::crashing("null-unchecked", "The NULL from a failed lookup is read without a check: SIGSEGV."),
];

/// 25 characters and a NUL, for a 16-byte buffer.
const LONG_TEXT: &std::ffi::CStr = c"The quick brown fox jumps";
const UNKNOWN_USER: i32 = 99;

const MAKE: StepInfo = StepInfo {
    title: "C allocates a 16-byte buffer",
    explanation: "A fixed-size buffer, as C code often has.",
    rust: "make",
    c: Some("make_buffer"),
};

const BOUNDED_COPY: StepInfo = StepInfo {
    title: "Copy 25 characters into it, bounded",
    explanation: "The bounded copy writes at most 15 characters and a NUL: the text is cut, the buffer intact.",
    rust: "copy",
    c: Some("copy_into"),
};

const CHECKED_LOOKUP: StepInfo = StepInfo {
    title: "Look up a user that does not exist",
    explanation: "The lookup returns NULL, and Rust checks before any read: None instead of a pointer, nothing read.",
    rust: "lookup",
    c: Some("lookup_user_name"),
};

const FREE: StepInfo = StepInfo {
    title: "Free the buffer",
    explanation: "C's buffer goes back to C's free.",
    rust: "free",
    c: Some("free_buffer"),
};

const CORRECT: &[StepInfo] = &[MAKE, BOUNDED_COPY, CHECKED_LOOKUP, FREE];

const OVERFLOW: &[StepInfo] = &[
    MAKE,
    StepInfo {
        title: "Copy 25 characters into it, unbounded",
        explanation: "strcpy copies until the terminator, whatever the buffer holds: 26 bytes into 16, 10 past the end. The tracker's tail canary catches the overflow.",
        rust: "copy",
        c: Some("copy_into"),
    },
    CHECKED_LOOKUP,
    FREE,
];

const NULL_UNCHECKED: &[StepInfo] = &[
    MAKE,
    BOUNDED_COPY,
    StepInfo {
        title: "Look up a user that does not exist, unchecked",
        explanation: "The lookup returns NULL, and its length is asked without a check: strlen(NULL) reads address 0, a real SIGSEGV. Here only the child dies.",
        rust: "lookup",
        c: Some("lookup_user_name"),
    },
    FREE,
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "null-and-bounds",
    title: "NULL checks and bounded copies",
    lesson: "hygiene",
    variants: VARIANTS,
    rust_source: concat!(include_str!("null_and_bounds.rs"), include_str!("../ffi/lessons/bounds.rs")),
    c_source: include_str!("../../csrc/scenarios/bounds.c"),
    releasers: &[],
};

impl Scenario for NullAndBounds {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { variant: variant.to_owned(), buffer: None })
    }
}

struct Run {
    variant: String,
    buffer: Option<CBuffer>,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        match self.variant.as_str() {
            "overflow" => OVERFLOW,
            "null-unchecked" => NULL_UNCHECKED,
            _ => CORRECT,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => self.buffer = CBuffer::new(16),
            1 => {
                let Some(buffer) = &mut self.buffer else { return };
                if self.variant == "overflow" {
                    buffer.copy_unbounded(LONG_TEXT);
                } else {
                    buffer.copy_bounded(LONG_TEXT);
                }
                cx.note_with(|| format!("the buffer now reads {:?}", buffer.contents()));
            }
            2 => {
                if self.variant == "null-unchecked" {
                    let length = name_length_unchecked(UNKNOWN_USER);
                    cx.note_with(|| format!("name length {length}"));
                } else {
                    let found = find_user_name(UNKNOWN_USER);
                    cx.note_with(|| match found {
                        Some(name) => format!("found {name:?}"),
                        None => format!("no user {UNKNOWN_USER}: checked, nothing read"),
                    });
                }
            }
            _ => self.buffer = None,
        }
    }
}
