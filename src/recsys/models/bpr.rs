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
use crate::recsys::matrix::Csr;
use crate::recsys::params::{BprParams, TrainOptions};
use crate::recsys::RecError;
use crate::task::EpochEvent;

/// The loss is evaluated on one update in this many.
const LOSS_SAMPLE_EVERY: usize = 16;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bpr {
    pub factors: Factors,
    /// λ of the basket fold-in (the training regularisation).
    #[serde(default = "default_fold_in_regularization")]
    pub regularization: f32,
}

fn default_fold_in_regularization() -> f32 {
    BprParams::default().regularization
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
                    regularization: params.regularization,
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
            regularization: params.regularization,
        })
    }
}

/// How many candidate updates ahead the sampler draws its random indices (and
/// prefetches the train arrays they point into), and how many ahead it resolves
/// them to (user, liked, negative) and prefetches those factor rows. On a store
/// whose factors outgrow the CPU caches every update otherwise waits on about
/// six dependent cache misses; drawing ahead changes neither the random stream
/// nor the order of updates.
const DRAW_AHEAD: usize = 16;
const RESOLVE_AHEAD: usize = 8;

/// One candidate update: indices into the train pairs, then what they resolve to.
#[derive(Clone, Copy, Default)]
struct Candidate {
    liked_index: usize,
    negative_index: usize,
    user: u32,
    liked: u32,
    negative: u32,
}

/// The candidate stream in the sampler's random order: a liked pair drawn
/// uniformly from the train pairs, then `negatives` draws from the item column.
struct CandidateStream {
    rng: Xoshiro256PlusPlus,
    nnz: usize,
    negatives: usize,
    liked_index: usize,
    left: usize,
}

impl CandidateStream {
    #[inline(always)]
    fn next(&mut self) -> Candidate {
        if self.left == 0 {
            self.liked_index = self.rng.gen_range(0..self.nnz);
            self.left = self.negatives;
        }
        self.left -= 1;
        Candidate {
            liked_index: self.liked_index,
            negative_index: self.rng.gen_range(0..self.nnz),
            ..Candidate::default()
        }
    }
}

