//! Item-based k-nearest neighbours (as in implicit's ItemItemRecommender).
//!
//! Item vectors are the columns of the train matrix, weighted by
//! - **cosine**: each item column divided by its L2 norm, so `sim(i, j)` is the
//!   cosine between the items' user vectors;
//! - **BM25**: the item × user matrix weighted as documents × terms,
//!   `w = x (K1 + 1) / (K1 · norm_i + x) · idf_u` with
//!   `idf_u = ln(items) − ln(1 + items of u)` and
//!   `norm_i = 1 − B + B · |i| / mean |i|` (no further normalisation).
//!
//! Each item keeps its `K` most similar items (itself included). A user's score
//! for item j is `Σ_{i in history} x_ui · sim(i, j)` over items whose neighbour
//! lists hold j; a history item's term is its contribution in [`Model::explain`].

use rayon::prelude::*;

use super::{top_n, top_n_in_place, FitContext, Model};
use crate::recsys::matrix::Csr;
use crate::recsys::params::{ItemKnnParams, Similarity};
use crate::recsys::RecError;

pub struct ItemKnn {
    /// Row i: i's neighbours and similarities (sorted by neighbour index).
    pub neighbours: Csr,
}

impl ItemKnn {
    pub fn fit(params: &ItemKnnParams, train: &Csr, ctx: &FitContext) -> Result<Self, RecError> {
        let n_items = train.n_cols;
        // Weighted item × user matrix and its transpose.
        let mut item_users = train.transpose();
        match params.similarity {
            Similarity::Cosine => {
                for i in 0..n_items {
                    let (a, b) = (item_users.indptr[i], item_users.indptr[i + 1]);
                    let norm = item_users.data[a..b]
                        .iter()
                        .map(|v| v * v)
                        .sum::<f32>()
                        .sqrt();
                    if norm > 0.0 {
                        item_users.data[a..b].iter_mut().for_each(|v| *v /= norm);
                    }
                }
            }
            Similarity::Bm25 => {
                let n_docs = n_items as f64;
                let items_per_user = train
                    .indptr
                    .windows(2)
                    .map(|w| (w[1] - w[0]) as f64)
                    .collect::<Vec<_>>();
                let row_sums: Vec<f64> = (0..n_items)
                    .map(|i| item_users.row(i).1.iter().map(|&v| f64::from(v)).sum())
                    .collect();
                let mean = row_sums.iter().sum::<f64>() / n_docs.max(1.0);
                let (k1, b) = (f64::from(params.k1), f64::from(params.b));
                for (i, row_sum) in row_sums.iter().enumerate() {
                    let norm = (1.0 - b) + b * row_sum / mean.max(1e-12);
                    let (a, e) = (item_users.indptr[i], item_users.indptr[i + 1]);
                    for idx in a..e {
                        let u = item_users.indices[idx] as usize;
                        let x = f64::from(item_users.data[idx]);
                        let idf = n_docs.ln() - (1.0 + items_per_user[u]).ln();
                        item_users.data[idx] = (x * (k1 + 1.0) / (k1 * norm + x) * idf) as f32;
                    }
                }
            }
        }
        let user_items = item_users.transpose();
        let k = params.neighbors;
        let threads = ctx.pool.current_num_threads().max(1);
        // Symmetric pass: half the multiply-adds, but one set of K-bounded heaps
        // per thread. Fall back to the row-by-row pass when those would be big.
        let heap_bytes = threads * n_items * k.min(n_items) * 8;
        let rows = if heap_bytes <= SYMMETRIC_HEAP_BUDGET {
            symmetric_rows(&item_users, &user_items, k, threads, ctx)
        } else {
            row_by_row(&item_users, &user_items, k, ctx)
        };
        ctx.check()?;
        let mut indptr = Vec::with_capacity(n_items + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        for row in rows {
            for (j, s) in row {
                indices.push(j);
                data.push(s);
            }
            indptr.push(indices.len());
        }
        Ok(Self {
            neighbours: Csr {
                n_rows: n_items,
                n_cols: n_items,
                indptr,
                indices,
                data,
            },
        })
    }
}

/// Memory allowed for the per-thread neighbour heaps of [`symmetric_rows`].
const SYMMETRIC_HEAP_BUDGET: usize = 512 * 1024 * 1024;

/// Items handled per work unit.
const ITEMS_PER_TASK: usize = 64;

/// Each item's K best (value desc, index asc), computing `sim(i, j)` once for
/// `j ≥ i` and offering it to both rows. Threads take fixed, interleaved blocks
/// of items and keep their own heaps, merged at the end; the result does not
/// depend on scheduling, and every value is the same sum, in the same order,
/// as the row-by-row pass computes.
fn symmetric_rows(
    item_users: &Csr,
    user_items: &Csr,
    k: usize,
    threads: usize,
    ctx: &FitContext,
) -> Vec<Vec<(u32, f32)>> {
    let n_items = item_users.n_rows;
    let per_thread: Vec<Vec<TopK>> = ctx.pool.install(|| {
        (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut heaps: Vec<TopK> = (0..n_items).map(|_| TopK::new(k)).collect();
                let mut acc = vec![0f32; n_items];
                let mut stamp = vec![0u32; n_items];
                let mut touched: Vec<u32> = Vec::new();
                let blocks = n_items.div_ceil(ITEMS_PER_TASK);
                for block in (t..blocks).step_by(threads) {
                    if ctx.cancel.is_cancelled() {
                        break;
                    }
                    let end = ((block + 1) * ITEMS_PER_TASK).min(n_items);
                    for i in block * ITEMS_PER_TASK..end {
                        let mark = i as u32 + 1;
                        let (users, w_iu) = item_users.row(i);
                        for (&u, &w1) in users.iter().zip(w_iu) {
                            let (its, w_uj) = user_items.row(u as usize);
                            // Rows are sorted: start at i itself.
                            let from = its.partition_point(|&j| (j as usize) < i);
                            for (&j, &w2) in its[from..].iter().zip(&w_uj[from..]) {
                                let j = j as usize;
                                if stamp[j] != mark {
                                    stamp[j] = mark;
                                    acc[j] = 0.0;
                                    touched.push(j as u32);
                                }
                                acc[j] += w1 * w2;
                            }
                        }
                        for &j in &touched {
                            let value = acc[j as usize];
                            if value != 0.0 {
                                heaps[i].offer(j, value);
                                if j as usize != i {
                                    heaps[j as usize].offer(i as u32, value);
                                }
                            }
                        }
                        touched.clear();
                    }
                }
                heaps
            })
            .collect()
    });
    (0..n_items)
        .map(|i| {
            let mut pairs: Vec<(u32, f32)> = per_thread
                .iter()
                .flat_map(|h| h[i].entries.iter().map(|&(v, j)| (j, v)))
                .collect();
            let mut best = top_n_in_place(&mut pairs, k);
            best.sort_unstable_by_key(|p| p.0);
            best
        })
        .collect()
}

