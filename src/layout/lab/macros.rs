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

use super::macro_values::MacroBodies;

/// `text` without its `#define` and `#undef` lines, with a typedef after it
/// for each macro that stands for a basic type, and the body of each
/// object-like macro still defined at its end (whose values are read once
/// the enumerators they may name are known).
pub fn split_macros(text: &str) -> (String, MacroBodies) {
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
    (kept, MacroBodies { bodies })
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

#[cfg(test)]
mod tests {
    use super::split_macros;

    #[test]
    fn integer_macros_are_kept_and_their_lines_blanked() {
        let text = "# 1 \"a.h\"\n#define NCCS 32\n#define WIDE (0x40UL)\n#define NEG (-1)\n#define ALIAS NCCS\n\
                    #define F(x) (x)\n#define TEXT \"hi\"\n#define GONE 3\n#undef GONE\nstruct s { int a; };\n\
                    #define LOOP1 LOOP2\n#define LOOP2 LOOP1\n#define OCTAL 010\n";
        let (kept, macros) = split_macros(text);
        assert_eq!(kept.lines().count(), text.lines().count(), "every line keeps its place");
        assert!(kept.contains("struct s { int a; };") && !kept.contains("#define"), "{kept}");
        let constants = macros.values(&[]);
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
