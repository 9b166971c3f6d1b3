//! Run history: a record of every training run with its parameters, data
//! fingerprint, curves, metrics and outcome; the [`Pipeline`] every
//! capability's request implements; the [`Capability`] interface the core
//! registry lists; and the analysis behind the Runs tab and sweeps. It
//! imports no capability: each one names its own kind, model and metric.

pub mod analysis;
pub mod capability;
pub mod fingerprint;
pub mod pipeline;
pub mod search;
pub mod sweep;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::params::Hyperparams;
use crate::task::{EpochEvent, TaskError};
pub use capability::{
    Capability, DataContext, MetricRule, ModelEntry, RunJob, SettingsBoard, SideData, SweepPlan,
};
pub use fingerprint::{fingerprint, known_fingerprint, DataFingerprint};
pub use pipeline::{run, run_sweep, Fitted, Fitting, Pipeline, RunOutcome};

/// Which capability produced a run ("recommender", "sentiment", …): the
/// name in run records and workspaces. Each capability declares its own
/// constant (`recsys::KIND`, …); `runs` knows none of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunKind(&'static str);

impl RunKind {
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The name records and workspaces use.
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// A kind read back from a file: the same name gives the same
    /// `&'static str`, so kinds compare as the constants do. Names are kept
    /// once each (a workspace holds a handful of kinds).
    fn interned(name: &str) -> Self {
        static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
        let Ok(mut names) = NAMES.lock() else {
            return Self(Box::leak(name.to_owned().into_boxed_str()));
        };
        if let Some(known) = names.iter().find(|n| **n == name) {
            return Self(known);
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.push(leaked);
        Self(leaked)
    }
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for RunKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for RunKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Self::interned(&name))
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", content = "message", rename_all = "lowercase")]
pub enum RunStatus {
    Done,
    Cancelled,
    Failed(String),
    /// Stopped by a search's pruner: worse than the median of finished
    /// trials at the same epoch.
    Pruned,
}

impl RunStatus {
    /// How a run that returned `e` ended.
    pub fn of_error(e: &TaskError) -> Self {
        match e {
            TaskError::Cancelled => RunStatus::Cancelled,
            other => RunStatus::Failed(other.to_string()),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            RunStatus::Done => "done",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Pruned => "pruned",
            RunStatus::Failed(_) => "failed",
        }
    }
}

/// Everything known about one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Unique within a workspace.
    pub id: u64,
    pub kind: RunKind,
    /// Model name (`als`, `logreg`, `kmeans`, …).
    pub model: String,
    /// Hyperparameters, flat `name → value` (numbers, strings, booleans).
    pub params: BTreeMap<String, serde_json::Value>,
    pub seed: u64,
    pub data: DataFingerprint,
    /// How it was evaluated (split, hold-out, …).
    pub evaluation: String,
    /// Per-epoch loss and validation metric.
    pub curve: Vec<EpochEvent>,
    /// Final metrics (empty unless done).
    pub metrics: BTreeMap<String, f64>,
    pub fit_secs: f64,
    pub status: RunStatus,
    /// Unix seconds at the end of the run.
    pub finished_unix: i64,
    /// The sweep this run belongs to, if any.
    pub sweep: Option<u64>,
    /// Anything else worth knowing (e.g. "stopped early at epoch 10").
    pub note: Option<String>,
    /// The outside engine that trained the model, when one did (ALS on Spark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineRecord>,
    /// Names the user gave to parts of the result (a topic's name, by its
    /// number), kept with the run in workspaces.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Where the run's time went, step by step in order (reading the file,
    /// the inputs, then the capability's own steps: split, fit, evaluate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepTime>,
    /// The process's peak memory by the end of the run, in MB (where the
    /// system says; for the app that includes everything else it holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_memory_mb: Option<f64>,
}

/// One step of a run and how long it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepTime {
    pub step: String,
    pub secs: f64,
}

impl StepTime {
    pub fn new(step: &str, secs: f64) -> Self {
        Self {
            step: step.to_owned(),
            secs,
        }
    }
}

/// Where an outside engine trained a run's model, and how long it took.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineRecord {
    /// `spark`.
    pub engine: String,
    /// The master the job ran on, as the engine reported it (`local[2]`, `spark://…`, `yarn`).
    pub master: String,
    /// The engine's own version (`4.0.1`).
    pub version: String,
    /// Its application id, to find the job in the cluster's UI and logs.
    pub application: String,
    /// From submitting the job to having the factors back, in seconds.
    pub wall_secs: f64,
    /// Of which the engine spent this many fitting (its own clock).
    pub fit_secs: f64,
    /// The hand-off folder (train events, id maps, job spec, factors).
    pub work_dir: String,
}

