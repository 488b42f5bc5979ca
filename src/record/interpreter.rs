//! Turns a recorded program's raw events into the model's: sites
//! symbolized (a return address, or a call stack named for its first
//! frame of the program's own code), each block's heap told by its
//! allocation's call, frees across the heaps flagged, crashes, panics
//! that could not unwind and crashed children said with their stacks, and
//! at exit the blocks still reachable set apart from the leaks.

use std::fmt::Write as _;
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::flame::{
    FlameCounts, FlameStack, Place, PlaceCounts, PlaceIndex, PlaceTallies, flame_frame_name, is_program_start,
};
use super::suppressions::Suppressions;
use super::symbols::{Heap, Symbol, Symbolizer, is_runtime_frame};
use super::trace::TraceWriter;
use super::wrappers::{self, Wrappers};
use crate::ffi::record_channel::{CRASH_STACK_OVERFLOW, Channel, REPLACED_NAMES, STACK_TAG, SiteAddresses, StackTable};
use crate::ffi::{Domain, Event, EventKind, Form, Site, sys};
use crate::report::OwnAllocator;
use crate::scenarios::isolated::signal_label;
use crate::track::{Anomaly, BlockChange, Model, OutstandingBlock};

/// Frames a crash's or a leak's message lists.
const FRAMES_SHOWN: usize = 8;

/// A site as the program named it, resolved.
#[derive(Debug, Clone)]
struct Resolved {
    /// What it is called: the call's own line, or a stack's first frame
    /// of the program's own code.
    site: Site,
    /// From the call itself (a stack's first frame).
    heap: Heap,
    /// That call's return address, whose symbol says the heap.
    call: u64,
    in_c_runtime: bool,
    /// A stack's frames, innermost first: shared, since every event from
    /// the same stack resolves to it.
    stack: Option<Rc<[Site]>>,
    /// Where in `stack` the program's own code begins (`site`'s frame).
    own_frame: usize,
    /// Where in `stack` a leak's frames begin: `own_frame`, or, for a block
    /// made inside a library and named by the line that called into it,
    /// the library's frame that made it.
    made_at: usize,
}

/// What an event needs of its sites: no stack, so it is copied, not shared.
#[derive(Debug, Clone, Copy)]
struct Brief {
    site: Site,
    heap: Heap,
    in_c_runtime: bool,
    /// The site is a stack (`--stack`): its blocks keep it (`block_stacks`).
    stacked: bool,
    /// What a block made here is named: `site`, but for a block the C
    /// library made for itself from a stack the program's line names
    /// (`main (t.c:6), for the C library`, a thread's TLS), which must not
    /// share its name with the blocks the program makes on that line: the
    /// leak check tells the library's own apart by name.
    block_site: Site,
    /// Where a block made here is counted for a flame graph (`places`):
    /// its stack, or its `block_site`.
    place: PlaceIndex,
}

impl Brief {
    /// The brief a block made here is named by.
    fn for_a_block(self) -> Brief {
        Brief { site: self.block_site, ..self }
    }
}

/// The program's events, interpreted. A block's heap is its allocation
/// site's, which every free and realloc names again (`related_site`), so
/// no block is looked up here; with `--stack`, each live block's stack is
/// kept, for its leak.
#[derive(Debug, Default)]
pub struct Interpreter {
    symbols: Symbolizer,
    /// Each site id's brief, once resolved (the program gives each return
    /// address or stack an id of its own): answers before the symbols or
    /// the stacks are asked. No longer than the channel's site table.
    briefs: Vec<Option<Brief>>,
    /// Tagged sites (stacks) resolved so far.
    stacks: FxHashMap<u64, Resolved>,
    /// Each live block allocated from a stack, by address: the stack (its
    /// tagged site) a leak of it shows, as one own frame (an allocation
    /// wrapper in a program without symbols) may be called from anywhere.
    block_stacks: FxHashMap<u64, u64>,
    /// What each place (stack or site) allocated and held, for a flame graph.
    places: PlaceTallies,
    /// Places no longer counted (those of the images the process exec'd
    /// from, and at the end all), their frames named as a flame graph
    /// names them while their stacks and modules were known.
    retired_places: Vec<(Vec<String>, PlaceCounts)>,
    /// How a site's blocks are released, where the library that made them says.
    releaser_of_site: FxHashMap<Site, &'static str>,
    /// Where every event and anomaly is also written, with `--out`.
    pub trace: Option<TraceWriter>,
    /// The program image the symbols are for (see `Channel::image`).
    image: u64,
    /// Newer images' symbols, read ahead of their first events, oldest
    /// first: a process that execs twice in a row (a wrapper script that
    /// execs another that execs the program) can have two images ahead of
    /// the events being read. At most `IMAGES_AHEAD`.
    next: Vec<(u64, Symbolizer)>,
    /// Blocks allocated where no debug information said which heap; counted in the C heap.
    pub uncertain_blocks: u64,
    /// The sites that name such blocks, for their leaks to say so.
    uncertain_sites: FxHashSet<Site>,
    /// Sites in the C runtime's own code.
    runtime_sites: FxHashSet<Site>,
    /// Sites a return address names by the Rust or C++ library's code
    /// alone (`_M_realloc_insert`, out of line): the program's own line is
    /// further up a stack this site has none of.
    library_sites: FxHashSet<Site>,
    /// Sites in an allocation wrapper (`xmalloc`), named so for want of a
    /// stack to name its caller.
    wrapper_sites: FxHashSet<Site>,
    /// Sites inside a library built without line information, called by a
    /// program built with it (`libsqlite3.so.0+0xa7503`, for every block
    /// `sqlite3_open` made), with the library's file: named so for want of
    /// a stack (`plain`), or by a stack that ended before the program's own
    /// code (`cut_short`).
    inside_a_library: FxHashMap<Site, InsideALibrary>,
    /// The functions that allocate for their caller: a block is named by
    /// the caller.
    wrappers: Wrappers,
    /// Blocks live at exit that the program could still reach: kept, not lost.
    reachable: FxHashSet<u64>,
    /// Those it could reach only through a pointer into a block's middle
    /// (memcheck's "possibly lost"): not counted as leaks, but told apart
    /// from those it surely kept.
    reachable_interior: FxHashSet<u64>,
    /// Lost blocks that only other lost blocks point to (memcheck's "indirectly lost").
    lost_with: FxHashSet<u64>,
    /// The program died of a signal: what it held then was in use, not leaked.
    crashed: bool,
    /// The children it reaped that died of a signal that is no fault
    /// (SIGTERM, SIGKILL), by pid: a followed process it killed says so.
    pub children_killed: FxHashMap<i32, i32>,
    /// The allocator functions the program defines itself, so that its
    /// calls never reach ffiscope's (told at the start of each image).
    pub own_allocator: Option<OwnAllocator>,
    /// Python's module, where its objects come from pymalloc's arenas
    /// rather than `malloc` (`PYTHONMALLOC` not `malloc`).
    pub python_objects_apart: Option<String>,
}

