//! Tokens of C declaration text, each with its line and column. Comments
//! are skipped; a preprocessor line is one token, handled by the parser.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    Ident(String),
    Number(u64),
    Punct(char),
    /// A whole `#…` line, without the `#`.
    Directive(String),
    /// A string literal (`"…"`), whose text no layout needs.
    Text,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub line: usize,
    pub column: usize,
}

/// Where and why the text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ParseError {
    /// The message, the offending line, and a caret under the column. A
    /// long line is cut to a window around the column.
    pub fn render(&self, source: &str) -> String {
        let line = source.lines().nth(self.line.saturating_sub(1)).unwrap_or("");
        format!("{}:{}: {}\n{}", self.line, self.column, self.message, excerpt(line, self.column))
    }

    /// As [`ParseError::render`], named after the file it is in: `file:line:column: …`.
    /// An error at line 0 is not in `file` (an included header, a target's
    /// preprocessor): its message names where it is, and it is shown alone.
    pub fn render_in(&self, file: &str, source: &str) -> String {
        if self.line == 0 {
            return self.message.clone();
        }
        format!("{file}:{}", self.render(source))
    }
}

/// `line` indented, and a caret under `column` (from 1). A long line is cut
/// to a window around the column.
pub fn excerpt(line: &str, column: usize) -> String {
    const SHOWN: usize = 100;
    let line: Vec<char> = line.chars().collect();
    let column = column.saturating_sub(1).min(line.len());
    let start = column.saturating_sub(SHOWN / 2);
    let end = (start + SHOWN).min(line.len());
    let before = if start > 0 { "…" } else { "" };
    let after = if end < line.len() { "…" } else { "" };
    let text: String = line[start..end].iter().collect();
    let caret = " ".repeat(column - start + before.chars().count()) + "^";
    format!("  {before}{text}{after}\n  {caret}")
}

/// A position in the text that knows its line and column (both from 1);
/// Mirror Check's scan of Rust text walks one too.
pub(crate) struct Cursor {
    chars: Vec<char>,
    at: usize,
    line: usize,
    column: usize,
}

impl Cursor {
    pub(crate) fn new(source: &str) -> Cursor {
        Cursor { chars: source.chars().collect(), at: 0, line: 1, column: 1 }
    }

    /// The line and column of the character at the cursor.
    pub(crate) fn position(&self) -> (usize, usize) {
        (self.line, self.column)
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_next(&self) -> Option<char> {
        self.peek_at(1)
    }

    /// The character `ahead` places past the cursor.
    pub(crate) fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// The character just before the cursor.
    pub(crate) fn previous(&self) -> Option<char> {
        self.at.checked_sub(1).and_then(|i| self.chars.get(i).copied())
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    /// Takes characters while `keep` holds.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut taken = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            taken.push(c);
            self.bump();
        }
        taken
    }
}