impl EngineRecord {
    /// "Spark 4.0.1 on local[2], 38.2 s" for tables and notes.
    pub fn summary(&self) -> String {
        let name = match self.engine.as_str() {
            "spark" => "Spark",
            other => other,
        };
        format!(
            "{name} {} on {}, {:.1} s",
            self.version, self.master, self.wall_secs
        )
    }
}

impl RunRecord {
    /// A record with no outcome yet; fill in what is known.
    pub fn new(kind: RunKind, model: &str, data: DataFingerprint) -> Self {
        Self {
            id: 0,
            kind,
            model: model.to_owned(),
            params: BTreeMap::new(),
            seed: 0,
            data,
            evaluation: String::new(),
            curve: Vec::new(),
            metrics: BTreeMap::new(),
            fit_secs: 0.0,
            status: RunStatus::Done,
            finished_unix: now_unix(),
            sweep: None,
            note: None,
            engine: None,
            labels: BTreeMap::new(),
            steps: Vec::new(),
            peak_memory_mb: None,
        }
    }

    /// A record with no outcome yet of a run of `params`.
    pub fn for_params<P: Hyperparams>(
        kind: RunKind,
        model: &str,
        params: &P,
        seed: u64,
        evaluation: String,
        data: DataFingerprint,
    ) -> Self {
        let mut r = Self::new(kind, model, data);
        r.params = params.flat();
        r.seed = seed;
        r.evaluation = evaluation;
        r
    }

