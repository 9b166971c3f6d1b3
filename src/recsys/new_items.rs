//! Items that first appear after a temporal cut: no collaborative model can
//! rank them (nobody touched them in training), so how often is a
//! customer's later interaction with a new item found by content?
//!
//! Protocol: the *new items* are the items with no training interaction that
//! someone interacts with after the cut. Every (customer with training
//! history, new item they interacted with after the cut) is one case; all
//! new items are the candidates. HR@k is the share of cases whose item is in
//! the customer's top k of the new items, MRR@k the mean of 1/rank (0 past
//! k); ties count as their expectation over random orders (rank uniform over
//! the tied places), so a ranking of ties is not luck.
//!
//! - **content**: Σ over the customer's training items of weight × content
//!   cosine ([`ContentIndex::profile_scores`]);
//! - **category popularity**, the baseline a shop would use: new items of
//!   the categories the customer bought most first (by their share of the
//!   customer's history), and within a category the items that sold most in
//!   the test period — later sales it could not know at the cut, so this
//!   baseline is optimistic;
//! - **random**: every new item tied, for scale (k / new items).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::content::ContentIndex;
use super::matrix::{Csr, Interactions};
use crate::task::{CancelToken, Cancelled};

/// HR@k and MRR@k over the new-item cases, for one ranking.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewItemScores {
    pub hr: f64,
    pub mrr: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewItemsReport {
    pub k: usize,
    /// Items first seen after the cut.
    pub items: usize,
    /// Of them, items with content (text or attributes).
    pub items_with_content: usize,
    /// (customer with history, new item they touched later) cases.
    pub cases: usize,
    pub customers: usize,
    pub content: NewItemScores,
    pub category_popularity: NewItemScores,
    /// A uniformly random order of the new items, for scale.
    pub random: NewItemScores,
}

impl NewItemsReport {
    pub fn to_map(&self) -> Vec<(String, f64)> {
        let k = self.k;
        vec![
            ("new_items".into(), self.items as f64),
            ("new_item_cases".into(), self.cases as f64),
            (format!("new_items_content_hr@{k}"), self.content.hr),
            (format!("new_items_content_mrr@{k}"), self.content.mrr),
            (
                format!("new_items_category_hr@{k}"),
                self.category_popularity.hr,
            ),
            (
                format!("new_items_category_mrr@{k}"),
                self.category_popularity.mrr,
            ),
            (format!("new_items_random_hr@{k}"), self.random.hr),
        ]
    }
}

/// Expected (hit, reciprocal rank) at `k` of a score among `scores`, over
/// random orders of ties.
fn expected_at(target: f64, scores: &[f64], k: usize) -> (f64, f64) {
    let above = scores.iter().filter(|&&s| s > target).count();
    let tied = scores.iter().filter(|&&s| s == target).count().max(1);
    let last = (above + tied).min(k);
    if above + 1 > last {
        return (0.0, 0.0);
    }
    let hits = (last - above) as f64;
    let rr: f64 = (above + 1..=last).map(|r| 1.0 / r as f64).sum();
    (hits / tied as f64, rr / tied as f64)
}

