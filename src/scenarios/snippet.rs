//! Source snippets for the stepper's panes, cut from the very files that are
//! compiled: a region starts at a line containing `[step:NAME]` (or
//! `[step:NAME@V1,V2]` for the version of variants V1 and V2) and ends at the
//! next line containing `[/step]`. The markers sit in comments of either
//! language. A name may mark several regions, say a call and the `Drop` it
//! runs: they are shown together, in source order, a blank line apart. A
//! line that ends in `// [crash]` or `/* [crash] */` is the one a crashing
//! variant dies on; the marker is cut, the line remembered. A long line is
//! soft-wrapped for a pane or a slide by [`wrap_code_line`].

/// What ends the line a crashing variant dies on.
const CRASH_MARKERS: [&str; 2] = ["// [crash]", "/* [crash] */"];

/// The lines of region `name` in `source`, preferring the `variant`'s own
/// version; dedented, markers excluded. `None` if there is no such region.
pub fn snippet(source: &str, name: &str, variant: &str) -> Option<String> {
    cut(source, name, variant).map(|region| region.text)
}

/// A region's text, and which of its lines (from 0) a crash happens on.
struct Cut {
    text: String,
    crash_line: Option<usize>,
}

fn cut(source: &str, name: &str, variant: &str) -> Option<Cut> {
    let prefix = format!("[step:{name}@");
    let for_variant = |line: &str| {
        line.find(&prefix).is_some_and(|at| {
            let rest = &line[at + prefix.len()..];
            rest.split(']').next().is_some_and(|list| list.split(',').any(|v| v.trim() == variant))
        })
    };
    let general = format!("[step:{name}]");
    region(source, for_variant, STEP_END).or_else(|| region(source, |line: &str| line.contains(&general), STEP_END))
}

const STEP_END: &str = "[/step]";

/// The declaration of `name` in `source`, between `[decl:NAME]` and
/// `[/decl]`: how the Layouts tab shows the very text it measured.
pub fn declaration(source: &str, name: &str) -> Option<String> {
    let opens = format!("[decl:{name}]");
    region(source, |line: &str| line.contains(&opens), "[/decl]").map(|cut| cut.text)
}

/// Every region that `opens` starts, joined in source order.
fn region(source: &str, opens: impl Fn(&str) -> bool, closes: &str) -> Option<Cut> {
    let mut joined: Option<Cut> = None;
    let mut lines = source.lines();
    while lines.by_ref().any(&opens) {
        let body: Vec<&str> = lines.by_ref().take_while(|line| !line.contains(closes)).collect();
        let Some(part) = dedent(&body) else { continue };
        joined = Some(match joined {
            None => part,
            Some(before) => {
                let offset = before.text.lines().count() + 1;
                Cut {
                    text: format!("{}\n\n{}", before.text, part.text),
                    crash_line: before.crash_line.or(part.crash_line.map(|line| line + offset)),
                }
            }
        });
    }
    joined
}

/// One region's lines, dedented, with its crash marker cut.
fn dedent(body: &[&str]) -> Option<Cut> {
    let indent = body.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min()?;
    let mut crash_line = None;
    let text: Vec<&str> = body
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let line = if line.len() >= indent { &line[indent..] } else { line.trim_start() };
            match CRASH_MARKERS.iter().find_map(|marker| line.trim_end().strip_suffix(marker)) {
                Some(code) => {
                    crash_line = Some(index);
                    code.trim_end()
                }
                None => line,
            }
        })
        .collect();
    Some(Cut { text: text.join("\n"), crash_line })
}

/// One region of a code pane: its name and the code it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRegion {
    pub name: &'static str,
    pub text: String,
    /// The line (from 0) a crashing variant dies on, if it dies here.
    pub crash_line: Option<usize>,
}

impl CodeRegion {
    /// The text of the line a crash happens on.
    pub fn crashing_code(&self) -> Option<&str> {
        self.text.lines().nth(self.crash_line?).map(str::trim)
    }
}

/// The regions named by `names` (steps in order; `None` for a step that
/// shows nothing in this pane), each once, as the `variant` has them.
pub fn pane_regions(
    source: &str,
    names: impl IntoIterator<Item = Option<&'static str>>,
    variant: &str,
) -> Vec<CodeRegion> {
    let mut regions: Vec<CodeRegion> = Vec::new();
    for name in names.into_iter().flatten() {
        if regions.iter().any(|r| r.name == name) {
            continue;
        }
        if let Some(Cut { text, crash_line }) = cut(source, name, variant) {
            regions.push(CodeRegion { name, text, crash_line });
        }
    }
    regions
}

/// How many regions named `name` (any variant) the source holds.
pub fn count_regions(source: &str, name: &str) -> usize {
    let exact = format!("[step:{name}]");
    let variant = format!("[step:{name}@");
    source.lines().filter(|l| l.contains(&exact) || l.contains(&variant)).count()
}