/// How a site came to be named inside a library built without line
/// information, and which.
#[derive(Debug, Clone)]
struct InsideALibrary {
    library: String,
    cut_short: bool,
}

/// Blocks, and their bytes, counted together.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub blocks: u64,
    pub bytes: u64,
}

impl Held {
    fn add(&mut self, bytes: u64) {
        self.blocks += 1;
        self.bytes += bytes;
    }
}

/// The leak check at a program's exit: the leaks it found, and the lost
/// blocks it did not call the program's leaks, counted so that a report
/// accounts for every block still live.
#[derive(Debug, Default)]
pub struct LeakCheck {
    pub leaks: Vec<Anomaly>,
    /// Blocks the program could still reach at exit, through pointers to
    /// their starts, or the C library's own blocks however reached.
    pub still_reachable: Held,
    /// Blocks of the program's own it could reach only through a pointer
    /// into a block's middle (memcheck's "possibly lost"). The C library
    /// keeps a thread's TLS block by a pointer past its header: never
    /// counted here, though memcheck reports it for every `pthread_create`.
    pub possibly_lost: Held,
    /// Lost blocks the C library allocated for its own use (a finished
    /// thread's cached stack, stdio buffers): memcheck has the library
    /// free them at exit, which a recording does not ask of it.
    pub runtime: Held,
    /// Lost blocks a suppression named, by pattern, in the order first used.
    pub suppressed: Vec<(String, Held)>,
    /// The leaks' blocks by the place each was made.
    lost_by_place: FxHashMap<(Place, Domain), Held>,
}

/// Images read ahead of the events being read that keep their symbols:
/// more execs in a row than this, before their first event is read, lose
/// the oldest images' names.
const IMAGES_AHEAD: usize = 8;

impl Interpreter {
    /// An interpreter that names a block made in one of `wrappers` by the
    /// wrapper's caller.
    pub fn new(wrappers: Wrappers) -> Interpreter {
        Interpreter { wrappers, ..Interpreter::default() }
    }

    /// Reads the modules the program has loaded since the last look: into
    /// the symbols of the image whose events are being read, or, when the
    /// process has exec'd another program, into those of the new image,
    /// taken up when its first event (`EventKind::Image`) is read.
    pub fn add_modules(&mut self, channel: &Channel) {
        let image = channel.image();
        let symbols = if image == self.image {
            &mut self.symbols
        } else {
            let at = self.next.iter().position(|(next, _)| *next == image).unwrap_or_else(|| {
                if self.next.len() == IMAGES_AHEAD {
                    self.next.remove(0);
                }
                self.next.push((image, Symbolizer::default()));
                self.next.len() - 1
            });
            &mut self.next[at].1
        };
        let known = symbols.module_count();
        if symbols.add_modules(channel.modules_from(known)) && image == self.image {
            // A module with Rust code arrived: the sites' heaps are asked again.
            self.briefs.clear();
        }
        // Read with the image they were read under: an exec waits for this
        // before the new program's modules take the table's place.
        channel.modules_taken(image, symbols.module_count());
    }

    /// The process exec'd: from here on its addresses are the new image's.
    /// Images before it that had no event are passed over.
    fn begin_image(&mut self, image: u64) {
        self.next.retain(|(next, _)| *next >= image);
        self.symbols = match self.next.first() {
            Some((next, _)) if *next == image => self.next.remove(0).1,
            _ => Symbolizer::default(),
        };
        self.image = image;
        self.stacks.clear();
        self.briefs.clear();
        self.block_stacks.clear();
        self.own_allocator = None;
        self.python_objects_apart = None;
    }

    /// Once its events are all read: an allocator the program links in
    /// under names of its own, where its `malloc` is not its own; and
    /// Python's, which keeps its objects apart unless told otherwise (the
    /// program has ffiscope's environment).
    pub fn settle_allocators(&mut self) {
        if self.own_allocator.is_none() {
            self.own_allocator = self.symbols.linked_allocator();
        }
        let objects_to_malloc =
            std::env::var("PYTHONMALLOC").is_ok_and(|chosen| matches!(chosen.as_str(), "malloc" | "malloc_debug"));
        if !objects_to_malloc {
            self.python_objects_apart = self.symbols.cpython();
        }
    }

    /// Of `leaks`, how many are named by the Rust or C++ library's code the
    /// program called, without a stack to name the program's own line.
    pub fn named_by_a_library(&self, leaks: &[Anomaly]) -> usize {
        let named: FxHashSet<&str> = self.library_sites.iter().map(|site| site.name()).collect();
        leaks.iter().filter(|leak| named.contains(leak.site.as_str())).count()
    }

    /// Of the model's allocations, how many were made at a site named by
    /// the library code the program called or by an allocation wrapper,
    /// for want of a stack to name the program's own line; and the sites
    /// that made the most of them, the most first (`named` at most).
    pub fn allocations_named_for_want_of_a_stack(&self, model: &Model, named: usize) -> (u64, Vec<&'static str>) {
        let inside_a_library =
            self.inside_a_library.iter().filter(|(_, inside)| !inside.cut_short).map(|(site, _)| site);
        let apart: FxHashSet<&str> = self
            .library_sites
            .iter()
            .chain(&self.wrapper_sites)
            .chain(inside_a_library)
            .map(|site| site.name())
            .collect();
        // A name may have a row in each heap.
        let mut by_name: FxHashMap<&'static str, u64> = FxHashMap::default();
        for row in model.site_rows().iter().filter(|row| apart.contains(row.site)) {
            *by_name.entry(row.site).or_default() += row.stats.allocations;
        }
        let allocations = by_name.values().sum();
        let mut sites: Vec<(&'static str, u64)> = by_name.into_iter().collect();
        sites.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        (allocations, sites.into_iter().take(named).map(|(site, _)| site).collect())
    }

    /// Of `leaks`, how many are named inside a library built without line
    /// information, by a stack cut short there or for want of one (as
    /// `cut_short` says); and those libraries, in the order first met.
    pub fn named_inside_a_library<'l>(&'l self, leaks: &[Anomaly], cut_short: bool) -> (usize, Vec<&'l str>) {
        let mut libraries = Vec::new();
        let mut count = 0;
        for leak in leaks {
            let Some(inside) = self.inside_a_library.get(&Site::intern(&leak.site)) else { continue };
            if inside.cut_short != cut_short {
                continue;
            }
            count += 1;
            if !libraries.contains(&inside.library.as_str()) {
                libraries.push(inside.library.as_str());
            }
        }
        (count, libraries)
    }

