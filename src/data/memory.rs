//! Whether a file fits in this machine's memory, asked before it is read:
//! a 5 GB export that cannot fit should be refused in a second with a
//! message, not after minutes of parsing by the system's out-of-memory
//! killer, which would take the open data (and the app) with it.

use std::path::Path;

use super::error::{human_bytes, LoadError};

/// Memory the loaded table and its profile take per byte of delimited text
/// or JSON lines, with headroom: measured as the peak anonymous memory of
/// `shoplens profile` on the generated 10⁸-event store (5.5 GB of CSV),
/// rounded up (see docs/benchmarks.md, "10⁸ events on one machine").
pub const BYTES_PER_TEXT_BYTE: f64 = 2.0;

/// The variable that caps the memory shoplens counts on (`8GB`, `500MB`):
/// for a machine shared with other work, or to try the refusal.
pub const MAX_MEMORY_VAR: &str = "SHOPLENS_MAX_MEMORY";

/// Memory the system can give without swapping (Linux's `MemAvailable`),
/// at most [`MAX_MEMORY_VAR`] and `max_memory` (a load's own budget);
/// `None` where none of them says, and then nothing is refused.
pub fn available_bytes(max_memory: Option<u64>) -> Option<u64> {
    let from_env = std::env::var(MAX_MEMORY_VAR)
        .ok()
        .and_then(|v| parse_bytes(&v));
    [system_available_bytes(), from_env, max_memory]
        .into_iter()
        .flatten()
        .min()
}

fn system_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `8GB`, `500 MB`, `1.5GB` or a number of bytes (decimal units, as
/// [`human_bytes`] writes them); `None` when it is none of these.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..digits].parse().ok()?;
    let scale = match text[digits..].trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1e0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return None,
    };
    Some((number * scale) as u64)
}

/// Estimated memory to open `text_bytes` of text.
pub fn estimate_bytes(text_bytes: u64) -> u64 {
    (text_bytes as f64 * BYTES_PER_TEXT_BYTE) as u64
}

/// Refuse `path` when opening its `text_bytes` of text would need more
/// memory than `available` (bytes; `None`: unknown, so allowed).
pub fn check_fits(path: &Path, text_bytes: u64, available: Option<u64>) -> Result<(), LoadError> {
    let needed = estimate_bytes(text_bytes);
    match available {
        Some(available) if needed > available => Err(LoadError::TooBigForMemory {
            path: path.to_path_buf(),
            data: human_bytes(text_bytes),
            needed: human_bytes(needed),
            available: human_bytes(available),
        }),
        _ => Ok(()),
    }
}

/// Give the memory freed by the allocator back to the system. A large table
/// is read in chunks of a few megabytes, which glibc keeps in its heaps
/// rather than in mappings of their own; what the reading and parsing free
/// then stays resident as holes between the kept chunks, and a job on
/// another thread (another heap) cannot reuse it. Measured in the app on
/// the 10⁸-event store, opened and profiled: 9.5 GiB resident before, 4.7
/// GiB with freed memory returned and ids held in 32 bits.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's heaps to the
    // system; it does not touch memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_refused_only_when_its_estimate_exceeds_what_is_free() {
        let path = Path::new("events.csv");
        assert!(check_fits(path, 5_500_000_000, Some(24_000_000_000)).is_ok());
        assert!(check_fits(path, 5_500_000_000, None).is_ok());
        let refused = check_fits(path, 5_500_000_000, Some(8_000_000_000))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("events.csv"), "{refused}");
        assert!(refused.contains("5.5 GB"), "{refused}");
        assert!(refused.contains("11.0 GB"), "{refused}");
        assert!(refused.contains("8.0 GB"), "{refused}");
    }

    #[test]
    fn memory_sizes_are_read_in_decimal_units() {
        assert_eq!(parse_bytes("8GB"), Some(8_000_000_000));
        assert_eq!(parse_bytes("1.5 gb"), Some(1_500_000_000));
        assert_eq!(parse_bytes("500MB"), Some(500_000_000));
        assert_eq!(parse_bytes("1234"), Some(1234));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("8 GiB"), None);
    }

    #[test]
    fn this_machine_says_how_much_memory_is_free() {
        if cfg!(target_os = "linux") {
            assert!(available_bytes(None).is_some_and(|b| b > 0));
            assert_eq!(available_bytes(Some(1000)), Some(1000));
        }
    }
}
