//! Skipping malformed lines, when the user asks for it (as pandas'
//! `on_bad_lines='skip'`): a record with the wrong number of fields (a
//! ragged row, or a stray quote that swallowed the lines after it), a NUL
//! byte, bytes that are not UTF-8, or a line too long to be a record is
//! left out and reported with its line and why; the rest is read as usual.
//! By default one such line refuses the whole file.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::reader::{BodyShape, Records};
use super::sniff::MAX_LINE_BYTES;
use crate::task::{CancelToken, Cancelled};

/// How many skipped lines are kept with their reason (all are counted).
pub const REPORTED: usize = 10;

/// One record left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLine {
    /// Its first line in the file (1-based).
    pub line: u64,
    pub reason: String,
}

/// What the loader left out of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLines {
    /// Records left out.
    pub count: u64,
    /// The first [`REPORTED`] of them, with their reasons.
    pub first: Vec<SkippedLine>,
    /// Every file line the left-out records covered, ascending (to map a
    /// row back to its line).
    #[serde(skip)]
    pub lines: Vec<u64>,
}

impl SkippedLines {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// "3 malformed lines skipped: line 5 (…), line 9 (…), …", or None.
    pub fn summary(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let listed: Vec<String> = self
            .first
            .iter()
            .take(3)
            .map(|s| format!("line {} ({})", s.line, s.reason))
            .collect();
        let more = if self.count as usize > listed.len() {
            ", …"
        } else {
            ""
        };
        Some(format!(
            "{} malformed line{} skipped: {}{more}",
            self.count,
            if self.count == 1 { "" } else { "s" },
            listed.join(", ")
        ))
    }

    /// The file line of the `n`-th kept line counted from `first` (which
    /// assumes nothing was skipped): every skipped line at or before it
    /// pushes it one further.
    pub fn shift(&self, line: u64) -> u64 {
        let mut line = line;
        for &skipped in &self.lines {
            if skipped <= line {
                line += 1;
            } else {
                break;
            }
        }
        line
    }

    pub fn push(&mut self, line: u64, lines_covered: u64, reason: String) {
        self.count += 1;
        if self.first.len() < REPORTED {
            self.first.push(SkippedLine { line, reason });
        }
        self.lines.extend(line..line + lines_covered);
    }
}

/// Byte ranges `[start, end)` of a body, in order.
pub type Stretches = Vec<(usize, usize)>;

/// One record as the skipping rules judge it.
pub struct Checked {
    /// Offset of its first byte.
    pub start: usize,
    /// Offset of its ending newline (or the body's end): only its first
    /// line's for a stray quote that swallowed the lines after it.
    pub end: usize,
    /// Its first line in the file.
    pub line: u64,
    /// File lines it covers.
    pub lines: u64,
    /// Why it would be left out; None for a good record.
    pub problem: Option<String>,
    /// Nothing but whitespace (neither a record nor a problem).
    pub blank: bool,
    /// A good record whose quoted fields hold newlines.
    pub multi_line: bool,
    /// It runs to the body's end with no newline ending it: where the body
    /// is a piece of a longer text, the next piece may go on with it.
    pub reaches_end: bool,
}

/// Walk the records of `body` in order, judging each: a record with the
/// wrong number of fields, a NUL byte, bytes that are not UTF-8, or a first
/// line too long to be a record has a problem. A bad record whose quotes
/// ran past its first line was a stray quote: it covers its own line only,
/// and the walk goes on from the next. `each` may end the walk early.
pub fn check_records(
    body: &[u8],
    shape: BodyShape,
    cancel: &CancelToken,
    mut each: impl FnMut(&Checked) -> ControlFlow<()>,
) -> Result<(), Cancelled> {
    let expected = shape.expected;
    let mut records = Records::new(body, shape.separator, shape.quote, shape.first_line);
    let mut since_check = 0usize;
    while let Some(r) = records.next() {
        since_check += 1;
        if since_check == 1 << 16 {
            since_check = 0;
            cancel.check()?;
        }
        let record = &body[r.start..r.end];
        let first_line_bytes = (r.line_end - r.start) as u64;
        let blank = r.is_blank(body);
        let mut problem = if blank {
            None
        } else if first_line_bytes > MAX_LINE_BYTES {
            Some(format!("{first_line_bytes} bytes with no line break"))
        } else if memchr::memchr(0, record).is_some() {
            Some("a NUL byte".to_owned())
        } else if std::str::from_utf8(record).is_err() {
            Some("bytes that are not UTF-8".to_owned())
        } else if r.fields != expected {
            Some(format!("{} fields, expected {expected}", r.fields))
        } else {
            None
        };
        let reaches_end = r.end >= body.len();
        let (mut end, mut lines) = (r.end, r.inner_lines + 1);
        if problem.is_some() && r.inner_lines > 0 {
            problem = Some("an unclosed quote".to_owned());
            records.resume_after_first_line(&r);
            (end, lines) = (r.line_end, 1);
        }
        let walk = each(&Checked {
            start: r.start,
            end,
            line: r.line,
            lines,
            multi_line: problem.is_none() && r.inner_lines > 0,
            problem,
            blank,
            reaches_end,
        });
        if walk.is_break() {
            break;
        }
    }
    Ok(())
}