    /// Whether any allocation was named inside a library built without line
    /// information for want of a stack: such a library's calls run deep.
    pub fn named_inside_a_library_for_want_of_a_stack(&self) -> bool {
        self.inside_a_library.values().any(|inside| !inside.cut_short)
    }

    /// Of `leaks`, how many are named by an allocation wrapper, without a
    /// stack to name its caller; and the wrappers, in the order first met.
    pub fn named_by_a_wrapper<'l>(&self, leaks: &'l [Anomaly]) -> (usize, Vec<&'l str>) {
        let mut wrappers = Vec::new();
        let mut count = 0;
        for leak in leaks.iter().filter(|leak| self.wrapper_sites.contains(&Site::intern(&leak.site))) {
            count += 1;
            let wrapper = wrappers::function_of(&leak.site);
            if !wrappers.contains(&wrapper) {
                wrappers.push(wrapper);
            }
        }
        (count, wrappers)
    }

    /// The program's leaks at exit, one per heap and site: what it could no
    /// longer reach, less what the C runtime keeps for itself (stdio
    /// buffers, locale data) and what the suppressions name, which are
    /// counted apart. None for a program that crashed: what it held was
    /// still in use.
    pub(super) fn leaks(&self, model: &Model, suppressions: &Suppressions) -> LeakCheck {
        if self.crashed {
            return LeakCheck::default();
        }
        let runtime: FxHashSet<&str> = self.runtime_sites.iter().map(|site| site.name()).collect();
        let kept = |address: u64| self.reachable.contains(&address);
        let mut check = LeakCheck::default();
        let mut set_aside = FxHashSet::default();
        let site_of = |block: &OutstandingBlock| block.site.map_or("(unknown)", Site::name);
        for block in model.every_outstanding() {
            if kept(block.address) {
                if self.reachable_interior.contains(&block.address) && !runtime.contains(site_of(block)) {
                    check.possibly_lost.add(block.size);
                } else {
                    check.still_reachable.add(block.size);
                }
                continue;
            }
            let site = site_of(block);
            if runtime.contains(site) {
                check.runtime.add(block.size);
            } else if let Some(pattern) = self.suppression_of(block.address, site, suppressions) {
                match check.suppressed.iter_mut().find(|(named, _)| named == pattern) {
                    Some((_, held)) => held.add(block.size),
                    None => check.suppressed.push((pattern.to_owned(), Held { blocks: 1, bytes: block.size })),
                }
            } else {
                // Lost: a leak, counted at the place it was made.
                let place = self.block_stacks.get(&block.address).map(|&stack| Place::Stack(stack));
                if let Some(place) = place.or(block.site.map(Place::Site)) {
                    check.lost_by_place.entry((place, block.domain)).or_default().add(block.size);
                }
                continue;
            }
            set_aside.insert(block.address);
        }
        let releaser = |site: &str| self.releaser_of_site.get(&Site::intern(site)).copied();
        let passed_over = |address: u64| kept(address) || set_aside.contains(&address);
        // The lost blocks nothing else lost points to first, as memcheck
        // lists its "definitely lost": freeing them frees the rest.
        let mut leaks = model.leak_anomalies_except(&|a| passed_over(a) || self.lost_with.contains(&a), &releaser);
        let mut lost_with = model.leak_anomalies_except(&|a| passed_over(a) || !self.lost_with.contains(&a), &releaser);
        for leak in &mut lost_with {
            leak.message.push_str(" Reachable only through other leaked blocks, and freed with them.");
        }
        leaks.append(&mut lost_with);
        for leak in &mut leaks {
            if let Some((stack, made_at)) = self.stack_of(leak.address) {
                // From the wrapper or the library function that made it for
                // the program (`g_strdup`, `asprintf`), as it was called.
                let wrapped_at = stack[..made_at]
                    .iter()
                    .position(|frame| self.wrappers.contains(frame.name()) || releaser_of(frame.name()).is_some());
                leak.message.push_str(&stack_text("allocated at", &stack[wrapped_at.unwrap_or(made_at)..]));
            } else if releaser_of(&leak.site).is_some() || self.wrapper_sites.contains(&Site::intern(&leak.site)) {
                // Named by the C library's function (`strdup`) or a wrapper:
                // the line that called it is a frame further out.
                leak.message.push_str(" Record with `--stack 8` to name the line that called it.");
            }
            if self.uncertain_sites.contains(&Site::intern(&leak.site)) {
                leak.message.push_str(
                    " Nothing said which allocator was called there (code without debug information, in a process \
                     with Rust code): counted in the C heap, though the Rust heap's may be the one.",
                );
            }
        }
        check.leaks = leaks;
        check
    }

    /// What each stack (or site, without `--stack`) allocated, held at its
    /// heap's peak and leaked, for a flame graph: every image the process
    /// ran, merged by frames.
    pub fn flame_stacks(&mut self, model: &Model, check: &LeakCheck) -> Vec<FlameStack> {
        self.retire_places();
        // Frames named by their function, not their address in it, are
        // one frame however many calls they made: their stacks merge.
        let mut named: FxHashMap<(Domain, Vec<String>), FlameCounts> = FxHashMap::default();
        for (frames, counts) in &self.retired_places {
            let domain = counts.domain();
            named.entry((domain, frames.clone())).or_default().add(&counts.as_of(model.heap(domain).peak_epoch()));
        }
        for (&(place, domain), lost) in &check.lost_by_place {
            let Some(frames) = self.frames_of(place) else { continue };
            let counts = named.entry((domain, self.flame_names(&frames))).or_default();
            counts.leaked_blocks += lost.blocks;
            counts.leaked_bytes += lost.bytes;
        }
        let mut stacks: Vec<FlameStack> =
            named.into_iter().map(|((heap, frames), counts)| FlameStack { heap, frames, counts }).collect();
        stacks.sort_by(|a, b| a.heap.cmp(&b.heap).then_with(|| a.frames.cmp(&b.frames)));
        stacks
    }

    /// The places counted so far, no longer counted, named by their
    /// frames while the stacks that name them are known.
    fn retire_places(&mut self) {
        // Their indexes are gone with them.
        self.briefs.clear();
        for (place, counts) in self.places.drain() {
            if let Some(frames) = self.frames_of(place) {
                let names = self.flame_names(&frames);
                self.retired_places.push((names, counts));
            }
        }
    }

    /// Frames as a flame graph names them: by their function, not their
    /// address in it (`jv_parser_next (libjq.so.1)`, `function at
    /// git+0x2a1040`), so that a function's calls from different places
    /// in it are one frame.
    fn flame_names(&mut self, frames: &[Site]) -> Vec<String> {
        frames
            .iter()
            .map(|frame| {
                let name = frame.name();
                self.symbols.function_of_unnamed_frame(name).unwrap_or_else(|| flame_frame_name(name))
            })
            .collect()
    }

    /// A place's frames, outermost first, from the program's own entry
    /// (the C library's and Rust's start of `main` or of a thread left out:
    /// a spawned Rust thread's `catch_unwind` and `call_once`s, named by the
    /// standard library's files, are nobody's code a user reads).
    fn frames_of(&self, place: Place) -> Option<Vec<Site>> {
        let stack = match place {
            Place::Site(site) => return Some(vec![site]),
            Place::Stack(stack) => self.stacks.get(&stack)?.stack.as_deref()?,
        };
        let mut entry = stack.len();
        // The program's `_start`, named or not (`jq+0x3df0`), which called
        // the C library's start of `main`.
        if let [.., starts_main, start] = stack
            && is_startup_or_runtime(starts_main.name())
            && is_program_start(start.name())
        {
            entry -= 1;
        }
        while entry > 1 && (is_startup_or_runtime(stack[entry - 1].name()) || self.is_library_code(stack[entry - 1])) {
            entry -= 1;
        }
        let mut frames: Vec<Site> = stack[..entry].iter().rev().copied().collect();
        // The standard library's own calls under the program's innermost
        // frame (`push`, `grow_one`, `finish_grow`… `realloc`) are told by
        // the first of them, which says what the program called; so is an
        // allocation wrapper's machinery (a `#[global_allocator]`'s own
        // code, inside Rust's `__rust_alloc`), which is no caller's.
        let outermost_wrapper = frames.iter().position(|frame| self.wrappers.contains(frame.name()));
        let callers = &frames[..outermost_wrapper.unwrap_or(frames.len())];
        if let Some(own) = callers.iter().rposition(|&frame| !self.is_library_code(frame)) {
            frames.truncate(own + 2);
        }
        (!frames.is_empty()).then_some(frames)
    }

    /// The stack a live block was allocated from (`--stack`), and where in
    /// it the block was made.
    fn stack_of(&self, address: u64) -> Option<(&[Site], usize)> {
        let resolved = self.stacks.get(self.block_stacks.get(&address)?)?;
        Some((resolved.stack.as_deref()?, resolved.made_at))
    }

    /// The suppression that names a lost block: by its site or, as
    /// `LeakSanitizer` matches, by any frame of its stack (a function, a
    /// source file or a library).
    fn suppression_of<'s>(&self, address: u64, site: &str, suppressions: &'s Suppressions) -> Option<&'s str> {
        suppressions.matching(site).or_else(|| {
            let (stack, _) = self.stack_of(address)?;
            stack.iter().find_map(|frame| suppressions.matching(frame.name()))
        })
    }

    /// Applies a batch of raw events to the model, in order: the loop is
    /// here, so that each event's work is in line in it.
    pub fn apply_all(
        &mut self,
        events: &[sys::fs_id_event],
        sites: &SiteAddresses,
        stacks: &StackTable,
        model: &mut Model,
    ) {
        for raw in events {
            self.apply(raw, sites, stacks, model);
        }
    }

    /// Applies one raw event to the model, adding the anomalies only a
    /// recording sees: a block crossing heaps on its way out, a crash, a
    /// crashed child.
    #[expect(clippy::inline_always, reason = "in line in `apply_all`'s loop: a call per event cost more than its work")]
    #[inline(always)]
    pub fn apply(&mut self, raw: &sys::fs_id_event, sites: &SiteAddresses, stacks: &StackTable, model: &mut Model) {
        let site = self.brief(raw.site, sites, stacks);
        let allocated = (raw.related_site != 0).then(|| self.brief(raw.related_site, sites, stacks));
        // An allocation or a free reaches the model as a `BlockChange`, kept
        // in registers; a whole `Event` is made only for the trace, an
        // anomaly or the other kinds.
        let block = |domain| BlockChange {
            seq: raw.seq,
            time_ns: raw.time_ns,
            address: raw.address,
            size: raw.size,
            domain,
            site: Some(site.site),
            thread: raw.thread,
        };
        match raw.kind {
            sys::FS_EVENT_ALLOC => {
                let site = site.for_a_block();
                let domain = domain_of(site.heap);
                self.uncertain_blocks += u64::from(site.heap == Heap::Uncertain);
                if site.in_c_runtime {
                    self.runtime_sites.insert(site.site);
                }
                if site.stacked {
                    self.keep_block_stack(raw.address, raw.site, sites);
                }
                self.places.allocate(site.place, domain, raw.size, model.heap(domain).peak_epoch());
                if self.trace.is_some() {
                    self.write_trace(raw, domain, site, allocated);
                }
                model.allocate(BlockChange { site: Some(site.site), ..block(domain) });
            }
            sys::FS_EVENT_FREE => {
                let owner = allocated.map_or(Heap::Uncertain, |a| a.heap);
                let domain = domain_of(owner);
                if crossed_heaps(owner, site.heap) {
                    self.foreign_free(raw, owner, site, allocated, model);
                }
                if let Some(allocated) = allocated {
                    if allocated.stacked {
                        self.block_stacks.remove(&raw.address);
                    }
                    self.places.release(allocated.place, raw.size, model.heap(domain).peak_epoch());
                }
                if self.trace.is_some() {
                    self.write_trace(raw, domain, site, allocated);
                }
                if model.free(block(domain))
                    && let Some(allocated) = allocated
                {
                    self.places.temporary(allocated.place);
                }
            }
            _ => self.apply_other(raw, site, allocated, sites, stacks, model),
        }
    }

    /// The stack a block was allocated from, kept while it lives.
    fn keep_block_stack(&mut self, address: u64, site_id: u32, sites: &SiteAddresses) {
        if let Some(tagged) = sites.get(site_id) {
            self.block_stacks.insert(address, Form::strip(tagged));
        }
    }

    /// Out of line: every free asks whether it crossed heaps, and almost none has.
    #[cold]
    #[inline(never)]
    fn foreign_free(
        &mut self,
        raw: &sys::fs_id_event,
        owner: Heap,
        site: Brief,
        allocated: Option<Brief>,
        model: &mut Model,
    ) {
        let free = Event { domain: domain_of(owner), ..whole_event(raw, site, allocated) };
        let releaser = allocated.and_then(|a| self.releaser_of_site.get(&a.site).copied());
        self.push(foreign_free_anomaly(owner, &free, releaser), model);
    }

    /// Out of line: the event as the trace keeps it.
    #[cold]
    #[inline(never)]
    fn write_trace(&mut self, raw: &sys::fs_id_event, domain: Domain, site: Brief, allocated: Option<Brief>) {
        let event = Event { domain, ..whole_event(raw, site, allocated) };
        if let Some(trace) = &mut self.trace {
            trace.event(&event);
        }
    }

    /// The events that are neither an allocation nor a free, out of line.
    #[inline(never)]
    fn apply_other(
        &mut self,
        raw: &sys::fs_id_event,
        site: Brief,
        allocated: Option<Brief>,
        sites: &SiteAddresses,
        stacks: &StackTable,
        model: &mut Model,
    ) {
        let mut event = whole_event(raw, site, allocated);
        if event.kind == EventKind::MismatchedFree && allocated.is_some_and(|a| crossed_heaps(a.heap, site.heap)) {
            // A C++ block on its way to the Rust allocator: the free that
            // follows is a foreign free, which says so with its releaser.
            return;
        }
        if event.kind == EventKind::MismatchedFree && paired_by_an_own_cxx_runtime(raw.related_size, site, allocated) {
            return;
        }
        if event.kind == EventKind::Realloc {
            // A realloc keeps the block's heap; the new block is named for the realloc's site.
            let owner = allocated.map_or(site.heap, |a| a.heap);
            event.domain = domain_of(owner);
            let epoch = model.heap(event.domain).peak_epoch();
            if let Some(allocated) = allocated {
                if allocated.stacked {
                    self.block_stacks.remove(&raw.related_address);
                }
                self.places.release(allocated.place, raw.related_size, epoch);
            }
            if site.stacked {
                self.keep_block_stack(raw.address, raw.site, sites);
            }
            self.places.allocate(site.place, event.domain, raw.size, epoch);
            if site.in_c_runtime {
                event.site = Some(site.block_site);
                self.runtime_sites.insert(site.block_site);
            }
        } else if !self.apply_rare(&mut event, raw, allocated, sites, stacks, model) {
            return;
        }
        if let Some(trace) = &mut self.trace {
            trace.event(&event);
        }
        model.apply(&event);
    }

    /// The events that are neither an allocation, a free nor a realloc.
    /// False when the event is not the model's.
    #[cold]
    fn apply_rare(
        &mut self,
        event: &mut Event,
        raw: &sys::fs_id_event,
        allocated: Option<Brief>,
        sites: &SiteAddresses,
        stacks: &StackTable,
        model: &mut Model,
    ) -> bool {
        match event.kind {
            EventKind::Image => {
                // What the old image held goes with it, as the model forgets it.
                self.places.release_all(|domain| model.heap(domain).peak_epoch());
                self.retire_places();
                self.begin_image(event.address);
                (event.seq, event.time_ns) = (model.next_seq(), model.last_time_ns().unwrap_or(0));
            }
            EventKind::Reachable => {
                self.reachable.insert(event.address);
                return false;
            }
            EventKind::ReachableInterior => {
                self.reachable.insert(event.address);
                self.reachable_interior.insert(event.address);
                return false;
            }
            EventKind::LostWith => {
                self.lost_with.insert(event.address);
                return false;
            }
            EventKind::Crash => {
                self.crashed = true;
                let site = self.resolve(sites.get(raw.site).unwrap_or(0), stacks);
                self.crash(event, site.stack.as_deref().unwrap_or_default(), site.own_frame, model);
                return false;
            }
            EventKind::AllocatorElsewhere => {
                let functions = REPLACED_NAMES
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| event.size & (1 << bit) != 0)
                    .map(|(_, name)| (*name).to_owned())
                    .collect();
                let defined_in = self.symbols.module_path(event.address).unwrap_or("a library not known").to_owned();
                self.own_allocator = Some(OwnAllocator { functions, defined_in, library: None });
                return false;
            }
            EventKind::ChildKilled => {
                if let (Ok(pid), Ok(signal)) = (i32::try_from(event.address), i32::try_from(event.size)) {
                    self.children_killed.insert(pid, signal);
                }
                return false;
            }
            EventKind::ChildCrash => {
                let signal = signal_label(event.related_size as i32);
                let reaper = event.site.map_or("(unknown)", Site::name);
                let what = format!("(reaped by `{reaper}`); the program ran on.");
                self.push(Anomaly::worker_crash(event.address as u32, &signal, &what), model);
                return false;
            }
            _ => {
                // An anomaly about a block: the block's heap is its allocation's.
                if let Some(allocated) = &allocated {
                    event.domain = domain_of(allocated.heap);
                }
                if event.kind == EventKind::InvalidFree {
                    let form_of = |id: u32| Form::of_site(sites.get(id).unwrap_or(0));
                    if let Some(anomaly) = array_count_anomaly(event, form_of(raw.site), form_of(raw.related_site)) {
                        self.push(anomaly, model);
                        return false;
                    }
                }
            }
        }
        true
    }

    fn push(&mut self, anomaly: Anomaly, model: &mut Model) {
        if let Some(trace) = &mut self.trace {
            trace.anomaly(&anomaly);
        }
        model.push_anomaly(anomaly);
    }

    /// The program died of a signal: where, with its stack; and when Rust
    /// aborted because a panic reached a function that cannot unwind (an
    /// `extern "C"` one), that panic, at the function it tried to leave.
    fn crash(&mut self, event: &Event, frames: &[Site], own_frame: usize, model: &mut Model) {
        let signal = signal_label(event.related_size as i32);
        let site = event.site.map_or("(unknown)", Site::name);
        let aborted_at = frames.iter().position(|frame| {
            let name = frame.name();
            name.starts_with("core::panicking::panic_cannot_unwind")
                || name.starts_with("core::panicking::panic_in_cleanup")
        });
        if let Some(at) = aborted_at {
            let function = frames.get(at + 1).map_or("(unknown)", |f| f.name());
            let caller = frames.get(at + 2).map_or("its caller", |f| f.name());
            let message = format!(
                "it tried to unwind out of `{function}` into `{caller}`. A function called from C cannot \
                 unwind, so Rust aborted the process; catch_unwind at the boundary turns the panic into an \
                 error C can handle."
            );
            self.push(Anomaly::panic(function, &message), model);
        }
        let signal_number = event.related_size as i32;
        // A fault inside the C library (`strlen` of NULL) names the routine
        // it died in, and the stack starts there; an abort's frames above
        // the program's own are only the machinery that raised it.
        let fault = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE].contains(&signal_number);
        let innermost = frames.first().filter(|_| fault && own_frame > 0);
        let overflow = event.size == CRASH_STACK_OVERFLOW;
        let mut message = match innermost {
            _ if overflow => format!("The program overflowed its stack in `{site}` ({signal} at {:#x})", event.address),
            Some(routine) => {
                format!("The program was killed by {signal} in `{}`, called from `{site}`", routine.name())
            }
            None => format!("The program was killed by {signal} at `{site}`"),
        };
        // Only a memory fault's address means anything (an abort's is the sender's pid).
        if [libc::SIGSEGV, libc::SIGBUS].contains(&signal_number) && !overflow {
            let _ = write!(message, " (address {:#x})", event.address);
        }
        message.push('.');
        if overflow {
            message.push_str(
                " A call went on past the end of the thread's stack: a recursion that does not stop, or \
                 locals too large for the stack (put big buffers on the heap).",
            );
        }
        let shown_from = if innermost.is_some() { 0 } else { own_frame };
        message.push_str(&stack_text("stack", frames.get(shown_from..).unwrap_or_default()));
        let anomaly = Anomaly { message, ..Anomaly::from_event(event, None) };
        self.push(anomaly, model);
    }

    /// Where a stack's own frame (`own`) has no source line and a frame
    /// further out has, the block was made inside a library built without
    /// line information (an installed package's) during a call of code
    /// built with it: that frame's index, and the function it called
    /// (`sqlite3_open`, to name the block `main (app.c:10), in
    /// sqlite3_open`), or the function of the library's outermost frame, or
    /// the library's file, where the call names none. The library's own
    /// frame (`near sqlite3HashInsert (libsqlite3.so.0+0x97946)`) says
    /// nothing to the program's author.
    fn line_that_called_in(&mut self, stack: &[Site], frame_of: &[u64], own: usize) -> Option<(usize, String)> {
        if stack.get(own).is_none_or(|&frame| self.symbols.has_line(frame)) {
            return None;
        }
        let caller = (own + 1..stack.len()).find(|&at| {
            let frame = stack[at];
            self.symbols.has_line(frame) && !self.is_not_own(frame) && !is_startup_or_runtime(frame.name())
        })?;
        // Through the PLT the call names its function; a direct call (a
        // static library linked in) is to the function of the frame inside
        // it, where a symbol names that; else the library's file.
        let entered = stack[caller - 1].name();
        let called = self.symbols.called_at(frame_of[caller]).or_else(|| {
            let function = wrappers::function_of(entered);
            if function == entered { self.symbols.module_file_name(frame_of[own]) } else { Some(function.to_owned()) }
        })?;
        Some((caller, called))
    }

    /// Keeps `site`, at `address`, among those named inside a library,
    /// where it has no line of its own and lies outside a program built
    /// with line information: for want of a stack, or by one `cut_short`.
    fn note_if_inside_a_library(&mut self, site: Site, address: u64, cut_short: bool) {
        if !self.symbols.has_line(site) && self.symbols.outside_a_program_with_lines(address) {
            let library = self.symbols.module_file_name(address).unwrap_or_default();
            self.inside_a_library.insert(site, InsideALibrary { library, cut_short });
        }
    }

    /// Whether a frame is the Rust or C++ standard library's code, never the
    /// program's own: by its name, or by its file.
    fn is_library_code(&self, frame: Site) -> bool {
        is_runtime_frame(frame.name()) || self.symbols.is_library_frame(frame)
    }

    /// Whether a frame is not the program's own: the Rust or C++ standard
    /// library's, or an allocation wrapper's, which allocates for its caller.
    fn is_not_own(&self, frame: Site) -> bool {
        self.is_library_code(frame) || self.wrappers.contains(frame.name())
    }

    /// A site named by its return address alone. The C library's code is
    /// the runtime's, but for the functions that make a block for their
    /// caller (`strdup`), whose releaser is then known.
    fn plain(&mut self, raw: u64, symbol: Symbol) -> Resolved {
        if !symbol.in_c_runtime {
            // Optimized code inlines the allocator's path into its caller
            // (`Vec::with_capacity`'s into `main`): the first of the program's
            // own functions the return address is in names the block, as a
            // stack's first own frame would.
            let chain = self.symbols.inlined(raw);
            let own = chain.iter().position(|&f| !self.is_not_own(f));
            match own {
                // A stack would name the program's line that called into a library.
                Some(0) => self.note_if_inside_a_library(symbol.site, raw, false),
                Some(own) => {
                    let site = chain[own];
                    if let Some(releaser) = releaser_in(&chain[..own]) {
                        self.releaser_of_site.entry(site).or_insert(releaser);
                    }
                    return Resolved {
                        site,
                        heap: symbol.heap,
                        call: raw,
                        in_c_runtime: false,
                        stack: None,
                        own_frame: 0,
                        made_at: 0,
                    };
                }
                None if chain.iter().any(|&f| self.wrappers.contains(f.name())) => {
                    self.wrapper_sites.insert(symbol.site);
                }
                None => {
                    self.library_sites.insert(symbol.site);
                }
            }
        }
        let releaser = if symbol.in_c_runtime || self.wrapper_sites.contains(&symbol.site) {
            releaser_of(symbol.site.name())
        } else {
            None
        };
        if let Some(releaser) = releaser {
            self.releaser_of_site.entry(symbol.site).or_insert(releaser);
        }
        let in_c_runtime = symbol.in_c_runtime && releaser.is_none();
        Resolved {
            site: symbol.site,
            heap: symbol.heap,
            call: raw,
            in_c_runtime,
            stack: None,
            own_frame: 0,
            made_at: 0,
        }
    }

    /// Site `id`'s name and heap, from the cache once resolved.
    #[expect(clippy::inline_always, reason = "two per event, in line in `apply_all`'s loop")]
    #[inline(always)]
    fn brief(&mut self, id: u32, sites: &SiteAddresses, stacks: &StackTable) -> Brief {
        if let Some(&Some(brief)) = self.briefs.get(id as usize) {
            return brief;
        }
        self.brief_missed(id, sites, stacks)
    }

    /// Out of line: a site not in the cache is resolved, rarely.
    #[cold]
    #[inline(never)]
    fn brief_missed(&mut self, id: u32, sites: &SiteAddresses, stacks: &StackTable) -> Brief {
        let raw = sites.get(id);
        let resolved = self.resolve(raw.unwrap_or(0), stacks);
        let block_site = if resolved.in_c_runtime && resolved.stack.is_some() && resolved.own_frame > 0 {
            Site::intern(&format!("{}, for the C library", resolved.site.name()))
        } else {
            resolved.site
        };
        let place = match resolved.stack {
            Some(_) => Place::Stack(Form::strip(raw.unwrap_or(0))),
            None => Place::Site(block_site),
        };
        let brief = Brief {
            site: resolved.site,
            heap: resolved.heap,
            in_c_runtime: resolved.in_c_runtime,
            stacked: resolved.stack.is_some(),
            block_site,
            place: self.places.index_of(place),
        };
        if resolved.heap == Heap::Uncertain {
            self.uncertain_sites.insert(block_site);
        }
        // Kept for an id the table holds (and for no site at all): an id
        // past it is the program's mistake, and an entry not yet written is
        // looked for again.
        if raw.is_some() || id == 0 {
            let index = id as usize;
            if index >= self.briefs.len() {
                self.briefs.resize(index + 1, None);
            }
            self.briefs[index] = Some(brief);
        }
        brief
    }

    /// A site as the program named it: a return address, or (tagged) a
    /// stack; with the form of the call (`new[]`), which says how a block
    /// it made is released.
    fn resolve(&mut self, raw: u64, stacks: &StackTable) -> Resolved {
        let mut resolved = self.resolve_place(Form::strip(raw), stacks);
        let form = Form::of_site(raw);
        if form != Form::Malloc {
            // A `delete` site's form is its `new`'s, but for a mismatch.
            self.releaser_of_site.entry(resolved.site).or_insert(form.releaser());
            // C++'s operator new, called by name: the C library's heap.
            resolved.heap = Heap::C;
        }
        resolved
    }

    /// Where a site is: a return address, or (tagged) a stack.
    fn resolve_place(&mut self, raw: u64, stacks: &StackTable) -> Resolved {
        if raw & STACK_TAG == 0 {
            let symbol = self.symbols.symbol(raw);
            return self.plain(raw, symbol);
        }
        if let Some(resolved) = self.stacks.get(&raw) {
            let mut resolved = resolved.clone();
            // The heap as the call's symbol says it now: a module with Rust
            // code loaded since (`dlopen`) may have made it uncertain.
            resolved.heap = self.symbols.symbol(resolved.call).heap;
            return resolved;
        }
        let Some(frames) = stacks.frames(raw & !STACK_TAG) else {
            let symbol = self.symbols.symbol(0);
            return self.plain(0, symbol);
        };
        // The call itself says the heap; the stack, every inlined function
        // of every frame, says whose code it was.
        let first = self.symbols.symbol(frames[0]);
        let mut stack: Vec<Site> = Vec::new();
        let mut own_frame = None;
        // Outside the C library: the Rust or C++ library code nearest the
        // program, which names the block when the stack ends before the
        // program's own code does (`std::map`'s allocation at -O0 is eight
        // frames deep).
        let mut outermost_library_frame = None;
        // The C library's function the program called, where the frame it
        // returns to says (`vasprintf`, which jumped to a function of the
        // library's that made the block and is named by no symbol).
        let mut called_in_runtime = None;
        let mut in_runtime_before = false;
        // The frame each of `stack`'s functions is in.
        let mut frame_of: Vec<u64> = Vec::new();
        for &frame in &frames {
            let in_runtime = self.symbols.symbol(frame).in_c_runtime;
            if in_runtime_before && !in_runtime && called_in_runtime.is_none() {
                called_in_runtime = Some(self.symbols.called_at(frame));
            }
            in_runtime_before = in_runtime;
            for function in self.symbols.inlined(frame) {
                if !in_runtime && self.wrappers.contains(function.name()) {
                    // What a wrapper calls is its own machinery (SQLite's
                    // `sqlite3MemMalloc`, which no symbol names): the
                    // program's frame is past the outermost wrapper.
                    own_frame = None;
                    outermost_library_frame = Some(stack.len());
                } else if own_frame.is_none() && !in_runtime {
                    if self.is_library_code(function) {
                        outermost_library_frame = Some(stack.len());
                    } else {
                        own_frame = Some(stack.len());
                    }
                }
                stack.push(function);
                frame_of.push(frame);
            }
        }
        let own_frame = own_frame.or(outermost_library_frame).unwrap_or(0);
        let called_releaser = called_in_runtime.flatten().and_then(|called| releaser_of(&called));
        let releaser = releaser_in(&stack[..own_frame]).or(called_releaser);
        let made_at = own_frame;
        let (site, own_frame) = if let Some((caller, called)) = self.line_that_called_in(&stack, &frame_of, own_frame) {
            let site = Site::intern(&format!("{}, in {called}", stack[caller].name()));
            // What the library made inside a call is released through the
            // library, as it says; only a block the call itself hands back
            // (`sqlite3_mprintf`'s) is known to be the caller's.
            if let Some(releaser) = releaser_of(&called) {
                self.releaser_of_site.entry(site).or_insert(releaser);
            }
            (site, caller)
        } else {
            let site = stack.get(own_frame).copied().unwrap_or(first.site);
            if let Some(releaser) = releaser {
                self.releaser_of_site.entry(site).or_insert(releaser);
            }
            // A stack that ran its course ends in the C library's start of
            // `main` or of a thread; one cut short by `--stack`'s depth
            // wherever the walk stopped.
            if let Some(&frame) = frame_of.get(own_frame)
                && stack.last().is_some_and(|last| !is_startup_or_runtime(last.name()))
            {
                self.note_if_inside_a_library(site, frame, true);
            }
            (site, own_frame)
        };
        // A block the C library made for the caller (`strdup`) is the
        // program's; one it made for itself (stdout's buffer) is not.
        let in_c_runtime = first.in_c_runtime && releaser.is_none();
        let resolved = Resolved {
            site,
            heap: first.heap,
            call: frames[0],
            in_c_runtime,
            stack: Some(stack.into()),
            own_frame,
            made_at,
        };
        self.stacks.insert(raw, resolved.clone());
        resolved
    }
}

