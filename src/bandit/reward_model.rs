//! The reward model q̂(x, a, s) that DM and DR lean on, fitted on the
//! evaluated rows:
//! - **mean**: each item and slot's mean reward, with `smoothing`
//!   pseudo-rows at the overall mean (no context);
//! - **logistic**: one logistic regression per slot on [the row's context
//!   features, the item's features], penalty ‖w‖²/(2C) on the weights and
//!   none on the intercept, minimised to a tight tolerance — obp's
//!   `RegressionModel(fitting_method='normal')` over scikit-learn's
//!   `LogisticRegression(C)`. The item's features are its one-hot (obp's
//!   default action context) or, when an item file is chosen, the
//!   features it gives the item (obp's `action_context`); either way q̂ of
//!   an item is σ(the row's context logit + the item's logit).
//!   With `folds` > 1 it is cross-fitted: the rows are dealt into
//!   folds by a seeded shuffle and each fold is predicted by the model
//!   fitted on the other folds.

use std::ops::Range;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::item_features::item_file;
use super::log::BanditLog;
use super::params::EvaluationParams;
use crate::task::{CancelToken, TaskError};
use crate::text::logreg::{fit as fit_logistic, LbfgsSettings};
use crate::text::model::sigmoid;
use crate::text::tfidf::SparseRows;

/// Which reward model DM and DR use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RewardModelKind {
    #[default]
    Mean,
    Logistic,
}

impl RewardModelKind {
    pub fn name(self) -> &'static str {
        match self {
            RewardModelKind::Mean => "mean",
            RewardModelKind::Logistic => "logistic",
        }
    }
}

/// The gradient tolerance of the logistic fits (on the mean loss): far
/// below anything the estimates can show, as a peer "converged tightly".
const LOGISTIC_TOL: f64 = 1e-10;
const LOGISTIC_MAX_ITER: usize = 10_000;

/// One slot's logistic model: the context's weights, the intercept and
/// each item's logit (its features' weights summed); or a constant when
/// the slot's rows all earned the same.
#[derive(Clone, Debug)]
enum SlotModel {
    Logistic {
        weights: Vec<f64>,
        intercept: f64,
        item_logits: Vec<f64>,
    },
    Constant(f64),
}

/// A fitted reward model over the evaluated rows `rows`.
pub struct RewardModel {
    inner: Inner,
}

enum Inner {
    /// q̂ per slot and item.
    Table(Vec<Vec<f64>>),
    Logistic {
        /// models[fold][slot].
        models: Vec<Vec<SlotModel>>,
        /// The fold of each evaluated row (by its index in `rows`).
        fold_of: Vec<u32>,
        start: usize,
    },
}

/// q̂(a) for one row: its slot's table, or the row's logit before the
/// item's weight.
pub enum RowRewards<'a> {
    Table(&'a [f64]),
    Logit { base: f64, items: &'a [f64] },
    Constant(f64),
}

impl RowRewards<'_> {
    pub fn q(&self, action: usize) -> f64 {
        match self {
            RowRewards::Table(t) => t[action],
            RowRewards::Logit { base, items } => sigmoid(base + items[action]),
            RowRewards::Constant(p) => *p,
        }
    }
}

impl RewardModel {
    /// Fit on `rows` of `log` as `params` say.
    pub fn fit(
        log: &BanditLog,
        rows: Range<usize>,
        params: &EvaluationParams,
        seed: u64,
        cancel: &CancelToken,
    ) -> Result<RewardModel, TaskError> {
        let inner = match params.reward_model {
            RewardModelKind::Mean => Inner::Table(mean_table(log, rows, params.smoothing)),
            RewardModelKind::Logistic => logistic(log, rows, params, seed, cancel)?,
        };
        Ok(RewardModel { inner })
    }

    /// q̂ of every item for row `row` (an evaluated row) in its slot.
    /// `features` is scratch space.
    pub fn row<'a>(
        &'a self,
        log: &BanditLog,
        row: usize,
        features: &mut Vec<(u32, f32)>,
    ) -> RowRewards<'a> {
        let slot = log.slots[row] as usize;
        match &self.inner {
            Inner::Table(t) => RowRewards::Table(&t[slot]),
            Inner::Logistic {
                models,
                fold_of,
                start,
            } => match &models[fold_of[row - start] as usize][slot] {
                SlotModel::Constant(p) => RowRewards::Constant(*p),
                SlotModel::Logistic {
                    weights,
                    intercept,
                    item_logits,
                } => {
                    log.context.features(row, features);
                    let base = features.iter().fold(*intercept, |z, &(j, v)| {
                        z + weights[j as usize] * f64::from(v)
                    });
                    RowRewards::Logit {
                        base,
                        items: item_logits,
                    }
                }
            },
        }
    }
}

