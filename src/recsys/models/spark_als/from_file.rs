//! ALS on Spark from a file too big to open here: when a file is refused
//! for memory ([`crate::data::LoadError::TooBigForMemory`]), Spark reads the
//! raw file itself. shoplens reads only the file's head, to learn its
//! separator and which columns hold the user, item, event and time (the
//! same detection and role overrides as a load), and hands the job those
//! names, the weight of every event name it knows, and the split.
//!
//! The job numbers users and items by their sorted ids, holds out each
//! customer's last event (by time, then item; by file order without a time
//! column), trains MLlib's implicit ALS on the rest and writes, besides the
//! factors, what the evaluation needs for a seeded sample of customers
//! (their train items and held-out item) and every item's number of train
//! customers (for novelty). shoplens then ranks every item for each sampled
//! customer with its own evaluator and metrics ([`metrics::evaluate_with`]),
//! so the numbers mean what they mean for every other run. Before the job,
//! every record of the file is checked as a load checks it
//! ([`crate::data::file_check`]): a malformed line refuses the job, or is
//! left out (by Spark too) when the user asks to skip such lines. Order
//! lines are cleaned by a load's rules ([`crate::data::profile::kept_rows`])
//! unless the user keeps them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::super::als::{Als, Convention};
use super::super::Factors;
use super::{SparkAlsParams, WorkDir};
use crate::data::events::EVENT_NAMES;
use crate::data::file_check::{check_file, FileCheck};
use crate::data::profile::is_order_data;
use crate::data::sniff::FileKind;
use crate::data::{load_dataset, EventWeights, LoadOptions, Role};
use crate::display::thousands;
use crate::recsys::matrix::Csr;
use crate::recsys::metrics::{self, Metrics};
use crate::recsys::params::{ModelParams, TrainOptions};
use crate::recsys::split::Split;
use crate::runs::{DataFingerprint, EngineRecord, Fitted, Fitting, Pipeline, RunRecord, StepTime};
use crate::spark::environment::{self, Environment};
use crate::spark::factors;
use crate::spark::handoff::file_uri;
use crate::task::{CancelToken, Reporter, TaskError};

/// Bytes of the file's head read to find its layout and columns.
const HEAD_BYTES: usize = 4 << 20;

/// ALS on Spark, trained and split by Spark from `file`.
#[derive(Clone, Debug)]
pub struct SparkFileRequest {
    pub file: PathBuf,
    /// Role overrides and the format, as for a load.
    pub load: LoadOptions,
    pub weights: EventWeights,
    pub params: SparkAlsParams,
    /// Seed, k and the evaluation sample (`eval_users`, 0: every customer).
    pub options: TrainOptions,
}

/// What the job is told about the file (from its head).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileSource {
    /// The file, as a `file://` URI (what a cluster reads too).
    pub path: String,
    /// Its separator, one character.
    pub delimiter: String,
    /// The customer column.
    pub user: String,
    /// The item column.
    pub item: String,
    /// The column of event names, when there is one.
    pub event: Option<String>,
    /// Each event name shoplens knows (lower case), and its weight.
    pub event_weights: BTreeMap<String, f32>,
    /// The weight of the names it does not know.
    pub other_weight: f32,
    /// The time column, when there is one.
    pub time: Option<String>,
    /// Whether it holds numbers (unix time) rather than text.
    pub time_is_number: bool,
    /// Leave malformed lines out (the user asked to): Spark drops records
    /// with the wrong number of fields and those holding a NUL or bytes that
    /// are not UTF-8. Without, Spark fails on one, and shoplens' own check
    /// has refused such a file before the job starts.
    pub skip_bad_lines: bool,
    /// A good record's quoted field holds a newline: Spark must read records
    /// across lines.
    pub multi_line: bool,
    /// For order lines (and unless the user keeps every row), the columns
    /// order cleaning reads: Spark leaves out a row whose quantity or price
    /// is not a number above 0 or whose order number starts with C (a
    /// cancellation), as a load does.
    pub orders: Option<OrderColumns>,
    /// What shoplens' own check of every record found (None before the
    /// check).
    #[serde(skip)]
    pub check: Option<FileCheck>,
}

