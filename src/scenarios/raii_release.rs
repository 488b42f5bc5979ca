//! Lesson: automatic release. A guard whose `Drop` calls the C free releases
//! the resource on every path out of a function: the normal return, an
//! early return, and the `?` operator.

use std::ffi::CStr;

use crate::ffi::lessons::buffers::{BufferGuard, FillError, ManualBuffer};

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct RaiiRelease;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "A guard type closes the buffer in Drop, whatever the path."),
    Variant::new("manual-free", "buffer_close is called by hand, and the early return forgets it."),
];

const GUARDED: &[StepInfo] = &[
    StepInfo {
        title: "A valid input",
        explanation: "The normal path: open, fill, use; the guard's Drop closes the buffer when the function returns.",
        rust: "process",
        c: Some("buffer_open"),
    },
    StepInfo {
        title: "An empty input: early return",
        explanation: "The function returns before filling. The guard's Drop still calls buffer_close on the way out.",
        rust: "process",
        c: Some("buffer_close"),
    },
    StepInfo {
        title: "A refused input: the ? path",
        explanation: "buffer_fill fails and ? returns the error. The guard's Drop runs on the way out and closes the buffer.",
        rust: "process",
        c: Some("buffer_close"),
    },
];

const BY_HAND: &[StepInfo] = &[
    StepInfo {
        title: "A valid input",
        explanation: "The normal path: open, fill, use, and a buffer_close written by hand at the end.",
        rust: "process",
        c: Some("buffer_open"),
    },
    StepInfo {
        title: "An empty input: early return",
        explanation: "The function returns before it reaches its buffer_close: this path forgets it, and the 48-byte buffer leaks.",
        rust: "process",
        c: Some("buffer_open"),
    },
    StepInfo {
        title: "A refused input: the error path",
        explanation: "buffer_fill fails; this path remembered its own buffer_close before returning the error. Every path needs one: the early return above has none.",
        rust: "process",
        c: Some("buffer_close"),
    },
];

const INPUTS: [&CStr; 3] = [c"hello", c"", c"refused!"];

// [step:process]
/// Opens a C buffer, fills it with `input`, and reports
/// how much it holds.
fn process(input: &CStr) -> Result<usize, FillError> {
    let mut buffer = BufferGuard::open().ok_or(FillError)?;
    if input.is_empty() {
        return Ok(0); // early return: the guard closes the buffer
    }
    buffer.fill(input)?; // error return: the guard closes the buffer
    Ok(input.to_bytes().len())
} // normal return: the guard closes the buffer
// [/step]

// [step:process@manual-free]
/// The same, releasing by hand.
fn process_by_hand(input: &CStr) -> Result<usize, FillError> {
    let mut buffer = ManualBuffer::open().ok_or(FillError)?;
    if input.is_empty() {
        return Ok(0); // early return: buffer_close forgotten, the buffer leaks
    }
    if let Err(error) = buffer.fill(input) {
        buffer.close();
        return Err(error);
    }
    buffer.close();
    Ok(input.to_bytes().len())
}
// [/step]

const INFO: ScenarioInfo = ScenarioInfo {
    id: "raii-release",
    title: "A guard that frees on every path",
    lesson: "release strategies",
    variants: VARIANTS,
    rust_source: concat!(include_str!("raii_release.rs"), include_str!("../ffi/lessons/buffers.rs")),
    c_source: include_str!("../../csrc/scenarios/buffers.c"),
    releasers: &[("buffer_open", "`buffer_close` on every path (a guard's Drop does it)")],
};

impl Scenario for RaiiRelease {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { by_hand: variant == "manual-free" })
    }
}

struct Run {
    by_hand: bool,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        if self.by_hand { BY_HAND } else { GUARDED }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        let input = INPUTS[index.min(INPUTS.len() - 1)];
        let result = if self.by_hand { process_by_hand(input) } else { process(input) };
        cx.note_with(|| match result {
            Ok(bytes) => format!("process({input:?}) = Ok({bytes})"),
            Err(error) => format!("process({input:?}) = Err: {error}"),
        });
    }
}
