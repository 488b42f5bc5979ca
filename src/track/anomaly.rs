//! Anomalies: what went wrong, where, and a sentence that says it plainly.

use serde::{Deserialize, Serialize};

use crate::ffi::{Domain, Event, EventKind, Form, Site};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    Leak,
    DoubleFree,
    InvalidFree,
    ForeignFree,
    /// A C++ block released by the wrong form: `delete` of `new[]`, `free` of `new`.
    MismatchedFree,
    HeapOverflow,
    UseAfterFree,
    LostUpdate,
    Panic,
    Crash,
    /// A worker process the run started died; the run itself went on.
    WorkerCrash,
}

impl AnomalyKind {
    pub fn label(self) -> &'static str {
        match self {
            AnomalyKind::Leak => "leak",
            AnomalyKind::DoubleFree => "double free",
            AnomalyKind::InvalidFree => "invalid free",
            AnomalyKind::ForeignFree => "foreign free",
            AnomalyKind::MismatchedFree => "mismatched free",
            AnomalyKind::HeapOverflow => "heap overflow",
            AnomalyKind::UseAfterFree => "use after free",
            AnomalyKind::LostUpdate => "lost update",
            AnomalyKind::Panic => "panic",
            AnomalyKind::Crash => "crash",
            AnomalyKind::WorkerCrash => "worker crash",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// The heap whose block is involved; `None` for lost updates, panics, crashes.
    pub domain: Option<Domain>,
    /// Where the bad operation happened (for a leak: who allocated).
    pub site: String,
    pub related_site: Option<String>,
    pub address: u64,
    pub bytes: u64,
    pub step: Option<u32>,
    /// Stream position and time, for anomalies that came from the tracker.
    pub seq: Option<u64>,
    pub time_ns: Option<u64>,
    pub message: String,
}

fn name(site: Option<Site>) -> &'static str {
    site.map_or("(unknown)", Site::name)
}

fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 { format!("1 {one}") } else { format!("{count} {many}") }
}

/// Why a free was refused as invalid: where the address lies, as the
/// tracker found it.
fn invalid_free_message(event: &Event, site: &str, heap: &str, related: Option<&str>) -> String {
    let related = related.unwrap_or("(unknown)");
    if event.related_address > event.address {
        format!(
            "`{site}` freed {:#x}, {} B before the start of a {heap}-heap block ({} B, from `{related}`): \
             code that keeps a header of its own before the blocks it hands out (SQLite's \
             `sqlite3_free` frees 8 B before the pointer it is given) was given a block it did \
             not allocate. Refused.",
            event.address, event.related_size, event.size,
        )
    } else if event.related_address != 0 {
        format!(
            "`{site}` freed {:#x}, which points {} B into a {} B block from `{related}`, not at its start. Refused.",
            event.address, event.related_size, event.size,
        )
    } else {
        format!(
            "`{site}` freed {:#x}, which is not a live block: no tracked allocator handed it out, or it was freed too long ago to be remembered. Refused.",
            event.address
        )
    }
}

/// A block released by a form other than the one that made it, and what
/// that does in a C++ program.
fn mismatched_free_message(event: &Event, site: &str, related: Option<&str>) -> String {
    let (made, released) = Form::pair_of(event.related_size);
    let release = if released == Form::Malloc { "`free` (or `realloc`)" } else { released.releaser() };
    let harm = match (made, released) {
        (Form::NewArray, Form::New) => {
            "`delete` runs one destructor where `new[]` ran one per element, and for a class with a \
             destructor it frees a pointer 8 B into the block."
        }
        (Form::New, Form::NewArray) => {
            "`delete[]` reads an element count that `new` never stored and runs that many destructors."
        }
        (Form::Malloc, _) => {
            "A destructor runs on memory no constructor made, and a program with an `operator new` of \
             its own releases the block to a heap that never held it."
        }
        (_, Form::Malloc) => {
            "No destructor runs, and a program with an `operator new` of its own hands the C library \
             a block it never made."
        }
        _ => "",
    };
    format!(
        "`{site}` released with {release} the {} B block that `{}` made with {}, which pairs with {}. {harm} \
         Released, as the C library's allocator behind both let it be.",
        event.size,
        related.unwrap_or("(unknown)"),
        made.maker(),
        made.releaser(),
    )
}

