//! session-rec's next-item evaluation: for every test session and every
//! position after the first, score all training items from the views before
//! it (at the time of the view to predict, as `evaluate_sessions` passes it)
//! and find the view's rank.
//!
//! - **HR@k**: share of predictions whose next view is in the top k.
//! - **MRR@k**: mean of 1/rank over predictions, 0 when the rank is above k.
//!
//! Both are averaged over all predictions (not per session). Every training
//! item is a candidate, including the session's own (session-rec's
//! `remind`). Ties: `hr@k`/`mrr@k` rank tied scores as the list shows them —
//! more training views first, then first appearance in training (items no
//! neighbour has all score 0). session-rec sorts with an unstable sort, so
//! its order among ties is arbitrary; `expected_hr@k`/`expected_mrr@k` give
//! the mean over uniformly random orders of the tied items, computed
//! exactly: with `g` items scored higher and `t` tied (the next view
//! included), rank is uniform on g+1..g+t.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::index::SessionIndex;
use super::models::{top_k, Scratch, SessionModel};
use super::protocol::SessionData;
use crate::task::{Reporter, TaskError};

/// Next-item metrics over the test sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionMetrics {
    pub k: usize,
    pub predictions: usize,
    pub hr: f64,
    pub mrr: f64,
    pub expected_hr: f64,
    pub expected_mrr: f64,
    /// Distinct items in any top-k list / training items.
    pub coverage: f64,
    /// Predictions per second of the evaluation.
    pub predictions_per_sec: f64,
}

impl SessionMetrics {
    pub fn to_map(&self) -> Vec<(String, f64)> {
        let k = self.k;
        vec![
            (format!("hr@{k}"), self.hr),
            (format!("mrr@{k}"), self.mrr),
            (format!("expected_hr@{k}"), self.expected_hr),
            (format!("expected_mrr@{k}"), self.expected_mrr),
            (format!("coverage@{k}"), self.coverage),
        ]
    }
}

/// Where the next view ranks among the scores in `scratch`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rank {
    /// Items scored higher.
    pub above: usize,
    /// Items with the same score, the next view included.
    pub tied: usize,
    /// Tied items shown before it.
    pub tied_before: usize,
}

impl Rank {
    /// The 1-based rank in the shown order.
    pub fn shown(&self) -> usize {
        self.above + self.tied_before + 1
    }

    /// P(rank ≤ k) and E[1/rank if ≤ k] over random orders of the ties.
    pub fn expected(&self, k: usize) -> (f64, f64) {
        let t = self.tied as f64;
        let first = self.above + 1;
        let last = (self.above + self.tied).min(k);
        if first > last {
            return (0.0, 0.0);
        }
        let hits = (last - first + 1) as f64;
        let rr: f64 = (first..=last).map(|r| 1.0 / r as f64).sum();
        (hits / t, rr / t)
    }
}

/// The rank of `target` after a scoring into `scratch`. Unscored items
/// count as 0; ties are shown by popularity rank.
pub fn rank_of(target: u32, scratch: &Scratch, index: &SessionIndex) -> Rank {
    let score = scratch.scores[target as usize];
    let pop = index.popularity_rank[target as usize];
    let (mut above, mut tied_scored, mut before_scored, mut zero_scored) = (0, 0, 0, 0);
    for &i in &scratch.touched {
        let s = scratch.scores[i as usize];
        let earlier = index.popularity_rank[i as usize] < pop;
        zero_scored += usize::from(s == 0.0);
        if s > score {
            above += 1;
        } else if s == score {
            tied_scored += 1;
            before_scored += usize::from(earlier);
        }
    }
    let untouched = index.n_items() - scratch.touched.len();
    if score == 0.0 {
        // Every untouched item ties at 0 too. Of the `pop` items more
        // popular than the target, those scored other than 0 are not tied.
        let earlier_nonzero = scratch
            .touched
            .iter()
            .filter(|&&i| {
                scratch.scores[i as usize] != 0.0 && index.popularity_rank[i as usize] < pop
            })
            .count();
        Rank {
            above,
            tied: untouched + zero_scored,
            tied_before: pop as usize - earlier_nonzero,
        }
    } else {
        Rank {
            // Below 0, every unscored item is above.
            above: above + if score < 0.0 { untouched } else { 0 },
            tied: tied_scored,
            tied_before: before_scored,
        }
    }
}