/// The stretches of `body` to read around its malformed records (None when
/// every record is fine), and what was left out. Each stretch is whole
/// records, cut at a record start about every `chunk_bytes`, so the parser
/// reads the file where it lies instead of a copy of it (a copy would double
/// the memory a 5 GB file needs).
pub fn drop_malformed(
    body: &[u8],
    shape: BodyShape,
    chunk_bytes: usize,
    cancel: &CancelToken,
) -> Result<(Option<Stretches>, SkippedLines), Cancelled> {
    let mut windows: Vec<(usize, usize)> = Vec::new();
    let mut window_start = 0;
    let mut skipped = SkippedLines::default();
    check_records(body, shape, cancel, |r| {
        match &r.problem {
            Some(reason) => {
                skipped.push(r.line, r.lines, reason.clone());
                if r.start > window_start {
                    windows.push((window_start, r.start));
                }
                window_start = (r.end + 1).min(body.len());
            }
            None if r.start - window_start >= chunk_bytes => {
                windows.push((window_start, r.start));
                window_start = r.start;
            }
            None => {}
        }
        ControlFlow::Continue(())
    })?;
    if skipped.is_empty() {
        return Ok((None, skipped));
    }
    if body.len() > window_start {
        windows.push((window_start, body.len()));
    }
    Ok((Some(windows), skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::reader::tests::shape;

    /// The text the stretches cover, with stretches of about `chunk` bytes.
    fn clean_in(text: &str, expected: usize, chunk: usize) -> (String, SkippedLines) {
        let (windows, skipped) =
            drop_malformed(text.as_bytes(), shape(expected), chunk, &CancelToken::new())
                .expect("not cancelled");
        let kept = windows.map_or_else(
            || text.to_owned(),
            |w| w.iter().map(|&(a, b)| &text[a..b]).collect(),
        );
        (kept, skipped)
    }

    fn clean(text: &str, expected: usize) -> (String, SkippedLines) {
        clean_in(text, expected, 1 << 20)
    }

    #[test]
    fn ragged_rows_nul_bytes_and_stray_quotes_are_left_out_with_their_lines() {
        let body = "1,a,x\n2,b\n3,c,\"multi\nline\"\n4,d\0,y\n5,\"e,z\n6,f,z\n";
        let (kept, skipped) = clean(body, 3);
        assert_eq!(kept, "1,a,x\n3,c,\"multi\nline\"\n6,f,z\n");
        assert_eq!(skipped.count, 3);
        let lines: Vec<u64> = skipped.first.iter().map(|s| s.line).collect();
        // Body line 1 is file line 2; the quoted record spans lines 4–5.
        assert_eq!(lines, [3, 6, 7]);
        assert_eq!(skipped.first[0].reason, "2 fields, expected 3");
        assert_eq!(skipped.first[1].reason, "a NUL byte");
        // The stray quote on line 7 costs that line only.
        assert_eq!(skipped.first[2].reason, "an unclosed quote");
        assert_eq!(skipped.lines, [3, 6, 7]);
        // Kept rows 0, 1, 2 sit on lines 2, 4 and 9.
        assert_eq!(skipped.shift(2), 2);
        assert_eq!(skipped.shift(3), 4);
        assert!(skipped
            .summary()
            .unwrap()
            .starts_with("3 malformed lines skipped: line 3 (2 fields, expected 3)"));
    }

    #[test]
    fn stretches_are_whole_records_cut_about_every_chunk() {
        let body = "1,a\n2,b\n3\n4,\"d\ne\"\n5,e\n6,f\n7,g\n";
        let (windows, skipped) = drop_malformed(body.as_bytes(), shape(2), 8, &CancelToken::new())
            .expect("not cancelled");
        let windows = windows.expect("a line was skipped");
        let pieces: Vec<&str> = windows.iter().map(|&(a, b)| &body[a..b]).collect();
        assert_eq!(
            pieces,
            ["1,a\n2,b\n", "4,\"d\ne\"\n", "5,e\n6,f\n", "7,g\n"]
        );
        assert_eq!(skipped.lines, [4]);
        assert_eq!(
            clean_in(body, 2, 3).0,
            "1,a\n2,b\n4,\"d\ne\"\n5,e\n6,f\n7,g\n"
        );
    }

    #[test]
    fn a_clean_body_reads_as_it_is() {
        let (windows, skipped) =
            drop_malformed(b"1,a\n2,b\n", shape(2), 8, &CancelToken::new()).expect("not cancelled");
        assert!(windows.is_none() && skipped.is_empty() && skipped.summary().is_none());
    }
}
