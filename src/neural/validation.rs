//! How the sequential models validate while they train (SASRec's protocol
//! one step before the test): a sequence of at least three items gives its
//! last one to validation, and the items before it are what the model reads
//! and learns from; the held-out item is ranked among every item not read.

/// One sequence's validation case: the items read, and the next one.
pub struct ValidationCase {
    pub user: usize,
    pub target: u32,
}

/// The part of each sequence a model learns from, and the validation cases:
/// sequences with at least three train items give their last one to
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
    rank_among(scores, &seen, target) - 1
}

/// NDCG@k of one case from its 0-based rank (one relevant item).
pub fn ndcg_at(rank: usize, k: usize) -> f64 {
    if rank < k {
        1.0 / ((rank + 2) as f64).log2()
    } else {
        0.0
    }
}

/// 1-based rank of `item` among the candidates: every item not in
/// `excluded` (sorted), ties by smaller index; a NaN score ranks last.
pub fn rank_among(scores: &[f32], excluded: &[u32], item: u32) -> usize {
    let s = scores[item as usize];
    if s.is_nan() {
        return scores.len();
    }
    1 + ahead_in_tile(scores, 0, (item, s), excluded)
}

/// How many of the items `start..start + scores.len()`, scored `scores`,
/// rank ahead of `item` scored `s` (not NaN) as [`rank_among`] ranks them,
/// leaving out those in `excluded` (sorted; items outside the tile are
/// passed over). Summed over the tiles of a catalogue, plus one, it is
/// `item`'s rank.
pub fn ahead_in_tile(
    scores: &[f32],
    start: usize,
    (item, s): (u32, f32),
    excluded: &[u32],
) -> usize {
    let ahead = |j: usize, v: f32| v > s || (v == s && j < item as usize);
    // Branch-free counts the compiler vectorises (this runs once per
    // evaluated customer over the whole catalogue): items before `item`
    // rank ahead on a score at least as high, items after on a higher one.
    let end = start + scores.len();
    let split = (item as usize).saturating_sub(start).min(scores.len());
    let (before, after) = scores.split_at(split);
    // `item` itself never ranks ahead of itself (its score here could be
    // another sum of the same products than `s`).
    let after = if (start..end).contains(&(item as usize)) {
        &after[1..]
    } else {
        after
    };
    let count_ahead = before.iter().map(|&v| usize::from(v >= s)).sum::<usize>()
        + after.iter().map(|&v| usize::from(v > s)).sum::<usize>();
    let from = excluded.partition_point(|&j| (j as usize) < start);
    let excluded_ahead = excluded[from..]
        .iter()
        .take_while(|&&j| (j as usize) < end)
        .filter(|&&j| ahead(j as usize, scores[j as usize - start]))
        .count();
    count_ahead - excluded_ahead
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
