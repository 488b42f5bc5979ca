//! The Tracker tab's session: a tracker, its model, and the blocks the tab
//! owns. Buttons become [`TrackerCommand`]s that the app applies here; each
//! one calls real C (or allocates on the Rust heap inside a scope).

use crate::ffi::{CBlock, Counts, Tracker, leak_block, mistakes, rust_heap_site};

use super::{EventSource as _, Model};

/// Sizes of the blocks "Allocate 10 blocks" makes: varied, so the bytes
/// series is not just the blocks series scaled.
const DEMO_SIZES: [usize; 10] = [16, 24, 32, 48, 64, 96, 128, 192, 256, 512];

/// What "Leak one" loses.
const LEAKED_BYTES: usize = 40;

/// The site "Leak one" allocates from, so a leak never hides among the tab's
/// own blocks.
pub const LEAK_SITE: &str = "demo_leak_block";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerCommand {
    AllocateC,
    AllocateRust,
    FreeAll,
    LeakOne,
    DoubleFree,
    Overflow,
    WriteAfterFree,
    ForeignFree,
    Reset,
}

#[derive(Debug, Default)]
pub struct TrackerSession {
    tracker: Tracker,
    model: Model,
    c_blocks: Vec<CBlock>,
    rust_blocks: Vec<Box<[u8]>>,
    leaked: usize,
}

impl TrackerSession {
    pub fn new() -> TrackerSession {
        TrackerSession::default()
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The tracker's own counts, which the model must agree with.
    pub fn counts(&self) -> Counts {
        self.tracker.counts()
    }

    pub fn owned_c_blocks(&self) -> usize {
        self.c_blocks.len()
    }

    pub fn owned_rust_blocks(&self) -> usize {
        self.rust_blocks.len()
    }

    pub fn leaked_blocks(&self) -> usize {
        self.leaked
    }

    /// Pulls new events into the model; called once per frame.
    pub fn refresh(&mut self) {
        self.tracker.feed_all(&mut self.model);
    }

    pub fn apply(&mut self, command: TrackerCommand) {
        match command {
            TrackerCommand::AllocateC => {
                for size in DEMO_SIZES {
                    // Only the block is allocated in scope, not the Vec that keeps it.
                    if let Some(block) = self.in_scope(|| CBlock::allocate(size)) {
                        self.c_blocks.push(block);
                    }
                }
            }
            TrackerCommand::AllocateRust => {
                for size in DEMO_SIZES {
                    let block =
                        self.in_scope(|| rust_heap_site(c"Box<[u8]>::new", || vec![0x5A_u8; size].into_boxed_slice()));
                    self.rust_blocks.push(block);
                }
            }
            TrackerCommand::FreeAll => self.release_owned(),
            TrackerCommand::LeakOne => {
                self.in_scope(|| leak_block(LEAKED_BYTES));
                self.leaked += 1;
            }
            TrackerCommand::DoubleFree => self.in_scope(|| CBlock::allocate(32).map(CBlock::free_twice)).unwrap_or(()),
            TrackerCommand::Overflow => self.in_scope(|| mistakes::overflow(24, 1)),
            TrackerCommand::WriteAfterFree => self.in_scope(|| mistakes::write_after_free(64)),
            TrackerCommand::ForeignFree => self.in_scope(|| mistakes::foreign_free("a Rust string handed to C's free")),
            TrackerCommand::Reset => {
                // Dropping the old session releases what it owns; its tracker
                // frees any leaked C blocks with it.
                *self = TrackerSession::new();
                return;
            }
        }
        self.tracker.check_all();
        self.refresh();
    }

    fn in_scope<R>(&self, body: impl FnOnce() -> R) -> R {
        let _scope = self.tracker.scope();
        body()
    }

    /// Frees every block the session owns, each by its own allocator.
    fn release_owned(&mut self) {
        let _scope = self.tracker.scope();
        self.c_blocks.clear();
        self.rust_blocks.clear();
    }
}

impl Drop for TrackerSession {
    fn drop(&mut self) {
        self.release_owned();
    }
}
