//! Struct layouts: the model ([`Layout`]), the exhibits that show C and Rust
//! side by side ([`exhibits`]), the app's own Rust mirrors measured by rustc
//! ([`mirrors`]), the pahole-style listing ([`listing`]), Struct Lab
//! ([`lab`]), and a user's Rust mirror checked against its C header
//! ([`mirror_check`]).

pub mod exhibits;
pub mod lab;
pub mod listing;
pub mod mirror_check;
pub mod mirrors;
mod model;

pub use crate::ffi::layouts::{c_layouts, c_sample};
pub use model::{Field, Kind, Layout, Padding, PaddingKind};
