//! Alternating least squares for implicit feedback (Hu, Koren & Volinsky 2008)
//! with the conjugate-gradient solver of Takács et al. (as in implicit).
//!
//! Minimises `Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ (Σ‖x_u‖² + Σ‖y_i‖²)` where an
//! observed pair has preference 1 and confidence `c = alpha × weight` — implicit's
//! convention, chosen so results compare with it; with Hu et al.'s `1 + alpha ×
//! weight` set alpha accordingly — and every unobserved pair has preference 0 and
//! confidence 1. Factors start uniform in [0, 0.01); each iteration solves users
//! then items, warm-starting `cg_steps` CG steps per row.
//!
//! The reported loss is that objective divided by the total confidence
//! `Σ_observed c + (users × items − observed)`.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::linalg::{axpy4_k, axpy_k, cholesky, cholesky_solve, dot, dot4_k, dot_k, gram};
use super::{top_n, Factors, FitContext, Model, ModelSnapshot};
use crate::recsys::matrix::Csr;
use crate::recsys::params::{AlsParams, TrainOptions};
use crate::recsys::RecError;
use crate::task::EpochEvent;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Als {
    pub factors: Factors,
    regularization: f32,
    alpha: f32,
    /// Yᵀ Y of the final item factors, for explanations.
    yty: Vec<f32>,
    /// Whose objective the factors minimise; explanations and fold-in follow it.
    #[serde(default)]
    pub convention: Convention,
}

/// How observed pairs are weighted and factors penalised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// implicit's, shoplens' own ALS: confidence `alpha × w`, penalty `λ`.
    #[default]
    Implicit,
    /// MLlib's (ALS on Spark): confidence `1 + alpha × w`, and a row's
    /// penalty `λ ×` its number of observed pairs.
    Mllib,
}

impl Als {
    /// An ALS model from factors trained elsewhere under `convention`.
    pub fn from_factors(
        factors: Factors,
        regularization: f32,
        alpha: f32,
        convention: Convention,
    ) -> Self {
        Self {
            yty: gram(&factors.items, factors.dim),
            factors,
            regularization,
            alpha,
            convention,
        }
    }

    /// The confidence of an observed pair of weight `w`.
    fn confidence(&self, w: f32) -> f64 {
        let scaled = f64::from(self.alpha) * f64::from(w);
        match self.convention {
            Convention::Implicit => scaled,
            Convention::Mllib => 1.0 + scaled.abs(),
        }
    }

    /// The penalty of a row with `observed` pairs.
    fn penalty(&self, observed: usize) -> f32 {
        match self.convention {
            Convention::Implicit => self.regularization,
            Convention::Mllib => self.regularization * observed as f32,
        }
    }
}

impl Als {
    pub fn fit(
        params: &AlsParams,
        train: &Csr,
        options: &TrainOptions,
        ctx: &FitContext,
    ) -> Result<Self, RecError> {
        let dim = params.factors;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
        let mut users: Vec<f32> = (0..train.n_rows * dim)
            .map(|_| rng.gen::<f32>() * 0.01)
            .collect();
        let mut items: Vec<f32> = (0..train.n_cols * dim)
            .map(|_| rng.gen::<f32>() * 0.01)
            .collect();
        let cui = scale(train, params.alpha);
        let ciu = cui.transpose();
        let start = std::time::Instant::now();
        for iteration in 1..=params.iterations {
            ctx.check()?;
            least_squares_cg(
                &cui,
                &mut users,
                &items,
                dim,
                params.regularization,
                params.cg_steps,
                ctx,
            );
            ctx.check()?;
            least_squares_cg(
                &ciu,
                &mut items,
                &users,
                dim,
                params.regularization,
                params.cg_steps,
                ctx,
            );
            ctx.check()?;
            let loss = if params.track_loss {
                loss(&cui, &users, &items, dim, params.regularization, ctx.pool)
            } else {
                f64::NAN
            };
            let metric = if ctx.validation_due(iteration, options.validate_every, params.iterations)
            {
                let snapshot = Als::from_parts(&users, &items, dim, params);
                ctx.validate.map(|v| v(&snapshot))
            } else {
                None
            };
            (ctx.on_epoch)(EpochEvent {
                epoch: iteration,
                loss,
                metric,
                secs: start.elapsed().as_secs_f64(),
            });
            if ctx.stop_requested() {
                break;
            }
        }
        Ok(Self::from_parts(&users, &items, dim, params))
    }

    fn from_parts(users: &[f32], items: &[f32], dim: usize, params: &AlsParams) -> Self {
        Self {
            yty: gram(items, dim),
            factors: Factors {
                dim,
                users: users.to_vec(),
                items: items.to_vec(),
            },
            regularization: params.regularization,
            alpha: params.alpha,
            convention: Convention::Implicit,
        }
    }
}

fn scale(m: &Csr, alpha: f32) -> Csr {
    let mut out = m.clone();
    out.data.iter_mut().for_each(|v| *v *= alpha);
    out
}

/// Rows per parallel work unit.
const ROWS_PER_TASK: usize = 32;

