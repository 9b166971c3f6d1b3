//! The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio & Kégl,
//! "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011), as
//! Optuna 5.0's univariate `TPESampler(multivariate=False,
//! constant_liar=False)` runs it with its defaults:
//!
//! - the first [`N_STARTUP_TRIALS`] (10) trials are drawn at random;
//! - then the finished and pruned trials are split into the
//!   `γ(n) = min(⌈0.1·n⌉, 25)` best ("below") and the rest ("above"):
//!   finished trials by value first, then pruned ones by how far they got
//!   and their last value there; failed trials are left out;
//! - each parameter separately gets two Parzen estimators, l(x) over the
//!   best trials' values and g(x) over the others', each a mixture of one
//!   truncated normal per observation plus a prior (the middle of the
//!   range, the range's width as its σ, weight 1). An observation's σ is
//!   the larger gap to its sorted neighbours (the range's ends count as
//!   neighbours; the outermost observations use their inner gap only),
//!   clipped to `[width / min(100, n + 2), width]` ("magic clip"). Weights
//!   are 1, except that past 25 observations the oldest `n − 25` ramp up
//!   linearly from `1/n`. Log ranges live on the log scale; whole numbers
//!   spread each kernel's mass over `[x − ½, x + ½]`. A choice's kernel
//!   puts 1 on the observed choice plus `1/(n + 1)` on every choice;
//! - [`N_EI_CANDIDATES`] (24) candidates are drawn from l, and the one with
//!   the largest `log l(x) − log g(x)` (expected improvement) is taken.
//!
//! Higher values are better (every main metric is).

use rand::Rng;
use serde_json::Value;

use super::space::{Dimension, Domain};
use super::truncnorm;
use super::{Trial, TrialState};

/// Random trials before the model is used (Optuna's `n_startup_trials`).
pub const N_STARTUP_TRIALS: usize = 10;
/// Candidates drawn from l(x) per parameter (Optuna's `n_ei_candidates`).
pub const N_EI_CANDIDATES: usize = 24;
/// The prior's weight among the kernels (Optuna's `prior_weight`).
pub const PRIOR_WEIGHT: f64 = 1.0;

/// How many trials count as good among `n`: Optuna's `default_gamma`.
pub fn gamma(n: usize) -> usize {
    (n.div_ceil(10)).min(25)
}

