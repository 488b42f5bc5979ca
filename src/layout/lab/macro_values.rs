//! The integer an object-like macro stands for: its body read as an integer
//! constant expression (`0x40U`, `(1 << 8)`, `(SQLITE_IOERR | (2 << 8))`,
//! `CURLOPT_OBSOLETE40`, an enumerator), for a mirror's constants and the
//! array lengths it names. Values are exact: where C's types could make the
//! value differ from plain arithmetic (`~0U`, a division of a negative, a
//! cast of anything but a small number), the macro has no value here
//! rather than a wrong one.

use std::cell::{Cell, RefCell};

use rustc_hash::FxHashMap;

/// How many macros a value may go through (`#define A B`, `#define B 3`).
const MAX_CHAIN: usize = 64;

/// How many macros one header's values may read in all, counting a macro
/// read again where a cut-off chain left it unknown.
const MAX_READS: usize = 1 << 20;

/// Bodies longer than this are no constant worth reading.
const MAX_BODY: usize = 512;

/// Strings joined from macros longer than this are not read.
const MAX_STRING: usize = 4096;

/// The body of each object-like macro defined at the end of a header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacroBodies {
    pub bodies: FxHashMap<String, String>,
}

impl MacroBodies {
    /// Every macro that stands for an integer, sorted by name; a name in
    /// `enumerators` (C's, which macros may name) has that value.
    pub fn values(&self, enumerators: &[(String, i128)]) -> Vec<(String, i128)> {
        let evaluation = Evaluation {
            bodies: &self.bodies,
            enumerators: enumerators.iter().map(|(name, value)| (name.as_str(), *value)).collect(),
            known: RefCell::default(),
            cut: Cell::new(false),
            reads: Cell::new(0),
        };
        let mut names: Vec<&String> = self.bodies.keys().collect();
        names.sort_unstable();
        names.into_iter().filter_map(|name| Some((name.clone(), evaluation.value_of(name, 0)?.value))).collect()
    }

    /// The macros neither `values` nor `strings` gives, each with its body,
    /// sorted by name.
    pub fn unread(&self, values: &[(String, i128)], strings: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
        let read = |name: &String| {
            values.binary_search_by(|(n, _)| n.cmp(name)).is_ok()
                || strings.binary_search_by(|(n, _)| n.cmp(name)).is_ok()
        };
        let mut unread: Vec<(String, String)> =
            self.bodies.iter().filter(|(name, _)| !read(name)).map(|(n, b)| (n.clone(), b.clone())).collect();
        unread.sort_unstable();
        unread
    }

    /// Every macro that stands for a string (`#define SQLITE_VERSION
    /// "3.40.1"`, adjacent literals joined, another such macro named), its
    /// bytes without the terminating NUL, sorted by name.
    pub fn strings(&self) -> Vec<(String, Vec<u8>)> {
        let mut names: Vec<&String> = self.bodies.keys().collect();
        names.sort_unstable();
        let reads = Cell::new(0);
        names.into_iter().filter_map(|name| Some((name.clone(), self.string_of(name, 0, &reads)?))).collect()
    }

    /// The string `name` stands for; `reads` counts the macros read, which
    /// [`MAX_READS`] bounds, as [`MAX_STRING`] bounds what they join to.
    fn string_of(&self, name: &str, depth: usize, reads: &Cell<usize>) -> Option<Vec<u8>> {
        let body = self.bodies.get(name)?;
        reads.set(reads.get() + 1);
        if depth > MAX_CHAIN || body.len() > MAX_BODY || reads.get() > MAX_READS {
            return None;
        }
        let mut bytes = Vec::new();
        let mut rest = body.trim();
        // A string's body starts with a string or names a macro that is one.
        let first_name = rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or_default();
        if !rest.starts_with('"') && !self.bodies.contains_key(first_name) {
            return None;
        }
        while !rest.is_empty() {
            if rest.starts_with('"') {
                let (literal, used) = string_literal(rest)?;
                bytes.extend(literal);
                rest = rest[used..].trim_start();
            } else {
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                if end == 0 {
                    return None;
                }
                bytes.extend(self.string_of(&rest[..end], depth + 1, reads)?);
                rest = rest[end..].trim_start();
            }
            if bytes.len() > MAX_STRING {
                return None;
            }
        }
        Some(bytes)
    }
}

