//! The words that spell a basic C type, gathered as they come and
//! resolved once the specifiers end.

use super::{Scalar, TypeRef};

/// The words that spell a basic type (`unsigned long long int`, `double
/// _Complex`), as they come.
#[derive(Default)]
pub(super) struct Spelling {
    /// `signed` or `unsigned` (which, its text says).
    sign: bool,
    short: bool,
    longs: u8,
    complex: bool,
    /// The words as written, but `_Complex`.
    pub(super) words: Vec<String>,
}

impl Spelling {
    /// Takes `unsigned`, `signed`, `short`, `long` or `_Complex`.
    pub(super) fn take(&mut self, word: String) {
        match word.as_str() {
            "unsigned" | "signed" => self.sign = true,
            "short" => self.short = true,
            "long" => self.longs = self.longs.saturating_add(1),
            _ => {
                self.complex = true;
                return;
            }
        }
        self.words.push(word);
    }

    /// A word that only an integer takes: no typedef name may follow it.
    pub(super) fn has_integer_words(&self) -> bool {
        self.sign || self.short || self.longs > 0
    }

    /// The type spelled, its base word (`int`, `double`) if any was
    /// written, or `base` itself (a record, an enum, a typedef's type).
    pub(super) fn resolved(&self, base: Option<(TypeRef, String)>) -> Option<(TypeRef, String)> {
        let scalar = |s| {
            let text = self.words.join(" ");
            // `double _Complex`: its real and imaginary parts, one after the other.
            Some(if self.complex {
                (TypeRef::Array(Box::new(TypeRef::Scalar(s)), Some(2)), format!("_Complex {text}"))
            } else {
                (TypeRef::Scalar(s), text)
            })
        };
        match base.as_ref().map(|(_, word)| word.as_str()) {
            Some("char") => scalar(Scalar::Char),
            Some("__int128") => scalar(Scalar::Int128),
            Some("float") => scalar(Scalar::Float),
            Some("double") if self.longs > 0 => scalar(Scalar::LongDouble),
            Some("double") => scalar(Scalar::Double),
            Some("_Bool") => scalar(Scalar::Bool),
            Some("void") => scalar(Scalar::Void),
            Some("int") | None if self.short => scalar(Scalar::Short),
            Some("int") | None if self.longs >= 2 => scalar(Scalar::LongLong),
            Some("int") | None if self.longs == 1 => scalar(Scalar::Long),
            Some("int") => scalar(Scalar::Int),
            None if self.sign => scalar(Scalar::Int),
            _ => base,
        }
    }
}
