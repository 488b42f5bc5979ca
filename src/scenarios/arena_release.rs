//! Lesson: a memory pool. Many small allocations inside one block are
//! released at once; allocated one by one, each needs its own free.

use crate::ffi::lessons::arena::{Arena, Item};
use crate::ffi::name_rust_blocks;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct ArenaRelease;

const ITEMS: usize = 100;
const ITEM_BYTES: usize = 24;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "100 items in one arena, released with one arena_free: one step down."),
    Variant::new("individual", "100 items allocated and freed one by one: a staircase each way."),
    Variant::new("leak-without-arena", "100 items allocated one by one, and the per-item frees forgotten."),
];

const IN_ARENA: &[StepInfo] = &[
    StepInfo {
        title: "Allocate 100 items in one arena",
        explanation: "arena_new mallocs one block, and each item is a pointer bump inside it: one allocation on the plot, however many items.",
        rust: "allocate",
        c: Some("arena_new"),
    },
    StepInfo {
        title: "Release the arena",
        explanation: "One arena_free releases every item at once: one step down.",
        rust: "release",
        c: Some("arena_free"),
    },
];

const ONE_BY_ONE: StepInfo = StepInfo {
    title: "Allocate 100 items one by one",
    explanation: "Without an arena each item is its own malloc, in item_alloc: a staircase up, 100 blocks.",
    rust: "allocate",
    c: Some("item_alloc"),
};

const INDIVIDUAL: &[StepInfo] = &[
    ONE_BY_ONE,
    StepInfo {
        title: "Free them one by one",
        explanation: "Items allocated one by one need one item_free each: a staircase down. It works, but every free is a call to remember.",
        rust: "release",
        c: Some("item_free"),
    },
];

const LEAK_WITHOUT_ARENA: &[StepInfo] = &[
    ONE_BY_ONE,
    StepInfo {
        title: "Forget them",
        explanation: "The per-item frees are forgotten: nothing calls item_free, and all 100 blocks leak. An arena would have needed one call.",
        rust: "release",
        c: None,
    },
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "arena-release",
    title: "An arena: many allocations, one release",
    lesson: "release strategies",
    variants: VARIANTS,
    rust_source: concat!(include_str!("arena_release.rs"), include_str!("../ffi/lessons/arena.rs")),
    c_source: include_str!("../../csrc/scenarios/arena.c"),
    releasers: &[("item_alloc", "`item_free`, one call per item (or an arena)")],
};

impl Scenario for ArenaRelease {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { variant: variant.to_owned(), arena: None, items: Vec::new() })
    }
}

struct Run {
    variant: String,
    arena: Option<Arena>,
    items: Vec<Item>,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        match self.variant.as_str() {
            "individual" => INDIVIDUAL,
            "leak-without-arena" => LEAK_WITHOUT_ARENA,
            _ => IN_ARENA,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        let in_arena = self.variant == "correct";
        if index == 0 {
            if in_arena {
                // [step:allocate]
                let Some(mut arena) = Arena::new(ITEMS * 32) else { return };
                let placed = (0..ITEMS).filter(|_| arena.alloc(ITEM_BYTES)).count();
                // [/step]
                cx.note_with(|| format!("{placed} items placed in one arena block"));
                self.arena = Some(arena);
            } else {
                let named = name_rust_blocks(c"Vec<Item>");
                // [step:allocate@individual,leak-without-arena]
                let items: Vec<Item> = (0..ITEMS).filter_map(|_| Item::alloc(ITEM_BYTES)).collect();
                // [/step]
                drop(named);
                let count = items.len();
                cx.note_with(|| format!("{count} separate C blocks"));
                self.items = items;
            }
            return;
        }
        // The Vec's own buffer goes with the step that released its items.
        let items = std::mem::take(&mut self.items);
        match self.variant.as_str() {
            "leak-without-arena" => {
                // [step:release@leak-without-arena]
                items.into_iter().for_each(std::mem::forget); // no Drop, so no item_free
                // [/step]
            }
            "individual" => {
                // [step:release@individual]
                drop(items); // each Item's Drop runs:
                // [/step]
            }
            _ => {
                let arena = self.arena.take();
                // [step:release]
                drop(arena); // one Drop, one arena_free, all 100 items:
                // [/step]
            }
        }
    }
}
