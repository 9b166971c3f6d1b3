//! Opening a file and working out what it is: compression, Parquet / JSON lines /
//! delimited text, encoding, separator, quoting and whether there is a header.
//!
//! Everything here looks at the first megabyte or so; the full file is parsed by
//! polars in [`super::reader`].

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use super::error::{line_and_column, LoadError};
use crate::task::CancelToken;

/// Longest line accepted. A longer one almost always means a file that is not a
/// table (a minified JSON document, a binary blob) and would only exhaust memory.
pub const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

/// How much of the file the sniffer inspects.
const HEAD_BYTES: usize = 1024 * 1024;
/// How many records the sniffer parses.
const SAMPLE_RECORDS: usize = 400;

/// The file's bytes: memory-mapped when read as is, owned when decompressed.
pub enum SourceBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl SourceBytes {
    /// Drop already-parsed pages of a mapped file from this process's memory
    /// (they stay in the OS page cache and are read again if touched), so peak
    /// memory is the parsed table rather than table + file.
    pub fn release(&self, start: usize, end: usize) {
        const PAGE: usize = 4096;
        let SourceBytes::Mapped(map) = self else {
            return;
        };
        let first = start.div_ceil(PAGE) * PAGE;
        let last = (end.min(map.len()) / PAGE) * PAGE;
        if last > first {
            // SAFETY: a read-only, file-backed mapping: MADV_DONTNEED only drops
            // pages, later reads fault them back in from the file unchanged.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, first, last - first)
            };
        }
    }
}

impl Deref for SourceBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            SourceBytes::Mapped(m) => m,
            SourceBytes::Owned(v) => v,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Delimited,
    JsonLines,
    Parquet,
}

/// An opened, decompressed source ready for parsing.
pub struct Source {
    pub path: PathBuf,
    pub bytes: SourceBytes,
    /// Size on disk (compressed size for `.gz`).
    pub file_bytes: u64,
    pub gzip: bool,
    pub kind: FileKind,
    /// Offset of the first byte after a UTF-8 byte-order mark.
    pub text_start: usize,
}

impl Source {
    pub fn text(&self) -> &[u8] {
        &self.bytes[self.text_start..]
    }
}

/// Open `path`, decompress gzip (reporting progress, honouring cancel), identify
/// the kind of file and check that text is UTF-8.
pub fn open_source(
    path: &Path,
    skip_bad_lines: bool,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Source, LoadError> {
    let io_error = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            LoadError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            LoadError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if metadata.is_dir() {
        return Err(LoadError::parse(
            path,
            "this is a folder, not a file. Choose one of the files inside it.",
        ));
    }
    let file_bytes = metadata.len();
    if file_bytes == 0 {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(io_error)?;
    // SAFETY: the map is read-only and lives as long as the loaded source; a file
    // truncated by another program while we read it is the one risk, as with any
    // mmap-based reader (polars does the same).
    let mapped = unsafe { memmap2::Mmap::map(&file) }.map_err(io_error)?;
    let gzip = mapped.starts_with(&[0x1f, 0x8b]);
    let bytes = if gzip {
        SourceBytes::Owned(gunzip(path, &mapped, cancel, progress)?)
    } else {
        SourceBytes::Mapped(mapped)
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let kind = detect_kind(path, &bytes);
    let text_start = if kind == FileKind::Parquet {
        0
    } else {
        check_text(path, &bytes, skip_bad_lines)?
    };
    Ok(Source {
        path: path.to_path_buf(),
        bytes,
        file_bytes,
        gzip,
        kind,
        text_start,
    })
}

fn gunzip(
    path: &Path,
    compressed: &[u8],
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Vec<u8>, LoadError> {
    let mut gz = Gunzip::new(path, compressed);
    let mut out = Vec::with_capacity(compressed.len() * 4);
    loop {
        cancel.check()?;
        if gz.read_into(&mut out, 1 << 20)? == 0 {
            break;
        }
        progress(0.3 * gz.share_read(), "decompressing");
    }
    Ok(out)
}

/// A gzip file's text a piece at a time (several members read as one, as
/// `gunzip` does), and how far through the compressed bytes it has got.
pub(super) struct Gunzip<'a> {
    path: &'a Path,
    decoder: flate2::read::MultiGzDecoder<CountingReader<'a>>,
    total: usize,
    /// What one read decodes into, reused.
    scratch: Vec<u8>,
}

/// Compressed bytes, counting those the decoder has taken.
struct CountingReader<'a> {
    inner: &'a [u8],
    read: usize,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n;
        Ok(n)
    }
}

impl<'a> Gunzip<'a> {
    pub fn new(path: &'a Path, compressed: &'a [u8]) -> Self {
        Self {
            path,
            decoder: flate2::read::MultiGzDecoder::new(CountingReader {
                inner: compressed,
                read: 0,
            }),
            total: compressed.len().max(1),
            scratch: Vec::new(),
        }
    }

    /// Append up to `max` more bytes of text to `out`: how many (0 at the
    /// end). Damaged gzip data is an error naming the file.
    pub fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, LoadError> {
        self.scratch.resize(max, 0);
        let n = self.decoder.read(&mut self.scratch).map_err(|e| {
            LoadError::parse(
                self.path,
                format!(
                    "the gzip data is damaged or incomplete ({e}). Try downloading the file again."
                ),
            )
        })?;
        out.extend_from_slice(&self.scratch[..n]);
        Ok(n)
    }

    /// The compressed bytes decoded so far.
    pub fn compressed_read(&self) -> usize {
        self.decoder.get_ref().read
    }

    /// Their share of the file.
    pub fn share_read(&self) -> f32 {
        self.compressed_read() as f32 / self.total as f32
    }
}

fn detect_kind(path: &Path, bytes: &[u8]) -> FileKind {
    if bytes.starts_with(b"PAR1") {
        return FileKind::Parquet;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".parquet") {
        return FileKind::Parquet;
    }
    if name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        return FileKind::JsonLines;
    }
    let first = bytes[bom_len(bytes)..]
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        FileKind::JsonLines
    } else {
        FileKind::Delimited
    }
}

