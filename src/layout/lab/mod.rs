//! Struct Lab: C declarations pasted as text, parsed ([`parser`]), laid out
//! for five targets ([`abi`], [`engine`]), and verified by the real
//! compilers where they are installed ([`verify`]).

pub mod abi;
pub mod bindings;
pub mod dwarf;
pub mod engine;
pub mod generate;
pub mod lexer;
pub mod parser;
pub mod report;
pub mod session;
pub mod verify;

pub use abi::Target;
pub use lexer::ParseError;
