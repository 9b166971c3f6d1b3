//! A loaded table with known column roles: what every model module starts from.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::LoadError;
use super::reader::{read_table, separator_name};
use super::roles::{infer_roles, ColumnRoles, Role};
use super::skip::SkippedLines;
use super::sniff::FileKind;
use crate::task::CancelToken;

/// How to load a file. Everything is optional: the defaults detect it all.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadOptions {
    /// Force a known format by name instead of detecting it.
    pub format: Option<String>,
    /// Role overrides: `Some(column)` assigns, `None` clears the role.
    pub roles: Vec<(Role, Option<String>)>,
    /// Keep order rows that the default cleaning would drop.
    pub keep_uncleaned: bool,
    /// Leave out malformed lines (and say which) instead of refusing the
    /// file.
    pub skip_bad_lines: bool,
    /// Memory (bytes) the load may count on at most, below what the system
    /// has free (a machine shared with other work); `None`: what is free,
    /// capped by `SHOPLENS_MAX_MEMORY` when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_memory: Option<u64>,
}

/// A loaded table and what its columns mean.
pub struct Dataset {
    pub path: PathBuf,
    pub format: String,
    pub format_description: String,
    pub kind: FileKind,
    pub file_bytes: u64,
    pub data_bytes: u64,
    pub gzip: bool,
    /// Separator and header, for delimited text.
    pub separator: Option<String>,
    pub has_header: bool,
    /// Every row of the file, as read.
    pub df: DataFrame,
    pub roles: ColumnRoles,
    pub options: LoadOptions,
    pub read_secs: f64,
    /// Malformed lines left out (with `options.skip_bad_lines`).
    pub skipped: SkippedLines,
}

impl Dataset {
    pub fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The column holding `role`, if assigned.
    pub fn role_column(&self, role: Role) -> Option<&Column> {
        self.roles
            .get(role)
            .and_then(|name| self.df.column(name).ok())
    }

    /// 1-based line in the file of 0-based data row `row`, for error messages.
    /// Exact unless quoted fields span lines.
    pub fn line_of_row(&self, row: usize) -> u64 {
        let line = row as u64 + 1 + u64::from(self.has_header && self.kind == FileKind::Delimited);
        self.skipped.shift(line)
    }

    /// The same data with other roles; validated like a fresh load.
    pub fn with_roles(&self, overrides: &[(Role, Option<String>)]) -> Result<Dataset, LoadError> {
        let mut roles = self.roles.clone();
        apply_overrides(&self.path, &self.df, &mut roles, overrides)?;
        validate_roles(&self.path, &self.df, &roles)?;
        let mut options = self.options.clone();
        options.roles = overrides.to_vec();
        Ok(Dataset {
            path: self.path.clone(),
            format: self.format.clone(),
            format_description: self.format_description.clone(),
            kind: self.kind,
            file_bytes: self.file_bytes,
            data_bytes: self.data_bytes,
            gzip: self.gzip,
            separator: self.separator.clone(),
            has_header: self.has_header,
            df: self.df.clone(),
            roles,
            options,
            read_secs: self.read_secs,
            skipped: self.skipped.clone(),
        })
    }
}

