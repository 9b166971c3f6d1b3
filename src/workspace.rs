//! `.shoplens` workspaces: the data sources (with their column mappings), every
//! run record and the trained recommender models, in one versioned file.
//!
//! Layout: a text header line `SHOPLENS-WORKSPACE <version>\n`, then the
//! workspace as gzip-compressed JSON. The header lets a newer file be refused
//! with a clear message before any parsing. Writes go to a temporary file in
//! the same folder, are flushed to disk, then renamed over the target, so a
//! crash or full disk never leaves a half-written workspace; a file that
//! cannot be read is reported and left exactly as it was.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::{EventWeights, LoadOptions};
use crate::recsys::cold::ColdStart;
use crate::recsys::matrix::{Csr, Interactions};
use crate::recsys::metrics::Metrics;
use crate::recsys::models::ModelSnapshot;
use crate::recsys::params::{ModelParams, TrainOptions};
use crate::recsys::split::{ColdUser, Split};
use crate::recsys::Trained;
use crate::runs::{RunEntry, RunHistory, RunModel, RunOutcome, RunRecord};
use crate::task::EpochEvent;

/// The version this build writes, and the newest it reads.
pub const WORKSPACE_VERSION: u32 = 1;
const MAGIC: &str = "SHOPLENS-WORKSPACE";
pub const EXTENSION: &str = "shoplens";

/// A file the app reads data from, with how it was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    pub path: PathBuf,
    /// Format, column roles and cleaning as the user left them.
    pub options: LoadOptions,
    pub event_weights: EventWeights,
}

/// A train matrix with the id maps, shared by the models trained on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTrainSet {
    pub split: Split,
    pub train: Csr,
    pub relevant: Vec<Vec<u32>>,
    pub user_labels: Vec<String>,
    pub item_labels: Vec<String>,
    /// New customers of the test period (files from before they were kept
    /// have none).
    #[serde(default)]
    pub cold_users: Vec<ColdUser>,
    #[serde(default)]
    pub item_categories: Vec<Option<u32>>,
    #[serde(default)]
    pub category_labels: Vec<String>,
    /// Item text, brand and price (content similarity is rebuilt from them).
    #[serde(default)]
    pub attributes: crate::recsys::content::ItemAttributes,
}

/// A trained recommender, enough to explore and export it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRecommender {
    pub run_id: u64,
    /// Index into [`Workspace::train_sets`].
    pub train_set: usize,
    pub params: ModelParams,
    pub options: TrainOptions,
    pub model: ModelSnapshot,
    pub metrics: Metrics,
    #[serde(default)]
    pub cold: Option<ColdStart>,
    #[serde(default)]
    pub new_items: Option<crate::recsys::new_items::NewItemsReport>,
    pub epochs: Vec<EpochEvent>,
    pub fit_secs: f64,
    pub stopped_early: Option<usize>,
    /// The outside engine that trained it (ALS on Spark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<crate::runs::EngineRecord>,
}

/// A trained sentiment classifier with the reviews it was evaluated on (the
/// Sentiment tab shows it again as it was; product names come back from an
/// `items.csv` beside the data file when it is there).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedSentiment {
    pub run_id: u64,
    pub run: crate::text::SentimentRun,
    pub reviews: crate::text::reviews::Reviews,
    pub source: String,
}

impl PartialEq for SavedSentiment {
    fn eq(&self, other: &Self) -> bool {
        self.run_id == other.run_id
            && self.reviews == other.reviews
            && self.run.model == other.run.model
            && self.run.vectorizer.features == other.run.vectorizer.features
            && self.run.probabilities == other.run.probabilities
    }
}

/// A k-means clustering with its profiles and map.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedSegments {
    pub run_id: u64,
    pub fit: crate::segment::SegmentFit,
}

impl PartialEq for SavedSegments {
    fn eq(&self, other: &Self) -> bool {
        self.run_id == other.run_id
            && self.fit.clustering.labels == other.fit.clustering.labels
            && self.fit.clustering.centroids == other.fit.clustering.centroids
            && self.fit.profiles == other.fit.profiles
    }
}

type SessionDatas = Vec<
    Option<(
        Arc<crate::session::protocol::SessionData>,
        Arc<crate::session::index::SessionIndex>,
    )>,
>;

