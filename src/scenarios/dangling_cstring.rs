//! Lesson: `CString::new(s).unwrap().as_ptr()` points into a temporary that
//! is dropped at the end of the statement; C receives a dangling pointer.

use std::ffi::CString;

use crate::ffi::lessons::strings::greet_pointer;
use crate::ffi::rust_heap_site;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct DanglingCString;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "The CString lives in a binding for as long as C uses the pointer."),
    Variant::new("temporary", "as_ptr() of a temporary: the string is freed before C reads it."),
];

const IN_A_BINDING: &[StepInfo] = &[StepInfo {
    title: "Pass a name to C",
    explanation: "C's greet reads the name during the call. The CString lives in a binding until the end of the block, so the pointer is valid while greet reads it.",
    rust: "pass",
    c: Some("greet"),
}];

const TEMPORARY: &[StepInfo] = &[StepInfo {
    title: "Pass a temporary's pointer to C",
    explanation: "as_ptr() of a temporary: the CString is dropped at the end of that statement, before greet reads the name. C's read of the freed bytes is a use after free, which the tracker refuses.",
    rust: "pass",
    c: Some("greet"),
}];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "dangling-cstring",
    title: "The dangling CString temporary",
    lesson: "strings",
    variants: VARIANTS,
    rust_source: concat!(include_str!("dangling_cstring.rs"), include_str!("../ffi/lessons/strings.rs")),
    c_source: include_str!("../../csrc/scenarios/strings.c"),
    releasers: &[],
};

impl Scenario for DanglingCString {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { temporary: variant == "temporary" })
    }
}

struct Run {
    temporary: bool,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        if self.temporary { TEMPORARY } else { IN_A_BINDING }
    }

    fn run_step(&mut self, _index: usize, cx: &mut StepContext<'_>) {
        let greeting = rust_heap_site(c"CString::new", || {
            if self.temporary {
                #[expect(dangling_pointers_from_temporaries, reason = "the broken variant of the lesson")]
                // [step:pass@temporary]
                let name = CString::new("ferris").unwrap_or_default().as_ptr(); // the CString dies here
                greet_pointer(name)
                // [/step]
            } else {
                // [step:pass@correct]
                let name = CString::new("ferris").unwrap_or_default(); // lives until the end of the block
                greet_pointer(name.as_ptr())
                // [/step]
            }
        });
        // Borrowed, not moved: the String must be dropped while recording.
        cx.note_with(|| match &greeting {
            Some(text) => format!("C answered: {text}"),
            None => "C's read was refused: the tracker knew the name's block was freed.".to_owned(),
        });
    }
}
