//! Truncated SVD of a sparse matrix by random projection (Halko, Martinsson
//! & Tropp 2011), the method scikit-learn's `randomized_svd` uses to start
//! NMF: 10 extra columns, 7 power iterations when k is under a tenth of the
//! smaller side (else 4), re-orthonormalised after every product (Cholesky-QR
//! here, where scikit-learn uses LU between iterations: the same subspace).
//! The small dense factorisations are faer's.

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};

use super::corpus::Csr;
use super::legacy_random::LegacyRandom;

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
/// Y ← Y R⁻¹ where Rᵀ R = Yᵀ Y. It costs a Gram product and a triangular
/// solve with many right-hand sides (both faer's vectorised kernels, on the
/// row-major data as it lies) and is accurate while Y is well conditioned,
/// which re-orthonormalising after every product keeps it. `false` (and `y`
/// untouched) when Yᵀ Y is not numerically positive definite.
fn cholesky_qr(y: &mut [f64], cols: usize) -> bool {
    let rows = y.len() / cols;
    let g = gram_mat(y, cols);
    let Ok(llt) = g.llt(Side::Lower) else {
        return false;
    };
    // Y_new Lᵀ = Y is L Y_newᵀ = Yᵀ, and the row-major Y is Yᵀ column-major.
    let yt = MatMut::from_row_major_slice_mut(y, rows, cols).transpose_mut();
    solve_lower_triangular_in_place(llt.L(), yt, Par::Seq);
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

/// `aᵀ a` of a row-major `rows × k` matrix as a faer matrix. One thread,
/// so the sums do not depend on the thread count.
fn gram_mat(a: &[f64], k: usize) -> Mat<f64> {
    let view = MatRef::from_row_major_slice(a, a.len() / k, k);
    let mut g = Mat::<f64>::zeros(k, k);
    matmul(
        g.as_mut(),
        Accum::Replace,
        view.transpose(),
        view,
        1.0,
        Par::Seq,
    );
    g
}

/// `aᵀ a` for a row-major `rows × k` matrix, row-major.
pub(super) fn gram(a: &[f64], k: usize) -> Vec<f64> {
    from_mat(&gram_mat(a, k))
}

/// `x` (n × m) with its transpose `xt`; `seed` draws the projection from
/// numpy's `RandomState(seed)`, as scikit-learn does, so both start from the
/// same subspace. Like scikit-learn, a wide matrix is factored through its
/// transpose (the projection is then drawn for the shorter side).
pub fn randomized_svd(x: &Csr, xt: &Csr, k: usize, seed: u64) -> Result<Truncated, String> {
    let (n, m) = (x.n_rows(), x.n_cols);
    if n >= m {
        return tall_svd(x, xt, k, seed);
    }
    let t = tall_svd(xt, x, k, seed)?;
    // X = (Xᵀ)ᵀ = (U S Vt)ᵀ = Vtᵀ S Uᵀ.
    Ok(Truncated {
        u: transpose(&t.vt, k, n),
        s: t.s,
        vt: transpose(&t.u, m, k),
    })
}

/// The row-major `rows × cols` matrix `a`, transposed.
fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; a.len()];
    for i in 0..rows {
        for j in 0..cols {
            out[j * rows + i] = a[i * cols + j];
        }
    }
    out
}

/// [`randomized_svd`] for n ≥ m.
fn tall_svd(x: &Csr, xt: &Csr, k: usize, seed: u64) -> Result<Truncated, String> {
    let (n, m) = (x.n_rows(), x.n_cols);
    let l = (k + 10).min(n).min(m);
    let power_iterations = if (k as f64) < 0.1 * n.min(m) as f64 {
        7
    } else {
        4
    };
    let mut rng = LegacyRandom::new(seed);
    let mut q: Vec<f64> = (0..m * l).map(|_| rng.normal()).collect();
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
