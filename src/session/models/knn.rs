//! Session-based nearest neighbours, as session-rec defines them.
//!
//! All three find the training sessions that share an item with the current
//! session (the union over its views), keep the `sample_size` most recent of
//! them (0 keeps all), rate each by a similarity, keep the `neighbors` most
//! similar (ties: the more recent first) and let each add a weight to every
//! item it has:
//!
//! - **SKNN** (`ContextKNN`): cosine between the sets of items,
//!   |A∩B| / √(|A|·|B|); the weight is the similarity. (session-rec writes
//!   `li / sqrt(la) * sqrt(lb)`; that is the cosine times |current|, the same
//!   for every neighbour, so rankings are identical.)
//! - **V-SKNN** (`VMContextKNN`, similarity `vec`): the current session's
//!   items carry a position weight (`weighting`, by the position of their
//!   last view; quadratic = (position/length)²); similarity = Σ weights of
//!   the shared items / number of distinct current items. The weight of item
//!   *i* is similarity × (1 + idf(i) × `idf_weighting`) × decay, where
//!   idf(i) = ln(training sessions / training views of i) and the decay
//!   (`weighting_score`; linear = 1 − 0.1·step up to step 100, then 0) is by
//!   the step back from the end of the current session to its latest view
//!   the neighbour shares (1 = the last view).
//! - **STAN**: position weights exp((position − length)/λ_spw); similarity =
//!   Σ shared weights / (√Σ weights² · √|neighbour items|) ×
//!   exp(−(now − neighbour's last view)/λ_snh); the weight of item *i* is
//!   similarity × exp(−|p(i) − p*|/λ_inh), p(i) its last position in the
//!   neighbour and p* the neighbour's last position of a current item.
//!
//! Items already in the current session are scored too (session-rec's
//! `remind=True` for V-SKNN and STAN; SKNN does not exclude them either).

use std::sync::Arc;

use super::{Reason, Scratch, SessionModel};
use crate::session::index::SessionIndex;
use crate::session::params::{SknnParams, StanParams, VsknnParams, Weighting};

const DAY_SECS: f64 = 86_400.0;
/// Up to this many items, the merge scans the lists' heads; more use a heap.
const MERGE_SCAN: usize = 8;

enum Variant {
    Sknn,
    Vsknn {
        weighting: Weighting,
        decay: Weighting,
        /// 1 + idf × idf_weighting, per item.
        idf_factor: Vec<f64>,
    },
    Stan {
        spw: f64,
        snh_secs: f64,
        inh: f64,
    },
}

pub struct Knn {
    index: Arc<SessionIndex>,
    neighbors: usize,
    sample_size: usize,
    variant: Variant,
}

impl Knn {
    pub fn sknn(index: Arc<SessionIndex>, p: &SknnParams) -> Self {
        Knn {
            index,
            neighbors: p.neighbors,
            sample_size: p.sample_size,
            variant: Variant::Sknn,
        }
    }

    pub fn vsknn(index: Arc<SessionIndex>, p: &VsknnParams) -> Self {
        let sessions = index.n_sessions() as f64;
        let idf_factor = index
            .item_views
            .iter()
            .map(|&views| {
                if p.idf_weighting == 0.0 || views == 0 {
                    1.0
                } else {
                    1.0 + (sessions / f64::from(views)).ln() * p.idf_weighting
                }
            })
            .collect();
        Knn {
            index,
            neighbors: p.neighbors,
            sample_size: p.sample_size,
            variant: Variant::Vsknn {
                weighting: p.weighting,
                decay: p.weighting_score,
                idf_factor,
            },
        }
    }

    pub fn stan(index: Arc<SessionIndex>, p: &StanParams) -> Self {
        Knn {
            index,
            neighbors: p.neighbors,
            sample_size: p.sample_size,
            variant: Variant::Stan {
                spw: p.lambda_spw,
                snh_secs: p.lambda_snh * DAY_SECS,
                inh: p.lambda_inh,
            },
        }
    }

