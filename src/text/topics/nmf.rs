//! Non-negative matrix factorisation X ≈ W H with the Frobenius loss, fitted
//! as scikit-learn's `NMF(solver='cd', init='nndsvda')` does (no penalty,
//! no shuffling):
//!
//! - **NNDSVDa start** (Boutsidis & Gallopoulos 2008): the positive or
//!   negative part of each singular vector pair, whichever is larger, scaled
//!   by the singular value; entries below 1e-6 become the mean of X.
//! - **Coordinate descent** (Cichocki & Phan 2009; Hsieh & Dhillon 2011):
//!   each iteration updates W then H one coordinate at a time with the exact
//!   non-negative minimiser; the sum of |projected gradient| over both is the
//!   *violation*, and the fit stops when it falls to `tol` times the first
//!   iteration's, or after `max_iter` iterations.
//!
//! Rows of W (and columns of H) are independent within an update, so they
//! are done in parallel; each row's coordinates go in component order, as
//! scikit-learn's loop leaves them.

use rayon::prelude::*;

use super::corpus::Csr;
use super::svd::{gram, randomized_svd};
use crate::task::{CancelToken, TaskError};

/// Entries of the SVD start below this count as zero (scikit-learn's `eps`).
const NNDSVD_EPS: f64 = 1e-6;

/// A fitted factorisation X ≈ W H and how it got there.
pub struct NmfFit {
    /// Documents × k, row-major.
    pub w: Vec<f64>,
    /// k × vocabulary, row-major.
    pub h: Vec<f64>,
    pub k: usize,
    pub iterations: usize,
    /// ‖X − WH‖_F / ‖X‖_F at the end.
    pub relative_error: f64,
}

/// The NNDSVDa start for `x`: (W n × k, Ht m × k), both row-major.
fn nndsvda(x: &Csr, xt: &Csr, k: usize, seed: u64) -> Result<(Vec<f64>, Vec<f64>), String> {
    let (n, m) = (x.n_rows(), x.n_cols);
    let svd = randomized_svd(x, xt, k, seed)?;
    let mut w = vec![0.0; n * k];
    let mut ht = vec![0.0; m * k];
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|a| a * a).sum::<f64>().sqrt();
    for c in 0..k {
        let x_col: Vec<f64> = (0..n).map(|i| svd.u[i * k + c]).collect();
        let y_row = &svd.vt[c * m..(c + 1) * m];
        let (u, v, sigma) = if c == 0 {
            let u: Vec<f64> = x_col.iter().map(|a| a.abs()).collect();
            let v: Vec<f64> = y_row.iter().map(|a| a.abs()).collect();
            (u, v, 1.0)
        } else {
            let pos = |a: &f64| a.max(0.0);
            let neg = |a: &f64| (-a).max(0.0);
            let (xp, yp) = (
                norm(&mut x_col.iter().map(pos)),
                norm(&mut y_row.iter().map(pos)),
            );
            let (xn, yn) = (
                norm(&mut x_col.iter().map(neg)),
                norm(&mut y_row.iter().map(neg)),
            );
            let (mp, mn) = (xp * yp, xn * yn);
            if mp > mn {
                let u = x_col.iter().map(|a| pos(a) / xp).collect();
                let v = y_row.iter().map(|a| pos(a) / yp).collect();
                (u, v, mp)
            } else {
                let u = x_col.iter().map(|a| neg(a) / xn).collect();
                let v = y_row.iter().map(|a| neg(a) / yn).collect();
                (u, v, mn)
            }
        };
        let scale = (svd.s[c] * sigma).sqrt();
        for i in 0..n {
            w[i * k + c] = scale * u[i];
        }
        for j in 0..m {
            ht[j * k + c] = scale * v[j];
        }
    }
    let mean = x.sum() / (n as f64 * m as f64);
    for a in w.iter_mut().chain(ht.iter_mut()) {
        if a.is_nan() || *a < NNDSVD_EPS {
            *a = mean;
        }
    }
    Ok((w, ht))
}

