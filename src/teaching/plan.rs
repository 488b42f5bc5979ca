//! The lesson plan, as data: the seed's order (ownership, strings, hand-off,
//! alignment, hygiene, arrays, release strategies, threads, panics, leak
//! hunt, a service that survives its C library, Struct Lab), each stop opening what it teaches with, and a few
//! words for whoever is teaching.

/// What a stop opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opens {
    /// A scenario, by id, in its default variant (`correct`, where it has one).
    Scenario(&'static str),
    /// A scenario in the variant the stop's notes start from.
    ScenarioVariant(&'static str, &'static str),
    /// A layout exhibit, by name.
    Exhibit(&'static str),
    StructLab,
    Quiz,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub title: &'static str,
    pub opens: Opens,
    pub minutes: u32,
    /// For the instructor: what to show and what to ask.
    pub notes: &'static str,
}

pub const PLAN: &[Stop] = &[
    Stop {
        title: "Who owns a C string?",
        opens: Opens::Scenario("c-string-ownership"),
        minutes: 7,
        notes: "Step the correct variant, then the leak. Ask: which allocator may free the 20 bytes, and who must call it?",
    },
    Stop {
        title: "Lending a Rust string to C",
        opens: Opens::Scenario("cstring-into-raw"),
        minutes: 6,
        notes: "into_raw gives ownership away; only from_raw takes it back. Show c-frees-it: the foreign free glibc would not notice.",
    },
    Stop {
        title: "The temporary that dies too soon",
        opens: Opens::Scenario("dangling-cstring"),
        minutes: 5,
        notes: "Read the temporary variant's one line aloud and ask when the CString is dropped. Then run it.",
    },
    Stop {
        title: "Handing ownership over and back",
        opens: Opens::Scenario("ownership-handoff"),
        minutes: 7,
        notes: "Box::into_raw with a destroy callback; an Arc whose count C holds. destroy-twice is caught; double-free-unprotected crashes a child.",
    },
    Stop {
        title: "Padding and packing",
        opens: Opens::Exhibit("PackedData"),
        minutes: 7,
        notes: "Hover `value` in each column: 3 bytes of padding, or none and misaligned. Then the alignment scenario's wrong mirrors.",
    },
    Stop {
        title: "A mirror that reads the wrong bytes",
        opens: Opens::Scenario("alignment"),
        minutes: 5,
        notes: "Run unpacked-mirror: the real bytes beside the garbage, and a read past the 13-byte block.",
    },
    Stop {
        title: "NULL checks and bounded copies",
        opens: Opens::Scenario("null-and-bounds"),
        minutes: 6,
        notes: "overflow is caught by the canary; null-unchecked really crashes, in a child, and the app carries on.",
    },
    Stop {
        title: "A C array as a slice",
        opens: Opens::Scenario("array-to-slice"),
        minutes: 6,
        notes: "The slice borrows C's memory; slice-after-free is a use after free the tracker refuses.",
    },
    Stop {
        title: "Release on every path",
        opens: Opens::Scenario("raii-release"),
        minutes: 6,
        notes: "manual-free leaks on the early-return path only. Ask the room to find it before running.",
    },
    Stop {
        title: "One release for many allocations",
        opens: Opens::Scenario("arena-release"),
        minutes: 5,
        notes: "Compare the plot's shapes: one step down for the arena, a staircase one by one.",
    },
    Stop {
        title: "Threads sharing a C counter",
        opens: Opens::Scenario("threads-shared-resource"),
        minutes: 6,
        notes: "Run unsynchronised twice: updates are lost both times, and not the same number. Ask why the count differs: it depends on how the threads happened to interleave. lock-step forces the worst case, one update per round; correct and atomic lose none.",
    },
    Stop {
        title: "A panic must not cross into C",
        opens: Opens::Scenario("panic-at-boundary"),
        minutes: 5,
        notes: "catch_unwind turns the panic into an error code; without it, Rust aborts the process.",
    },
    Stop {
        title: "Hunting a leak",
        opens: Opens::Scenario("leak-hunt"),
        minutes: 5,
        notes: "Run leaky to the end: the staircase, then the outstanding blocks and the one site they come from.",
    },
    Stop {
        title: "The service that survives its C library",
        opens: Opens::ScenarioVariant("service-survives", "in-process"),
        minutes: 6,
        notes: "Run in-process: the C parser's SIGSEGV at request 5 takes the whole service down, and requests 5 to 10 are lost. Ask: where could it have recovered? Then panic-recovered: the call level, one 400 answer and nothing lost, but only a panic can be caught this way, never a SIGSEGV. Then isolated-worker: the service level; the worker dies, the service restarts it and answers from its cache: one stale answer, none lost, the service's heap unbroken. Last restart-leaks: the same, plus the dead worker's 268-byte C block, leaked once per crash.",
    },
    Stop {
        title: "Your own structs, on five targets",
        opens: Opens::StructLab,
        minutes: 5,
        notes: "Paste a struct from the room's code; verify with the compilers; copy the Rust bindings with their guards.",
    },
    Stop {
        title: "Quiz: predict, then reveal",
        opens: Opens::Quiz,
        minutes: 3,
        notes: "Read the seed out so the room shares the questions; everyone writes their offsets down before Reveal.",
    },
];

/// The plan's length in minutes.
pub fn total_minutes() -> u32 {
    PLAN.iter().map(|s| s.minutes).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_fills_a_ninety_minute_workshop() {
        assert_eq!(total_minutes(), 90);
    }

    #[test]
    fn every_stop_opens_something_that_exists() {
        let scenarios = crate::scenarios::catalogue();
        for stop in PLAN {
            match stop.opens {
                Opens::Scenario(id) => assert!(scenarios.iter().any(|s| s.id() == id), "{id}"),
                Opens::ScenarioVariant(id, variant) => {
                    let scenario = scenarios.iter().find(|s| s.id() == id).unwrap_or_else(|| panic!("{id}"));
                    assert!(scenario.variant(variant).is_some(), "{id} / {variant}");
                }
                Opens::Exhibit(name) => {
                    assert!(crate::layout::exhibits::EXHIBITS.iter().any(|e| e.name == name), "{name}");
                }
                Opens::StructLab | Opens::Quiz => {}
            }
        }
    }
}
