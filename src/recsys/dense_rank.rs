//! Ranking every item for customers of a factor model, a tile of items at
//! a time.
//!
//! A factor model scores a customer's items with one matrix product of
//! their factors by the item factors. Scoring whole rows, a block of
//! customers is limited to about 16 MB of scores: 256 customers over 20,000
//! items, but 20 over 200,000, and then the whole item table (51 MB at 64
//! factors) is read again for every 20 customers. Here 256 customers are
//! scored against 1,024 items at a time (1 MB of scores, which stays in the
//! core's cache while it is ranked), so the item table is read once per 256
//! customers, whatever the catalogue.
//!
//! The top k and the rank of each relevant item are the full scan's
//! ([`TopK`], [`ahead_in_tile`]): the same definitions, summed over the
//! tiles. The rank counts the items ahead of the relevant item's score, so
//! that score, and the sampled negatives' scores, are worked out first, by
//! the same product ([`Factors::score_items`]), which faer sums in the same
//! order as the tiles' (a test checks this to the bit).

use super::metrics::{rows_per_block, TopK};
use super::models::Factors;
use crate::neural::validation::ahead_in_tile;

/// Items scored at once for a block of customers.
pub const TILE_ITEMS: usize = 1024;

/// Customers ranked together: their factors are gathered once, and each
/// tile of item factors is read once for all of them.
pub const BLOCK_ROWS: usize = 256;

/// Whether a catalogue of `n_items` scored by `factors` is ranked a tile
/// at a time: when whole rows would make blocks of fewer than
/// [`BLOCK_ROWS`] customers ([`rows_per_block`]), and with at least 8
/// factors (below that faer multiplies a tile with another kernel than the
/// one that scores the relevant items, and their sums could differ).
pub fn ranks_tiled(factors: &Factors, n_items: usize) -> bool {
    factors.dim >= 8 && n_items >= 2 * TILE_ITEMS && rows_per_block(n_items) < BLOCK_ROWS
}

/// A customer to rank: the items not ranked (their history) and those to
/// find, both sorted, and other items whose scores are wanted (the sampled
/// negatives).
pub struct Ask<'a> {
    pub excluded: &'a [u32],
    pub relevant: &'a [u32],
    pub probes: &'a [u32],
}

/// What ranking a customer found.
pub struct Ranked {
    /// The top k, best first.
    pub top: Vec<u32>,
    /// The full-ranking rank of the best-ranked relevant item
    /// (`usize::MAX` without any).
    pub first_rank: usize,
    /// The scores of the relevant items, then of the probes.
    pub scores: Vec<f32>,
}

/// Ranks blocks of customers a tile at a time, holding one block's
/// factors and one tile of scores.
pub struct DenseRanker<'f> {
    factors: &'f Factors,
    tile: usize,
    lhs: Vec<f32>,
    scores: Vec<f32>,
}

impl<'f> DenseRanker<'f> {
    pub fn new(factors: &'f Factors, tile: usize) -> Self {
        Self {
            factors,
            tile: tile.max(1),
            lhs: Vec::new(),
            scores: Vec::new(),
        }
    }

    /// Ranks `users` (one block: their factors and a tile of their scores
    /// are held at once), each with its `asks`, for their top `k`.
    pub fn rank(&mut self, users: &[usize], asks: &[Ask], k: usize) -> Vec<Ranked> {
        let f = self.factors;
        let n = f.n_items();
        let mut ranked: Vec<Ranked> = users
            .iter()
            .zip(asks)
            .map(|(&u, ask)| {
                let wanted: Vec<u32> = ask.relevant.iter().chain(ask.probes).copied().collect();
                let mut scores = Vec::with_capacity(wanted.len());
                f.score_items(u, &wanted, &mut scores);
                Ranked {
                    top: Vec::new(),
                    first_rank: usize::MAX,
                    scores,
                }
            })
            .collect();
        let mut tops: Vec<TopK> = users.iter().map(|_| TopK::new(k)).collect();
        let mut ahead: Vec<Vec<usize>> = asks.iter().map(|a| vec![0; a.relevant.len()]).collect();
        // A block of one customer is scored twice: faer multiplies a single
        // row with another kernel.
        let ids: Vec<u32> = if users.len() == 1 {
            vec![users[0] as u32; 2]
        } else {
            users.iter().map(|&u| u as u32).collect()
        };
        f.gather_users(&ids, &mut self.lhs);
        for tile in tiles(n, self.tile) {
            let width = tile.len();
            self.scores.resize(ids.len() * width, 0.0);
            f.score_tile(&self.lhs, ids.len(), tile.clone(), &mut self.scores);
            let rows = self.scores.chunks_exact(width.max(1));
            for (((row, ask), top), (ahead, r)) in rows
                .zip(asks)
                .zip(&mut tops)
                .zip(ahead.iter_mut().zip(&ranked))
            {
                top.offer(row, tile.start, ask.excluded);
                for ((&item, &s), count) in ask.relevant.iter().zip(&r.scores).zip(ahead.iter_mut())
                {
                    if !s.is_nan() {
                        *count += ahead_in_tile(row, tile.start, (item, s), ask.excluded);
                    }
                }
            }
        }
        for ((r, top), (ask, ahead)) in ranked.iter_mut().zip(tops).zip(asks.iter().zip(&ahead)) {
            r.top = top.into_items();
            // A NaN score ranks last, as the full scan ranks it.
            r.first_rank = ask
                .relevant
                .iter()
                .zip(&r.scores)
                .zip(ahead)
                .map(|((_, s), &a)| if s.is_nan() { n } else { 1 + a })
                .min()
                .unwrap_or(usize::MAX);
        }
        ranked
    }
}

/// `0..n` in equal tiles of `tile` to `2 × tile` items (a narrow last
/// tile could be multiplied with another kernel).
fn tiles(n: usize, tile: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let count = (n / tile.max(1)).max(1);
    (0..count).map(move |t| t * n / count..(t + 1) * n / count)
}