/// One sweep of coordinate descent over `w` (rows × k) for X ≈ W Htᵀ, given
/// `hht` = Htᵀ Ht and `xht` = X Ht. Returns the violation.
fn update(w: &mut [f64], hht: &[f64], xht: &[f64], k: usize) -> f64 {
    // Rows are independent, so a block of rows is swept one component at a
    // time: the rows' short dot products then overlap in the CPU instead of
    // waiting on each other. Each row still sees its components in order.
    const ROWS: usize = 256;
    w.par_chunks_mut(k * ROWS)
        .zip(xht.par_chunks(k * ROWS))
        .map(|(block, xh)| {
            let mut violation = 0.0;
            for t in 0..k {
                let h_t = &hht[t * k..(t + 1) * k];
                let hess = h_t[t];
                for (row, xr) in block.chunks_exact_mut(k).zip(xh.chunks_exact(k)) {
                    let grad = h_t
                        .iter()
                        .zip(row.iter())
                        .fold(-xr[t], |g, (h, v)| g + h * v);
                    let projected = if row[t] == 0.0 { grad.min(0.0) } else { grad };
                    violation += projected.abs();
                    if hess != 0.0 {
                        row[t] = (row[t] - grad / hess).max(0.0);
                    }
                }
            }
            violation
        })
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// ‖X − W Htᵀ‖_F² from ‖X‖², X Ht and the two Gram matrices.
fn squared_error(x_norm2: f64, w: &[f64], xht: &[f64], wtw: &[f64], hht: &[f64]) -> f64 {
    let cross: f64 = w.iter().zip(xht).map(|(a, b)| a * b).sum();
    let quad: f64 = wtw.iter().zip(hht).map(|(a, b)| a * b).sum();
    (x_norm2 - 2.0 * cross + quad).max(0.0)
}

/// Fit `k` components to `x`. `on_iteration(iteration, relative error)`
/// follows the fit (the error of the factors the iteration started from).
pub fn fit_nmf(
    x: &Csr,
    k: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    cancel: &CancelToken,
    on_iteration: &mut dyn FnMut(usize, f64),
) -> Result<NmfFit, TaskError> {
    let xt = x.transpose();
    let (mut w, mut ht) = nndsvda(x, &xt, k, seed).map_err(TaskError::Input)?;
    let x_norm2 = x.squared_norm();
    let x_norm = x_norm2.sqrt().max(f64::MIN_POSITIVE);
    let mut violation_init = None;
    let mut iterations = 0;
    // Wᵀ W of the last W update (W does not change between it and the next
    // iteration's error).
    let mut wtw = gram(&w, k);
    let (mut xht, mut xtw) = (Vec::new(), Vec::new());
    for iteration in 1..=max_iter {
        cancel.check()?;
        // W given H.
        let hht = gram(&ht, k);
        x.times_into(&ht, k, &mut xht);
        if iteration > 1 {
            let err = squared_error(x_norm2, &w, &xht, &wtw, &hht).sqrt();
            on_iteration(iteration - 1, err / x_norm);
        }
        let mut violation = update(&mut w, &hht, &xht, k);
        // H given W (the same update on the transpose).
        wtw = gram(&w, k);
        xt.times_into(&w, k, &mut xtw);
        violation += update(&mut ht, &wtw, &xtw, k);
        iterations = iteration;
        if !violation.is_finite() {
            return Err(TaskError::Input(format!(
                "NMF diverged at iteration {iteration} (the violation is {violation})"
            )));
        }
        let first = *violation_init.get_or_insert(violation);
        if first == 0.0 || violation / first <= tol {
            break;
        }
    }
    let (hht, xht) = (gram(&ht, k), x.times(&ht, k));
    let relative_error = squared_error(x_norm2, &w, &xht, &wtw, &hht).sqrt() / x_norm;
    on_iteration(iterations, relative_error);
    let m = x.n_cols;
    let mut h = vec![0.0; k * m];
    for j in 0..m {
        for c in 0..k {
            h[c * m + j] = ht[j * k + c];
        }
    }
    Ok(NmfFit {
        w,
        h,
        k,
        iterations,
        relative_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A non-negative rank-2 matrix as sparse rows.
    fn rank_two() -> Csr {
        let (n, m) = (30, 12);
        let mut x = Csr {
            indptr: vec![0],
            n_cols: m,
            ..Default::default()
        };
        for i in 0..n {
            for j in 0..m {
                let a = if j < 6 { (i % 5) as f64 + 1.0 } else { 0.0 };
                let b = if j >= 4 { (i % 3) as f64 } else { 0.0 };
                let v = a * (1.0 + j as f64 * 0.1) + b * 2.0;
                if v > 0.0 {
                    x.indices.push(j as u32);
                    x.values.push(v);
                }
            }
            x.indptr.push(x.indices.len());
        }
        x
    }

    #[test]
    fn factors_a_rank_two_matrix_almost_exactly_and_deterministically() {
        let x = rank_two();
        let cancel = CancelToken::new();
        let mut errors = Vec::new();
        let fit = fit_nmf(&x, 2, 400, 1e-6, 3, &cancel, &mut |_, e| errors.push(e)).unwrap();
        assert!(fit.relative_error < 0.02, "{}", fit.relative_error);
        assert!(fit.w.iter().chain(&fit.h).all(|&v| v >= 0.0));
        assert!(errors.windows(2).all(|p| p[1] <= p[0] + 1e-9), "{errors:?}");
        let again = fit_nmf(&x, 2, 400, 1e-6, 3, &cancel, &mut |_, _| {}).unwrap();
        assert_eq!(fit.w, again.w);
    }
}