/// Library functions that hand the caller a block, and how it is given
/// back: found among a stack's frames above the program's own.
const RELEASERS: &[(&str, &str)] = &[
    ("alloc::ffi::c_str::CString", "`CString::from_raw`, then drop"),
    ("alloc::boxed::Box", "`Box::from_raw`, then drop"),
    ("alloc::vec::Vec", "`Vec::from_raw_parts`, then drop"),
    ("alloc::string::String", "`String::from_raw_parts`, then drop"),
    // The C library's, under any of their names (`__asprintf`).
    ("strdup", "`free`"),
    ("strndup", "`free`"),
    ("wcsdup", "`free`"),
    ("asprintf", "`free`"),
    ("vasprintf", "`free`"),
    ("getline", "`free`"),
    ("getdelim", "`free`"),
    ("realpath", "`free`"),
    ("canonicalize_file_name", "`free`"),
    ("get_current_dir_name", "`free`"),
    ("getcwd", "`free`"),
    ("scandir", "`free`, each entry and then the array"),
    ("open_memstream", "`free`, after `fclose`"),
    // libstdc++'s `operator new[]` ends in a jump to `operator new`, which
    // leaves no frame of its own: an array's stack may show either.
    ("operator new", "`delete`, or `delete[]` if it was made by `new[]`"),
];

