//! Reading a whole file into a polars `DataFrame`.
//!
//! Delimited text is first scanned once (quote-aware, memchr-fast) to check every
//! record's field count — polars silently pads short rows — and to find safe chunk
//! boundaries. Chunks are then parsed by polars (multi-threaded inside each chunk)
//! so the UI gets progress and Cancel works between chunks.

use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;

use super::error::LoadError;
use super::formats::{self, KnownFormat};
use super::skip::SkippedLines;
use super::sniff::{self, CsvLayout, FileKind, Source, MAX_LINE_BYTES};
use crate::task::CancelToken;

/// Bytes parsed per polars call: large enough for polars' own threading to pay,
/// small enough for responsive progress and cancel.
const CHUNK_BYTES: usize = 128 * 1024 * 1024;

/// A file read into memory, before roles are applied.
pub struct RawTable {
    pub df: DataFrame,
    pub format: &'static KnownFormat,
    pub kind: FileKind,
    pub layout: Option<CsvLayout>,
    pub file_bytes: u64,
    /// Size of the (decompressed) data that was parsed.
    pub data_bytes: u64,
    pub gzip: bool,
    /// Malformed records left out (only when asked to skip them).
    pub skipped: SkippedLines,
}

/// Read `path` (in `forced_format`, else the one detected), leaving out
/// malformed lines when `skip_bad_lines`; refused before it is parsed when
/// it would need more memory than is free, or than `max_memory` bytes.
pub fn read_table(
    path: &Path,
    forced_format: Option<&str>,
    skip_bad_lines: bool,
    max_memory: Option<u64>,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<RawTable, LoadError> {
    let forced = match forced_format {
        Some(name) => Some(
            formats::by_name(name).ok_or_else(|| LoadError::UnknownFormat {
                path: path.to_path_buf(),
                name: name.to_owned(),
                known: formats::format_names().join(", "),
            })?,
        ),
        None => None,
    };
    progress(0.0, "opening");
    let source = sniff::open_source(path, skip_bad_lines, cancel, progress)?;
    let kind = forced.map_or(source.kind, |f| f.kind);
    let data_bytes = source.text().len() as u64;
    // Parquet is compressed column data: its text size says nothing.
    if kind != FileKind::Parquet {
        let available = super::memory::available_bytes(max_memory);
        super::memory::check_fits(path, data_bytes, available)?;
    }
    // Sequence files are recognised first: to the CSV sniffer they are one
    // column, or ragged rows.
    let sequences = match forced {
        Some(f) if super::sequences::is_sequence_format(f) => Some(f),
        Some(_) => None,
        None if kind == FileKind::Delimited => {
            super::sequences::detect(sniff::head_of(source.text()))
        }
        None => None,
    };
    let mut skipped = SkippedLines::default();
    let (df, format, layout) = match kind {
        FileKind::Delimited if sequences.is_some() => {
            progress(0.35, "reading sequences");
            let df = super::sequences::read(path, source.text(), cancel)?;
            (df, sequences.unwrap_or(&formats::GENERIC_DELIMITED), None)
        }
        FileKind::Delimited => {
            let (df, format, layout, left_out) =
                read_delimited(&source, forced, skip_bad_lines, cancel, progress)?;
            skipped = left_out;
            (df, format, Some(layout))
        }
        FileKind::JsonLines => {
            progress(0.35, "parsing JSON lines");
            let df = read_json_lines(path, source.text())?;
            let format = format_of(&df, FileKind::JsonLines, forced, &formats::GENERIC_JSON);
            (df, format, None)
        }
        FileKind::Parquet => {
            progress(0.35, "reading Parquet");
            let df = ParquetReader::new(Cursor::new(&source.bytes[..]))
                .finish()
                .map_err(|e| {
                    LoadError::parse(
                        path,
                        format!("cannot read it as Parquet: {}", first_line(&e)),
                    )
                })?;
            let format = format_of(&df, FileKind::Parquet, forced, &formats::GENERIC_PARQUET);
            (df, format, None)
        }
    };
    cancel.check()?;
    if df.height() == 0 {
        return Err(if df.width() > 0 {
            LoadError::HeaderOnly {
                path: path.to_path_buf(),
            }
        } else {
            LoadError::Empty {
                path: path.to_path_buf(),
            }
        });
    }
    Ok(RawTable {
        df,
        format,
        kind,
        layout,
        file_bytes: source.file_bytes,
        data_bytes,
        gzip: source.gzip,
        skipped,
    })
}

/// The forced format, else the one its column names identify, else `generic`.
fn format_of(
    df: &DataFrame,
    kind: FileKind,
    forced: Option<&'static KnownFormat>,
    generic: &'static KnownFormat,
) -> &'static KnownFormat {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    forced
        .or_else(|| formats::by_columns(kind, &names))
        .unwrap_or(generic)
}

