//! Struct Lab: C declarations pasted as text, parsed ([`parser`]), laid out
//! for five targets ([`abi`], [`engine`]), and verified by the real
//! compilers where they are installed ([`verify`]).

pub mod abi;
pub mod bindings;
pub mod dwarf;
pub mod engine;
pub mod generate;
pub mod gnu_c;
pub mod header;
pub mod lexer;
pub mod macro_values;
pub mod macros;
pub mod parser;
mod readable;
pub mod report;
pub mod session;
pub mod standard_names;
pub mod verify;

pub use abi::Target;
pub use lexer::ParseError;

/// A header's text, read as compilers read it: UTF-8 where it is, and
/// otherwise Latin-1, byte for character (the encoding of older headers'
/// comments), never refused. The flag says whether it was Latin-1.
pub fn header_text(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, false),
        Err(not_utf8) => (not_utf8.into_bytes().into_iter().map(char::from).collect(), true),
    }
}

#[cfg(test)]
mod tests {
    use super::header_text;

    #[test]
    fn a_header_is_read_as_utf8_or_else_as_latin1_never_refused() {
        assert_eq!(header_text("/* café */".as_bytes().to_vec()), ("/* café */".to_owned(), false));
        assert_eq!(header_text(b"/* caf\xe9 */".to_vec()), ("/* café */".to_owned(), true));
    }
}
