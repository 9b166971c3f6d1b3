//! Recommenders: interaction matrix, models, time-respecting evaluation,
//! explanations and export.

pub mod capability;
pub mod cold;
pub mod content;
pub mod dense_rank;
pub mod matrix;
pub mod metrics;
pub mod models;
pub mod new_items;
pub mod params;
pub mod saved;
pub mod settings;
pub mod sparse_rank;
pub mod split;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use crate::params::Checked;
use crate::runs::StepTime;
use crate::task::{thread_pool, CancelToken, EpochEvent, Reporter};
use cold::{evaluate_cold, Bestsellers, ColdStart, Fallback};
use matrix::{Csr, Interactions};
use metrics::{evaluate, evaluation_users, top_k, Metrics};
use models::{fit, FitContext, Model};
use params::{ModelParams, TrainOptions};
use split::{split, ColdUser, Split};

pub mod task;

/// The recommenders' runs, as records and workspaces name them.
pub const KIND: crate::runs::RunKind = crate::runs::RunKind::new("recommender");

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
    /// Over the customers with training history.
    pub metrics: Metrics,
    /// New customers of the test period and how the fallback did for them.
    pub cold: Option<ColdStart>,
    /// The new customers, by user index (their arrival item).
    pub cold_users: Vec<ColdUser>,
    /// What new customers are shown.
    pub bestsellers: Bestsellers,
    /// Content similarity of the items, when they have text or attributes.
    pub content: Option<Arc<content::ContentIndex>>,
    /// How new items (first seen after a temporal cut) are found.
    pub new_items: Option<new_items::NewItemsReport>,
    /// Items with no training interaction.
    pub item_is_untrained: Vec<bool>,
    pub epochs: Vec<EpochEvent>,
    pub fit_secs: f64,
    /// How long the split, the fit and the evaluation took.
    pub steps: Vec<StepTime>,
    /// The epoch early stopping ended training at, when it did.
    pub stopped_early: Option<usize>,
    /// The outside engine that trained the model (ALS on Spark), if any.
    pub engine: Option<crate::runs::EngineRecord>,
}

/// Split, fit and evaluate. The reporter sees every epoch (loss, and every
/// `validate_every` epochs the validation NDCG@k on the test users; with
/// early stopping and validation off, every 5 epochs) and is checked for
/// cancel inside the loops.
pub fn train_and_evaluate(
    data: Arc<Interactions>,
    how: &Split,
    params: &Checked<ModelParams>,
    options: &TrainOptions,
    reporter: &Reporter,
) -> Result<Trained, RecError> {
    let cancel = reporter.cancel_token();
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
    let split_started = Instant::now();
    reporter.progress(None, "splitting the interactions");
    let tt = split(&data, how)?;
    let split_secs = split_started.elapsed().as_secs_f64();
    reporter.progress(None, &format!("training {}", params.label()));
    if tt.users_evaluated() == 0 {
        return Err(RecError::Input(format!(
            "no customer with training history has a test item that is not already in their history, so nothing can be evaluated{}; try another split",
            if tt.cold.is_empty() {
                String::new()
            } else {
                format!(" ({} new customers appear only in the test period)", tt.cold.len())
            }
        )));
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
        reporter.epoch(e);
    };
    let k = options.k;
    let users = evaluation_users(&tt.relevant, options.eval_users, options.seed);
    let validate = |m: &dyn Model| {
        let metrics = evaluate(
            m,
            &tt.train,
            &tt.relevant,
            &users,
            k,
            &pool,
            cancel,
            &|_| {},
        )
        .unwrap_or_default();
        (format!("ndcg@{k}"), metrics.ndcg)
    };
    let on_progress = reporter.fraction();
    let ctx = FitContext {
        cancel,
        on_epoch: &record,
        on_progress: &on_progress,
        validate: Some(&validate),
        pool: &pool,
        stop: (options.patience > 0).then_some(&stop),
    };
    let start = Instant::now();
    let train_data = models::TrainData {
        matrix: &tt.train,
        events: Some(models::TrainEvents {
            data: &data,
            is_test: &tt.is_test,
        }),
    };
    let models::Fitted { model, engine } = fit(params, train_data, options, &ctx)?;
    let fit_secs = start.elapsed().as_secs_f64();
    let evaluate_started = Instant::now();
    let eligible = tt.users_evaluated();
    let customers = if users.len() < eligible {
        format!(
            "a random sample of {} of {} customers",
            crate::display::thousands(users.len() as u64),
            crate::display::thousands(eligible as u64)
        )
    } else {
        format!("{} customers", crate::display::thousands(eligible as u64))
    };
    let evaluating = |done: f32| {
        reporter.progress(Some(done), &format!("evaluating on {customers}"));
    };
    let mut metrics = evaluate(
        model.as_ref(),
        &tt.train,
        &tt.relevant,
        &users,
        k,
        &pool,
        cancel,
        &evaluating,
    )
    .map_err(|_| RecError::Cancelled)?;
    metrics.users_sampled_from = (users.len() < eligible).then_some(eligible);
    let bestsellers = Bestsellers::new(&tt.train, &data);
    let cold = if tt.cold.is_empty() {
        None
    } else {
        Some(evaluate_cold(
            &bestsellers,
            &tt.train,
            &tt.cold,
            k,
            &pool,
            cancel,
        )?)
    };
    let content = content::ContentIndex::build(&data, &data.attributes, cancel)
        .map_err(|_| RecError::Cancelled)?
        .map(Arc::new);
    let new_items = match how {
        Split::Temporal { .. } => pool
            .install(|| {
                new_items::evaluate_new_items(
                    &data,
                    &tt.train,
                    &tt.relevant,
                    content.as_deref(),
                    k,
                    cancel,
                )
            })
            .map_err(|_| RecError::Cancelled)?,
        _ => None,
    };
    let epochs = epochs.into_inner().unwrap_or_default();
    let item_is_untrained = untrained_items(&tt.train);
    let steps = vec![
        StepTime::new("split", split_secs),
        StepTime::new("fit", fit_secs),
        StepTime::new("evaluate", evaluate_started.elapsed().as_secs_f64()),
    ];
    Ok(Trained {
        content,
        new_items,
        item_is_untrained,
        params: (**params).clone(),
        options: options.clone(),
        split: how.clone(),
        data,
        train: tt.train,
        relevant: tt.relevant,
        model,
        metrics,
        cold,
        cold_users: tt.cold,
        bestsellers,
        epochs,
        fit_secs,
        steps,
        stopped_early: stopped_early.into_inner().unwrap_or_default(),
        engine,
    })
}

