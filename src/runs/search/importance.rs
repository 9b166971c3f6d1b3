//! Which parameters mattered in a study: the mean decrease in impurity of
//! a random forest fit from the finished trials' parameters to their
//! values (Optuna's `MeanDecreaseImpurityImportanceEvaluator`: 64 trees,
//! depth up to 64, bootstrap samples, every feature tried at each split,
//! as scikit-learn's `RandomForestRegressor` defaults). Log-range
//! parameters enter on the log scale; a choice enters as its index.
//! Importances sum to 1.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::space::{Dimension, Domain};
use super::{Trial, TrialState};

const TREES: usize = 64;
const MAX_DEPTH: usize = 64;

/// `(parameter, importance)`, most important first, over the finished
/// trials that have every parameter of `space` (as Optuna, which uses the
/// trials of the space all of them share). Empty with fewer than 2 such
/// trials or no spread in the values.
pub fn importance(space: &[Dimension], trials: &[Trial], seed: u64) -> Vec<(String, f64)> {
    let rows: Vec<(Vec<f64>, f64)> = trials
        .iter()
        .filter(|t| t.state == TrialState::Done)
        .filter_map(|t| {
            let x = space
                .iter()
                .map(|d| {
                    let v = d.internal(t.params.get(&d.name)?)?;
                    Some(match d.domain {
                        Domain::Range { log: true, .. } => v.ln(),
                        _ => v,
                    })
                })
                .collect::<Option<Vec<f64>>>()?;
            Some((x, t.value?))
        })
        .filter(|(_, y)| y.is_finite())
        .collect();
    if rows.len() < 2 || space.is_empty() {
        return Vec::new();
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut total = vec![0.0; space.len()];
    for _ in 0..TREES {
        let sample: Vec<usize> = (0..rows.len())
            .map(|_| rng.gen_range(0..rows.len()))
            .collect();
        let mut gains = vec![0.0; space.len()];
        grow(&rows, sample, 0, &mut gains);
        let sum: f64 = gains.iter().sum();
        if sum > 0.0 {
            for (t, g) in total.iter_mut().zip(&gains) {
                *t += g / sum;
            }
        }
    }
    let sum: f64 = total.iter().sum();
    if sum <= 0.0 {
        return Vec::new();
    }
    let mut out: Vec<(String, f64)> = space
        .iter()
        .zip(total)
        .map(|(d, t)| (d.name.clone(), t / sum))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Sum of squared deviations from the mean of `rows[at]`'s values.
fn sse(rows: &[(Vec<f64>, f64)], at: &[usize]) -> f64 {
    let n = at.len() as f64;
    let mean = at.iter().map(|&i| rows[i].1).sum::<f64>() / n;
    at.iter().map(|&i| (rows[i].1 - mean).powi(2)).sum()
}

/// Grow a regression tree on `at` (indices into `rows`, repeats allowed),
/// adding each split's decrease in squared error to its feature's gain.
fn grow(rows: &[(Vec<f64>, f64)], at: Vec<usize>, depth: usize, gains: &mut [f64]) {
    if at.len() < 2 || depth >= MAX_DEPTH {
        return;
    }
    let parent = sse(rows, &at);
    if parent <= 1e-15 {
        return;
    }
    let mut best: Option<(f64, usize, f64)> = None;
    for f in 0..gains.len() {
        let mut order = at.clone();
        order.sort_by(|&a, &b| rows[a].0[f].total_cmp(&rows[b].0[f]));
        // Running sums make each threshold O(1).
        let (mut left_sum, mut left_sq) = (0.0, 0.0);
        let total_sum: f64 = order.iter().map(|&i| rows[i].1).sum();
        let total_sq: f64 = order.iter().map(|&i| rows[i].1 * rows[i].1).sum();
        let n = order.len();
        for k in 1..n {
            let y = rows[order[k - 1]].1;
            left_sum += y;
            left_sq += y * y;
            let (a, b) = (rows[order[k - 1]].0[f], rows[order[k]].0[f]);
            if a == b {
                continue;
            }
            let (nl, nr) = (k as f64, (n - k) as f64);
            let right_sum = total_sum - left_sum;
            let right_sq = total_sq - left_sq;
            let child =
                (left_sq - left_sum * left_sum / nl) + (right_sq - right_sum * right_sum / nr);
            if best.is_none_or(|(c, _, _)| child < c) {
                best = Some((child, f, 0.5 * (a + b)));
            }
        }
    }
    let Some((child, feature, threshold)) = best else {
        return;
    };
    gains[feature] += (parent - child).max(0.0);
    let (left, right): (Vec<usize>, Vec<usize>) = at
        .into_iter()
        .partition(|&i| rows[i].0[feature] <= threshold);
    grow(rows, left, depth + 1, gains);
    grow(rows, right, depth + 1, gains);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeMap;

    #[test]
    fn the_parameter_that_drives_the_value_ranks_first() {
        let space = vec![
            Dimension::parse("a=0..1").unwrap(),
            Dimension::parse("b=0..1").unwrap(),
        ];
        let trials: Vec<Trial> = (0..60)
            .map(|i| {
                let a = (i as f64 * 0.618_034).fract();
                let b = (i as f64 * 0.414_214).fract();
                Trial {
                    number: i,
                    state: TrialState::Done,
                    value: Some(10.0 * a + 0.5 * b),
                    params: BTreeMap::from([
                        ("a".to_owned(), Value::from(a)),
                        ("b".to_owned(), Value::from(b)),
                    ]),
                    steps: Vec::new(),
                    run: None,
                }
            })
            .collect();
        let imp = importance(&space, &trials, 0);
        assert_eq!(imp[0].0, "a");
        assert!(imp[0].1 > 0.9, "{imp:?}");
        assert!((imp.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-9);
        assert_eq!(imp, importance(&space, &trials, 0));
    }
}
