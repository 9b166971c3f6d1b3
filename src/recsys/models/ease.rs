//! EASE (Steck 2019): a closed-form item-item model.
//! `G = XᵀX + λI`, `P = G⁻¹`, `B = I − P · diag(1 / diag(P))` with a zero
//! diagonal; a user's scores are `x_u B`.
//!
//! The dense linear algebra is faer's (pure Rust, blocked and vectorised):
//! a right-looking blocked Cholesky `G = LLᵀ` in place, then `P` one block
//! of columns at a time by two triangular solves against the identity, each
//! block turned straight into the matching columns of `B` (so `P` is never
//! held whole). Working in blocks lets the fit report progress and stop on
//! cancel between blocks. Memory: `G` in f64 (8 n² bytes), `B` in f32
//! (4 n² bytes) and one `n × 256` block; 20,000 items need about 4.8 GB.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::matmul::triangular::{matmul as triangular_matmul, BlockStructure};
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, Par};
use rayon::prelude::*;

use super::{item_item_reasons, top_n, FitContext, Model, ModelSnapshot};
use crate::recsys::matrix::Csr;
use crate::recsys::params::EaseParams;
use crate::recsys::RecError;
use crate::task::EpochEvent;

/// Columns per block of the factorisation and of the inverse.
const BLOCK: usize = 256;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ease {
    n: usize,
    /// Row-major `n × n` weights, `b[i * n + j]` = weight of history item i for j.
    b: Vec<f32>,
}

/// Bytes EASE needs for `n` items (see the module docs).
pub fn memory_bytes(n: usize) -> usize {
    n * n * 12 + n * BLOCK * 8
}

impl Ease {
    /// Row-major `n × n` weights (`[i * n + j]`: history item i for item j).
    pub fn weights(&self) -> &[f32] {
        &self.b
    }

    pub fn shape_ok(&self, items: usize) -> bool {
        self.n == items && self.b.len() == items * items
    }

    pub fn fit(params: &EaseParams, train: &Csr, ctx: &FitContext) -> Result<Self, RecError> {
        let n = train.n_cols;
        if n > params.max_items {
            return Err(RecError::Input(format!(
                "EASE needs an items × items matrix and this data has {n} items, above the limit of {}. \
                 Raise max_items if there is memory for it (about {} MB), filter rare items, or use ALS or item kNN.",
                params.max_items,
                memory_bytes(n) / 1_000_000
            )));
        }
        let start = std::time::Instant::now();
        let progress = |fraction: f64| {
            (ctx.on_progress)(fraction as f32, "EASE: inverting the item Gram matrix");
        };
        let mut g = ctx.pool.install(|| gram(train, params.lambda, ctx))?;
        let par = Par::rayon(ctx.pool.current_num_threads());
        let factor_work: f64 = blocks(n).map(|(s, b)| factor_flops(n, s, b)).sum();
        let total = factor_work + blocks(n).map(|(s, b)| inverse_flops(n, s, b)).sum::<f64>();
        let b = ctx.pool.install(|| -> Result<Vec<f32>, RecError> {
            cholesky_blocked(g.as_mut(), par, ctx, &|done| progress(done / total))?;
            inverse_to_weights(g.as_mut(), par, ctx, &|done| {
                progress((factor_work + done) / total)
            })
        })?;
        (ctx.on_epoch)(EpochEvent {
            epoch: 1,
            loss: 0.0,
            metric: None,
            secs: start.elapsed().as_secs_f64(),
        });
        Ok(Self { n, b })
    }
}

/// `XᵀX + λI` as a dense column-major matrix: column j sums, over the users
/// who have item j, their row times their weight for j (one task per column,
/// so no two threads write the same memory).
fn gram(train: &Csr, lambda: f32, ctx: &FitContext) -> Result<Mat<f64>, RecError> {
    let n = train.n_cols;
    let by_item = train.transpose();
    let mut g = Mat::<f64>::zeros(n, n);
    g.par_col_iter_mut().enumerate().try_for_each(|(j, col)| {
        if j % 512 == 0 && ctx.cancel.is_cancelled() {
            return Err(RecError::Cancelled);
        }
        // The columns of a `Mat` are contiguous.
        let Some(col) = col.try_as_col_major_mut() else {
            return Err(RecError::Input(
                "internal error: a strided Gram column".into(),
            ));
        };
        let col = col.as_slice_mut();
        let (users, xj) = by_item.row(j);
        for (&u, &x_uj) in users.iter().zip(xj) {
            let (items, x_u) = train.row(u as usize);
            let x_uj = f64::from(x_uj);
            for (&i, &x_ui) in items.iter().zip(x_u) {
                col[i as usize] += f64::from(x_ui) * x_uj;
            }
        }
        col[j] += f64::from(lambda);
        Ok(())
    })?;
    Ok(g)
}

