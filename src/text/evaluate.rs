//! Binary classification metrics, positive = the positive-sentiment class.
//!
//! A review is predicted positive when P(positive) > 0.5.
//! - accuracy = correct / evaluated reviews;
//! - precision = TP / (TP + FP), 0 when nothing is predicted positive;
//! - recall = TP / (TP + FN), 0 when there is no positive review;
//! - macro F1 = mean of the F1 of the positive and of the negative class;
//! - AUC = area under the ROC curve = P(score of a random positive > score of a
//!   random negative), ties counting one half (Mann–Whitney), `None` when the
//!   evaluated reviews hold only one class.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    pub n: usize,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1_macro: f64,
    pub auc: Option<f64>,
    /// `confusion[actual][predicted]`, index 0 negative, 1 positive.
    pub confusion: [[usize; 2]; 2],
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

pub fn is_positive(probability: f64) -> bool {
    probability > 0.5
}

pub fn binary_metrics(actual: &[bool], probability: &[f64]) -> BinaryMetrics {
    let mut confusion = [[0usize; 2]; 2];
    for (&a, &p) in actual.iter().zip(probability) {
        confusion[usize::from(a)][usize::from(is_positive(p))] += 1;
    }
    let [[tn, fp], [fn_, tp]] = confusion;
    let n = actual.len();
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let neg_precision = ratio(tn, tn + fn_);
    let neg_recall = ratio(tn, tn + fp);
    BinaryMetrics {
        n,
        accuracy: ratio(tp + tn, n),
        precision,
        recall,
        f1_macro: (f1(precision, recall) + f1(neg_precision, neg_recall)) / 2.0,
        auc: auc(actual, probability),
        confusion,
    }
}

/// Indices of `scores` sorted by descending score (ties by index).
fn descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// Area under the ROC curve (see the module docs).
pub fn auc(actual: &[bool], scores: &[f64]) -> Option<f64> {
    let positives = actual.iter().filter(|&&a| a).count();
    let negatives = actual.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Sum over positives of (negatives scored lower + half the tied ones).
    let order = descending(scores);
    let mut wins = 0.0;
    let mut negatives_below = negatives;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        let (mut pos_tied, mut neg_tied) = (0usize, 0usize);
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            if actual[order[j]] {
                pos_tied += 1;
            } else {
                neg_tied += 1;
            }
            j += 1;
        }
        negatives_below -= neg_tied;
        wins += pos_tied as f64 * (negatives_below as f64 + neg_tied as f64 / 2.0);
        i = j;
    }
    Some(wins / (positives as f64 * negatives as f64))
}

/// ROC curve as (false-positive rate, true-positive rate) points, one per
/// distinct score from the highest down, starting at (0, 0).
pub fn roc_curve(actual: &[bool], scores: &[f64]) -> Vec<[f64; 2]> {
    let positives = actual.iter().filter(|&&a| a).count().max(1) as f64;
    let negatives = actual.iter().filter(|&&a| !a).count().max(1) as f64;
    let order = descending(scores);
    let mut points = vec![[0.0, 0.0]];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &i) in order.iter().enumerate() {
        if actual[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_tie = order
            .get(k + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_tie {
            let point = [fp as f64 / negatives, tp as f64 / positives];
            // A point on the straight line through its two predecessors adds
            // nothing to the curve (vertical and horizontal runs collapse).
            if let [.., a, b] = points[..] {
                if (a[0] == b[0] && b[0] == point[0]) || (a[1] == b[1] && b[1] == point[1]) {
                    points.pop();
                }
            }
            points.push(point);
        }
    }
    points
}

/// Mean of each metric over folds (the confusion matrices are summed).
pub fn mean_metrics(folds: &[BinaryMetrics]) -> BinaryMetrics {
    let k = folds.len().max(1) as f64;
    let mean = |f: &dyn Fn(&BinaryMetrics) -> f64| folds.iter().map(f).sum::<f64>() / k;
    let aucs: Vec<f64> = folds.iter().filter_map(|m| m.auc).collect();
    let mut confusion = [[0usize; 2]; 2];
    for m in folds {
        for (total, fold) in confusion
            .iter_mut()
            .flatten()
            .zip(m.confusion.iter().flatten())
        {
            *total += fold;
        }
    }
    BinaryMetrics {
        n: folds.iter().map(|m| m.n).sum(),
        accuracy: mean(&|m| m.accuracy),
        precision: mean(&|m| m.precision),
        recall: mean(&|m| m.recall),
        f1_macro: mean(&|m| m.f1_macro),
        auc: (aucs.len() == folds.len() && !aucs.is_empty())
            .then(|| aucs.iter().sum::<f64>() / aucs.len() as f64),
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_follow_their_definitions() {
        // TP 2, FN 1, FP 1, TN 2.
        let actual = [true, true, true, false, false, false];
        let proba = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1];
        let m = binary_metrics(&actual, &proba);
        assert_eq!(m.confusion, [[2, 1], [1, 2]]);
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.f1_macro - 2.0 / 3.0).abs() < 1e-12);
        // Pairs (pos, neg) ordered correctly: 0.9 and 0.8 beat all 3; 0.3 beats 2 → 8/9.
        assert!((m.auc.unwrap() - 8.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn tied_scores_count_half_and_the_roc_ends_at_one_one() {
        let actual = [true, false, true, false];
        let scores = [0.5, 0.5, 0.9, 0.1];
        // Pairs: (0.9 vs both) 2 wins, (0.5 vs 0.5) a half, (0.5 vs 0.1) a win.
        assert!((auc(&actual, &scores).unwrap() - 3.5 / 4.0).abs() < 1e-12);
        let roc = roc_curve(&actual, &scores);
        assert_eq!(roc, vec![[0.0, 0.0], [0.0, 0.5], [0.5, 1.0], [1.0, 1.0]]);
        // A perfect ranking is an L: straight runs keep only their ends.
        let roc = roc_curve(
            &[true, true, true, false, false],
            &[0.9, 0.8, 0.7, 0.2, 0.1],
        );
        assert_eq!(roc, vec![[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]]);
        assert_eq!(auc(&[true, true], &[0.1, 0.2]), None);
    }

    #[test]
    fn fold_means_average_metrics_and_sum_confusions() {
        let a = binary_metrics(&[true, false], &[0.9, 0.1]);
        let b = binary_metrics(&[true, false], &[0.1, 0.9]);
        let m = mean_metrics(&[a, b]);
        assert!((m.accuracy - 0.5).abs() < 1e-12);
        assert_eq!(m.confusion, [[1, 1], [1, 1]]);
        assert_eq!(m.n, 4);
    }
}
