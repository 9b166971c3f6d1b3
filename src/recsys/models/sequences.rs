//! What the sequential models (SASRec, GRU4Rec) learn from: each customer's
//! train items in time order, the newest one held out for validation and
//! early stopping, and the rank of a held-out item among every other item.
//!
//! Validation follows SASRec's protocol one step earlier than the test: a
//! customer with at least three train items has the last one as validation
//! target, and the items before it are what the model reads and learns
//! from. The final model reads every train item (the validation one too), as
//! SASRec's evaluation does.

use super::TrainEvents;

/// Each user's train items, oldest first: by timestamp when the data has
/// one, then by row order (a sequence file's order is its time order).
pub fn ordered_train_items(events: TrainEvents, n_users: usize) -> Vec<Vec<u32>> {
    let data = events.data;
    let mut rows: Vec<usize> = (0..data.len()).filter(|&r| !events.is_test[r]).collect();
    if let Some(times) = &data.times {
        // Stable: equal times keep the file's order.
        rows.sort_by_key(|&r| times[r]);
    }
    let mut out = vec![Vec::new(); n_users];
    for r in rows {
        out[data.users[r] as usize].push(data.items[r]);
    }
    out
}

/// One customer's validation case: the items read, and the next one.
pub struct ValidationCase {
    pub user: usize,
    pub target: u32,
}

/// The part of each sequence a model learns from, and the validation cases:
/// customers with at least three train items give their last one to
/// validation (the others learn from everything).
pub fn hold_out_last(sequences: &[Vec<u32>]) -> (Vec<&[u32]>, Vec<ValidationCase>) {
    let mut learn = Vec::with_capacity(sequences.len());
    let mut cases = Vec::new();
    for (user, seq) in sequences.iter().enumerate() {
        if seq.len() >= 3 {
            let (head, last) = seq.split_at(seq.len() - 1);
            // A target already in the read history cannot be recommended
            // (history is filtered), so it cannot validate anything.
            if !head.contains(&last[0]) {
                cases.push(ValidationCase {
                    user,
                    target: last[0],
                });
            }
            learn.push(head);
        } else {
            learn.push(seq.as_slice());
        }
    }
    (learn, cases)
}

/// At most `limit` cases, spread evenly over the list (deterministic).
pub fn spread(cases: Vec<ValidationCase>, limit: usize) -> Vec<ValidationCase> {
    if cases.len() <= limit || limit == 0 {
        return cases;
    }
    let step = cases.len() as f64 / limit as f64;
    let picks: Vec<usize> = (0..limit).map(|i| (i as f64 * step) as usize).collect();
    let mut picked = Vec::with_capacity(limit);
    let mut next = 0;
    for (i, case) in cases.into_iter().enumerate() {
        if next < picks.len() && picks[next] == i {
            picked.push(case);
            next += 1;
        }
    }
    picked
}

/// 0-based rank of `target` among the items not in `history`, by score
/// desc, ties to the smaller item index (the full-ranking metrics' rule).
pub fn rank_of(scores: &[f32], history: &[u32], target: u32) -> usize {
    let mut seen: Vec<u32> = history.iter().copied().filter(|&h| h != target).collect();
    seen.sort_unstable();
    seen.dedup();
    crate::recsys::metrics::rank_of(scores, &seen, target) - 1
}

/// NDCG@k of one case from its 0-based rank (one relevant item).
pub fn ndcg_at(rank: usize, k: usize) -> f64 {
    if rank < k {
        1.0 / ((rank + 2) as f64).log2()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_of_three_or_more_validates() {
        let seqs = vec![vec![1, 2, 3], vec![4, 5], vec![6, 7, 6]];
        let (learn, cases) = hold_out_last(&seqs);
        assert_eq!(learn, vec![&[1u32, 2][..], &[4, 5], &[6, 7]]);
        // User 2's target is already in what the model reads.
        assert_eq!(cases.len(), 1);
        assert_eq!((cases[0].user, cases[0].target), (0, 3));
    }

    #[test]
    fn ranks_skip_the_history_and_break_ties_by_index() {
        let scores = [0.9, 0.5, 0.5, 0.7, 0.1];
        // Item 2 ties with item 1 (smaller index ranks first); item 0 is history.
        assert_eq!(rank_of(&scores, &[0], 2), 2);
        assert_eq!(rank_of(&scores, &[0, 3], 1), 0);
        assert_eq!(rank_of(&scores, &[], 4), 4);
        assert!((ndcg_at(0, 10) - 1.0).abs() < 1e-12);
        assert_eq!(ndcg_at(10, 10), 0.0);
        assert_eq!(
            spread(
                (0..10)
                    .map(|u| ValidationCase { user: u, target: 0 })
                    .collect(),
                5
            )
            .iter()
            .map(|c| c.user)
            .collect::<Vec<_>>(),
            vec![0, 2, 4, 6, 8]
        );
    }
}