/// One line of code as rows of at most `columns` characters, broken after a
/// space where there is one; continuations are indented four more than the
/// line, as an editor's soft wrap does, if the pane leaves room for it.
pub fn wrap_code_line(line: &str, columns: usize) -> Vec<String> {
    const NARROWEST: usize = 16;
    let columns = columns.max(NARROWEST);
    let indent = line.len() - line.trim_start().len();
    let hanging = if indent + 4 + NARROWEST <= columns { " ".repeat(indent + 4) } else { String::new() };
    let mut rows = Vec::new();
    let mut rest: Vec<char> = line.chars().collect();
    let mut prefix = "";
    while prefix.len() + rest.len() > columns {
        let width = columns - prefix.len();
        // After the last space that fits, but not inside the line's own indent.
        let floor = if rows.is_empty() { indent + 1 } else { 1 };
        let cut = (floor..=width).rev().find(|&at| rest[at - 1] == ' ').unwrap_or(width);
        let row: String = rest.drain(..cut).collect();
        rows.push(format!("{prefix}{}", row.trim_end()));
        prefix = &hanging;
    }
    rows.push(format!("{prefix}{}", rest.iter().collect::<String>()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "fn a() {\n    // [step:make]\n    let x = 1;\n        nested();\n    // [/step]\n    // [step:make@broken,worse]\n    let x = 2;\n    // [/step]\n}\n";

    #[test]
    fn cuts_and_dedents_a_region() {
        assert_eq!(snippet(SOURCE, "make", "correct").as_deref(), Some("let x = 1;\n    nested();"));
    }

    #[test]
    fn prefers_the_variants_own_region() {
        assert_eq!(snippet(SOURCE, "make", "broken").as_deref(), Some("let x = 2;"));
        assert_eq!(snippet(SOURCE, "make", "worse").as_deref(), Some("let x = 2;"));
        assert_eq!(snippet(SOURCE, "make", "brok").as_deref(), Some("let x = 1;\n    nested();"), "whole names only");
    }

    #[test]
    fn a_pane_shows_each_region_once_in_step_order() {
        let regions = pane_regions(SOURCE, [Some("make"), None, Some("absent"), Some("make")], "broken");
        assert_eq!(regions, [CodeRegion { name: "make", text: "let x = 2;".to_owned(), crash_line: None }]);
    }

    #[test]
    fn the_crashing_line_is_remembered_and_its_marker_cut() {
        let source = "// [step:die]\nlet a = 1;\nboom(); // NULL // [crash]\n// [/step]\n/* [step:c] */\nx(); /* [crash] */\n/* [/step] */\n";
        let rust = &pane_regions(source, [Some("die")], "v")[0];
        assert_eq!((rust.text.as_str(), rust.crash_line), ("let a = 1;\nboom(); // NULL", Some(1)));
        assert_eq!(rust.crashing_code(), Some("boom(); // NULL"));
        let c = &pane_regions(source, [Some("c")], "v")[0];
        assert_eq!((c.text.as_str(), c.crash_line), ("x();", Some(0)));
    }

    #[test]
    fn regions_of_one_name_are_shown_together() {
        let source = "// [step:free]\ndrop(x);\n// [/step]\nlet y = 0;\n    // [step:free]\n    impl Drop for X {}\n    boom(); // [crash]\n    // [/step]\n";
        let free = &pane_regions(source, [Some("free")], "v")[0];
        assert_eq!(free.text, "drop(x);\n\nimpl Drop for X {}\nboom();");
        assert_eq!(free.crashing_code(), Some("boom();"));
    }

    #[test]
    fn a_missing_region_is_none() {
        assert_eq!(snippet(SOURCE, "absent", "correct"), None);
        assert_eq!(count_regions(SOURCE, "make"), 2);
    }

    #[test]
    fn a_short_line_is_one_row() {
        assert_eq!(wrap_code_line("    let x = 1;", 40), ["    let x = 1;"]);
    }

    #[test]
    fn a_long_line_breaks_after_a_space_and_hangs_under_itself() {
        let rows = wrap_code_line("    let text = unsafe { CStr::from_ptr(ptr) };", 30);
        assert_eq!(rows, ["    let text = unsafe {", "        CStr::from_ptr(ptr) };"]);
        assert!(rows.iter().all(|row| row.chars().count() <= 30));
    }

    #[test]
    fn a_word_longer_than_the_pane_is_cut_and_nothing_is_lost() {
        let word = "x".repeat(50);
        let rows = wrap_code_line(&word, 20);
        assert!(rows.iter().all(|row| row.chars().count() <= 20), "{rows:?}");
        assert_eq!(rows.concat().replace(' ', ""), word);
    }
}