/// Customers whose lists are worked out before they are written.
const EXPORT_STRETCH: usize = 4096;

/// Which items no training row has.
pub fn untrained_items(train: &Csr) -> Vec<bool> {
    let mut out = vec![true; train.n_cols];
    for u in 0..train.n_rows {
        for &i in train.row(u).0 {
            out[i as usize] = false;
        }
    }
    out
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

/// Where a customer's list comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListSource {
    /// The model, from the customer's training history.
    Model,
    /// A new customer: the fallback, with the category it used.
    NewCustomer {
        fallback: Fallback,
        category: Option<String>,
    },
}

impl ListSource {
    /// What the explorer and the exports say of it ("" for the model).
    pub fn note(&self) -> String {
        match self {
            ListSource::Model => String::new(),
            ListSource::NewCustomer {
                category: Some(c), ..
            } => format!("new customer: bestsellers in {c}"),
            ListSource::NewCustomer { .. } => "new customer: bestsellers".into(),
        }
    }
}

impl Trained {
    /// A new customer's arrival item, when `user` is one.
    fn arrival_of(&self, user: u32) -> Option<u32> {
        self.cold_users
            .binary_search_by_key(&user, |c| c.user)
            .ok()
            .map(|i| self.cold_users[i].arrival)
    }

    /// Whether `user`'s list comes from the model or the new-customer fallback.
    pub fn source_of(&self, user: u32) -> ListSource {
        if self.train.row_len(user as usize) > 0 {
            return ListSource::Model;
        }
        let arrival = self.arrival_of(user);
        let fallback = self.bestsellers.fallback(arrival);
        ListSource::NewCustomer {
            fallback,
            category: match fallback {
                Fallback::CategoryBestsellers => arrival
                    .and_then(|a| self.data.category_of(a))
                    .map(str::to_owned),
                Fallback::Bestsellers => None,
            },
        }
    }

    /// Top `k` for `user`, excluding their train items, ties by smaller index;
    /// a customer without training history gets the new-customer fallback.
    pub fn recommend(&self, user: u32, k: usize, explain: usize) -> Vec<Recommendation> {
        let row = self.train.row(user as usize);
        if row.0.is_empty() {
            let (items, _) = self.bestsellers.recommend(self.arrival_of(user), k);
            return items
                .into_iter()
                .map(|(item, score)| Recommendation {
                    item,
                    score,
                    because: Vec::new(),
                })
                .collect();
        }
        let mut scores = vec![0f32; self.train.n_cols];
        self.model.scores(user, row, &mut scores);
        self.ranked(&scores, row, k, explain, &|item, n| {
            self.model.explain(user, row, item, n)
        })
    }