/// How a block made by the function named so is given back, if it is one
/// of `RELEASERS` (under any of its names: glibc exports `asprintf` as
/// `__asprintf` too) or a known allocation wrapper (a name without debug
/// information is "near" its symbol).
fn releaser_of(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix("near ").unwrap_or(name);
    let bare = name.trim_start_matches('_');
    RELEASERS
        .iter()
        .find(|(maker, _)| {
            bare.strip_prefix(maker).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ':', '<', '(']))
        })
        .map(|&(_, releaser)| releaser)
        .or_else(|| wrappers::releaser_of(name))
}

/// The releaser of the outermost library function that made the block.
fn releaser_in(library_frames: &[Site]) -> Option<&'static str> {
    library_frames.iter().rev().find_map(|frame| releaser_of(frame.name()))
}

/// A stack as a message's last lines: `label:` then a frame a line.
/// Frames below the program's last own one (the runtime that started it,
/// `main`'s callers) say nothing and are left out.
fn stack_text(label: &str, frames: &[Site]) -> String {
    let Some(last_own) = frames.iter().rposition(|frame| !is_startup_or_runtime(frame.name())) else {
        return String::new();
    };
    let frames = &frames[..=last_own];
    let mut text = format!("\n    {label}:");
    // A run of one frame (a recursion) is one line.
    let runs: Vec<&[Site]> = frames.chunk_by(|a, b| a == b).collect();
    for run in runs.iter().take(FRAMES_SHOWN) {
        text.push_str("\n      ");
        text.push_str(run[0].name());
        if run.len() > 1 {
            let _ = write!(text, " (× {})", run.len());
        }
    }
    if runs.len() > FRAMES_SHOWN {
        let more: usize = runs[FRAMES_SHOWN..].iter().map(|run| run.len()).sum();
        let _ = write!(text, "\n      … {more} more");
    }
    text
}