fn first_line(e: &PolarsError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
}

type Delimited = (DataFrame, &'static KnownFormat, CsvLayout, SkippedLines);

fn read_delimited(
    source: &Source,
    forced: Option<&'static KnownFormat>,
    skip_bad_lines: bool,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Delimited, LoadError> {
    let path = source.path.as_path();
    let text = source.text();
    let mut layout = sniff::sniff_layout(path, text)?;
    let format = forced.unwrap_or_else(|| formats::detect_delimited(&layout));
    apply_format_to_layout(format, &mut layout, forced.is_some(), text);
    cancel.check()?;

    let header_end = if layout.has_header {
        header_length(text, &layout)
    } else {
        0
    };
    let body = &text[header_end..];
    if layout.has_header && body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LoadError::HeaderOnly {
            path: path.to_path_buf(),
        });
    }
    let expected = layout.first_record.len();
    progress(0.32, "checking rows");
    let scan_start = std::time::Instant::now();
    let first_body_line = 1 + memchr::memchr_iter(b'\n', &text[..header_end]).count() as u64;
    // Asked to skip malformed records: read the stretches between them
    // (only when there are some).
    let shape = BodyShape {
        separator: layout.separator,
        quote: layout.quote,
        expected,
        first_line: first_body_line,
    };
    let (stretches, skipped) = if skip_bad_lines {
        super::skip::drop_malformed(body, shape, CHUNK_BYTES, cancel)?
    } else {
        (None, SkippedLines::default())
    };
    let cleaned = stretches.is_some();
    let problem_error = |problem: ScanProblem| match problem {
        ScanProblem::Ragged { line, found } => LoadError::Ragged {
            path: path.to_path_buf(),
            line,
            expected,
            found,
            separator: separator_name(layout.separator),
        },
        ScanProblem::LineTooLong { line, bytes } => LoadError::LineTooLong {
            path: path.to_path_buf(),
            line,
            bytes,
            limit: MAX_LINE_BYTES,
        },
    };
    let precise_scan = || -> Result<Scan, LoadError> {
        let scan = scan_records(body, shape, cancel)?;
        match scan.problem {
            Some(problem) => Err(problem_error(problem)),
            None => Ok(scan),
        }
    };
    // Large files without quote characters skip the line-by-line scan: chunks
    // split at newlines, and the field counts are verified after parsing (see
    // `verify_field_counts`). Anything else gets the exact, quote-aware scan.
    let quick = !cleaned
        && body.len() > QUICK_CHECK_BYTES
        && layout
            .quote
            .is_none_or(|q| memchr::memchr(q, body).is_none());
    let chunks = if let Some(stretches) = stretches {
        stretches
    } else if quick {
        let cuts = newline_boundaries(body).map_err(|(offset, bytes)| LoadError::LineTooLong {
            path: path.to_path_buf(),
            line: first_body_line + memchr::memchr_iter(b'\n', &body[..offset]).count() as u64,
            bytes,
            limit: MAX_LINE_BYTES,
        })?;
        consecutive(&cuts)
    } else {
        consecutive(&precise_scan()?.boundaries)
    };
    log::debug!(
        "{} into {} chunks in {:.3}s",
        if quick { "split" } else { "scanned" },
        chunks.len(),
        scan_start.elapsed().as_secs_f64()
    );

    // Column names: the header, the format's names for headerless files, or
    // polars' column_N.
    let names: Vec<String> = if layout.has_header {
        dedupe_names(&layout.first_record)
    } else if let Some(h) = format
        .headerless
        .as_ref()
        .filter(|h| h.names.len() == expected)
    {
        h.names.iter().map(|s| (*s).to_owned()).collect()
    } else {
        (1..=expected).map(|i| format!("column_{i}")).collect()
    };
    let mut text_columns: Vec<String> = format
        .text_columns
        .iter()
        .filter(|c| names.iter().any(|n| n == *c))
        .map(|c| (*c).to_owned())
        .collect();

    // polars infers types from the first rows; a column that turns out not to be
    // numeric further down (e.g. invoice "C536379") is re-read as text.
    let body_offset = source.text_start + header_end;
    // After polars parsed a chunk: count its separators and lines (quick path),
    // then release its pages, so each page of the file is touched once.
    let counts = std::cell::Cell::new((0usize, 0usize));
    let after_chunk = |start: usize, end: usize| {
        if quick {
            let (s, n) = count_separators_and_newlines(&body[start..end], layout.separator);
            let (s0, n0) = counts.get();
            counts.set((s0 + s, n0 + n));
        }
        source.bytes.release(body_offset + start, body_offset + end);
    };
    let parse_start = std::time::Instant::now();
    let df = loop {
        match parse_chunks(
            body,
            &chunks,
            &layout,
            &names,
            &text_columns,
            format,
            cancel,
            progress,
            &after_chunk,
        ) {
            Ok(df) => break df,
            Err(ChunkError::Cancelled) => return Err(LoadError::Cancelled),
            Err(ChunkError::Polars(e)) => {
                let message = e.to_string();
                // Chunks are parsed headerless, so polars names columns column_N.
                let named = failing_column(&message).map(|c| {
                    c.strip_prefix("column_")
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| names.get(n.wrapping_sub(1)).cloned())
                        .unwrap_or(c)
                });
                if let Some(column) = named {
                    if !text_columns.contains(&column) && names.contains(&column) {
                        log::info!("re-reading column '{column}' as text: {}", first_line(&e));
                        text_columns.push(column);
                        continue;
                    }
                }
                if message.to_lowercase().contains("utf-8")
                    || message.to_lowercase().contains("utf8")
                {
                    if let Some(err) = sniff::find_invalid_utf8(path, text) {
                        return Err(err);
                    }
                }
                return Err(LoadError::parse(
                    path,
                    format!("cannot parse the file: {}", first_line(&e)),
                ));
            }
        }
    };
    log::debug!("parsed in {:.3}s", parse_start.elapsed().as_secs_f64());
    let (separators, newlines) = counts.get();
    let lines = newlines + usize::from(body.last().is_some_and(|&b| b != b'\n'));
    if quick && !field_counts_match(separators, lines, expected, df.height()) {
        // Short rows (polars pads them with nulls) or blank lines: find the line.
        precise_scan()?;
    }
    Ok((df, format, layout, skipped))
}

