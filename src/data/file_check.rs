//! Checking every record of a delimited file too big to open, without
//! loading it: the file is mapped and walked once with the same rules a
//! load applies ([`super::skip::check_records`]), and the pages already
//! walked are given back as the walk goes, so the check holds a few
//! megabytes whatever the file's size. What Spark reads from a raw file is
//! checked this way first: a malformed line refuses the file before a long
//! job starts (as a load would refuse it), or, when the user asks to skip
//! such lines, the check says which ones were left out.

use std::ops::ControlFlow;
use std::path::Path;

use super::error::{LoadError, SKIP_HINT};
use super::reader::{BodyShape, Records};
use super::skip::{check_records, SkippedLines};
use super::sniff::SourceBytes;
use crate::task::CancelToken;

/// Bytes walked between progress reports and page releases.
const RELEASE_BYTES: usize = 64 << 20;

/// What a check of a whole file found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileCheck {
    /// Good records in its body (blank lines are not records).
    pub records: u64,
    /// The records left out, with their lines and reasons.
    pub skipped: SkippedLines,
    /// Whether some good record's quoted fields hold newlines (a reader that
    /// splits the file at line ends must be told).
    pub multi_line: bool,
}

/// Check every record of the delimited text file `path` (not compressed)
/// whose header is its first record. With `skip_bad_lines` the malformed
/// ones are counted and listed; without, the first refuses the file with
/// its line and why.
pub fn check_file(
    path: &Path,
    (separator, quote): (u8, Option<u8>),
    skip_bad_lines: bool,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<FileCheck, LoadError> {
    let io_error = |source: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    // SAFETY: read-only, as for a load (see `sniff::open_source`).
    let map = SourceBytes::Mapped(unsafe { memmap2::Mmap::map(&file) }.map_err(io_error)?);
    let start = super::sniff::bom_len(&map);
    let text = &map[start..];
    let Some(header) = Records::new(text, separator, quote, 1).next() else {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    };
    let body_start = (header.end + 1).min(text.len());
    let body = &text[body_start..];
    let shape = BodyShape {
        separator,
        quote,
        expected: header.fields,
        first_line: header.line + header.inner_lines + 1,
    };
    let mut found = FileCheck::default();
    let mut first_problem: Option<(u64, String)> = None;
    let mut released = 0usize;
    let walked = check_records(body, shape, cancel, |r| {
        if r.start >= released + RELEASE_BYTES {
            // Offsets of the mapping, which starts before the body.
            map.release(0, start + body_start + r.start);
            released = r.start;
            progress(
                r.start as f32 / body.len().max(1) as f32,
                &format!(
                    "checking {} of {} MB for malformed lines",
                    r.start >> 20,
                    body.len() >> 20
                ),
            );
        }
        match &r.problem {
            Some(reason) if !skip_bad_lines => {
                first_problem = Some((r.line, reason.clone()));
                return ControlFlow::Break(());
            }
            Some(reason) => found.skipped.push(r.line, r.lines, reason.clone()),
            None if r.blank => {}
            None => {
                found.records += 1;
                found.multi_line |= r.multi_line;
            }
        }
        ControlFlow::Continue(())
    });
    map.release(0, map.len());
    if let Some((line, reason)) = first_problem {
        return Err(LoadError::parse(
            path,
            format!("line {line} is malformed ({reason}). Fix that line or remove it. {SKIP_HINT}"),
        ));
    }
    walked?;
    Ok(found)
}
