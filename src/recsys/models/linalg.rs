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

/// `[rows[0]·v, …, rows[3]·v]`: four dot products in one pass over `v`, so
/// each load of `v` feeds four independent FMA chains (8 lanes each). With
/// `FMA` on a CPU with AVX2 + FMA this is hand-written intrinsics; otherwise
/// portable code over `chunks_exact(8)`.
#[inline(always)]
pub fn dot4_k<const FMA: bool>(rows: [&[f32]; 4], v: &[f32]) -> [f32; 4] {
    // The feature check is a cached load and a predictable branch; it keeps
    // this safe to call with `FMA` on any CPU.
    #[cfg(target_arch = "x86_64")]
    if FMA && has_avx2_fma() {
        // SAFETY: AVX2 and FMA support were just checked.
        return unsafe { avx2::dot4(rows, v) };
    }
    let n = v.len();
    let (r0, r1, r2, r3) = (&rows[0][..n], &rows[1][..n], &rows[2][..n], &rows[3][..n]);
    let mut acc = [[0f32; 8]; 4];
    let chunks = v
        .chunks_exact(8)
        .zip(r0.chunks_exact(8))
        .zip(r1.chunks_exact(8))
        .zip(r2.chunks_exact(8))
        .zip(r3.chunks_exact(8));
    for ((((vk, a), b), c), d) in chunks {
        for l in 0..8 {
            acc[0][l] = madd::<FMA>(acc[0][l], a[l], vk[l]);
            acc[1][l] = madd::<FMA>(acc[1][l], b[l], vk[l]);
            acc[2][l] = madd::<FMA>(acc[2][l], c[l], vk[l]);
            acc[3][l] = madd::<FMA>(acc[3][l], d[l], vk[l]);
        }
    }
    let whole = n - n % 8;
    let mut out = [0f32; 4];
    for ((o, a), row) in out.iter_mut().zip(&acc).zip([r0, r1, r2, r3]) {
        let mut s = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
        for (x, y) in row[whole..].iter().zip(&v[whole..]) {
            s = madd::<FMA>(s, *x, *y);
        }
        *o = s;
    }
    out
}

/// `out += Σ_r coefs[r] · rows[r]`: one load and store of `out` per four FMAs.
#[inline(always)]
pub fn axpy4_k<const FMA: bool>(coefs: [f32; 4], rows: [&[f32]; 4], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if FMA && has_avx2_fma() {
        // SAFETY: AVX2 and FMA support were just checked.
        return unsafe { avx2::axpy4(coefs, rows, out) };
    }
    let n = out.len();
    let (r0, r1, r2, r3) = (&rows[0][..n], &rows[1][..n], &rows[2][..n], &rows[3][..n]);
    let [c0, c1, c2, c3] = coefs;
    let whole = n - n % 8;
    let (head, tail) = out.split_at_mut(whole);
    let chunks = head
        .chunks_exact_mut(8)
        .zip(r0.chunks_exact(8))
        .zip(r1.chunks_exact(8))
        .zip(r2.chunks_exact(8))
        .zip(r3.chunks_exact(8));
    for ((((o, a), b), c), d) in chunks {
        for l in 0..8 {
            let v = madd::<FMA>(o[l], c0, a[l]);
            let v = madd::<FMA>(v, c1, b[l]);
            let v = madd::<FMA>(v, c2, c[l]);
            o[l] = madd::<FMA>(v, c3, d[l]);
        }
    }
    for (k, o) in tail.iter_mut().enumerate() {
        let k = whole + k;
        let v = madd::<FMA>(*o, c0, r0[k]);
        let v = madd::<FMA>(v, c1, r1[k]);
        let v = madd::<FMA>(v, c2, r2[k]);
        *o = madd::<FMA>(v, c3, r3[k]);
    }
}

