//! Plain-text formatting shared by the UI, the CLI and run records.

use std::path::Path;

/// `541909` → `541,909`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1, "row", "rows"` → `1 row`; `2000, …` → `2,000 rows`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        thousands(n as u64),
        if n == 1 { one } else { many }
    )
}

/// `8911407.9` → `8,911,407.90`: an amount with two decimals and separators.
pub fn amount(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let cents = (x.abs() * 100.0).round() as u64;
    let sign = if x < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", thousands(cents / 100), cents % 100)
}

/// A file's name for labels (the whole path when it has none).
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A sentence's first letter in upper case.
pub fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Lower-case hexadecimal digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// "0.42 s/epoch", "12.3 s/epoch": two significant figures below 10 s.
/// "1 epoch", "3 epochs": `n` and `unit`, plural when `n` is not 1 (`unit`
/// is a regular noun).
pub fn count_of(n: usize, unit: &str) -> String {
    if n == 1 {
        format!("1 {}", unit.strip_suffix('s').unwrap_or(unit))
    } else {
        format!("{n} {unit}")
    }
}

pub fn seconds_per_epoch(secs: f64) -> String {
    if secs < 10.0 {
        format!("{secs:.2} s/epoch")
    } else {
        format!("{secs:.1} s/epoch")
    }
}

/// A step's time: "0.42 s", "12.3 s", "2 min 05 s".
pub fn duration(secs: f64) -> String {
    if secs < 10.0 {
        format!("{secs:.2} s")
    } else if secs < 120.0 {
        format!("{secs:.1} s")
    } else {
        let whole = secs.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// Memory in MiB as "850 MB" or "1.65 GB" (binary units, as the system
/// counts resident memory).
pub fn megabytes(mb: f64) -> String {
    if mb < 1024.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{:.2} GB", mb / 1024.0)
    }
}

/// `x` to `digits` significant digits (0.00220, 38.2, 1234), for axis
/// marks and parameter values of any scale.
pub fn sig(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i64;
    let decimals = (digits as i64 - 1 - magnitude).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_say_one_in_the_singular() {
        assert_eq!(count_of(1, "epochs"), "1 epoch");
        assert_eq!(count_of(0, "epochs"), "0 epochs");
        assert_eq!(count_of(12, "iterations"), "12 iterations");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(1, "row", "rows"), "1 row");
        assert_eq!(count(0, "row", "rows"), "0 rows");
        assert_eq!(count(2000, "review", "reviews"), "2,000 reviews");
    }

    #[test]
    fn amounts_have_separators_and_two_decimals() {
        assert_eq!(amount(8911407.9), "8,911,407.90");
        assert_eq!(amount(-1234.567), "-1,234.57");
        assert_eq!(amount(0.004), "0.00");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(541_909), "541,909");
    }

    #[test]
    fn display_name_is_the_file_name() {
        assert_eq!(display_name(Path::new("/a/b/events.csv")), "events.csv");
        assert_eq!(display_name(Path::new("/")), "/");
    }
}
