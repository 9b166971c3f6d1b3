//! New customers: what a shop shows someone it has no history for.
//!
//! The fallback ranks the training period's **bestsellers** (items by the
//! number of distinct customers who had them, ties by smaller item index).
//! When items have categories, the bestsellers of the category of the
//! customer's *arrival* item (the first item they touched, see
//! [`super::split::ColdUser`]) come first, then the other bestsellers; the
//! arrival item itself is not recommended. New customers are evaluated on
//! their other test items with the same metrics as everyone else
//! ([`super::metrics`]); the models' figures cover only customers with
//! training history, as implicit and RecBole evaluate.

use serde::{Deserialize, Serialize};

use super::matrix::{Csr, Interactions};
use super::metrics::{evaluate_rankings, per_user, self_information, top_k, Metrics, Ranking};
use super::split::ColdUser;
use crate::task::{CancelToken, Cancelled};

/// The training period's bestsellers, with the items' categories.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bestsellers {
    /// Distinct training customers per item.
    pub counts: Vec<u32>,
    /// Each item's category (empty when unknown).
    pub categories: Vec<Option<u32>>,
}

/// Which fallback a new customer gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    Bestsellers,
    /// Bestsellers of the arrival item's category first.
    CategoryBestsellers,
}

impl Bestsellers {
    pub fn new(train: &Csr, data: &Interactions) -> Self {
        Self {
            counts: train.col_counts(),
            categories: data.item_categories.clone(),
        }
    }

    /// The fallback for a customer who arrived at `arrival` (if known).
    pub fn fallback(&self, arrival: Option<u32>) -> Fallback {
        match arrival.and_then(|a| self.categories.get(a as usize).copied().flatten()) {
            Some(_) => Fallback::CategoryBestsellers,
            None => Fallback::Bestsellers,
        }
    }

    /// Scores in which the fallback's order is the ranking: the counts, with
    /// the arrival's category lifted above every other item.
    pub fn scores(&self, arrival: Option<u32>, fallback: Fallback, out: &mut [f32]) {
        let lift = self.counts.iter().copied().max().unwrap_or(0) as f32 + 1.0;
        let category = arrival.and_then(|a| self.categories.get(a as usize).copied().flatten());
        for (i, o) in out.iter_mut().enumerate() {
            let count = self.counts.get(i).copied().unwrap_or(0) as f32;
            let same = fallback == Fallback::CategoryBestsellers
                && category.is_some()
                && self.categories.get(i).copied().flatten() == category;
            *o = if same { count + lift } else { count };
        }
    }

    /// The top `k` for a new customer who arrived at `arrival`.
    pub fn recommend(&self, arrival: Option<u32>, k: usize) -> (Vec<(u32, f32)>, Fallback) {
        let fallback = self.fallback(arrival);
        let mut scores = vec![0f32; self.counts.len()];
        self.scores(arrival, fallback, &mut scores);
        let excluded: Vec<u32> = arrival.into_iter().collect();
        let items = top_k(&scores, &excluded, k)
            .into_iter()
            .map(|i| (i, self.counts[i as usize] as f32))
            .collect();
        (items, fallback)
    }
}

/// How the new customers of a split fared with the fallback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColdStart {
    /// New customers in the test period (with or without other test items).
    pub customers: usize,
    /// The fallback's metrics over those with other test items
    /// (`metrics.users_evaluated` of them).
    pub metrics: Metrics,
    /// Category bestsellers when items have categories, else bestsellers.
    pub fallback: Fallback,
    /// Plain bestsellers on the same customers, for comparison.
    pub bestsellers: Metrics,
}

/// Evaluate the fallback on `cold` (see the module docs).
pub fn evaluate_cold(
    bestsellers: &Bestsellers,
    train: &Csr,
    cold: &[ColdUser],
    k: usize,
    pool: &rayon::ThreadPool,
    cancel: &CancelToken,
) -> Result<ColdStart, Cancelled> {
    let users: Vec<usize> = (0..cold.len())
        .filter(|&c| !cold[c].relevant.is_empty())
        .collect();
    let log_pop = self_information(train);
    let arrivals: Vec<[u32; 1]> = cold.iter().map(|c| [c.arrival]).collect();
    let has_categories = !bestsellers.categories.is_empty();
    let run = |fallback: Fallback| {
        let score = |c: usize, out: &mut [f32]| {
            bestsellers.scores(Some(cold[c].arrival), fallback, out);
        };
        let score = per_user(&score, train.n_cols);
        evaluate_rankings(
            &Ranking {
                users: &users,
                n_items: train.n_cols,
                score: &score,
                sparse: None,
                factors: None,
                excluded: &|c| &arrivals[c][..],
                relevant: &|c| &cold[c].relevant[..],
                k,
                log_pop: &log_pop,
            },
            pool,
            cancel,
            &|_| {},
        )
    };
    let plain = run(Fallback::Bestsellers)?;
    let (fallback, metrics) = if has_categories {
        (
            Fallback::CategoryBestsellers,
            run(Fallback::CategoryBestsellers)?,
        )
    } else {
        (Fallback::Bestsellers, plain.clone())
    };
    Ok(ColdStart {
        customers: cold.len(),
        metrics,
        fallback,
        bestsellers: plain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sellers() -> Bestsellers {
        // Items 0..5: counts 5 3 3 1 0 4; categories a a b b b none.
        Bestsellers {
            counts: vec![5, 3, 3, 1, 0, 4],
            categories: vec![Some(0), Some(0), Some(1), Some(1), Some(1), None],
        }
    }

    #[test]
    fn bestsellers_rank_by_customers_ties_by_index_without_the_arrival() {
        let mut plain = sellers();
        plain.categories.clear();
        let (top, fallback) = plain.recommend(Some(0), 3);
        assert_eq!(fallback, Fallback::Bestsellers);
        let items: Vec<u32> = top.iter().map(|t| t.0).collect();
        assert_eq!(
            items,
            vec![5, 1, 2],
            "0 is the arrival; 1 and 2 tie, 1 first"
        );
    }

    #[test]
    fn the_arrival_category_comes_first_then_the_rest() {
        let (top, fallback) = sellers().recommend(Some(3), 4);
        assert_eq!(fallback, Fallback::CategoryBestsellers);
        let items: Vec<u32> = top.iter().map(|t| t.0).collect();
        // Category b without item 3: 2 (3 customers), 4 (0); then 0 (5), 5 (4).
        assert_eq!(items, vec![2, 4, 0, 5]);
        // An arrival without a category gets plain bestsellers.
        assert_eq!(sellers().recommend(Some(5), 1).1, Fallback::Bestsellers);
    }
}
