//! Recommenders: interaction matrix, models, time-respecting evaluation,
//! explanations and export.

pub mod matrix;
pub mod metrics;
pub mod models;
pub mod params;
pub mod split;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::params::Checked;
use crate::task::{thread_pool, CancelToken, EpochEvent};
use matrix::{Csr, Interactions};
use metrics::{evaluate, top_k, Metrics};
use models::{fit, FitContext, Model};
use params::{ModelParams, TrainOptions};
use split::{split, Split};

pub mod task;

/// Errors of the recommender pipeline (the shared model-task error: bad
/// input with a message, invalid parameters one per field, or cancelled).
pub type RecError = crate::task::TaskError;

/// A trained and evaluated model with everything needed to explore it.
pub struct Trained {
    pub params: ModelParams,
    pub options: TrainOptions,
    pub split: Split,
    pub data: Arc<Interactions>,
    pub train: Csr,
    pub relevant: Vec<Vec<u32>>,
    pub model: Box<dyn Model>,
    pub metrics: Metrics,
    pub epochs: Vec<EpochEvent>,
    pub fit_secs: f64,
    /// The epoch early stopping ended training at, when it did.
    pub stopped_early: Option<usize>,
}

/// Split, fit and evaluate. `on_epoch` sees every epoch (loss, and every
/// `validate_every` epochs the validation NDCG@k on the test users; with
/// early stopping and validation off, every 5 epochs).
pub fn train_and_evaluate(
    data: Arc<Interactions>,
    how: &Split,
    params: &Checked<ModelParams>,
    options: &TrainOptions,
    cancel: &CancelToken,
    on_epoch: &(dyn Fn(EpochEvent) + Sync),
) -> Result<Trained, RecError> {
    let options = &options.effective();
    if data.n_users() < 2 {
        return Err(RecError::Input(format!(
            "recommenders need at least 2 users; this data has {}",
            data.n_users()
        )));
    }
    if data.n_items() < 2 {
        return Err(RecError::Input(format!(
            "recommenders need at least 2 items; this data has {}",
            data.n_items()
        )));
    }
    if options.k == 0 || options.k > data.n_items() {
        return Err(RecError::Input(format!(
            "k = {} must be between 1 and the catalogue size ({} items)",
            options.k,
            data.n_items()
        )));
    }
    if data.weights.iter().any(|w| !w.is_finite()) {
        return Err(RecError::Input(
            "some interaction weights are not finite numbers (NaN or infinite)".into(),
        ));
    }
    let tt = split(&data, how)?;
    if tt.users_evaluated() == 0 {
        return Err(RecError::Input(
            "no user has a test item that is not already in their history, so nothing can be evaluated; try another split"
                .into(),
        ));
    }
    let pool = thread_pool(options.threads)?;
    let epochs = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let patience = Mutex::new(Patience::new(options.patience));
    let stopped_early = Mutex::new(None);
    let record = |e: EpochEvent| {
        if let Some((_, value)) = &e.metric {
            if let Ok(mut p) = patience.lock() {
                if p.exhausted_after(*value) && !stop.swap(true, Ordering::Relaxed) {
                    if let Ok(mut at) = stopped_early.lock() {
                        *at = Some(e.epoch);
                    }
                }
            }
        }
        if let Ok(mut list) = epochs.lock() {
            list.push(e.clone());
        }
        on_epoch(e);
    };
    let k = options.k;
    let validate = |m: &dyn Model| {
        let metrics = evaluate(m, &tt.train, &tt.relevant, k, &pool, cancel).unwrap_or_default();
        (format!("ndcg@{k}"), metrics.ndcg)
    };
    let ctx = FitContext {
        cancel,
        on_epoch: &record,
        validate: Some(&validate),
        pool: &pool,
        stop: (options.patience > 0).then_some(&stop),
    };
    let start = Instant::now();
    let model = fit(params, &tt.train, options, &ctx)?;
    let fit_secs = start.elapsed().as_secs_f64();
    let metrics = evaluate(model.as_ref(), &tt.train, &tt.relevant, k, &pool, cancel)
        .map_err(|_| RecError::Cancelled)?;
    let epochs = epochs.into_inner().unwrap_or_default();
    Ok(Trained {
        params: (**params).clone(),
        options: options.clone(),
        split: how.clone(),
        data,
        train: tt.train,
        relevant: tt.relevant,
        model,
        metrics,
        epochs,
        fit_secs,
        stopped_early: stopped_early.into_inner().unwrap_or_default(),
    })
}