/// `(start, width)` of each block of columns.
fn blocks(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).step_by(BLOCK).map(move |s| (s, BLOCK.min(n - s)))
}

/// Work of factoring block `(s, b)`: about (n − k)³ / 3 is left after column k.
fn factor_flops(n: usize, s: usize, b: usize) -> f64 {
    let (n, s0, s1) = (n as f64, s as f64, (s + b) as f64);
    ((n - s0).powi(3) - (n - s1).powi(3)) / 3.0
}

/// Work of the two triangular solves of block `(s, b)` of the inverse.
fn inverse_flops(n: usize, s: usize, b: usize) -> f64 {
    let rest = (n - s) as f64;
    (rest * rest + (n * n) as f64) * b as f64
}

/// `A = LLᵀ` in place (the lower triangle becomes L), block by block:
/// factor the diagonal block, solve the panel below it, update the trailing
/// lower triangle. `done` gets the flops finished so far.
fn cholesky_blocked(
    mut a: MatMut<'_, f64>,
    par: Par,
    ctx: &FitContext,
    done: &dyn Fn(f64),
) -> Result<(), RecError> {
    let n = a.nrows();
    let mut buffer = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        BLOCK,
        par,
        Default::default(),
    ));
    let mut flops = 0.0;
    let mut s = 0;
    while s < n {
        ctx.check()?;
        let b = BLOCK.min(n - s);
        let diagonal = a.rb_mut().submatrix_mut(s, s, b, b);
        cholesky_in_place(
            diagonal,
            Default::default(),
            par,
            MemStack::new(&mut buffer),
            Default::default(),
        )
        .map_err(|_| {
            RecError::Input(
                "EASE: the item Gram matrix is not positive definite; raise lambda".into(),
            )
        })?;
        let rest = n - s - b;
        if rest > 0 {
            let (top, bottom) = a.rb_mut().split_at_row_mut(s + b);
            let l_kk = top.rb().submatrix(s, s, b, b);
            let (left, trailing) = bottom.split_at_col_mut(s + b);
            let mut panel = left.submatrix_mut(0, s, rest, b);
            // panel ← panel · L_kk⁻ᵀ, i.e. panelᵀ ← L_kk⁻¹ · panelᵀ.
            solve_lower_triangular_in_place(l_kk, panel.rb_mut().transpose_mut(), par);
            // trailing ← trailing − panel · panelᵀ (its lower triangle).
            triangular_matmul(
                trailing,
                BlockStructure::TriangularLower,
                Accum::Add,
                panel.rb(),
                BlockStructure::Rectangular,
                panel.rb().transpose(),
                BlockStructure::Rectangular,
                -1.0,
                par,
            );
        }
        flops += factor_flops(n, s, b);
        done(flops);
        s += b;
    }
    Ok(())
}

/// With `l` holding L (lower triangle), the EASE weights: for each block J
/// of columns, `Z = P[:, J]` from `L Lᵀ Z = I[:, J]`, then
/// `B[i, j] = −Z[i, j] / Z[j, j]` (zero on the diagonal), row-major f32.
fn inverse_to_weights(
    l: MatMut<'_, f64>,
    par: Par,
    ctx: &FitContext,
    done: &dyn Fn(f64),
) -> Result<Vec<f32>, RecError> {
    let l = l.rb();
    let n = l.nrows();
    let mut weights = vec![0f32; n * n];
    let mut z = Mat::<f64>::zeros(n, BLOCK);
    let mut flops = 0.0;
    let mut s = 0;
    while s < n {
        ctx.check()?;
        let b = BLOCK.min(n - s);
        let mut block = z.as_mut().subcols_mut(0, b);
        block.fill(0.0);
        for k in 0..b {
            block[(s + k, k)] = 1.0;
        }
        // Rows above the block stay zero in the forward solve: skip them.
        solve_lower_triangular_in_place(
            l.submatrix(s, s, n - s, n - s),
            block.rb_mut().subrows_mut(s, n - s),
            par,
        );
        solve_upper_triangular_in_place(l.transpose(), block.rb_mut(), par);
        let block = block.rb();
        let diagonal: Vec<f64> = (0..b).map(|k| block[(s + k, k)]).collect();
        weights.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            for (k, w) in row[s..s + b].iter_mut().enumerate() {
                *w = if i == s + k {
                    0.0
                } else {
                    (-block[(i, k)] / diagonal[k]) as f32
                };
            }
        });
        flops += inverse_flops(n, s, b);
        done(flops);
        s += b;
    }
    Ok(weights)
}