/// A frame of the Rust runtime, the C library or the loader, or of the
/// start-up code before `main` (`_start`, Rust's `main` shim).
fn is_startup_or_runtime(name: &str) -> bool {
    // Named `function (libc.so.6)`, or by offset alone: `libc.so.6+0x27249`.
    const RUNTIME: [&str; 3] = ["libc.so", "ld-linux", "libgcc_s"];
    let module = name.rsplit_once('(').map_or(name, |(_, module)| module);
    is_runtime_frame(name)
        || RUNTIME.iter().any(|runtime| name.starts_with(runtime) || module.starts_with(runtime))
        || name.starts_with("near main (")
        || name.starts_with("near _start (")
}

/// A raw event as the model's `Event`, named by its sites' briefs.
fn whole_event(raw: &sys::fs_id_event, site: Brief, allocated: Option<Brief>) -> Event {
    Event::recorded(raw, Some(site.site), allocated.map(|a| a.site))
}

/// Whether a mismatched free is none: a block made with `malloc` inside an
/// `operator new` and released with `delete` or `delete[]`, or made with
/// `new` and released with `free` inside an `operator delete`. A module
/// with a C++ runtime of its own (libstdc++ linked statically, as LLVM's
/// libraries and so rust-lld have it) calls its own `operator new`, which
/// calls `malloc`, while the program's `delete` is the recorder's: each
/// side is C++'s all the same. (Which of `new` and `new[]` made it is then
/// not known, so a `delete` of its `new[]` block is not told either.)
fn paired_by_an_own_cxx_runtime(forms: u64, freed_by: Brief, allocated: Option<Brief>) -> bool {
    let in_function = |brief: Brief, prefix: &str| {
        let name = brief.site.name();
        name.strip_prefix("near ").unwrap_or(name).starts_with(prefix)
    };
    let (made_as, released_as) = Form::pair_of(forms);
    let made_by_operator_new = allocated.is_some_and(|a| in_function(a, "operator new"));
    let freed_by_operator_delete = in_function(freed_by, "operator delete");
    (made_as == Form::Malloc && released_as != Form::Malloc && made_by_operator_new)
        || (made_as != Form::Malloc && released_as == Form::Malloc && freed_by_operator_delete)
}