/// A C string literal at the start of `text` (no prefix): its bytes, its
/// escapes read, and how many bytes of `text` it takes.
fn string_literal(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix('"')?;
    let mut bytes = Vec::new();
    let mut at = 0;
    loop {
        let rest = &inner[at..];
        match rest.chars().next()? {
            '"' => return Some((bytes, at + 2)),
            '\\' => {
                let (value, used) = escape(&rest[1..])?;
                bytes.push(u8::try_from(value).ok()?);
                at += 1 + used;
            }
            c => {
                bytes.extend(c.encode_utf8(&mut [0; 4]).as_bytes());
                at += c.len_utf8();
            }
        }
    }
}

/// A value, and whether C's type for it is unsigned (a `U` suffix, or a
/// literal too large for `int`), where `~` and `-` would wrap it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Value {
    value: i128,
    unsigned: bool,
}

struct Evaluation<'a> {
    bodies: &'a FxHashMap<String, String>,
    enumerators: FxHashMap<&'a str, i128>,
    /// Each macro's value once read (`None`: none, or being read: a cycle).
    known: RefCell<FxHashMap<&'a str, Option<Value>>>,
    /// A bound cut the current read short: its `None` says nothing of the
    /// macro read from nearer the top, so it is not remembered.
    cut: Cell<bool>,
    reads: Cell<usize>,
}

impl<'a> Evaluation<'a> {
    fn value_of(&self, name: &'a str, depth: usize) -> Option<Value> {
        if let Some(known) = self.known.borrow().get(name) {
            return *known;
        }
        let Some(body) = self.bodies.get(name) else {
            return self.enumerators.get(name).map(|&value| Value { value, unsigned: false });
        };
        self.reads.set(self.reads.get() + 1);
        if depth > MAX_CHAIN || self.reads.get() > MAX_READS {
            self.cut.set(true);
            return None;
        }
        let tokens = tokens(body).filter(|_| body.len() <= MAX_BODY);
        let Some(tokens) = tokens else {
            self.known.borrow_mut().insert(name, None);
            return None;
        };
        let cut_above = self.cut.replace(false);
        self.known.borrow_mut().insert(name, None);
        let mut parser = Parser { tokens: &tokens, at: 0, evaluation: self, depth };
        let value = parser.expression(0).filter(|_| parser.at == tokens.len());
        if value.is_some() || !self.cut.get() {
            self.known.borrow_mut().insert(name, value);
        } else {
            self.known.borrow_mut().remove(name);
        }
        self.cut.set(cut_above || self.cut.get());
        value
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Number(Value),
    Name(&'a str),
    Punct(&'static str),
}

/// The body's tokens; `None` on anything an integer constant does not hold
/// (strings, floats, `sizeof`'s operand is still a name and refused later).
fn tokens(body: &str) -> Option<Vec<Token<'_>>> {
    const PUNCTS: [&str; 13] = ["<<", ">>", "(", ")", "+", "-", "~", "!", "*", "/", "%", "&", "|"];
    let mut out = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let first = rest.chars().next()?;
        if first.is_whitespace() {
            rest = rest.trim_start();
        } else if first.is_ascii_digit() {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            out.push(Token::Number(integer_literal(&rest[..end])?));
            rest = &rest[end..];
        } else if first == '\'' {
            let (value, used) = character_literal(rest)?;
            out.push(Token::Number(Value { value, unsigned: false }));
            rest = &rest[used..];
        } else if first.is_ascii_alphabetic() || first == '_' {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            out.push(Token::Name(&rest[..end]));
            rest = &rest[end..];
        } else if first == '^' {
            out.push(Token::Punct("^"));
            rest = &rest[1..];
        } else {
            let punct = PUNCTS.into_iter().find(|p| rest.starts_with(p))?;
            out.push(Token::Punct(punct));
            rest = &rest[punct.len()..];
        }
    }
    Some(out)
}

/// A C integer literal: decimal, hex, octal or binary, with any `u`/`l`
/// suffix; unsigned when suffixed so or, hex and octal, too large for `int`.
fn integer_literal(text: &str) -> Option<Value> {
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    let suffix = &text[digits.len()..];
    if suffix.len() > 3 {
        return None;
    }
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, hex)
    } else if let Some(binary) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        (2, binary)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    let value = i128::from_str_radix(digits, radix).ok().filter(|v| *v <= i128::from(u64::MAX))?;
    let unsigned = suffix.contains(['u', 'U']) || (radix != 10 && value > i128::from(i32::MAX));
    Some(Value { value, unsigned })
}