    /// Top `k` for `user` from the model's scores blended with content:
    /// `(1 − alpha) × model + alpha × content`, each scaled to a maximum of 1
    /// over the candidates, content being Σ over the history of weight ×
    /// cosine. Items nobody touched in training (new arrivals) have no model
    /// score, so only content ranks them. An item the model scores is
    /// explained by the model; the others by the history items most like it.
    /// `alpha` 0 is [`Self::recommend`]; a new customer gets the fallback.
    pub fn recommend_hybrid(
        &self,
        user: u32,
        alpha: f32,
        k: usize,
        explain: usize,
    ) -> Vec<Recommendation> {
        let row = self.train.row(user as usize);
        let Some(content) = self.content.as_deref().filter(|_| alpha > 0.0) else {
            return self.recommend(user, k, explain);
        };
        if row.0.is_empty() {
            return self.recommend(user, k, explain);
        }
        let alpha = alpha.clamp(0.0, 1.0);
        let n = self.train.n_cols;
        let mut model = vec![0f32; n];
        self.model.scores(user, row, &mut model);
        let history: Vec<(u32, f32)> = row.0.iter().copied().zip(row.1.iter().copied()).collect();
        let all: Vec<u32> = (0..n as u32).collect();
        let like = content.profile_scores(&history, &all);
        let max_of = |v: &[f32]| {
            v.iter()
                .enumerate()
                .filter(|(i, _)| row.0.binary_search(&(*i as u32)).is_err())
                .map(|(_, &s)| s)
                .fold(0f32, f32::max)
        };
        let (m_max, c_max) = (max_of(&model), max_of(&like));
        let blended: Vec<f32> = model
            .iter()
            .zip(&like)
            .map(|(&m, &c)| {
                let m = if m_max > 0.0 { m.max(0.0) / m_max } else { 0.0 };
                let c = if c_max > 0.0 { c / c_max } else { 0.0 };
                (1.0 - alpha) * m + alpha * c
            })
            .collect();
        self.ranked(&blended, row, k, explain, &|item, limit| {
            if model[item as usize] > 0.0 {
                return self.model.explain(user, row, item, limit);
            }
            let mut by_content: Vec<(u32, f32)> = history
                .iter()
                .map(|&(i, w)| (i, w * content.profile_scores(&[(i, 1.0)], &[item])[0]))
                .filter(|&(_, s)| s > 0.0)
                .collect();
            by_content.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            by_content.truncate(limit);
            by_content
        })
    }