/// The columns of an order export that order cleaning reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderColumns {
    pub order: String,
    pub quantity: String,
    pub price: String,
}

/// The job's counts (`summary.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    /// Distinct users and items Spark numbered.
    pub users: usize,
    pub items: usize,
    /// Records Spark read, malformed ones left out.
    #[serde(default)]
    pub records: usize,
    /// Events kept (with a user, an item and a weight above 0).
    pub events: usize,
    /// Distinct (user, item) pairs trained on.
    pub train_pairs: usize,
    pub users_with_history: usize,
    /// Customers whose held-out item is new to them (the ones a full
    /// evaluation would rank).
    pub relevant_users: usize,
    pub evaluated_users: usize,
}

/// A finished run from a file: the counts, the metrics, and where the
/// factors and id maps were written.
#[derive(Clone, Debug, PartialEq)]
pub struct SparkFileRun {
    pub summary: FileSummary,
    pub metrics: Metrics,
    pub engine: EngineRecord,
    pub work_dir: PathBuf,
}

impl Pipeline for SparkFileRequest {
    crate::pipeline_items!(kind: crate::recsys::KIND, params: SparkAlsParams, inputs: FileSource, model: SparkFileRun);
    const INPUTS_STEP: &'static str = "head and line check";

    fn dataset(&self) -> Option<&crate::data::Dataset> {
        None
    }

    /// The file's path and hash: the file is read once more, here, so the
    /// run knows the exact bytes it came from.
    fn data_fingerprint(&self) -> DataFingerprint {
        DataFingerprint {
            file: self.file.clone(),
            rows: 0,
            hash: crate::runs::fingerprint::file_hash(&self.file).unwrap_or_default(),
            skipped_lines: Default::default(),
        }
    }

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        let mut record = crate::recsys::task::attempt_record(
            &ModelParams::SparkAls(self.params.clone()),
            &self.options,
            &Split::LeaveLastOut,
            data,
        );
        record.evaluation = format!("{} in Spark, from the raw file", record.evaluation);
        record
    }

    fn inputs(&self, reporter: &Reporter) -> Result<FileSource, TaskError> {
        reporter.progress(None, "reading the file's head for its columns");
        let mut source = file_source(&self.file, &self.load, &self.weights)?;
        source.check_records(&self.file, reporter)?;
        Ok(source)
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        let run = train_and_evaluate(self, f.params, f.inputs, f.reporter)?;
        let mut record = self.attempt(f.data.clone());
        record.metrics = run.metrics.to_map();
        record
            .metrics
            .insert("users".into(), run.metrics.users_evaluated as f64);
        if let Some(of) = run.metrics.users_sampled_from {
            record
                .metrics
                .insert("users_sampled_from".into(), of as f64);
        }
        record.fit_secs = run.engine.fit_secs;
        record.steps = vec![
            StepTime::new("spark job", run.engine.wall_secs),
            StepTime::new("evaluate", run.evaluate_secs),
        ];
        record.engine = Some(run.engine.clone());
        if let Some(check) = &f.inputs.check {
            record.data.skipped_lines = check.skipped.clone();
        }
        let cleaned = if f.inputs.orders.is_some() {
            " (order lines cleaned as a load cleans them)"
        } else {
            ""
        };
        record.note = Some(format!(
            "Spark read {} events{cleaned} of {} customers and {} items{}; factors and id maps in {}",
            thousands(run.summary.events as u64),
            thousands(run.summary.users as u64),
            thousands(run.summary.items as u64),
            records_note(f.inputs.check.as_ref(), run.summary.records),
            run.work_dir.display()
        ));
        Ok((
            record,
            SparkFileRun {
                summary: run.summary,
                metrics: run.metrics,
                engine: run.engine,
                work_dir: run.work_dir,
            },
        ))
    }
}

