//! Numbers behind the Runs tab: curve smoothing, parameter importance and the
//! scaling of the parallel-coordinates plot. Pure functions, tested here.

use super::RunRecord;

/// Exponential moving average, `s_t = w·s_{t−1} + (1 − w)·x_t`, seeded with
/// the first value and bias-free (as TensorBoard's smoothing slider). `w` = 0
/// returns the input; non-finite points are skipped, not propagated.
pub fn ema(values: &[f64], weight: f64) -> Vec<f64> {
    let w = weight.clamp(0.0, 0.999);
    let mut out = Vec::with_capacity(values.len());
    let mut last: Option<f64> = None;
    for &x in values {
        if !x.is_finite() {
            out.push(x);
            continue;
        }
        let s = match last {
            Some(prev) => w * prev + (1.0 - w) * x,
            None => x,
        };
        last = Some(s);
        out.push(s);
    }
    out
}

/// Pearson correlation of paired values; `None` with fewer than 3 pairs or
/// when either side is constant.
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len();
    if n < 3 {
        return None;
    }
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// One parameter's importance for a metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Importance {
    pub param: String,
    /// Pearson correlation of the parameter (log10 of it when every value is
    /// positive and they span more than a factor of 10) with the metric.
    pub correlation: f64,
    pub log_scale: bool,
    pub runs: usize,
}

/// Correlation of every numeric parameter that varies across `runs` with
/// `metric`, strongest first (by absolute value).
pub fn param_importance(runs: &[&RunRecord], metric: &str) -> Vec<Importance> {
    let mut out = Vec::new();
    for param in varying_params(runs) {
        let pairs: Vec<(f64, f64)> = runs
            .iter()
            .filter_map(|r| Some((r.param_value(&param)?, *r.metrics.get(metric)?)))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let log_scale = wide_positive(pairs.iter().map(|p| p.0));
        let scaled: Vec<(f64, f64)> = if log_scale {
            pairs.iter().map(|(x, y)| (x.log10(), *y)).collect()
        } else {
            pairs.clone()
        };
        if let Some(correlation) = pearson(&scaled) {
            out.push(Importance {
                param,
                correlation,
                log_scale,
                runs: pairs.len(),
            });
        }
    }
    out.sort_by(|a, b| {
        b.correlation
            .abs()
            .partial_cmp(&a.correlation.abs())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.param.cmp(&b.param))
    });
    out
}

/// Numeric parameters taking more than one value across `runs`, sorted.
pub fn varying_params(runs: &[&RunRecord]) -> Vec<String> {
    let mut names: Vec<String> = runs.iter().flat_map(|r| r.params.keys().cloned()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| {
            let values: Vec<f64> = runs.iter().filter_map(|r| r.param_value(name)).collect();
            values.len() >= 2 && values.iter().any(|v| *v != values[0])
        })
        .collect()
}

