//! How well scores rank and calibrate the later period's buyers.
//!
//! - **ROC AUC**: the probability that a random buyer scores above a random
//!   non-buyer; tied scores count ½ (the Mann–Whitney statistic).
//! - **PR AUC** (average precision, as scikit-learn): Σₙ (Rₙ − Rₙ₋₁) Pₙ over
//!   the distinct score thresholds from the highest down.
//! - **log loss**: mean −[y ln p + (1 − y) ln(1 − p)], p clipped to
//!   [1e-15, 1 − 1e-15]; **Brier**: mean (p − y)².
//! - **captured share at q**: buyers among the top ⌈q·n⌉ scores ÷ all
//!   buyers; **lift at q**: that share ÷ q. Ties at the cut are taken in
//!   customer order (stable sort by score, descending).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub lift_at_10pct: f64,
    pub lift_at_20pct: f64,
    pub captured_at_10pct: f64,
    pub captured_at_20pct: f64,
}

/// ROC AUC with ties counted ½; NaN with one class only.
pub fn roc_auc(scores: &[f64], y: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mid-ranks of tied groups, then the Mann–Whitney U of the positives.
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if y[k] > 0.5 {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    let pos = y.iter().filter(|&&v| v > 0.5).count() as f64;
    let neg = y.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Average precision over distinct thresholds.
pub fn average_precision(scores: &[f64], y: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let pos = y.iter().filter(|&&v| v > 0.5).count() as f64;
    if pos == 0.0 {
        return f64::NAN;
    }
    let (mut tp, mut seen, mut ap, mut last_recall) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            tp += f64::from(u8::from(y[order[j]] > 0.5));
            seen += 1.0;
            j += 1;
        }
        let recall = tp / pos;
        ap += (recall - last_recall) * (tp / seen);
        last_recall = recall;
        i = j;
    }
    ap
}

/// Buyers among the top ⌈q·n⌉ scores ÷ all buyers.
pub fn captured(scores: &[f64], y: &[f64], q: f64) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let top = ((q * scores.len() as f64).ceil() as usize).min(scores.len());
    let pos: f64 = y.iter().sum();
    if pos == 0.0 {
        return f64::NAN;
    }
    order[..top].iter().map(|&i| y[i]).sum::<f64>() / pos
}

/// The charts of one scoring.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// (false-positive rate, true-positive rate) at each distinct threshold.
    pub roc: Vec<[f64; 2]>,
    /// (recall, precision) at each distinct threshold.
    pub pr: Vec<[f64; 2]>,
    /// (share of customers targeted, share of buyers captured), by percent.
    pub gains: Vec<[f64; 2]>,
    /// Ten equal-width bins of predicted probability: (mean predicted,
    /// observed rate, customers), empty bins left out.
    pub calibration: Vec<[f64; 3]>,
}

/// ROC, precision–recall, cumulative gains and calibration of `p`.
pub fn curves(p: &[f64], y: &[f64]) -> Curves {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let pos: f64 = y.iter().sum();
    let neg = p.len() as f64 - pos;
    let mut c = Curves {
        roc: vec![[0.0, 0.0]],
        gains: vec![[0.0, 0.0]],
        ..Default::default()
    };
    let (mut tp, mut fp, mut i) = (0.0, 0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j < order.len() && p[order[j]] == p[order[i]] {
            tp += y[order[j]];
            fp += 1.0 - y[order[j]];
            j += 1;
        }
        c.roc.push([fp / neg.max(1.0), tp / pos.max(1.0)]);
        c.pr.push([tp / pos.max(1.0), tp / (tp + fp)]);
        i = j;
    }
    let n = p.len().max(1) as f64;
    let mut captured = 0.0;
    let mut next = 1;
    for (k, &i) in order.iter().enumerate() {
        captured += y[i];
        while next <= 100 && (k + 1) as f64 >= next as f64 / 100.0 * n {
            c.gains.push([next as f64 / 100.0, captured / pos.max(1.0)]);
            next += 1;
        }
    }
    let mut bins = [[0.0f64; 3]; 10];
    for (&p, &y) in p.iter().zip(y) {
        let b = ((p * 10.0).floor() as usize).min(9);
        bins[b][0] += p;
        bins[b][1] += y;
        bins[b][2] += 1.0;
    }
    c.calibration = bins
        .iter()
        .filter(|b| b[2] > 0.0)
        .map(|b| [b[0] / b[2], b[1] / b[2], b[2]])
        .collect();
    c
}

/// Every metric of probabilities `p` against labels `y`.
pub fn metrics(p: &[f64], y: &[f64]) -> Metrics {
    let n = p.len().max(1) as f64;
    let clip = |v: f64| v.clamp(1e-15, 1.0 - 1e-15);
    let c10 = captured(p, y, 0.1);
    let c20 = captured(p, y, 0.2);
    Metrics {
        roc_auc: roc_auc(p, y),
        pr_auc: average_precision(p, y),
        log_loss: p
            .iter()
            .zip(y)
            .map(|(&p, &y)| -(y * clip(p).ln() + (1.0 - y) * (1.0 - clip(p)).ln()))
            .sum::<f64>()
            / n,
        brier: p.iter().zip(y).map(|(&p, &y)| (p - y).powi(2)).sum::<f64>() / n,
        lift_at_10pct: c10 / 0.1,
        lift_at_20pct: c20 / 0.2,
        captured_at_10pct: c10,
        captured_at_20pct: c20,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half_and_ap_matches_a_hand_computation() {
        let y = [1.0, 0.0, 1.0, 0.0];
        // Positives 0.9 and 0.5, negatives 0.5 and 0.1: pairs (0.9>0.5, 0.9>0.1,
        // 0.5=0.5 → ½, 0.5>0.1) = 3.5 of 4.
        assert!((roc_auc(&[0.9, 0.5, 0.5, 0.1], &y) - 0.875).abs() < 1e-12);
        // Thresholds 0.9 (P 1, R ½), 0.5 (P ⅔, R 1): AP = ½·1 + ½·⅔.
        let ap = average_precision(&[0.9, 0.5, 0.5, 0.1], &y);
        assert!((ap - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
        assert!(roc_auc(&[0.1, 0.2], &[1.0, 1.0]).is_nan());
        // Top 10% of 10 = 1 customer, a buyer: 1 of 2 buyers, lift 5.
        let s: Vec<f64> = (0..10).map(|i| 1.0 - i as f64 / 10.0).collect();
        let mut yy = vec![0.0; 10];
        yy[0] = 1.0;
        yy[5] = 1.0;
        let m = metrics(&s, &yy);
        assert!((m.captured_at_10pct - 0.5).abs() < 1e-12);
        assert!((m.lift_at_10pct - 5.0).abs() < 1e-12);
    }
}
