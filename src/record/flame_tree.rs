//! A recording's call stacks merged into one tree of frames, for the app
//! to draw as a flame graph: each frame is a function reached by one path
//! from the root, with what every stack through it did summed. Built once,
//! when the recording ends (off the UI thread); drawn by weighing each
//! frame as the view asks, which costs no rebuilding.

use rustc_hash::FxHashMap;

use super::flame::{FlameCounts, FlameStack};
use crate::ffi::Domain;

/// A frame's place among a tree's frames.
pub type FrameIndex = usize;

/// One frame: a function on one path from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlameFrame {
    /// "all", a heap ("C heap"), or a function as the stacks name it.
    pub name: String,
    /// The heap its blocks are on; none for the root, which holds both.
    pub heap: Option<Domain>,
    /// What the stacks through it did, all together.
    pub counts: FlameCounts,
    pub parent: Option<FrameIndex>,
    /// The frames it called, by name: the order a flame graph keeps
    /// whatever it weighs.
    pub children: Vec<FrameIndex>,
}

/// The stacks as one tree, its root "all", then a frame for each heap,
/// then each stack's frames, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlameTree {
    frames: Vec<FlameFrame>,
    /// The most frames below the root on any path.
    depth: usize,
}

impl FlameTree {
    pub const ROOT: FrameIndex = 0;

    pub fn new(stacks: &[FlameStack]) -> FlameTree {
        FlameTree::build(stacks, false)
    }

    /// The stacks turned over, as heaptrack's bottom-up view and memray's
    /// inverted flame graph have them: under each heap, the functions that
    /// made blocks, each once however many paths reached it, and under
    /// each the functions that called it, out to the program's entry.
    pub fn inverted(stacks: &[FlameStack]) -> FlameTree {
        FlameTree::build(stacks, true)
    }

    fn build(stacks: &[FlameStack], inverted: bool) -> FlameTree {
        let mut tree = FlameTree { frames: vec![frame("all".to_owned(), None, None)], depth: 0 };
        // Each frame's callees by name while they are found: one lookup
        // per frame of each stack.
        let mut callees: FxHashMap<(FrameIndex, &str), FrameIndex> = FxHashMap::default();
        let heap_names: Vec<(Domain, String)> =
            Domain::ALL.iter().map(|&heap| (heap, format!("{} heap", heap.label()))).collect();
        for stack in stacks {
            let Some((_, heap_name)) = heap_names.iter().find(|(heap, _)| *heap == stack.heap) else { continue };
            tree.frames[Self::ROOT].counts.add(&stack.counts);
            let mut at = Self::ROOT;
            let frames: Vec<&String> =
                if inverted { stack.frames.iter().rev().collect() } else { stack.frames.iter().collect() };
            for (depth, name) in std::iter::once(heap_name).chain(frames).enumerate() {
                let caller = at;
                at = *callees.entry((caller, name.as_str())).or_insert_with(|| {
                    tree.frames.push(frame(name.clone(), Some(stack.heap), Some(caller)));
                    let callee = tree.frames.len() - 1;
                    tree.frames[caller].children.push(callee);
                    callee
                });
                tree.frames[at].counts.add(&stack.counts);
                tree.depth = tree.depth.max(depth + 1);
            }
        }
        let names: Vec<String> = tree.frames.iter().map(|frame| frame.name.clone()).collect();
        for frame in &mut tree.frames {
            frame.children.sort_by(|&a, &b| names[a].cmp(&names[b]));
        }
        tree
    }

    /// The frame at `index`; none past the tree's end.
    pub fn frame(&self, index: FrameIndex) -> Option<&FlameFrame> {
        self.frames.get(index)
    }

    /// How many frames it has, the root too.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether no stack made a frame: the root alone.
    pub fn is_empty(&self) -> bool {
        self.frames.len() == 1
    }

    /// The most frames below the root on any path.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Which frames' names hold `text`, whatever its case: one flag per
    /// frame, by index; none for an empty text.
    pub fn frames_named(&self, text: &str) -> Vec<bool> {
        let text = text.trim().to_lowercase();
        if text.is_empty() {
            return vec![false; self.frames.len()];
        }
        self.frames.iter().map(|frame| frame.name.to_lowercase().contains(&text)).collect()
    }

    /// What the frames `found` did under `under` (itself included), each
    /// counted once: a found frame's found callees are in its counts.
    pub fn counts_found(&self, found: &[bool], under: FrameIndex) -> FlameCounts {
        let mut total = FlameCounts::default();
        let mut pending = vec![under];
        while let Some(at) = pending.pop() {
            let Some(frame) = self.frame(at) else { continue };
            if found.get(at).copied().unwrap_or(false) {
                total.add(&frame.counts);
            } else {
                pending.extend(&frame.children);
            }
        }
        total
    }

    /// The frames from the root to `index`, both included; the root alone
    /// for an index past the tree's end.
    pub fn path_to(&self, index: FrameIndex) -> Vec<FrameIndex> {
        let mut path = Vec::new();
        let mut at = self.frame(index).map(|_| index);
        while let Some(index) = at {
            path.push(index);
            at = self.frames[index].parent;
        }
        if path.is_empty() {
            path.push(Self::ROOT);
        }
        path.reverse();
        path
    }
}

impl Default for FlameTree {
    fn default() -> FlameTree {
        FlameTree::new(&[])
    }
}

