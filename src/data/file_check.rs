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
use super::skip::{check_records, Checked, SkippedLines};
use super::sniff::{Gunzip, SourceBytes};
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

/// Check every record of the delimited text file `path`, plain or gzip,
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
    let mut tally = Tally::new(skip_bad_lines);
    if map.starts_with(&[0x1f, 0x8b]) {
        let mut text = Gunzip::new(path, &map);
        check_stream(
            path,
            &mut text,
            (separator, quote),
            GZIP_PIECES,
            cancel,
            &mut tally,
            &|gz| {
                // The compressed bytes already decoded are not read again.
                map.release(0, gz.compressed_read());
                let done = gz.share_read();
                progress(
                    done,
                    &format!(
                        "checking {:.0}% of the gzip file for malformed lines",
                        done * 100.0
                    ),
                );
            },
        )?;
        map.release(0, map.len());
        return tally.finish(path);
    }
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
        tally.take(r)
    });
    map.release(0, map.len());
    walked?;
    tally.finish(path)
}

/// How a text that comes a piece at a time is walked.
#[derive(Clone, Copy)]
struct Pieces {
    /// Bytes of text added per piece.
    step: usize,
    /// A record still open after this many bytes is judged as it stands (a
    /// stray quote never closed), as is a line this long.
    max_open: usize,
}

/// A gzip file's: 16 MB pieces, records judged open after 64 MB.
const GZIP_PIECES: Pieces = Pieces {
    step: 16 << 20,
    max_open: 64 << 20,
};

/// Check the records of a text that comes a piece at a time (a gzip file
/// decompressed as it is walked), by the rules and with the line numbers
/// the walk of the whole text would give. A piece is walked up to its last
/// line break; a record that runs past it (quotes still open) is walked
/// again with the next piece. Only a record longer than `max_open` is
/// judged without the rest of it.
fn check_stream(
    path: &Path,
    text: &mut Gunzip,
    (separator, quote): (u8, Option<u8>),
    Pieces { step, max_open }: Pieces,
    cancel: &CancelToken,
    tally: &mut Tally,
    after_piece: &dyn Fn(&Gunzip),
) -> Result<(), LoadError> {
    let mut buf: Vec<u8> = Vec::new();
    // Adds a piece; true once the text has ended.
    let more = |buf: &mut Vec<u8>, text: &mut Gunzip| -> Result<bool, LoadError> {
        let target = buf.len() + step;
        while buf.len() < target {
            cancel.check()?;
            if text.read_into(buf, (target - buf.len()).min(1 << 20))? == 0 {
                return Ok(true);
            }
        }
        Ok(false)
    };
    // The header: its first record, read whole.
    let mut at_end;
    let (shape, body_start) = loop {
        at_end = more(&mut buf, text)?;
        let bom = super::sniff::bom_len(&buf);
        match Records::new(&buf[bom..], separator, quote, 1).next() {
            Some(h) if at_end || bom + h.end < buf.len() || buf.len() >= max_open => {
                let shape = BodyShape {
                    separator,
                    quote,
                    expected: h.fields,
                    first_line: h.line + h.inner_lines + 1,
                };
                break (shape, (bom + h.end + 1).min(buf.len()));
            }
            None if at_end => {
                return Err(LoadError::Empty {
                    path: path.to_path_buf(),
                })
            }
            _ => {}
        }
    };
    buf.drain(..body_start);
    let mut first_line = shape.first_line;
    loop {
        // Whole lines only, unless the text has ended or one record fills
        // the buffer.
        let judge_all = at_end || buf.len() >= max_open;
        let walked_to = match memchr::memrchr(b'\n', &buf) {
            Some(i) if !at_end => i + 1,
            _ if judge_all => buf.len(),
            _ => 0,
        };
        // Where the next piece starts, and its first line.
        let mut next = (walked_to, first_line);
        let shape = BodyShape {
            first_line,
            ..shape
        };
        check_records(&buf[..walked_to], shape, cancel, |r| {
            if r.reaches_end && !judge_all {
                next = (r.start, r.line);
                return ControlFlow::Break(());
            }
            next.1 = r.line + r.lines;
            tally.take(r)
        })?;
        if at_end || tally.refused() {
            return Ok(());
        }
        buf.drain(..next.0);
        first_line = next.1;
        after_piece(text);
        at_end = more(&mut buf, text)?;
    }
}

/// What a check has found so far, and the first malformed record when
/// such records refuse the file.
struct Tally {
    skip_bad_lines: bool,
    found: FileCheck,
    first_problem: Option<(u64, String)>,
}

impl Tally {
    fn new(skip_bad_lines: bool) -> Self {
        Self {
            skip_bad_lines,
            found: FileCheck::default(),
            first_problem: None,
        }
    }

