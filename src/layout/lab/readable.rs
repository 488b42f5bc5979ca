//! Preprocessed C made readable by `lang-c`, which knows less than gcc:
//! gcc's builtin names spelled as types it knows, and the extensions a
//! layout never needs (statement attributes, inline functions' bodies) left
//! out. Every newline stays, so each line keeps its number for errors.

/// GCC's builtin 128-bit integer names, which `lang-c` does not know as
/// types: renamed to typedef names it does, read back as `Scalar::Int128`.
const INT128_NAMES: [(&str, &str); 4] = [
    ("unsigned __int128", "__ffiscope_uint128"),
    ("__uint128_t", "__ffiscope_uint128"),
    ("__int128_t", "__ffiscope_int128"),
    ("__int128", "__ffiscope_int128"),
];
/// MSVC's sized integer keywords (`sqlite3.h` uses `__int64` on Windows),
/// spelled as the C types they are on that target.
const MSVC_INTEGER_KEYWORDS: [(&str, &str); 4] =
    [("__int64", "long long"), ("__int32", "int"), ("__int16", "short"), ("__int8", "char")];
/// Statement attributes inside inline functions' bodies (SDL's
/// `SDL_FALLTHROUGH`), which `lang-c` does not read and a layout never needs.
const STATEMENT_ATTRIBUTES: [&str; 2] = ["__attribute__((__fallthrough__));", "__attribute__((fallthrough));"];

/// The text as `lang-c` can read it: `__int128` spelled as the typedef names
/// the prelude declares, statement attributes left out (an empty statement
/// in their place, so every line keeps its number), attributes' parentheses
/// joined, and inline functions' bodies blanked.
pub(super) fn readable(text: &str) -> String {
    let mut readable = text.to_owned();
    if text.contains("int128") {
        for (from, to) in INT128_NAMES {
            readable = replace_word(&readable, from, to);
        }
    }
    for (keyword, spelled) in MSVC_INTEGER_KEYWORDS {
        if readable.contains(keyword) {
            readable = replace_word(&readable, keyword, spelled);
        }
    }
    for attribute in STATEMENT_ATTRIBUTES {
        if readable.contains(attribute) {
            readable = readable.replace(attribute, ";");
        }
    }
    if readable.contains("_Alignas") {
        readable = alignas_as_attributes(readable);
    }
    let mut readable = attributes_after_bodies(join_attribute_parentheses(readable));
    blank_function_bodies(&mut readable);
    readable
}

/// `text` with `word` replaced where it stands alone as an identifier
/// (`__int64`, never the `__int64` of glibc's `__int64_t`).
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_identifier = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find(word) {
        let before = rest[..found].chars().next_back().or_else(|| out.chars().next_back());
        let after = rest[found + word.len()..].chars().next();
        out.push_str(&rest[..found]);
        if before.is_some_and(is_identifier) || after.is_some_and(is_identifier) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[found + word.len()..];
    }
    out.push_str(rest);
    out
}

/// An `__attribute__((…))` in the text: where its keyword starts, its four
/// parentheses, and where it ends.
struct Attribute {
    start: usize,
    outer_open: usize,
    inner_open: usize,
    inner_close: usize,
    outer_close: usize,
}

impl Attribute {
    /// The attribute whose keyword (`__attribute__` or `__attribute`) starts at `start`.
    fn at(bytes: &[u8], start: usize) -> Option<Attribute> {
        let rest = &bytes[start..];
        let keyword = if rest.starts_with(b"__attribute__") {
            "__attribute__".len()
        } else if rest.starts_with(b"__attribute") {
            "__attribute".len()
        } else {
            return None;
        };
        let keyword_end = start + keyword;
        if start > 0 && is_identifier_byte(bytes[start - 1])
            || bytes.get(keyword_end).copied().is_some_and(is_identifier_byte)
        {
            return None;
        }
        let next_is = |at: usize, byte: u8| next_token(bytes, at).filter(|&i| bytes[i] == byte);
        let outer_open = next_is(keyword_end, b'(')?;
        let inner_open = next_is(outer_open + 1, b'(')?;
        let inner_close = matching_close(bytes, inner_open)?;
        let outer_close = next_is(inner_close + 1, b')')?;
        Some(Attribute { start, outer_open, inner_open, inner_close, outer_close })
    }

    fn end(&self) -> usize {
        self.outer_close + 1
    }
}