/// `'a'`, `'\n'`, `'\0'`, `'\x41'`, `'\''`: its value and the bytes it
/// takes. Only one character below 128, which a plain `char` holds with
/// the same value whether it is signed or not.
pub fn character_literal(text: &str) -> Option<(i128, usize)> {
    let inner = text.strip_prefix('\'')?;
    let (value, used) = match inner.strip_prefix('\\') {
        None => {
            let first = inner.chars().next().filter(|c| *c != '\'')?;
            (u32::from(first), first.len_utf8())
        }
        Some(escaped) => escape(escaped).map(|(value, used)| (value, 1 + used))?,
    };
    let closed = inner[used..].starts_with('\'');
    (closed && value < 128).then_some((i128::from(value), used + 2))
}

/// The escape after a backslash (`n`, `x41`, `101`, `'`): its value and
/// how many bytes it takes; `None` for one C does not have.
fn escape(escaped: &str) -> Option<(u32, usize)> {
    let first = escaped.chars().next()?;
    if let Some(hex) = escaped.strip_prefix('x') {
        let digits = hex.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(hex.len());
        return Some((u32::from_str_radix(&hex[..digits], 16).ok()?, 1 + digits));
    }
    if first.is_digit(8) {
        let digits = escaped.find(|c: char| !c.is_digit(8)).unwrap_or(escaped.len()).min(3);
        return Some((u32::from_str_radix(&escaped[..digits], 8).ok()?, digits));
    }
    let value = match first {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'v' => '\x0b',
        '\\' | '\'' | '"' | '?' => first,
        _ => return None,
    };
    Some((u32::from(value), 1))
}

struct Parser<'t, 'e, 'a> {
    tokens: &'t [Token<'a>],
    at: usize,
    evaluation: &'e Evaluation<'a>,
    depth: usize,
}

/// Binary operators by how tightly they bind.
const LEVELS: [&[&str]; 6] = [&["|"], &["^"], &["&"], &["<<", ">>"], &["+", "-"], &["*", "/", "%"]];