/// Reject binary files and wrong encodings early, with a message that helps.
/// Returns the offset after a UTF-8 byte-order mark. With `skip_bad_lines`
/// a NUL byte or a stray non-UTF-8 byte near the top is left to the line
/// skipper instead.
fn check_text(path: &Path, bytes: &[u8], skip_bad_lines: bool) -> Result<usize, LoadError> {
    let wrong_encoding = |encoding: &str| LoadError::WrongEncoding {
        path: path.to_path_buf(),
        encoding: encoding.to_owned(),
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(wrong_encoding("UTF-16 (little endian)"));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(wrong_encoding("UTF-16 (big endian)"));
    }
    let binary = |what: &str| LoadError::Binary {
        path: path.to_path_buf(),
        what: what.to_owned(),
    };
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(binary(
            "it is a ZIP archive or an Excel workbook; unzip it, or export the sheet as CSV",
        ));
    }
    if bytes.starts_with(b"%PDF") {
        return Err(binary("it is a PDF document"));
    }
    let start = bom_len(bytes);
    let head = &bytes[start..bytes.len().min(start + HEAD_BYTES)];
    if let Some(nul) = memchr::memchr(0, head).filter(|_| !skip_bad_lines) {
        let (line, _) = line_and_column(head, nul);
        return Err(binary(&format!(
            "it contains NUL bytes, first on line {line}. {}",
            super::error::SKIP_HINT
        )));
    }
    if let Err(e) = std::str::from_utf8(head).map(|_| ()).or_else(|e| {
        // Skipping: the line skipper names the line instead.
        if skip_bad_lines {
            Ok(())
        } else {
            Err(e)
        }
    }) {
        // An error at the very end of the head is just a character cut in two.
        if e.error_len().is_some() {
            let offset = e.valid_up_to();
            let (line, column) = line_and_column(head, offset);
            return Err(LoadError::NotUtf8 {
                path: path.to_path_buf(),
                line,
                column,
                byte: head[offset],
            });
        }
    }
    // A first line longer than the limit: nothing sensible can be parsed.
    let text = &bytes[start..];
    let limit = MAX_LINE_BYTES as usize;
    let first_line_end = memchr::memchr(b'\n', &text[..text.len().min(limit + 1)]);
    if first_line_end.is_none() && text.len() > limit {
        let line_bytes = memchr::memchr(b'\n', text).unwrap_or(text.len());
        return Err(LoadError::LineTooLong {
            path: path.to_path_buf(),
            line: 1,
            bytes: line_bytes as u64,
            limit: MAX_LINE_BYTES,
        });
    }
    Ok(start)
}

/// Locate the first invalid UTF-8 byte anywhere in `text` (used after polars
/// reports an encoding problem, to name the line).
pub fn find_invalid_utf8(path: &Path, text: &[u8]) -> Option<LoadError> {
    let e = std::str::from_utf8(text).err()?;
    let offset = e.valid_up_to();
    let (line, column) = line_and_column(text, offset);
    Some(LoadError::NotUtf8 {
        path: path.to_path_buf(),
        line,
        column,
        byte: text[offset],
    })
}

