//! Ranking a customer whose scores are +0 for all but a few items.
//!
//! Item kNN scores a customer by adding up the neighbour lists of their
//! history: a few thousand items of a catalogue of hundreds of thousands.
//! Clearing a full row of scores, scanning it for the top k and again for
//! the rank of each held-out item then cost far more than the scoring
//! itself. Here the row is cleared item by item after use, and the top k and
//! the ranks are worked out from the touched items alone, with the same
//! definitions as the full scan ([`super::metrics::top_k`] and
//! [`super::metrics::rank_of`]: score descending, ties by smaller index, NaN
//! last, −0 ties with +0), so the metrics come out the same to the last bit.

use std::cmp::Ordering;

use super::metrics::top_k;

/// A row of scores over the catalogue that is +0 except at the touched
/// items, `slots[..n_touched]`.
pub struct SparseScores {
    values: Vec<f32>,
    /// One slot per item and a spare: [`Self::add`] writes every item into
    /// the next free slot and only moves past it for a new item, so that
    /// remembering needs no branch (a branch on "seen before?" is a coin
    /// toss the processor mispredicts about half the time).
    slots: Vec<u32>,
    n_touched: usize,
    marked: Vec<bool>,
}

impl SparseScores {
    /// All +0 over `n_items` items.
    pub fn new(n_items: usize) -> Self {
        Self {
            values: vec![0.0; n_items],
            slots: vec![0; n_items + 1],
            n_touched: 0,
            marked: vec![false; n_items],
        }
    }

    /// `score[item] += value`, remembering the item.
    #[inline]
    pub fn add(&mut self, item: u32, value: f32) {
        let i = item as usize;
        let new = !self.marked[i];
        self.marked[i] = true;
        // At most one slot per item, so `n_touched` ≤ n_items < slots.len().
        self.slots[self.n_touched] = item;
        self.n_touched += usize::from(new);
        self.values[i] += value;
    }

    /// The items added to since the last clear, in the order first touched.
    fn touched(&self) -> &[u32] {
        &self.slots[..self.n_touched]
    }

    /// Every item's score (+0 where none was added).
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Back to all +0, in time proportional to the items touched.
    pub fn clear(&mut self) {
        for &i in &self.slots[..self.n_touched] {
            self.values[i as usize] = 0.0;
            self.marked[i as usize] = false;
        }
        self.n_touched = 0;
    }

    /// [`top_k`] of the row: from the touched items alone when at least `k`
    /// of them (not excluded) score above 0, since then no untouched item,
    /// at +0, can make the list; otherwise by the full scan. The touched
    /// items come in no particular order, so ties are broken by index here;
    /// an item that cannot beat the k-th kept one is passed over before its
    /// exclusion is looked up.
    pub fn top_k(&self, excluded: &[u32], k: usize) -> Vec<u32> {
        if k == 0 {
            return Vec::new();
        }
        // Best first: higher score, then smaller index. No NaN and no −0
        // among scores above 0, so `>` and `==` order them.
        let ahead = |a: (f32, u32), b: (f32, u32)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
        let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
        for &j in self.touched() {
            let candidate = (self.values[j as usize], j);
            let beats_the_last = best.len() < k || ahead(candidate, best[k - 1]);
            if candidate.0 > 0.0 && beats_the_last && excluded.binary_search(&j).is_err() {
                let at = best.partition_point(|&b| ahead(b, candidate));
                best.insert(at, candidate);
                best.truncate(k);
            }
        }
        if best.len() < k {
            return top_k(&self.values, excluded, k);
        }
        best.into_iter().map(|(_, j)| j).collect()
    }

    /// [`super::metrics::rank_of`] of `item`: 1 + the items not excluded
    /// that rank ahead of it. Untouched items score +0, so they are counted
    /// without being read: all of them when `item` scores below 0, those
    /// with a smaller index when it scores 0, none when it scores above.
    pub fn rank_of(&self, excluded: &[u32], item: u32) -> usize {
        let n = self.values.len();
        let s = self.values[item as usize];
        if s.is_nan() {
            return n;
        }
        let ahead = |j: u32, v: f32| v > s || (v == s && j < item);
        let touched_ahead = self
            .touched()
            .iter()
            .filter(|&&j| ahead(j, self.values[j as usize]))
            .count();
        let untouched_ahead = match 0.0f32.partial_cmp(&s) {
            Some(Ordering::Greater) => n - self.n_touched,
            Some(Ordering::Equal) => {
                let touched_before = self.touched().iter().filter(|&&j| j < item).count();
                item as usize - touched_before
            }
            _ => 0,
        };
        let excluded_ahead = excluded
            .iter()
            .filter(|&&j| (j as usize) < n && ahead(j, self.values[j as usize]))
            .count();
        1 + touched_ahead + untouched_ahead - excluded_ahead
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recsys::metrics::{rank_of, test_numbers};

    /// A row over 1–80 items; some rounds touch most items, some a few,
    /// some none, with NaN, ±0 and negative scores among them.
    fn random_row(next: &mut impl FnMut() -> u32, round: usize) -> SparseScores {
        let n = 1 + (next() % 80) as usize;
        let mut row = SparseScores::new(n);
        let touches = next() as usize % (2 * n + 1) / (1 + round % 4);
        for _ in 0..touches {
            let value = match next() % 12 {
                0 => f32::NAN,
                1 => -0.0,
                2 => 0.0,
                3 => -0.5,
                v => (v % 5) as f32 * 0.25,
            };
            row.add(next() % n as u32, value);
        }
        row
    }

    #[test]
    fn top_k_and_ranks_match_the_full_scan() {
        let mut next = test_numbers(99);
        for round in 0..300 {
            let mut row = random_row(&mut next, round);
            let n = row.values().len();
            let excluded: Vec<u32> = (0..n as u32).filter(|_| next().is_multiple_of(4)).collect();
            for k in [0, 1, 3, 10, n, n + 2] {
                assert_eq!(
                    row.top_k(&excluded, k),
                    top_k(row.values(), &excluded, k),
                    "round {round} k {k}"
                );
            }
            for item in 0..n as u32 {
                assert_eq!(
                    row.rank_of(&excluded, item),
                    rank_of(row.values(), &excluded, item),
                    "round {round} item {item}"
                );
            }
            row.clear();
            assert!(row.values().iter().all(|v| v.to_bits() == 0));
            assert!(row.n_touched == 0 && row.marked.iter().all(|m| !m));
        }
    }
}