/// Evaluate content and category popularity on the new items of a
/// temporal split (`train`, and each user's test items `relevant`). `None`
/// when no warm customer touched a new item.
pub fn evaluate_new_items(
    data: &Interactions,
    train: &Csr,
    relevant: &[Vec<u32>],
    content: Option<&ContentIndex>,
    k: usize,
    cancel: &CancelToken,
) -> Result<Option<NewItemsReport>, Cancelled> {
    let trained: Vec<bool> = super::untrained_items(train)
        .into_iter()
        .map(|u| !u)
        .collect();
    // Test-period buyers of each new item (popularity for the baseline).
    let mut later = vec![0u32; data.n_items()];
    for r in relevant {
        for &i in r {
            if !trained[i as usize] {
                later[i as usize] += 1;
            }
        }
    }
    let new: Vec<u32> = (0..data.n_items() as u32)
        .filter(|&i| later[i as usize] > 0)
        .collect();
    let cases: Vec<(u32, u32)> = relevant
        .iter()
        .enumerate()
        .filter(|(u, _)| train.row_len(*u) > 0)
        .flat_map(|(u, r)| {
            r.iter()
                .filter(|&&i| !trained[i as usize])
                .map(move |&i| (u as u32, i))
        })
        .collect();
    if cases.is_empty() || new.is_empty() {
        return Ok(None);
    }
    let position: rustc_hash::FxHashMap<u32, usize> =
        new.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let max_later = f64::from(later.iter().copied().max().unwrap_or(1).max(1));
    let mut by_user: Vec<(u32, Vec<u32>)> = Vec::new();
    for &(u, i) in &cases {
        match by_user.last_mut() {
            Some((v, items)) if *v == u => items.push(i),
            _ => by_user.push((u, vec![i])),
        }
    }
    let sums = by_user
        .par_iter()
        .map(|(u, items)| -> Result<[f64; 4], Cancelled> {
            cancel.check()?;
            let (cols, vals) = train.row(*u as usize);
            let history: Vec<(u32, f32)> = cols.iter().copied().zip(vals.iter().copied()).collect();
            let content_scores: Vec<f64> = match content {
                Some(c) => c
                    .profile_scores(&history, &new)
                    .into_iter()
                    .map(f64::from)
                    .collect(),
                None => vec![0.0; new.len()],
            };
            // Category share of the history, then later sales as a tie-break
            // below one share step.
            let total: f64 = vals
                .iter()
                .map(|&w| f64::from(w))
                .sum::<f64>()
                .max(f64::MIN_POSITIVE);
            let mut share: rustc_hash::FxHashMap<u32, f64> = Default::default();
            for (&i, &w) in cols.iter().zip(vals) {
                if let Some(c) = data.item_categories.get(i as usize).copied().flatten() {
                    *share.entry(c).or_insert(0.0) += f64::from(w) / total;
                }
            }
            let baseline: Vec<f64> = new
                .iter()
                .map(|&j| {
                    let s = data
                        .item_categories
                        .get(j as usize)
                        .copied()
                        .flatten()
                        .and_then(|c| share.get(&c).copied())
                        .unwrap_or(0.0);
                    s * 1e6 + f64::from(later[j as usize]) / max_later
                })
                .collect();
            let mut out = [0.0; 4];
            for &i in items {
                let p = position[&i];
                let (h, m) = expected_at(content_scores[p], &content_scores, k);
                out[0] += h;
                out[1] += m;
                let (h, m) = expected_at(baseline[p], &baseline, k);
                out[2] += h;
                out[3] += m;
            }
            Ok(out)
        })
        .try_reduce(
            || [0.0; 4],
            |a, b| Ok([a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]),
        )?;
    let n = cases.len() as f64;
    Ok(Some(NewItemsReport {
        k,
        items: new.len(),
        items_with_content: new
            .iter()
            .filter(|&&i| content.is_some_and(|c| c.has_content(i)))
            .count(),
        cases: cases.len(),
        customers: by_user.len(),
        content: NewItemScores {
            hr: sums[0] / n,
            mrr: sums[1] / n,
        },
        category_popularity: NewItemScores {
            hr: sums[2] / n,
            mrr: sums[3] / n,
        },
        random: {
            let all = vec![0.0; new.len()];
            let (hr, mrr) = expected_at(0.0, &all, k);
            NewItemScores { hr, mrr }
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_count_as_their_expectation() {
        // Target tied with 3 others, 1 above: ranks 2..5, k = 2 → hit ¼.
        let scores = [2.0, 1.0, 1.0, 1.0, 1.0];
        let (h, m) = expected_at(1.0, &scores, 2);
        assert!((h - 0.25).abs() < 1e-12);
        assert!((m - 0.125).abs() < 1e-12);
        assert_eq!(expected_at(2.0, &scores, 1), (1.0, 1.0));
    }
}