impl Anomaly {
    pub fn from_event(event: &Event, step: Option<u32>) -> Anomaly {
        let site = name(event.site);
        let related = event.related_site.map(Site::name);
        let heap = event.domain.label();
        let (kind, message) = match event.kind {
            EventKind::DoubleFree => (
                AnomalyKind::DoubleFree,
                format!(
                    "`{site}` freed {heap}-heap block {:#x} ({} B) a second time; `{}` had already freed it. Refused.",
                    event.address,
                    event.size,
                    related.unwrap_or("(unknown)"),
                ),
            ),
            EventKind::InvalidFree => (AnomalyKind::InvalidFree, invalid_free_message(event, site, heap, related)),
            EventKind::ForeignFree => (
                AnomalyKind::ForeignFree,
                format!(
                    "`{site}` passed a {heap}-heap block ({} B, from `{}`) to the other allocator's free. Refused: whoever allocates must free.",
                    event.size,
                    related.unwrap_or("(unknown)"),
                ),
            ),
            EventKind::MismatchedFree => (AnomalyKind::MismatchedFree, mismatched_free_message(event, site, related)),
            EventKind::HeapOverflow => (
                AnomalyKind::HeapOverflow,
                format!(
                    "Memory was touched {} past the end of a {} B block from `{}` (found by `{site}`).",
                    plural(event.related_size, "byte", "bytes"),
                    event.size,
                    related.unwrap_or("(unknown)"),
                ),
            ),
            EventKind::UseAfterFree => (
                AnomalyKind::UseAfterFree,
                format!(
                    "`{site}` touched offset {} of a {} B {heap}-heap block from `{}` after it was freed.",
                    event.related_size,
                    event.size,
                    related.unwrap_or("(unknown)"),
                ),
            ),
            EventKind::Crash => {
                (AnomalyKind::Crash, format!("The program was killed by signal {} at `{site}`.", event.related_size))
            }
            EventKind::ChildCrash => (
                AnomalyKind::WorkerCrash,
                format!(
                    "Child process {} was killed by signal {}; `{site}` reaped it.",
                    event.address, event.related_size
                ),
            ),
            EventKind::Alloc
            | EventKind::Free
            | EventKind::Realloc
            | EventKind::Reachable
            | EventKind::Image
            | EventKind::LostWith
            | EventKind::ChildKilled
            | EventKind::AllocatorElsewhere
            | EventKind::ReachableInterior
            | EventKind::Unknown(_) => (
                AnomalyKind::InvalidFree,
                format!("The tracker reported an event of unknown kind {:?} at `{site}`.", event.kind),
            ),
        };
        Anomaly {
            kind,
            domain: Some(event.domain),
            site: site.to_owned(),
            related_site: related.map(str::to_owned),
            address: event.address,
            bytes: event.size,
            step,
            seq: Some(event.seq),
            time_ns: Some(event.time_ns),
            message,
        }
    }

    /// Blocks still outstanding when a run ends, grouped by allocating site;
    /// `steps` are the first and last steps that allocated them, and
    /// `releaser` says how they should have been released, when known.
    pub fn leak(
        domain: Domain,
        site: &str,
        blocks: u64,
        bytes: u64,
        steps: Option<(u32, u32)>,
        releaser: Option<&str>,
    ) -> Anomaly {
        let when = match steps {
            Some((first, last)) if first != last => format!(" in steps {}–{}", first + 1, last + 1),
            Some((first, _)) => format!(" in step {}", first + 1),
            None => String::new(),
        };
        let step = steps.map(|(first, _)| first);
        let remedy = releaser.map_or_else(
            || format!("nobody released {}", if blocks == 1 { "it" } else { "them" }),
            |how| {
                format!(
                    "the caller owns {} and must release {} with {how}",
                    if blocks == 1 { "it" } else { "them" },
                    if blocks == 1 { "it" } else { "them" }
                )
            },
        );
        Anomaly {
            kind: AnomalyKind::Leak,
            domain: Some(domain),
            site: site.to_owned(),
            related_site: None,
            address: 0,
            bytes,
            step,
            seq: None,
            time_ns: None,
            message: format!(
                "Leaked {}, {bytes} B, on the {} heap, allocated by `{site}`{when}; {remedy}.",
                plural(blocks, "block", "blocks"),
                domain.label(),
            ),
        }
    }

    fn without_block(kind: AnomalyKind, site: &str, message: String) -> Anomaly {
        Anomaly {
            kind,
            domain: None,
            site: site.to_owned(),
            related_site: None,
            address: 0,
            bytes: 0,
            step: None,
            seq: None,
            time_ns: None,
            message,
        }
    }

    /// Increments that vanished because threads overwrote each other.
    pub fn lost_update(site: &str, expected: u64, actual: u64) -> Anomaly {
        let lost = expected.saturating_sub(actual);
        Anomaly::without_block(
            AnomalyKind::LostUpdate,
            site,
            format!(
                "Expected {expected} increments, counted {actual}: {lost} updates lost to unsynchronised read-modify-write."
            ),
        )
    }

    /// A panic, caught at the boundary or reported by a crashed child.
    pub fn panic(site: &str, message: &str) -> Anomaly {
        Anomaly::without_block(AnomalyKind::Panic, site, format!("A panic reached the boundary: {message}"))
    }

    /// A worker process died under the run, which survived it: `what`
    /// says what the worker was doing and what became of it.
    pub fn worker_crash(pid: u32, signal: &str, what: &str) -> Anomaly {
        Anomaly::without_block(
            AnomalyKind::WorkerCrash,
            "worker",
            format!("Worker process {pid} was killed by {signal} {what}"),
        )
    }

    /// The process died; `step_title` is the step it was in.
    pub fn crash(signal: &str, step: Option<u32>, step_title: &str) -> Anomaly {
        let when = step.map(|s| format!(" in step {} ({step_title})", s + 1)).unwrap_or_default();
        let mut anomaly = Anomaly::without_block(
            AnomalyKind::Crash,
            "process",
            format!("The process was killed by {signal}{when}. It ran isolated, so only the child died."),
        );
        anomaly.step = step;
        anomaly
    }
}
