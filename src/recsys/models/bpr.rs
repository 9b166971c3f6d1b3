//! Bayesian personalised ranking matrix factorisation (Rendle et al. 2009),
//! sampled as implicit does it.
//!
//! Each epoch draws as many samples as there are train pairs: a positive (u, i)
//! uniformly among the train pairs, and `negatives` items j drawn from the item
//! column of the train pairs — so negatives are popularity-weighted — skipping
//! any j the user already has. SGD on `ln σ(x_u·(y_i − y_j))` with L2
//! regularisation; the last factor is an item bias (the user's last factor is
//! fixed to 1). Factors start uniform in (−0.5, 0.5) / factors.
//!
//! The reported loss is the mean `−ln σ(x_u·(y_i − y_j))` over every 16th of
//! the epoch's updates (an unbiased estimate of the mean over all of them). With `threads > 1` samples are processed in parallel without locks
//! (Hogwild, as implicit does), which is faster but not reproducible bit for bit;
//! with one thread the same seed gives the same model.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::{Factors, FitContext, Model, ModelSnapshot};
use crate::jobs::EpochEvent;
use crate::recsys::matrix::Csr;
use crate::recsys::params::{BprParams, TrainOptions};
use crate::recsys::RecError;

/// The loss is evaluated on one update in this many.
const LOSS_SAMPLE_EVERY: usize = 16;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bpr {
    pub factors: Factors,
}

/// Shared mutable factors for Hogwild updates.
struct SharedFactors {
    users: *mut f32,
    items: *mut f32,
}
// SAFETY: Hogwild SGD deliberately lets threads race on factor rows; every index
// is in bounds and f32 writes cannot tear into invalid values.
unsafe impl Send for SharedFactors {}
unsafe impl Sync for SharedFactors {}