/// The stretches between consecutive `cuts`.
fn consecutive(cuts: &[usize]) -> Vec<(usize, usize)> {
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Chunk starts at the first newline after every `CHUNK_BYTES`; `Err((offset,
/// line bytes))` when a line is longer than [`MAX_LINE_BYTES`].
fn newline_boundaries(body: &[u8]) -> Result<Vec<usize>, (usize, u64)> {
    let mut boundaries = vec![0];
    let mut pos = CHUNK_BYTES;
    while pos < body.len() {
        let Some(i) = memchr::memchr(b'\n', &body[pos..]) else {
            break;
        };
        if i as u64 > MAX_LINE_BYTES {
            let start = memchr::memrchr(b'\n', &body[..pos]).map_or(0, |p| p + 1);
            return Err((pos, (pos + i - start) as u64));
        }
        let cut = pos + i + 1;
        if cut < body.len() {
            boundaries.push(cut);
        }
        pos = cut + CHUNK_BYTES;
    }
    boundaries.push(body.len());
    Ok(boundaries)
}

/// For quote-free text that polars parsed without error (so no row has extra
/// fields): every row has exactly `expected` fields iff the separators number
/// `rows × (expected − 1)` and the lines number `rows`.
fn field_counts_match(separators: usize, lines: usize, expected: usize, rows: usize) -> bool {
    separators == rows * (expected - 1) && lines == rows
}

/// Separators and newlines in `part`, in one pass on two threads. Blocks of 255
/// bytes keep the counters in `u8` lanes so the loop vectorises 16–32 wide.
fn count_separators_and_newlines(part: &[u8], separator: u8) -> (usize, usize) {
    let count = |p: &[u8]| {
        let (mut separators, mut newlines) = (0usize, 0usize);
        for block in p.chunks(255) {
            let (mut s, mut n) = (0u8, 0u8);
            for &b in block {
                s += u8::from(b == separator);
                n += u8::from(b == b'\n');
            }
            separators += usize::from(s);
            newlines += usize::from(n);
        }
        (separators, newlines)
    };
    let mid = part.len() / 2;
    let ((s1, n1), (s2, n2)) = std::thread::scope(|scope| {
        let first = scope.spawn(|| count(&part[..mid]));
        let second = count(&part[mid..]);
        (first.join().unwrap_or_else(|_| count(&part[..mid])), second)
    });
    (s1 + s2, n1 + n2)
}

/// Let a recognised (or forced) format override what the sniffer guessed.
fn apply_format_to_layout(format: &KnownFormat, layout: &mut CsvLayout, forced: bool, text: &[u8]) {
    let mut changed = false;
    if let Some(q) = format.quote {
        changed |= layout.quote != q;
        layout.quote = q;
    }
    if forced {
        if let Some(sep) = format.separator {
            changed |= layout.separator != sep;
            layout.separator = sep;
        }
        if format.headerless.is_some() {
            layout.has_header = false;
        } else if !format.header.is_empty() {
            layout.has_header = true;
        }
    }
    if changed {
        let (records, _) = sniff::parse_records(text, layout.separator, layout.quote, 2);
        if let Some(first) = records.into_iter().next() {
            layout.n_fields = first.fields.len();
            layout.first_record = first.fields;
        }
    }
}

/// Byte length of the header record (including its line end).
fn header_length(text: &[u8], layout: &CsvLayout) -> usize {
    let mut in_quotes = false;
    for (i, &b) in text.iter().enumerate() {
        if Some(b) == layout.quote {
            in_quotes = !in_quotes;
        } else if b == b'\n' && !in_quotes {
            return i + 1;
        }
    }
    text.len()
}

fn dedupe_names(raw: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    raw.iter()
        .enumerate()
        .map(|(i, n)| {
            let base = if n.trim().is_empty() {
                format!("column_{}", i + 1)
            } else {
                n.clone()
            };
            let mut name = base.clone();
            let mut k = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{k}");
                k += 1;
            }
            name
        })
        .collect()
}

