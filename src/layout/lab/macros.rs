//! A header's integer macros. The preprocessor runs with `-dD`, which keeps
//! each `#define` and `#undef` in its output where it was; they are taken out
//! here (each line left blank, so every line marker still counts right), and
//! the object-like macros whose value is an integer are kept: what a mirror
//! names for an array's length without defining it (`NCCS`,
//! `__SIZEOF_PTHREAD_MUTEX_T`, as the libc crate spreads its constants over
//! other files). An object-like macro that stands for a basic type
//! (`#define Bool int`, as Xlib defines it) is kept as the typedef it acts as.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

/// How many macros a value may go through (`#define A B`, `#define B 3`).
const MAX_CHAIN: usize = 8;

/// `text` without its `#define` and `#undef` lines, with a typedef after it
/// for each macro that stands for a basic type, and the integer value of
/// each object-like macro still defined at its end, sorted by name.
pub fn split_macros(text: &str) -> (String, Vec<(String, i128)>) {
    let mut bodies: FxHashMap<String, String> = FxHashMap::default();
    let mut kept = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let directive = line.strip_prefix('#').map(str::trim_start);
        if let Some(definition) = directive.and_then(|d| d.strip_prefix("define ")) {
            let definition = definition.trim_end();
            let name_end =
                definition.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(definition.len());
            let (name, body) = definition.split_at(name_end);
            // `#define F(x) …` takes arguments: no constant.
            if !body.starts_with('(') && !name.is_empty() {
                bodies.insert(name.to_owned(), body.trim().to_owned());
            }
        } else if let Some(name) = directive.and_then(|d| d.strip_prefix("undef ")) {
            bodies.remove(name.trim());
        } else {
            kept.push_str(line);
            continue;
        }
        kept.push_str(if line.ends_with('\n') { "\n" } else { "" });
    }
    let mut constants: Vec<(String, i128)> =
        bodies.keys().filter_map(|name| Some((name.clone(), value_of(name, &bodies, 0)?))).collect();
    constants.sort_unstable();
    // A macro that stands for a type (Xlib's `#define Bool int`) becomes the
    // typedef it acts as, after a line marker of its own, so that a mirror
    // naming it is laid out as C lays out what it stands for.
    let mut types: Vec<(&String, &String)> =
        bodies.iter().filter(|(name, body)| names_a_type(name) && is_basic_type(body)).collect();
    types.sort_unstable();
    if !types.is_empty() {
        kept.push_str("\n# 1 \"<type macros>\"\n");
        for (name, body) in types {
            let _ = writeln!(kept, "typedef {body} {name};");
        }
    }
    (kept, constants)
}

/// Whether a macro's name may be a typedef's: not reserved (`__S32_TYPE`,
/// `__signed__`) and not a keyword.
fn names_a_type(name: &str) -> bool {
    const KEYWORDS: [&str; 12] =
        ["char", "short", "int", "long", "signed", "unsigned", "float", "double", "void", "_Bool", "const", "volatile"];
    !name.starts_with("__") && !KEYWORDS.contains(&name)
}

/// Whether `body` is a basic C type as written: `int`, `unsigned long`,
/// `long long int`, `double`, `_Bool`.
fn is_basic_type(body: &str) -> bool {
    let words: Vec<&str> = body.split_whitespace().collect();
    let signs = words.iter().filter(|w| matches!(**w, "signed" | "unsigned")).count();
    let rest: Vec<&str> = words.iter().copied().filter(|w| !matches!(*w, "signed" | "unsigned")).collect();
    let integer = matches!(
        rest.as_slice(),
        [] | ["char" | "short" | "int" | "long"]
            | ["short" | "long", "int"]
            | ["long", "long"]
            | ["long", "long", "int"]
    );
    let other = matches!(rest.as_slice(), ["float" | "double" | "_Bool"] | ["long", "double"]);
    // Words all signs (`unsigned`) are an integer: `words` is not empty.
    !words.is_empty() && signs <= 1 && (integer || (other && signs == 0))
}

/// The integer `name` stands for: a literal (`32`, `0x40U`, `-1L`), in
/// parentheses or not, or another macro that does.
fn value_of(name: &str, bodies: &FxHashMap<String, String>, depth: usize) -> Option<i128> {
    if depth > MAX_CHAIN {
        return None;
    }
    let mut body = bodies.get(name)?.as_str();
    while let Some(inner) = body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
        body = inner.trim();
    }
    let (negative, digits) = match body.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, body),
    };
    let value = integer_literal(digits).or_else(|| value_of(digits, bodies, depth + 1))?;
    Some(if negative { -value } else { value })
}

/// A C integer literal: decimal, hex or octal, with any `u`/`l` suffix.
fn integer_literal(text: &str) -> Option<i128> {
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    i128::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::split_macros;

    #[test]
    fn integer_macros_are_kept_and_their_lines_blanked() {
        let text = "# 1 \"a.h\"\n#define NCCS 32\n#define WIDE (0x40UL)\n#define NEG (-1)\n#define ALIAS NCCS\n\
                    #define F(x) (x)\n#define TEXT \"hi\"\n#define GONE 3\n#undef GONE\nstruct s { int a; };\n\
                    #define LOOP1 LOOP2\n#define LOOP2 LOOP1\n#define OCTAL 010\n";
        let (kept, constants) = split_macros(text);
        assert_eq!(kept.lines().count(), text.lines().count(), "every line keeps its place");
        assert!(kept.contains("struct s { int a; };") && !kept.contains("#define"), "{kept}");
        let names: Vec<(&str, i128)> = constants.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        assert_eq!(names, [("ALIAS", 32), ("NCCS", 32), ("NEG", -1), ("OCTAL", 8), ("WIDE", 64)]);
    }

    #[test]
    fn a_macro_standing_for_a_basic_type_becomes_its_typedef() {
        let text = "# 1 \"x.h\"\n#define Bool int\n#define Status unsigned long\n#define Wide long double\n\
                    #define __S32_TYPE int\n#define signed_char signed char\n#define Odd long float\n\
                    #define Twice unsigned signed int\n#define Pointer char *\nstruct s { int a; };\n";
        let (kept, _) = split_macros(text);
        let typedefs: Vec<&str> = kept.lines().filter(|l| l.starts_with("typedef")).collect();
        assert_eq!(
            typedefs,
            [
                "typedef int Bool;",
                "typedef unsigned long Status;",
                "typedef long double Wide;",
                "typedef signed char signed_char;"
            ]
        );
        assert!(kept.contains("# 1 \"<type macros>\""), "{kept}");
    }
}