/// Each item's K best by accumulating its full similarity row.
fn row_by_row(
    item_users: &Csr,
    user_items: &Csr,
    k: usize,
    ctx: &FitContext,
) -> Vec<Vec<(u32, f32)>> {
    let n_items = item_users.n_rows;
    ctx.pool.install(|| {
        (0..n_items)
            .collect::<Vec<_>>()
            .par_chunks(ITEMS_PER_TASK)
            .map(|items| {
                if ctx.cancel.is_cancelled() {
                    return Vec::new();
                }
                // `stamp[j] == i + 1` marks j as touched for item i.
                let mut acc = vec![0f32; n_items];
                let mut stamp = vec![0u32; n_items];
                let mut touched: Vec<u32> = Vec::new();
                let mut pairs: Vec<(u32, f32)> = Vec::new();
                items
                    .iter()
                    .map(|&i| {
                        let mark = i as u32 + 1;
                        let (users, w_iu) = item_users.row(i);
                        for (&u, &w1) in users.iter().zip(w_iu) {
                            let (its, w_uj) = user_items.row(u as usize);
                            for (&j, &w2) in its.iter().zip(w_uj) {
                                let j = j as usize;
                                if stamp[j] != mark {
                                    stamp[j] = mark;
                                    acc[j] = 0.0;
                                    touched.push(j as u32);
                                }
                                acc[j] += w1 * w2;
                            }
                        }
                        pairs.clear();
                        pairs.extend(
                            touched
                                .iter()
                                .map(|&j| (j, acc[j as usize]))
                                .filter(|p| p.1 != 0.0),
                        );
                        touched.clear();
                        let mut best = top_n_in_place(&mut pairs, k);
                        best.sort_unstable_by_key(|p| p.0);
                        best
                    })
                    .collect::<Vec<_>>()
            })
            .flatten()
            .collect()
    })
}