/// The four-row kernels in AVX2 + FMA intrinsics: the auto-vectoriser packs
/// the four rows' lanes together and spends its time shuffling.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Always inlined (not `target_feature`): inside the callers compiled with
    /// AVX2 and FMA the intrinsics inline too, with no call per row quad.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[inline(always)]
    pub unsafe fn dot4(rows: [&[f32]; 4], v: &[f32]) -> [f32; 4] {
        let n = v.len();
        let (r0, r1, r2, r3) = (&rows[0][..n], &rows[1][..n], &rows[2][..n], &rows[3][..n]);
        let whole = n - n % 8;
        let (mut a0, mut a1, mut a2, mut a3) = (
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
        );
        let mut k = 0;
        while k < whole {
            // SAFETY: k + 8 ≤ whole ≤ n, the length of v and of every row.
            unsafe {
                let vk = _mm256_loadu_ps(v.as_ptr().add(k));
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0.as_ptr().add(k)), vk, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1.as_ptr().add(k)), vk, a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2.as_ptr().add(k)), vk, a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3.as_ptr().add(k)), vk, a3);
            }
            k += 8;
        }
        // Horizontal sums of the four accumulators at once: pairwise adds
        // within 128-bit halves, then the halves.
        let s01 = _mm256_hadd_ps(a0, a1);
        let s23 = _mm256_hadd_ps(a2, a3);
        let s = _mm256_hadd_ps(s01, s23);
        let sum = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        let mut out = [0f32; 4];
        // SAFETY: out holds four f32.
        unsafe { _mm_storeu_ps(out.as_mut_ptr(), sum) };
        for (o, row) in out.iter_mut().zip([r0, r1, r2, r3]) {
            for (x, y) in row[whole..].iter().zip(&v[whole..]) {
                *o = x.mul_add(*y, *o);
            }
        }
        out
    }

    /// # Safety
    /// As for [`dot4`].
    #[inline(always)]
    pub unsafe fn axpy4(coefs: [f32; 4], rows: [&[f32]; 4], out: &mut [f32]) {
        let n = out.len();
        let (r0, r1, r2, r3) = (&rows[0][..n], &rows[1][..n], &rows[2][..n], &rows[3][..n]);
        let whole = n - n % 8;
        // SAFETY (this block and the next): the caller guarantees AVX2 + FMA.
        let (c0, c1, c2, c3) = unsafe {
            (
                _mm256_set1_ps(coefs[0]),
                _mm256_set1_ps(coefs[1]),
                _mm256_set1_ps(coefs[2]),
                _mm256_set1_ps(coefs[3]),
            )
        };
        let mut k = 0;
        while k < whole {
            // SAFETY: k + 8 ≤ whole ≤ n, the length of out and of every row.
            unsafe {
                let o = out.as_mut_ptr().add(k);
                let mut v = _mm256_loadu_ps(o);
                v = _mm256_fmadd_ps(c0, _mm256_loadu_ps(r0.as_ptr().add(k)), v);
                v = _mm256_fmadd_ps(c1, _mm256_loadu_ps(r1.as_ptr().add(k)), v);
                v = _mm256_fmadd_ps(c2, _mm256_loadu_ps(r2.as_ptr().add(k)), v);
                v = _mm256_fmadd_ps(c3, _mm256_loadu_ps(r3.as_ptr().add(k)), v);
                _mm256_storeu_ps(o, v);
            }
            k += 8;
        }
        for k in whole..n {
            let v = coefs[0].mul_add(r0[k], out[k]);
            let v = coefs[1].mul_add(r1[k], v);
            let v = coefs[2].mul_add(r2[k], v);
            out[k] = coefs[3].mul_add(r3[k], v);
        }
    }
}

/// `out = M v` for a dense **symmetric** `n × n` matrix, as `Σ_c v[c] · M[c, :]`
/// four rows at a time: whole-row axpys vectorise without horizontal sums.
#[inline(always)]
pub fn matvec_k<const FMA: bool>(m: &[f32], v: &[f32], out: &mut [f32]) {
    let n = v.len();
    out.fill(0.0);
    let row = |c: usize| &m[c * n..(c + 1) * n];
    let whole = n - n % 4;
    for c in (0..whole).step_by(4) {
        axpy4_k::<FMA>(
            [v[c], v[c + 1], v[c + 2], v[c + 3]],
            [row(c), row(c + 1), row(c + 2), row(c + 3)],
            out,
        );
    }
    for (c, &vc) in v.iter().enumerate().skip(whole) {
        axpy_k::<FMA>(vc, row(c), out);
    }
}