pub fn separator_name(sep: u8) -> String {
    match sep {
        b'\t' => "TAB".into(),
        b',' => "','".into(),
        b';' => "';'".into(),
        b'|' => "'|'".into(),
        other => format!("'{}'", other as char),
    }
}

/// Column named in polars' "could not parse `x` as dtype `i64` at column 'NAME'".
fn failing_column(message: &str) -> Option<String> {
    let start = message.find("at column '")? + "at column '".len();
    let end = message[start..].find('\'')?;
    Some(message[start..start + end].to_owned())
}

enum ChunkError {
    Cancelled,
    Polars(PolarsError),
}

#[allow(clippy::too_many_arguments)]
fn parse_chunks(
    body: &[u8],
    stretches: &[(usize, usize)],
    layout: &CsvLayout,
    names: &[String],
    text_columns: &[String],
    format: &KnownFormat,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
    after_chunk: &dyn Fn(usize, usize),
) -> Result<DataFrame, ChunkError> {
    let mut schema: Option<SchemaRef> = None;
    let mut out: Option<DataFrame> = None;
    let n = stretches.len().max(1);
    for (k, &(start, end)) in stretches.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(ChunkError::Cancelled);
        }
        let chunk = &body[start..end];
        let df = parse_csv_bytes(chunk, layout, names, text_columns, format, schema.clone())
            .map_err(ChunkError::Polars)?;
        after_chunk(start, end);
        if schema.is_none() {
            schema = Some(df.schema().clone());
        }
        match out.as_mut() {
            None => out = Some(df),
            Some(acc) => {
                // Types agree across chunks: the first chunk's schema was enforced,
                // so a clash surfaces as a polars parse error above.
                acc.vstack_mut_owned(df).map_err(ChunkError::Polars)?;
            }
        }
        progress(0.4 + 0.5 * (k + 1) as f32 / n as f32, "parsing");
    }
    // No rechunk: it would copy the whole table (doubling peak memory), and every
    // consumer iterates chunked columns anyway.
    Ok(out.unwrap_or_else(|| {
        DataFrame::empty_with_schema(&Schema::from_iter(
            names
                .iter()
                .map(|n| Field::new(n.as_str().into(), DataType::String)),
        ))
    }))
}

