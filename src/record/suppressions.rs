//! Leak suppressions in `LeakSanitizer`'s syntax: `leak:PATTERN` lines, where
//! the pattern matches a site's name (or a frame's, see
//! `Interpreter::leaks`) with `*` as a wildcard, anywhere in the name unless
//! anchored with `^` or `$`. Other kinds and comments are ignored.

/// Patterns that suppress leaks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppressions {
    patterns: Vec<String>,
}

impl Suppressions {
    /// Reads a suppressions file's text; returns the line of the first entry it cannot read.
    pub fn parse(text: &str) -> Result<Suppressions, String> {
        let mut patterns = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((kind, pattern)) = line.split_once(':') else {
                return Err(format!("line {}: expected `kind:pattern`, found `{line}`", number + 1));
            };
            if kind.trim() == "leak" && !pattern.trim().is_empty() {
                patterns.push(pattern.trim().to_owned());
            }
        }
        Ok(Suppressions { patterns })
    }

    /// The first pattern that matches `site`.
    pub fn matching(&self, site: &str) -> Option<&str> {
        self.patterns.iter().map(String::as_str).find(|pattern| matches(pattern, site))
    }
}

/// `LeakSanitizer`'s matching: `*` any run of characters, `^` and `$` anchors, else a substring.
pub(super) fn matches(pattern: &str, text: &str) -> bool {
    let anchored_start = pattern.starts_with('^');
    let anchored_end = pattern.ends_with('$') && pattern.len() > 1;
    let core = pattern.trim_start_matches('^');
    let core = if anchored_end { &core[..core.len() - 1] } else { core };
    let pieces: Vec<&str> = core.split('*').collect();
    let mut at = 0;
    for (i, piece) in pieces.iter().enumerate() {
        if piece.is_empty() {
            continue;
        }
        let found = if i == 0 && anchored_start {
            text.starts_with(piece).then_some(0)
        } else {
            text[at..].find(piece).map(|offset| at + offset)
        };
        let Some(start) = found else { return false };
        at = start + piece.len();
    }
    !anchored_end || pieces.last().is_some_and(|last| last.is_empty() || text.ends_with(last))
}

#[cfg(test)]
mod tests {
    use super::Suppressions;

    #[test]
    fn lsan_patterns_match_as_lsan_matches_them() {
        let s = Suppressions::parse("# a comment\nleak:read_body\nleak:^libfoo*init$\ncalled_from_lib:x\n").unwrap();
        assert_eq!(s.matching("read_body (http.c:41)"), Some("read_body"));
        assert_eq!(s.matching("libfoo_global_init"), Some("^libfoo*init$"));
        assert_eq!(s.matching("my libfoo_global_init"), None);
        assert_eq!(s.matching("write_body (http.c:50)"), None);
        assert_eq!(
            Suppressions::parse("leak read_body").unwrap_err(),
            "line 1: expected `kind:pattern`, found `leak read_body`"
        );
    }
}
