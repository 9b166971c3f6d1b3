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

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::{item_item_reasons, top_n, FitContext, Model, ModelSnapshot, SparseScores};
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
        let item_users = weighted_item_users(params, train);
        let user_items = item_users.transpose();
        let neighbors = nearest_neighbors(&item_users, &user_items, params.neighbors, ctx)?;
        Ok(Self { neighbors })
    }
}

/// The train matrix as items × users, weighted by the similarity's scheme.
fn weighted_item_users(params: &ItemKnnParams, train: &Csr) -> Csr {
    let n_items = train.n_cols;
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
    item_users
}

/// Items whose co-occurrences one claim of work covers.
const CHUNK: usize = 64;

/// Each item's `k` most similar items (by value desc, then index asc; zero
/// similarities left out), as rows sorted by neighbor index.
///
/// The similarity is symmetric, so each pair is computed once: item i
/// accumulates only its co-occurrences with items j > i (the tail of each
/// user's row after i), keeps its best `k` of those, and offers `(i, s)` to j
/// as a candidate from below. Both halves sum `w_ui · w_uj` over the same
/// users in the same order, so `sim(i, j)` and `sim(j, i)` are the same f32
/// bits, and the top k of the union of the two halves' top k is the top k of
/// the full row: the result equals the one-sided computation exactly.
fn nearest_neighbors(
    item_users: &Csr,
    user_items: &Csr,
    k: usize,
    ctx: &FitContext,
) -> Result<Csr, RecError> {
    let n_items = item_users.n_rows;
    if k == 0 {
        return Ok(Csr {
            n_rows: n_items,
            n_cols: n_items,
            indptr: vec![0; n_items + 1],
            indices: Vec::new(),
            data: Vec::new(),
        });
    }
    let position = positions_in_user_rows(item_users, user_items);
    let next_chunk = AtomicUsize::new(0);
    let n_chunks = n_items.div_ceil(CHUNK);
    let shared = Shared {
        item_users,
        user_items,
        position: &position,
        k,
        next_chunk: &next_chunk,
        n_chunks,
        ctx,
    };
    // One worker per pool thread, each claiming chunks until none are left,
    // so candidates from below need no lock: each worker keeps its own.
    let mut workers: Vec<Worker> = ctx.pool.broadcast(|_| {
        let mut worker = Worker::new(n_items);
        worker.run(&shared);
        worker
    });
    ctx.check()?;
    let mut upper: Vec<Vec<u64>> = vec![Vec::new(); n_items];
    for worker in &mut workers {
        for (item, best) in worker.upper.drain(..) {
            upper[item] = best;
        }
    }
    let rows: Vec<Vec<(u32, f32)>> = ctx.pool.install(|| {
        upper
            .into_par_iter()
            .enumerate()
            .map(|(i, mut row)| {
                row.reserve(workers.iter().map(|w| w.lower[i].len()).sum());
                for worker in &workers {
                    row.extend_from_slice(&worker.lower[i]);
                }
                keep_best(&mut row, k);
                let mut best: Vec<(u32, f32)> = row.into_iter().map(unpack).collect();
                best.sort_unstable_by_key(|p| p.0);
                best
            })
            .collect()
    });
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
    Ok(Csr {
        n_rows: n_items,
        n_cols: n_items,
        indptr,
        indices,
        data,
    })
}

/// `(j, s)` packed into one integer whose ascending order is the neighbour
/// order: higher similarity first, then lower index. Selecting on plain
/// integers is several times faster than on `(u32, f32)` with a comparator,
/// and selection is a third of the fit. (Similarities here are finite
/// and non-zero, where this order and [`super::best_first`] agree.)
fn pack(j: u32, s: f32) -> u64 {
    let bits = s.to_bits();
    // Order-preserving map of the float onto u32 (negatives reversed).
    let ordered = if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    (u64::from(!ordered) << 32) | u64::from(j)
}

fn unpack(key: u64) -> (u32, f32) {
    let ordered = !((key >> 32) as u32);
    let bits = if ordered & 0x8000_0000 != 0 {
        ordered & 0x7fff_ffff
    } else {
        !ordered
    };
    (key as u32, f32::from_bits(bits))
}

/// Keep the `k` best packed keys of `keys` (in no particular order).
fn keep_best(keys: &mut Vec<u64>, k: usize) {
    if keys.len() > k {
        keys.select_nth_unstable(k);
        keys.truncate(k);
    }
}