    /// Position weights of the current session's distinct items (by the
    /// position of their last view, 1-based) into `scratch.weight`, and
    /// those last positions.
    fn weigh_positions(&self, prefix: &[u32], scratch: &mut Scratch, last: &mut Vec<u32>) {
        let len = prefix.len();
        for (p, &item) in prefix.iter().enumerate() {
            let i = item as usize;
            if !scratch.in_session[i] {
                scratch.in_session[i] = true;
                scratch.distinct.push(item);
            }
            scratch.weight[i] = match &self.variant {
                Variant::Sknn => 1.0,
                Variant::Vsknn { weighting, .. } => weighting.position(p + 1, len),
                Variant::Stan { spw, .. } => (((p + 1) as f64 - len as f64) / spw).exp(),
            };
        }
        last.clear();
        last.extend(scratch.distinct.iter().map(|&d| {
            prefix
                .iter()
                .rposition(|&i| i == d)
                .map_or(0, |p| p as u32 + 1)
        }));
    }

    /// The candidate neighbours: the `sample_size` most recent training
    /// sessions sharing an item with the current session (all with 0), each
    /// with Σ of the shared items' weights and its latest shared position.
    ///
    /// The items' session lists are ascending by recency, so this merges
    /// their tails from the end and stops after `sample_size` distinct
    /// sessions; equal sessions meet side by side, so nothing is looked up
    /// per session.
    ///
    /// V-SKNN's similarity depends only on which current items a session
    /// shares, and ties go to the more recent; so once `neighbors` sessions
    /// sharing *every* current item are found, no later (older) candidate
    /// can displace them, and the merge stops there with the same result.
    /// Fill `scratch.candidates`, or for V-SKNN over a few items
    /// `scratch.masked` (then returns true).
    fn gather(&self, scratch: &mut Scratch, last: &[u32]) -> bool {
        let x = &*self.index;
        let lists: Vec<&[u32]> = scratch
            .distinct
            .iter()
            .map(|&i| x.item_sessions.row(i as usize))
            .collect();
        let mut cursors = std::mem::take(&mut scratch.cursors);
        cursors.clear();
        cursors.extend(lists.iter().map(|l| l.len()));
        let limit = if self.sample_size == 0 {
            usize::MAX
        } else {
            self.sample_size
        };
        // Sessions sharing every current item after which V-SKNN stops.
        let enough = match self.variant {
            Variant::Vsknn { .. } => self.neighbors,
            _ => usize::MAX,
        };
        let mut complete = 0usize;
        scratch.candidates.clear();
        if let [list] = lists.as_slice() {
            // One item (most predictions' first step): its newest sessions.
            let w = scratch.weight[scratch.distinct[0] as usize];
            let take = list.len().min(limit).min(enough);
            scratch.candidates.extend(
                list[list.len() - take..]
                    .iter()
                    .rev()
                    .map(|&s| (s, w, last[0])),
            );
            scratch.cursors = cursors;
            return false;
        }
        if lists.len() > MERGE_SCAN {
            // Many items (a long session): a heap of the lists' heads.
            let mut heap: std::collections::BinaryHeap<(u32, usize)> = lists
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.is_empty())
                .map(|(d, l)| (l[l.len() - 1], d))
                .collect();
            while let Some(&(s, _)) = heap.peek() {
                if scratch.candidates.len() >= limit || complete >= enough {
                    break;
                }
                let (mut num, mut latest, mut shared) = (0.0, 0u32, 0usize);
                // Replacing the top in place sifts once, where pop and push
                // would sift twice; the (session, list) pairs are distinct,
                // so the order they come out in is the same either way.
                while let Some(mut top) = heap.peek_mut() {
                    let (t, d) = *top;
                    if t != s {
                        break;
                    }
                    num += scratch.weight[scratch.distinct[d] as usize];
                    latest = latest.max(last[d]);
                    shared += 1;
                    cursors[d] -= 1;
                    if cursors[d] > 0 {
                        *top = (lists[d][cursors[d] - 1], d);
                    } else {
                        std::collections::binary_heap::PeekMut::pop(top);
                    }
                }
                complete += usize::from(shared == lists.len());
                scratch.candidates.push((s, num, latest));
            }
            scratch.cursors = cursors;
            return false;
        }
        // A few items: scan the lists' heads (-1 once a list is used up).
        let mut heads: Vec<i64> = lists
            .iter()
            .map(|l| l.last().map_or(-1, |&s| i64::from(s)))
            .collect();
        if let Variant::Vsknn { .. } = self.variant {
            // V-SKNN's similarity and decay depend only on which current
            // items a session shares, so the merge records that set and
            // `keep_by_mask` rates each set once.
            let full = ((1u16 << heads.len()) - 1) as u8;
            scratch.masked.clear();
            scratch.mask_count.clear();
            scratch.mask_count.resize(1 << MERGE_SCAN, 0);
            while scratch.masked.len() < limit && complete < enough {
                let s = heads.iter().copied().max().unwrap_or(-1);
                if s < 0 {
                    break;
                }
                let mut mask = 0u8;
                for d in 0..heads.len() {
                    if heads[d] == s {
                        mask |= 1 << d;
                        cursors[d] -= 1;
                        heads[d] = match cursors[d] {
                            0 => -1,
                            c => i64::from(lists[d][c - 1]),
                        };
                    }
                }
                complete += usize::from(mask == full);
                scratch.mask_count[usize::from(mask)] += 1;
                scratch.masked.push((s as u32, mask));
            }
            scratch.cursors = cursors;
            return true;
        }
        let weights: Vec<f64> = scratch
            .distinct
            .iter()
            .map(|&i| scratch.weight[i as usize])
            .collect();
        while scratch.candidates.len() < limit && complete < enough {
            // The most recent session not yet taken, over all lists.
            let s = heads.iter().copied().max().unwrap_or(-1);
            if s < 0 {
                break;
            }
            let (mut num, mut latest, mut shared) = (0.0, 0u32, 0usize);
            for d in 0..heads.len() {
                if heads[d] == s {
                    num += weights[d];
                    latest = latest.max(last[d]);
                    shared += 1;
                    cursors[d] -= 1;
                    heads[d] = match cursors[d] {
                        0 => -1,
                        c => i64::from(lists[d][c - 1]),
                    };
                }
            }
            complete += usize::from(shared == heads.len());
            scratch.candidates.push((s as u32, num, latest));
        }
        scratch.cursors = cursors;
        false
    }

    /// V-SKNN's neighbours from `scratch.masked`: the same similarities,
    /// order and ties as rating every candidate, by counting out each
    /// similarity's candidates in recency order.
    fn keep_by_mask(&self, scratch: &mut Scratch, last: &[u32]) {
        let lists = scratch.distinct.len();
        let distinct = lists as f64;
        let masks = 1usize << lists;
        // Summed over the items in their order, as the merge of
        // candidates sums them, so every value rounds the same way.
        let mut sim = [f64::NAN; 1 << MERGE_SCAN];
        let mut latest = [0u32; 1 << MERGE_SCAN];
        for m in 1..masks {
            let (mut num, mut at) = (0.0, 0u32);
            for (d, &item) in scratch.distinct.iter().enumerate() {
                if m & (1 << d) != 0 {
                    num += scratch.weight[item as usize];
                    at = at.max(last[d]);
                }
            }
            sim[m] = num / distinct;
            latest[m] = at;
        }
        // Places of the positive similarities in descending order; equal
        // similarities share a place, so recency alone orders them.
        let mut order: Vec<usize> = (1..masks).filter(|&m| sim[m] > 0.0).collect();
        order.sort_unstable_by(|&a, &b| sim[b].total_cmp(&sim[a]));
        let mut place = [usize::MAX; 1 << MERGE_SCAN];
        let mut places = 0usize;
        for (j, &m) in order.iter().enumerate() {
            if j > 0 && sim[m] != sim[order[j - 1]] {
                places += 1;
            }
            place[m] = places;
        }
        let mut next = [0usize; (1 << MERGE_SCAN) + 1];
        for m in 1..masks {
            if place[m] != usize::MAX {
                next[place[m] + 1] += scratch.mask_count[m];
            }
        }
        for p in 1..next.len() {
            next[p] += next[p - 1];
        }
        let n = next[next.len() - 1].min(self.neighbors);
        scratch.neighbours.clear();
        scratch.neighbours.resize(n, (0, 0.0));
        scratch.latest.clear();
        scratch.latest.resize(n, 0);
        for &(s, m) in &scratch.masked {
            let p = place[m as usize];
            if p == usize::MAX {
                continue;
            }
            if next[p] < n {
                scratch.neighbours[next[p]] = (s, sim[m as usize]);
                scratch.latest[next[p]] = latest[m as usize];
            }
            next[p] += 1;
        }
    }

    /// The neighbours of `prefix` into `scratch.neighbours`, most similar
    /// first (ties: the more recent first), with their latest shared
    /// position.
    fn find_neighbours(&self, prefix: &[u32], now: f64, scratch: &mut Scratch) {
        let x = &*self.index;
        let mut last = std::mem::take(&mut scratch.last);
        self.weigh_positions(prefix, scratch, &mut last);
        if self.gather(scratch, &last) {
            self.keep_by_mask(scratch, &last);
            scratch.last = last;
            return;
        }
        scratch.last = last;
        let distinct = scratch.distinct.len() as f64;
        let norm = match &self.variant {
            Variant::Stan { .. } => scratch
                .distinct
                .iter()
                .map(|&i| scratch.weight[i as usize].powi(2))
                .sum::<f64>()
                .sqrt(),
            _ => distinct.sqrt(),
        };
        // The candidates become the neighbours in place: at sample size
        // 10,000 a copy is a 240 KB write per prediction.
        let found = &mut scratch.candidates;
        for e in found.iter_mut() {
            let (s, num) = (e.0 as usize, e.1);
            e.1 = match &self.variant {
                Variant::Sknn => num / (norm * (x.sets.row_len(s) as f64).sqrt()),
                Variant::Vsknn { .. } => num / distinct,
                Variant::Stan { snh_secs, .. } => {
                    num / (norm * (x.sets.row_len(s) as f64).sqrt())
                        * (-(now - x.times[s]) / snh_secs).exp()
                }
            };
        }
        if !matches!(self.variant, Variant::Stan { .. })
            && found.iter().any(|e| e.1 <= 0.0 || e.1.is_nan())
        {
            found.retain(|e| e.1 > 0.0);
        }
        if !keep_by_few_similarities(found, self.neighbors, &mut scratch.kept) {
            let order =
                |a: &(u32, f64, u32), b: &(u32, f64, u32)| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0));
            if found.len() > self.neighbors {
                found.select_nth_unstable_by(self.neighbors, order);
                found.truncate(self.neighbors);
            }
            found.sort_unstable_by(order);
        }
        scratch.neighbours.clear();
        scratch
            .neighbours
            .extend(found.iter().map(|&(s, sim, _)| (s, sim)));
        scratch.latest.clear();
        scratch.latest.extend(found.iter().map(|&(_, _, p)| p));
    }

    /// The neighbours' rows of items, fetched ahead: the rows are scattered
    /// over the whole index, so reading them as the scores are summed waits
    /// on one cache miss after another. Reading every row's offsets, then
    /// every row's first value, in tight loops lets the misses overlap.
    fn fetch_rows(&self, neighbours: &[(u32, f64)], scratch: &mut Scratch) {
        let sets = &self.index.sets;
        scratch.rows.clear();
        scratch
            .rows
            .extend(neighbours.iter().map(|&(s, _)| sets.range(s as usize)));
        let values = sets.values();
        let mut touched = 0u32;
        for r in &scratch.rows {
            if let Some(&v) = values.get(r.start) {
                touched ^= v;
            }
        }
        std::hint::black_box(touched);
    }

    /// Call `f(item, weight)` for every item neighbour `s` (similarity `sim`)
    /// adds to.
    fn for_each_weight(
        &self,
        prefix: &[u32],
        (s, sim, latest): (u32, f64, u32),
        scratch: &mut Scratch,
        mut f: impl FnMut(u32, f64),
    ) {
        let x = &*self.index;
        match &self.variant {
            Variant::Sknn => {
                for &i in x.sets.row(s as usize) {
                    f(i, sim);
                }
            }
            Variant::Vsknn {
                decay, idf_factor, ..
            } => {
                let c = sim * decay_at(decay, prefix.len(), latest);
                for &i in x.sets.row(s as usize) {
                    f(i, c * idf_factor[i as usize]);
                }
            }
            Variant::Stan { inh, .. } => {
                let views = x.views.row(s as usize);
                let star = views
                    .iter()
                    .rposition(|&i| scratch.in_session[i as usize])
                    .map_or(0.0, |p| (p + 1) as f64);
                // Backwards, so an item's first sighting is its last position.
                let g = scratch.next_generation();
                for (p, &i) in views.iter().enumerate().rev() {
                    if scratch.stamp[i as usize] == g {
                        continue;
                    }
                    scratch.stamp[i as usize] = g;
                    f(i, sim * (-((p + 1) as f64 - star).abs() / inh).exp());
                }
            }
        }
    }
}

