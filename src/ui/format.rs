//! Number formatting shared by the views.

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

#[cfg(test)]
mod tests {
    use super::*;

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