/// For each entry (item i, user u) of `item_users`, where i sits in u's row
/// of `user_items` (its transpose, rows sorted by item).
fn positions_in_user_rows(item_users: &Csr, user_items: &Csr) -> Vec<u32> {
    let mut next = item_users.indptr.clone();
    let mut position = vec![0u32; item_users.indices.len()];
    for u in 0..user_items.n_rows {
        for (p, &i) in user_items.row(u).0.iter().enumerate() {
            position[next[i as usize]] = p as u32;
            next[i as usize] += 1;
        }
    }
    position
}

/// What every worker reads.
struct Shared<'a> {
    item_users: &'a Csr,
    user_items: &'a Csr,
    position: &'a [u32],
    k: usize,
    next_chunk: &'a AtomicUsize,
    n_chunks: usize,
    ctx: &'a FitContext<'a>,
}

/// One thread's scratch space and results.
struct Worker {
    /// Dense accumulator, zero between items.
    acc: Vec<f32>,
    /// `stamp[j] == i + 1` marks j as touched for item i, so nothing needs
    /// resetting but the touched entries.
    stamp: Vec<u32>,
    touched: Vec<u32>,
    /// Item i's packed pairs (see [`pack`]).
    pairs: Vec<u64>,
    /// (item, its best k among itself and the items above it), packed.
    upper: Vec<(usize, Vec<u64>)>,
    /// Per item j: packed candidates (i, sim) from items i < j this worker
    /// handled, pruned to the best k whenever they reach 2k.
    lower: Vec<Vec<u64>>,
    /// Per item j: the k-th best key in `lower[j]` after its last pruning;
    /// a candidate ranked after it can never make j's top k.
    floor: Vec<u64>,
}

impl Worker {
    fn new(n_items: usize) -> Self {
        Self {
            acc: vec![0.0; n_items],
            stamp: vec![0; n_items],
            touched: vec![0; n_items + 1],
            pairs: Vec::new(),
            upper: Vec::new(),
            lower: vec![Vec::new(); n_items],
            floor: vec![u64::MAX; n_items],
        }
    }

    fn run(&mut self, shared: &Shared) {
        let n_items = shared.item_users.n_rows;
        loop {
            let chunk = shared.next_chunk.fetch_add(1, Ordering::Relaxed);
            if chunk >= shared.n_chunks || shared.ctx.cancel.is_cancelled() {
                return;
            }
            let items = chunk * CHUNK..((chunk + 1) * CHUNK).min(n_items);
            for i in items {
                self.item(i, shared);
            }
            if chunk.is_multiple_of(16) {
                (shared.ctx.on_progress)(
                    chunk as f32 / shared.n_chunks as f32,
                    "item kNN: similarities",
                );
            }
        }
    }

    /// Item i's similarities to itself and the items above it.
    fn item(&mut self, i: usize, shared: &Shared) {
        let mark = i as u32 + 1;
        let mut n_touched = 0usize;
        let mut diagonal = 0f32;
        let (a, b) = (shared.item_users.indptr[i], shared.item_users.indptr[i + 1]);
        for e in a..b {
            let u = shared.item_users.indices[e] as usize;
            let w1 = shared.item_users.data[e];
            diagonal += w1 * w1;
            let (its, w_uj) = shared.user_items.row(u);
            let after = shared.position[e] as usize + 1;
            // No data-dependent branch: j is always written to the next
            // touched slot, which only advances when j is new.
            for (&j, &w2) in its[after..].iter().zip(&w_uj[after..]) {
                let fresh = self.stamp[j as usize] != mark;
                self.stamp[j as usize] = mark;
                self.touched[n_touched] = j;
                n_touched += usize::from(fresh);
                self.acc[j as usize] += w1 * w2;
            }
        }
        self.pairs.clear();
        if diagonal != 0.0 {
            self.pairs.push(pack(i as u32, diagonal));
        }
        // Items below i already offered this worker k candidates at least
        // this good, so a pair below that floor cannot make i's top k (it
        // may still make j's).
        let floor = self.floor[i];
        for t in 0..n_touched {
            let j = self.touched[t];
            let s = std::mem::take(&mut self.acc[j as usize]);
            if s != 0.0 {
                let key = pack(j, s);
                if key < floor {
                    self.pairs.push(key);
                }
                self.offer_from_below(j as usize, pack(i as u32, s), shared.k);
            }
        }
        keep_best(&mut self.pairs, shared.k);
        self.upper.push((i, self.pairs.clone()));
    }

