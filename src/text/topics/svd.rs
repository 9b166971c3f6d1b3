//! Truncated SVD of a sparse matrix by random projection (Halko, Martinsson
//! & Tropp 2011), the method scikit-learn's `randomized_svd` uses to start
//! NMF: 10 extra columns, 7 power iterations when k is under a tenth of the
//! smaller side (else 4), re-orthonormalised after every product (Cholesky-QR
//! here, where scikit-learn uses LU between iterations: the same subspace).
//! The small dense factorisations are faer's.

use faer::{Mat, Side};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::corpus::Csr;

/// The top `k` singular triplets: `u` (n × k) and `vt` (k × m) row-major,
/// singular values descending.
pub struct Truncated {
    pub u: Vec<f64>,
    pub s: Vec<f64>,
    pub vt: Vec<f64>,
}

fn to_mat(rows: usize, cols: usize, data: &[f64]) -> Mat<f64> {
    Mat::from_fn(rows, cols, |i, j| data[i * cols + j])
}

fn from_mat(m: &Mat<f64>) -> Vec<f64> {
    let (rows, cols) = (m.nrows(), m.ncols());
    let mut out = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            out.push(m[(i, j)]);
        }
    }
    out
}

/// One Cholesky-QR pass in place on the row-major `y` (`cols` wide):
/// Y ← Y R⁻¹ where Rᵀ R = Yᵀ Y. It costs a Gram product and, row by row, a
/// small triangular solve — no copy into another layout — and is accurate
/// while Y is well conditioned, which re-orthonormalising after every
/// product keeps it. `false` (and `y` untouched) when Yᵀ Y is not
/// numerically positive definite.
fn cholesky_qr(y: &mut [f64], cols: usize) -> bool {
    let g = gram(y, cols);
    let Ok(llt) = Mat::from_fn(cols, cols, |i, j| g[i * cols + j]).llt(Side::Lower) else {
        return false;
    };
    let l = llt.L();
    let l: Vec<f64> = (0..cols * cols)
        .map(|at| l[(at / cols, at % cols)])
        .collect();
    // Each row y solves y_new · Lᵀ = y (R = Lᵀ): forward substitution.
    y.par_chunks_mut(cols * 512).for_each(|block| {
        for row in block.chunks_exact_mut(cols) {
            for j in 0..cols {
                let lj = &l[j * cols..j * cols + j];
                let dot: f64 = row[..j].iter().zip(lj).map(|(a, b)| a * b).sum();
                row[j] = (row[j] - dot) / l[j * cols + j];
            }
        }
    });
    true
}

/// Householder QR's Q of the row-major `rows × cols` `y`.
fn householder(rows: usize, cols: usize, y: &[f64]) -> Vec<f64> {
    from_mat(&to_mat(rows, cols, y).qr().compute_thin_Q())
}

/// An orthonormal basis of the columns of the row-major `rows × cols` `y`:
/// Cholesky-QR twice (the second pass restores orthogonality to machine
/// precision), or Householder QR when Y is too ill conditioned for it.
fn orthonormal(rows: usize, cols: usize, y: &[f64]) -> Vec<f64> {
    let mut q = y.to_vec();
    if cholesky_qr(&mut q, cols) && cholesky_qr(&mut q, cols) {
        q
    } else {
        householder(rows, cols, y)
    }
}

/// A basis of the same span with near-orthonormal columns: one
/// Cholesky-QR pass, or Householder QR when that fails.
fn normalised(rows: usize, cols: usize, mut y: Vec<f64>) -> Vec<f64> {
    if cholesky_qr(&mut y, cols) {
        y
    } else {
        householder(rows, cols, &y)
    }
}

/// `aᵀ a` for a row-major `rows × k` matrix. Blocks of a fixed size are
/// summed in order, so the result does not depend on the thread count.
pub(super) fn gram(a: &[f64], k: usize) -> Vec<f64> {
    let partials: Vec<Vec<f64>> = a
        .par_chunks(k * 2048)
        .map(|block| {
            let mut g = vec![0.0; k * k];
            for row in block.chunks_exact(k) {
                for (r, &v) in row.iter().enumerate() {
                    // Upper triangle only: row r from column r on.
                    for (g, &x) in g[r * k + r..(r + 1) * k].iter_mut().zip(&row[r..]) {
                        *g += v * x;
                    }
                }
            }
            g
        })
        .collect();
    let mut g = vec![0.0; k * k];
    for p in partials {
        g.iter_mut().zip(p).for_each(|(x, y)| *x += y);
    }
    for r in 0..k {
        for c in 0..r {
            g[r * k + c] = g[c * k + r];
        }
    }
    g
}

/// `x` (n × m) with its transpose `xt`; `seed` draws the projection.
pub fn randomized_svd(x: &Csr, xt: &Csr, k: usize, seed: u64) -> Result<Truncated, String> {
    let (n, m) = (x.n_rows(), x.n_cols);
    let l = (k + 10).min(n).min(m);
    let power_iterations = if (k as f64) < 0.1 * n.min(m) as f64 {
        7
    } else {
        4
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut q: Vec<f64> = (0..m * l)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    // Between products only the span matters (scikit-learn normalises by
    // LU there), so one Cholesky-QR pass is enough; the final basis gets two.
    for _ in 0..power_iterations {
        let y = normalised(n, l, x.times(&q, l));
        q = normalised(m, l, xt.times(&y, l));
    }
    let basis = orthonormal(n, l, &x.times(&q, l));
    // B = Qᵀ X is l × m; its transpose Z = Xᵀ Q is m × l (tall, cheaper to
    // factor): Z = Uz S Vzᵀ gives B = Vz S Uzᵀ.
    let z = to_mat(m, l, &xt.times(&basis, l));
    let svd = z
        .thin_svd()
        .map_err(|e| format!("the SVD that starts NMF failed: {e:?}"))?;
    let (uz, vz, s) = (svd.U(), svd.V(), svd.S().column_vector());
    // U = Q · Vz (n × l), keep k columns; Vt = Uzᵀ, keep k rows.
    let mut u = vec![0.0; n * k];
    for i in 0..n {
        let qi = &basis[i * l..(i + 1) * l];
        for c in 0..k {
            u[i * k + c] = (0..l).map(|r| qi[r] * vz[(r, c)]).sum();
        }
    }
    let mut vt = vec![0.0; k * m];
    for c in 0..k {
        for j in 0..m {
            vt[c * m + j] = uz[(j, c)];
        }
    }
    Ok(Truncated {
        u,
        s: (0..k).map(|c| s[c]).collect(),
        vt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_the_singular_values_of_a_small_matrix() {
        // diag(5, 3, 1) padded with zero columns, as a sparse matrix.
        let x = Csr {
            indptr: vec![0, 1, 2, 3],
            indices: vec![0, 1, 2],
            values: vec![5.0, 3.0, 1.0],
            n_cols: 4,
        };
        let t = randomized_svd(&x, &x.transpose(), 2, 7).unwrap();
        assert!(
            (t.s[0] - 5.0).abs() < 1e-9 && (t.s[1] - 3.0).abs() < 1e-9,
            "{:?}",
            t.s
        );
        assert!((t.u[0].abs() - 1.0).abs() < 1e-9 && (t.vt[0].abs() - 1.0).abs() < 1e-9);
    }
}
