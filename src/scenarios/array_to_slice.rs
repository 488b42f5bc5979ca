//! Lesson: C returns a dynamic array; Rust views it as a slice, copies what
//! it needs, and gives the array back. The slice must not outlive the array.

use crate::ffi::lessons::arrays::{CArray, StaleView};

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct ArrayToSlice;

const LEN: usize = 8;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "Copy the slice into a Vec, then free the C array."),
    Variant::new("slice-after-free", "A view of the array is kept and read after the array is freed."),
    Variant::new("never-freed", "The C array is never given back: 32 bytes leak."),
];

const CREATE: StepInfo = StepInfo {
    title: "C creates an array",
    explanation: "create_array(8) mallocs 8 int32_t (32 bytes) of squares.",
    rust: "create",
    c: Some("create_array"),
};

const VIEW: StepInfo = StepInfo {
    title: "View it as a slice and copy it",
    explanation: "slice::from_raw_parts(ptr, n) borrows C's memory without copying; to_vec copies it onto the Rust heap.",
    rust: "view",
    c: None,
};

const GIVE_BACK: StepInfo = StepInfo {
    title: "Give the array back",
    explanation: "free_array releases C's block. Any slice of it is now dangling.",
    rust: "free",
    c: Some("free_array"),
};

const DROP: StepInfo = StepInfo { title: "Drop the copy", explanation: "Rust frees its Vec.", rust: "drop", c: None };

const CORRECT: &[StepInfo] = &[
    CREATE,
    VIEW,
    GIVE_BACK,
    StepInfo {
        title: "Use the data",
        explanation: "The Vec is Rust's own copy and stays valid after C's array is gone.",
        rust: "use",
        c: None,
    },
    DROP,
];

const SLICE_AFTER_FREE: &[StepInfo] = &[
    CREATE,
    VIEW,
    StepInfo {
        title: "Give the array back, keeping a view",
        explanation: "free_array releases C's block, but a view of it is kept: from here on it points at freed memory.",
        rust: "free",
        c: Some("free_array"),
    },
    StepInfo {
        title: "Read the old view",
        explanation: "The view still points at C's array, which free_array has released: reading it is a use after free, which the tracker refuses.",
        rust: "use",
        c: None,
    },
    DROP,
];

const NEVER_FREED: &[StepInfo] = &[
    CREATE,
    VIEW,
    StepInfo {
        title: "Keep the array",
        explanation: "Nobody calls free_array: C's 32 bytes outlive every use of them. That is the leak.",
        rust: "free",
        c: None,
    },
    StepInfo {
        title: "Use the data",
        explanation: "The Vec is Rust's own copy; the C array is still allocated and nobody will free it.",
        rust: "use",
        c: None,
    },
    DROP,
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "array-to-slice",
    title: "A C array as a Rust slice",
    lesson: "arrays",
    variants: VARIANTS,
    rust_source: concat!(include_str!("array_to_slice.rs"), include_str!("../ffi/lessons/arrays.rs")),
    c_source: include_str!("../../csrc/scenarios/arrays.c"),
    releasers: &[("create_array", "`free_array`")],
};

impl Scenario for ArrayToSlice {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { variant: variant.to_owned(), array: None, copy: None, stale: None })
    }
}

struct Run {
    variant: String,
    array: Option<CArray>,
    copy: Option<Vec<i32>>,
    stale: Option<StaleView>,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        match self.variant.as_str() {
            "slice-after-free" => SLICE_AFTER_FREE,
            "never-freed" => NEVER_FREED,
            _ => CORRECT,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => self.array = CArray::create(LEN),
            1 => {
                let Some(array) = &self.array else { return };
                let copy = array.copy_out();
                cx.note_with(|| format!("copied {copy:?}"));
                self.copy = Some(copy);
            }
            2 => {
                let Some(array) = self.array.take() else { return };
                match self.variant.as_str() {
                    "slice-after-free" => self.stale = Some(array.free_keeping_view()),
                    "never-freed" => array.leak(),
                    _ => drop(array),
                }
            }
            3 => {
                if let Some(view) = &self.stale {
                    let values = view.read();
                    cx.note_with(|| match &values {
                        Some(values) => format!("read {values:?}"),
                        None => "the read was refused: the array was already freed".to_owned(),
                    });
                } else {
                    let Some(copy) = &self.copy else { return };
                    // [step:use]
                    let sum: i32 = copy.iter().sum();
                    // [/step]
                    cx.note_with(|| format!("sum of the copy: {sum}"));
                }
            }
            _ => {
                let Some(copy) = self.copy.take() else { return };
                // [step:drop]
                drop(copy); // Rust's allocator frees the Vec's block
                // [/step]
            }
        }
    }
}