/// What the run note says of the lines left out, and of a count of good
/// records Spark and shoplens' check do not agree on (their rules for a
/// stray quote can differ).
fn records_note(check: Option<&FileCheck>, spark_records: usize) -> String {
    let Some(check) = check else {
        return String::new();
    };
    let mut note = match check.skipped.summary() {
        Some(skipped) => format!(" ({skipped})"),
        None => String::new(),
    };
    if spark_records as u64 != check.records {
        note.push_str(&format!(
            "; Spark kept {} records where shoplens' check of the lines keeps {}",
            thousands(spark_records as u64),
            thousands(check.records)
        ));
    }
    note
}

/// The file's layout and columns, from a load of its head.
pub fn file_source(
    file: &Path,
    load: &LoadOptions,
    weights: &EventWeights,
) -> Result<FileSource, TaskError> {
    weights.validate().map_err(TaskError::Input)?;
    let head = read_head(file)?;
    let dir = std::env::temp_dir().join(format!(
        "shoplens-head-{}-{}",
        std::process::id(),
        HEADS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| TaskError::Input(format!("{}: cannot create ({e})", dir.display())))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".gz").to_owned())
        .unwrap_or_else(|| "head.csv".into());
    let head_path = dir.join(name);
    // The head is small; the cap that refused the whole file is not its.
    // Its malformed lines are left to the check of the whole file, which
    // names their lines in the file itself.
    let head_load = LoadOptions {
        max_memory: None,
        skip_bad_lines: true,
        ..load.clone()
    };
    let loaded = std::fs::write(&head_path, &head)
        .map_err(|e| TaskError::Input(format!("{}: cannot write ({e})", head_path.display())))
        .and_then(|()| {
            load_dataset(&head_path, &head_load, &CancelToken::new(), &|_, _| {})
                .map_err(|e| TaskError::Input(format!("the head of {}: {e}", file.display())))
        });
    let _ = std::fs::remove_dir_all(&dir);
    let ds = loaded?;
    if ds.kind != FileKind::Delimited || !ds.has_header {
        return Err(TaskError::Input(format!(
            "{}: Spark can read this file itself only when it is delimited text with a header row",
            file.display()
        )));
    }
    let role = |r: Role| ds.roles.get(r).map(str::to_owned);
    let missing = |what: &str, flag: &str| {
        TaskError::Input(format!(
            "{}: no {what} column was found in its head; name it with --{flag}",
            file.display()
        ))
    };
    let user = role(Role::User).ok_or_else(|| missing("user", "user-col"))?;
    let item = role(Role::Item).ok_or_else(|| missing("item", "item-col"))?;
    let time = role(Role::Timestamp);
    let time_is_number = time
        .as_deref()
        .and_then(|t| ds.df.column(t).ok())
        .is_some_and(|c| c.dtype().is_primitive_numeric());
    let event_weights = EVENT_NAMES
        .iter()
        .map(|(name, kind)| ((*name).to_owned(), weights.weight(*kind)))
        .collect();
    Ok(FileSource {
        path: file_uri(file),
        delimiter: separator_char(ds.separator.as_deref()),
        user,
        item,
        event: role(Role::Event),
        event_weights,
        other_weight: weights.other,
        time,
        time_is_number,
        skip_bad_lines: load.skip_bad_lines,
        multi_line: false,
        orders: order_columns(&ds, load),
        check: None,
    })
}

/// The columns order cleaning reads, when a load of the file would clean it.
fn order_columns(head: &crate::data::Dataset, load: &LoadOptions) -> Option<OrderColumns> {
    if !is_order_data(head) || load.keep_uncleaned {
        return None;
    }
    let role = |r: Role| head.roles.get(r).map(str::to_owned);
    Some(OrderColumns {
        order: role(Role::Order)?,
        quantity: role(Role::Quantity)?,
        price: role(Role::Price)?,
    })
}

