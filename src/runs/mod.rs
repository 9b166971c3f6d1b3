//! Run history: a record of every training run (recommender, sentiment,
//! segmentation) with its parameters, data fingerprint, curves, metrics and
//! outcome, plus the analysis behind the Runs tab and hyperparameter sweeps.

pub mod analysis;
pub mod fingerprint;
pub mod pipeline;
pub mod sweep;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::params::Hyperparams;
use crate::recsys::Trained;
use crate::task::{EpochEvent, TaskError};
pub use fingerprint::{fingerprint, known_fingerprint, DataFingerprint};
pub use pipeline::{run, run_sweep, Pipeline, RunOutcome};

/// Which pipeline produced a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    Recommender,
    Sentiment,
    Segments,
    /// Next-item recommenders for anonymous sessions.
    Sessions,
    /// Bandit simulations and off-policy evaluations.
    Bandit,
    /// Purchase (or churn) prediction.
    Predict,
}

impl RunKind {
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Recommender => "recommender",
            RunKind::Sentiment => "sentiment",
            RunKind::Segments => "segments",
            RunKind::Sessions => "sessions",
            RunKind::Bandit => "bandit",
            RunKind::Predict => "predict",
        }
    }
}

/// Every model a run can be of, by the name records and the CLI use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelKind {
    Recommender(crate::recsys::params::RecommenderKind),
    Sentiment(crate::text::params::ClassifierKind),
    KMeans,
    Session(crate::session::params::SessionKind),
    Bandit(crate::bandit::BanditKind),
    Predict(crate::predict::model::PredictModel),
}

impl ModelKind {
    /// The models a sweep can tune (most-popular has no parameters).
    pub const SWEEPABLE: [ModelKind; 17] = {
        use crate::bandit::BanditKind as B;
        use crate::predict::model::PredictModel as P;
        use crate::recsys::params::RecommenderKind as R;
        use crate::session::params::SessionKind as S;
        use crate::text::params::ClassifierKind as C;
        [
            ModelKind::Recommender(R::ItemKnn),
            ModelKind::Recommender(R::Als),
            ModelKind::Recommender(R::Bpr),
            ModelKind::Recommender(R::Ease),
            ModelKind::Recommender(R::SparkAls),
            ModelKind::Sentiment(C::LogisticRegression),
            ModelKind::Sentiment(C::NaiveBayes),
            ModelKind::KMeans,
            ModelKind::Session(S::Vsknn),
            ModelKind::Session(S::Stan),
            ModelKind::Session(S::Sknn),
            ModelKind::Session(S::Ar),
            ModelKind::Session(S::Spop),
            ModelKind::Bandit(B::Simulation),
            ModelKind::Bandit(B::Evaluation),
            ModelKind::Predict(P::Gbm),
            ModelKind::Predict(P::Logreg),
        ]
    };

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Recommender(k) => k.name(),
            ModelKind::Sentiment(k) => k.cli_name(),
            ModelKind::KMeans => "kmeans",
            ModelKind::Session(k) => k.name(),
            ModelKind::Bandit(k) => k.name(),
            ModelKind::Predict(k) => match k {
                crate::predict::model::PredictModel::Gbm => "predict-gbm",
                crate::predict::model::PredictModel::Logreg => "predict-logreg",
            },
        }
    }

    pub fn label(self) -> String {
        match self {
            ModelKind::Recommender(k) => k.label().to_owned(),
            ModelKind::Sentiment(crate::text::params::ClassifierKind::LogisticRegression) => {
                "Sentiment: logistic regression".to_owned()
            }
            ModelKind::Sentiment(crate::text::params::ClassifierKind::NaiveBayes) => {
                "Sentiment: naive Bayes".to_owned()
            }
            ModelKind::KMeans => "Segments: k-means".to_owned(),
            ModelKind::Session(k) => format!("Sessions: {}", k.label()),
            ModelKind::Bandit(k) => k.label().to_owned(),
            ModelKind::Predict(crate::predict::model::PredictModel::Gbm) => {
                "Predict: gradient-boosted trees".to_owned()
            }
            ModelKind::Predict(crate::predict::model::PredictModel::Logreg) => {
                "Predict: logistic regression".to_owned()
            }
        }
    }

    pub fn run_kind(self) -> RunKind {
        match self {
            ModelKind::Recommender(_) => RunKind::Recommender,
            ModelKind::Sentiment(_) => RunKind::Sentiment,
            ModelKind::KMeans => RunKind::Segments,
            ModelKind::Session(_) => RunKind::Sessions,
            ModelKind::Bandit(_) => RunKind::Bandit,
            ModelKind::Predict(_) => RunKind::Predict,
        }
    }

    /// The main metric runs of this model are ranked by.
    pub fn primary_metric(self, k: usize) -> String {
        match self {
            ModelKind::Recommender(_) => format!("ndcg@{k}"),
            ModelKind::Sentiment(_) => "accuracy".into(),
            ModelKind::KMeans => "silhouette".into(),
            ModelKind::Session(_) => format!("mrr@{k}"),
            ModelKind::Bandit(crate::bandit::BanditKind::Simulation) => "mean_reward".into(),
            ModelKind::Bandit(crate::bandit::BanditKind::Evaluation) => "dr".into(),
            ModelKind::Predict(_) => "roc_auc".into(),
        }
    }
}

