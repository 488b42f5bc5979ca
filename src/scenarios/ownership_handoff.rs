//! Lesson: who frees what. A `Box` handed to C with `into_raw` must come back
//! exactly once, through the destroy callback C was given; an `Arc` shared
//! with C counts C's reference like any other.

use crate::ffi::lessons::handoff::{Holder, Shared, hand_over, share, unprotected_double_free};

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct OwnershipHandoff;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "C calls destroy exactly once and drops its Arc reference."),
    Variant::new("destroy-twice", "C calls destroy a second time: the double free is caught and refused."),
    Variant::new("never-destroyed", "C drops the holder without calling destroy: the widget leaks."),
    Variant::crashing(
        "double-free-unprotected",
        "C frees a raw malloc block twice with no tracker in the way: glibc aborts.",
    ),
];

const HAND_OVER: StepInfo = StepInfo {
    title: "Hand a Box to C",
    explanation: "Box::into_raw gives up Rust's ownership; C keeps the pointer with the destroy callback that must give it back.",
    rust: "hand_over",
    c: Some("holder_adopt"),
};

const SHARE: StepInfo = StepInfo {
    title: "Share an Arc with C",
    explanation: "Arc::into_raw of a clone hands C one strong count. The widget lives until every count, C's included, is gone.",
    rust: "share",
    c: Some("shared_keep"),
};

const UNSHARE: StepInfo = StepInfo {
    title: "Both drop their Arc",
    explanation: "C releases its count through the callback; Rust drops its own. The last one frees the widget.",
    rust: "unshare",
    c: Some("shared_drop"),
};

/// The step that differs: how C gives the Box back, or fails to.
const fn steps_releasing(release: StepInfo) -> [StepInfo; 4] {
    [HAND_OVER, SHARE, release, UNSHARE]
}

const CORRECT: &[StepInfo] = &steps_releasing(StepInfo {
    title: "C releases the Box",
    explanation: "C calls destroy exactly once; Rust's callback rebuilds the Box with from_raw and drops it.",
    rust: "release",
    c: Some("holder_release"),
});

const DESTROY_TWICE: &[StepInfo] = &steps_releasing(StepInfo {
    title: "C destroys the Box twice",
    explanation: "C calls destroy a second time on a Box the first call already freed: a double free of the 28-byte widget, which the tracker catches and refuses.",
    rust: "release",
    c: Some("holder_release"),
});

const NEVER_DESTROYED: &[StepInfo] = &steps_releasing(StepInfo {
    title: "C drops the holder, not the Box",
    explanation: "C frees its holder without calling destroy: nothing rebuilds the Box, and the widget leaks on Rust's heap.",
    rust: "release",
    c: Some("holder_release"),
});

const DOUBLE_FREE_UNPROTECTED: &[StepInfo] = &steps_releasing(StepInfo {
    title: "C frees a raw block twice",
    explanation: "With no tracker in the way, C frees one malloc block twice: glibc detects the corruption and aborts the process, here only the child's.",
    rust: "release",
    c: Some("holder_release"),
});

const INFO: ScenarioInfo = ScenarioInfo {
    id: "ownership-handoff",
    title: "Handing ownership to C and back",
    lesson: "hand-off",
    variants: VARIANTS,
    rust_source: concat!(include_str!("ownership_handoff.rs"), include_str!("../ffi/lessons/handoff.rs")),
    c_source: include_str!("../../csrc/scenarios/handoff.c"),
    releasers: &[("Box::new(Widget)", "C's single call of the destroy callback")],
};

impl Scenario for OwnershipHandoff {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { variant: variant.to_owned(), holder: None, shared: None })
    }
}

struct Run {
    variant: String,
    holder: Option<Holder>,
    shared: Option<Shared>,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        match self.variant.as_str() {
            "destroy-twice" => DESTROY_TWICE,
            "never-destroyed" => NEVER_DESTROYED,
            "double-free-unprotected" => DOUBLE_FREE_UNPROTECTED,
            _ => CORRECT,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        match index {
            0 => self.holder = hand_over(7, "handed to C"),
            1 => {
                self.shared = share(8, "shared with C");
                let count = self.shared.as_ref().map_or(0, Shared::strong_count);
                cx.note_with(|| format!("Arc strong count: {count} (Rust's and C's)"));
            }
            2 => {
                let Some(holder) = self.holder.take() else { return };
                match self.variant.as_str() {
                    "destroy-twice" => holder.release_twice(),
                    "never-destroyed" => holder.forget_object(),
                    "double-free-unprotected" => {
                        unprotected_double_free();
                        holder.release();
                    }
                    _ => holder.release(),
                }
            }
            _ => {
                if let Some(shared) = self.shared.take() {
                    shared.unshare();
                }
            }
        }
    }
}
