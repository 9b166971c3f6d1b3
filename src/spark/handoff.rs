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

use super::params::SparkAlsParams;
use crate::data::timestamp::format_day;
use crate::recsys::models::TrainEvents;
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

/// MLlib's names and conventions (see the job script's docstring).
#[derive(Serialize)]
struct JobParams {
    rank: usize,
    max_iter: usize,
    reg_param: f32,
    alpha: f32,
    seed: i64,
    blocks: usize,
    implicit_prefs: bool,
}

fn io(path: &Path, what: &str, e: impl std::fmt::Display) -> TaskError {
    TaskError::Input(format!("{}: cannot {what} ({e})", path.display()))
}

/// A `file://` URI for an absolute local path.
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Write the hand-off of `events` into `dir` (which must exist), for a
/// model of `n_users × n_items`; `progress` gets the fraction written.
pub fn write(
    dir: &Path,
    events: TrainEvents,
    params: &SparkAlsParams,
    seed: u64,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Handoff, TaskError> {
    let data = events.data;
    let (n_users, n_items) = (data.n_users(), data.n_items());
    if n_users > i32::MAX as usize || n_items > i32::MAX as usize {
        return Err(TaskError::Input(format!(
            "{n_users} customers × {n_items} items do not fit Spark's 32-bit ids"
        )));
    }
    if events.is_test.len() != data.len() {
        return Err(TaskError::Input(
            "the split does not match the interactions".into(),
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
                            .map(|&r| data.users[r as usize] as i32)
                            .collect::<Vec<i32>>(),
                    ),
                    Column::new(
                        "item_idx".into(),
                        rows.iter()
                            .map(|&r| data.items[r as usize] as i32)
                            .collect::<Vec<i32>>(),
                    ),
                    Column::new(
                        "weight".into(),
                        rows.iter()
                            .map(|&r| data.weights[r as usize])
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
    write_ids(&handoff.users, "user_idx", "user_id", &data.user_labels)?;
    write_ids(&handoff.items, "item_idx", "item_id", &data.item_labels)?;
    let spec = JobSpec {
        format: "shoplens-spark-als",
        version: 1,
        app_name: "shoplens ALS".into(),
        created_by: format!("shoplens {}", env!("CARGO_PKG_VERSION")),
        params: JobParams {
            rank: params.factors,
            max_iter: params.iterations,
            reg_param: params.regularization,
            alpha: params.alpha,
            // Spark's seed is a Java long: the same bits.
            seed: seed as i64,
            blocks: params.blocks,
            implicit_prefs: true,
        },
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
fn train_rows_by_day(events: TrainEvents) -> (Vec<u32>, Vec<(String, std::ops::Range<usize>)>) {
    let data = events.data;
    let train = || (0..data.len()).filter(|&r| !events.is_test[r]);
    let Some(times) = data.times.as_ref() else {
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
    use crate::recsys::matrix::Interactions;

    fn data() -> Interactions {
        Interactions {
            users: vec![0, 1, 0, 2, 1],
            items: vec![1, 0, 2, 2, 1],
            weights: vec![1.0, 2.0, 1.0, 3.0, 0.5],
            // Two days in 2019-10, one event the split holds out.
            times: Some(vec![
                1_569_888_000,
                1_569_888_000 + 90_000,
                1_569_888_100,
                1_569_888_000 + 90_100,
                1_569_888_000 + 200_000,
            ]),
            user_labels: vec!["u-a".into(), "u-b".into(), "u-c".into()],
            item_labels: vec!["x".into(), "y".into(), "z".into()],
            ..Default::default()
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
            TrainEvents {
                data: &d,
                is_test: &is_test,
            },
            &SparkAlsParams::default(),
            7,
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
        let mut d = data();
        d.times = None;
        let is_test = vec![false; 5];
        let dir = tempfile::tempdir().unwrap();
        let h = write(
            dir.path(),
            TrainEvents {
                data: &d,
                is_test: &is_test,
            },
            &SparkAlsParams::default(),
            1,
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
            TrainEvents {
                data: &d,
                is_test: &is_test,
            },
            &SparkAlsParams::default(),
            1,
            &cancel,
            &|_, _| {},
        )
        .unwrap_err();
        assert!(matches!(e, TaskError::Cancelled));
    }
}
