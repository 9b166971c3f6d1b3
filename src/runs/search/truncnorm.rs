//! The truncated normal distribution TPE's Parzen estimators are made of:
//! its log density, the log of a normal's mass over an interval, and draws
//! by inverting the CDF. Tails are handled in log space (a kernel can sit
//! 100 bandwidths from an edge), the way SciPy's `truncnorm` and Optuna's
//! `_truncnorm` do it: left of the mean through `log Φ(x)`, right of it by
//! symmetry.

use std::f64::consts::PI;

/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Φ(x), the standard normal CDF.
pub fn ndtr(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// ln Φ(x), accurate far into both tails.
pub fn log_ndtr(x: f64) -> f64 {
    if x > 6.0 {
        // ln(1 − q) ≈ −q for the tiny upper tail q = Φ(−x).
        return -ndtr(-x);
    }
    if x > -20.0 {
        return ndtr(x).ln();
    }
    // The asymptotic series φ(x)/(−x) · (1 − 1/x² + 3/x⁴ − …), summed
    // until it stops changing.
    let lead = -0.5 * x * x - (-x).ln() - LN_SQRT_2PI;
    let (mut sum, mut term, mut k) = (1.0_f64, 1.0_f64, 1.0_f64);
    loop {
        term *= -(2.0 * k - 1.0) / (x * x);
        let next = sum + term;
        if (next - sum).abs() <= f64::EPSILON * sum.abs() || k > 50.0 {
            sum = next;
            break;
        }
        sum = next;
        k += 1.0;
    }
    lead + sum.ln()
}

/// ln(e^p − e^q) for p ≥ q.
fn log_diff(p: f64, q: f64) -> f64 {
    p + (-(q - p).exp()).ln_1p()
}

/// ln(Φ(b) − Φ(a)), the log mass of a standard normal on `[a, b]`.
pub fn log_gauss_mass(a: f64, b: f64) -> f64 {
    if b <= 0.0 {
        log_diff(log_ndtr(b), log_ndtr(a))
    } else if a > 0.0 {
        log_diff(log_ndtr(-a), log_ndtr(-b))
    } else {
        (-ndtr(a) - ndtr(-b)).ln_1p()
    }
}

/// The log density at `x` of a normal (`mu`, `sigma`) truncated to
/// `[low, high]`; −∞ outside.
pub fn log_pdf(x: f64, mu: f64, sigma: f64, low: f64, high: f64) -> f64 {
    if x < low || x > high {
        return f64::NEG_INFINITY;
    }
    let z = (x - mu) / sigma;
    let (a, b) = ((low - mu) / sigma, (high - mu) / sigma);
    -0.5 * z * z - LN_SQRT_2PI - sigma.ln() - log_gauss_mass(a, b)
}

/// The x with ln Φ(x) = y (y ≤ 0): a first guess, then Newton steps on
/// ln Φ, whose slope φ(x)/Φ(x) is known.
fn ndtri_exp(y: f64) -> f64 {
    // Near y = 0 the root is far right: solve for −x on the other tail.
    let flipped = y > -1e-2;
    let z = if flipped { (-y.exp_m1()).ln() } else { y };
    let mut x = if z < -5.0 {
        -(-2.0 * (z + LN_SQRT_2PI)).sqrt()
    } else {
        // The logistic approximation Φ(x) ≈ 1 / (1 + e^(−πx/√3)).
        -(3.0_f64.sqrt() / PI) * (-z).exp_m1().ln()
    };
    for _ in 0..100 {
        let log_cdf = log_ndtr(x);
        let log_pdf = -0.5 * x * x - LN_SQRT_2PI;
        let dx = (log_cdf - z) * (log_cdf - log_pdf).exp();
        x -= dx;
        if dx.abs() < 1e-8 * x.abs().max(1e-300) {
            break;
        }
    }
    if flipped {
        -x
    } else {
        x
    }
}

/// The point below which a fraction `q` of a standard normal truncated
/// to `[a, b]` lies.
pub fn ppf(q: f64, a: f64, b: f64) -> f64 {
    if q <= 0.0 {
        return a;
    }
    if q >= 1.0 {
        return b;
    }
    let log_mass = log_gauss_mass(a, b);
    let logaddexp = |p: f64, r: f64| {
        let m = p.max(r);
        m + ((p - m).exp() + (r - m).exp()).ln()
    };
    if a < 0.0 {
        ndtri_exp(logaddexp(log_ndtr(a), q.ln() + log_mass))
    } else {
        -ndtri_exp(logaddexp(log_ndtr(-b), (-q).ln_1p() + log_mass))
    }
    .clamp(a, b)
}

/// A draw from a normal (`mu`, `sigma`) truncated to `[low, high]`, given
/// a uniform `u` in `[0, 1)`.
pub fn sample(u: f64, mu: f64, sigma: f64, low: f64, high: f64) -> f64 {
    let (a, b) = ((low - mu) / sigma, (high - mu) / sigma);
    mu + sigma * ppf(u, a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ndtr_matches_known_values_in_both_tails() {
        assert!((log_ndtr(0.0) + std::f64::consts::LN_2).abs() < 1e-15);
        // ln Φ(−30) = ln(erfc(30/√2)/2) = −454.32124395634…
        assert!((log_ndtr(-30.0) - (-454.321_243_956_343_1)).abs() < 1e-9);
        // Continuous across the switch to the series at −20.
        assert!((log_ndtr(-20.0 - 1e-9) - log_ndtr(-20.0 + 1e-9)).abs() < 1e-6);
        assert!(log_ndtr(8.0) < 0.0 && log_ndtr(8.0) > -1e-14);
    }

    #[test]
    fn mass_of_the_whole_line_is_one_and_symmetric() {
        assert!(log_gauss_mass(-40.0, 40.0).abs() < 1e-15);
        let left = log_gauss_mass(-3.0, -1.0);
        let right = log_gauss_mass(1.0, 3.0);
        assert!((left - right).abs() < 1e-13);
        // Φ(1) − Φ(−1) = 0.682689492137…
        assert!((log_gauss_mass(-1.0, 1.0).exp() - 0.682_689_492_137_086).abs() < 1e-12);
    }

    #[test]
    fn ppf_inverts_the_truncated_cdf_even_in_far_tails() {
        for &(a, b) in &[(-2.0, 1.5), (3.0, 60.0), (-80.0, -10.0), (-1.0, 1.0)] {
            for &q in &[0.001, 0.2, 0.5, 0.9, 0.999] {
                let x = ppf(q, a, b);
                assert!(x >= a && x <= b, "{x} outside [{a}, {b}]");
                let got = (log_gauss_mass(a, x) - log_gauss_mass(a, b)).exp();
                assert!((got - q).abs() < 1e-6, "q {q} on [{a}, {b}]: {got}");
            }
        }
    }

    #[test]
    fn density_integrates_to_one() {
        let (mu, sigma, low, high) = (0.3, 0.5, 0.0, 1.0);
        let n = 20_000;
        let h = (high - low) / n as f64;
        let total: f64 = (0..n)
            .map(|i| log_pdf(low + (i as f64 + 0.5) * h, mu, sigma, low, high).exp() * h)
            .sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert_eq!(log_pdf(1.5, mu, sigma, low, high), f64::NEG_INFINITY);
    }
}