impl FileSource {
    /// Check every record of `file` as a load would, before Spark spends
    /// minutes on it: a malformed one refuses the file (unless skipped), and
    /// quoted newlines tell Spark to read records across lines. A gzip file
    /// is decompressed as it is checked, a few MB at a time.
    pub fn check_records(&mut self, file: &Path, reporter: &Reporter) -> Result<(), TaskError> {
        let separator = self.delimiter.bytes().next().unwrap_or(b',');
        let check = check_file(
            file,
            (separator, Some(b'"')),
            self.skip_bad_lines,
            reporter.cancel_token(),
            &|f, m| reporter.progress(Some(f), m),
        )?;
        self.multi_line = check.multi_line;
        self.check = Some(check);
        Ok(())
    }
}

/// The separator itself from its display name (`TAB`, `';'`).
fn separator_char(name: Option<&str>) -> String {
    match name {
        Some("TAB") => "\t".into(),
        Some(quoted) => quoted.trim_matches('\'').to_owned(),
        None => ",".into(),
    }
}

static HEADS: AtomicU64 = AtomicU64::new(0);

/// The first [`HEAD_BYTES`] of the (decompressed) file, cut at a line end.
fn read_head(file: &Path) -> Result<Vec<u8>, TaskError> {
    let cannot =
        |e: std::io::Error| TaskError::Input(format!("{}: cannot read ({e})", file.display()));
    let opened = std::fs::File::open(file).map_err(cannot)?;
    let mut reader: Box<dyn Read> = if file.extension().is_some_and(|x| x == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(opened))
    } else {
        Box::new(opened)
    };
    let mut head = Vec::with_capacity(HEAD_BYTES);
    reader
        .by_ref()
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(cannot)?;
    if head.len() == HEAD_BYTES {
        if let Some(end) = memchr::memrchr(b'\n', &head) {
            head.truncate(end + 1);
        }
    }
    Ok(head)
}

/// What [`train_and_evaluate`] ends with.
struct Finished {
    summary: FileSummary,
    metrics: Metrics,
    engine: EngineRecord,
    work_dir: PathBuf,
    evaluate_secs: f64,
}

/// Where the job writes, in the run's work folder.
struct Outputs {
    spec: PathBuf,
    summary: PathBuf,
    eval: PathBuf,
    item_users: PathBuf,
    users: PathBuf,
    items: PathBuf,
    user_factors: PathBuf,
    item_factors: PathBuf,
    checkpoints: PathBuf,
}

impl Outputs {
    fn in_dir(dir: &Path) -> Self {
        Self {
            spec: dir.join("job.json"),
            summary: dir.join("summary.json"),
            eval: dir.join("eval"),
            item_users: dir.join("item_users"),
            users: dir.join("users"),
            items: dir.join("items"),
            user_factors: dir.join("user_factors"),
            item_factors: dir.join("item_factors"),
            checkpoints: dir.join("checkpoints"),
        }
    }
}

fn train_and_evaluate(
    request: &SparkFileRequest,
    params: &SparkAlsParams,
    source: &FileSource,
    reporter: &Reporter,
) -> Result<Finished, TaskError> {
    let progress = |f: f32, m: &str| reporter.progress(Some(f), m);
    progress(0.0, "looking for Java and Spark");
    let install = environment::locate(&params.spark_submit, &Environment::from_process())?;
    environment::check_master(&params.master, environment::hadoop_conf_dir().as_deref())?;
    let work = WorkDir::create(&params.work_dir)?;
    let out = Outputs::in_dir(&work.path);
    let result = (|| {
        let start = Instant::now();
        write_spec(&out, source, params, &request.options)?;
        let status = super::run_job(
            &install,
            params,
            &work.path,
            &out.spec,
            reporter.cancel_token(),
            &|f, m| progress(0.9 * f, m),
        )?;
        let wall_secs = start.elapsed().as_secs_f64();
        progress(0.9, "reading the factors and the evaluation sample back");
        let summary = read_summary(&out.summary)?;
        let evaluating = Instant::now();
        let metrics = evaluate(&out, &summary, params, &request.options, reporter)?;
        let engine = super::engine_record(&status, params, wall_secs, &work.path);
        Ok(Finished {
            summary,
            metrics,
            engine,
            work_dir: work.path.clone(),
            evaluate_secs: evaluating.elapsed().as_secs_f64(),
        })
    })();
    // Kept after success, even when temporary: the factors and id maps are
    // the only trained result, too big for the run record. Kept after a
    // failure for its log; removed after a cancel when temporary.
    let cancelled = matches!(result, Err(TaskError::Cancelled));
    work.finish(cancelled);
    result
}