fn parse_csv_bytes(
    bytes: &[u8],
    layout: &CsvLayout,
    names: &[String],
    text_columns: &[String],
    format: &KnownFormat,
    schema: Option<SchemaRef>,
) -> PolarsResult<DataFrame> {
    let separator = layout.separator;
    let quote = layout.quote;
    let null_values = (!format.null_values.is_empty()).then(|| {
        NullValues::AllColumns(
            format
                .null_values
                .iter()
                .map(|s| PlSmallStr::from_str(s))
                .collect(),
        )
    });
    let overwrite = if schema.is_none() && !text_columns.is_empty() {
        // Before the names are set, polars calls columns column_1.. in headerless mode.
        Some(Arc::new(Schema::from_iter(text_columns.iter().filter_map(
            |c| {
                let idx = names.iter().position(|n| n == c)?;
                Some(Field::new(
                    format!("column_{}", idx + 1).into(),
                    DataType::String,
                ))
            },
        ))))
    } else {
        None
    };
    let mut options = CsvReadOptions::default()
        .with_has_header(false)
        .with_infer_schema_length(Some(10_000))
        .with_rechunk(false)
        .with_raise_if_empty(false)
        .map_parse_options(|o| {
            o.with_separator(separator)
                .with_quote_char(quote)
                .with_missing_is_null(true)
                .with_null_values(null_values.clone())
                .with_truncate_ragged_lines(false)
        });
    if let Some(schema) = schema {
        let renamed =
            Schema::from_iter(schema.iter().enumerate().map(|(i, (_, dtype))| {
                Field::new(format!("column_{}", i + 1).into(), dtype.clone())
            }));
        options = options.with_schema(Some(Arc::new(renamed)));
    } else if let Some(o) = overwrite {
        options = options.with_schema_overwrite(Some(o));
    }
    let mut df = options
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()?;
    df.set_column_names(names)?;
    Ok(df)
}

fn read_json_lines(path: &Path, text: &[u8]) -> Result<DataFrame, LoadError> {
    JsonReader::new(Cursor::new(text))
        .with_json_format(JsonFormat::JsonLines)
        .infer_schema_len(std::num::NonZeroUsize::new(10_000))
        .finish()
        .map_err(|e| {
            // Name the first line that is not a JSON object.
            for (i, line) in text.split(|&b| b == b'\n').enumerate() {
                let trimmed = line.trim_ascii();
                if trimmed.is_empty() {
                    continue;
                }
                if let Err(err) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(trimmed) {
                    return LoadError::parse(
                        path,
                        format!("line {} is not a JSON object ({err}). Each line must hold one {{…}} record.", i + 1),
                    );
                }
            }
            LoadError::parse(path, format!("cannot read it as JSON lines: {}", first_line(&e)))
        })
}

pub enum ScanProblem {
    Ragged { line: u64, found: usize },
    LineTooLong { line: u64, bytes: u64 },
}

pub struct Scan {
    /// Record-aligned byte offsets into the body: `[0, …, body.len()]`.
    pub boundaries: Vec<usize>,
    pub records: u64,
    pub problem: Option<ScanProblem>,
}

/// Bodies above this without quote characters are not scanned line by line
/// (see `field_counts_match`).
const QUICK_CHECK_BYTES: usize = 64 * 1024 * 1024;

