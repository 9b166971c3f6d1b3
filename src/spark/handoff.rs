//! The hand-off folder a Spark job reads:
//!
//! ```text
//! WORK/train/day=2019-10-01/part-00000.parquet   user_idx i32, item_idx i32, weight f32
//! WORK/train/day=…/…                             (day=unknown when the data has no time)
//! WORK/users.parquet                             user_idx i32, user_id str
//! WORK/items.parquet                             item_idx i32, item_id str
//! WORK/job.json                                  params, seed, paths, counts
//! ```
//!
//! The train split's events are written straight from the loaded
//! interactions, one day at a time: only an index of the train rows,
//! ordered by day, is built (4 bytes per event), never a second copy of the
//! events. Days are UTC; a day of more than [`ROWS_PER_FILE`] events is
//! split over several files. Paths in `job.json` are `file://` URIs, so a
//! cluster whose default file system is HDFS still reads the shared folder.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::data::timestamp::format_day;
use crate::task::{CancelToken, TaskError};

/// Events per Parquet file (a day with more is split).
pub const ROWS_PER_FILE: usize = 4_000_000;

/// The day partition of events without a time.
pub const UNKNOWN_DAY: &str = "unknown";

/// What was written, and where the job will write the factors.
#[derive(Clone, Debug, PartialEq)]
pub struct Handoff {
    pub dir: PathBuf,
    pub train: PathBuf,
    pub users: PathBuf,
    pub items: PathBuf,
    pub spec: PathBuf,
    pub user_factors: PathBuf,
    pub item_factors: PathBuf,
    /// Train events written.
    pub events: usize,
    /// Day partitions written.
    pub days: usize,
}

/// `job.json`: everything the job needs, nothing it must guess.
#[derive(Serialize)]
struct JobSpec<'a> {
    format: &'a str,
    version: u32,
    app_name: String,
    created_by: String,
    params: JobParams,
    paths: BTreeMap<&'a str, String>,
    counts: BTreeMap<&'a str, usize>,
}

/// The job's parameters, under MLlib's names and conventions (see the job
/// script's docstring).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobParams {
    pub rank: usize,
    pub max_iter: usize,
    pub reg_param: f32,
    pub alpha: f32,
    /// Spark's seed is a Java long: the same bits as the run's.
    pub seed: i64,
    pub blocks: usize,
    pub implicit_prefs: bool,
}

/// The events handed off, column by column: user and item indices, weights
/// and (when the data has them) unix times, the rows held out for testing
/// marked, and the ids behind the indices.
#[derive(Clone, Copy)]
pub struct Events<'a> {
    pub users: &'a [u32],
    pub items: &'a [u32],
    pub weights: &'a [f32],
    pub times: Option<&'a [i64]>,
    /// Rows that are not handed off (the test split's).
    pub held_out: &'a [bool],
    pub user_labels: &'a [String],
    pub item_labels: &'a [String],
}

impl Events<'_> {
    fn len(&self) -> usize {
        self.users.len()
    }
}

fn io(path: &Path, what: &str, e: impl std::fmt::Display) -> TaskError {
    TaskError::Input(format!("{}: cannot {what} ({e})", path.display()))
}