    /// Whether nobody touched `item` in training (a new arrival).
    pub fn is_new_item(&self, item: u32) -> bool {
        self.item_is_untrained
            .get(item as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Top `k` for a customer the model has never seen, from the items in
    /// their basket (weights as event weights), with reasons — no retraining:
    /// item kNN and EASE score the basket by their formula, ALS and BPR fold
    /// it into their factor space by one least-squares solve.
    pub fn recommend_basket(
        &self,
        basket: &[(u32, f32)],
        k: usize,
        explain: usize,
    ) -> Vec<Recommendation> {
        let mut items: Vec<(u32, f32)> = basket
            .iter()
            .copied()
            .filter(|(i, w)| (*i as usize) < self.train.n_cols && w.is_finite() && *w > 0.0)
            .collect();
        items.sort_unstable_by_key(|(i, _)| *i);
        items.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        let (cols, vals): (Vec<u32>, Vec<f32>) = items.into_iter().unzip();
        let row = (cols.as_slice(), vals.as_slice());
        let mut scores = vec![0f32; self.train.n_cols];
        self.model.basket_scores(row, &mut scores);
        self.ranked(&scores, row, k, explain, &|item, n| {
            self.model.explain(u32::MAX, row, item, n)
        })
    }

    fn ranked(
        &self,
        scores: &[f32],
        row: (&[u32], &[f32]),
        k: usize,
        explain: usize,
        because: &dyn Fn(u32, usize) -> Vec<(u32, f32)>,
    ) -> Vec<Recommendation> {
        top_k(scores, row.0, k)
            .into_iter()
            .map(|item| Recommendation {
                item,
                score: scores[item as usize],
                because: if explain > 0 {
                    because(item, explain)
                } else {
                    Vec::new()
                },
            })
            .collect()
    }

    /// The top `k` of each of `users`, as [`Self::recommend`] without reasons
    /// gives it, those with history scored in one block.
    fn lists(&self, users: &[u32], k: usize) -> Vec<Vec<Recommendation>> {
        if self.model.scores_sparsely() {
            let mut touched = sparse_rank::SparseScores::new(self.train.n_cols);
            return users
                .iter()
                .map(|&u| self.sparse_list(u, k, &mut touched))
                .collect();
        }
        let with_history: Vec<u32> = users
            .iter()
            .copied()
            .filter(|&u| self.train.row_len(u as usize) > 0)
            .collect();
        let mut lists = self.history_lists(&with_history, k).into_iter();
        let mut with_history = with_history.iter().peekable();
        users
            .iter()
            .map(|&u| {
                let list = with_history
                    .next_if(|&&h| h == u)
                    .and_then(|_| lists.next());
                list.unwrap_or_else(|| self.recommend(u, k, 0))
            })
            .collect()
    }

    /// The top `k` of each of `users`, who all have history: one block of
    /// whole rows, or for a factor model's large catalogue a tile of items
    /// at a time ([`dense_rank`]), the lists and scores the same.
    fn history_lists(&self, users: &[u32], k: usize) -> Vec<Vec<Recommendation>> {
        let n = self.train.n_cols;
        let no_reasons = &|_, _| Vec::new();
        if let Some(f) = self.tiled_factors() {
            let users: Vec<usize> = users.iter().map(|&u| u as usize).collect();
            let asks: Vec<dense_rank::Ask> = users
                .iter()
                .map(|&u| dense_rank::Ask {
                    excluded: self.train.row(u).0,
                    relevant: &[],
                    probes: &[],
                })
                .collect();
            let ranked =
                dense_rank::DenseRanker::new(f, dense_rank::TILE_ITEMS).rank(&users, &asks, k);
            let mut scores = Vec::new();
            return ranked
                .into_iter()
                .zip(&users)
                .map(|(got, &u)| {
                    f.score_items(u, &got.top, &mut scores);
                    got.top
                        .iter()
                        .zip(&scores)
                        .map(|(&item, &score)| Recommendation {
                            item,
                            score,
                            because: Vec::new(),
                        })
                        .collect()
                })
                .collect();
        }
        let mut scores = vec![0f32; users.len() * n];
        self.model.score_block(users, &self.train, &mut scores);
        users
            .iter()
            .zip(scores.chunks_exact(n.max(1)))
            .map(|(&u, scores)| self.ranked(scores, self.train.row(u as usize), k, 0, no_reasons))
            .collect()
    }

    /// The model's factors when it ranks this catalogue a tile at a time
    /// ([`dense_rank::ranks_tiled`]).
    fn tiled_factors(&self) -> Option<&models::Factors> {
        let n = self.train.n_cols;
        self.model
            .factors()
            .filter(|f| dense_rank::ranks_tiled(f, n))
    }

    /// [`Self::recommend`] without reasons, for a model that scores from
    /// the items a history touches ([`Model::add_sparse_scores`]); `touched`
    /// is all +0 before and after.
    fn sparse_list(
        &self,
        user: u32,
        k: usize,
        touched: &mut sparse_rank::SparseScores,
    ) -> Vec<Recommendation> {
        let row = self.train.row(user as usize);
        if row.0.is_empty() {
            return self.recommend(user, k, 0);
        }
        self.model.add_sparse_scores(row, touched);
        let list = touched
            .top_k(row.0, k)
            .into_iter()
            .map(|item| Recommendation {
                item,
                score: touched.values()[item as usize],
                because: Vec::new(),
            })
            .collect();
        touched.clear();
        list
    }

    /// Every user's list of the run's k to `path` (see [`Self::export_top_k`]);
    /// what was written, in words.
    pub fn export_lists(
        &self,
        path: &Path,
        pseudonym: Option<&crate::export::Pseudonymizer>,
        cancel: &CancelToken,
        progress: &dyn Fn(f32, &str),
    ) -> Result<String, RecError> {
        let rows = self.export_top_k(path, self.options.k, pseudonym, cancel, progress)?;
        Ok(format!(
            "Exported {rows} recommendations to {}",
            path.display()
        ))
    }

    /// Every user's top `k` as CSV `user,rank,item,score,note` (the note says
    /// when a new customer got the fallback); with `pseudonym`
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
        writeln!(w, "user,rank,item,score,note").map_err(io)?;
        let n = self.train.n_rows;
        let pool = thread_pool(self.options.threads)?;
        let mut rows = 0;
        // Lists are worked out a stretch of customers at a time on the run's
        // threads, then written in customer order.
        let users: Vec<u32> = (0..n as u32).collect();
        for stretch in users.chunks(EXPORT_STRETCH) {
            if cancel.is_cancelled() {
                drop(w);
                let _ = std::fs::remove_file(&tmp);
                return Err(RecError::Cancelled);
            }
            progress(stretch[0] as f32 / n.max(1) as f32, "exporting");
            let lists: Vec<Vec<Recommendation>> = pool.install(|| {
                stretch
                    .par_chunks(match self.tiled_factors() {
                        Some(_) => dense_rank::BLOCK_ROWS,
                        None => metrics::rows_per_block(self.train.n_cols),
                    })
                    .flat_map_iter(|block| self.lists(block, k))
                    .collect()
            });
            for (&u, list) in stretch.iter().zip(lists) {
                let u = u as usize;
                let note = crate::export::csv_field(&self.source_of(u as u32).note());
                for (rank, rec) in list.into_iter().enumerate() {
                    writeln!(
                        w,
                        "{},{},{},{},{note}",
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