/// Splits `source` into tokens. Characters that start no token are reported
/// and skipped, so one stray byte does not hide the rest of the file.
pub fn tokenize(source: &str) -> (Vec<Token>, Vec<ParseError>) {
    let mut cursor = Cursor::new(source);
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let mut at_line_start = true;
    while let Some(c) = cursor.peek() {
        let (line, column) = (cursor.line, cursor.column);
        let error = |message: String| ParseError { line, column, message };
        if c == '\n' {
            at_line_start = true;
            cursor.bump();
        } else if c.is_whitespace() {
            cursor.bump();
        } else if c == '/' && cursor.peek_next() == Some('/') {
            cursor.take_while(|c| c != '\n');
        } else if c == '/' && cursor.peek_next() == Some('*') {
            cursor.bump();
            cursor.bump();
            loop {
                match cursor.bump() {
                    None => {
                        errors.push(error("comment never closed".into()));
                        break;
                    }
                    Some('*') if cursor.peek() == Some('/') => {
                        cursor.bump();
                        break;
                    }
                    Some(_) => {}
                }
            }
        } else if c == '#' && at_line_start {
            cursor.bump();
            let text = cursor.take_while(|c| c != '\n');
            tokens.push(Token { kind: TokenKind::Directive(text.trim().to_owned()), line, column });
        } else if c.is_ascii_alphabetic() || c == '_' {
            at_line_start = false;
            let word = cursor.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
            tokens.push(Token { kind: TokenKind::Ident(word), line, column });
        } else if c == '"' || c == '\'' {
            at_line_start = false;
            match (c, quoted(&mut cursor).as_deref()) {
                (_, None) => errors.push(error(format!("`{c}` never closed on its line"))),
                ('"', Some(_)) => tokens.push(Token { kind: TokenKind::Text, line, column }),
                (_, Some(&[one])) => {
                    tokens.push(Token { kind: TokenKind::Number(u64::from(u32::from(one))), line, column });
                }
                _ => errors.push(error("a character constant of one character was expected".into())),
            }
        } else if c.is_ascii_digit() {
            at_line_start = false;
            let digits = cursor.take_while(|c| c.is_ascii_alphanumeric());
            match parse_number(&digits) {
                Some(value) => tokens.push(Token { kind: TokenKind::Number(value), line, column }),
                None => errors.push(error(format!("`{digits}` is not an integer constant"))),
            }
        } else {
            at_line_start = false;
            cursor.bump();
            if "{}[]();,:*=+-/%<>&|^~!?.".contains(c) {
                tokens.push(Token { kind: TokenKind::Punct(c), line, column });
            } else {
                errors.push(error(format!("unexpected character `{c}`")));
            }
        }
    }
    tokens.push(Token { kind: TokenKind::End, line: cursor.line, column: cursor.column });
    (tokens, errors)
}

/// A string or character literal at the cursor, taken to its closing
/// quote on the same line: its characters (simple escapes read), or
/// `None` if it has no closing quote.
fn quoted(cursor: &mut Cursor) -> Option<Vec<char>> {
    let quote = cursor.bump()?;
    let mut characters = Vec::new();
    loop {
        match cursor.peek() {
            None | Some('\n') => return None,
            Some(c) if c == quote => {
                cursor.bump();
                break;
            }
            Some('\\') => {
                cursor.bump();
                let escaped = cursor.bump()?;
                characters.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    other => other,
                });
            }
            Some(c) => {
                cursor.bump();
                characters.push(c);
            }
        }
    }
    Some(characters)
}

/// Decimal, hex or octal, with any of the suffixes u, l, ll.
fn parse_number(text: &str) -> Option<u64> {
    let body = text.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if body.len() > 1 && body.starts_with('0') {
        u64::from_str_radix(&body[1..], 8).ok()
    } else {
        body.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_line_and_column_and_skip_comments() {
        let (tokens, errors) = tokenize("struct a { /* c */\n  int x; // y\n};\n#pragma pack(1)\n");
        assert!(errors.is_empty());
        let x = tokens.iter().find(|t| t.kind == TokenKind::Ident("x".into())).unwrap();
        assert_eq!((x.line, x.column), (2, 7));
        assert!(tokens.iter().any(|t| t.kind == TokenKind::Directive("pragma pack(1)".into())));
    }

    #[test]
    fn numbers_in_every_base() {
        assert_eq!(parse_number("0x10"), Some(16));
        assert_eq!(parse_number("010"), Some(8));
        assert_eq!(parse_number("12UL"), Some(12));
        assert_eq!(parse_number("9z"), None);
    }

    #[test]
    fn a_stray_character_is_reported_where_it_is() {
        let (_, errors) = tokenize("int x;\n  @\n");
        assert_eq!(errors, [ParseError { line: 2, column: 3, message: "unexpected character `@`".into() }]);
        assert_eq!(errors[0].render("int x;\n  @\n"), "2:3: unexpected character `@`\n    @\n    ^");
    }
}