    fn offer_from_below(&mut self, j: usize, candidate: u64, k: usize) {
        if candidate > self.floor[j] {
            return;
        }
        let list = &mut self.lower[j];
        if list.capacity() == 0 {
            // Lists fill to 2k and are cut back to k: allocate once.
            list.reserve_exact(2 * k);
        }
        list.push(candidate);
        if list.len() >= 2 * k {
            list.select_nth_unstable(k - 1);
            list.truncate(k);
            self.floor[j] = list[k - 1];
        }
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

    /// The same sums in the same order as [`Self::scores`], so the same bits.
    fn add_sparse_scores(&self, row: (&[u32], &[f32]), out: &mut SparseScores) -> bool {
        for (&i, &x) in row.0.iter().zip(row.1) {
            let (js, sims) = self.neighbors.row(i as usize);
            for (&j, &s) in js.iter().zip(sims) {
                out.add(j, x * s);
            }
        }
        true
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

    /// Every pair's similarity summed one-sidedly (over i's users in order),
    /// each row's best `k` by value desc then index asc: the definition the
    /// symmetric computation must reproduce bit for bit.
    fn one_sided(item_users: &Csr, k: usize) -> Csr {
        let user_items = item_users.transpose();
        let n = item_users.n_rows;
        let mut triplets = Vec::new();
        for i in 0..n {
            let mut acc = vec![0f32; n];
            let (users, w_iu) = item_users.row(i);
            for (&u, &w1) in users.iter().zip(w_iu) {
                let (its, w_uj) = user_items.row(u as usize);
                for (&j, &w2) in its.iter().zip(w_uj) {
                    acc[j as usize] += w1 * w2;
                }
            }
            let pairs = (0..n as u32)
                .zip(acc)
                .filter(|p| p.1 != 0.0)
                .collect::<Vec<_>>();
            for (j, s) in top_n(pairs, k) {
                triplets.push((i as u32, j, s));
            }
        }
        Csr::from_triplets(n, n, triplets)
    }

    /// A random user × item matrix with small integer weights, so that many
    /// similarities tie exactly.
    fn random_train(users: usize, items: usize, seed: u64) -> Csr {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut triplets = Vec::new();
        for u in 0..users {
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..rng.gen_range(0..12) {
                // Popular low ids, as real catalogues have.
                let i = (rng.gen::<f64>().powi(3) * items as f64) as u32;
                if seen.insert(i) {
                    triplets.push((u as u32, i, rng.gen_range(1..4) as f32));
                }
            }
        }
        Csr::from_triplets(users, items, triplets)
    }

    #[test]
    fn symmetric_neighbours_equal_the_one_sided_definition() {
        let cancel = crate::task::CancelToken::new();
        for threads in [1, 2, 3] {
            let pool = crate::task::thread_pool(threads).unwrap();
            let ctx = FitContext::quiet(&cancel, &pool);
            for (seed, k) in [(1, 1), (2, 3), (3, 7), (4, 40), (5, 500)] {
                let train = random_train(300, 150, seed);
                for similarity in [Similarity::Cosine, Similarity::Bm25] {
                    let params = ItemKnnParams {
                        similarity,
                        neighbors: k,
                        ..Default::default()
                    };
                    let model = ItemKnn::fit(&params, &train, &ctx).unwrap();
                    let item_users = weighted_item_users(&params, &train);
                    assert_eq!(
                        model.neighbors,
                        one_sided(&item_users, k),
                        "{similarity:?}, k {k}, {threads} threads"
                    );
                }
            }
        }
    }

    #[test]
    fn packed_keys_sort_like_the_neighbour_order_and_unpack_exactly() {
        let values = [3.5f32, -2.0, 1e-30, -1e-30, 0.25, 0.25, 7e20, -7e20, 1.0];
        let pairs: Vec<(u32, f32)> = values
            .iter()
            .enumerate()
            .map(|(j, &s)| ((j as u32 * 7919) % 13, s))
            .collect();
        let mut by_comparator = pairs.clone();
        by_comparator.sort_by(super::super::best_first);
        let mut keys: Vec<u64> = pairs.iter().map(|&(j, s)| pack(j, s)).collect();
        keys.sort_unstable();
        let by_key: Vec<(u32, f32)> = keys.into_iter().map(unpack).collect();
        assert_eq!(by_key, by_comparator);
    }

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