impl clap::ValueEnum for ModelKind {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::SWEEPABLE
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", content = "message", rename_all = "lowercase")]
pub enum RunStatus {
    Done,
    Cancelled,
    Failed(String),
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

    /// The metric a run is ranked by: recommenders NDCG@k, sentiment
    /// accuracy, segments silhouette.
    pub fn primary_metric(&self) -> Option<(&str, f64)> {
        let name = match self.kind {
            RunKind::Recommender => self.metrics.keys().find(|k| k.starts_with("ndcg@"))?,
            RunKind::Sentiment => self.metrics.keys().find(|k| *k == "accuracy")?,
            RunKind::Segments => self.metrics.keys().find(|k| *k == "silhouette")?,
            RunKind::Sessions => self.metrics.keys().find(|k| k.starts_with("mrr@"))?,
            // A simulation: the best policy's reward per round; an
            // evaluation: the doubly robust estimate.
            RunKind::Bandit => self
                .metrics
                .keys()
                .find(|k| *k == "mean_reward")
                .or_else(|| self.metrics.keys().find(|k| *k == "dr"))?,
            RunKind::Predict => self.metrics.keys().find(|k| *k == "roc_auc")?,
        };
        self.metrics.get(name).map(|v| (name.as_str(), *v))
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

/// A trained model kept with its run, so it can be explored or saved.
#[derive(Clone)]
pub enum RunModel {
    Recommender(Arc<Trained>),
    Sentiment(Arc<crate::text::SentimentResult>),
    Segments(Arc<crate::segment::SegmentFit>),
    Session(Arc<crate::session::SessionTrained>),
    Bandit(Arc<crate::bandit::BanditResult>),
    Predict(Arc<crate::predict::task::PredictResult>),
}

/// One row of the run history.
#[derive(Clone)]
pub struct RunEntry {
    pub record: RunRecord,
    pub model: Option<RunModel>,
}

/// Every run of the session (and of the opened workspace), in order.
#[derive(Clone, Default)]
pub struct RunHistory {
    pub entries: Vec<RunEntry>,
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
                .max()
                .unwrap_or(0),
        ) + 1;
        self.next_sweep
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_flatten_without_the_model_name() {
        let p = crate::recsys::params::ModelParams::Als(Default::default());
        let flat = flat_params(&p.json());
        assert_eq!(flat.get("factors"), Some(&serde_json::json!(64)));
        assert!(!flat.contains_key("model"));
        let nested = flat_params(&serde_json::json!({"a": {"b": 1}, "c": "x"}));
        assert_eq!(nested.get("a.b"), Some(&serde_json::json!(1)));
    }

    #[test]
    fn history_ids_increase_past_loaded_ones() {
        let mut h = RunHistory::default();
        let mut r = RunRecord::new(RunKind::Recommender, "als", DataFingerprint::default());
        r.id = 7;
        h.entries.push(RunEntry {
            record: r.clone(),
            model: None,
        });
        assert_eq!(h.push(r, None), 8);
        assert_eq!(h.new_sweep(), 1);
    }
}