fn mean_table(log: &BanditLog, rows: Range<usize>, smoothing: f64) -> Vec<Vec<f64>> {
    let (k, slots) = (log.n_actions(), log.n_slots());
    let n = rows.len().max(1) as f64;
    let mean: f64 = rows.clone().map(|i| log.rewards[i]).sum::<f64>() / n;
    let (mut sum, mut count) = (vec![vec![0.0; k]; slots], vec![vec![0.0; k]; slots]);
    for i in rows {
        let (s, a) = (log.slots[i] as usize, log.actions[i] as usize);
        sum[s][a] += log.rewards[i];
        count[s][a] += 1.0;
    }
    (0..slots)
        .map(|s| {
            (0..k)
                .map(|a| {
                    let c = count[s][a] + smoothing;
                    if c > 0.0 {
                        (sum[s][a] + smoothing * mean) / c
                    } else {
                        mean
                    }
                })
                .collect()
        })
        .collect()
}

fn logistic(
    log: &BanditLog,
    rows: Range<usize>,
    params: &EvaluationParams,
    seed: u64,
    cancel: &CancelToken,
) -> Result<Inner, TaskError> {
    log.require_binary(
        rows.clone(),
        "the logistic reward model",
        " (use the mean reward model)",
    )?;
    let folds = params.folds.max(1).min(rows.len().max(1));
    let mut fold_of: Vec<u32> = (0..rows.len()).map(|i| (i % folds) as u32).collect();
    if folds > 1 {
        fold_of.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EED_F01D));
    }
    let items = item_encoding(log, params)?;
    let context_width = log.context.width();
    let width = context_width + items.width;
    let settings = LbfgsSettings {
        c: params.reward_c,
        max_iter: LOGISTIC_MAX_ITER,
        tol: LOGISTIC_TOL,
    };
    let mut models = Vec::with_capacity(folds);
    let mut features = Vec::new();
    for fold in 0..folds {
        let mut per_slot = Vec::with_capacity(log.n_slots());
        for slot in 0..log.n_slots() {
            // Rows of this slot outside the fold (all of them without
            // cross-fitting).
            let mut x = SparseRows {
                indptr: vec![0],
                n_cols: width,
                ..Default::default()
            };
            let mut y = Vec::new();
            for (e, i) in rows.clone().enumerate() {
                if log.slots[i] as usize != slot || (folds > 1 && fold_of[e] as usize == fold) {
                    continue;
                }
                log.context.features(i, &mut features);
                for &(j, v) in &features {
                    x.indices.push(j);
                    x.values.push(v);
                }
                for &(j, v) in &items.per_item[log.actions[i] as usize] {
                    x.indices.push(context_width as u32 + j);
                    x.values.push(v);
                }
                x.indptr.push(x.indices.len());
                y.push(log.rewards[i] == 1.0);
            }
            if y.is_empty() {
                return Err(TaskError::Input(format!(
                    "{}: slot {} has no evaluated rows to fit the logistic reward model on{}",
                    log.path.display(),
                    log.slot_labels[slot],
                    if folds > 1 {
                        " in one of the folds (use fewer folds)"
                    } else {
                        ""
                    }
                )));
            }
            let clicked = y.iter().filter(|&&c| c).count();
            per_slot.push(if clicked == 0 || clicked == y.len() {
                SlotModel::Constant(clicked as f64 / y.len() as f64)
            } else {
                let mut m = fit_logistic(&x, &y, &settings, cancel, &mut |_, _, _| {})?;
                let item_weights = m.weights.split_off(context_width);
                SlotModel::Logistic {
                    weights: m.weights,
                    intercept: m.intercept,
                    item_logits: items
                        .per_item
                        .iter()
                        .map(|f| {
                            f.iter()
                                .map(|&(j, v)| item_weights[j as usize] * f64::from(v))
                                .sum()
                        })
                        .collect(),
                }
            });
        }
        models.push(per_slot);
    }
    if folds == 1 {
        fold_of.iter_mut().for_each(|f| *f = 0);
    }
    Ok(Inner::Logistic {
        models,
        fold_of,
        start: rows.start,
    })
}

/// How the logistic model sees each item: the item file's features, or a
/// one-hot of its own. The file's features are borrowed from the log, not
/// copied for every fit.
struct ItemEncoding<'a> {
    width: usize,
    per_item: std::borrow::Cow<'a, [Vec<(u32, f32)>]>,
}

fn item_encoding<'a>(
    log: &'a BanditLog,
    params: &EvaluationParams,
) -> Result<ItemEncoding<'a>, TaskError> {
    match (&log.items, item_file(&log.path, &params.item_features)) {
        (Some(items), _) => Ok(ItemEncoding {
            width: items.width,
            per_item: std::borrow::Cow::Borrowed(&items.per_item),
        }),
        (None, Some(path)) => Err(TaskError::Input(format!(
            "{}: the item features were not read (item features: '{}'); open the evaluation \
             with the logistic reward model to see why",
            path.display(),
            params.item_features
        ))),
        (None, None) => Ok(ItemEncoding {
            width: log.n_actions(),
            per_item: (0..log.n_actions() as u32)
                .map(|a| vec![(a, 1.0)])
                .collect::<Vec<_>>()
                .into(),
        }),
    }
}
