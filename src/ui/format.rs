//! Number and name formatting shared by the views.

/// `1234567` → `"1,234,567"`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1` → `"1 block"`, `1004` → `"1,004 blocks"`.
pub fn blocks(count: u64) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{} block{plural}", thousands(count))
}

/// A byte count for people: `20 B`, `4.0 KiB`, `1.5 MiB`.
pub fn bytes(value: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = KIB * 1024;
    match value {
        v if v < 10 * KIB => format!("{} B", thousands(v)),
        v if v < 10 * MIB => format!("{:.1} KiB", v as f64 / KIB as f64),
        v => format!("{:.1} MiB", v as f64 / MIB as f64),
    }
}

/// An axis mark, short enough for a plot's margin: `950`, `2.5k`, `4M`
/// (decimal, as the marks fall on round decimal values).
pub fn axis_mark(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = match magnitude {
        m if m >= 1e9 => (value / 1e9, "G"),
        m if m >= 1e6 => (value / 1e6, "M"),
        m if m >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    let digits = format!("{scaled:.2}");
    let trimmed = digits.trim_end_matches('0').trim_end_matches('.');
    let trimmed = if trimmed == "-0" { "0" } else { trimmed };
    format!("{trimmed}{suffix}")
}

/// `text` cut to at most `max_chars` characters by taking out its middle,
/// so a long function name keeps both its start and its `(file:line)`.
pub fn elide_middle(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    let count = text.chars().count();
    if count <= max_chars || max_chars < 3 {
        return text.into();
    }
    let tail = (max_chars - 1) / 2 + (max_chars - 1) % 2;
    let head = max_chars - 1 - tail;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}").into()
}

/// A site's name in at most `max_chars` characters: a long module path
/// goes first (`…::main (prog.rs:40)`), then the start of the file's path
/// (`read_body (…sts.c:12)`: the function and its line stay whole), then,
/// if still too long, the middle.
pub fn short_site(name: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    if name.chars().count() <= max_chars {
        return name.into();
    }
    let Some((function, place)) = name.split_once(" (") else { return elide_middle(name, max_chars) };
    let function = match function.rsplit_once("::") {
        Some((_, last)) if !function.starts_with('<') => format!("…::{last}"),
        _ => function.to_owned(),
    };
    let shorter = format!("{function} ({place}");
    let room_for_place = max_chars.saturating_sub(function.chars().count() + 2);
    if shorter.chars().count() <= max_chars || room_for_place < PLACE_CHARS_KEPT {
        return elide_middle(&shorter, max_chars).into_owned().into();
    }
    let count = place.chars().count();
    let end: String = place.chars().skip(count - (room_for_place - 1)).collect();
    format!("{function} (…{end}").into()
}

/// The fewest characters of `file:line)` worth keeping whole at a name's
/// end: `…c:123)`.
const PLACE_CHARS_KEPT: usize = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_site_loses_its_module_path_first() {
        assert_eq!(
            short_site("panic_at_boundary::main (panic_at_boundary.rs:40)", 44),
            "…::main (panic_at_boundary.rs:40)"
        );
        assert_eq!(short_site("main (a.rs:1)", 44), "main (a.rs:1)");
        let generic = "<<std::backtrace_rs::symbolize::gimli::Cache>::new as Trait>::call (gimli.rs:123)";
        assert_eq!(short_site(generic, 44).chars().count(), 44);
    }

    #[test]
    fn a_narrow_column_keeps_the_function_and_its_line_and_cuts_the_file() {
        assert_eq!(short_site("read_body (requests.c:12)", 20), "read_body (…ts.c:12)");
        assert_eq!(short_site("panic_at_boundary::main (panic_at_boundary.rs:40)", 20), "…::main (…ary.rs:40)");
        // Too little room for the line: the middle goes, as for any name.
        assert_eq!(short_site("a_long_function_name (file.c:1)", 12).chars().count(), 12);
    }

    #[test]
    fn axis_marks_are_short_and_keep_their_fractions() {
        let marks: Vec<String> = [0.0, 0.5, 950.0, 2500.0, 4e6, 1.25e6, 3e9, -2000.0, -0.0].map(axis_mark).into();
        assert_eq!(marks, ["0", "0.5", "950", "2.5k", "4M", "1.25M", "3G", "-2k", "0"]);
    }

    #[test]
    fn elides_the_middle_of_long_names_only() {
        assert_eq!(elide_middle("main (a.rs:1)", 20), "main (a.rs:1)");
        let long = "<<std::backtrace_rs::symbolize::gimli::Cache>::new as Trait>::call (gimli.rs:123)";
        let short = elide_middle(long, 40);
        assert_eq!(short.chars().count(), 40);
        assert!(short.starts_with("<<std::backtrace_rs") && short.ends_with("call (gimli.rs:123)"), "{short}");
        assert!(short.contains('…'));
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn scales_bytes() {
        assert_eq!(bytes(20), "20 B");
        assert_eq!(bytes(10 * 1024), "10.0 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 / 2 * 10), "15.0 MiB");
    }
}
