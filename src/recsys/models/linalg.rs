//! Small dense linear algebra for factor models (row-major, f32 vectors; f64
//! Cholesky for the small systems).

/// `acc + a·b`, fused when `FMA` (only instantiated with `true` inside functions
/// compiled with the `fma` target feature, where it is one instruction).
#[inline(always)]
fn madd<const FMA: bool>(acc: f32, a: f32, b: f32) -> f32 {
    if FMA {
        a.mul_add(b, acc)
    } else {
        acc + a * b
    }
}

/// Dot product with 16 independent accumulators, so the loop becomes two 256-bit
/// (or four 128-bit) vector lanes. `inline(always)` lets callers compiled with
/// AVX2 (see `als`) get the wide version. Without FMA the order of additions is
/// the same on every CPU; the fused variant differs in the last bits.
#[inline(always)]
pub fn dot_k<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..16 {
            acc[l] = madd::<FMA>(acc[l], x[l], y[l]);
        }
    }
    for l in 0..8 {
        acc[l] += acc[l + 8];
    }
    for l in 0..4 {
        acc[l] += acc[l + 4];
    }
    let mut sum = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        sum = madd::<FMA>(sum, *x, *y);
    }
    sum
}

#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_k::<false>(a, b)
}

/// `y += a * x`
#[inline(always)]
pub fn axpy_k<const FMA: bool>(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = madd::<FMA>(*yi, a, *xi);
    }
}

/// `y += a * x`
#[inline(always)]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    axpy_k::<false>(a, x, y);
}

/// `out = M v` for a dense **symmetric** `n × n` matrix, as `Σ_c v[c] · M[c, :]`:
/// whole-row axpys vectorise without per-element horizontal sums.
#[inline(always)]
pub fn matvec_k<const FMA: bool>(m: &[f32], v: &[f32], out: &mut [f32]) {
    let n = v.len();
    out.fill(0.0);
    for (c, &vc) in v.iter().enumerate() {
        axpy_k::<FMA>(vc, &m[c * n..(c + 1) * n], out);
    }
}

#[inline(always)]
pub fn matvec(m: &[f32], v: &[f32], out: &mut [f32]) {
    matvec_k::<false>(m, v, out);
}

/// `Yᵀ Y` of a row-major `rows × dim` matrix. Rows are split over the current
/// rayon pool in fixed blocks (so the sum order is fixed); within a block each
/// row adds `row[a] · row` to row `a` of the result (vectorised f32 axpys), and
/// blocks are summed in f64.
pub fn gram(y: &[f32], dim: usize) -> Vec<f32> {
    use rayon::prelude::*;
    const BLOCK_ROWS: usize = 256;
    let partials: Vec<Vec<f32>> = y
        .par_chunks(BLOCK_ROWS * dim)
        .map(|block| {
            let mut g = vec![0f32; dim * dim];
            for row in block.chunks_exact(dim) {
                for (a, &ra) in row.iter().enumerate() {
                    if ra != 0.0 {
                        axpy(ra, row, &mut g[a * dim..(a + 1) * dim]);
                    }
                }
            }
            g
        })
        .collect();
    let mut g = vec![0f64; dim * dim];
    for p in partials {
        for (acc, v) in g.iter_mut().zip(p) {
            *acc += f64::from(v);
        }
    }
    g.into_iter().map(|v| v as f32).collect()
}

/// In-place Cholesky factorisation of a symmetric positive definite `n × n`
/// matrix (lower triangle holds L). Returns false when not positive definite.
pub fn cholesky(a: &mut [f64], n: usize) -> bool {
    cholesky_cancellable(a, n, &|| false) == Some(true)
}

/// [`cholesky`] that polls `cancelled` every column; `None` when it stopped.
pub fn cholesky_cancellable(a: &mut [f64], n: usize, cancelled: &dyn Fn() -> bool) -> Option<bool> {
    for j in 0..n {
        if j % 16 == 0 && cancelled() {
            return None;
        }
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return Some(false);
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    Some(true)
}

/// Solve `L Lᵀ x = b` given the factor from [`cholesky`].
pub fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        // A = [[4, 2], [2, 3]], b = [2, 1] → x = [0.5, 0]
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        assert!(cholesky(&mut a, 2));
        let mut b = vec![2.0, 1.0];
        cholesky_solve(&a, 2, &mut b);
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12);
        let mut not_pd = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky(&mut not_pd, 2));
    }

    #[test]
    fn dot_and_gram() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(dot(&a, &a), 55.0);
        let g = gram(&[1.0, 2.0, 3.0, 4.0], 2);
        assert_eq!(g, vec![10.0, 14.0, 14.0, 20.0]);
    }
}