impl Model for Ease {
    fn snapshot(&self) -> ModelSnapshot {
        ModelSnapshot::Ease(self.clone())
    }

    fn scores(&self, _user: u32, row: (&[u32], &[f32]), out: &mut [f32]) {
        out.fill(0.0);
        for (&i, &x) in row.0.iter().zip(row.1) {
            let weights = &self.b[i as usize * self.n..(i as usize + 1) * self.n];
            for (o, w) in out.iter_mut().zip(weights) {
                *o += x * w;
            }
        }
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        let row = &self.b[item as usize * self.n..(item as usize + 1) * self.n];
        let pairs = (0..self.n as u32)
            .filter(|&j| j != item)
            .map(|j| (j, row[j as usize]))
            .collect();
        top_n(pairs, n)
    }

    fn explain(&self, _user: u32, row: (&[u32], &[f32]), item: u32, n: usize) -> Vec<(u32, f32)> {
        item_item_reasons(row, n, |i| {
            Some(self.b[i as usize * self.n + item as usize])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recsys::models::linalg::{cholesky, cholesky_solve};
    use crate::task::CancelToken;
    use rand::{Rng, SeedableRng};

    fn ctx_run<R>(f: impl FnOnce(&FitContext) -> R) -> R {
        let cancel = CancelToken::new();
        let pool = crate::task::thread_pool(2).unwrap();
        f(&FitContext::quiet(&cancel, &pool))
    }

    /// A random sparse 0/1 interaction matrix.
    fn random_train(users: usize, items: usize, seed: u64) -> Csr {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut t = Vec::new();
        for u in 0..users {
            for i in 0..items {
                if rng.gen::<f64>() < 0.08 {
                    t.push((u as u32, i as u32, 1.0 + rng.gen::<f32>()));
                }
            }
        }
        Csr::from_triplets(users, items, t)
    }

    #[test]
    fn weights_match_a_direct_inverse_across_block_edges() {
        // 600 items: two full blocks and a partial one.
        let train = random_train(900, 600, 3);
        let lambda = 5.0;
        let model = ctx_run(|ctx| {
            Ease::fit(
                &EaseParams {
                    lambda,
                    max_items: 10_000,
                },
                &train,
                ctx,
            )
        })
        .unwrap();
        // The textbook way: dense G, an unblocked Cholesky, P column by column.
        let n = train.n_cols;
        let mut g = vec![0f64; n * n];
        for u in 0..train.n_rows {
            let (c, v) = train.row(u);
            for (a, &i) in c.iter().enumerate() {
                for (b, &j) in c.iter().enumerate() {
                    g[i as usize * n + j as usize] += f64::from(v[a]) * f64::from(v[b]);
                }
            }
        }
        for d in 0..n {
            g[d * n + d] += f64::from(lambda);
        }
        assert!(cholesky(&mut g, n));
        let p: Vec<Vec<f64>> = (0..n)
            .map(|col| {
                let mut e = vec![0f64; n];
                e[col] = 1.0;
                cholesky_solve(&g, n, &mut e);
                e
            })
            .collect();
        let mut worst = 0f64;
        for i in 0..n {
            for (j, pj) in p.iter().enumerate() {
                let want = if i == j { 0.0 } else { -pj[i] / pj[j] };
                worst = worst.max((f64::from(model.b[i * n + j]) - want).abs());
            }
        }
        assert!(worst < 1e-6, "largest difference {worst}");
    }

    #[test]
    fn cancel_stops_between_blocks() {
        let train = random_train(300, 700, 5);
        let cancel = CancelToken::new();
        cancel.cancel();
        let pool = crate::task::thread_pool(1).unwrap();
        let r = Ease::fit(
            &EaseParams::default(),
            &train,
            &FitContext::quiet(&cancel, &pool),
        );
        assert!(matches!(r, Err(RecError::Cancelled)));
    }

    #[test]
    fn progress_rises_to_one() {
        let train = random_train(300, 520, 9);
        let seen = std::sync::Mutex::new(Vec::new());
        let cancel = CancelToken::new();
        let pool = crate::task::thread_pool(2).unwrap();
        let on_progress = |f: f32, _: &str| seen.lock().unwrap().push(f);
        let ctx = FitContext {
            on_progress: &on_progress,
            ..FitContext::quiet(&cancel, &pool)
        };
        Ease::fit(&EaseParams::default(), &train, &ctx).unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.windows(2).all(|w| w[1] >= w[0]), "{seen:?}");
        assert!(
            (seen.last().copied().unwrap() - 1.0).abs() < 1e-3,
            "{seen:?}"
        );
    }
}
