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
/// goes first (`…::main (prog.rs:40)`), then, if still too long, the middle.
pub fn short_site(name: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    if name.chars().count() <= max_chars {
        return name.into();
    }
    if let Some((function, place)) = name.split_once(" (")
        && !function.starts_with('<')
        && let Some((_, last)) = function.rsplit_once("::")
    {
        let shorter = format!("…::{last} ({place}");
        return elide_middle(&shorter, max_chars).into_owned().into();
    }
    elide_middle(name, max_chars)
}

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
