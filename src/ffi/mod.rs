//! The only module allowed `unsafe`: raw declarations of the C side in
//! [`sys`], and safe owners around them. Everything outside this module talks
//! to C through the types re-exported here.
#![expect(unsafe_code, reason = "the FFI boundary lives here and only here")]

pub mod bench_loops;
pub mod call_log;
mod demo;
mod event;
pub mod layouts;
pub mod lessons;
pub mod record_channel;

mod rust_heap;
pub mod sys;
mod tracker;

pub use demo::{CBlock, leak_block, mistakes};
pub use event::{Domain, Event, EventKind, Form, Site};
pub use lessons::messages::CMessage;
pub use rust_heap::{HeapScope, RustBlocksNamed, ScopedAllocator, name_rust_blocks, rust_heap_site, unrecorded};
pub use tracker::{BindGuard, Counts, HeapCounts, LiveBlock, Tracker, TrackerConfig, now_ns};

#[cfg(test)]
mod block_path_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod thread_tests;