/// Replacements of byte ranges of `text`, in the order they come and
/// apart, made in one pass.
fn edited(text: String, edits: Vec<(std::ops::Range<usize>, String)>) -> String {
    if edits.is_empty() {
        return text;
    }
    let added: usize = edits.iter().map(|(_, with)| with.len()).sum();
    let mut out = String::with_capacity(text.len() + added);
    let mut copied = 0;
    for (range, with) in edits {
        out.push_str(&text[copied..range.start]);
        out.push_str(&with);
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Words that start a type name (after `__int128`'s renaming).
const TYPE_KEYWORDS: [&str; 22] = [
    "void",
    "char",
    "short",
    "int",
    "long",
    "float",
    "double",
    "signed",
    "unsigned",
    "_Bool",
    "_Complex",
    "struct",
    "union",
    "enum",
    "const",
    "volatile",
    "_Atomic",
    "typeof",
    "__typeof",
    "__typeof__",
    "__ffiscope_int128",
    "__ffiscope_uint128",
];

/// The name of the attribute a `_Alignas` of one identifier becomes: the
/// identifier may be a typedef or a constant, which only the reader knows.
pub(super) const ALIGNAS_NAME_ATTRIBUTE: &str = "__ffiscope_alignas__";

/// `_Alignas(N)` written as `__attribute__((__aligned__(N)))`, which GCC
/// reads the same way on a member: `lang-c` reads `_Alignas` only before a
/// declaration, not before a struct's member, and stopped there. A type
/// (`_Alignas(double)`) becomes `__aligned__(_Alignof(double))`; a single
/// name is passed as a string to [`ALIGNAS_NAME_ATTRIBUTE`], as it may be a
/// typedef (`uint64_t`) or an enumerator. Newlines and line markers stay.
fn alignas_as_attributes(text: String) -> String {
    let bytes = text.as_bytes();
    let mut edits = Vec::new();
    for (start, _) in text.match_indices("_Alignas") {
        let end = start + "_Alignas".len();
        if start > 0 && is_identifier_byte(bytes[start - 1]) || bytes.get(end).copied().is_some_and(is_identifier_byte)
        {
            continue;
        }
        // A line marker may come between the keyword and its `(`.
        let Some(open) = next_token(bytes, end).filter(|&at| bytes[at] == b'(') else { continue };
        let Some(close) = matching_close(bytes, open) else { continue };
        let argument = &text[open + 1..close];
        let word = argument.trim();
        let first = word.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').next().unwrap_or_default();
        let single_name = !word.is_empty()
            && word.bytes().all(is_identifier_byte)
            && !word.starts_with(|c: char| c.is_ascii_digit())
            && !TYPE_KEYWORDS.contains(&word);
        let gap = &text[end..open];
        let attribute = if single_name {
            let (before, rest) = argument.split_at(argument.find(word).unwrap_or_default());
            let after = &rest[word.len()..];
            format!("__attribute__{gap}(({ALIGNAS_NAME_ATTRIBUTE}({before}\"{word}\"{after})))")
        } else if TYPE_KEYWORDS.contains(&first) {
            format!("__attribute__{gap}((__aligned__(_Alignof({argument}))))")
        } else {
            format!("__attribute__{gap}((__aligned__({argument})))")
        };
        edits.push((start..close + 1, attribute));
    }
    edited(text, edits)
}

/// `__attribute__ ( (packed) )`, with its parentheses apart, joined into
/// `__attribute__((packed))`: `lang-c` reads only `((` and `))`. Headers
/// seldom write it so, but gcc emits it whenever a header asked for itself
/// passes its own words to a system header's macro (`math.h`'s
/// `__MATHCALLX (ceil,, (_Mdouble_ __x), (__const__))`): a line marker
/// comes between the two `(` each time the tokens change file. The markers
/// stay where they are, so every line keeps its number.
fn join_attribute_parentheses(text: String) -> String {
    let bytes = text.as_bytes();
    let mut edits = Vec::new();
    let mut past = 0;
    for (start, _) in text.match_indices("__attribute") {
        if start < past {
            continue; // inside the attribute before
        }
        let Some(attribute) = Attribute::at(bytes, start) else { continue };
        let Attribute { outer_open, inner_open, inner_close, outer_close, .. } = attribute;
        if inner_open > outer_open + 1 || outer_close > inner_close + 1 {
            let one = |at: usize, with: &str| (at..at + 1, with.to_owned());
            edits.extend([one(outer_open, " "), one(inner_open, "(("), one(inner_close, "))"), one(outer_close, " ")]);
        }
        past = attribute.end();
    }
    edited(text, edits)
}

/// `struct __attribute__((packed)) tag { … }` written as
/// `struct tag { … } __attribute__((packed))`, which GCC reads the same
/// way: `lang-c` has no place for attributes after `struct`, `union` or
/// `enum`, and read the first as a function named `tag` (the struct was
/// lost) and stopped at `typedef struct __attribute__((packed)) { … } T;`.
/// The attributes' own text is blanked but for its newlines and line
/// markers, and follows the closing brace on one line, so every line
/// keeps its number. Without a body (`struct __attribute__((x)) tag *p`),
/// where GCC ignores them, they are left out.
fn attributes_after_bodies(text: String) -> String {
    let bytes = text.as_bytes();
    let mut edits = Vec::new();
    let mut past = 0;
    for (start, _) in text.match_indices("__attribute") {
        if start < past || !follows_a_record_keyword(bytes, start) {
            continue;
        }
        let mut attributes = Vec::new();
        let mut at = start;
        while let Some(attribute) = Attribute::at(bytes, at) {
            at = attribute.end();
            attributes.push(attribute.start..attribute.end());
            match next_token(bytes, at) {
                Some(next) => at = next,
                None => break,
            }
        }
        let (Some(first), Some(last)) = (attributes.first(), attributes.last()) else { continue };
        let (first, end) = (first.start, last.end);
        past = end;
        let blanked = blank_tokens(&text[first..end]);
        let body =
            next_token(bytes, end)
                .map(|at| {
                    if is_identifier_byte(bytes[at]) { next_token(bytes, identifier_end(bytes, at)) } else { Some(at) }
                })
                .and_then(|at| at.filter(|&open| bytes[open] == b'{'))
                .and_then(|open| matching_brace(bytes, open));
        let moved: Vec<String> = attributes.iter().map(|range| tokens_on_one_line(&text[range.clone()])).collect();
        edits.push((first..end, blanked));
        if let Some(close) = body {
            edits.push((close + 1..close + 1, format!(" {}", moved.join(" "))));
        }
    }
    edits.sort_by_key(|(range, _)| range.start);
    edited(text, edits)
}

/// Whether the token before `at` is `struct`, `union` or `enum`.
fn follows_a_record_keyword(bytes: &[u8], at: usize) -> bool {
    let before = &bytes[..at];
    let end = before.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
    let start = before[..end].iter().rposition(|&b| !is_identifier_byte(b)).map_or(0, |i| i + 1);
    matches!(&before[start..end], b"struct" | b"union" | b"enum")
}

fn identifier_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|&b| !is_identifier_byte(b)).map_or(bytes.len(), |i| start + i)
}

/// `text` with every byte but newlines and directives' lines made a space.
fn blank_tokens(text: &str) -> String {
    let mut blanked = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with('#') && (blanked.is_empty() || blanked.ends_with('\n')) {
            blanked.push_str(line);
        } else {
            blanked.extend(line.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
        }
    }
    blanked
}

/// The tokens of `text` on one line: its directives' lines left out.
fn tokens_on_one_line(text: &str) -> String {
    let mut at_line_start = true;
    let mut tokens = Vec::new();
    for line in text.split_inclusive('\n') {
        if !(at_line_start && line.starts_with('#')) {
            tokens.push(line.trim());
        }
        at_line_start = line.ends_with('\n');
    }
    tokens.join(" ")
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Whether `at` starts a line of `bytes` with `#`: a line marker or a
/// pragma, which stands between tokens and is read to the end of its line.
pub(super) fn starts_a_directive(bytes: &[u8], at: usize) -> bool {
    bytes[at] == b'#' && (at == 0 || bytes[at - 1] == b'\n')
}

/// Where the line starting at `at` ends (its newline, or the text's end).
pub(super) fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| at + i)
}