/// What the sniffer decided about a delimited text file.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvLayout {
    pub separator: u8,
    /// `None`: quotes are ordinary characters (e.g. the UCI sentences files).
    pub quote: Option<u8>,
    pub has_header: bool,
    /// Fields per record (the most common count in the sample).
    pub n_fields: usize,
    /// The first record (the header when `has_header`).
    pub first_record: Vec<String>,
    /// Parsed sample records after the header.
    pub sample: Vec<Vec<String>>,
}

/// One parsed record and the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

/// Split `text` into at most `max` records. With a quote character, quoted fields
/// may contain separators, doubled quotes and newlines. Returns the records and
/// whether any quoted field was malformed (text after its closing quote, or never
/// closed), which tells the sniffer that quoting is probably not in use.
pub fn parse_records(
    text: &[u8],
    separator: u8,
    quote: Option<u8>,
    max: usize,
) -> (Vec<Record>, bool) {
    let mut records = Vec::new();
    let mut malformed = false;
    let mut pos = 0;
    let mut line: u64 = 1;
    while pos < text.len() && records.len() < max {
        let start_line = line;
        let mut fields = Vec::new();
        let mut field: Vec<u8> = Vec::new();
        let mut at_field_start = true;
        let mut in_quotes = false;
        let mut ended = false;
        while pos < text.len() {
            let b = text[pos];
            pos += 1;
            if in_quotes {
                if Some(b) == quote {
                    if text.get(pos) == Some(&b) {
                        field.push(b);
                        pos += 1;
                    } else {
                        in_quotes = false;
                        // Anything but a separator or line end after a closing quote.
                        match text.get(pos) {
                            None | Some(b'\n') | Some(b'\r') => {}
                            Some(&next) if next == separator => {}
                            Some(_) => malformed = true,
                        }
                    }
                } else {
                    if b == b'\n' {
                        line += 1;
                    }
                    field.push(b);
                }
                continue;
            }
            if b == separator {
                fields.push(String::from_utf8_lossy(&field).into_owned());
                field.clear();
                at_field_start = true;
                continue;
            }
            if b == b'\n' {
                line += 1;
                ended = true;
                break;
            }
            if at_field_start && Some(b) == quote {
                in_quotes = true;
                at_field_start = false;
                continue;
            }
            at_field_start = false;
            field.push(b);
        }
        if in_quotes {
            malformed = true;
        }
        if field.last() == Some(&b'\r') {
            field.pop();
        }
        fields.push(String::from_utf8_lossy(&field).into_owned());
        let blank = fields.len() == 1 && fields[0].trim().is_empty();
        if !blank {
            records.push(Record {
                line: start_line,
                fields,
            });
        }
        if !ended && pos >= text.len() {
            break;
        }
    }
    (records, malformed)
}

/// Bytes of the head of `text`, cut at a line end so no record is cut in half
/// (unless a single line is longer than the head).
pub fn head_of(text: &[u8]) -> &[u8] {
    if text.len() <= HEAD_BYTES {
        return text;
    }
    let head = &text[..HEAD_BYTES];
    match memchr::memrchr(b'\n', head) {
        Some(end) => &head[..=end],
        None => head,
    }
}

/// Guess separator, quoting and header from the head of a delimited file.
pub fn sniff_layout(path: &Path, text: &[u8]) -> Result<CsvLayout, LoadError> {
    let head = head_of(text);
    let mut best: Option<(f64, usize, u8, Option<u8>)> = None;
    for separator in [b',', b';', b'\t', b'|'] {
        for quote in [Some(b'"'), None] {
            let (records, malformed) = parse_records(head, separator, quote, SAMPLE_RECORDS);
            if records.is_empty() || (quote.is_some() && malformed) {
                continue;
            }
            let (mode, consistency) = field_count_mode(&records);
            if mode < 2 {
                continue;
            }
            // Prefer consistency, then more fields; quoting wins ties (listed first).
            let better = match best {
                None => true,
                Some((c, n, _, _)) => {
                    consistency > c + 1e-9 || (consistency > c - 1e-9 && mode > n)
                }
            };
            if better {
                best = Some((consistency, mode, separator, quote));
            }
        }
    }
    let (separator, quote, n_fields) = match best {
        Some((_, n, s, q)) => (s, q, n),
        // One column: a plain list. Still loadable (e.g. a list of review texts).
        None => (b',', Some(b'"'), 1),
    };
    let (mut records, _) = parse_records(head, separator, quote, SAMPLE_RECORDS);
    if records.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let first = records.remove(0).fields;
    let sample: Vec<Vec<String>> = records.into_iter().map(|r| r.fields).collect();
    let has_header = looks_like_header(&first, &sample);
    Ok(CsvLayout {
        separator,
        quote,
        has_header,
        n_fields,
        first_record: first,
        sample,
    })
}

