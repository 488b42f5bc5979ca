//! A recording's call stacks as a flame graph: the collapsed lines
//! `flamegraph.pl`, inferno and speedscope read (`heap;outer;…;inner
//! weight`), and the SVG inferno draws from them. Each heap is a tower of
//! its own, its name the root frame.

use crate::record::flame::{FlameCounts, FlameStack};

/// What a flame graph weighs each stack by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlameOf {
    /// Bytes held when the stack's heap was at its peak (each heap at its own).
    #[default]
    Peak,
    /// Bytes lost at exit, as the leak check found.
    Leaks,
    /// Bytes allocated, over the whole run.
    Allocated,
    /// Allocations made, over the whole run; a realloc counts as one.
    Allocations,
    /// Temporary allocations: freed by the thread that made them before it
    /// allocated again.
    Temporary,
}

impl FlameOf {
    pub const ALL: [FlameOf; 5] =
        [FlameOf::Peak, FlameOf::Leaks, FlameOf::Allocated, FlameOf::Allocations, FlameOf::Temporary];

    /// Its name on the app's choice of what a flame graph weighs.
    pub fn label(self) -> &'static str {
        match self {
            FlameOf::Peak => "Peak",
            FlameOf::Leaks => "Leaks",
            FlameOf::Allocated => "Allocated",
            FlameOf::Allocations => "Allocations",
            FlameOf::Temporary => "Temporary",
        }
    }

    pub fn weight(self, counts: &FlameCounts) -> u64 {
        match self {
            FlameOf::Peak => counts.peak_bytes,
            FlameOf::Leaks => counts.leaked_bytes,
            FlameOf::Allocated => counts.allocated_bytes,
            FlameOf::Allocations => counts.allocations,
            FlameOf::Temporary => counts.temporary,
        }
    }

    /// Whether the weight is bytes, not a count of allocations.
    pub fn counts_bytes(self) -> bool {
        matches!(self, FlameOf::Peak | FlameOf::Leaks | FlameOf::Allocated)
    }

    /// What the weight counts, as a frame's hover says it.
    pub fn unit(self) -> &'static str {
        match self {
            FlameOf::Allocations | FlameOf::Temporary => "allocations",
            FlameOf::Peak | FlameOf::Leaks | FlameOf::Allocated => "bytes",
        }
    }

    /// What the weight measures, after "their": "bytes held at the peak".
    pub fn measure(self) -> &'static str {
        match self {
            FlameOf::Peak => "bytes held at the peak",
            FlameOf::Leaks => "bytes leaked",
            FlameOf::Allocated => "bytes allocated",
            FlameOf::Allocations => "allocations",
            FlameOf::Temporary => "temporary allocations",
        }
    }

    /// Why nothing was drawn: no stack that…
    pub fn nothing_to_weigh(self) -> &'static str {
        match self {
            FlameOf::Peak => "held anything at a heap's peak",
            FlameOf::Leaks => "leaked",
            FlameOf::Allocated | FlameOf::Allocations => "allocated anything",
            FlameOf::Temporary => "made a temporary allocation",
        }
    }

    /// What the graph shows, as its subtitle says it.
    pub fn subtitle(self) -> &'static str {
        match self {
            FlameOf::Peak => "What each heap held at its peak, by the stack that made it",
            FlameOf::Leaks => "What leaked, by the stack that made it",
            FlameOf::Allocated => "Bytes allocated over the whole run, by stack",
            FlameOf::Allocations => "Allocations made over the whole run (a realloc counts as one), by stack",
            FlameOf::Temporary => "Temporary allocations (freed before their thread allocated again), by stack",
        }
    }
}

/// The stacks as collapsed lines, root first, those that weigh nothing
/// left out. `inverted` turns each over, its heap still first: the
/// function that made the blocks next, then its callers out to the
/// program's entry, as heaptrack's bottom-up view and memray's inverted
/// flame graph have them.
pub fn folded_lines(stacks: &[FlameStack], of: FlameOf, inverted: bool) -> Vec<String> {
    stacks
        .iter()
        .filter_map(|stack| {
            let weight = of.weight(&stack.counts);
            (weight > 0).then(|| {
                let mut frames: Vec<&str> = stack.frames.iter().map(String::as_str).collect();
                if inverted {
                    frames.reverse();
                }
                format!("{} heap;{} {weight}", stack.heap.label(), frames.join(";"))
            })
        })
        .collect()
}