/// The first byte from `at` on that is neither white space nor in a
/// directive's line.
fn next_token(bytes: &[u8], mut at: usize) -> Option<usize> {
    while at < bytes.len() {
        if starts_a_directive(bytes, at) {
            at = line_end(bytes, at);
        } else if !bytes[at].is_ascii_whitespace() {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// The `)` that closes the `(` at `open`, past literals and directives.
fn matching_close(bytes: &[u8], open: usize) -> Option<usize> {
    matching(bytes, open, (b'(', b')'))
}

/// The `}` that closes the `{` at `open`, past literals and directives.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    matching(bytes, open, (b'{', b'}'))
}

fn matching(bytes: &[u8], open: usize, (opening, closing): (u8, u8)) -> Option<usize> {
    let mut depth = 0_usize;
    let mut at = open;
    while at < bytes.len() {
        match bytes[at] {
            b'"' | b'\'' => at = skip_literal(bytes, at),
            b'#' if starts_a_directive(bytes, at) => at = line_end(bytes, at),
            byte if byte == opening => depth += 1,
            byte if byte == closing => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// Blanks the bodies of the functions a header defines (inline helpers):
/// they declare no type anyone can name, and they are where compilers'
/// extensions (vector casts, statement attributes) live. Every newline stays,
/// so lines keep their numbers and bytes their offsets.
fn blank_function_bodies(text: &mut String) {
    let mut bytes = std::mem::take(text).into_bytes();
    let mut depth = 0_usize;
    let mut body_from: Option<usize> = None;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' | b'\'' => at = skip_literal(&bytes, at),
            b'{' => {
                if depth == 0 && opens_a_function_body(&bytes[..at]) {
                    body_from = Some(at + 1);
                }
                depth += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(from) = body_from.take()
                {
                    for byte in &mut bytes[from..at] {
                        if *byte != b'\n' {
                            *byte = b' ';
                        }
                    }
                }
            }
            // A line marker or a pragma: to the end of its line.
            b'#' if starts_a_directive(&bytes, at) => at = line_end(&bytes, at),
            _ => {}
        }
        at += 1;
    }
    // Only ASCII bytes were replaced, by spaces: still UTF-8.
    *text = String::from_utf8(bytes).unwrap_or_default();
}

/// Where the string or character literal starting at `start` ends.
pub(super) fn skip_literal(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut at = start + 1;
    while at < bytes.len() && bytes[at] != quote && bytes[at] != b'\n' {
        at += if bytes[at] == b'\\' { 2 } else { 1 };
    }
    at
}

/// Whether a `{` after `before` opens a function's body: it follows a `)`
/// that does not close an `__attribute__((…))` (`struct __attribute__((packed)) {`).
fn opens_a_function_body(before: &[u8]) -> bool {
    let Some(close) = before.iter().rposition(|b| !b.is_ascii_whitespace()) else { return false };
    if before[close] != b')' {
        return false;
    }
    let mut depth = 0_usize;
    for at in (0..=close).rev() {
        match before[at] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    let name_end = before[..at].iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
                    let name_start = before[..name_end]
                        .iter()
                        .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                        .map_or(0, |i| i + 1);
                    let name = &before[name_start..name_end];
                    return !name.starts_with(b"__attribute") && name != b"__declspec";
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::readable;

    /// The text's tokens, its directives left out, one space apart.
    fn tokens(text: &str) -> String {
        let lines = text.lines().filter(|line| !line.starts_with('#'));
        lines.flat_map(str::split_whitespace).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn attributes_are_joined_and_moved_and_every_line_keeps_its_number_and_marker() {
        let text = "struct __attribute__ (\n# 3 \"h.h\" 3 4\n(packed)\n# 3 \"h.h\"\n) p {\n char c;\n};\n\
                    int f(double) __attribute__ ( (__const__) );\n";
        let read = readable(text);
        assert_eq!(read.lines().count(), text.lines().count());
        let markers = |t: &str| t.lines().filter(|l| l.starts_with('#')).map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(markers(&read), markers(text));
        assert_eq!(
            tokens(&read),
            "struct p { char c; } __attribute__ ((packed)); int f(double) __attribute__ ((__const__)) ;"
        );
    }

    #[test]
    fn alignas_is_written_as_the_attribute_gcc_reads_alike() {
        let text = "struct a { _Alignas(16) char x; _Alignas (double) char y; _Alignas(\n uint64_t\n) char z; };\n\
                    int _Alignas_not; struct b { _Alignas(2 * 8) char w; };\n";
        let read = readable(text);
        assert_eq!(read.lines().count(), text.lines().count());
        assert_eq!(
            tokens(&read),
            "struct a { __attribute__((__aligned__(16))) char x; __attribute__ ((__aligned__(_Alignof(double)))) \
             char y; __attribute__((__ffiscope_alignas__( \"uint64_t\" ))) char z; }; int _Alignas_not; \
             struct b { __attribute__((__aligned__(2 * 8))) char w; };"
        );
    }

    #[test]
    fn an_attribute_with_no_body_after_it_is_left_out_and_nested_ones_move_inside() {
        let text = "struct __attribute__((aligned(8))) s *p;\n\
                    struct __attribute__((packed)) o { struct __attribute__((packed)) { char a; int b; } i; };\n";
        assert_eq!(
            tokens(&readable(text)),
            "struct s *p; struct o { struct { char a; int b; } __attribute__((packed)) i; } __attribute__((packed));"
        );
    }
}
