//! Struct layouts: the model ([`Layout`]), the exhibits that show C and Rust
//! side by side ([`exhibits`]), the Rust mirrors measured by rustc
//! ([`mirrors`]), and the pahole-style listing ([`listing`]).

pub mod exhibits;
pub mod lab;
pub mod listing;
pub mod mirrors;
mod model;

pub use crate::ffi::layouts::{c_layouts, c_sample};
pub use model::{Field, Kind, Layout, Padding, PaddingKind};