fn write_spec(
    out: &Outputs,
    source: &FileSource,
    params: &SparkAlsParams,
    options: &TrainOptions,
) -> Result<(), TaskError> {
    let uri = |p: &Path| file_uri(p);
    let spec = serde_json::json!({
        "format": "shoplens-spark-als",
        "version": 1,
        "app_name": format!("shoplens ALS from {}", crate::display::display_name(Path::new(&source.path))),
        "created_by": format!("shoplens {}", env!("CARGO_PKG_VERSION")),
        "params": {
            "rank": params.factors,
            "max_iter": params.iterations,
            "reg_param": params.regularization,
            "alpha": params.alpha,
            "seed": options.seed as i64,
            "blocks": params.blocks,
            "implicit_prefs": true,
        },
        "source": source,
        "evaluation": { "users": options.eval_users, "seed": options.seed as i64 },
        "paths": {
            "summary": out.summary.display().to_string(),
            "eval": uri(&out.eval),
            "item_users": uri(&out.item_users),
            "users": uri(&out.users),
            "items": uri(&out.items),
            "user_factors": uri(&out.user_factors),
            "item_factors": uri(&out.item_factors),
            // Long lineages need checkpoints (as the hand-off's job has).
            "checkpoints": uri(&out.checkpoints),
        },
    });
    let text = serde_json::to_string_pretty(&spec).map_err(|e| TaskError::Input(e.to_string()))?;
    std::fs::write(&out.spec, text)
        .map_err(|e| TaskError::Input(format!("{}: cannot write ({e})", out.spec.display())))
}

fn read_summary(path: &Path) -> Result<FileSummary, TaskError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        TaskError::Input(format!(
            "{}: the Spark job wrote no summary ({e})",
            path.display()
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| TaskError::Input(format!("{}: not the job's summary ({e})", path.display())))
}

/// The sample's train items and held-out items, by customer (sorted ids).
struct Sample {
    /// Global user numbers, ascending.
    users: Vec<u32>,
    train: Csr,
    relevant: Vec<Vec<u32>>,
}

fn read_sample(dir: &Path, n_items: usize) -> Result<Sample, TaskError> {
    let mut rows: Vec<(u32, u32, f32, bool)> = Vec::new();
    for path in factors::part_files(dir)? {
        let bad = |what: String| TaskError::Input(format!("{}: {what}", path.display()));
        let df = parquet_frame(&path)?;
        let int = |name: &str| -> Result<Vec<Option<i64>>, TaskError> {
            let c = df
                .column(name)
                .and_then(|c| c.cast(&DataType::Int64))
                .map_err(|e| bad(format!("no integer column {name} ({e})")))?;
            Ok(c.i64().map_err(|e| bad(e.to_string()))?.iter().collect())
        };
        let (users, items) = (int("user_idx")?, int("item_idx")?);
        let weights = df
            .column("weight")
            .and_then(|c| c.cast(&DataType::Float32))
            .map_err(|e| bad(format!("no column weight ({e})")))?;
        let held_out = df
            .column("held_out")
            .and_then(|c| c.cast(&DataType::Boolean))
            .map_err(|e| bad(format!("no column held_out ({e})")))?;
        let weights = weights.f32().map_err(|e| bad(e.to_string()))?;
        let held_out = held_out.bool().map_err(|e| bad(e.to_string()))?;
        for (row, (((u, i), w), h)) in users
            .iter()
            .zip(&items)
            .zip(weights.iter())
            .zip(held_out.iter())
            .enumerate()
        {
            match (u, i, w, h) {
                (Some(u), Some(i), Some(w), Some(h))
                    if *u >= 0 && *i >= 0 && (*i as usize) < n_items =>
                {
                    rows.push((*u as u32, *i as u32, w, h))
                }
                _ => {
                    return Err(bad(format!(
                        "row {} is missing a value or out of range",
                        row + 1
                    )))
                }
            }
        }
    }
    rows.sort_unstable_by_key(|&(u, i, _, _)| (u, i));
    let mut users: Vec<u32> = rows.iter().map(|r| r.0).collect();
    users.dedup();
    let local = |u: u32| users.binary_search(&u).unwrap_or_default() as u32;
    let mut relevant = vec![Vec::new(); users.len()];
    let mut triplets = Vec::with_capacity(rows.len());
    for &(u, i, w, held_out) in &rows {
        if held_out {
            relevant[local(u) as usize].push(i);
        } else {
            triplets.push((local(u), i, w));
        }
    }
    let train = Csr::from_triplets(users.len(), n_items, triplets);
    Ok(Sample {
        users,
        train,
        relevant,
    })
}