impl Bpr {
    pub fn fit(
        params: &BprParams,
        train: &Csr,
        options: &TrainOptions,
        ctx: &FitContext,
    ) -> Result<Self, RecError> {
        let dim = params.factors + 1;
        let f = params.factors;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
        let item_counts = train.col_counts();
        let mut items: Vec<f32> = Vec::with_capacity(train.n_cols * dim);
        for &count in &item_counts {
            for _ in 0..dim {
                let v = (rng.gen::<f32>() - 0.5) / f as f32;
                items.push(if count == 0 { 0.0 } else { v });
            }
        }
        let mut users: Vec<f32> = Vec::with_capacity(train.n_rows * dim);
        for u in 0..train.n_rows {
            for d in 0..dim {
                let v = (rng.gen::<f32>() - 0.5) / f as f32;
                users.push(if train.row_len(u) == 0 {
                    0.0
                } else if d == f {
                    1.0
                } else {
                    v
                });
            }
        }
        let user_of: Vec<u32> = (0..train.n_rows)
            .flat_map(|u| std::iter::repeat_n(u as u32, train.row_len(u)))
            .collect();
        let nnz = train.nnz();
        let threads = ctx.pool.current_num_threads().max(1);
        let start = std::time::Instant::now();
        for epoch in 1..=params.epochs {
            ctx.check()?;
            let seeds: Vec<u64> = (0..threads).map(|_| rng.gen()).collect();
            let shared = SharedFactors {
                users: users.as_mut_ptr(),
                items: items.as_mut_ptr(),
            };
            let per_thread = nnz.div_ceil(threads);
            let (loss_sum, loss_samples) = ctx.pool.install(|| {
                seeds
                    .par_iter()
                    .enumerate()
                    .map(|(t, &seed)| {
                        let samples = per_thread.min(nnz.saturating_sub(t * per_thread));
                        run_samples(&shared, train, &user_of, samples, seed, params, dim, ctx)
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .fold((0.0, 0usize), |a, b| (a.0 + b.0, a.1 + b.1))
            });
            ctx.check()?;
            let metric = if ctx.validation_due(epoch, options.validate_every, params.epochs) {
                let snapshot = Bpr {
                    factors: Factors {
                        dim,
                        users: users.clone(),
                        items: items.clone(),
                    },
                };
                ctx.validate.map(|v| v(&snapshot))
            } else {
                None
            };
            (ctx.on_epoch)(EpochEvent {
                epoch,
                loss: loss_sum / loss_samples.max(1) as f64,
                metric,
                secs: start.elapsed().as_secs_f64(),
            });
            if ctx.stop_requested() {
                break;
            }
        }
        Ok(Self {
            factors: Factors { dim, users, items },
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn run_samples(
    shared: &SharedFactors,
    train: &Csr,
    user_of: &[u32],
    samples: usize,
    seed: u64,
    params: &BprParams,
    dim: usize,
    ctx: &FitContext,
) -> (f64, usize) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let nnz = train.nnz();
    let f = dim - 1;
    let (lr, reg) = (params.learning_rate, params.regularization);
    let mut loss = 0.0f64;
    let mut loss_samples = 0usize;
    let mut updates = 0usize;
    for s in 0..samples {
        if s % 65_536 == 0 && ctx.cancel.is_cancelled() {
            break;
        }
        let liked_index = rng.gen_range(0..nnz);
        let u = user_of[liked_index] as usize;
        let i = train.indices[liked_index] as usize;
        for _ in 0..params.negatives {
            let j = train.indices[rng.gen_range(0..nnz)];
            if train.contains(u, j) {
                continue;
            }
            let j = j as usize;
            // SAFETY: u < users, i and j < items; rows are `dim` long (see SharedFactors).
            let (x, yi, yj) = unsafe {
                (
                    std::slice::from_raw_parts_mut(shared.users.add(u * dim), dim),
                    std::slice::from_raw_parts_mut(shared.items.add(i * dim), dim),
                    std::slice::from_raw_parts_mut(shared.items.add(j * dim), dim),
                )
            };
            let mut score = 0.0f32;
            for d in 0..dim {
                score += x[d] * (yi[d] - yj[d]);
            }
            let e = score.exp();
            let z = 1.0 / (1.0 + e);
            // −ln σ(score) = ln(1 + e) − score, on every 16th update only: the
            // mean loss of an epoch is estimated from that sample, which keeps
            // the per-update cost to one exp, as in implicit.
            if updates.is_multiple_of(LOSS_SAMPLE_EVERY) {
                loss += f64::from(e.ln_1p() - score);
                loss_samples += 1;
            }
            updates += 1;
            for d in 0..f {
                let xu = x[d];
                x[d] += lr * (z * (yi[d] - yj[d]) - reg * xu);
                yi[d] += lr * (z * xu - reg * yi[d]);
                yj[d] += lr * (-z * xu - reg * yj[d]);
            }
            yi[f] += lr * (z - reg * yi[f]);
            yj[f] += lr * (-z - reg * yj[f]);
        }
    }
    (loss, loss_samples)
}

impl Model for Bpr {
    fn snapshot(&self) -> ModelSnapshot {
        ModelSnapshot::Bpr(self.clone())
    }

    fn scores(&self, user: u32, _row: (&[u32], &[f32]), out: &mut [f32]) {
        self.factors.score_all(user as usize, out);
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        self.factors.similar_items(item, n)
    }

    /// BPR's score has no exact per-item decomposition: a history item's share
    /// is its interaction weight times the cosine between its factors and the
    /// recommended item's.
    fn explain(&self, _user: u32, row: (&[u32], &[f32]), item: u32, n: usize) -> Vec<(u32, f32)> {
        let dim = self.factors.dim;
        let target = &self.factors.item(item as usize)[..dim - 1];
        let tn = super::linalg::dot(target, target).sqrt().max(1e-12);
        let pairs = row
            .0
            .iter()
            .zip(row.1)
            .map(|(&j, &x)| {
                let yj = &self.factors.item(j as usize)[..dim - 1];
                let cos = super::linalg::dot(target, yj)
                    / (tn * super::linalg::dot(yj, yj).sqrt().max(1e-12));
                (j, x * cos)
            })
            .collect();
        super::top_n(pairs, n)
    }
}