/// Up to this many distinct similarities, the neighbours are kept by
/// counting instead of sorting.
const FEW_SIMILARITIES: usize = 16;

/// Keep the `k` most similar of `found` (ordered most recent first), most
/// similar first and ties more recent first, when its similarities take at
/// most [`FEW_SIMILARITIES`] values — V-SKNN's are sums of a few position
/// weights, so they usually do. A counting sort by similarity keeps the
/// recency order within each value, with no comparison sort over all the
/// candidates. Returns false (and leaves `found`) otherwise.
fn keep_by_few_similarities(
    found: &mut Vec<(u32, f64, u32)>,
    k: usize,
    kept: &mut Vec<(u32, f64, u32)>,
) -> bool {
    // Each candidate's value, by first appearance; neighbours in recency
    // order often share the last one's.
    let mut values: Vec<f64> = Vec::with_capacity(FEW_SIMILARITIES);
    let mut ids: Vec<u8> = Vec::with_capacity(found.len());
    let mut previous = (f64::NAN, 0u8);
    for &(_, sim, _) in found.iter() {
        if sim == previous.0 {
            ids.push(previous.1);
            continue;
        }
        if sim.is_nan() {
            return false;
        }
        let id = match values.iter().position(|&v| v == sim) {
            Some(id) => id,
            None if values.len() == FEW_SIMILARITIES => return false,
            None => {
                values.push(sim);
                values.len() - 1
            }
        };
        previous = (sim, id as u8);
        ids.push(id as u8);
    }
    // Bucket of each value: its place in descending order.
    let mut by_value: Vec<usize> = (0..values.len()).collect();
    by_value.sort_unstable_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut bucket = [0usize; FEW_SIMILARITIES];
    for (place, &id) in by_value.iter().enumerate() {
        bucket[id] = place;
    }
    let mut next = [0usize; FEW_SIMILARITIES + 1];
    for &id in &ids {
        next[bucket[id as usize] + 1] += 1;
    }
    for b in 1..next.len() {
        next[b] += next[b - 1];
    }
    let n = found.len().min(k);
    kept.clear();
    kept.resize(n, (0, 0.0, 0));
    for (&e, &id) in found.iter().zip(&ids) {
        let b = bucket[id as usize];
        if next[b] < n {
            kept[next[b]] = e;
        }
        next[b] += 1;
    }
    std::mem::swap(found, kept);
    true
}