/// True when this CPU has AVX2 and FMA (checked once by std, then cached).
#[inline(always)]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `Yᵀ Y` of a row-major `rows × dim` matrix. Rows are split over the current
/// rayon pool in fixed blocks (so the sum order is fixed); within a block, four
/// rows at a time add `Σ_r row_r[a] · row_r` to row `a` of the result (vector
/// FMAs when the CPU has them), and blocks are summed in f64.
pub fn gram(y: &[f32], dim: usize) -> Vec<f32> {
    use rayon::prelude::*;
    const BLOCK_ROWS: usize = 256;
    let partials: Vec<Vec<f32>> = y
        .par_chunks(BLOCK_ROWS * dim)
        .map(|block| {
            let mut g = vec![0f32; dim * dim];
            #[cfg(target_arch = "x86_64")]
            if has_avx2_fma() {
                // SAFETY: AVX2 and FMA support were just checked.
                unsafe { gram_block_avx2_fma(block, dim, &mut g) };
                return g;
            }
            gram_block::<false>(block, dim, &mut g);
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gram_block_avx2_fma(block: &[f32], dim: usize, g: &mut [f32]) {
    gram_block::<true>(block, dim, g);
}

#[inline(always)]
fn gram_block<const FMA: bool>(block: &[f32], dim: usize, g: &mut [f32]) {
    let mut quads = block.chunks_exact(4 * dim);
    for quad in &mut quads {
        let rows = [
            &quad[..dim],
            &quad[dim..2 * dim],
            &quad[2 * dim..3 * dim],
            &quad[3 * dim..],
        ];
        for a in 0..dim {
            let coefs = [rows[0][a], rows[1][a], rows[2][a], rows[3][a]];
            axpy4_k::<FMA>(coefs, rows, &mut g[a * dim..(a + 1) * dim]);
        }
    }
    for row in quads.remainder().chunks_exact(dim) {
        for (a, &ra) in row.iter().enumerate() {
            axpy_k::<FMA>(ra, row, &mut g[a * dim..(a + 1) * dim]);
        }
    }
}

/// In-place Cholesky factorisation of a small symmetric positive definite
/// `n × n` matrix (lower triangle holds L): the factor models' per-row
/// systems. Returns false when not positive definite. (EASE's large one is
/// faer's, in `ease.rs`.)
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

    /// The four-row kernels against plain loops, on sizes with and without a
    /// remainder, with and without FMA (small integers: every sum is exact).
    #[test]
    fn four_row_kernels_match_plain_loops() {
        for n in [1usize, 7, 8, 13, 64, 65] {
            let rows: Vec<Vec<f32>> = (0..4)
                .map(|r| {
                    (0..n)
                        .map(|k| ((r * 31 + k * 7) % 11) as f32 - 5.0)
                        .collect()
                })
                .collect();
            let v: Vec<f32> = (0..n).map(|k| (k % 5) as f32 * 0.5 - 1.0).collect();
            let refs = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
            let plain: Vec<f32> = rows
                .iter()
                .map(|r| r.iter().zip(&v).map(|(a, b)| a * b).sum())
                .collect();
            assert_eq!(dot4_k::<false>(refs, &v).to_vec(), plain, "dot4 n={n}");
            let coefs = [0.5, -1.0, 2.0, 0.25];
            let want: Vec<f32> = (0..n)
                .map(|k| v[k] + (0..4).map(|r| coefs[r] * rows[r][k]).sum::<f32>())
                .collect();
            let mut out = v.clone();
            axpy4_k::<false>(coefs, refs, &mut out);
            assert_eq!(out, want, "axpy4 n={n}");
            // The FMA variants: intrinsics where the CPU has AVX2 + FMA.
            assert_eq!(dot4_k::<true>(refs, &v).to_vec(), plain, "dot4 fma n={n}");
            let mut out = v.clone();
            axpy4_k::<true>(coefs, refs, &mut out);
            assert_eq!(out, want, "axpy4 fma n={n}");
        }
        // Symmetric matvec and the Gram matrix on 5 rows (one quad + one row).
        let y: Vec<f32> = (0..15).map(|k| (k % 4) as f32 - 1.5).collect();
        let g = gram(&y, 3);
        for a in 0..3 {
            for b in 0..3 {
                let want: f32 = y.chunks(3).map(|r| r[a] * r[b]).sum();
                assert_eq!(g[a * 3 + b], want);
            }
        }
        let mut out = vec![0f32; 3];
        matvec_k::<false>(&g, &[1.0, -2.0, 0.5], &mut out);
        for a in 0..3 {
            let want = g[a * 3] - 2.0 * g[a * 3 + 1] + 0.5 * g[a * 3 + 2];
            assert_eq!(out[a], want);
        }
    }
}
