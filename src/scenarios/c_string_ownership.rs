//! Lesson: C returns a `malloc`ed string, and the caller owns it. Rust copies
//! the text into its own heap and must hand the C string back to C's free.

use crate::ffi::{CMessage, name_rust_blocks};

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct CStringOwnership;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "Rust copies the message and gives the C string back to free_message."),
    Variant::new("leak", "Rust copies the message and forgets the C string: 20 bytes leak."),
];

const CREATE: StepInfo = StepInfo {
    title: "C allocates the message",
    explanation: "create_message() mallocs 20 bytes and returns them. From now on the caller owns that block.",
    rust: "create",
    c: Some("create_message"),
};

const COPY: StepInfo = StepInfo {
    title: "Rust copies the text",
    explanation: "CStr::to_string_lossy reads the C bytes and builds an owned String on the Rust heap. Two heaps now hold the text.",
    rust: "copy",
    c: None,
};

const DROP_COPY: StepInfo = StepInfo {
    title: "Drop the Rust copy",
    explanation: "The String goes out of scope and Rust frees its own block.",
    rust: "drop_copy",
    c: None,
};

const CORRECT: &[StepInfo] = &[
    CREATE,
    COPY,
    StepInfo {
        title: "Give the C string back",
        explanation: "Only C's allocator may free C's block: Rust calls free_message, which calls free.",
        rust: "give_back",
        c: Some("free_message"),
    },
    DROP_COPY,
];

const LEAK: &[StepInfo] = &[
    CREATE,
    COPY,
    StepInfo {
        title: "Forget the C string",
        explanation: "The pointer is forgotten and free_message is never called: C's 20 bytes stay allocated, with nobody left who can free them. That is the leak.",
        rust: "give_back",
        c: None,
    },
    DROP_COPY,
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "c-string-ownership",
    title: "C returns a string you must free",
    lesson: "ownership",
    variants: VARIANTS,
    rust_source: concat!(include_str!("c_string_ownership.rs"), include_str!("../ffi/lessons/messages.rs")),
    c_source: include_str!("../../csrc/scenarios/messages.c"),
    releasers: &[("create_message", "`free_message`")],
};

impl Scenario for CStringOwnership {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { leaks: variant == "leak", message: None, copy: None })
    }
}

struct Run {
    leaks: bool,
    message: Option<CMessage>,
    copy: Option<String>,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        if self.leaks { LEAK } else { CORRECT }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => self.message = CMessage::create(),
            1 => {
                let Some(message) = &self.message else { return };
                let named = name_rust_blocks(c"to_string_lossy");
                let copy = message.copy_text();
                drop(named);
                cx.note_with(|| format!("Rust's copy: {copy:?}"));
                self.copy = Some(copy);
            }
            2 => {
                let Some(message) = self.message.take() else { return };
                if self.leaks { message.leak() } else { drop(message) }
            }
            _ => {
                let Some(copy) = self.copy.take() else { return };
                // [step:drop_copy]
                drop(copy); // Rust's allocator frees the String's block
                // [/step]
            }
        }
    }
}
