//! Off-policy learning: obp's `IPWLearner` (Dudík et al. 2014's
//! cost-sensitive reduction), with a multinomial logistic regression as the
//! classifier.
//!
//! For each slot s, a classifier over the items is fitted on the slot's
//! learning rows: features the row's context, label the logged item aᵢ,
//! sample weight rᵢ / pᵢ (reward over the logging propensity). Maximising
//! that weighted likelihood is the IPW estimate of a deterministic policy's
//! value, relaxed. The learnt policy shows, in each slot, the item the
//! slot's classifier rates most probable for the row's context (ties, to
//! 1e-4 in the logit: the lower item).
//!
//! The classifier is scikit-learn's `LogisticRegression()` as obp builds it
//! by default: softmax over the items seen in the slot, penalty ‖W‖²/(2C)
//! on the weights (C = 1) and none on the intercepts. Rows of weight 0 (no
//! click) add nothing to the likelihood; an item seen only in such rows has
//! its probability driven towards 0, so it is left out here (the limit)
//! rather than chased to an infinite negative intercept. A slot with no
//! clicked row shows the slot's most clicked item overall (else item 0).

use std::ops::Range;

use super::log::BanditLog;
use crate::task::{CancelToken, TaskError};
use crate::text::logreg::{minimise, LbfgsSettings, ValueAndGradient};

/// Gradient tolerance on the weighted mean loss: converged far past where
/// the argmax could still move.
const TOL: f64 = 1e-10;
const MAX_ITER: usize = 10_000;
/// Logits closer than this are a tie, which goes to the lower item. Items
/// clicked in rows with the same context (or in symmetric ones) have equal
/// logits at the optimum; which one a solver's last digits favour is noise
/// (scikit-learn's differ by 1e-7 to 2e-6 there on the Open Bandit sample), so the rule decides.
const TIE: f64 = 1e-4;

/// One slot's classifier: the items it can pick, and per item the weights
/// over the context and an intercept.
#[derive(Clone, Debug, PartialEq)]
enum SlotClassifier {
    Softmax {
        items: Vec<usize>,
        /// items.len() × (width + 1), the intercept last in each row.
        coef: Vec<f64>,
    },
    /// No clicked row to learn from: always this item.
    Constant(usize),
}

/// The learnt deterministic policy: a classifier per slot.
#[derive(Clone, Debug, PartialEq)]
pub struct IpwLearner {
    slots: Vec<SlotClassifier>,
    width: usize,
}

/// One slot's weighted training set: dense context rows, class index,
/// weight.
struct SlotData {
    x: Vec<f64>,
    class: Vec<usize>,
    weight: Vec<f64>,
}

impl IpwLearner {
    /// Fit on `rows` of `log` with penalty ‖W‖²/(2c).
    pub fn fit(
        log: &BanditLog,
        rows: Range<usize>,
        c: f64,
        cancel: &CancelToken,
    ) -> Result<Self, TaskError> {
        log.require_binary(rows.clone(), "the IPW learner", "")?;
        let width = log.context.width();
        let mut overall = vec![vec![0.0; log.n_actions()]; log.n_slots()];
        let mut data: Vec<(Vec<usize>, SlotData)> = (0..log.n_slots())
            .map(|_| {
                (
                    Vec::new(),
                    SlotData {
                        x: Vec::new(),
                        class: Vec::new(),
                        weight: Vec::new(),
                    },
                )
            })
            .collect();
        let mut features = Vec::new();
        for i in rows {
            let (s, a, r) = log.row(i);
            overall[s][a] += r;
            if r <= 0.0 {
                continue;
            }
            let (items, d) = &mut data[s];
            let class = match items.iter().position(|&b| b == a) {
                Some(c) => c,
                None => {
                    items.push(a);
                    items.len() - 1
                }
            };
            let mut dense = vec![0.0; width];
            log.context.features(i, &mut features);
            for &(j, v) in features.iter() {
                dense[j as usize] = f64::from(v);
            }
            d.x.extend(dense);
            d.class.push(class);
            d.weight.push(r / log.propensities[i]);
        }
        let mut slots = Vec::with_capacity(data.len());
        for (s, (items, d)) in data.into_iter().enumerate() {
            cancel.check()?;
            if items.is_empty() {
                slots.push(SlotClassifier::Constant(most_clicked(&overall[s])));
                continue;
            }
            // Items in ascending order, so ties in the argmax go low.
            let mut order: Vec<usize> = (0..items.len()).collect();
            order.sort_by_key(|&c| items[c]);
            let mut rank = vec![0; items.len()];
            for (r, &c) in order.iter().enumerate() {
                rank[c] = r;
            }
            let d = SlotData {
                class: d.class.iter().map(|&c| rank[c]).collect(),
                ..d
            };
            let items: Vec<usize> = order.iter().map(|&c| items[c]).collect();
            let coef = fit_softmax(&d, items.len(), width, c, cancel)?;
            slots.push(SlotClassifier::Softmax { items, coef });
        }
        Ok(Self { slots, width })
    }

