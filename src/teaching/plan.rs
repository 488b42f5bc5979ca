//! The lesson plan, as data: the seed's order (ownership, strings, type
//! mapping, hand-off, alignment, hygiene, arrays, release strategies,
//! threads, panics, leak hunt, a service that survives its C library, Struct
//! Lab), each stop opening what it teaches with, in the variant its notes
//! start from, and the notes for whoever is teaching: what the room should
//! see, and the answer to what it is asked.

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
    /// For the instructor only: what to show, what to ask, and the answer.
    pub notes: &'static str,
}

pub const PLAN: &[Stop] = &[
    Stop {
        title: "Who owns a C string?",
        opens: Opens::Scenario("c-string-ownership"),
        minutes: 6,
        notes: "Step the correct variant, then leak. Ask: which allocator may free the 20 bytes, and who must call it? Answer: C's, through free_message; the leak variant never calls it, and the verdict names create_message as the site.",
    },
    Stop {
        title: "Lending a Rust string to C",
        opens: Opens::Scenario("cstring-into-raw"),
        minutes: 6,
        notes: "Step correct: into_raw gives ownership away; only from_raw takes it back. Ask: what happens if C frees it? Run c-frees-it: a foreign free, refused here, that glibc would not even notice, and the 16 bytes leak on the Rust heap.",
    },
    Stop {
        title: "The temporary that dies too soon",
        opens: Opens::ScenarioVariant("dangling-cstring", "temporary"),
        minutes: 5,
        notes: "Read the temporary variant's one line aloud and ask when the CString is dropped. Answer: at the end of that statement, before C reads it. Run it: a use after free of the 7-byte string, caught in greet.",
    },
    Stop {
        title: "C, Rust and Go types",
        opens: Opens::Scenario("type-mapping"),
        minutes: 4,
        notes: "Ask which C types have no fixed size. Answer: long (8 bytes on Linux x86_64, 4 on Windows and i686), long double, and char's sign (unsigned on aarch64 and armv7); use c_long and c_char, never i64 and i8.",
    },
    Stop {
        title: "Handing ownership over and back",
        opens: Opens::Scenario("ownership-handoff"),
        minutes: 6,
        notes: "Step correct: Box::into_raw with a destroy callback; an Arc whose count C holds. Ask how many times destroy may run. Answer: exactly once. destroy-twice is a caught double free of the 28-byte Widget; double-free-unprotected aborts a child with SIGABRT.",
    },
    Stop {
        title: "Padding and packing",
        opens: Opens::Exhibit("PackedData"),
        minutes: 6,
        notes: "Ask the room for PackedData's size before hovering. Answer: 16 natural, 13 packed. Hover `value` in each column: 3 bytes of padding, or none and misaligned.",
    },
    Stop {
        title: "A mirror that reads the wrong bytes",
        opens: Opens::ScenarioVariant("alignment", "unpacked-mirror"),
        minutes: 5,
        notes: "Run unpacked-mirror: the real bytes beside what the mirror reads, and a read past the 13-byte block, caught. Ask why: the mirror has C's padding, the C struct is packed.",
    },
    Stop {
        title: "NULL checks and bounded copies",
        opens: Opens::Scenario("null-and-bounds"),
        minutes: 5,
        notes: "Step correct, then overflow: strcpy writes 26 bytes into 16, and the canary catches it. Then null-unchecked: strlen(NULL) is a real SIGSEGV in step 3, in a child, and the app carries on.",
    },
    Stop {
        title: "A C array as a slice",
        opens: Opens::Scenario("array-to-slice"),
        minutes: 5,
        notes: "Step correct: the slice borrows C's memory. Ask what a slice taken after free_array reads. Answer: freed memory; slice-after-free is a use after free of the 32-byte block, which the tracker refuses.",
    },
    Stop {
        title: "Release on every path",
        opens: Opens::ScenarioVariant("raii-release", "manual-free"),
        minutes: 5,
        notes: "In manual-free, ask the room to find the leak before running. Answer: the early return skips buffer_close; running it leaks the 48-byte buffer from buffer_open. The correct variant's guard closes it on every path.",
    },
    Stop {
        title: "One release for many allocations",
        opens: Opens::Scenario("arena-release"),
        minutes: 5,
        notes: "Step correct, then individual, and compare the plot's shapes: one step down for the arena, a staircase for individual frees. leak-without-arena forgets them all: 100 blocks, 2,400 bytes from item_alloc.",
    },
    Stop {
        title: "Threads sharing a C counter",
        opens: Opens::ScenarioVariant("threads-shared-resource", "unsynchronised"),
        minutes: 6,
        notes: "Run unsynchronised twice: updates are lost both times, and not the same number. Ask why the count differs. Answer: it depends on how the threads happened to interleave. lock-step forces the worst case, one update per round; correct and atomic lose none.",
    },
    Stop {
        title: "A panic must not cross into C",
        opens: Opens::Scenario("panic-at-boundary"),
        minutes: 5,
        notes: "Step correct: catch_unwind turns the panic into -1 and C frees its scratch memory. Ask what happens without it. Answer: no-catch-unwind aborts the process (SIGABRT): a panic cannot unwind out of an extern \"C\" function.",
    },
    Stop {
        title: "Hunting a leak",
        opens: Opens::ScenarioVariant("leak-hunt", "leaky"),
        minutes: 5,
        notes: "Run leaky to the end: the staircase, then the outstanding blocks and the one site they come from. Answer: 10 blocks of 64 bytes from read_body, one request in ten, on the status-400 path of handle_request.",
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
        notes: "Paste a struct from the room's code; verify with the compilers; copy the Rust bindings with their guards. Ask which target differs most. Usually i686 (4-byte long and int64_t alignment) or Windows (4-byte long).",
    },
    Stop {
        title: "Quiz: predict, then reveal",
        opens: Opens::Quiz,
        minutes: 5,
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

    /// Whether `variant` is named in `text` as a word of its own.
    fn names(text: &str, variant: &str) -> Option<usize> {
        text.match_indices(variant).map(|(at, _)| at).find(|&at| {
            let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            let before = text[..at].chars().next_back().is_none_or(|c| !word(c));
            let after = text[at + variant.len()..].chars().next().is_none_or(|c| !word(c));
            before && after
        })
    }

    #[test]
    fn each_stop_opens_the_variant_its_notes_start_from() {
        let scenarios = crate::scenarios::catalogue();
        for stop in PLAN {
            let (id, opened) = match stop.opens {
                Opens::Scenario(id) => (id, None),
                Opens::ScenarioVariant(id, variant) => (id, Some(variant)),
                _ => continue,
            };
            let scenario = scenarios.iter().find(|s| s.id() == id).unwrap();
            let opened = opened.unwrap_or_else(|| scenario.default_variant());
            let first_named = scenario
                .variants()
                .iter()
                .filter_map(|v| names(stop.notes, v.name).map(|at| (at, v.name)))
                .min()
                .map(|(_, name)| name);
            assert_eq!(first_named.unwrap_or(opened), opened, "{}: {}", stop.title, stop.notes);
        }
    }

    #[test]
    fn every_scenario_has_its_stop() {
        for scenario in crate::scenarios::catalogue() {
            let stopped = PLAN.iter().any(|stop| match stop.opens {
                Opens::Scenario(id) | Opens::ScenarioVariant(id, _) => id == scenario.id(),
                _ => false,
            });
            assert!(stopped, "{} has no stop in the plan", scenario.id());
        }
    }
}
