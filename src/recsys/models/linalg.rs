//! Small dense linear algebra for factor models (row-major, f32 vectors; f64
//! Cholesky for the small systems).

#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four accumulators let the compiler vectorise the loop.
    let mut acc = [0f32; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        for l in 0..4 {
            acc[l] += a[4 * c + l] * b[4 * c + l];
        }
    }
    let mut sum = acc[0] + acc[1] + acc[2] + acc[3];
    for i in 4 * chunks..a.len() {
        sum += a[i] * b[i];
    }
    sum
}

/// `y += a * x`
#[inline]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `out = M v` for a dense `n × n` row-major matrix.
#[inline]
pub fn matvec(m: &[f32], v: &[f32], out: &mut [f32]) {
    let n = v.len();
    for (r, o) in out.iter_mut().enumerate() {
        *o = dot(&m[r * n..(r + 1) * n], v);
    }
}

/// `Yᵀ Y` of a row-major `rows × dim` matrix.
pub fn gram(y: &[f32], dim: usize) -> Vec<f32> {
    let mut g = vec![0f64; dim * dim];
    for row in y.chunks_exact(dim) {
        for a in 0..dim {
            let ra = f64::from(row[a]);
            if ra == 0.0 {
                continue;
            }
            for b in a..dim {
                g[a * dim + b] += ra * f64::from(row[b]);
            }
        }
    }
    let mut out = vec![0f32; dim * dim];
    for a in 0..dim {
        for b in a..dim {
            out[a * dim + b] = g[a * dim + b] as f32;
            out[b * dim + a] = g[a * dim + b] as f32;
        }
    }
    out
}

/// In-place Cholesky factorisation of a symmetric positive definite `n × n`
/// matrix (lower triangle holds L). Returns false when not positive definite.
pub fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
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
    true
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
