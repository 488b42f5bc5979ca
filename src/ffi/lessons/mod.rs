//! Safe owners for the C halves of the lessons (`csrc/scenarios/`), one file
//! per C file. Each C handle is a `NonNull` owner whose `Drop` calls the
//! matching C free. The deliberately broken operations the lessons need are
//! methods named for the mistake; each either is caught by the tracker before
//! it can do harm, or really crashes and is only run in a child process.

pub mod alignment;
pub mod arena;
pub mod arrays;
pub mod bounds;
pub mod buffers;
pub mod callbacks;
pub mod counter;
pub mod handoff;
pub mod messages;
pub mod requests;
pub mod service;
pub mod strings;
pub mod types;