/// Read `path`, recognise its format and assign column roles.
pub fn load_dataset(
    path: &Path,
    options: &LoadOptions,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Dataset, LoadError> {
    let start = Instant::now();
    let table = read_table(
        path,
        options.format.as_deref(),
        options.skip_bad_lines,
        options.max_memory,
        cancel,
        progress,
    )?;
    let mut roles = infer_roles(&table.df, table.format.roles);
    apply_overrides(path, &table.df, &mut roles, &options.roles)?;
    validate_roles(path, &table.df, &roles)?;
    let mut dataset = Dataset {
        path: path.to_path_buf(),
        format: table.format.name.to_owned(),
        format_description: table.format.description.to_owned(),
        kind: table.kind,
        file_bytes: table.file_bytes,
        data_bytes: table.data_bytes,
        gzip: table.gzip,
        separator: table.layout.as_ref().map(|l| separator_name(l.separator)),
        has_header: table.layout.as_ref().is_none_or(|l| l.has_header),
        df: table.df,
        roles,
        options: options.clone(),
        read_secs: 0.0,
        skipped: table.skipped,
    };
    dataset.compact(COMPACT_FROM_ROWS, cancel, progress)?;
    dataset.read_secs = start.elapsed().as_secs_f64();
    Ok(dataset)
}

/// Tables from this many rows on are stored compactly. A text timestamp
/// column becomes date-times: `2024-01-01 07:00:00` is 35 bytes a row as
/// text and 8 as a date-time, which on a 10⁸-event log is 2.7 GB of memory.
/// And a 64-bit integer column whose values all fit in 32 bits (ids,
/// quantities) is held in 32, 4 bytes a row less. Smaller tables keep the
/// columns as read, which the preview and profile then show.
pub const COMPACT_FROM_ROWS: usize = 1_000_000;

impl Dataset {
    /// Store a table of `from_rows` rows or more compactly, and give back to
    /// the system the memory that freed. The timestamps first; then every
    /// 64-bit integer column whose values fit in 32 bits is held in 32: on a
    /// 10⁸-event log with user, item and session ids that is 1.2 GB of
    /// memory. Every reader of an integer column reads 32 bits in place
    /// ([`super::columns::Integers`]), so the values read are unchanged.
    fn compact(
        &mut self,
        from_rows: usize,
        cancel: &CancelToken,
        progress: &dyn Fn(f32, &str),
    ) -> Result<(), LoadError> {
        if self.df.height() < from_rows {
            return Ok(());
        }
        self.compact_timestamps(cancel, progress)?;
        let wide: Vec<String> = self
            .df
            .columns()
            .iter()
            .filter(|c| c.dtype() == &DataType::Int64)
            .map(|c| c.name().to_string())
            .collect();
        if !wide.is_empty() {
            progress(1.0, "storing ids as 32-bit integers");
        }
        for name in wide {
            cancel.check()?;
            let Ok(column) = self.df.column(&name) else {
                continue;
            };
            // A strict cast refuses a value past 32 bits: the column stays.
            if let Ok(narrow) = column.strict_cast(&DataType::Int32) {
                let _ = self.df.with_column(narrow);
            }
        }
        super::memory::release_freed();
        Ok(())
    }

    /// Replace a large table's text timestamp column by UTC date-times
    /// (milliseconds), parsed as every reader of the column would parse it.
    /// A column with a cell that does not parse stays text, so the error
    /// that names the cell comes when a step reads it. On a 10⁸-row table
    /// this takes seconds, so it reports its progress through the parse and
    /// stops there when cancelled.
    fn compact_timestamps(
        &mut self,
        cancel: &CancelToken,
        progress: &dyn Fn(f32, &str),
    ) -> Result<(), LoadError> {
        let Some(name) = self.roles.get(Role::Timestamp).map(str::to_owned) else {
            return Ok(());
        };
        if !matches!(
            self.df.column(&name).map(|c| c.dtype()),
            Ok(DataType::String)
        ) {
            return Ok(());
        }
        const STATUS: &str = "storing timestamps as date-times";
        progress(0.95, STATUS);
        cancel.check()?;
        let secs = match super::columns::timestamps_cancellable(self, &name, cancel, &mut |done| {
            progress(0.95 + 0.05 * done, STATUS)
        }) {
            Ok(secs) => secs,
            Err(LoadError::Cancelled) => return Err(LoadError::Cancelled),
            // A cell that is not a time: the column stays text.
            Err(_) => return Ok(()),
        };
        cancel.check()?;
        let millis: Int64Chunked = secs
            .iter()
            .map(|&s| (s != super::columns::NO_TIME).then(|| s.saturating_mul(1000)))
            .collect();
        drop(secs);
        let column = millis
            .into_datetime(TimeUnit::Milliseconds, None)
            .into_series()
            .with_name(name.as_str().into());
        // Keep the text column when polars refuses (it should not: same name, same height).
        let _ = self.df.with_column(column.into_column());
        Ok(())
    }
}

fn column_list(df: &DataFrame) -> String {
    df.get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn apply_overrides(
    path: &Path,
    df: &DataFrame,
    roles: &mut ColumnRoles,
    overrides: &[(Role, Option<String>)],
) -> Result<(), LoadError> {
    for (role, column) in overrides {
        if let Some(c) = column {
            if df.column(c).is_err() {
                return Err(LoadError::UnknownColumn {
                    path: path.to_path_buf(),
                    column: c.clone(),
                    role: role.to_string(),
                    columns: column_list(df),
                });
            }
        }
        roles.set(*role, column.clone());
    }
    Ok(())
}

/// A table is usable when it says who acted on what, or holds review text.
fn validate_roles(path: &Path, df: &DataFrame, roles: &ColumnRoles) -> Result<(), LoadError> {
    let has = |r| roles.get(r).is_some();
    if !(has(Role::User) || has(Role::Item) || has(Role::Text)) {
        return Err(LoadError::MissingRole {
            path: path.to_path_buf(),
            what: "a user or item id (or review text)".into(),
            flag: "user-col / --item-col / --text-col".into(),
            columns: column_list(df),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::columns::timestamps;

    fn load(path: &Path) -> Dataset {
        load_dataset(
            path,
            &LoadOptions::default(),
            &CancelToken::new(),
            &|_, _| {},
        )
        .unwrap()
    }

    #[test]
    fn compacted_timestamps_read_the_same_seconds() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/events.csv");
        let mut ds = load(&path);
        let name = ds.roles.get(Role::Timestamp).unwrap().to_owned();
        assert_eq!(ds.df.column(&name).unwrap().dtype(), &DataType::String);
        let before = timestamps(&ds, &name).unwrap();
        ds.compact_timestamps(&CancelToken::new(), &|_, _| {})
            .unwrap();
        assert!(matches!(
            ds.df.column(&name).unwrap().dtype(),
            DataType::Datetime(TimeUnit::Milliseconds, None)
        ));
        assert_eq!(timestamps(&ds, &name).unwrap(), before);
    }

    #[test]
    fn cancelling_while_compacting_stops_with_the_text_column_kept() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/events.csv");
        let mut ds = load(&path);
        let name = ds.roles.get(Role::Timestamp).unwrap().to_owned();
        let cancel = CancelToken::new();
        cancel.cancel();
        let said = std::cell::RefCell::new(Vec::new());
        let result =
            ds.compact_timestamps(&cancel, &|_, what| said.borrow_mut().push(what.to_owned()));
        assert!(matches!(result, Err(LoadError::Cancelled)), "{result:?}");
        assert_eq!(said.into_inner(), ["storing timestamps as date-times"]);
        assert_eq!(ds.df.column(&name).unwrap().dtype(), &DataType::String);
    }

    #[test]
    fn cancelling_in_the_middle_of_the_parse_stops_it_with_the_text_column_kept() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/events.csv");
        let mut ds = load(&path);
        assert!(ds.df.height() > 2 * crate::data::columns::TIMESTAMP_ROWS_PER_CHECK);
        let name = ds.roles.get(Role::Timestamp).unwrap().to_owned();
        let cancel = CancelToken::new();
        let reported = std::cell::RefCell::new(Vec::new());
        // The first report from inside the parse cancels it.
        let result = ds.compact_timestamps(&cancel, &|fraction, _| {
            reported.borrow_mut().push(fraction);
            if fraction > 0.95 {
                cancel.cancel();
            }
        });
        assert!(matches!(result, Err(LoadError::Cancelled)), "{result:?}");
        let reported = reported.into_inner();
        assert_eq!(reported.len(), 2, "stopped at the next check: {reported:?}");
        assert!(reported[1] > 0.95 && reported[1] < 1.0, "{reported:?}");
        assert_eq!(ds.df.column(&name).unwrap().dtype(), &DataType::String);
    }

    /// Ids held in 32 bits read as the same codes, labels, duplicate count
    /// and seconds; a column with a value past 32 bits keeps 64.
    #[test]
    fn compacted_integers_read_the_same_values() {
        use crate::data::columns::encode_keys;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        std::fs::write(
            &path,
            "user_id,item_id,time,big\n\
             7,-2147483648,1700000000,1\n\
             9,2147483647,1700000060,4294967296\n\
             7,-2147483648,1700000000,1\n\
             ,5,1700000120,2\n",
        )
        .unwrap();
        let options = LoadOptions {
            roles: vec![(Role::Timestamp, Some("time".into()))],
            ..Default::default()
        };
        let mut ds = load_dataset(&path, &options, &CancelToken::new(), &|_, _| {}).unwrap();
        let read = |ds: &Dataset| {
            let keys = |name: &str| {
                let codes = encode_keys(ds.df.column(name).unwrap()).unwrap();
                (codes.codes, format!("{:?}", codes.labels))
            };
            let profile =
                crate::data::profile::profile(ds, &CancelToken::new(), &|_, _| {}).unwrap();
            (
                keys("user_id"),
                keys("item_id"),
                keys("big"),
                timestamps(ds, "time").unwrap(),
                (profile.duplicate_rows, profile.users, profile.items),
            )
        };
        let before = read(&ds);
        assert_eq!(ds.df.column("user_id").unwrap().dtype(), &DataType::Int64);
        let said = std::cell::RefCell::new(Vec::new());
        ds.compact(0, &CancelToken::new(), &|_, what| {
            said.borrow_mut().push(what.to_owned())
        })
        .unwrap();
        assert_eq!(said.into_inner(), ["storing ids as 32-bit integers"]);
        for (name, dtype) in [
            ("user_id", DataType::Int32),
            ("item_id", DataType::Int32),
            ("time", DataType::Int32),
            ("big", DataType::Int64),
        ] {
            assert_eq!(ds.df.column(name).unwrap().dtype(), &dtype, "{name}");
        }
        assert_eq!(read(&ds), before);
        assert_eq!(
            before.4,
            (Some(1), Some(2), Some(3)),
            "rows repeated, users, items"
        );
    }

    #[test]
    fn a_timestamp_column_with_a_bad_cell_stays_text() {
        let dir = std::env::temp_dir().join(format!("shoplens-compact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.csv");
        std::fs::write(
            &path,
            "user_id,item_id,timestamp\n1,2,2024-01-01 07:00:00\n2,3,yesterday\n",
        )
        .unwrap();
        let options = LoadOptions {
            roles: vec![(Role::Timestamp, Some("timestamp".into()))],
            ..Default::default()
        };
        let mut ds = load_dataset(&path, &options, &CancelToken::new(), &|_, _| {}).unwrap();
        assert_eq!(ds.roles.get(Role::Timestamp), Some("timestamp"));
        ds.compact_timestamps(&CancelToken::new(), &|_, _| {})
            .unwrap();
        assert_eq!(
            ds.df.column("timestamp").unwrap().dtype(),
            &DataType::String
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
