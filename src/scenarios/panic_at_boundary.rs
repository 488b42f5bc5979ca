//! Lesson: a panic must not cross into C. C calls a Rust callback; the
//! callback catches its own panic with `catch_unwind` and returns an error
//! code, so C can clean up. Without it, Rust aborts the whole process.

use std::ffi::c_int;
use std::panic::catch_unwind;

use crate::ffi::lessons::callbacks::process_items;
use crate::ffi::name_rust_blocks;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct PanicAtBoundary;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "The callback wraps its body in catch_unwind and returns -1 on a panic."),
    Variant::crashing("no-catch-unwind", "The callback lets the panic escape into C: Rust aborts the process."),
];

const CAUGHT: &[StepInfo] = &[
    StepInfo {
        title: "C processes good items",
        explanation: "process_items allocates scratch memory and calls the Rust callback for each item. The callback wraps its body in catch_unwind.",
        rust: "callback",
        c: Some("process_items"),
    },
    StepInfo {
        title: "An item makes the callback panic, caught",
        explanation: "A negative item panics inside the callback. catch_unwind stops it at the boundary: the callback returns -1, C frees its scratch memory and returns its error.",
        rust: "callback",
        c: Some("process_items"),
    },
];

const UNCAUGHT: &[StepInfo] = &[
    StepInfo {
        title: "C processes good items",
        explanation: "process_items allocates scratch memory and calls the Rust callback for each item. This callback has no catch_unwind: nothing has gone wrong yet.",
        rust: "callback",
        c: Some("process_items"),
    },
    StepInfo {
        title: "An item makes the callback panic, uncaught",
        explanation: "A negative item panics inside the callback, and nothing catches it. A panic cannot unwind out of an extern \"C\" function: Rust aborts the process (SIGABRT), here only the child's.",
        rust: "callback",
        c: Some("process_items"),
    },
];

const BATCHES: [&[c_int]; 2] = [&[3, 1, 4], &[5, -9, 2]];

fn validate(item: c_int) {
    assert!(item >= 0, "negative item {item}");
}

// [step:callback@correct]
/// Called by C for each item: 0 to go on, -1 to stop.
extern "C" fn checked_callback(item: c_int) -> c_int {
    let outcome = catch_unwind(|| validate(item));
    if outcome.is_ok() { 0 } else { -1 }
}
// [/step]

// [step:callback@no-catch-unwind]
/// Wrong: a panic here cannot unwind out of an extern "C"
/// fn; Rust aborts.
extern "C" fn unchecked_callback(item: c_int) -> c_int {
    validate(item); // [crash]
    0
}
// [/step]

const INFO: ScenarioInfo = ScenarioInfo {
    id: "panic-at-boundary",
    title: "A panic inside a C callback",
    lesson: "panics",
    variants: VARIANTS,
    rust_source: concat!(include_str!("../ffi/lessons/callbacks.rs"), include_str!("panic_at_boundary.rs")),
    c_source: include_str!("../../csrc/scenarios/callbacks.c"),
    releasers: &[],
};

impl Scenario for PanicAtBoundary {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { catches: variant != "no-catch-unwind" })
    }
}

struct Run {
    catches: bool,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        if self.catches { CAUGHT } else { UNCAUGHT }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        let items = BATCHES[index.min(1)];
        let callback = if self.catches { checked_callback } else { unchecked_callback };
        // A panic allocates its message and payload on the Rust heap.
        let named = name_rust_blocks(c"the panic's payload");
        let result = process_items(items, callback);
        drop(named);
        cx.note_with(|| match result {
            Ok(()) => format!("C processed {items:?}"),
            Err(_) => {
                format!("the callback reported an error for {items:?}; C freed its scratch memory and returned -1")
            }
        });
    }
}