/// Whether a block of `owner`'s went to the other heap's free.
fn crossed_heaps(owner: Heap, freed_by: Heap) -> bool {
    matches!((owner, freed_by), (Heap::Rust, Heap::C) | (Heap::C, Heap::Rust))
}

/// The anomaly of a block freed by the other heap's free.
fn foreign_free_anomaly(owner: Heap, free: &Event, releaser: Option<&str>) -> Anomaly {
    let event = Event {
        kind: EventKind::ForeignFree,
        domain: domain_of(owner),
        related_address: free.address,
        related_size: 0,
        ..*free
    };
    let mut anomaly = Anomaly::from_event(&event, None);
    let (heap, other) = if owner == Heap::Rust { ("Rust", "C library's") } else { ("C", "Rust allocator's") };
    let allocated_by = anomaly.related_site.as_deref().unwrap_or("(unknown)");
    anomaly.message = format!(
        "`{}` passed a {heap}-heap block ({} B, from `{allocated_by}`) to the {other} free. Both are glibc's \
         malloc here, so it went through; with mimalloc, jemalloc or another C runtime behind either side, \
         the same call corrupts the heap. Whoever allocates must free{}.",
        anomaly.site,
        event.size,
        releaser.map_or_else(String::new, |how| format!(": this block is released with {how}"))
    );
    anomaly
}