/// One half-iteration: update every row of `x` given `y`, in parallel.
fn least_squares_cg(
    cui: &Csr,
    x: &mut [f32],
    y: &[f32],
    dim: usize,
    regularization: f32,
    cg_steps: usize,
    ctx: &FitContext,
) {
    ctx.pool.install(|| {
        let mut yty = gram(y, dim);
        for d in 0..dim {
            yty[d * dim + d] += regularization;
        }
        x.par_chunks_mut(dim * ROWS_PER_TASK)
            .enumerate()
            .for_each(|(block, rows)| {
                if ctx.cancel.is_cancelled() {
                    return;
                }
                let task = CgTask {
                    cui,
                    y,
                    yty: &yty,
                    dim,
                    cg_steps,
                    first_row: block * ROWS_PER_TASK,
                };
                task.run(rows);
            });
    });
}

struct CgTask<'a> {
    cui: &'a Csr,
    y: &'a [f32],
    yty: &'a [f32],
    dim: usize,
    cg_steps: usize,
    first_row: usize,
}

impl CgTask<'_> {
    /// Use AVX2 and FMA when the CPU has them (as OpenBLAS does for implicit).
    /// The same CPU always takes the same path, so a seed reproduces exactly;
    /// CPUs with and without FMA can differ in the last bits.
    fn run(&self, rows: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if super::linalg::has_avx2_fma() {
            // SAFETY: AVX2 and FMA support were just checked.
            unsafe { self.run_avx2_fma(rows) };
            return;
        }
        self.solve::<false>(rows);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2_fma(&self, rows: &mut [f32]) {
        self.solve::<true>(rows);
    }

    #[inline(always)]
    fn solve<const FMA: bool>(&self, rows: &mut [f32]) {
        let dot = dot_k::<FMA>;
        let axpy = axpy_k::<FMA>;
        let matvec = super::linalg::matvec_k::<FMA>;
        let (dim, y, yty) = (self.dim, self.y, self.yty);
        let item = |i: u32| &y[i as usize * dim..(i as usize + 1) * dim];
        let mut r = vec![0f32; dim];
        let mut p = vec![0f32; dim];
        let mut ap = vec![0f32; dim];
        for (offset, xu) in rows.chunks_exact_mut(dim).enumerate() {
            let (cols, conf) = self.cui.row(self.first_row + offset);
            // r = Yᵀ C p − (YᵀY + λI + Yᵀ(C − I)Y) x, four observed items at a
            // time (independent dot products, one pass over r per four rows).
            matvec(yty, xu, &mut r);
            r.iter_mut().for_each(|v| *v = -*v);
            let (quads, rest) = cols.split_at(cols.len() - cols.len() % 4);
            for (q, c4) in quads.chunks_exact(4).zip(conf.chunks_exact(4)) {
                let ys = [item(q[0]), item(q[1]), item(q[2]), item(q[3])];
                let d = dot4_k::<FMA>(ys, xu);
                let coefs = [
                    c4[0] - (c4[0] - 1.0) * d[0],
                    c4[1] - (c4[1] - 1.0) * d[1],
                    c4[2] - (c4[2] - 1.0) * d[2],
                    c4[3] - (c4[3] - 1.0) * d[3],
                ];
                axpy4_k::<FMA>(coefs, ys, &mut r);
            }
            for (&i, &c) in rest.iter().zip(&conf[quads.len()..]) {
                let yi = item(i);
                axpy(c - (c - 1.0) * dot(yi, xu), yi, &mut r);
            }
            p.copy_from_slice(&r);
            let mut rs_old = dot(&r, &r);
            if rs_old < 1e-20 {
                continue;
            }
            for _ in 0..self.cg_steps {
                matvec(yty, &p, &mut ap);
                for (q, c4) in quads.chunks_exact(4).zip(conf.chunks_exact(4)) {
                    let ys = [item(q[0]), item(q[1]), item(q[2]), item(q[3])];
                    let d = dot4_k::<FMA>(ys, &p);
                    let coefs = [
                        (c4[0] - 1.0) * d[0],
                        (c4[1] - 1.0) * d[1],
                        (c4[2] - 1.0) * d[2],
                        (c4[3] - 1.0) * d[3],
                    ];
                    axpy4_k::<FMA>(coefs, ys, &mut ap);
                }
                for (&i, &c) in rest.iter().zip(&conf[quads.len()..]) {
                    let yi = item(i);
                    axpy((c - 1.0) * dot(yi, &p), yi, &mut ap);
                }
                let alpha = rs_old / dot(&p, &ap);
                axpy(alpha, &p, xu);
                axpy(-alpha, &ap, &mut r);
                let rs_new = dot(&r, &r);
                if rs_new < 1e-20 {
                    break;
                }
                let beta = rs_new / rs_old;
                for (pv, rv) in p.iter_mut().zip(&r) {
                    *pv = rv + beta * *pv;
                }
                rs_old = rs_new;
            }
        }
    }
}