/// Most common field count and the share of records that have it.
fn field_count_mode(records: &[Record]) -> (usize, f64) {
    let mut counts: rustc_hash::FxHashMap<usize, usize> = Default::default();
    for r in records {
        *counts.entry(r.fields.len()).or_default() += 1;
    }
    let (mode, n) = counts
        .into_iter()
        .max_by_key(|&(fields, n)| (n, fields))
        .unwrap_or((0, 0));
    (mode, n as f64 / records.len().max(1) as f64)
}

pub fn is_number(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok()
}

/// A header row has a non-numeric entry above a numeric column, or consists of
/// short, distinct, name-like entries when every column is text.
fn looks_like_header(first: &[String], rows: &[Vec<String>]) -> bool {
    if rows.is_empty() {
        return first.iter().all(|f| is_name_like(f));
    }
    let mut any_first_numeric = false;
    for (j, name) in first.iter().enumerate() {
        let values: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(j).map(|s| s.trim()))
            .filter(|s| !s.is_empty())
            .collect();
        let numeric = !values.is_empty()
            && values.iter().filter(|v| is_number(v)).count() as f64 >= 0.9 * values.len() as f64;
        if is_number(name) {
            any_first_numeric = true;
        } else if numeric && !name.trim().is_empty() {
            return true;
        }
    }
    if any_first_numeric {
        return false;
    }
    let mut seen = std::collections::HashSet::new();
    first
        .iter()
        .all(|f| is_name_like(f) && seen.insert(f.trim().to_lowercase()))
}

fn is_name_like(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty()
        && t.chars().count() <= 40
        && t.split_whitespace().count() <= 3
        && t.chars()
            .all(|c| c.is_alphanumeric() || " _-.:/()#%".contains(c))
}

/// The length of the UTF-8 byte-order mark `bytes` start with (0 or 3),
/// which precedes the header and is not part of it.
pub(super) fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &str) -> CsvLayout {
        sniff_layout(Path::new("t.csv"), text.as_bytes()).unwrap()
    }

    #[test]
    fn sniffs_common_separators() {
        assert_eq!(layout("a,b\n1,2\n3,4\n").separator, b',');
        assert_eq!(layout("a;b;c\n1;2;3\n").separator, b';');
        assert_eq!(layout("a\tb\n1\t2\n").separator, b'\t');
        assert_eq!(layout("a|b\n1|2\n").separator, b'|');
    }

    #[test]
    fn quoted_separators_do_not_split_fields() {
        let l = layout("id,text\n1,\"hello, world\"\n2,\"say \"\"hi\"\"\"\n");
        assert_eq!(l.n_fields, 2);
        assert_eq!(l.quote, Some(b'"'));
        assert_eq!(l.sample[1][1], "say \"hi\"");
    }

    #[test]
    fn quotes_inside_text_turn_quoting_off() {
        let l = layout("\"Great\" phone, works\t1\nBad one\t0\nit's \"ok\" I guess\t1\n");
        assert_eq!(l.separator, b'\t');
        assert_eq!(l.quote, None);
        assert!(!l.has_header);
    }

    #[test]
    fn header_detection() {
        assert!(layout("user,item\n1,2\n").has_header);
        assert!(!layout("1,2,5,881250949\n3,4,1,881250950\n").has_header);
        assert!(layout("label,review\n1,很好\n0,不好\n").has_header);
        assert!(!layout("So there is no way to plug it in here\t0\nGood case\t1\n").has_header);
    }

    #[test]
    fn crlf_is_stripped() {
        let l = layout("a,b\r\n1,2\r\n");
        assert_eq!(l.first_record, vec!["a", "b"]);
        assert_eq!(l.sample[0], vec!["1", "2"]);
    }

    #[test]
    fn records_spanning_lines_report_their_start_line() {
        let (recs, malformed) = parse_records(b"a,b\n1,\"x\ny\"\n2,z\n", b',', Some(b'"'), 10);
        assert!(!malformed);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[2].line, 4);
        assert_eq!(recs[1].fields[1], "x\ny");
    }
}
