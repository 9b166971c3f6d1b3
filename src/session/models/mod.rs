//! Next-item scorers. Each scores every training item as the next view of a
//! session from the views so far (`prefix`, oldest first) and the time of
//! the request (`now`, seconds), and says why an item scored.

pub mod deep;
pub mod knn;
pub mod popular;
pub mod rules;

use std::sync::Arc;

use super::index::SessionIndex;
use super::params::SessionParams;
use super::protocol::SessionData;
use crate::neural::recipe::Recipe;
use crate::neural::train::TrainHooks;
use crate::params::Checked;
use crate::task::TaskError;

/// Why an item is recommended next.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// A training session like this one has the item.
    Neighbour {
        /// Index into the [`SessionIndex`].
        session: u32,
        similarity: f64,
        /// What this session added to the item's score.
        contribution: f64,
    },
    /// Viewed in the same training sessions as `with` (this session's last
    /// view), `count` times (association rules).
    CoViewed { with: u32, count: u32 },
    /// Among the most viewed items in training.
    Popular { views: u32 },
    /// Already viewed in this session `count` times.
    InSession { count: u32 },
    /// A view of this session the network read: leaving it out lowers the
    /// item's score (its logit) by `lift`.
    Influence { item: u32, lift: f64 },
    /// No model score: shown by popularity to fill the list.
    Filler,
}

/// Per-thread working memory of a scorer, reused across predictions.
pub struct Scratch {
    /// Score of every item; only `touched` ones are nonzero.
    pub scores: Vec<f64>,
    pub touched: Vec<u32>,
    touched_mark: Vec<bool>,
    /// Room for every item once, and one more: `add_rows` writes each item
    /// here before it knows whether the item is new.
    touch_buf: Vec<u32>,
    /// Candidate neighbours: (session, similarity numerator, latest
    /// 1-based position in the current session of an item it shares).
    pub(crate) candidates: Vec<(u32, f64, u32)>,
    /// V-SKNN's candidates over a few items: (session, bit set of the
    /// current items it shares).
    pub(crate) masked: Vec<(u32, u8)>,
    /// How many of `masked` share each set.
    pub(crate) mask_count: Vec<usize>,
    /// Read positions of the merge over the items' session lists.
    pub(crate) cursors: Vec<usize>,
    /// The kept neighbours, while they are counted out of `found`.
    pub(crate) kept: Vec<(u32, f64, u32)>,
    /// Last 1-based position of each distinct current item.
    pub(crate) last: Vec<u32>,
    /// Each neighbour's latest shared position.
    pub(crate) latest: Vec<u32>,
    /// Each neighbour's row of items, as a range of the index.
    pub(crate) rows: Vec<std::ops::Range<usize>>,
    /// The neighbours of the last prediction (session, similarity), most
    /// similar first.
    pub neighbours: Vec<(u32, f64)>,
    /// Position weight of each item of the current session (0 elsewhere).
    pub(crate) weight: Vec<f64>,
    /// Whether each item is in the current session.
    pub(crate) in_session: Vec<bool>,
    /// The current session's distinct items.
    pub(crate) distinct: Vec<u32>,
    /// Generation stamps for per-neighbour "seen" checks.
    pub(crate) stamp: Vec<u32>,
    pub(crate) generation: u32,
}

impl Scratch {
    pub fn new(n_items: usize, _n_sessions: usize) -> Self {
        Scratch {
            scores: vec![0.0; n_items],
            touched: Vec::new(),
            touched_mark: vec![false; n_items],
            touch_buf: vec![0; n_items + 1],
            candidates: Vec::new(),
            masked: Vec::new(),
            mask_count: Vec::new(),
            cursors: Vec::new(),
            kept: Vec::new(),
            last: Vec::new(),
            latest: Vec::new(),
            rows: Vec::new(),
            neighbours: Vec::new(),
            weight: vec![0.0; n_items],
            in_session: vec![false; n_items],
            distinct: Vec::new(),
            stamp: vec![0; n_items],
            generation: 0,
        }
    }

    /// Forget the last prediction (only what it touched).
    pub fn clear(&mut self) {
        for &i in &self.touched {
            self.scores[i as usize] = 0.0;
            self.touched_mark[i as usize] = false;
        }
        self.touched.clear();
        self.candidates.clear();
        for &i in &self.distinct {
            self.weight[i as usize] = 0.0;
            self.in_session[i as usize] = false;
        }
        self.distinct.clear();
        self.neighbours.clear();
    }

    pub fn add(&mut self, item: u32, value: f64) {
        let i = item as usize;
        if !self.touched_mark[i] {
            self.touched_mark[i] = true;
            self.touched.push(item);
        }
        self.scores[i] += value;
    }

    /// Add `coef` of each row to every item of the row (rows of
    /// `values`). The same as [`add`](Self::add) item by item, without a
    /// branch on whether the item was touched before: a third of a
    /// neighbourhood's items are new, too many for the branch to be
    /// predicted.
    pub(crate) fn add_rows(
        &mut self,
        values: &[u32],
        rows: &[std::ops::Range<usize>],
        coef: impl Iterator<Item = f64>,
    ) {
        let Scratch {
            scores,
            touched,
            touched_mark,
            touch_buf,
            ..
        } = self;
        let mut new = 0usize;
        for (r, c) in rows.iter().zip(coef) {
            for &item in &values[r.clone()] {
                let i = item as usize;
                touch_buf[new] = item;
                new += usize::from(!touched_mark[i]);
                touched_mark[i] = true;
                scores[i] += c;
            }
        }
        touched.extend_from_slice(&touch_buf[..new]);
    }