/// The weighted objective per unit of confidence (see the module docs).
fn loss(
    cui: &Csr,
    x: &[f32],
    y: &[f32],
    dim: usize,
    regularization: f32,
    pool: &rayon::ThreadPool,
) -> f64 {
    let yty = gram(y, dim);
    let (sum, confidence, user_norm) = pool.install(|| {
        (0..cui.n_rows)
            .into_par_iter()
            .map(|u| {
                LossTask {
                    cui,
                    x,
                    y,
                    yty: &yty,
                    dim,
                }
                .user(u)
            })
            // Ordered collect + sequential sum keeps the loss reproducible.
            .collect::<Vec<_>>()
            .into_iter()
            .fold((0.0, 0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
    });
    let item_norm: f64 = y.chunks_exact(dim).map(|r| f64::from(dot(r, r))).sum();
    let total = sum + f64::from(regularization) * (user_norm + item_norm);
    let unobserved = (cui.n_rows * cui.n_cols - cui.nnz()) as f64;
    total / (confidence + unobserved).max(1.0)
}

/// What one user's loss terms read (borrowed, like [`CgTask`]).
struct LossTask<'a> {
    cui: &'a Csr,
    x: &'a [f32],
    y: &'a [f32],
    yty: &'a [f32],
    dim: usize,
}

impl LossTask<'_> {
    /// User u's terms: (weighted squared error, total confidence, ‖x_u‖²), with
    /// AVX2 + FMA when the CPU has them (as the solver).
    fn user(&self, u: usize) -> (f64, f64, f64) {
        #[cfg(target_arch = "x86_64")]
        if super::linalg::has_avx2_fma() {
            // SAFETY: AVX2 and FMA support were just checked.
            return unsafe { self.user_avx2_fma(u) };
        }
        self.user_k::<false>(u)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn user_avx2_fma(&self, u: usize) -> (f64, f64, f64) {
        self.user_k::<true>(u)
    }

    #[inline(always)]
    fn user_k<const FMA: bool>(&self, u: usize) -> (f64, f64, f64) {
        let dot = dot_k::<FMA>;
        let (dim, y) = (self.dim, self.y);
        let xu = &self.x[u * dim..(u + 1) * dim];
        let mut tmp = vec![0f32; dim];
        super::linalg::matvec_k::<FMA>(self.yty, xu, &mut tmp);
        // Σ_all (x·y)² as if every pair were unobserved, then corrected.
        let mut l = f64::from(dot(xu, &tmp));
        let mut conf = 0.0;
        let (cols, cs) = self.cui.row(u);
        for (&i, &c) in cols.iter().zip(cs) {
            let pred = f64::from(dot(xu, &y[i as usize * dim..(i as usize + 1) * dim]));
            let c = f64::from(c);
            l += c * (1.0 - pred).powi(2) - pred * pred;
            conf += c;
        }
        (l, conf, f64::from(dot(xu, xu)))
    }
}

impl Model for Als {
    fn snapshot(&self) -> ModelSnapshot {
        ModelSnapshot::Als(self.clone())
    }

    super::factor_scoring!();

    /// One least-squares solve with the item factors fixed, confidence and
    /// penalty as in training.
    fn basket_scores(&self, row: (&[u32], &[f32]), out: &mut [f32]) {
        let dim = self.factors.dim;
        let yty: Vec<f64> = self.yty.iter().map(|&v| f64::from(v)).collect();
        match self
            .factors
            .fold_in(dim, &yty, self.penalty(row.0.len()), row, &|w| {
                self.confidence(w)
            }) {
            Some(x) => self.factors.score_folded(&x, &|_| 0.0, out),
            None => out.fill(0.0),
        }
    }

    /// Hu et al. section 5: with `W_u = YᵀY + λI + Yᵀ(C_u − I)Y`, the score is
    /// `Σ_j c_uj · y_jᵀ W_u⁻¹ y_i`; each history item's term is its contribution.
    fn explain(&self, _user: u32, row: (&[u32], &[f32]), item: u32, n: usize) -> Vec<(u32, f32)> {
        let dim = self.factors.dim;
        let mut w: Vec<f64> = self.yty.iter().map(|&v| f64::from(v)).collect();
        let penalty = f64::from(self.penalty(row.0.len()));
        for d in 0..dim {
            w[d * dim + d] += penalty;
        }
        for (&j, &x) in row.0.iter().zip(row.1) {
            let c = self.confidence(x);
            let yj = self.factors.item(j as usize);
            for a in 0..dim {
                for b in 0..dim {
                    w[a * dim + b] += (c - 1.0) * f64::from(yj[a]) * f64::from(yj[b]);
                }
            }
        }
        if !cholesky(&mut w, dim) {
            return Vec::new();
        }
        let mut z: Vec<f64> = self
            .factors
            .item(item as usize)
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        cholesky_solve(&w, dim, &mut z);
        let pairs = row
            .0
            .iter()
            .zip(row.1)
            .map(|(&j, &x)| {
                let yj = self.factors.item(j as usize);
                let s: f64 = yj.iter().zip(&z).map(|(a, b)| f64::from(*a) * b).sum();
                (j, (self.confidence(x) * s) as f32)
            })
            .collect();
        top_n(pairs, n)
    }
}
