//! Every item's logit for a batch of network states: the product of the
//! states by the item embeddings, the last step of scoring a prefix.
//!
//! The table keeps the embeddings dimension by dimension (dim × items), so
//! one state's logits over a run of items are contiguous multiply-adds that
//! the compiler vectorises across items, and a tile of items is reused by
//! several states while it is in the L1 cache. A plain dot product per item
//! is one long chain of dependent additions; this is the same arithmetic in
//! the same order per logit, with the chains interleaved. So a logit is
//! bit for bit the one `item.iter().zip(state).map(|(a, b)| a * b).sum()`
//! gives, whatever the batch it is computed in.

/// Items per tile: 64 accumulators per state fit in registers and L1.
const TILE: usize = 64;
/// States sharing one pass over a tile of items.
const STATES: usize = 4;

/// Item embeddings, dimension-major.
pub struct ItemTable {
    dim: usize,
    items: usize,
    by_dim: Vec<f32>,
}

impl ItemTable {
    /// The table of `row_major` (items × `dim`, as the network stores it).
    pub fn new(row_major: &[f32], dim: usize) -> Self {
        let items = row_major.len().checked_div(dim).unwrap_or(0);
        let mut by_dim = vec![0f32; dim * items];
        for (i, row) in row_major.chunks_exact(dim.max(1)).take(items).enumerate() {
            for (k, &x) in row.iter().enumerate() {
                by_dim[k * items + i] = x;
            }
        }
        Self { dim, items, by_dim }
    }

    pub fn items(&self) -> usize {
        self.items
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Item `item`'s embedding (empty when out of range).
    pub fn vector(&self, item: u32) -> Vec<f32> {
        let i = item as usize;
        if i >= self.items {
            return Vec::new();
        }
        (0..self.dim)
            .map(|k| self.by_dim[k * self.items + i])
            .collect()
    }

    pub fn memory_bytes(&self) -> usize {
        self.by_dim.len() * std::mem::size_of::<f32>()
    }

    /// Every item's logit for each state of `states` (rows of `dim`), row
    /// after row into `out` (`states.len() / dim` rows of `items()`).
    pub fn logits(&self, states: &[f32], out: &mut [f32]) {
        let (d, n) = (self.dim, self.items);
        if d == 0 || n == 0 {
            return;
        }
        let rows = (states.len() / d).min(out.len() / n);
        for start in (0..n).step_by(TILE) {
            let width = TILE.min(n - start);
            for first in (0..rows).step_by(STATES) {
                let count = STATES.min(rows - first);
                // -0.0 is `Sum for f32`'s starting value: adding it changes
                // no product, not even a zero's sign.
                let mut acc = [[-0.0f32; TILE]; STATES];
                for k in 0..d {
                    let column = &self.by_dim[k * n + start..k * n + start + width];
                    for (r, sums) in acc.iter_mut().enumerate().take(count) {
                        let s = states[(first + r) * d + k];
                        for (sum, &y) in sums[..width].iter_mut().zip(column) {
                            *sum += y * s;
                        }
                    }
                }
                for (r, sums) in acc.iter().enumerate().take(count) {
                    let row = (first + r) * n + start;
                    out[row..row + width].copy_from_slice(&sums[..width]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(item: &[f32], state: &[f32]) -> f32 {
        item.iter().zip(state).map(|(a, b)| a * b).sum()
    }

    /// Every shape at the tiles' edges gives each logit bit for bit as a
    /// plain dot product does, which is what keeps batched and one-at-a-time
    /// scoring equal.
    #[test]
    fn each_logit_is_the_plain_dot_product_bit_for_bit() {
        let mut x = 0x2545_f491u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32 - 0.5) * 3.0
        };
        for (n, d, rows) in [
            (1, 1, 1),
            (63, 7, 3),
            (64, 64, 4),
            (65, 50, 5),
            (300, 33, 9),
        ] {
            let items: Vec<f32> = (0..n * d).map(|_| next()).collect();
            let states: Vec<f32> = (0..rows * d).map(|_| next()).collect();
            let table = ItemTable::new(&items, d);
            let mut out = vec![f32::NAN; rows * n];
            table.logits(&states, &mut out);
            for r in 0..rows {
                for i in 0..n {
                    let want = plain(&items[i * d..(i + 1) * d], &states[r * d..(r + 1) * d]);
                    assert_eq!(
                        out[r * n + i].to_bits(),
                        want.to_bits(),
                        "n {n} d {d} row {r} item {i}"
                    );
                }
            }
            assert_eq!(table.vector(n as u32 - 1), items[(n - 1) * d..].to_vec());
            assert!(table.vector(n as u32).is_empty());
        }
    }
}