    /// The item the policy shows in each slot for row `row`'s context.
    /// `features` is scratch space.
    pub fn choose(
        &self,
        log: &BanditLog,
        row: usize,
        features: &mut Vec<(u32, f32)>,
    ) -> Vec<usize> {
        log.context.features(row, features);
        self.slots
            .iter()
            .map(|slot| match slot {
                SlotClassifier::Constant(a) => *a,
                SlotClassifier::Softmax { items, coef } => {
                    // Items ascend, so a later item must beat the best by
                    // more than the tie tolerance.
                    let mut best = (f64::NEG_INFINITY, 0);
                    for (c, &item) in items.iter().enumerate() {
                        let w = &coef[c * (self.width + 1)..(c + 1) * (self.width + 1)];
                        let z = features
                            .iter()
                            .fold(w[self.width], |z, &(j, v)| z + w[j as usize] * f64::from(v));
                        if z > best.0 + TIE {
                            best = (z, item);
                        }
                    }
                    best.1
                }
            })
            .collect()
    }
}

/// The item with the most clicks, ties and no clicks going to the lower.
fn most_clicked(clicks: &[f64]) -> usize {
    let mut best = 0;
    for (a, &c) in clicks.iter().enumerate() {
        if c > clicks[best] {
            best = a;
        }
    }
    best
}

/// Weighted softmax regression: minimise (Σᵢ wᵢ · −log pᵢ(yᵢ) + ‖W‖²/(2C))
/// / Σᵢ wᵢ, scikit-learn's scaling, with L-BFGS.
fn fit_softmax(
    d: &SlotData,
    k: usize,
    width: usize,
    c: f64,
    cancel: &CancelToken,
) -> Result<Vec<f64>, TaskError> {
    let total: f64 = d.weight.iter().sum();
    let eval = |theta: &[f64]| objective(d, k, width, c, total, theta);
    let settings = LbfgsSettings {
        c,
        max_iter: MAX_ITER,
        tol: TOL,
    };
    let theta = minimise(
        &ValueAndGradient(eval),
        vec![0.0; k * (width + 1)],
        &settings,
        cancel,
        &mut |_, _, _| {},
    )
    .map_err(|_| TaskError::Cancelled)?;
    if theta.iter().any(|v| !v.is_finite()) {
        return Err(TaskError::Input(
            "the IPW learner's logistic regression diverged (a weight is not finite); check the log's propensities".into(),
        ));
    }
    Ok(theta)
}

/// The objective and its gradient at `theta` (k rows of [weights, intercept]).
fn objective(
    d: &SlotData,
    k: usize,
    width: usize,
    c: f64,
    total: f64,
    theta: &[f64],
) -> (f64, Vec<f64>) {
    let stride = width + 1;
    let mut grad = vec![0.0; theta.len()];
    let mut loss = 0.0;
    let mut z = vec![0.0; k];
    for (i, (&y, &w)) in d.class.iter().zip(&d.weight).enumerate() {
        let x = &d.x[i * width..(i + 1) * width];
        for (cls, zc) in z.iter_mut().enumerate() {
            let t = &theta[cls * stride..(cls + 1) * stride];
            *zc = t[width] + x.iter().zip(t).map(|(a, b)| a * b).sum::<f64>();
        }
        let max = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
        let log_norm = max + sum.ln();
        loss += w * (log_norm - z[y]);
        for (cls, &zc) in z.iter().enumerate() {
            let r = w * ((zc - log_norm).exp() - if cls == y { 1.0 } else { 0.0 });
            let g = &mut grad[cls * stride..(cls + 1) * stride];
            for (gj, xj) in g.iter_mut().zip(x) {
                *gj += r * xj;
            }
            g[width] += r;
        }
    }
    let mut penalty = 0.0;
    for cls in 0..k {
        for j in 0..width {
            let v = theta[cls * stride + j];
            penalty += v * v;
            grad[cls * stride + j] += v / c;
        }
    }
    for g in &mut grad {
        *g /= total;
    }
    ((loss + penalty / (2.0 * c)) / total, grad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> SlotData {
        SlotData {
            x: vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5, 0.0],
            class: vec![0, 1, 2, 0],
            weight: vec![2.0, 1.0, 0.5, 3.0],
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let d = data();
        let theta: Vec<f64> = (0..9).map(|i| (i as f64 * 0.37).sin() * 0.5).collect();
        let (_, g) = objective(&d, 3, 2, 0.7, 6.5, &theta);
        for j in 0..theta.len() {
            let (mut a, mut b) = (theta.clone(), theta.clone());
            a[j] += 1e-6;
            b[j] -= 1e-6;
            let numeric =
                (objective(&d, 3, 2, 0.7, 6.5, &a).0 - objective(&d, 3, 2, 0.7, 6.5, &b).0) / 2e-6;
            assert!((numeric - g[j]).abs() < 1e-7, "{j}: {numeric} vs {}", g[j]);
        }
    }

    #[test]
    fn the_fit_reaches_a_zero_gradient() {
        let d = data();
        let theta = fit_softmax(&d, 3, 2, 1.0, &CancelToken::new()).unwrap();
        let (_, g) = objective(&d, 3, 2, 1.0, 6.5, &theta);
        assert!(g.iter().all(|v| v.abs() < 1e-8), "{g:?}");
    }
}