    /// Count `r`; stop the walk at a malformed record that refuses the file.
    fn take(&mut self, r: &Checked) -> ControlFlow<()> {
        match &r.problem {
            Some(reason) if !self.skip_bad_lines => {
                self.first_problem = Some((r.line, reason.clone()));
                return ControlFlow::Break(());
            }
            Some(reason) => self.found.skipped.push(r.line, r.lines, reason.clone()),
            None if r.blank => {}
            None => {
                self.found.records += 1;
                self.found.multi_line |= r.multi_line;
            }
        }
        ControlFlow::Continue(())
    }

    fn refused(&self) -> bool {
        self.first_problem.is_some()
    }

    fn finish(self, path: &Path) -> Result<FileCheck, LoadError> {
        match self.first_problem {
            Some((line, reason)) => Err(LoadError::parse(
                path,
                format!(
                    "line {line} is malformed ({reason}). Fix that line or remove it. {SKIP_HINT}"
                ),
            )),
            None => Ok(self.found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(text: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text).expect("compress");
        encoder.finish().expect("compress")
    }

    /// The check of `text` as a plain file: the walk of the whole text.
    fn whole(text: &[u8], skip: bool) -> Result<FileCheck, String> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("events.csv");
        std::fs::write(&path, text).expect("write");
        check_file(
            &path,
            (b',', Some(b'"')),
            skip,
            &CancelToken::new(),
            &|_, _| {},
        )
        .map_err(|e| {
            e.to_string()
                .replace(&path.display().to_string(), "events.csv")
        })
    }

    /// The check of `text` gzipped, a piece of `step` bytes at a time.
    fn streamed(text: &[u8], skip: bool, pieces: Pieces) -> Result<FileCheck, String> {
        let path = Path::new("events.csv");
        let compressed = gzip(text);
        let mut tally = Tally::new(skip);
        let mut gz = Gunzip::new(path, &compressed);
        let cancel = CancelToken::new();
        check_stream(
            path,
            &mut gz,
            (b',', Some(b'"')),
            pieces,
            &cancel,
            &mut tally,
            &|_| {},
        )
        .and_then(|()| tally.finish(path))
        .map_err(|e| e.to_string())
    }

    /// Records cut anywhere between pieces (quoted newlines, a stray quote
    /// that closes lines later, one that never does, blank lines, CRLF, a
    /// BOM, no newline at the end) are judged as the whole walk judges them,
    /// with the same lines.
    #[test]
    fn a_text_checked_piece_by_piece_finds_what_the_whole_walk_finds() {
        let texts: [&[u8]; 4] = [
            b"\xEF\xBB\xBFuser,item,note\r\n1,2,\"two\nlines\"\r\n\n3,4,plain\n5,6\n7,\"8,x\n9,10,y\n11,12,\"z\"\n13,14,\"a\nb\nc\"\n15,16,\0\n17,18,\xff\n19,20,last",
            b"user,item,note\n1,2,x\n3,\"4,y\n5,6,z\n7,8,w\n",
            b"user,item,\"a\nlong\nheader\"\n1,2,\"x\"\n3,4,\"\"\"q\"\"\"\n",
            b"user,item,note\n\n\n1,2,3\n",
        ];
        for (t, text) in texts.iter().enumerate() {
            for skip in [true, false] {
                let expected = whole(text, skip);
                for step in 1..=40 {
                    let pieces = Pieces {
                        step,
                        max_open: 1 << 20,
                    };
                    assert_eq!(
                        streamed(text, skip, pieces),
                        expected,
                        "text {t}, step {step}, skip {skip}"
                    );
                }
            }
        }
    }

    /// A stray quote that is never closed is judged once the buffer holds
    /// `max_open` bytes, as the whole walk judges it at the end of the file.
    #[test]
    fn a_quote_never_closed_is_judged_without_reading_to_the_end() {
        let mut text = b"user,item,note\n1,\"2,x\n".to_vec();
        for i in 0..200 {
            text.extend_from_slice(format!("{i},{i},row\n").as_bytes());
        }
        let expected = whole(&text, true);
        let found = expected.as_ref().expect("checked");
        assert_eq!((found.records, found.skipped.count), (200, 1));
        for step in [3, 16, 50] {
            let pieces = Pieces { step, max_open: 64 };
            assert_eq!(streamed(&text, true, pieces), expected, "step {step}");
        }
        assert_eq!(
            streamed(b"", true, GZIP_PIECES),
            Err(format!(
                "{}",
                LoadError::Empty {
                    path: "events.csv".into()
                }
            ))
        );
    }
}