/// One record of a delimited body, as [`Records`] finds it.
pub(super) struct Record {
    /// Offset of its first byte.
    pub start: usize,
    /// Offset of the end of its first line (its newline, or the body's end).
    pub line_end: usize,
    /// Offset of its ending newline (or the body's end): past `line_end`
    /// when quoted fields hold newlines.
    pub end: usize,
    pub fields: usize,
    /// Its first line in the file.
    pub line: u64,
    /// Newlines inside its quoted fields.
    pub inner_lines: u64,
}

impl Record {
    pub fn is_blank(&self, body: &[u8]) -> bool {
        body[self.start..self.end]
            .iter()
            .all(|b| b.is_ascii_whitespace())
    }
}

/// The records of a delimited body in order, quote-aware; lines without a
/// quote character take a memchr fast path.
pub(super) struct Records<'a> {
    body: &'a [u8],
    separator: u8,
    quote: Option<u8>,
    pos: usize,
    line: u64,
}

impl<'a> Records<'a> {
    pub fn new(body: &'a [u8], separator: u8, quote: Option<u8>, first_line: u64) -> Self {
        Self {
            body,
            separator,
            quote,
            pos: 0,
            line: first_line,
        }
    }

    /// Go on after `record`'s first line instead of after the whole record
    /// (a stray quote that swallowed the lines after it).
    pub fn resume_after_first_line(&mut self, record: &Record) {
        self.pos = record.line_end + 1;
        self.line = record.line + 1;
    }
}

impl Iterator for Records<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let (body, pos) = (self.body, self.pos);
        if pos >= body.len() {
            return None;
        }
        let line_end = memchr::memchr(b'\n', &body[pos..]).map_or(body.len(), |i| pos + i);
        let raw = &body[pos..line_end];
        let (fields, end, inner_lines) = match self.quote {
            Some(q) if memchr::memchr(q, raw).is_some() => {
                count_quoted_record(body, pos, self.separator, q)
            }
            _ => (
                memchr::memchr_iter(self.separator, raw).count() + 1,
                line_end,
                0,
            ),
        };
        let record = Record {
            start: pos,
            line_end,
            end,
            fields,
            line: self.line,
            inner_lines,
        };
        self.pos = end + 1;
        self.line += inner_lines + 1;
        Some(record)
    }
}

/// How a delimited body is cut into records and fields, and what each
/// record should hold.
#[derive(Clone, Copy, Debug)]
pub struct BodyShape {
    pub separator: u8,
    pub quote: Option<u8>,
    /// Fields per record (the header's).
    pub expected: usize,
    /// The file line of the body's first byte.
    pub first_line: u64,
}

/// Check every record's field count and pick chunk boundaries at record starts.
pub fn scan_records(
    body: &[u8],
    shape: BodyShape,
    cancel: &CancelToken,
) -> Result<Scan, LoadError> {
    let BodyShape {
        separator,
        quote,
        expected,
        first_line,
    } = shape;
    let mut boundaries = vec![0];
    let mut next_boundary = CHUNK_BYTES;
    let mut records = 0u64;
    for r in Records::new(body, separator, quote, first_line) {
        if r.start >= next_boundary {
            boundaries.push(r.start);
            next_boundary = r.start + CHUNK_BYTES;
            cancel.check()?;
        }
        let problem = if (r.line_end - r.start) as u64 > MAX_LINE_BYTES {
            Some(ScanProblem::LineTooLong {
                line: r.line,
                bytes: (r.line_end - r.start) as u64,
            })
        } else if r.is_blank(body) {
            None
        } else {
            records += 1;
            (r.fields != expected).then_some(ScanProblem::Ragged {
                line: r.line,
                found: r.fields,
            })
        };
        if problem.is_some() {
            return Ok(Scan {
                boundaries,
                records,
                problem,
            });
        }
    }
    boundaries.push(body.len());
    Ok(Scan {
        boundaries,
        records,
        problem: None,
    })
}

