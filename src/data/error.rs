//! Loading errors: each one says which file, where (line/column when known) and
//! what the user can do about it.

use std::path::{Path, PathBuf};

/// Ends every message about one malformed line: the way to read the rest
/// of the file anyway (the app shows a button for it beside the message).
pub const SKIP_HINT: &str =
    "Or skip malformed lines (--skip-bad-lines on the command line) to leave such lines out.";

/// The command-line flag that hands a file too big to open to Spark
/// unread; the app offers a button beside a message that names it.
pub const READ_IN_SPARK: &str = "--read-in-spark";

/// Why a file could not be loaded. `Display` is the sentence shown to the user.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: file not found. Check the path and that the file still exists.", .path.display())]
    NotFound { path: PathBuf },

    #[error("{}: cannot read the file ({source}).", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: the file is empty (0 bytes). Choose a file that contains data.", .path.display())]
    Empty { path: PathBuf },

    #[error("{}: the file has a header line but no data rows.", .path.display())]
    HeaderOnly { path: PathBuf },

    #[error("{}: this looks like a binary file, not text ({what}). shoplens reads CSV/TSV text, JSON lines, Parquet and their .gz versions.", .path.display())]
    Binary { path: PathBuf, what: String },

    #[error("{}: line {line}, column {column}: byte 0x{byte:02X} is not valid UTF-8. Re-save the file as UTF-8 (for example in a spreadsheet: Save As → CSV UTF-8). {}", .path.display(), SKIP_HINT)]
    NotUtf8 {
        path: PathBuf,
        line: u64,
        column: u64,
        byte: u8,
    },

    #[error("{}: the file is encoded as {encoding}. Re-save it as UTF-8.", .path.display())]
    WrongEncoding { path: PathBuf, encoding: String },

    #[error("{}: line {line} is {} long with no line break (the limit is {}). This does not look like a table of records.", .path.display(), human_bytes(*.bytes), human_bytes(*.limit))]
    LineTooLong {
        path: PathBuf,
        line: u64,
        bytes: u64,
        limit: u64,
    },

    #[error("{}: line {line} has {found} fields but the header has {expected} (separator {separator}). Fix that line or remove it. {}", .path.display(), SKIP_HINT)]
    Ragged {
        path: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
        separator: String,
    },

    #[error("{}: no column can be used as {what}. Columns are: {columns}. Pick one in the column mapping panel or pass --{flag} COLUMN.", .path.display())]
    MissingRole {
        path: PathBuf,
        what: String,
        flag: String,
        columns: String,
    },

    #[error("{}: there is no column named '{column}' (given for {role}). Columns are: {columns}.", .path.display())]
    UnknownColumn {
        path: PathBuf,
        column: String,
        role: String,
        columns: String,
    },

    #[error("{}: line {line}, column '{column}': '{value}' is not {expected}.", .path.display())]
    BadValue {
        path: PathBuf,
        line: u64,
        column: String,
        value: String,
        expected: String,
    },

    #[error("{}: unknown format '{name}'. Known formats: {known}.", .path.display())]
    UnknownFormat {
        path: PathBuf,
        name: String,
        known: String,
    },

    #[error("{}: opening its {data} of data needs about {needed} of memory and {available} is free for it, so it was not read (the data already open stays). Close other programs, open part of the file (for example a few months of it), use a machine with more memory, or let Spark read it and train ALS (in the app, the button beside this message; on the command line, shoplens spark als {} --data FILE).", .path.display(), READ_IN_SPARK)]
    TooBigForMemory {
        path: PathBuf,
        data: String,
        needed: String,
        available: String,
    },

    #[error("{}: {message}", .path.display())]
    Parse { path: PathBuf, message: String },

    #[error("loading was cancelled")]
    Cancelled,
}

impl LoadError {
    pub fn parse(path: &Path, message: impl Into<String>) -> Self {
        LoadError::Parse {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

impl From<crate::task::Cancelled> for LoadError {
    fn from(_: crate::task::Cancelled) -> Self {
        LoadError::Cancelled
    }
}

/// `1536` → `"1.5 KB"`; decimal units as file managers show them.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Describe a 1-based line/column position of `offset` within `bytes`.
pub fn line_and_column(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
    // Column in characters, counting only the valid UTF-8 before the offset.
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    (line, column)
}

impl From<LoadError> for crate::task::TaskError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Cancelled => crate::task::TaskError::Cancelled,
            other => crate::task::TaskError::Input(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_uses_decimal_units() {
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_500), "1.5 KB");
        assert_eq!(human_bytes(100_000_000), "100.0 MB");
    }

    #[test]
    fn line_and_column_are_one_based() {
        let text = b"ab\ncd\nef";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 4), (2, 2));
        assert_eq!(line_and_column(text, 6), (3, 1));
    }
}
