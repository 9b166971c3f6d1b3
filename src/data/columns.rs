//! Typed views of role columns: dense id codes, timestamps in seconds, numbers,
//! text — each validated with the line of the first bad value.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::dataset::Dataset;
use super::error::LoadError;
use super::roles::Role;
use super::timestamp::{parse_any, parser_for, unix_to_secs, Parser};
use crate::task::CancelToken;

/// Null marker in [`KeyCodes::codes`].
pub const NO_KEY: u32 = u32::MAX;

/// Missing marker in [`timestamps`] (8 bytes a row instead of 16 for `Option`).
pub const NO_TIME: i64 = i64::MIN;

/// Dense codes `0..n` for the distinct values of an id column, in order of first
/// appearance, with the original values to map back.
#[derive(Clone, Debug, Default)]
pub struct KeyCodes {
    pub codes: Vec<u32>,
    pub labels: KeyLabels,
}

#[derive(Clone, Debug)]
pub enum KeyLabels {
    Int(Vec<i64>),
    Text(Vec<String>),
}

impl Default for KeyLabels {
    fn default() -> Self {
        KeyLabels::Int(Vec::new())
    }
}

impl KeyLabels {
    pub fn len(&self) -> usize {
        match self {
            KeyLabels::Int(v) => v.len(),
            KeyLabels::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn label(&self, code: u32) -> String {
        match self {
            KeyLabels::Int(v) => v
                .get(code as usize)
                .map(|x| x.to_string())
                .unwrap_or_default(),
            KeyLabels::Text(v) => v.get(code as usize).cloned().unwrap_or_default(),
        }
    }
}

impl KeyCodes {
    pub fn n_distinct(&self) -> usize {
        self.labels.len()
    }
}

/// An integer column's values as `i64`, read where they are when the column
/// holds 32 or 64 bits: a large table keeps ids in 32 bits
/// ([`crate::data::dataset::COMPACT_FROM_ROWS`]), and casting one back
/// would copy the whole column. Other integer widths are cast (a copy).
pub enum Integers {
    I32(Int32Chunked),
    I64(Int64Chunked),
}

impl Integers {
    pub fn of(column: &Column) -> Result<Self, PolarsError> {
        Ok(match column.dtype() {
            DataType::Int32 => Self::I32(column.i32()?.clone()),
            _ => Self::I64(column.cast(&DataType::Int64)?.i64()?.clone()),
        })
    }

    pub fn len(&self) -> usize {
        match self {
            Self::I32(c) => c.len(),
            Self::I64(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<i64>> + '_ {
        match self {
            Self::I32(c) => EitherIter::Narrow(c.iter().map(|v| v.map(i64::from))),
            Self::I64(c) => EitherIter::Wide(c.iter()),
        }
    }
}

/// One of two iterators over the same items, as one type (a chain of the
/// two would test both on every step).
enum EitherIter<A, B> {
    Narrow(A),
    Wide(B),
}

impl<T, A: Iterator<Item = T>, B: Iterator<Item = T>> Iterator for EitherIter<A, B> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self {
            Self::Narrow(a) => a.next(),
            Self::Wide(b) => b.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Self::Narrow(a) => a.size_hint(),
            Self::Wide(b) => b.size_hint(),
        }
    }
}

/// Encode an id column. Integers stay integers (fast); anything else is read as
/// text; blank strings count as missing.
pub fn encode_keys(column: &Column) -> Result<KeyCodes, PolarsError> {
    let dtype = column.dtype();
    if dtype.is_integer() {
        let ca = Integers::of(column)?;
        let mut map: FxHashMap<i64, u32> = FxHashMap::default();
        let mut labels = Vec::new();
        let mut codes = Vec::with_capacity(ca.len());
        for value in ca.iter() {
            codes.push(match value {
                None => NO_KEY,
                Some(v) => *map.entry(v).or_insert_with(|| {
                    labels.push(v);
                    (labels.len() - 1) as u32
                }),
            });
        }
        return Ok(KeyCodes {
            codes,
            labels: KeyLabels::Int(labels),
        });
    }
    let cast = column.cast(&DataType::String)?;
    let ca = cast.str()?;
    let mut map: FxHashMap<&str, u32> = FxHashMap::default();
    let mut labels = Vec::new();
    let mut codes = Vec::with_capacity(ca.len());
    for value in ca.iter() {
        // Ids are kept exactly as written ('47503J ' and '47503J' stay two codes,
        // as in the source file); only blank cells count as missing.
        codes.push(match value {
            None => NO_KEY,
            Some(v) if v.trim().is_empty() => NO_KEY,
            Some(v) => *map.entry(v).or_insert_with(|| {
                labels.push(v.to_owned());
                (labels.len() - 1) as u32
            }),
        });
    }
    Ok(KeyCodes {
        codes,
        labels: KeyLabels::Text(labels),
    })
}

pub(crate) fn bad_value(
    ds: &Dataset,
    column: &str,
    row: usize,
    value: &str,
    expected: &str,
) -> LoadError {
    let mut shown: String = value.chars().take(60).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    LoadError::BadValue {
        path: ds.path.clone(),
        line: ds.line_of_row(row),
        column: column.to_owned(),
        value: shown,
        expected: expected.to_owned(),
    }
}

fn polars_error(ds: &Dataset, column: &str, e: PolarsError) -> LoadError {
    LoadError::parse(&ds.path, format!("column '{column}': {e}"))
}

/// Unix seconds (UTC) for every row; [`NO_TIME`] where the cell is empty.
pub fn timestamps(ds: &Dataset, name: &str) -> Result<Vec<i64>, LoadError> {
    timestamps_cancellable(ds, name, &CancelToken::new(), &mut |_| {})
}

/// Rows of a text column parsed between two checks of cancel (and two
/// progress reports) in [`timestamps_cancellable`]: an atomic read per
/// 16,384 rows costs nothing, and 10⁸ rows report every few milliseconds.
pub const TIMESTAMP_ROWS_PER_CHECK: usize = 1 << 14;

/// [`timestamps`], checking `cancel` and calling `parsed(fraction done)`
/// every [`TIMESTAMP_ROWS_PER_CHECK`] rows while a text column is parsed,
/// the slow case: 10⁸ rows of dates take tens of seconds.
pub fn timestamps_cancellable(
    ds: &Dataset,
    name: &str,
    cancel: &CancelToken,
    parsed: &mut dyn FnMut(f32),
) -> Result<Vec<i64>, LoadError> {
    let column = ds.df.column(name).map_err(|e| polars_error(ds, name, e))?;
    let dtype = column.dtype().clone();
    match dtype {
        DataType::Datetime(unit, _) => {
            let per_sec = match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            };
            let cast = column.cast(&DataType::Int64).map_err(|e| polars_error(ds, name, e))?;
            let ca = cast.i64().map_err(|e| polars_error(ds, name, e))?;
            Ok(ca.iter().map(|v| v.map_or(NO_TIME, |x| x.div_euclid(per_sec))).collect())
        }
        DataType::Date => {
            let cast = column.cast(&DataType::Int32).map_err(|e| polars_error(ds, name, e))?;
            let ca = cast.i32().map_err(|e| polars_error(ds, name, e))?;
            Ok(ca.iter().map(|v| v.map_or(NO_TIME, |d| i64::from(d) * 86_400)).collect())
        }
        d if d.is_integer() || d.is_float() => {
            let ca = Integers::of(column).map_err(|e| polars_error(ds, name, e))?;
            // One unit for the whole column, decided by its largest value.
            let max = ca.iter().flatten().map(i64::abs).max().unwrap_or(0);
            let millis = unix_to_secs(max) != max;
            Ok(ca
                .iter()
                .map(|v| v.map_or(NO_TIME, |x| if millis { x.div_euclid(1000) } else { x }))
                .collect())
        }
        DataType::String => {
            let ca = column.str().map_err(|e| polars_error(ds, name, e))?;
            let mut parser: Option<Parser> = None;
            let mut out = Vec::with_capacity(ca.len());
            for (row, value) in ca.iter().enumerate() {
                if row % TIMESTAMP_ROWS_PER_CHECK == 0 && row > 0 {
                    cancel.check()?;
                    parsed(row as f32 / ca.len() as f32);
                }
                let Some(text) = value.filter(|t| !t.trim().is_empty()) else {
                    out.push(NO_TIME);
                    continue;
                };
                let parsed = parser.and_then(|p| p(text)).or_else(|| {
                    parser = parser_for(text);
                    parser.and_then(|p| p(text))
                });
                match parsed {
                    Some(secs) => out.push(secs),
                    None => {
                        return Err(bad_value(
                            ds,
                            name,
                            row,
                            text,
                            "a timestamp (unix seconds/ms, ISO 8601, YYYY-MM-DD HH:MM:SS or M/D/YYYY H:MM)",
                        ))
                    }
                }
            }
            Ok(out)
        }
        other => Err(LoadError::parse(
            &ds.path,
            format!("column '{name}' holds {other} values, which cannot be read as timestamps. Pick another timestamp column."),
        )),
    }
}

/// Numbers for every row (NaN where empty); text that is not a number is an error.
pub fn numbers(ds: &Dataset, name: &str, what: &str) -> Result<Vec<f64>, LoadError> {
    let column = ds.df.column(name).map_err(|e| polars_error(ds, name, e))?;
    let dtype = column.dtype().clone();
    if dtype.is_primitive_numeric() || dtype == DataType::Boolean {
        let cast = column
            .cast(&DataType::Float64)
            .map_err(|e| polars_error(ds, name, e))?;
        let ca = cast.f64().map_err(|e| polars_error(ds, name, e))?;
        return Ok(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect());
    }
    let cast = column
        .cast(&DataType::String)
        .map_err(|e| polars_error(ds, name, e))?;
    let ca = cast.str().map_err(|e| polars_error(ds, name, e))?;
    let mut out = Vec::with_capacity(ca.len());
    for (row, value) in ca.iter().enumerate() {
        match value.map(str::trim) {
            None | Some("") => out.push(f64::NAN),
            Some(t) => match t.parse::<f64>() {
                Ok(v) if v.is_finite() => out.push(v),
                _ => return Err(bad_value(ds, name, row, t, &format!("a number ({what})"))),
            },
        }
    }
    Ok(out)
}

/// Text values (numbers and other types are formatted); `None` where empty.
pub fn texts(ds: &Dataset, name: &str) -> Result<Vec<Option<String>>, LoadError> {
    let column = ds.df.column(name).map_err(|e| polars_error(ds, name, e))?;
    let cast = column
        .cast(&DataType::String)
        .map_err(|e| polars_error(ds, name, e))?;
    let ca = cast.str().map_err(|e| polars_error(ds, name, e))?;
    Ok(ca
        .iter()
        .map(|v| v.filter(|t| !t.trim().is_empty()).map(str::to_owned))
        .collect())
}

/// A 64-bit hash of an order id (orders are counted, not kept).
pub fn hash_text(t: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// What order line `row` is worth: its price times its quantity (1 when
/// the quantity is missing), when it has a price.
pub fn line_amount(price: Option<&[f64]>, quantity: Option<&[f64]>, row: usize) -> Option<f64> {
    let p = price.map(|p| p[row]).filter(|p| p.is_finite())?;
    let q = quantity.map(|q| q[row]).filter(|q| q.is_finite());
    Some(p * q.unwrap_or(1.0))
}

impl Dataset {
    /// The numbers of `role`'s column, when the data has one.
    pub fn role_numbers(&self, role: Role) -> Result<Option<Vec<f64>>, LoadError> {
        let name = role.name();
        self.roles
            .get(role)
            .map(|c| numbers(self, c, name))
            .transpose()
    }

    /// The text of `role`'s column, when the data has one.
    pub fn role_texts(&self, role: Role) -> Result<Option<Vec<Option<String>>>, LoadError> {
        self.roles.get(role).map(|c| texts(self, c)).transpose()
    }

    /// Dense codes of `role`'s column, when the data has one.
    pub fn role_keys(&self, role: Role) -> Result<Option<KeyCodes>, LoadError> {
        self.role_column(role)
            .map(|c| {
                encode_keys(c).map_err(|e| {
                    LoadError::parse(&self.path, format!("column '{}': {e}", c.name()))
                })
            })
            .transpose()
    }

    /// Unix seconds of `role`'s column, when the data has one.
    pub fn role_times(&self, role: Role) -> Result<Option<Vec<i64>>, LoadError> {
        self.roles
            .get(role)
            .map(|c| timestamps(self, c))
            .transpose()
    }
}

/// Check a timestamp string the way [`timestamps`] would (for tests and the UI).
pub fn is_timestamp(text: &str) -> bool {
    parse_any(text).is_some()
}