/// A session model: its filtered, split sessions (shared by the runs on the
/// same split) and what refits it. The index and the model are rebuilt on
/// open (they are deterministic and take well under a second per 10⁵
/// sessions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    pub run_id: u64,
    /// Index into [`Workspace::session_sets`].
    pub sessions: usize,
    pub params: crate::session::params::SessionParams,
    pub options: crate::session::task::SessionOptions,
    pub metrics: crate::session::evaluate::SessionMetrics,
    pub fit_secs: f64,
    pub eval_secs: f64,
}

/// A bandit run's result (curves and tables, or estimates).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedBandit {
    pub run_id: u64,
    pub result: crate::bandit::BanditResult,
}

/// A purchase-prediction run's result and model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedPrediction {
    pub run_id: u64,
    pub result: crate::predict::task::PredictResult,
}

impl PartialEq for SavedPrediction {
    // The model holds a booster without equality; the run id and JSON say it.
    fn eq(&self, other: &Self) -> bool {
        self.run_id == other.run_id
            && serde_json::to_string(&self.result).ok() == serde_json::to_string(&other.result).ok()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Workspace {
    pub sources: Vec<DataSource>,
    pub runs: Vec<RunRecord>,
    pub train_sets: Vec<SavedTrainSet>,
    pub recommenders: Vec<SavedRecommender>,
    pub sentiments: Vec<SavedSentiment>,
    pub segments: Vec<SavedSegments>,
    pub session_sets: Vec<crate::session::protocol::SessionData>,
    pub session_models: Vec<SavedSession>,
    pub bandits: Vec<SavedBandit>,
    pub predictions: Vec<SavedPrediction>,
    /// Salt of the pseudonymised exports, kept so the same customer gets the
    /// same pseudonym in every export from this workspace.
    pub pseudonym_salt: String,
}

/// Why a workspace could not be opened or saved. The file is never modified.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WorkspaceError {
    #[error("{path}: cannot read it ({message})")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path} is not a shoplens workspace (it does not start with the '{MAGIC}' header); it was left unchanged")]
    NotAWorkspace { path: PathBuf },
    #[error("{path} was saved by a newer shoplens (workspace version {found}; this version reads up to {WORKSPACE_VERSION}). Update shoplens to open it; the file was left unchanged")]
    TooNew { path: PathBuf, found: u32 },
    #[error("{path} is damaged and cannot be opened ({message}); it was left unchanged")]
    Corrupt { path: PathBuf, message: String },
    #[error("{path}: cannot save ({message}); any previous file there was left unchanged")]
    Write { path: PathBuf, message: String },
}

impl Workspace {
    /// Write atomically: temporary file beside `path`, fsync, rename.
    /// Returns the bytes written.
    pub fn save(&self, path: &Path) -> Result<u64, WorkspaceError> {
        let err = |e: &dyn std::fmt::Display| WorkspaceError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let tmp = temp_path(path);
        let result = (|| -> Result<u64, WorkspaceError> {
            let file = std::fs::File::create(&tmp).map_err(|e| err(&e))?;
            let mut out = std::io::BufWriter::new(file);
            writeln!(out, "{MAGIC} {WORKSPACE_VERSION}").map_err(|e| err(&e))?;
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            serde_json::to_writer(&mut gz, self).map_err(|e| err(&e))?;
            let out = gz.finish().map_err(|e| err(&e))?;
            let file = out.into_inner().map_err(|e| err(&e.error()))?;
            file.sync_all().map_err(|e| err(&e))?;
            Ok(file.metadata().map(|m| m.len()).unwrap_or(0))
        })();
        match result {
            Ok(bytes) => {
                std::fs::rename(&tmp, path).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    err(&e)
                })?;
                Ok(bytes)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Read a workspace; every failure names the file and leaves it alone.
    pub fn open(path: &Path) -> Result<Workspace, WorkspaceError> {
        let file = std::fs::File::open(path).map_err(|e| WorkspaceError::Unreadable {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut reader = BufReader::new(file);
        let mut header = Vec::new();
        // The header is short: read at most 64 bytes looking for it.
        (&mut reader)
            .take(64)
            .read_until(b'\n', &mut header)
            .map_err(|e| WorkspaceError::Unreadable {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let header = String::from_utf8_lossy(&header);
        let Some(version) = header
            .trim_end()
            .strip_prefix(MAGIC)
            .and_then(|rest| rest.trim().parse::<u32>().ok())
        else {
            return Err(WorkspaceError::NotAWorkspace {
                path: path.to_path_buf(),
            });
        };
        if version > WORKSPACE_VERSION {
            return Err(WorkspaceError::TooNew {
                path: path.to_path_buf(),
                found: version,
            });
        }
        let gz = flate2::read::GzDecoder::new(reader);
        let ws: Workspace =
            serde_json::from_reader(BufReader::new(gz)).map_err(|e| WorkspaceError::Corrupt {
                path: path.to_path_buf(),
                message: if e.is_io() {
                    format!("the compressed data is broken: {e}")
                } else {
                    e.to_string()
                },
            })?;
        ws.check().map_err(|message| WorkspaceError::Corrupt {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(ws)
    }

    /// References between the parts must hold.
    fn check(&self) -> Result<(), String> {
        for m in &self.recommenders {
            let Some(set) = self.train_sets.get(m.train_set) else {
                return Err(format!(
                    "model of run {} refers to a missing train set",
                    m.run_id
                ));
            };
            let (users, items) = (set.train.n_rows, set.train.n_cols);
            if set.user_labels.len() != users
                || set.item_labels.len() != items
                || set.relevant.len() != users
                || set.train.indptr.len() != users + 1
                || !(set.item_categories.is_empty() || set.item_categories.len() == items)
                || set
                    .item_categories
                    .iter()
                    .flatten()
                    .any(|&c| c as usize >= set.category_labels.len())
                || set
                    .cold_users
                    .iter()
                    .any(|c| c.user as usize >= users || c.arrival as usize >= items)
            {
                return Err(format!("train set of run {} is inconsistent", m.run_id));
            }
        }
        Ok(())
    }

    /// Store the run history: records, and the recommender models with their
    /// train sets (one copy per distinct train matrix).
    pub fn put_history(&mut self, history: &RunHistory) {
        self.runs.clear();
        self.train_sets.clear();
        self.recommenders.clear();
        self.sentiments.clear();
        self.segments.clear();
        self.session_sets.clear();
        self.session_models.clear();
        self.bandits.clear();
        self.predictions.clear();
        let mut shared: Vec<(Arc<Interactions>, usize)> = Vec::new();
        let mut shared_sessions: Vec<(Arc<crate::session::protocol::SessionData>, usize)> =
            Vec::new();
        for entry in &history.entries {
            self.runs.push(entry.record.clone());
            let t = match &entry.model {
                Some(RunModel::Recommender(t)) => t,
                Some(RunModel::Sentiment(r)) => {
                    self.sentiments.push(SavedSentiment {
                        run_id: entry.record.id,
                        run: r.run.clone(),
                        reviews: r.reviews.clone(),
                        source: r.source.clone(),
                    });
                    continue;
                }
                Some(RunModel::Segments(fit)) => {
                    self.segments.push(SavedSegments {
                        run_id: entry.record.id,
                        fit: (**fit).clone(),
                    });
                    continue;
                }
                Some(RunModel::Predict(p)) => {
                    self.predictions.push(SavedPrediction {
                        run_id: entry.record.id,
                        result: (**p).clone(),
                    });
                    continue;
                }
                Some(RunModel::Bandit(b)) => {
                    self.bandits.push(SavedBandit {
                        run_id: entry.record.id,
                        result: (**b).clone(),
                    });
                    continue;
                }
                Some(RunModel::Session(t)) => {
                    let sessions = match shared_sessions
                        .iter()
                        .find(|(d, _)| Arc::ptr_eq(d, &t.data))
                    {
                        Some((_, i)) => *i,
                        None => {
                            self.session_sets.push((*t.data).clone());
                            shared_sessions
                                .push((Arc::clone(&t.data), self.session_sets.len() - 1));
                            self.session_sets.len() - 1
                        }
                    };
                    self.session_models.push(SavedSession {
                        run_id: entry.record.id,
                        sessions,
                        params: t.params.clone(),
                        options: t.options.clone(),
                        metrics: t.metrics.clone(),
                        fit_secs: t.fit_secs,
                        eval_secs: t.eval_secs,
                    });
                    continue;
                }
                None => continue,
            };
            let train_set = match shared.iter().find(|(data, i)| {
                Arc::ptr_eq(data, &t.data)
                    && self.train_sets[*i].split == t.split
                    && self.train_sets[*i].train == t.train
            }) {
                Some((_, i)) => *i,
                None => {
                    self.train_sets.push(SavedTrainSet {
                        split: t.split.clone(),
                        train: t.train.clone(),
                        relevant: t.relevant.clone(),
                        user_labels: t.data.user_labels.clone(),
                        item_labels: t.data.item_labels.clone(),
                        cold_users: t.cold_users.clone(),
                        item_categories: t.data.item_categories.clone(),
                        category_labels: t.data.category_labels.clone(),
                        attributes: t.data.attributes.clone(),
                    });
                    shared.push((Arc::clone(&t.data), self.train_sets.len() - 1));
                    self.train_sets.len() - 1
                }
            };
            self.recommenders.push(SavedRecommender {
                run_id: entry.record.id,
                train_set,
                params: t.params.clone(),
                options: t.options.clone(),
                model: t.model.snapshot(),
                metrics: t.metrics.clone(),
                cold: t.cold.clone(),
                new_items: t.new_items.clone(),
                epochs: t.epochs.clone(),
                fit_secs: t.fit_secs,
                stopped_early: t.stopped_early,
                engine: t.engine.clone(),
            });
        }
    }

    /// The run history with every saved model restored. A model that does not
    /// fit its data is dropped (its run stays) and reported in the warnings.
    pub fn history(&self) -> (RunHistory, Vec<String>) {
        let mut warnings = Vec::new();
        let mut datas: Vec<Option<Arc<Interactions>>> = vec![None; self.train_sets.len()];
        let mut session_datas: SessionDatas = vec![None; self.session_sets.len()];
        let mut history = RunHistory::default();
        for record in &self.runs {
            let mut model = self
                .recommenders
                .iter()
                .find(|m| m.run_id == record.id)
                .and_then(|m| match self.restore(m, &mut datas) {
                    Ok(t) => Some(RunModel::Recommender(Arc::new(t))),
                    Err(e) => {
                        warnings.push(format!("run {}: {e}", record.id));
                        None
                    }
                });
            if let Some(s) = self.segments.iter().find(|s| s.run_id == record.id) {
                model = Some(RunModel::Segments(Arc::new(s.fit.clone())));
            }
            if let Some(p) = self.predictions.iter().find(|p| p.run_id == record.id) {
                model = Some(RunModel::Predict(Arc::new(p.result.clone())));
            }
            if let Some(b) = self.bandits.iter().find(|b| b.run_id == record.id) {
                model = Some(RunModel::Bandit(Arc::new(b.result.clone())));
            }
            if let Some(s) = self.session_models.iter().find(|s| s.run_id == record.id) {
                match self.restore_session(s, &mut session_datas) {
                    Ok(t) => model = Some(RunModel::Session(Arc::new(t))),
                    Err(e) => warnings.push(format!("run {}: {e}", record.id)),
                }
            }
            if let Some(s) = self.sentiments.iter().find(|s| s.run_id == record.id) {
                let mut run = s.run.clone();
                run.vectorizer.rebuild_index();
                model = Some(RunModel::Sentiment(Arc::new(
                    crate::text::SentimentResult {
                        run,
                        reviews: s.reviews.clone(),
                        source: s.source.clone(),
                        data: record.data.clone(),
                        catalogue: crate::data::catalogue::Catalogue::beside(&record.data.file),
                    },
                )));
            }
            history.entries.push(RunEntry {
                record: record.clone(),
                model,
            });
        }
        (history, warnings)
    }

    fn restore(
        &self,
        saved: &SavedRecommender,
        datas: &mut [Option<Arc<Interactions>>],
    ) -> Result<Trained, String> {
        let set = self
            .train_sets
            .get(saved.train_set)
            .ok_or("missing train set")?;
        let data = datas[saved.train_set]
            .get_or_insert_with(|| {
                Arc::new(Interactions {
                    user_labels: set.user_labels.clone(),
                    item_labels: set.item_labels.clone(),
                    item_categories: set.item_categories.clone(),
                    category_labels: set.category_labels.clone(),
                    attributes: set.attributes.clone(),
                    ..Default::default()
                })
            })
            .clone();
        let content = crate::recsys::content::ContentIndex::build(
            &data,
            &data.attributes,
            &crate::task::CancelToken::new(),
        )
        .map_err(|_| "cancelled")?
        .map(Arc::new);
        let model = saved.model.clone().restore(&set.train)?;
        Ok(Trained {
            item_is_untrained: crate::recsys::untrained_items(&set.train),
            content,
            new_items: saved.new_items.clone(),
            bestsellers: crate::recsys::cold::Bestsellers::new(&set.train, &data),
            cold: saved.cold.clone(),
            cold_users: set.cold_users.clone(),
            params: saved.params.clone(),
            options: saved.options.clone(),
            split: set.split.clone(),
            data,
            train: set.train.clone(),
            relevant: set.relevant.clone(),
            model,
            metrics: saved.metrics.clone(),
            epochs: saved.epochs.clone(),
            fit_secs: saved.fit_secs,
            stopped_early: saved.stopped_early,
            engine: saved.engine.clone(),
        })
    }

    /// A session model refitted on its saved sessions.
    fn restore_session(
        &self,
        saved: &SavedSession,
        datas: &mut SessionDatas,
    ) -> Result<crate::session::SessionTrained, String> {
        use crate::params::Hyperparams;
        let set = self
            .session_sets
            .get(saved.sessions)
            .ok_or("missing session set")?;
        let slot = datas.get_mut(saved.sessions).ok_or("missing session set")?;
        let (data, index) = slot
            .get_or_insert_with(|| {
                let index = crate::session::index::SessionIndex::build(&set.train, set.n_items());
                (Arc::new(set.clone()), Arc::new(index))
            })
            .clone();
        if data
            .train
            .iter()
            .chain(&data.test)
            .any(|s| s.items.iter().any(|&i| i as usize >= data.n_items()))
        {
            return Err("its sessions name items it does not have".into());
        }
        let params = saved
            .params
            .clone()
            .checked()
            .map_err(|e| crate::params::joined(&e))?;
        let model = crate::session::models::fit(&params, &data, &index);
        Ok(crate::session::SessionTrained::new(
            saved.params.clone(),
            saved.options.clone(),
            data,
            index,
            model,
            saved.metrics.clone(),
            saved.fit_secs,
            saved.eval_secs,
        ))
    }

    /// Where a data source is: absolute paths as saved, relative ones (from
    /// older files or hand edits) beside the workspace file.
    pub fn resolve(&self, workspace_path: &Path, source: &Path) -> PathBuf {
        if source.is_absolute() {
            return source.to_path_buf();
        }
        workspace_path
            .parent()
            .map(|dir| dir.join(source))
            .unwrap_or_else(|| source.to_path_buf())
    }

    /// Add `runs` (with their models) to the saved history as one new sweep,
    /// and their data source when it is not there yet.
    pub fn append(&mut self, runs: Vec<RunOutcome>, source: DataSource) {
        let (mut saved, _) = self.history();
        let sweep = saved.new_sweep();
        for run in runs {
            let mut record = run.record;
            record.sweep = Some(sweep);
            saved.push(record, run.model);
        }
        self.put_history(&saved);
        if !self.sources.contains(&source) {
            self.sources.push(source);
        }
    }

    /// Open `path` if it exists, or start an empty workspace if it does not.
    /// Any other failure (unreadable, damaged, newer) is an error.
    pub fn open_or_new(path: &Path) -> Result<Workspace, WorkspaceError> {
        if path.exists() {
            Workspace::open(path)
        } else {
            Ok(Workspace::default())
        }
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workspace".into());
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_version_and_damage_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.shoplens");
        let ws = Workspace {
            pseudonym_salt: "s".into(),
            ..Default::default()
        };
        ws.save(&p).unwrap();
        assert_eq!(Workspace::open(&p).unwrap(), ws);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");

        std::fs::write(&p, b"hello").unwrap();
        assert!(matches!(
            Workspace::open(&p),
            Err(WorkspaceError::NotAWorkspace { .. })
        ));
        std::fs::write(&p, format!("{MAGIC} 99\n")).unwrap();
        assert!(matches!(
            Workspace::open(&p),
            Err(WorkspaceError::TooNew { found: 99, .. })
        ));
        std::fs::write(&p, format!("{MAGIC} 1\nnot gzip")).unwrap();
        let e = Workspace::open(&p).unwrap_err();
        assert!(matches!(e, WorkspaceError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("left unchanged"));
    }
}