impl<'a> Parser<'_, '_, 'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Punct(p)) if *p == punct);
        self.at += usize::from(found);
        found
    }

    fn expression(&mut self, level: usize) -> Option<Value> {
        let Some(operators) = LEVELS.get(level) else { return self.unary() };
        let mut left = self.expression(level + 1)?;
        while let Some(&op) = operators.iter().find(|op| matches!(self.peek(), Some(Token::Punct(p)) if p == *op)) {
            self.at += 1;
            let right = self.expression(level + 1)?;
            left = binary(left, op, right)?;
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Value> {
        if self.eat("+") {
            return self.unary();
        }
        if self.eat("-") {
            let operand = self.unary().filter(|v| !v.unsigned)?;
            return Some(Value { value: operand.value.checked_neg()?, ..operand });
        }
        if self.eat("~") {
            let operand = self.unary().filter(|v| !v.unsigned)?;
            return Some(Value { value: !operand.value, ..operand });
        }
        if self.eat("!") {
            let operand = self.unary()?;
            return Some(Value { value: i128::from(operand.value == 0), unsigned: false });
        }
        self.primary()
    }

    fn primary(&mut self) -> Option<Value> {
        match self.peek()?.clone() {
            Token::Number(value) => {
                self.at += 1;
                Some(value)
            }
            Token::Name(name) => {
                self.at += 1;
                self.evaluation.value_of(name, self.depth + 1)
            }
            Token::Punct("(") => {
                self.at += 1;
                if self.is_cast() {
                    // A cast keeps a small number's value whatever the type;
                    // a type not plainly signed may be unsigned, where `~` wraps.
                    let start = self.at;
                    while !self.eat(")") {
                        self.at += 1;
                    }
                    let signed = self.tokens[start..self.at - 1]
                        .iter()
                        .all(|t| matches!(t, Token::Name("signed" | "char" | "short" | "int" | "long")));
                    let operand = self.unary()?;
                    let unsigned = !signed || operand.unsigned;
                    return (0..128).contains(&operand.value).then_some(Value { unsigned, ..operand });
                }
                let inner = self.expression(0)?;
                self.eat(")").then_some(inner)
            }
            Token::Punct(_) => None,
        }
    }

    /// After `(`: names no macro or enumerator defines, then `)` and an
    /// operand, as in `((XML_Bool)1)`.
    fn is_cast(&self) -> bool {
        let names = self.tokens[self.at..].iter().take_while(|t| matches!(t, Token::Name(_))).count();
        let all_types = self.tokens[self.at..self.at + names].iter().all(|t| match t {
            Token::Name(name) => {
                !self.evaluation.bodies.contains_key(*name) && !self.evaluation.enumerators.contains_key(name)
            }
            _ => false,
        });
        let after = self.tokens.get(self.at + names + 1);
        names > 0
            && all_types
            && self.tokens.get(self.at + names) == Some(&Token::Punct(")"))
            && matches!(after, Some(Token::Number(_) | Token::Name(_) | Token::Punct("(" | "~" | "!" | "-")))
    }
}

/// `left op right`, or `None` where C's types could give another value.
fn binary(left: Value, op: &str, right: Value) -> Option<Value> {
    let (a, b) = (left.value, right.value);
    let unsigned = left.unsigned || right.unsigned;
    // Exact in every C integer type: division and right shifts of these
    // give what C gives, whatever the operands' types.
    let plain = |v: i128| (0..=i128::from(i32::MAX)).contains(&v);
    let shift = || u32::try_from(b).ok().filter(|&b| b < 64);
    let value = match op {
        "+" => a.checked_add(b)?,
        "-" => a.checked_sub(b)?,
        "*" => a.checked_mul(b)?,
        "/" if plain(a) && plain(b) => a.checked_div(b)?,
        "%" if plain(a) && plain(b) => a.checked_rem(b)?,
        "<<" => a.checked_shl(shift()?).filter(|v| v >> shift().unwrap_or(0) == a)?,
        ">>" if plain(a) => a >> shift()?,
        "&" => a & b,
        "|" => a | b,
        "^" => a ^ b,
        _ => return None,
    };
    Some(Value { value, unsigned })
}

#[cfg(test)]
mod tests {
    use super::MacroBodies;

    fn values(definitions: &[(&str, &str)], enumerators: &[(&str, i128)]) -> Vec<(String, i128)> {
        let bodies = definitions.iter().map(|(name, body)| ((*name).to_owned(), (*body).to_owned())).collect();
        let enumerators: Vec<(String, i128)> = enumerators.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect();
        MacroBodies { bodies }.values(&enumerators)
    }

    fn value(body: &str) -> Option<i128> {
        values(&[("X", body)], &[]).first().map(|(_, v)| *v)
    }

    #[test]
    fn expressions_of_literals_macros_and_enumerators_have_their_values() {
        let read = values(
            &[
                ("SQLITE_IOERR", "10"),
                ("SQLITE_IOERR_READ", "(SQLITE_IOERR | (1<<8))"),
                ("WRITEINFO", "CURLOPT_OBSOLETE40"),
                ("XML_TRUE", "((XML_Bool)1)"),
                ("NEG", "(-1)"),
                ("FLAGS", "0x10u|0x20"),
                ("MIX", "(2 * 3 + 4 % 3 - 8 / 2) ^ 1"),
                ("TAB", "'\\t'"),
                ("QUOTE", "'\\''"),
                ("ESCAPE", "'\\033'"),
                ("DELETE", "'\\x7f'"),
                ("LOOP1", "LOOP2"),
                ("LOOP2", "LOOP1"),
                ("TEXT", "\"hi\""),
            ],
            &[("CURLOPT_OBSOLETE40", 10040)],
        );
        let read: Vec<(&str, i128)> = read.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        assert_eq!(
            read,
            [
                ("DELETE", 127),
                ("ESCAPE", 27),
                ("FLAGS", 0x30),
                ("MIX", 2),
                ("NEG", -1),
                ("QUOTE", 39),
                ("SQLITE_IOERR", 10),
                ("SQLITE_IOERR_READ", 266),
                ("TAB", 9),
                ("WRITEINFO", 10040),
                ("XML_TRUE", 1),
            ]
        );
    }

    #[test]
    fn what_c_types_could_change_has_no_value_rather_than_a_wrong_one() {
        assert_eq!(value("~0"), Some(-1), "`int`: all ones in any width");
        assert_eq!(value("~0U"), None, "an `unsigned int`'s ones are 32 whatever the width read in");
        assert_eq!(value("-1U"), None);
        assert_eq!(value("0xFFFFFFFF"), Some(0xFFFF_FFFF), "unsigned, and exact");
        assert_eq!(value("(-8) / 3"), None);
        assert_eq!(value("(-8) >> 1"), None);
        assert_eq!(value("((int)300)"), None, "a cast of more than a small number");
        assert_eq!(value("(unsigned char)-1"), None);
        assert_eq!(value("~((unsigned long)1 << 4)"), None, "a cast to an unsigned type keeps it unsigned");
        assert_eq!(value("~((uint32_t)1)"), None, "as does one to a type that may be");
        assert_eq!(value("~((long)1 << 4)"), Some(-17));
        assert_eq!(value("1 << 64"), None);
        assert_eq!(value("1.5"), None);
        assert_eq!(value("'\\xff'"), None, "-1 where `char` is signed, 255 where not");
        assert_eq!(value("'ab'"), None);
        assert_eq!(value("sizeof(int)"), None);
        assert_eq!(value("(1"), None);
        assert_eq!(value("1 2"), None);
        assert_eq!(value("x ? 1 : 2"), None);
    }

    #[test]
    fn string_macros_are_read_with_their_escapes_and_joined() {
        let definitions = [
            ("VERSION", "\"3.40.1\""),
            ("JOINED", "\"a\\tb\" \"\\x41\\101\\0\""),
            ("NAMED", "VERSION"),
            ("BOTH", "VERSION \"-dev\""),
            ("NUMBER", "3"),
            ("OPEN", "\"never closed"),
            ("WIDE", "L\"wide\""),
        ];
        let bodies = definitions.iter().map(|(name, body)| ((*name).to_owned(), (*body).to_owned())).collect();
        let read = MacroBodies { bodies }.strings();
        let read: Vec<(&str, &[u8])> = read.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        assert_eq!(
            read,
            [
                ("BOTH", b"3.40.1-dev".as_slice()),
                ("JOINED", b"a\tbAA\0".as_slice()),
                ("NAMED", b"3.40.1".as_slice()),
                ("VERSION", b"3.40.1".as_slice()),
            ]
        );
    }

    #[test]
    fn a_deep_chain_is_cut_off_and_a_wide_one_read_once() {
        let mut chain: Vec<(String, String)> =
            (0..100).map(|i| (format!("C{i:03}"), format!("C{:03}", i + 1))).collect();
        chain.push(("C100".to_owned(), "7".to_owned()));
        // Each of 40 levels names the one below it four times: 4^40 reads
        // without remembering each macro's value.
        for i in 0..40 {
            chain.push((format!("W{i}"), format!("(W{0} + W{0} + W{0} + W{0})", i + 1)));
        }
        chain.push(("W40".to_owned(), "1".to_owned()));
        let definitions: Vec<(&str, &str)> = chain.iter().map(|(n, b)| (n.as_str(), b.as_str())).collect();
        let read = values(&definitions, &[]);
        assert!(read.iter().any(|(n, v)| n == "C050" && *v == 7), "{read:?}");
        assert!(!read.iter().any(|(n, _)| n == "C000"), "100 macros deep is past the chain's bound");
        assert!(read.iter().any(|(n, v)| n == "W38" && *v == 16));
        let top = read.iter().find(|(n, _)| n == "W0").map(|(_, v)| *v);
        assert_eq!(top, Some(1 << 80), "4^40, each level read once");
    }
}