/// V-SKNN's decay for a neighbour whose latest shared view is at 1-based
/// position `latest` of a session of `len` views, by the steps back from
/// the end (1 = the last view); 0 when it shares none.
fn decay_at(decay: &Weighting, len: usize, latest: u32) -> f64 {
    if latest == 0 {
        0.0
    } else {
        decay.score(len + 1 - latest as usize)
    }
}

impl SessionModel for Knn {
    fn score(&self, prefix: &[u32], now: f64, scratch: &mut Scratch) {
        scratch.clear();
        if prefix.is_empty() {
            return;
        }
        self.find_neighbours(prefix, now, scratch);
        let neighbours = std::mem::take(&mut scratch.neighbours);
        // Summed in neighbour order (most similar first), as session-rec
        // does, so the sums round the same way.
        match &self.variant {
            Variant::Sknn | Variant::Vsknn { .. } => {
                self.fetch_rows(&neighbours, scratch);
                let rows = std::mem::take(&mut scratch.rows);
                let latest = std::mem::take(&mut scratch.latest);
                let values = self.index.sets.values();
                match &self.variant {
                    Variant::Vsknn { decay, .. } => {
                        // The idf factor is the item's alone, so it
                        // multiplies each item's sum once, below.
                        let len = prefix.len();
                        let coef = neighbours
                            .iter()
                            .zip(&latest)
                            .map(|(&(_, sim), &pos)| sim * decay_at(decay, len, pos));
                        scratch.add_rows(values, &rows, coef);
                    }
                    _ => scratch.add_rows(values, &rows, neighbours.iter().map(|&(_, sim)| sim)),
                }
                if let Variant::Vsknn { idf_factor, .. } = &self.variant {
                    for &i in &scratch.touched {
                        scratch.scores[i as usize] *= idf_factor[i as usize];
                    }
                }
                scratch.rows = rows;
                scratch.latest = latest;
            }
            Variant::Stan { .. } => {
                let latest = std::mem::take(&mut scratch.latest);
                let mut adds: Vec<(u32, f64)> = Vec::new();
                for (&(s, sim), &pos) in neighbours.iter().zip(&latest) {
                    adds.clear();
                    self.for_each_weight(prefix, (s, sim, pos), scratch, |i, w| adds.push((i, w)));
                    for &(i, w) in &adds {
                        scratch.add(i, w);
                    }
                }
                scratch.latest = latest;
            }
        }
        scratch.neighbours = neighbours;
    }