/// Each stack with what it weighed in the recording compared with and in
/// this one (`…;frame before after`), from both recordings' `folded_lines`,
/// as inferno's differential flame graph reads them.
pub fn differential_lines(before: &[String], after: &[String]) -> Result<Vec<String>, String> {
    let mut merged = Vec::new();
    let (before, after) = (before.join("\n"), after.join("\n"));
    let options = inferno::differential::Options::default();
    inferno::differential::from_readers(options, before.as_bytes(), after.as_bytes(), &mut merged)
        .map_err(|error| error.to_string())?;
    Ok(String::from_utf8_lossy(&merged).lines().map(str::to_owned).collect())
}

/// The flame graph of `lines` (`folded_lines`' for `of`, turned over if
/// `inverted`; `differential_lines` when `compared_with`
/// names the other recording) as an SVG, titled with the program recorded;
/// `None` when no stack weighs anything (no leak, nothing allocated).
pub fn flame_graph_svg(
    lines: &[String],
    of: FlameOf,
    program: &str,
    inverted: bool,
    compared_with: Option<&str>,
) -> Option<Result<Vec<u8>, String>> {
    if lines.is_empty() {
        return None;
    }
    let mut options = inferno::flamegraph::Options::default();
    options.title = format!("ffiscope record: {program}");
    let turned =
        if inverted { "; inverted: the functions that made blocks first, their callers above them" } else { "" };
    let compared = compared_with.map_or_else(String::new, |other| {
        format!(
            "; compared with {other}: each frame as wide as in this recording, red where it grew, blue where it \
             shrank"
        )
    });
    options.subtitle = Some(format!("{}{turned}{compared}", of.subtitle()));
    of.unit().clone_into(&mut options.count_name);
    "Frame:".clone_into(&mut options.name_type);
    options.colors = inferno::flamegraph::Palette::Basic(inferno::flamegraph::color::BasicPalette::Mem);
    // The same recording draws the same file.
    options.deterministic = true;
    let mut svg = Vec::new();
    let drawn = inferno::flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut svg);
    Some(drawn.map(|()| svg).map_err(|error| error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::{FlameOf, flame_graph_svg, folded_lines};
    use crate::ffi::Domain;
    use crate::record::flame::{FlameCounts, FlameStack};

    /// inferno's SVG declares its document type.
    const DOCTYPE_ALLOWED: roxmltree::ParsingOptions =
        roxmltree::ParsingOptions { allow_dtd: true, nodes_limit: u32::MAX };

    fn stack(heap: Domain, frames: &[&str], peak_bytes: u64, leaked_bytes: u64) -> FlameStack {
        let counts =
            FlameCounts { allocations: 1, allocated_bytes: 64, peak_bytes, leaked_bytes, ..FlameCounts::default() };
        FlameStack { heap, frames: frames.iter().map(|&f| f.to_owned()).collect(), counts }
    }

    #[test]
    fn each_stack_is_a_line_under_its_heap_weighed_by_what_was_asked() {
        let stacks = [
            stack(Domain::C, &["main (a.c:9)", "make (a.c:3)"], 40, 0),
            stack(Domain::Rust, &["app::main (main.rs:4)"], 0, 24),
        ];
        assert_eq!(folded_lines(&stacks, FlameOf::Peak, false), ["C heap;main (a.c:9);make (a.c:3) 40"]);
        assert_eq!(folded_lines(&stacks, FlameOf::Peak, true), ["C heap;make (a.c:3);main (a.c:9) 40"]);
        assert_eq!(folded_lines(&stacks, FlameOf::Leaks, false), ["Rust heap;app::main (main.rs:4) 24"]);
        assert_eq!(folded_lines(&stacks, FlameOf::Allocations, false).len(), 2);
    }

    #[test]
    fn the_svg_is_a_document_with_every_frame_and_none_is_drawn_from_nothing() {
        let stacks = [stack(Domain::C, &["main (a.c:9)", "make <T> (a.c:3)"], 40, 0)];
        let lines = folded_lines(&stacks, FlameOf::Peak, false);
        let svg =
            flame_graph_svg(&lines, FlameOf::Peak, "./a", false, None).expect("something to draw").expect("drawn");
        let text = String::from_utf8(svg).expect("UTF-8");
        let document = roxmltree::Document::parse_with_options(&text, DOCTYPE_ALLOWED).expect("well-formed XML");
        let titles: Vec<&str> =
            document.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
        assert!(titles.iter().any(|t| t.starts_with("make <T> (a.c:3) (40 bytes")), "{titles:?}");
        assert!(titles.iter().any(|t| t.starts_with("C heap (40 bytes")), "{titles:?}");
        let leaks = folded_lines(&stacks, FlameOf::Leaks, false);
        assert!(flame_graph_svg(&leaks, FlameOf::Leaks, "./a", false, None).is_none(), "nothing leaked, nothing drawn");
    }
}