/// A free refused as invalid that is C++'s array cookie at work: `new[]`
/// of elements with a destructor keeps their count in front of them and
/// hands out the address after it, and `delete[]` steps back to it. So a
/// `delete` of such an array frees an address inside the block, and a
/// `delete[]` of a `new` block one before it, by the count's size (8 B,
/// or the elements' alignment): a mismatched free, refused.
fn array_count_anomaly(event: &Event, freed_as: Form, made_as: Form) -> Option<Anomaly> {
    let step = event.related_size;
    if !(step >= 8 && step.is_power_of_two() && event.related_address != 0) {
        return None;
    }
    let inside = event.related_address < event.address;
    if !matches!((made_as, freed_as, inside), (Form::NewArray, Form::New, true) | (Form::New, Form::NewArray, false)) {
        return None;
    }
    let mut anomaly = Anomaly::from_event(&Event { kind: EventKind::MismatchedFree, ..*event }, None);
    let (site, size) = (&anomaly.site, event.size);
    let related = anomaly.related_site.as_deref().unwrap_or("(unknown)");
    let what = if inside {
        format!(
            "`{site}` released with `delete` a pointer {step} B into the {size} B block that `{related}` made with \
             `new[]`, which pairs with `delete[]`. For elements with a destructor, `new[]` keeps their count in \
             the block's first {step} B and hands out the address after it: only `delete[]` steps back to the \
             block's start, and `delete` handed the C library an address it never gave out."
        )
    } else {
        format!(
            "`{site}` released with `delete[]` an address {step} B before the {size} B block that `{related}` made \
             with `new`, which pairs with `delete`. `delete[]` of elements with a destructor steps back {step} B \
             to the count `new[]` keeps there, which `new` never wrote, and runs that many destructors."
        )
    };
    anomaly.message = format!("{what} Refused, where glibc would abort the program.");
    Some(anomaly)
}

fn domain_of(heap: Heap) -> Domain {
    if heap == Heap::Rust { Domain::Rust } else { Domain::C }
}
