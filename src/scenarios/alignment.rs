//! Lesson: padding and packing. C fills a `#pragma pack(1)` struct (13
//! bytes, fields at 0, 1, 5); a Rust mirror reads the same bytes, and only
//! the mirror declared `#[repr(C, packed)]` reads them at the right offsets.

use crate::ffi::lessons::alignment::{CPackedData, Decoded};
use crate::ffi::unrecorded;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct Alignment;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "The mirror is #[repr(C, packed)]: every field is read where C wrote it."),
    Variant::new("unpacked-mirror", "The mirror is #[repr(C)] without packed: padding moves value and timestamp."),
    Variant::new("rust-layout-mirror", "The mirror has no repr(C): rustc orders the fields as it likes."),
];

const FILL: StepInfo = StepInfo {
    title: "C fills a packed struct",
    explanation: "#pragma pack(1) removes padding: flag at 0, value at 1, timestamp at 5, 13 bytes in all.",
    rust: "fill",
    c: Some("packed_data_new"),
};

const FREE: StepInfo = StepInfo {
    title: "C frees the struct",
    explanation: "C's block goes back to C's free.",
    rust: "free",
    c: Some("packed_data_free"),
};

/// The step that differs: the mirror Rust reads C's bytes through.
const fn steps_reading(read: StepInfo) -> [StepInfo; 3] {
    [FILL, read, FREE]
}

const PACKED_MIRROR: &[StepInfo] = &steps_reading(StepInfo {
    title: "Rust reads it through a packed mirror",
    explanation: "#[repr(C, packed)] gives the mirror C's layout exactly: flag at 0, value at 1, timestamp at 5, 13 bytes. Its fields are copied out by value, never borrowed: a reference to a misaligned field is an error.",
    rust: "read",
    c: None,
});

const UNPACKED_MIRROR: &[StepInfo] = &steps_reading(StepInfo {
    title: "Rust reads it through an unpacked mirror",
    explanation: "#[repr(C)] without packed pads the mirror like a natural C struct: 16 bytes with fields at 0, 4, 8. It reads the wrong bytes, and 3 bytes past the 13 that C allocated: the tracker catches the overflow.",
    rust: "read",
    c: None,
});

const RUST_LAYOUT_MIRROR: &[StepInfo] = &steps_reading(StepInfo {
    title: "Rust reads it through a repr(Rust) mirror",
    explanation: "Without repr(C), rustc chooses the order and the padding of the fields itself. The mirror is 16 bytes that match nothing C wrote, and its read runs past the 13-byte block: the tracker catches the overflow.",
    rust: "read",
    c: None,
});

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
        match self.variant.as_str() {
            "unpacked-mirror" => UNPACKED_MIRROR,
            "rust-layout-mirror" => RUST_LAYOUT_MIRROR,
            _ => PACKED_MIRROR,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => self.data = CPackedData::new(),
            1 => {
                let Some(data) = &self.data else { return };
                let read = match self.variant.as_str() {
                    "unpacked-mirror" => data.read_natural(),
                    "rust-layout-mirror" => data.read_rust_layout(),
                    _ => data.read_packed(),
                };
                let bytes = unrecorded(|| data.bytes());
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
            _ => self.data = None,
        }
    }
}
