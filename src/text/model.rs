//! Both sentiment models end as a linear score over TF-IDF features:
//! P(positive | x) = σ(w·x + b). For logistic regression that is the model
//! itself; for multinomial naive Bayes with two classes it is exact algebra
//! (the log-odds of the two class likelihoods is linear in x). So prediction,
//! "which words pushed the score" and the top n-grams share one code path.

use serde::{Deserialize, Serialize};

use super::tfidf::SparseRows;

/// A feature index and its weight.
pub type FeatureWeight = (u32, f64);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl LinearModel {
    /// Probability of positive for every row.
    pub fn predict_proba(&self, x: &SparseRows) -> Vec<f64> {
        x.dot(&self.weights, self.intercept)
            .into_iter()
            .map(sigmoid)
            .collect()
    }

    /// Probability of positive of one sparse vector.
    pub fn proba_of(&self, x: &[(u32, f32)]) -> f64 {
        sigmoid(self.score_of(x))
    }

    pub fn score_of(&self, x: &[(u32, f32)]) -> f64 {
        self.intercept
            + x.iter()
                .map(|&(j, v)| self.weights[j as usize] * f64::from(v))
                .sum::<f64>()
    }

    /// The `n` features with the largest weights (most positive first) and the
    /// `n` with the smallest (most negative first).
    pub fn extremes(&self, n: usize) -> (Vec<FeatureWeight>, Vec<FeatureWeight>) {
        let mut order: Vec<u32> = (0..self.weights.len() as u32).collect();
        // Ties by feature index keep the lists stable.
        order.sort_by(|&a, &b| {
            self.weights[b as usize]
                .total_cmp(&self.weights[a as usize])
                .then(a.cmp(&b))
        });
        let top = order
            .iter()
            .take(n)
            .filter(|&&j| self.weights[j as usize] > 0.0)
            .map(|&j| (j, self.weights[j as usize]))
            .collect();
        let bottom = order
            .iter()
            .rev()
            .take(n)
            .filter(|&&j| self.weights[j as usize] < 0.0)
            .map(|&j| (j, self.weights[j as usize]))
            .collect();
        (top, bottom)
    }
}

/// Multinomial naive Bayes with additive (Laplace/Lidstone) smoothing `alpha`,
/// scikit-learn's `MultinomialNB` on TF-IDF values: per class c,
/// log P(j | c) = ln(N_cj + α) − ln(Σ_j N_cj + α·d) with N_cj the summed
/// feature values of class c, and the class prior the class share of rows.
/// Our own code for the same reason as logistic regression (linfa-bayes takes
/// dense input); a fit is one pass over the non-zeros.
pub fn fit_naive_bayes(x: &SparseRows, y: &[bool], alpha: f64) -> LinearModel {
    let d = x.n_cols;
    let mut counts = [vec![0.0f64; d], vec![0.0f64; d]];
    let mut rows = [0usize; 2];
    for (i, &label) in y.iter().enumerate() {
        let class = usize::from(label);
        rows[class] += 1;
        let (idx, val) = x.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            counts[class][j as usize] += f64::from(v);
        }
    }
    let log_total = |class: usize| (counts[class].iter().sum::<f64>() + alpha * d as f64).ln();
    let (neg_total, pos_total) = (log_total(0), log_total(1));
    let weights = (0..d)
        .map(|j| {
            ((counts[1][j] + alpha).ln() - pos_total) - ((counts[0][j] + alpha).ln() - neg_total)
        })
        .collect();
    let n = (rows[0] + rows[1]).max(1) as f64;
    let prior = |class: usize| (rows[class] as f64 / n).ln();
    LinearModel {
        weights,
        intercept: prior(1) - prior(0),
    }
}

/// Mean log-loss of `model` on rows `x` (the naive-Bayes "curve" has one point).
pub fn log_loss(model: &LinearModel, x: &SparseRows, y: &[bool]) -> f64 {
    let p = model.predict_proba(x);
    let total: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = if y { p } else { 1.0 - p };
            -p.max(1e-15).ln()
        })
        .sum();
    total / y.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_bayes_log_odds_match_the_two_class_formula() {
        // Two features; positives use feature 0, negatives feature 1.
        let x = SparseRows {
            indptr: vec![0, 1, 2, 3],
            indices: vec![0, 0, 1],
            values: vec![1.0, 1.0, 1.0],
            n_cols: 2,
        };
        let y = [true, true, false];
        let m = fit_naive_bayes(&x, &y, 1.0);
        // P(0|pos) = 3/4, P(1|pos) = 1/4; P(0|neg) = 1/3, P(1|neg) = 2/3.
        assert!((m.weights[0] - ((0.75f64).ln() - (1.0f64 / 3.0).ln())).abs() < 1e-12);
        assert!((m.weights[1] - ((0.25f64).ln() - (2.0f64 / 3.0).ln())).abs() < 1e-12);
        assert!((m.intercept - ((2.0f64 / 3.0).ln() - (1.0f64 / 3.0).ln())).abs() < 1e-12);
        let p = m.predict_proba(&x);
        assert!(p[0] > 0.5 && p[2] < 0.5);
        let (top, bottom) = m.extremes(1);
        assert_eq!((top[0].0, bottom[0].0), (0, 1));
    }
}
