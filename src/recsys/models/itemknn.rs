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

use super::{item_item_reasons, top_n, top_n_in_place, FitContext, Model, ModelSnapshot};
use crate::recsys::matrix::Csr;
use crate::recsys::params::{ItemKnnParams, Similarity};
use crate::recsys::RecError;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemKnn {
    /// Row i: i's neighbors and similarities (sorted by neighbor index).
    /// (Workspaces written before the rename call it `neighbours`.)
    #[serde(alias = "neighbours")]
    pub neighbors: Csr,
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
        let chunk = 64;
        let rows: Vec<Vec<(u32, f32)>> = ctx.pool.install(|| {
            (0..n_items)
                .collect::<Vec<_>>()
                .par_chunks(chunk)
                .map(|items| {
                    if ctx.cancel.is_cancelled() {
                        return Vec::new();
                    }
                    // Per-thread dense accumulator, zero between items;
                    // `stamp[j] == i + 1` marks j as touched for item i, so
                    // nothing needs resetting but the touched entries. The inner
                    // loop has no data-dependent branch: j is always written
                    // to the next touched slot, which only advances when j is new.
                    let mut acc = vec![0f32; n_items];
                    let mut stamp = vec![0u32; n_items];
                    let mut touched = vec![0u32; n_items + 1];
                    let mut pairs: Vec<(u32, f32)> = Vec::new();
                    items
                        .iter()
                        .map(|&i| {
                            let mark = i as u32 + 1;
                            let mut n_touched = 0usize;
                            let (users, w_iu) = item_users.row(i);
                            for (&u, &w1) in users.iter().zip(w_iu) {
                                let (its, w_uj) = user_items.row(u as usize);
                                for (&j, &w2) in its.iter().zip(w_uj) {
                                    let fresh = stamp[j as usize] != mark;
                                    stamp[j as usize] = mark;
                                    touched[n_touched] = j;
                                    n_touched += usize::from(fresh);
                                    acc[j as usize] += w1 * w2;
                                }
                            }
                            pairs.clear();
                            for &j in &touched[..n_touched] {
                                let s = std::mem::take(&mut acc[j as usize]);
                                if s != 0.0 {
                                    pairs.push((j, s));
                                }
                            }
                            let mut best = top_n_in_place(&mut pairs, k);
                            best.sort_unstable_by_key(|p| p.0);
                            best
                        })
                        .collect::<Vec<_>>()
                })
                .flatten()
                .collect()
        });
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
            neighbors: Csr {
                n_rows: n_items,
                n_cols: n_items,
                indptr,
                indices,
                data,
            },
        })
    }
}

impl Model for ItemKnn {
    fn snapshot(&self) -> ModelSnapshot {
        ModelSnapshot::ItemKnn(self.clone())
    }

    fn scores(&self, _user: u32, row: (&[u32], &[f32]), out: &mut [f32]) {
        out.fill(0.0);
        for (&i, &x) in row.0.iter().zip(row.1) {
            let (js, sims) = self.neighbors.row(i as usize);
            for (&j, &s) in js.iter().zip(sims) {
                out[j as usize] += x * s;
            }
        }
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        let (js, sims) = self.neighbors.row(item as usize);
        let pairs = js
            .iter()
            .zip(sims)
            .filter(|(j, _)| **j != item)
            .map(|(j, s)| (*j, *s))
            .collect();
        top_n(pairs, n)
    }

    fn explain(&self, _user: u32, row: (&[u32], &[f32]), item: u32, n: usize) -> Vec<(u32, f32)> {
        item_item_reasons(row, n, |i| {
            let (js, sims) = self.neighbors.row(i as usize);
            js.binary_search(&item).ok().map(|p| sims[p])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspaces_from_before_the_rename_still_read() {
        let model = ItemKnn {
            neighbors: Csr::from_triplets(2, 2, vec![(0, 1, 0.5), (1, 0, 0.5)]),
        };
        let json = serde_json::to_string(&model).unwrap();
        let old = json.replace("\"neighbors\"", "\"neighbours\"");
        let back: ItemKnn = serde_json::from_str(&old).unwrap();
        assert_eq!(back.neighbors, model.neighbors);
    }
}