    fn reasons(&self, prefix: &[u32], item: u32, scratch: &Scratch, limit: usize) -> Vec<Reason> {
        // A private scratch for the per-neighbour weights (STAN's stamps).
        let mut local = Scratch::new(self.index.n_items(), 0);
        for &i in prefix {
            local.in_session[i as usize] = true;
        }
        let mut out: Vec<Reason> = Vec::new();
        for &(s, sim) in &scratch.neighbours {
            if !self.index.contains(s as usize, item) {
                continue;
            }
            let latest = prefix
                .iter()
                .rposition(|&i| self.index.contains(s as usize, i))
                .map_or(0, |p| p as u32 + 1);
            let mut contribution = 0.0;
            self.for_each_weight(prefix, (s, sim, latest), &mut local, |i, w| {
                if i == item {
                    contribution = w;
                }
            });
            out.push(Reason::Neighbour {
                session: s,
                similarity: sim,
                contribution,
            });
        }
        out.sort_by(|a, b| match (a, b) {
            (
                Reason::Neighbour {
                    contribution: x, ..
                },
                Reason::Neighbour {
                    contribution: y, ..
                },
            ) => y.total_cmp(x),
            _ => std::cmp::Ordering::Equal,
        });
        out.truncate(limit);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::models::top_k;
    use crate::session::protocol::Session;

    fn index(sessions: &[(&[u32], f64)], n_items: usize) -> Arc<SessionIndex> {
        let train: Vec<Session> = sessions
            .iter()
            .map(|(items, t)| Session {
                label: String::new(),
                items: items.to_vec(),
                times: vec![*t; items.len()],
            })
            .collect();
        Arc::new(SessionIndex::build(&train, n_items))
    }

    #[test]
    fn counting_keeps_the_same_neighbours_as_sorting() {
        // Most recent first, with four similarities repeated.
        let found: Vec<(u32, f64, u32)> = (0..200u32)
            .rev()
            .map(|s| (s, [0.5, 0.25, 1.0, 0.75][(s * 7 % 4) as usize], s % 3))
            .collect();
        for k in [0, 1, 37, 200, 500] {
            let mut sorted = found.clone();
            sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
            sorted.truncate(k);
            let mut counted = found.clone();
            assert!(keep_by_few_similarities(&mut counted, k, &mut Vec::new()));
            assert_eq!(counted, sorted, "k = {k}");
        }
        let many: Vec<(u32, f64, u32)> = (0..100u32).rev().map(|s| (s, f64::from(s), 0)).collect();
        assert!(!keep_by_few_similarities(
            &mut many.clone(),
            10,
            &mut Vec::new()
        ));
    }

    #[test]
    fn sampling_keeps_the_most_recent_sessions_sharing_an_item() {
        let x = index(&[(&[0, 1], 1.0), (&[0, 2], 2.0), (&[0, 3], 3.0)], 4);
        let knn = Knn::sknn(
            Arc::clone(&x),
            &SknnParams {
                neighbors: 10,
                sample_size: 2,
            },
        );
        let mut scratch = Scratch::new(4, 3);
        knn.score(&[0], 0.0, &mut scratch);
        assert_eq!(scratch.scores[1], 0.0, "the oldest session is not sampled");
        // Cosine of {0} with {0, 2}: 1/√2, from one neighbour.
        assert!((scratch.scores[2] - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((scratch.scores[0] - 2.0 * 0.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn vsknn_weighs_positions_and_decays_by_the_step_back() {
        // Current session [1, 2]: quadratic weights 1/4 (item 1), 1 (item 2).
        let x = index(&[(&[1, 3], 1.0), (&[2, 4], 2.0)], 5);
        let p = VsknnParams {
            idf_weighting: 0.0,
            ..Default::default()
        };
        let knn = Knn::vsknn(Arc::clone(&x), &p);
        let mut scratch = Scratch::new(5, 2);
        knn.score(&[1, 2], 0.0, &mut scratch);
        // Similarity: shared weight / 2 distinct items; decay: linear score
        // of the step back to the latest shared view (1 → 0.9, 2 → 0.8).
        assert!((scratch.scores[3] - 0.25 / 2.0 * 0.8).abs() < 1e-12);
        assert!((scratch.scores[4] - 1.0 / 2.0 * 0.9).abs() < 1e-12);
        let top = top_k(&scratch, &x, 5);
        assert_eq!(top[0].0, 2, "its own items count too (remind)");
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), [2, 4, 1, 3, 0]);
    }

    #[test]
    fn long_sessions_merge_by_heap_to_the_same_neighbours() {
        // 12 items (more than MERGE_SCAN) shared by overlapping sessions.
        let sessions: Vec<(Vec<u32>, f64)> = (0..40u32)
            .map(|s| ((0..4).map(|j| (s + j * 3) % 12).collect(), f64::from(s)))
            .collect();
        let refs: Vec<(&[u32], f64)> = sessions.iter().map(|(v, t)| (v.as_slice(), *t)).collect();
        let x = index(&refs, 12);
        let prefix: Vec<u32> = (0..12).collect();
        let knn = Knn::vsknn(Arc::clone(&x), &VsknnParams::default());
        let mut long = Scratch::new(12, 40);
        knn.score(&prefix, 0.0, &mut long);
        // Every neighbour's similarity equals the direct computation:
        // Σ of the shared items' quadratic weights / distinct items.
        for &(s, sim) in &long.neighbours {
            let shared: f64 = x
                .sets
                .row(s as usize)
                .iter()
                .map(|&i| ((i + 1) as f64 / 12.0).powi(2))
                .sum();
            assert!((sim - shared / 12.0).abs() < 1e-12, "session {s}");
        }
        assert_eq!(long.neighbours.len(), 40);
    }

    #[test]
    fn vsknn_neighbours_equal_a_direct_search_with_the_early_stop() {
        // 300 sessions over 10 items, drawn by a fixed LCG; prefixes of 1 to
        // 10 items (scan and heap merges), few and many neighbours.
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        let sessions: Vec<(Vec<u32>, f64)> = (0..300)
            .map(|s| {
                let len = 2 + next(4) as usize;
                ((0..len).map(|_| next(10) as u32).collect(), f64::from(s))
            })
            .collect();
        let refs: Vec<(&[u32], f64)> = sessions.iter().map(|(v, t)| (v.as_slice(), *t)).collect();
        let x = index(&refs, 10);
        for (neighbors, sample_size) in [(5, 50), (20, 0), (60, 100), (500, 1000)] {
            let p = VsknnParams {
                neighbors,
                sample_size,
                ..Default::default()
            };
            let knn = Knn::vsknn(Arc::clone(&x), &p);
            let mut scratch = Scratch::new(10, 300);
            for len in 1..=10 {
                let prefix: Vec<u32> = (0..len).map(|_| next(10) as u32).collect();
                knn.score(&prefix, 0.0, &mut scratch);
                // Direct: every session sharing an item, most recent first,
                // the first `sample_size`, by Σ shared weights, ties recent.
                let mut weight = [0.0f64; 10];
                for (q, &i) in prefix.iter().enumerate() {
                    weight[i as usize] = p.weighting.position(q + 1, prefix.len());
                }
                let mut distinct = prefix.clone();
                distinct.sort_unstable();
                distinct.dedup();
                let mut direct: Vec<(u32, f64)> = (0..x.n_sessions() as u32)
                    .rev()
                    .filter(|&s| distinct.iter().any(|&i| x.contains(s as usize, i)))
                    .take(if sample_size == 0 {
                        usize::MAX
                    } else {
                        sample_size
                    })
                    .map(|s| {
                        let num: f64 = distinct
                            .iter()
                            .filter(|&&i| x.contains(s as usize, i))
                            .map(|&i| weight[i as usize])
                            .sum();
                        (s, num / distinct.len() as f64)
                    })
                    .collect();
                direct.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
                direct.truncate(neighbors);
                let got: Vec<u32> = scratch.neighbours.iter().map(|n| n.0).collect();
                let want: Vec<u32> = direct.iter().map(|n| n.0).collect();
                assert_eq!(
                    got, want,
                    "neighbors {neighbors}, sample {sample_size}, prefix {prefix:?}"
                );
                for (g, d) in scratch.neighbours.iter().zip(&direct) {
                    assert!((g.1 - d.1).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn negative_scores_rank_below_unscored_items() {
        let x = index(&[(&[0, 1, 2], 1.0)], 3);
        let mut scratch = Scratch::new(3, 1);
        scratch.add(2, -1.0);
        scratch.add(1, 0.5);
        let top = top_k(&scratch, &x, 3);
        assert_eq!(top, [(1, 0.5), (0, 0.0), (2, -1.0)]);
    }
}