/// Field count of the record starting at `start`, the offset of its ending
/// newline (or the end), and how many newlines sit inside quoted fields.
pub(super) fn count_quoted_record(
    body: &[u8],
    start: usize,
    separator: u8,
    quote: u8,
) -> (usize, usize, u64) {
    let mut fields = 1;
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut inner_lines = 0;
    let mut i = start;
    while i < body.len() {
        let b = body[i];
        if in_quotes {
            if b == quote {
                if body.get(i + 1) == Some(&quote) {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else if b == b'\n' {
                inner_lines += 1;
            }
        } else if b == separator {
            fields += 1;
            at_field_start = true;
            i += 1;
            continue;
        } else if b == b'\n' {
            return (fields, i, inner_lines);
        } else if b == quote && at_field_start {
            in_quotes = true;
        }
        at_field_start = false;
        i += 1;
    }
    (fields, body.len(), inner_lines)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Comma-separated, double quotes, the body starting on line 2.
    pub(crate) fn shape(expected: usize) -> BodyShape {
        BodyShape {
            separator: b',',
            quote: Some(b'"'),
            expected,
            first_line: 2,
        }
    }

    fn scan(text: &str, expected: usize) -> Scan {
        scan_records(text.as_bytes(), shape(expected), &CancelToken::new()).unwrap()
    }

    #[test]
    fn scan_finds_the_first_ragged_line() {
        let s = scan("1,2,3\n4,5,6\n7,8\n", 3);
        match s.problem {
            Some(ScanProblem::Ragged { line, found }) => assert_eq!((line, found), (4, 2)),
            _ => panic!("expected a ragged line"),
        }
    }

    #[test]
    fn quoted_newlines_and_separators_are_one_field() {
        let s = scan("1,\"a,b\nc\",3\n4,5,6\n", 3);
        assert!(s.problem.is_none());
        assert_eq!(s.records, 2);
    }

    #[test]
    fn a_short_line_deep_in_a_large_body_is_reported_with_its_line() {
        let mut body = Vec::new();
        for i in 0..3_000_000u32 {
            body.extend_from_slice(format!("{i},{},x\n", i % 7).as_bytes());
        }
        let cancel = CancelToken::new();
        let clean = scan_records(&body, shape(3), &cancel).unwrap();
        assert_eq!(clean.records, 3_000_000);
        assert!(clean.problem.is_none());
        let pos = body.len() * 3 / 4;
        let line_start = memchr::memrchr(b'\n', &body[..pos]).unwrap() + 1;
        let line_no = 2 + memchr::memchr_iter(b'\n', &body[..line_start]).count() as u64;
        body.splice(line_start..line_start, b"7\n".iter().copied());
        match scan_records(&body, shape(3), &cancel).unwrap().problem {
            Some(ScanProblem::Ragged { line, found }) => assert_eq!((line, found), (line_no, 1)),
            _ => panic!("expected the inserted one-field line to be ragged"),
        }
    }

    #[test]
    fn separator_count_detects_short_rows_and_blank_lines() {
        let check = |text: &[u8], expected: usize, rows: usize| {
            let (s, n) = count_separators_and_newlines(text, b',');
            let lines = n + usize::from(text.last().is_some_and(|&b| b != b'\n'));
            field_counts_match(s, lines, expected, rows)
        };
        assert!(check(b"1,2,3\n4,5,6\n", 3, 2));
        assert!(check(b"1,2,3\n4,5,6", 3, 2), "no final newline");
        assert!(!check(b"1,2,3\n4,5\n", 3, 2), "short row");
        assert!(
            !check(b"1,2,3\n\n4,5,6\n", 3, 2),
            "blank line goes to the exact scan"
        );
        assert!(check(b"a\nb\n", 1, 2));
    }

    #[test]
    fn newline_boundaries_cover_the_body() {
        let body = b"ab\ncd\nef\n";
        assert_eq!(newline_boundaries(body), Ok(vec![0, body.len()]));
    }

    #[test]
    fn polars_column_name_is_extracted_from_its_error() {
        let m = "could not parse `C536379` as dtype `i64` at column 'InvoiceNo' (column number 1)";
        assert_eq!(failing_column(m).as_deref(), Some("InvoiceNo"));
    }
}
