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

const STEPS: &[StepInfo] = &[StepInfo {
    title: "Pass a name to C",
    explanation: "C's greet reads the name during the call. The pointer must stay valid until greet returns: keep the CString alive in a binding.",
    rust: "pass",
    c: Some("greet"),
}];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "dangling-cstring",
    title: "The dangling CString temporary",
    lesson: "strings",
    variants: VARIANTS,
    rust_source: include_str!("dangling_cstring.rs"),
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
        STEPS
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
                // [step:pass]
                let name = CString::new("ferris").unwrap_or_default(); // lives until the end of the block
                greet_pointer(name.as_ptr())
                // [/step]
            }
        });
        // Borrowed, not moved: the String must be dropped while recording.
        cx.note_with(|| match &greeting {
            Some(text) => format!("C answered: {text}"),
            None => "C refused to read the pointer: the tracker knew its block was freed.".to_owned(),
        });
    }
}