/// Early stopping on a validation metric where larger is better: exhausted
/// once `patience` validations in a row brought no improvement over the best.
#[derive(Clone, Debug)]
pub struct Patience {
    patience: usize,
    best: f64,
    since_best: usize,
}

impl Patience {
    /// `patience` 0 never stops.
    pub fn new(patience: usize) -> Self {
        Self {
            patience,
            best: f64::NEG_INFINITY,
            since_best: 0,
        }
    }

    /// Record one validation value; true when training should stop.
    pub fn exhausted_after(&mut self, value: f64) -> bool {
        if value > self.best {
            self.best = value;
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        self.patience > 0 && self.since_best >= self.patience
    }
}

/// One recommended item and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Recommendation {
    pub item: u32,
    pub score: f32,
    /// History items that contributed most, with their contributions.
    pub because: Vec<(u32, f32)>,
}

impl Trained {
    /// Top `k` for `user`, excluding their train items, ties by smaller index.
    pub fn recommend(&self, user: u32, k: usize, explain: usize) -> Vec<Recommendation> {
        let row = self.train.row(user as usize);
        let mut scores = vec![0f32; self.train.n_cols];
        self.model.scores(user, row, &mut scores);
        top_k(&scores, row.0, k)
            .into_iter()
            .map(|item| Recommendation {
                item,
                score: scores[item as usize],
                because: if explain > 0 {
                    self.model.explain(user, row, item, explain)
                } else {
                    Vec::new()
                },
            })
            .collect()
    }

    /// Every user's top `k` as CSV `user,rank,item,score`; with `pseudonym`
    /// the user column holds salted hashes instead of customer ids.
    pub fn export_top_k(
        &self,
        path: &Path,
        k: usize,
        pseudonym: Option<&crate::export::Pseudonymizer>,
        cancel: &CancelToken,
        progress: &dyn Fn(f32, &str),
    ) -> Result<usize, RecError> {
        let io =
            |e: std::io::Error| RecError::Input(format!("{}: cannot write ({e})", path.display()));
        let tmp = path.with_extension("csv.partial");
        let file = std::fs::File::create(&tmp).map_err(io)?;
        let mut w = std::io::BufWriter::new(file);
        writeln!(w, "user,rank,item,score").map_err(io)?;
        let n = self.train.n_rows;
        let mut rows = 0;
        for u in 0..n {
            if u % 256 == 0 {
                if cancel.is_cancelled() {
                    drop(w);
                    let _ = std::fs::remove_file(&tmp);
                    return Err(RecError::Cancelled);
                }
                progress(u as f32 / n.max(1) as f32, "exporting");
            }
            for (rank, rec) in self.recommend(u as u32, k, 0).into_iter().enumerate() {
                writeln!(
                    w,
                    "{},{},{},{}",
                    match pseudonym {
                        Some(p) => p.pseudonym(&self.data.user_labels[u]),
                        None => crate::export::csv_field(&self.data.user_labels[u]),
                    },
                    rank + 1,
                    crate::export::csv_field(&self.data.item_labels[rec.item as usize]),
                    rec.score
                )
                .map_err(io)?;
                rows += 1;
            }
        }
        w.flush().map_err(io)?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(rows)
    }
}

#[cfg(test)]
mod patience_tests {
    use super::Patience;

    #[test]
    fn stops_after_patience_validations_without_improvement() {
        let mut p = Patience::new(2);
        assert!(!p.exhausted_after(0.10));
        assert!(!p.exhausted_after(0.20));
        assert!(!p.exhausted_after(0.20), "equal is not better: 1 without");
        assert!(p.exhausted_after(0.19), "2 without");
        let mut off = Patience::new(0);
        assert!((0..10).all(|_| !off.exhausted_after(0.0)));
    }
}