/// Metric names present in any of `runs`, sorted.
pub fn metric_names(runs: &[&RunRecord]) -> Vec<String> {
    let mut names: Vec<String> = runs
        .iter()
        .flat_map(|r| r.metrics.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The run with the highest `metric` (ties: the earlier run).
pub fn best_run(runs: &[&RunRecord], metric: &str) -> Option<u64> {
    let mut best: Option<(u64, f64)> = None;
    for r in runs {
        if let Some(&v) = r.metrics.get(metric) {
            if v.is_finite() && best.is_none_or(|(_, b)| v > b) {
                best = Some((r.id, v));
            }
        }
    }
    best.map(|(id, _)| id)
}

/// True when all values are > 0 and span more than a factor of 10, so a log
/// axis shows them better.
pub fn wide_positive(values: impl Iterator<Item = f64>) -> bool {
    let (mut lo, mut hi, mut any) = (f64::INFINITY, 0.0f64, false);
    for v in values {
        if v <= 0.0 || !v.is_finite() {
            return false;
        }
        lo = lo.min(v);
        hi = hi.max(v);
        any = true;
    }
    any && hi > 10.0 * lo
}

/// One axis of a parallel-coordinates plot: values mapped to `[0, 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
}

impl Axis {
    /// The axis over `values` (log10 scale when they span decades).
    pub fn fit(name: &str, values: &[f64]) -> Axis {
        let log = wide_positive(values.iter().copied());
        let t = |v: f64| if log { v.log10() } else { v };
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let lo = finite.clone().map(t).fold(f64::INFINITY, f64::min);
        let hi = finite.map(t).fold(f64::NEG_INFINITY, f64::max);
        Axis {
            name: name.to_owned(),
            lo,
            hi,
            log,
        }
    }

    /// Position of `v` on the axis: 0 at the lowest value, 1 at the highest,
    /// 0.5 when all values are equal.
    pub fn position(&self, v: f64) -> f64 {
        let x = if self.log { v.log10() } else { v };
        if self.hi.partial_cmp(&self.lo) != Some(std::cmp::Ordering::Greater) {
            return 0.5;
        }
        ((x - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    /// The value at position `t` (inverse of [`Axis::position`]).
    pub fn value_at(&self, t: f64) -> f64 {
        let x = self.lo + t * (self.hi - self.lo);
        if self.log {
            10f64.powf(x)
        } else {
            x
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::{DataFingerprint, RunKind};

    fn run(id: u64, factors: u64, reg: f64, ndcg: f64) -> RunRecord {
        let mut r = RunRecord::new(RunKind::new("toy"), "als", DataFingerprint::default());
        r.id = id;
        r.params.insert("factors".into(), factors.into());
        r.params.insert("regularization".into(), reg.into());
        r.params.insert("alpha".into(), 1.0.into());
        r.metrics.insert("ndcg@10".into(), ndcg);
        r
    }

    #[test]
    fn ema_matches_the_recurrence() {
        assert_eq!(ema(&[1.0, 2.0, 3.0], 0.0), vec![1.0, 2.0, 3.0]);
        let s = ema(&[1.0, 3.0, f64::NAN, 5.0], 0.5);
        assert_eq!(s[0], 1.0);
        assert_eq!(s[1], 2.0);
        assert!(s[2].is_nan());
        assert_eq!(s[3], 3.5);
    }

    #[test]
    fn pearson_by_hand() {
        let r = pearson(&[(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]).unwrap();
        assert!((r - 1.0).abs() < 1e-12);
        let r = pearson(&[(1.0, 3.0), (2.0, 1.0), (3.0, 2.0)]).unwrap();
        // x̄=2, ȳ=2: sxy = -1·1 + 0 + 1·0 = -1, sxx = 2, syy = 2 → -0.5
        assert!((r + 0.5).abs() < 1e-12);
        assert_eq!(pearson(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn importance_ranks_the_parameter_that_moves_the_metric() {
        let runs = [
            run(1, 8, 0.01, 0.10),
            run(2, 8, 1.0, 0.11),
            run(3, 64, 0.01, 0.20),
            run(4, 64, 1.0, 0.21),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let imp = param_importance(&refs, "ndcg@10");
        assert_eq!(imp[0].param, "factors");
        assert!(imp[0].correlation > 0.99);
        assert!(imp[1].log_scale, "0.01..1 spans two decades");
        assert!(imp.iter().all(|i| i.param != "alpha"), "alpha never varies");
        assert_eq!(best_run(&refs, "ndcg@10"), Some(4));
    }

    #[test]
    fn axes_scale_to_unit_interval() {
        let a = Axis::fit("reg", &[0.01, 0.1, 1.0]);
        assert!(a.log);
        assert!((a.position(0.1) - 0.5).abs() < 1e-12);
        assert!((a.value_at(1.0) - 1.0).abs() < 1e-12);
        let flat = Axis::fit("k", &[3.0, 3.0]);
        assert_eq!(flat.position(3.0), 0.5);
    }
}