/// Hint the CPU to fetch the cache lines of `len` values at `p` (never faults).
#[inline(always)]
fn prefetch<T>(p: *const T, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let bytes = std::mem::size_of::<T>() * len;
        let base = p.cast::<i8>();
        let mut offset = 0;
        while offset < bytes {
            // SAFETY: prefetch is a hint; it never dereferences or faults.
            unsafe {
                std::arch::x86_64::_mm_prefetch(
                    base.wrapping_add(offset),
                    std::arch::x86_64::_MM_HINT_T0,
                )
            };
            offset += 64;
        }
        // SAFETY: as above; the last byte's line when the rows straddle one more.
        unsafe {
            std::arch::x86_64::_mm_prefetch(
                base.wrapping_add(bytes.saturating_sub(1)),
                std::arch::x86_64::_MM_HINT_T0,
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
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
    let mut stream = CandidateStream {
        rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        nnz: train.nnz(),
        negatives: params.negatives,
        liked_index: 0,
        left: 0,
    };
    let (lr, reg) = (params.learning_rate, params.regularization);
    let total = samples * params.negatives;
    let mut ring = [Candidate::default(); DRAW_AHEAD];
    let draw = |stream: &mut CandidateStream, slot: &mut Candidate| {
        *slot = stream.next();
        prefetch(&user_of[slot.liked_index], 1);
        prefetch(&train.indices[slot.liked_index], 1);
        prefetch(&train.indices[slot.negative_index], 1);
    };
    let resolve = |slot: &mut Candidate| {
        slot.user = user_of[slot.liked_index];
        slot.liked = train.indices[slot.liked_index];
        slot.negative = train.indices[slot.negative_index];
        prefetch(shared.users.wrapping_add(slot.user as usize * dim), dim);
        prefetch(shared.items.wrapping_add(slot.liked as usize * dim), dim);
        prefetch(shared.items.wrapping_add(slot.negative as usize * dim), dim);
        let (start, end) = (
            train.indptr[slot.user as usize],
            train.indptr[slot.user as usize + 1],
        );
        prefetch(&train.indices[(start + end) / 2], 1);
    };
    for slot in ring.iter_mut().take(total.min(DRAW_AHEAD)) {
        draw(&mut stream, slot);
    }
    for slot in ring.iter_mut().take(total.min(RESOLVE_AHEAD)) {
        resolve(slot);
    }
    let mut loss = 0.0f64;
    let mut loss_samples = 0usize;
    let mut updates = 0usize;
    for c in 0..total {
        if c % 65_536 == 0 && ctx.cancel.is_cancelled() {
            break;
        }
        let now = ring[c % DRAW_AHEAD];
        if c + DRAW_AHEAD < total {
            draw(&mut stream, &mut ring[c % DRAW_AHEAD]);
        }
        if c + RESOLVE_AHEAD < total {
            resolve(&mut ring[(c + RESOLVE_AHEAD) % DRAW_AHEAD]);
        }
        let (u, i, j) = (now.user as usize, now.liked as usize, now.negative);
        if train.contains(u, j) {
            continue;
        }
        let j = j as usize;
        // SAFETY: u < users, i and j < items (i ≠ j: i is in u's row, j is
        // not); rows are `dim` long (see SharedFactors).
        let (x, yi, yj) = unsafe {
            (
                std::slice::from_raw_parts_mut(shared.users.add(u * dim), dim),
                std::slice::from_raw_parts_mut(shared.items.add(i * dim), dim),
                std::slice::from_raw_parts_mut(shared.items.add(j * dim), dim),
            )
        };
        let (score, e) = sgd_step(x, yi, yj, lr, reg);
        // −ln σ(score) = ln(1 + e) − score, on every 16th update only: the
        // mean loss of an epoch is estimated from that sample, which keeps
        // the per-update cost to one exp, as in implicit.
        if updates.is_multiple_of(LOSS_SAMPLE_EVERY) {
            loss += f64::from(e.ln_1p() - score);
            loss_samples += 1;
        }
        updates += 1;
    }
    (loss, loss_samples)
}

/// One SGD step on `ln σ(x·(y_i − y_j))`; returns the score and `e^score`.
/// Uses AVX2 and FMA when the CPU has them; the same CPU always takes the
/// same path, so one thread and one seed reproduce exactly. (Compiling the
/// whole sampling loop for AVX2 instead, so that this inlines, measured slower.)
fn sgd_step(x: &mut [f32], yi: &mut [f32], yj: &mut [f32], lr: f32, reg: f32) -> (f32, f32) {
    #[cfg(target_arch = "x86_64")]
    if super::linalg::has_avx2_fma() {
        // SAFETY: AVX2 and FMA support were just checked.
        return unsafe { sgd_step_avx2_fma(x, yi, yj, lr, reg) };
    }
    sgd_step_k::<false>(x, yi, yj, lr, reg)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sgd_step_avx2_fma(
    x: &mut [f32],
    yi: &mut [f32],
    yj: &mut [f32],
    lr: f32,
    reg: f32,
) -> (f32, f32) {
    sgd_step_k::<true>(x, yi, yj, lr, reg)
}

#[inline(always)]
fn sgd_step_k<const FMA: bool>(
    x: &mut [f32],
    yi: &mut [f32],
    yj: &mut [f32],
    lr: f32,
    reg: f32,
) -> (f32, f32) {
    let dim = x.len();
    let (yi, yj) = (&mut yi[..dim], &mut yj[..dim]);
    let f = dim - 1;
    // x·(y_i − y_j) as two vectorised dot products (16 lanes each).
    let score = super::linalg::dot_k::<FMA>(x, yi) - super::linalg::dot_k::<FMA>(x, yj);
    let e = score.exp();
    let z = 1.0 / (1.0 + e);
    let step = |x: &mut f32, yi: &mut f32, yj: &mut f32| {
        let xu = *x;
        *x += lr * (z * (*yi - *yj) - reg * xu);
        *yi += lr * (z * xu - reg * *yi);
        *yj += lr * (-z * xu - reg * *yj);
    };
    // Whole 8-lane chunks first: the compiler then emits vector code without
    // the runtime overlap checks it otherwise guards the loop with.
    let whole = f - f % 8;
    let chunks = x[..whole]
        .chunks_exact_mut(8)
        .zip(yi[..whole].chunks_exact_mut(8))
        .zip(yj[..whole].chunks_exact_mut(8));
    for ((xc, ic), jc) in chunks {
        for l in 0..8 {
            step(&mut xc[l], &mut ic[l], &mut jc[l]);
        }
    }
    for d in whole..f {
        step(&mut x[d], &mut yi[d], &mut yj[d]);
    }
    yi[f] += lr * (z - reg * yi[f]);
    yj[f] += lr * (-z - reg * yj[f]);
    (score, e)
}

impl Model for Bpr {
    fn snapshot(&self) -> ModelSnapshot {
        ModelSnapshot::Bpr(self.clone())
    }

    super::factor_scoring!();

    /// The least-squares fold-in on BPR's item factors (without the bias
    /// component), confidence `1 + weight` for basket items; the item bias
    /// is added back to the score.
    fn basket_scores(&self, row: (&[u32], &[f32]), out: &mut [f32]) {
        let dims = self.factors.dim - 1;
        let yty = self.factors.item_gram(dims);
        let reg = self.regularization.max(1e-6);
        match self
            .factors
            .fold_in(dims, &yty, reg, row, &|w| 1.0 + f64::from(w))
        {
            Some(x) => {
                let bias = |i: usize| self.factors.item(i)[dims];
                self.factors.score_folded(&x, &bias, out);
            }
            None => out.fill(0.0),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::CancelToken;

    /// The draw-ahead pipeline must apply exactly the updates, in exactly the
    /// order, of the plain loop it replaced: draw, skip if owned, step.
    #[test]
    fn drawing_ahead_keeps_the_update_sequence() {
        let (users, items) = (40usize, 30usize);
        let triplets: Vec<(u32, u32, f32)> = (0..users as u32)
            .flat_map(|u| (0..1 + u % 7).map(move |k| (u, (u * 7 + k * 5) % 30, 1.0)))
            .collect();
        let train = Csr::from_triplets(users, items, triplets);
        let user_of: Vec<u32> = (0..users)
            .flat_map(|u| std::iter::repeat_n(u as u32, train.row_len(u)))
            .collect();
        let dim = 9;
        let start =
            |n: usize| -> Vec<f32> { (0..n * dim).map(|k| (k % 13) as f32 * 0.01).collect() };
        for negatives in [1, 3] {
            let params = BprParams {
                factors: dim - 1,
                negatives,
                ..Default::default()
            };
            // Fewer samples than the pipeline depth, and many more.
            for samples in [5, 2_000] {
                let (mut pu, mut pi) = (start(users), start(items));
                let pool = crate::task::thread_pool(1).expect("pool");
                let cancel = CancelToken::new();
                let ctx = FitContext::quiet(&cancel, &pool);
                let shared = SharedFactors {
                    users: pu.as_mut_ptr(),
                    items: pi.as_mut_ptr(),
                };
                let (loss, _) =
                    run_samples(&shared, &train, &user_of, samples, 7, &params, dim, &ctx);

                let (mut qu, mut qi) = (start(users), start(items));
                let mut stream = CandidateStream {
                    rng: Xoshiro256PlusPlus::seed_from_u64(7),
                    nnz: train.nnz(),
                    negatives,
                    liked_index: 0,
                    left: 0,
                };
                let mut plain_loss = 0.0;
                let mut updates = 0;
                for _ in 0..samples * negatives {
                    let c = stream.next();
                    let (u, i) = (
                        user_of[c.liked_index] as usize,
                        train.indices[c.liked_index],
                    );
                    let j = train.indices[c.negative_index];
                    if train.contains(u, j) {
                        continue;
                    }
                    let x = &mut qu[u * dim..(u + 1) * dim];
                    let (lo, hi) = qi.split_at_mut(i.max(j) as usize * dim);
                    let (yi, yj) = if i < j {
                        (&mut lo[i as usize * dim..][..dim], &mut hi[..dim])
                    } else {
                        (&mut hi[..dim], &mut lo[j as usize * dim..][..dim])
                    };
                    let (score, e) =
                        sgd_step(x, yi, yj, params.learning_rate, params.regularization);
                    if updates % LOSS_SAMPLE_EVERY == 0 {
                        plain_loss += f64::from(e.ln_1p() - score);
                    }
                    updates += 1;
                }
                assert!(updates > 0);
                assert_eq!(
                    (pu, pi),
                    (qu, qi),
                    "negatives {negatives}, samples {samples}"
                );
                assert_eq!(loss, plain_loss);
            }
        }
    }
}