    /// The first metric that matches `rule` (its capability's main metric),
    /// with its value.
    pub fn metric_by(&self, rule: &MetricRule) -> Option<(&str, f64)> {
        rule.names.iter().find_map(|want| {
            self.metrics
                .iter()
                .find(|(name, _)| match want.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name.as_str() == *want,
                })
                .map(|(name, v)| (name.as_str(), *v))
        })
    }

    /// Where the run's time went and its peak memory, in a line: "load
    /// 12.3 s · matrix 4.1 s · split 1.0 s · fit 21.2 s · evaluate 15.1 s ·
    /// peak memory 1.65 GB"; `None` for a record that kept neither.
    pub fn time_summary(&self) -> Option<String> {
        let parts: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("{} {}", s.step, crate::display::duration(s.secs)))
            .chain(
                self.peak_memory_mb
                    .map(|mb| format!("peak memory {}", crate::display::megabytes(mb))),
            )
            .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// Numeric value of a parameter (booleans as 0/1), for plots.
    pub fn param_value(&self, name: &str) -> Option<f64> {
        match self.params.get(name)? {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// `factors=64 regularization=0.05 …` for labels.
    pub fn params_summary(&self) -> String {
        self.params
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `{"model": "als", "factors": 64, …}` → `factors → 64, …`: the model name
/// is a record field, nested objects are flattened with dots.
pub fn flat_params(json: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, serde_json::Value>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", json, &mut out);
    out.remove("model");
    out
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A trained model kept with its run, so it can be explored or saved: the
/// capability's own model type ([`Pipeline::Model`]), known again by
/// [`RunModel::get`].
#[derive(Clone)]
pub struct RunModel(Arc<dyn Any + Send + Sync>);

impl RunModel {
    pub fn new<T: Any + Send + Sync>(model: Arc<T>) -> Self {
        Self(model)
    }

    /// The model, when it is a `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        Arc::clone(&self.0).downcast::<T>().ok()
    }

    pub fn is<T: Any>(&self) -> bool {
        self.0.is::<T>()
    }
}

/// One row of the run history.
#[derive(Clone)]
pub struct RunEntry {
    pub record: RunRecord,
    pub model: Option<RunModel>,
}

impl RunEntry {
    /// The run's model, when it has one of type `T`.
    pub fn model_of<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.model.as_ref()?.get::<T>()
    }
}

/// Every run of the session (and of the opened workspace), in order.
#[derive(Clone, Default)]
pub struct RunHistory {
    pub entries: Vec<RunEntry>,
    /// The searches run (their trials are the runs of their sweep).
    pub studies: Vec<search::Study>,
    next_id: u64,
    next_sweep: u64,
}

impl RunHistory {
    /// Append a run, giving it the next id; returns the id.
    pub fn push(&mut self, mut record: RunRecord, model: Option<RunModel>) -> u64 {
        self.next_id = self
            .next_id
            .max(self.entries.iter().map(|e| e.record.id).max().unwrap_or(0))
            + 1;
        record.id = self.next_id;
        let id = record.id;
        self.entries.push(RunEntry { record, model });
        id
    }

    /// A fresh sweep id.
    pub fn new_sweep(&mut self) -> u64 {
        self.next_sweep = self.next_sweep.max(
            self.entries
                .iter()
                .filter_map(|e| e.record.sweep)
                .chain(self.studies.iter().map(|s| s.id))
                .max()
                .unwrap_or(0),
        ) + 1;
        self.next_sweep
    }

    /// Keep `study` (replacing an earlier state of the same one).
    pub fn put_study(&mut self, study: search::Study) {
        self.studies.retain(|s| s.id != study.id);
        self.studies.push(study);
    }

    pub fn study(&self, id: u64) -> Option<&search::Study> {
        self.studies.iter().find(|s| s.id == id)
    }

    /// The runs of sweep `id`, in the order they ran.
    pub fn sweep_records(&self, id: u64) -> Vec<&RunRecord> {
        self.entries
            .iter()
            .map(|e| &e.record)
            .filter(|r| r.sweep == Some(id))
            .collect()
    }

    pub fn get(&self, id: u64) -> Option<&RunEntry> {
        self.entries.iter().find(|e| e.record.id == id)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn remove(&mut self, id: u64) {
        self.entries.retain(|e| e.record.id != id);
    }

    /// Name part `key` of run `id` (an empty name removes it); whether
    /// anything changed.
    pub fn label(&mut self, id: u64, key: String, name: &str) -> bool {
        let Some(entry) = self.entries.iter_mut().find(|e| e.record.id == id) else {
            return false;
        };
        let labels = &mut entry.record.labels;
        if name.is_empty() {
            labels.remove(&key).is_some()
        } else if labels.get(&key).map(String::as_str) == Some(name) {
            false
        } else {
            labels.insert(key, name.to_owned());
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_flatten_without_the_model_name() {
        let flat = flat_params(&serde_json::json!({"model": "als", "factors": 64}));
        assert_eq!(flat.get("factors"), Some(&serde_json::json!(64)));
        assert!(!flat.contains_key("model"));
        let nested = flat_params(&serde_json::json!({"a": {"b": 1}, "c": "x"}));
        assert_eq!(nested.get("a.b"), Some(&serde_json::json!(1)));
    }

    /// Seconds and memory as a user reads them: two decimals under 10 s,
    /// minutes past two, binary gigabytes past 1,024 MB.
    #[test]
    fn a_runs_time_reads_step_by_step() {
        let mut r = RunRecord::new(RunKind::new("toy"), "als", DataFingerprint::default());
        assert_eq!(r.time_summary(), None);
        r.steps = [("load", 0.4213), ("fit", 21.24), ("evaluate", 125.4)]
            .map(|(step, secs)| StepTime::new(step, secs))
            .to_vec();
        r.peak_memory_mb = Some(1689.6);
        let line = "load 0.42 s · fit 21.2 s · evaluate 2 min 05 s · peak memory 1.65 GB";
        assert_eq!(r.time_summary().as_deref(), Some(line));
        r.peak_memory_mb = Some(850.2);
        assert!(r
            .time_summary()
            .is_some_and(|t| t.ends_with("peak memory 850 MB")));
    }

    #[test]
    fn history_ids_increase_past_loaded_ones() {
        let mut h = RunHistory::default();
        let mut r = RunRecord::new(RunKind::new("toy"), "als", DataFingerprint::default());
        r.id = 7;
        h.entries.push(RunEntry {
            record: r.clone(),
            model: None,
        });
        assert_eq!(h.push(r, None), 8);
        assert_eq!(h.new_sweep(), 1);
    }

    #[test]
    fn kinds_read_back_equal_their_constants() {
        const TOY: RunKind = RunKind::new("toy-kind");
        let json = serde_json::to_string(&TOY).unwrap();
        assert_eq!(json, "\"toy-kind\"");
        let back: RunKind = serde_json::from_str(&json).unwrap();
        assert_eq!(back, TOY);
        let again: RunKind = serde_json::from_str(&json).unwrap();
        assert!(std::ptr::eq(back.name(), again.name()), "interned once");
    }

    #[test]
    fn the_main_metric_is_the_first_rule_that_matches() {
        let mut r = RunRecord::new(RunKind::new("toy"), "m", DataFingerprint::default());
        r.metrics.insert("hr@10".into(), 0.5);
        r.metrics.insert("ndcg@10".into(), 0.25);
        r.metrics.insert("dr".into(), 0.1);
        let prefix = MetricRule::new(&["ndcg@*"]);
        assert_eq!(r.metric_by(&prefix), Some(("ndcg@10", 0.25)));
        let fallback = MetricRule::new(&["mean_reward", "dr"]);
        assert_eq!(r.metric_by(&fallback), Some(("dr", 0.1)));
        assert_eq!(r.metric_by(&MetricRule::new(&["auc"])), None);
    }
}
