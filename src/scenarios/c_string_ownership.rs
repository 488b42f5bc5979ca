//! Lesson: C returns a `malloc`ed string, and the caller owns it. Rust copies
//! the text into its own heap and must hand the C string back to C's free.

use crate::ffi::{CMessage, rust_heap_site};

use super::{Scenario, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct CStringOwnership;

const VARIANTS: &[Variant] = &[
    Variant { name: "correct", summary: "Rust copies the message and gives the C string back to free_message." },
    Variant { name: "leak", summary: "Rust copies the message and forgets the C string: 20 bytes leak." },
];

const STEPS: &[StepInfo] = &[
    StepInfo {
        title: "C allocates the message",
        explanation: "create_message() mallocs 20 bytes and returns them. From now on the caller owns that block.",
    },
    StepInfo {
        title: "Rust copies the text",
        explanation: "CStr::to_string_lossy reads the C bytes and builds an owned String on the Rust heap. Two heaps now hold the text.",
    },
    StepInfo {
        title: "Give the C string back",
        explanation: "Only C's allocator may free C's block: Rust calls free_message, which calls free. Forgetting this is the leak.",
    },
    StepInfo { title: "Drop the Rust copy", explanation: "The String goes out of scope and Rust frees its own block." },
];

impl Scenario for CStringOwnership {
    fn id(&self) -> &'static str {
        "c-string-ownership"
    }

    fn title(&self) -> &'static str {
        "C returns a string you must free"
    }

    fn lesson(&self) -> &'static str {
        "ownership"
    }

    fn variants(&self) -> &'static [Variant] {
        VARIANTS
    }

    fn start(&self, variant: &str) -> Box<dyn ScenarioRun> {
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
        STEPS
    }

    fn run_step(&mut self, index: usize, _cx: &StepContext<'_>) {
        match index {
            0 => self.message = CMessage::create(),
            1 => {
                self.copy = self
                    .message
                    .as_ref()
                    .map(|message| rust_heap_site(c"to_string_lossy", || message.to_string_lossy().into_owned()));
            }
            2 => {
                if let Some(message) = self.message.take() {
                    if self.leaks {
                        message.leak();
                    } else {
                        drop(message);
                    }
                }
            }
            _ => self.copy = None,
        }
    }
}