/// A `file://` URI for an absolute local path.
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Write the hand-off of `events` into `dir` (which must exist) for a job
/// of `params`; `progress` gets the fraction written.
pub fn write(
    dir: &Path,
    events: Events,
    params: &JobParams,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Handoff, TaskError> {
    let (n_users, n_items) = (events.user_labels.len(), events.item_labels.len());
    if n_users > i32::MAX as usize || n_items > i32::MAX as usize {
        return Err(TaskError::Input(format!(
            "{n_users} customers × {n_items} items do not fit Spark's 32-bit ids"
        )));
    }
    let n = events.len();
    if [
        events.items.len(),
        events.weights.len(),
        events.held_out.len(),
    ]
    .iter()
    .any(|&m| m != n)
        || events.times.is_some_and(|t| t.len() != n)
    {
        return Err(TaskError::Input(
            "the hand-off's columns differ in length".into(),
        ));
    }
    let handoff = Handoff {
        dir: dir.to_path_buf(),
        train: dir.join("train"),
        users: dir.join("users.parquet"),
        items: dir.join("items.parquet"),
        spec: dir.join("job.json"),
        user_factors: dir.join("user_factors"),
        item_factors: dir.join("item_factors"),
        events: 0,
        days: 0,
    };
    let (order, days) = train_rows_by_day(events);
    let total = order.len();
    let mut written = 0usize;
    for (day, range) in &days {
        cancel.check().map_err(|_| TaskError::Cancelled)?;
        let folder = handoff.train.join(format!("day={day}"));
        std::fs::create_dir_all(&folder).map_err(|e| io(&folder, "create the folder", e))?;
        for (part, rows) in order[range.clone()].chunks(ROWS_PER_FILE).enumerate() {
            let mut df = DataFrame::new(
                rows.len(),
                vec![
                    Column::new(
                        "user_idx".into(),
                        rows.iter()
                            .map(|&r| events.users[r as usize] as i32)
                            .collect::<Vec<i32>>(),
                    ),
                    Column::new(
                        "item_idx".into(),
                        rows.iter()
                            .map(|&r| events.items[r as usize] as i32)
                            .collect::<Vec<i32>>(),
                    ),
                    Column::new(
                        "weight".into(),
                        rows.iter()
                            .map(|&r| events.weights[r as usize])
                            .collect::<Vec<f32>>(),
                    ),
                ],
            )
            .map_err(|e| TaskError::Input(format!("cannot build the day {day}: {e}")))?;
            write_parquet(&folder.join(format!("part-{part:05}.parquet")), &mut df)?;
            written += rows.len();
        }
        progress(
            written as f32 / total.max(1) as f32,
            &format!(
                "writing the hand-off: day {day}, {} of {} events",
                crate::display::thousands(written as u64),
                crate::display::thousands(total as u64)
            ),
        );
    }
    write_ids(&handoff.users, "user_idx", "user_id", events.user_labels)?;
    write_ids(&handoff.items, "item_idx", "item_id", events.item_labels)?;
    let spec = JobSpec {
        format: "shoplens-spark-als",
        version: 1,
        app_name: "shoplens ALS".into(),
        created_by: format!("shoplens {}", env!("CARGO_PKG_VERSION")),
        params: params.clone(),
        paths: BTreeMap::from([
            ("train", file_uri(&handoff.train)),
            ("users", file_uri(&handoff.users)),
            ("items", file_uri(&handoff.items)),
            ("user_factors", file_uri(&handoff.user_factors)),
            ("item_factors", file_uri(&handoff.item_factors)),
            ("checkpoints", file_uri(&dir.join("checkpoints"))),
        ]),
        counts: BTreeMap::from([
            ("users", n_users),
            ("items", n_items),
            ("train_events", total),
            ("days", days.len()),
        ]),
    };
    let json = serde_json::to_vec_pretty(&spec)
        .map_err(|e| TaskError::Input(format!("cannot write job.json: {e}")))?;
    std::fs::write(&handoff.spec, json).map_err(|e| io(&handoff.spec, "write", e))?;
    Ok(Handoff {
        events: total,
        days: days.len(),
        ..handoff
    })
}

/// The train rows ordered by UTC day (a counting sort, stable within a
/// day), and each day's name with its range in that order.
fn train_rows_by_day(events: Events) -> (Vec<u32>, Vec<(String, std::ops::Range<usize>)>) {
    let train = || (0..events.len()).filter(|&r| !events.held_out[r]);
    let Some(times) = events.times else {
        let rows: Vec<u32> = train().map(|r| r as u32).collect();
        let n = rows.len();
        return (rows, vec![(UNKNOWN_DAY.to_owned(), 0..n)]);
    };
    let day_of = |r: usize| times[r].div_euclid(86_400);
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for r in train() {
        *counts.entry(day_of(r)).or_default() += 1;
    }
    let mut start: BTreeMap<i64, usize> = BTreeMap::new();
    let mut days = Vec::with_capacity(counts.len());
    let mut at = 0;
    for (&day, &n) in &counts {
        start.insert(day, at);
        days.push((format_day(day), at..at + n));
        at += n;
    }
    let mut rows = vec![0u32; at];
    for r in train() {
        if let Some(slot) = start.get_mut(&day_of(r)) {
            rows[*slot] = r as u32;
            *slot += 1;
        }
    }
    (rows, days)
}

fn write_ids(path: &Path, index: &str, id: &str, labels: &[String]) -> Result<(), TaskError> {
    let mut df = DataFrame::new(
        labels.len(),
        vec![
            Column::new(index.into(), (0..labels.len() as i32).collect::<Vec<i32>>()),
            Column::new(id.into(), labels),
        ],
    )
    .map_err(|e| TaskError::Input(format!("cannot build the id map {}: {e}", path.display())))?;
    write_parquet(path, &mut df)
}

fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<(), TaskError> {
    let file = File::create(path).map_err(|e| io(path, "write", e))?;
    ParquetWriter::new(file)
        .finish(df)
        .map_err(|e| io(path, "write Parquet", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two days in 2019-10, one event the split holds out.
    const TIMES: [i64; 5] = [
        1_569_888_000,
        1_569_888_000 + 90_000,
        1_569_888_100,
        1_569_888_000 + 90_100,
        1_569_888_000 + 200_000,
    ];

    struct Data {
        users: Vec<String>,
        items: Vec<String>,
    }

    fn data() -> Data {
        Data {
            users: vec!["u-a".into(), "u-b".into(), "u-c".into()],
            items: vec!["x".into(), "y".into(), "z".into()],
        }
    }

    fn events<'a>(d: &'a Data, held_out: &'a [bool], timed: bool) -> Events<'a> {
        Events {
            users: &[0, 1, 0, 2, 1],
            items: &[1, 0, 2, 2, 1],
            weights: &[1.0, 2.0, 1.0, 3.0, 0.5],
            times: timed.then_some(&TIMES[..]),
            held_out,
            user_labels: &d.users,
            item_labels: &d.items,
        }
    }

    fn params(seed: i64) -> JobParams {
        JobParams {
            rank: 64,
            max_iter: 10,
            reg_param: 0.1,
            alpha: 40.0,
            seed,
            blocks: 10,
            implicit_prefs: true,
        }
    }

    fn read(path: &Path) -> DataFrame {
        ParquetReader::new(File::open(path).unwrap())
            .finish()
            .unwrap()
    }

    #[test]
    fn train_events_go_to_one_partition_per_day_with_32_bit_ids() {
        let d = data();
        let is_test = vec![false, false, false, false, true];
        let dir = tempfile::tempdir().unwrap();
        let h = write(
            dir.path(),
            events(&d, &is_test, true),
            &params(7),
            &CancelToken::new(),
            &|_, _| {},
        )
        .unwrap();
        assert_eq!((h.events, h.days), (4, 2));
        let first = read(&h.train.join("day=2019-10-01/part-00000.parquet"));
        assert_eq!(first.height(), 2);
        assert_eq!(first.column("user_idx").unwrap().dtype(), &DataType::Int32);
        assert_eq!(first.column("item_idx").unwrap().dtype(), &DataType::Int32);
        let users: Vec<i32> = first
            .column("user_idx")
            .unwrap()
            .i32()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(users, vec![0, 0], "the day's rows in their order");
        let second = read(&h.train.join("day=2019-10-02/part-00000.parquet"));
        let weights: Vec<f32> = second
            .column("weight")
            .unwrap()
            .f32()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(weights, vec![2.0, 3.0]);
        assert!(
            !h.train.join("day=2019-10-03").exists(),
            "the held-out event is not handed off"
        );
        let ids = read(&h.users);
        let labels: Vec<&str> = ids
            .column("user_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(labels, vec!["u-a", "u-b", "u-c"]);
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&h.spec).unwrap()).unwrap();
        assert_eq!(spec["format"], "shoplens-spark-als");
        assert_eq!(spec["params"]["rank"], 64);
        assert_eq!(spec["params"]["seed"], 7);
        assert_eq!(spec["counts"]["train_events"], 4);
        assert!(spec["paths"]["train"]
            .as_str()
            .unwrap()
            .starts_with("file:///"));
    }

    #[test]
    fn events_without_time_are_one_unknown_day() {
        let d = data();
        let is_test = vec![false; 5];
        let dir = tempfile::tempdir().unwrap();
        let h = write(
            dir.path(),
            events(&d, &is_test, false),
            &params(1),
            &CancelToken::new(),
            &|_, _| {},
        )
        .unwrap();
        assert_eq!((h.events, h.days), (5, 1));
        assert_eq!(
            read(&h.train.join("day=unknown/part-00000.parquet")).height(),
            5
        );
    }

    #[test]
    fn a_cancelled_hand_off_stops() {
        let d = data();
        let is_test = vec![false; 5];
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancelToken::new();
        cancel.cancel();
        let e = write(
            dir.path(),
            events(&d, &is_test, true),
            &params(1),
            &cancel,
            &|_, _| {},
        )
        .unwrap_err();
        assert!(matches!(e, TaskError::Cancelled));
    }
}