fn parquet_frame(path: &Path) -> Result<DataFrame, TaskError> {
    let file = std::fs::File::open(path)
        .map_err(|e| TaskError::Input(format!("{}: cannot open ({e})", path.display())))?;
    ParquetReader::new(file).finish().map_err(|e| {
        TaskError::Input(format!(
            "{}: cannot read it as Parquet ({e})",
            path.display()
        ))
    })
}

/// Every item's number of train customers (items nobody trained on: 0).
fn read_item_users(dir: &Path, n_items: usize) -> Result<Vec<u32>, TaskError> {
    let mut counts = vec![0u32; n_items];
    for path in factors::part_files(dir)? {
        let df = parquet_frame(&path)?;
        let bad = |e: PolarsError| TaskError::Input(format!("{}: {e}", path.display()));
        let items = df
            .column("item_idx")
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(bad)?;
        let users = df
            .column("users")
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(bad)?;
        for (i, n) in items
            .i64()
            .map_err(bad)?
            .iter()
            .zip(users.i64().map_err(bad)?.iter())
        {
            if let (Some(i), Some(n)) = (i, n) {
                if let Some(c) = counts.get_mut(i as usize) {
                    *c = n as u32;
                }
            }
        }
    }
    Ok(counts)
}

fn evaluate(
    out: &Outputs,
    summary: &FileSummary,
    params: &SparkAlsParams,
    options: &TrainOptions,
    reporter: &Reporter,
) -> Result<Metrics, TaskError> {
    let sample = read_sample(&out.eval, summary.items)?;
    let user_factors = factors::read(&out.user_factors, summary.users, params.factors)?;
    let items = factors::read(&out.item_factors, summary.items, params.factors)?;
    // Only the sampled customers' rows are kept.
    let dim = params.factors;
    let users: Vec<f32> = sample
        .users
        .iter()
        .flat_map(|&u| {
            user_factors.values[u as usize * dim..(u as usize + 1) * dim]
                .iter()
                .copied()
        })
        .collect();
    drop(user_factors);
    let model = Als::from_factors(
        Factors {
            dim,
            users,
            items: items.values,
        },
        params.regularization,
        params.alpha,
        Convention::Mllib,
    );
    let log_pop = metrics::self_information_of(
        &read_item_users(&out.item_users, summary.items)?,
        summary.users_with_history,
    );
    let pool = crate::task::thread_pool(options.threads)?;
    let evaluated: Vec<usize> = (0..sample.users.len()).collect();
    let mut m = metrics::evaluate_with(
        &model,
        &sample.train,
        &sample.relevant,
        &evaluated,
        options.k,
        &log_pop,
        &pool,
        reporter.cancel_token(),
        &|f| {
            reporter.progress(
                Some(0.9 + 0.1 * f),
                "ranking every item for the sampled customers",
            )
        },
    )?;
    if summary.evaluated_users < summary.relevant_users {
        m.users_sampled_from = Some(summary.relevant_users);
    }
    Ok(m)
}
