//! ffiscope: memory across the Rust ↔ C boundary, made visible.
//!
//! Data flows one way: the C tracker ([`ffi`]) → the model ([`track`]) →
//! the views ([`ui`]). Views never call C; they return commands that
//! [`app::FfiscopeApp`] applies once per frame.

pub mod app;
pub mod cli;
pub mod command;
pub mod export;
pub mod ffi;
pub mod layout;
pub mod record;
pub mod report;
pub mod scenarios;
pub mod teaching;
pub mod track;
pub mod ui;