/// The K best (value desc, index asc) seen so far, as a min-heap on that order.
struct TopK {
    k: usize,
    entries: Vec<(f32, u32)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self {
            k,
            entries: Vec::new(),
        }
    }

    /// `a` ranks below `b`: smaller value, or equal value and larger index.
    fn worse(a: (f32, u32), b: (f32, u32)) -> bool {
        a.0 < b.0 || (a.0 == b.0 && a.1 > b.1)
    }

    fn offer(&mut self, index: u32, value: f32) {
        let item = (value, index);
        if self.entries.len() < self.k {
            self.entries.push(item);
            let mut c = self.entries.len() - 1;
            while c > 0 {
                let parent = (c - 1) / 2;
                if Self::worse(self.entries[c], self.entries[parent]) {
                    self.entries.swap(c, parent);
                    c = parent;
                } else {
                    break;
                }
            }
            return;
        }
        if self.k == 0 || !Self::worse(self.entries[0], item) {
            return;
        }
        self.entries[0] = item;
        let n = self.entries.len();
        let mut c = 0;
        loop {
            let (l, r) = (2 * c + 1, 2 * c + 2);
            let mut worst = c;
            if l < n && Self::worse(self.entries[l], self.entries[worst]) {
                worst = l;
            }
            if r < n && Self::worse(self.entries[r], self.entries[worst]) {
                worst = r;
            }
            if worst == c {
                break;
            }
            self.entries.swap(c, worst);
            c = worst;
        }
    }
}

impl Model for ItemKnn {
    fn scores(&self, _user: u32, row: (&[u32], &[f32]), out: &mut [f32]) {
        out.fill(0.0);
        for (&i, &x) in row.0.iter().zip(row.1) {
            let (js, sims) = self.neighbours.row(i as usize);
            for (&j, &s) in js.iter().zip(sims) {
                out[j as usize] += x * s;
            }
        }
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        let (js, sims) = self.neighbours.row(item as usize);
        let pairs = js
            .iter()
            .zip(sims)
            .filter(|(j, _)| **j != item)
            .map(|(j, s)| (*j, *s))
            .collect();
        top_n(pairs, n)
    }

    fn explain(&self, _user: u32, row: (&[u32], &[f32]), item: u32, n: usize) -> Vec<(u32, f32)> {
        let pairs = row
            .0
            .iter()
            .zip(row.1)
            .filter_map(|(&i, &x)| {
                let (js, sims) = self.neighbours.row(i as usize);
                js.binary_search(&item).ok().map(|p| (i, x * sims[p]))
            })
            .collect();
        top_n(pairs, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::CancelToken;

    #[test]
    fn symmetric_pass_equals_the_row_by_row_pass() {
        // A small random-ish matrix with ties.
        let mut triplets = Vec::new();
        for u in 0..60u32 {
            for i in 0..40u32 {
                if (u * 7 + i * 13) % 5 < 2 {
                    triplets.push((u, i, 1.0 + ((u + i) % 3) as f32));
                }
            }
        }
        let train = Csr::from_triplets(60, 40, triplets);
        let item_users = train.transpose();
        let user_items = item_users.transpose();
        let pool = crate::recsys::thread_pool(2).unwrap();
        let cancel = CancelToken::new();
        let ctx = FitContext {
            cancel: &cancel,
            on_epoch: &|_| {},
            validate: None,
            pool: &pool,
        };
        for k in [1, 5, 40] {
            let a = symmetric_rows(&item_users, &user_items, k, 2, &ctx);
            let b = row_by_row(&item_users, &user_items, k, &ctx);
            assert_eq!(a, b, "k = {k}");
            let c = symmetric_rows(&item_users, &user_items, k, 3, &ctx);
            assert_eq!(a, c, "thread count does not change the result");
        }
    }
}