    pub fn set(&mut self, item: u32, value: f64) {
        self.add(item, value - self.scores[item as usize]);
    }

    /// A fresh stamp for "already seen in this neighbour" checks.
    pub(crate) fn next_generation(&mut self) -> u32 {
        if self.generation == u32::MAX {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 0;
        }
        self.generation += 1;
        self.generation
    }
}

/// A fitted next-item scorer.
pub trait SessionModel: Send + Sync {
    /// Score every item as the next view after `prefix` at time `now` into
    /// `scratch` (cleared first).
    fn score(&self, prefix: &[u32], now: f64, scratch: &mut Scratch);

    /// Score every prefix of a session: for each `pos` in `1..items.len()`,
    /// the next view after `items[..pos]` at time `times[pos]`, handing the
    /// scored `scratch` to `each(pos, scratch)` in order of `pos`. The same
    /// as calling [`score`](Self::score) for each; a model that reads
    /// prefixes through a network overrides it to read them in batches.
    fn score_prefixes(
        &self,
        items: &[u32],
        times: &[f64],
        scratch: &mut Scratch,
        each: &mut dyn FnMut(usize, &Scratch),
    ) {
        for pos in 1..items.len() {
            self.score(&items[..pos], times[pos], scratch);
            each(pos, scratch);
        }
    }

    /// Why `item` scored after the last [`score`](Self::score) on `scratch`
    /// with the same `prefix`, strongest first, at most `limit`.
    fn reasons(&self, prefix: &[u32], item: u32, scratch: &Scratch, limit: usize) -> Vec<Reason>;

    /// Bytes the model holds beyond the shared index.
    fn memory_bytes(&self) -> usize {
        0
    }

    /// The trained network, for a model that has one (saved with the
    /// workspace, noted in the run).
    fn network(&self) -> Option<&deep::DeepSession> {
        None
    }
}

/// Fit the model `params` names on the split's training sessions. Only the
/// deep models use `seed` and `ctx` (epochs, cancel) and can fail.
pub fn fit(
    params: &Checked<SessionParams>,
    data: &SessionData,
    index: &Arc<SessionIndex>,
    seed: u64,
    ctx: &TrainHooks,
) -> Result<Box<dyn SessionModel>, TaskError> {
    let n_items = data.n_items();
    Ok(match &**params {
        SessionParams::Sasrec(p) => Box::new(deep::DeepSession::fit(
            &Recipe::sasrec(p, n_items)?,
            data,
            seed,
            ctx,
        )?),
        SessionParams::Gru4rec(p) => Box::new(deep::DeepSession::fit(
            &Recipe::gru4rec(p, n_items),
            data,
            seed,
            ctx,
        )?),
        SessionParams::Sknn(p) => Box::new(knn::Knn::sknn(Arc::clone(index), p)),
        SessionParams::Vsknn(p) => Box::new(knn::Knn::vsknn(Arc::clone(index), p)),
        SessionParams::Stan(p) => Box::new(knn::Knn::stan(Arc::clone(index), p)),
        SessionParams::Ar(p) => {
            Box::new(rules::AssociationRules::fit(&data.train, data.n_items(), p))
        }
        SessionParams::Spop(p) => Box::new(popular::SessionPopular::fit(index, p)),
    })
}

/// The top `k` items of the last scoring: score descending, ties (and the
/// items nobody scored, which count as 0) in popularity order.
pub fn top_k(scratch: &Scratch, index: &SessionIndex, k: usize) -> Vec<(u32, f64)> {
    if k == 0 {
        return Vec::new();
    }
    let rank = |i: u32| index.popularity_rank[i as usize];
    // Whether `a` is shown before `b`.
    let before = |a: (u32, f64), b: (u32, f64)| a.1 > b.1 || (a.1 == b.1 && rank(a.0) < rank(b.0));
    // The best k positive scores, kept sorted as they are met: most items
    // fall below the k-th at once, so this beats sorting all scored items.
    let mut out: Vec<(u32, f64)> = Vec::with_capacity(k + 1);
    for &i in &scratch.touched {
        let e = (i, scratch.scores[i as usize]);
        if e.1 <= 0.0 || e.1.is_nan() || (out.len() == k && !before(e, out[k - 1])) {
            continue;
        }
        let at = out.partition_point(|&o| before(o, e));
        out.insert(at, e);
        out.truncate(k);
    }
    for &i in &index.by_popularity {
        if out.len() >= k {
            break;
        }
        if scratch.scores[i as usize] == 0.0 {
            out.push((i, 0.0));
        }
    }
    if out.len() < k {
        // Negative scores rank below every unscored item.
        let mut negative: Vec<(u32, f64)> = scratch
            .touched
            .iter()
            .map(|&i| (i, scratch.scores[i as usize]))
            .filter(|&(_, s)| s < 0.0)
            .collect();
        negative.sort_by(|&a, &b| b.1.total_cmp(&a.1).then(rank(a.0).cmp(&rank(b.0))));
        out.extend(negative.into_iter().take(k - out.len()));
    }
    out
}