fn frame(name: String, heap: Option<Domain>, parent: Option<FrameIndex>) -> FlameFrame {
    FlameFrame { name, heap, counts: FlameCounts::default(), parent, children: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::FlameTree;
    use crate::ffi::Domain;
    use crate::record::flame::{FlameCounts, FlameStack};

    fn stack(heap: Domain, frames: &[&str], peak_bytes: u64) -> FlameStack {
        let counts = FlameCounts { allocations: 1, peak_bytes, ..FlameCounts::default() };
        FlameStack { heap, frames: frames.iter().map(|&f| f.to_owned()).collect(), counts }
    }

    fn named(tree: &FlameTree, path: &[&str]) -> usize {
        let mut at = FlameTree::ROOT;
        for name in path {
            let frame = tree.frame(at).expect("a frame");
            at = *frame
                .children
                .iter()
                .find(|&&child| tree.frame(child).is_some_and(|c| c.name == *name))
                .unwrap_or_else(|| panic!("{name} under {}", frame.name));
        }
        at
    }

    #[test]
    fn stacks_through_one_frame_are_summed_there_and_its_callees_kept_by_name() {
        let tree = FlameTree::new(&[
            stack(Domain::C, &["main (a.c:9)", "parse (a.c:3)"], 40),
            stack(Domain::C, &["main (a.c:9)", "load (a.c:5)"], 60),
            stack(Domain::C, &["main (a.c:9)", "load (a.c:5)", "grow (a.c:1)"], 7),
            stack(Domain::Rust, &["app::main (main.rs:4)"], 24),
        ]);
        let peak = |path: &[&str]| tree.frame(named(&tree, path)).expect("a frame").counts.peak_bytes;
        assert_eq!(peak(&[]), 131, "the root holds both heaps");
        assert_eq!(peak(&["C heap"]), 107);
        assert_eq!(peak(&["C heap", "main (a.c:9)"]), 107);
        assert_eq!(peak(&["C heap", "main (a.c:9)", "load (a.c:5)"]), 67, "its own and its callee's");
        assert_eq!(peak(&["Rust heap", "app::main (main.rs:4)"]), 24);
        let main = tree.frame(named(&tree, &["C heap", "main (a.c:9)"])).expect("main");
        let callees: Vec<&str> = main.children.iter().filter_map(|&c| tree.frame(c)).map(|c| c.name.as_str()).collect();
        assert_eq!(callees, ["load (a.c:5)", "parse (a.c:3)"], "by name, not by weight nor as found");
        assert_eq!((tree.len(), tree.depth()), (8, 4), "all, two heaps, five functions");
    }

    #[test]
    fn a_search_finds_frames_by_any_case_and_weighs_each_found_once() {
        let tree = FlameTree::new(&[
            stack(Domain::C, &["main (a.c:9)", "Parse (a.c:3)", "parse_number (a.c:1)"], 5),
            stack(Domain::C, &["main (a.c:9)", "load (a.c:5)", "parse_number (a.c:1)"], 7),
            stack(Domain::C, &["main (a.c:9)", "load (a.c:5)"], 100),
        ]);
        let found = tree.frames_named(" PARSE");
        let names: Vec<&str> =
            (0..tree.len()).filter(|&i| found[i]).filter_map(|i| tree.frame(i)).map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Parse (a.c:3)", "parse_number (a.c:1)", "parse_number (a.c:1)"]);
        let peak = |under| tree.counts_found(&found, under).peak_bytes;
        assert_eq!(peak(FlameTree::ROOT), 12, "Parse's 5 once, not again in its callee");
        let load = named(&tree, &["C heap", "main (a.c:9)", "load (a.c:5)"]);
        assert_eq!(peak(load), 7);
        assert!(tree.frames_named("  ").iter().all(|&f| !f), "nothing is found by nothing");
    }

    #[test]
    fn an_inverted_tree_puts_each_allocating_function_first_and_its_callers_under_it() {
        let stacks = [
            stack(Domain::C, &["main (a.c:9)", "parse (a.c:3)", "grow (a.c:1)"], 40),
            stack(Domain::C, &["main (a.c:9)", "load (a.c:5)", "grow (a.c:1)"], 60),
            stack(Domain::C, &["main (a.c:9)", "load (a.c:5)"], 7),
        ];
        let tree = FlameTree::inverted(&stacks);
        let peak = |path: &[&str]| tree.frame(named(&tree, path)).expect("a frame").counts.peak_bytes;
        assert_eq!(peak(&["C heap", "grow (a.c:1)"]), 100, "both paths to grow, once");
        assert_eq!(peak(&["C heap", "grow (a.c:1)", "load (a.c:5)", "main (a.c:9)"]), 60);
        assert_eq!(peak(&["C heap", "load (a.c:5)", "main (a.c:9)"]), 7, "load's own block");
        assert_eq!(peak(&[]), FlameTree::new(&stacks).frame(FlameTree::ROOT).expect("the root").counts.peak_bytes);
    }

    #[test]
    fn a_path_runs_from_the_root_and_a_lost_index_is_the_root() {
        let tree = FlameTree::new(&[stack(Domain::C, &["main (a.c:9)", "parse (a.c:3)"], 40)]);
        let parse = named(&tree, &["C heap", "main (a.c:9)", "parse (a.c:3)"]);
        let names: Vec<&str> =
            tree.path_to(parse).into_iter().filter_map(|i| tree.frame(i)).map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["all", "C heap", "main (a.c:9)", "parse (a.c:3)"]);
        assert_eq!(tree.path_to(tree.len()), [FlameTree::ROOT]);
        assert!(FlameTree::new(&[]).is_empty() && !tree.is_empty());
    }
}