/// Evaluate `model` on the test sessions of `data`, in parallel, reporting
/// progress and stopping on cancel.
pub fn evaluate(
    model: &dyn SessionModel,
    index: &SessionIndex,
    data: &SessionData,
    k: usize,
    reporter: &Reporter,
) -> Result<SessionMetrics, TaskError> {
    let total = data.report.predictions.max(1);
    let done = AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let shown_items = Mutex::new(vec![false; index.n_items()]);
    #[derive(Default)]
    struct Sums {
        n: usize,
        hr: f64,
        mrr: f64,
        ehr: f64,
        emrr: f64,
    }
    let sums = data
        .test
        .par_iter()
        .map_init(
            || {
                (
                    Scratch::new(index.n_items(), index.n_sessions()),
                    Vec::new(),
                )
            },
            |(scratch, shown), session| -> Result<Sums, TaskError> {
                reporter.check()?;
                let mut s = Sums::default();
                shown.clear();
                model.score_prefixes(
                    &session.items,
                    &session.times,
                    scratch,
                    &mut |pos, scratch| {
                        let rank = rank_of(session.items[pos], scratch, index);
                        let r = rank.shown();
                        if r <= k {
                            s.hr += 1.0;
                            s.mrr += 1.0 / r as f64;
                        }
                        let (h, m) = rank.expected(k);
                        s.ehr += h;
                        s.emrr += m;
                        s.n += 1;
                        shown.extend(top_k(scratch, index, k).into_iter().map(|(i, _)| i));
                    },
                );
                if let Ok(mut mark) = shown_items.lock() {
                    for &i in shown.iter() {
                        mark[i as usize] = true;
                    }
                }
                let before = done.fetch_add(s.n, Ordering::Relaxed);
                let now = before + s.n;
                if now * 50 / total != before * 50 / total {
                    reporter.progress(
                        Some(now as f32 / total as f32),
                        &format!("evaluating: {now} of {total} predictions"),
                    );
                }
                Ok(s)
            },
        )
        .try_reduce(Sums::default, |a, b| {
            Ok(Sums {
                n: a.n + b.n,
                hr: a.hr + b.hr,
                mrr: a.mrr + b.mrr,
                ehr: a.ehr + b.ehr,
                emrr: a.emrr + b.emrr,
            })
        })?;
    let n = sums.n.max(1) as f64;
    let covered = shown_items
        .into_inner()
        .map(|m| m.iter().filter(|&&b| b).count())
        .unwrap_or(0);
    Ok(SessionMetrics {
        k,
        predictions: sums.n,
        hr: sums.hr / n,
        mrr: sums.mrr / n,
        expected_hr: sums.ehr / n,
        expected_mrr: sums.emrr / n,
        coverage: covered as f64 / index.n_items().max(1) as f64,
        predictions_per_sec: sums.n as f64 / started.elapsed().as_secs_f64().max(1e-9),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::protocol::Session;

    fn index() -> SessionIndex {
        // Item views: 0 ×3, 1 ×2, 2 ×1, 3 ×1 → popularity 0, 1, 2, 3.
        let s = |items: &[u32]| Session {
            label: String::new(),
            items: items.to_vec(),
            times: vec![0.0; items.len()],
        };
        SessionIndex::build(&[s(&[0, 1]), s(&[0, 1, 2]), s(&[0, 3])], 4)
    }

    #[test]
    fn ranks_count_ties_and_unscored_items() {
        let x = index();
        let mut scratch = Scratch::new(4, 3);
        scratch.add(3, 2.0);
        scratch.add(1, 1.0);
        scratch.add(2, 1.0);
        // Item 2 ties with item 1, which is more popular and shown first.
        let r = rank_of(2, &scratch, &x);
        assert_eq!((r.above, r.tied, r.tied_before, r.shown()), (1, 2, 1, 3));
        // Item 0 is unscored: below the three scored items, alone at 0.
        let r = rank_of(0, &scratch, &x);
        assert_eq!((r.above, r.tied, r.tied_before), (3, 1, 0));
        scratch.clear();
        scratch.add(3, 1.0);
        // 0, 1, 2 all at 0; 2 is third by popularity.
        let r = rank_of(2, &scratch, &x);
        assert_eq!((r.above, r.tied, r.tied_before, r.shown()), (1, 3, 2, 4));
    }

    #[test]
    fn expected_hit_and_reciprocal_rank_over_random_ties() {
        let r = Rank {
            above: 1,
            tied: 4,
            tied_before: 0,
        };
        // Ranks 2..5 equally likely; k = 3 → ranks 2, 3 hit.
        let (h, m) = r.expected(3);
        assert!((h - 0.5).abs() < 1e-12);
        assert!((m - (0.5 + 1.0 / 3.0) / 4.0).abs() < 1e-12);
        assert_eq!(r.expected(1), (0.0, 0.0));
    }
}