/// The kernels' weights for `n` observations, oldest first: Optuna's
/// `default_weights` (flat, with a linear ramp for the oldest past 25).
pub fn weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            let lo = 1.0 / n as f64;
            if ramp == 1 {
                lo
            } else {
                lo + (1.0 - lo) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

/// The good and the other trials among the finished and pruned ones, each
/// in trial order.
pub fn split<'a>(trials: &[&'a Trial]) -> (Vec<&'a Trial>, Vec<&'a Trial>) {
    let n_below = gamma(trials.len());
    let mut done: Vec<&Trial> = trials
        .iter()
        .copied()
        .filter(|t| t.state == TrialState::Done)
        .collect();
    // Best first; a stable sort keeps equal values in trial order.
    done.sort_by(|a, b| value_of(b).total_cmp(&value_of(a)));
    let mut pruned: Vec<&Trial> = trials
        .iter()
        .copied()
        .filter(|t| t.state == TrialState::Pruned)
        .collect();
    pruned.sort_by(|a, b| {
        pruned_score(a)
            .partial_cmp(&pruned_score(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let from_done = n_below.min(done.len());
    let from_pruned = (n_below - from_done).min(pruned.len());
    let mut below: Vec<&Trial> = done[..from_done].to_vec();
    below.extend_from_slice(&pruned[..from_pruned]);
    let mut above: Vec<&Trial> = done[from_done..].to_vec();
    above.extend_from_slice(&pruned[from_pruned..]);
    below.sort_by_key(|t| t.number);
    above.sort_by_key(|t| t.number);
    (below, above)
}

fn value_of(t: &Trial) -> f64 {
    t.value.filter(|v| !v.is_nan()).unwrap_or(f64::NEG_INFINITY)
}

/// Optuna's ranking of pruned trials: the furthest step first, then the
/// best value there (a NaN last); no step at all ranks after every step.
fn pruned_score(t: &Trial) -> (f64, f64) {
    match t.steps.iter().max_by_key(|(step, _)| *step) {
        Some(&(step, v)) if v.is_nan() => (-(step as f64), f64::INFINITY),
        Some(&(step, v)) => (-(step as f64), -v),
        None => (1.0, 0.0),
    }
}

/// A numeric parameter's mixture of truncated normals.
struct Numeric {
    weights: Vec<f64>,
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    /// The range's ends as the kernels see them (widened half a step for
    /// whole numbers, then on the log scale for log ranges).
    low: f64,
    high: f64,
    log: bool,
    step: Option<f64>,
    /// The range as given, to round and clip draws into.
    bounds: (f64, f64),
}

impl Numeric {
    fn scale(&self, x: f64) -> f64 {
        if self.log {
            x.ln()
        } else {
            x
        }
    }

    fn sample(&self, rng: &mut impl Rng) -> f64 {
        let k = pick(&self.weights, rng);
        let x = truncnorm::sample(rng.gen(), self.mus[k], self.sigmas[k], self.low, self.high);
        let x = if self.log { x.exp() } else { x };
        let (lo, hi) = self.bounds;
        match self.step {
            Some(s) => (lo + ((x - lo) / s).round() * s).clamp(lo, hi),
            None => x.clamp(lo, hi),
        }
    }

    /// Each kernel's weighted log density (mass, for whole numbers) at `x`.
    fn terms(&self, x: f64) -> Vec<f64> {
        let kernels = self.mus.iter().zip(&self.sigmas);
        self.weights
            .iter()
            .zip(kernels)
            .map(|(w, (&mu, &sigma))| {
                let density = match self.step {
                    None => truncnorm::log_pdf(self.scale(x), mu, sigma, self.low, self.high),
                    Some(s) => {
                        let (l, r) = (self.scale(x - s / 2.0), self.scale(x + s / 2.0));
                        truncnorm::log_gauss_mass((l - mu) / sigma, (r - mu) / sigma)
                            - truncnorm::log_gauss_mass(
                                (self.low - mu) / sigma,
                                (self.high - mu) / sigma,
                            )
                    }
                };
                w.ln() + density
            })
            .collect()
    }
}

/// One parameter's Parzen estimator: a mixture of kernels (the last is the prior).
enum Parzen {
    Numeric(Numeric),
    Choice {
        weights: Vec<f64>,
        /// One row of choice probabilities per kernel.
        rows: Vec<Vec<f64>>,
    },
}

impl Parzen {
    /// The estimator over `observed` values (sampler numbers, trial order).
    fn new(dim: &Dimension, observed: &[f64]) -> Self {
        let n = observed.len();
        let mut weights = weights(n);
        weights.push(PRIOR_WEIGHT);
        if n == 0 {
            weights = vec![1.0];
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        match &dim.domain {
            Domain::Choices { values } => {
                let k = values.len();
                let kernels = n + 1;
                let rows = if n == 0 {
                    vec![vec![1.0 / k as f64; k]]
                } else {
                    (0..kernels)
                        .map(|i| {
                            let mut row = vec![PRIOR_WEIGHT / kernels as f64; k];
                            if let Some(&x) = observed.get(i) {
                                row[(x as usize).min(k - 1)] += 1.0;
                            }
                            let sum: f64 = row.iter().sum();
                            row.iter_mut().for_each(|p| *p /= sum);
                            row
                        })
                        .collect()
                };
                Parzen::Choice { weights, rows }
            }
            &Domain::Range {
                low: lo,
                high: hi,
                log,
                int,
            } => {
                let step = int.then_some(1.0);
                let half = step.map_or(0.0, |s| s / 2.0);
                let scale = |x: f64| if log { x.ln() } else { x };
                let (low, high) = (scale(lo - half), scale(hi + half));
                let mut mus: Vec<f64> = observed.iter().map(|&x| scale(x)).collect();
                let mut sigmas = bandwidths(&mus, low, high);
                mus.push(0.5 * (low + high));
                sigmas.push(high - low);
                Parzen::Numeric(Numeric {
                    weights,
                    mus,
                    sigmas,
                    low,
                    high,
                    log,
                    step,
                    bounds: (lo, hi),
                })
            }
        }
    }

    /// A draw (a sampler number: the value, or the choice's index).
    fn sample(&self, rng: &mut impl Rng) -> f64 {
        match self {
            Parzen::Choice { weights, rows } => {
                let k = pick(weights, rng);
                pick(&rows[k], rng) as f64
            }
            Parzen::Numeric(n) => n.sample(rng),
        }
    }

    /// ln of the mixture's density (mass, for whole numbers and choices) at `x`.
    fn log_pdf(&self, x: f64) -> f64 {
        let terms: Vec<f64> = match self {
            Parzen::Choice { weights, rows } => weights
                .iter()
                .zip(rows)
                .map(|(w, row)| w.ln() + row[(x as usize).min(row.len() - 1)].ln())
                .collect(),
            Parzen::Numeric(n) => n.terms(x),
        };
        log_sum_exp(&terms)
    }
}

/// Each observation's σ: the larger gap to its sorted neighbours, the
/// range's ends counting as neighbours except for the outermost
/// observations (Optuna's `consider_endpoints=False`), then the magic clip.
fn bandwidths(mus: &[f64], low: f64, high: f64) -> Vec<f64> {
    let n = mus.len();
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| mus[a].total_cmp(&mus[b]));
    let mut points = Vec::with_capacity(n + 2);
    points.push(low);
    points.extend(order.iter().map(|&i| mus[i]));
    points.push(high);
    let mut sorted: Vec<f64> = (1..=n)
        .map(|i| (points[i] - points[i - 1]).max(points[i + 1] - points[i]))
        .collect();
    if n >= 2 {
        sorted[0] = points[2] - points[1];
        sorted[n - 1] = points[n] - points[n - 1];
    }
    let width = high - low;
    let min_sigma = width / (1.0 + (n + 1) as f64).min(100.0);
    let mut sigmas = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        sigmas[i] = sorted[rank].clamp(min_sigma, width);
    }
    sigmas
}

/// An index drawn with probability proportional to `weights`.
fn pick(weights: &[f64], rng: &mut impl Rng) -> usize {
    let u: f64 = rng.gen::<f64>() * weights.iter().sum::<f64>();
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    weights.len() - 1
}

fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// The value TPE proposes for `dim` given the finished and pruned
/// `trials` (at least [`N_STARTUP_TRIALS`] of them; the caller draws at
/// random before that).
pub fn sample(dim: &Dimension, trials: &[&Trial], rng: &mut impl Rng) -> Value {
    let (below, above) = split(trials);
    let observed = |group: &[&Trial]| -> Vec<f64> {
        group
            .iter()
            .filter_map(|t| dim.internal(t.params.get(&dim.name)?))
            .collect()
    };
    let l = Parzen::new(dim, &observed(&below));
    let g = Parzen::new(dim, &observed(&above));
    let mut best = (f64::NEG_INFINITY, None);
    for _ in 0..N_EI_CANDIDATES {
        let x = l.sample(rng);
        let score = l.log_pdf(x) - g.log_pdf(x);
        // The first of equal scores wins, as numpy's argmax.
        if best.1.is_none() || score > best.0 {
            best = (score, Some(x));
        }
    }
    dim.external(best.1.unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::BTreeMap;

    fn trial(number: usize, x: f64, value: f64) -> Trial {
        Trial {
            number,
            state: TrialState::Done,
            value: Some(value),
            params: BTreeMap::from([("x".to_owned(), Value::from(x))]),
            steps: Vec::new(),
            run: None,
        }
    }

    #[test]
    fn optuna_defaults() {
        assert_eq!((gamma(1), gamma(10), gamma(11), gamma(300)), (1, 1, 2, 25));
        assert_eq!(weights(3), vec![1.0; 3]);
        let w = weights(30);
        // numpy.linspace(1/30, 1, 5), then 25 ones.
        assert_eq!(w.len(), 30);
        assert!((w[0] - 1.0 / 30.0).abs() < 1e-15 && (w[4] - 1.0).abs() < 1e-15);
        assert!((w[2] - (1.0 / 30.0 + (1.0 - 1.0 / 30.0) * 0.5)).abs() < 1e-15);
    }

    #[test]
    fn bandwidths_follow_the_neighbour_rule_and_clip() {
        // Observations 0.2, 0.5, 0.6 on [0, 1]: inner gaps only at the ends.
        let s = bandwidths(&[0.5, 0.2, 0.6], 0.0, 1.0);
        assert!((s[1] - 0.3).abs() < 1e-12); // 0.2: gap to 0.5
        assert!((s[0] - 0.3).abs() < 1e-12); // 0.5: max(0.3, 0.1)
        assert!((s[2] - 0.2).abs() < 1e-12); // 0.6: clipped up to 1/(1+4)
                                             // One observation: both ends count.
        assert_eq!(bandwidths(&[0.3], 0.0, 1.0), vec![0.7]);
    }

    #[test]
    fn split_puts_the_best_tenth_below_and_pruned_after_finished() {
        let mut trials: Vec<Trial> = (0..12).map(|i| trial(i, i as f64, i as f64)).collect();
        trials[11].state = TrialState::Pruned;
        trials[11].value = None;
        trials[11].steps = vec![(5, 100.0)];
        let refs: Vec<&Trial> = trials.iter().collect();
        let (below, above) = split(&refs);
        // γ(12) = 2: the two best finished (10 and 9), in trial order.
        assert_eq!(
            below.iter().map(|t| t.number).collect::<Vec<_>>(),
            vec![9, 10]
        );
        assert_eq!(above.len(), 10);
        assert_eq!(above.last().map(|t| t.number), Some(11));
    }

    #[test]
    fn proposes_near_the_good_region_and_is_seeded() {
        // The best values sit near x = 0.8 on [0, 1].
        let dim = Dimension::parse("x=0..1").unwrap();
        let trials: Vec<Trial> = (0..30)
            .map(|i| {
                let x = (i as f64 * 0.618_033_988_7).fract();
                trial(i, x, -(x - 0.8).powi(2))
            })
            .collect();
        let refs: Vec<&Trial> = trials.iter().collect();
        let draw = |seed| {
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
            (0..20)
                .map(|_| sample(&dim, &refs, &mut rng).as_f64().unwrap())
                .collect::<Vec<_>>()
        };
        let xs = draw(7);
        assert_eq!(xs, draw(7));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.8).abs() < 0.1, "mean proposal {mean}");
    }

    #[test]
    fn whole_numbers_on_a_log_scale_stay_whole_and_in_range() {
        let dim = Dimension::parse("f=8..128:log:int").unwrap();
        let trials: Vec<Trial> = (0..15)
            .map(|i| trial(i, (8 + i * 8) as f64, i as f64))
            .collect();
        let refs: Vec<&Trial> = trials.iter().collect();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..50 {
            let v = sample(&dim, &refs, &mut rng);
            let x = v.as_i64().unwrap();
            assert!((8..=128).contains(&x), "{x}");
        }
    }

    #[test]
    fn mixture_densities_integrate_to_one() {
        let dim = Dimension::parse("x=1..100:log").unwrap();
        let p = Parzen::new(&dim, &[2.0, 10.0, 50.0]);
        // Continuous on the log scale: integrate over ln x.
        let (a, b) = (1f64.ln(), 100f64.ln());
        let n = 20_000;
        let h = (b - a) / n as f64;
        let total: f64 = (0..n)
            .map(|i| p.log_pdf((a + (i as f64 + 0.5) * h).exp()).exp() * h)
            .sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
        let int = Dimension::parse("k=1..20:int").unwrap();
        let q = Parzen::new(&int, &[3.0, 4.0, 15.0]);
        let mass: f64 = (1..=20).map(|k| q.log_pdf(k as f64).exp()).sum();
        assert!((mass - 1.0).abs() < 1e-9, "{mass}");
        let c = Dimension::parse("c=a,b,c").unwrap();
        let r = Parzen::new(&c, &[0.0, 0.0, 2.0]);
        let mass: f64 = (0..3).map(|k| r.log_pdf(k as f64).exp()).sum();
        assert!((mass - 1.0).abs() < 1e-12);
    }
}
