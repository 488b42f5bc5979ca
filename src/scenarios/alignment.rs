//! Lesson: padding and packing. C fills a `#pragma pack(1)` struct (13
//! bytes, fields at 0, 1, 5); a Rust mirror reads the same bytes, and only
//! the mirror declared `#[repr(C, packed)]` reads them at the right offsets.

use crate::ffi::lessons::alignment::{CPackedData, Decoded};

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct Alignment;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "The mirror is #[repr(C, packed)]: every field is read where C wrote it."),
    Variant::new("unpacked-mirror", "The mirror is #[repr(C)] without packed: padding moves value and timestamp."),
    Variant::new("rust-layout-mirror", "The mirror has no repr(C): rustc orders the fields as it likes."),
];

const STEPS: &[StepInfo] = &[
    StepInfo {
        title: "C fills a packed struct",
        explanation: "#pragma pack(1) removes padding: flag at 0, value at 1, timestamp at 5, 13 bytes in all.",
        rust: "fill",
        c: Some("packed_data_new"),
    },
    StepInfo {
        title: "Rust reads it through a mirror",
        explanation: "The mirror must have C's layout exactly. A naturally aligned mirror is 16 bytes with fields at 0, 4, 8: it reads the wrong bytes, and more bytes than C allocated.",
        rust: "read",
        c: None,
    },
    StepInfo {
        title: "C frees the struct",
        explanation: "C's block goes back to C's free.",
        rust: "free",
        c: Some("packed_data_free"),
    },
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "alignment",
    title: "Reading a packed C struct from Rust",
    lesson: "alignment",
    variants: VARIANTS,
    rust_source: concat!(include_str!("alignment.rs"), include_str!("../ffi/lessons/alignment.rs")),
    c_source: include_str!("../../csrc/scenarios/alignment.c"),
    releasers: &[],
};

impl Scenario for Alignment {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { variant: variant.to_owned(), data: None })
    }
}

struct Run {
    variant: String,
    data: Option<CPackedData>,
}

fn describe(read: &Decoded) -> String {
    format!(
        "flag = {}, value = {:#x}, timestamp = {} ({}-byte mirror)",
        read.flag, read.value, read.timestamp, read.mirror_size
    )
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        STEPS
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => {
                // [step:fill]
                self.data = CPackedData::new(); // flag = 1, value = 0xDEADBEEF, timestamp = 1700000000123
                // [/step]
            }
            1 => {
                let Some(data) = &self.data else { return };
                let read = match self.variant.as_str() {
                    // [step:read@unpacked-mirror]
                    "unpacked-mirror" => data.read_natural(), // #[repr(C)] NaturalMirror: 16 bytes
                    // [/step]
                    // [step:read@rust-layout-mirror]
                    "rust-layout-mirror" => data.read_rust_layout(), // RustMirror, no repr(C)
                    // [/step]
                    // [step:read]
                    _ => data.read_packed(), // #[repr(C, packed)] PackedMirror: 13 bytes
                                             // [/step]
                };
                let bytes = data.bytes();
                let right = data.read_packed();
                cx.note_with(|| {
                    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    format!("C's {} bytes: {}", bytes.len(), hex.join(" "))
                });
                cx.note_with(|| format!("the mirror read: {}", describe(&read)));
                if read != right {
                    cx.note_with(|| format!("C wrote:        {}", describe(&right)));
                }
            }
            _ => {
                // [step:free]
                self.data = None; // CPackedData's Drop calls packed_data_free
                // [/step]
            }
        }
    }
}
