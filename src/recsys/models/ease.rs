//! EASE (Steck 2019): a closed-form item-item model.
//! `G = XᵀX + λI`, `P = G⁻¹`, `B = I − P · diag(1 / diag(P))` with a zero
//! diagonal; a user's scores are `x_u B`. It inverts an items × items matrix, so
//! it refuses catalogues above `max_items`.

use rayon::prelude::*;

use super::linalg::{cholesky_cancellable, cholesky_solve};
use super::{top_n, FitContext, Model, ModelSnapshot};
use crate::recsys::matrix::Csr;
use crate::recsys::params::EaseParams;
use crate::recsys::RecError;
use crate::task::EpochEvent;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ease {
    n: usize,
    /// Row-major `n × n` weights, `b[i * n + j]` = weight of history item i for j.
    b: Vec<f32>,
}

impl Ease {
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
                n * n * 16 / 1_000_000
            )));
        }
        let start = std::time::Instant::now();
        let mut g = vec![0f64; n * n];
        for u in 0..train.n_rows {
            if u % 1024 == 0 {
                ctx.check()?;
            }
            let (cols, vals) = train.row(u);
            for (a, &i) in cols.iter().enumerate() {
                for (b, &j) in cols.iter().enumerate() {
                    g[i as usize * n + j as usize] += f64::from(vals[a]) * f64::from(vals[b]);
                }
            }
        }
        for d in 0..n {
            g[d * n + d] += f64::from(params.lambda);
        }
        ctx.check()?;
        match cholesky_cancellable(&mut g, n, &|| ctx.cancel.is_cancelled()) {
            None => return Err(RecError::Cancelled),
            Some(false) => {
                return Err(RecError::Input(
                    "EASE: the item Gram matrix is not positive definite; raise lambda".into(),
                ))
            }
            Some(true) => {}
        }
        ctx.check()?;
        // P = G⁻¹ column by column (G symmetric, so columns are rows).
        let p: Vec<Vec<f64>> = ctx.pool.install(|| {
            (0..n)
                .into_par_iter()
                .map(|col| {
                    if ctx.cancel.is_cancelled() {
                        return Vec::new();
                    }
                    let mut e = vec![0f64; n];
                    e[col] = 1.0;
                    cholesky_solve(&g, n, &mut e);
                    e
                })
                .collect()
        });
        ctx.check()?;
        let mut b = vec![0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    b[i * n + j] = (-p[i][j] / p[j][j]) as f32;
                }
            }
        }
        (ctx.on_epoch)(EpochEvent {
            epoch: 1,
            loss: 0.0,
            metric: None,
            secs: start.elapsed().as_secs_f64(),
        });
        Ok(Self { n, b })
    }
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
        let pairs = row
            .0
            .iter()
            .zip(row.1)
            .map(|(&i, &x)| (i, x * self.b[i as usize * self.n + item as usize]))
            .collect();
        top_n(pairs, n)
    }
}
