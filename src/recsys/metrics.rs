//! Ranking metrics at k. For each evaluated user every item not in their train
//! row is ranked by score, ties by smaller item index; `rel` is the user's set of
//! relevant items (see [`super::split`]), `hits@k` the relevant items in the top k.
//!
//! - **HR@k**: share of evaluated users with at least one hit in the top k.
//! - **precision@k**: hits@k / k, averaged over users.
//! - **recall@k**: hits@k / min(k, |rel|), averaged over users.
//! - **NDCG@k**: DCG = Σ over hit ranks r (1-based) of 1 / log2(r + 1), divided by
//!   the ideal DCG of min(k, |rel|) hits; averaged over users.
//! - **MAP@k**: AP@k = Σ over hit ranks r of precision@r, divided by
//!   min(k, |rel|); averaged over users.
//! - **MRR**: 1 / rank of the first relevant item in the full ranking (not cut
//!   at k); averaged over users.
//! - **coverage**: distinct items recommended in any evaluated user's top k ÷
//!   catalogue size.
//! - **novelty**: mean self-information −log2 p(i) of recommended items, where
//!   p(i) = (train users with item i, at least 1) ÷ users with training history.
//!
//! - **sampled100_hr@k, sampled100_ndcg@k** (*sampled*, for comparison with
//!   papers that rank against sampled negatives, as SASRec's code does): each
//!   relevant item is ranked among itself and 100 items drawn uniformly, with
//!   replacement, from the items not in the user's train row nor relevant;
//!   HR is 1 when its rank r ≤ k, NDCG is 1 / log2(r + 1) then; averaged over
//!   the user's relevant items, then over users. Ties go to the smaller item
//!   index, as above. The draws are seeded by the user's index, so every model
//!   is ranked against the same negatives.
//!
//! The evaluated users are those with training history ([`evaluate`]); new
//! customers are scored separately by their fallback ([`super::cold`]) with
//! the same definitions ([`evaluate_rankings`]).

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::dense_rank::{self, Ask, DenseRanker};
use super::matrix::Csr;
use super::models::{Factors, Model};
use super::sparse_rank::SparseScores;
use crate::task::{CancelToken, Cancelled};

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metrics {
    pub k: usize,
    pub hr: f64,
    pub precision: f64,
    pub recall: f64,
    pub ndcg: f64,
    pub map: f64,
    /// Over the full ranking, not cut at k.
    pub mrr: f64,
    pub coverage: f64,
    pub novelty: f64,
    /// Users whose rankings the metrics average: the denominator.
    pub users_evaluated: usize,
    /// When the users were a random sample: how many customers it was drawn
    /// from (`users_evaluated` of them were evaluated); `None` otherwise,
    /// and in records written before samples existed.
    pub users_sampled_from: Option<usize>,
    /// HR@k and NDCG@k against 100 sampled negatives (see the module docs).
    #[serde(default)]
    pub sampled_hr: Option<f64>,
    #[serde(default)]
    pub sampled_ndcg: Option<f64>,
}

/// Negatives each relevant item is ranked against in the sampled metrics.
pub const SAMPLED_NEGATIVES: usize = 100;

impl Metrics {
    /// `{"hr@10": …, "ndcg@10": …, "mrr": …}` as the CLI prints them.
    pub fn to_map(&self) -> BTreeMap<String, f64> {
        let k = self.k;
        let mut map = BTreeMap::from([
            (format!("hr@{k}"), self.hr),
            (format!("precision@{k}"), self.precision),
            (format!("recall@{k}"), self.recall),
            (format!("ndcg@{k}"), self.ndcg),
            (format!("map@{k}"), self.map),
            ("mrr".to_owned(), self.mrr),
            ("coverage".to_owned(), self.coverage),
            ("novelty".to_owned(), self.novelty),
        ]);
        if let (Some(hr), Some(ndcg)) = (self.sampled_hr, self.sampled_ndcg) {
            map.insert(format!("sampled{SAMPLED_NEGATIVES}_hr@{k}"), hr);
            map.insert(format!("sampled{SAMPLED_NEGATIVES}_ndcg@{k}"), ndcg);
        }
        map
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        let base = name.split('@').next().unwrap_or(name);
        Some(match base {
            "hr" => self.hr,
            "precision" => self.precision,
            "recall" => self.recall,
            "ndcg" => self.ndcg,
            "map" => self.map,
            "mrr" => self.mrr,
            "coverage" => self.coverage,
            "novelty" => self.novelty,
            "sampled100_hr" => return self.sampled_hr,
            "sampled100_ndcg" => return self.sampled_ndcg,
            _ => return None,
        })
    }
}

/// Per-user results, summed later.
#[derive(Default)]
struct Partial {
    users: usize,
    hits_any: f64,
    precision: f64,
    recall: f64,
    ndcg: f64,
    map: f64,
    mrr: f64,
    novelty: f64,
    novelty_n: usize,
    recommended: Vec<u32>,
    sampled_hr: f64,
    sampled_ndcg: f64,
    sampled_users: usize,
}

impl Partial {
    fn merge(mut self, other: Partial) -> Partial {
        self.users += other.users;
        self.hits_any += other.hits_any;
        self.precision += other.precision;
        self.recall += other.recall;
        self.ndcg += other.ndcg;
        self.map += other.map;
        self.mrr += other.mrr;
        self.novelty += other.novelty;
        self.novelty_n += other.novelty_n;
        self.recommended.extend(other.recommended);
        self.sampled_hr += other.sampled_hr;
        self.sampled_ndcg += other.sampled_ndcg;
        self.sampled_users += other.sampled_users;
        self
    }
}

/// Top `k` of `scores` by (score desc, index asc), skipping `excluded` (sorted);
/// a NaN score ranks below every number, and −0 ties with +0.
pub fn top_k(scores: &[f32], excluded: &[u32], k: usize) -> Vec<u32> {
    let mut top = TopK::new(k);
    top.offer(scores, 0, excluded);
    top.into_items()
}

/// [`top_k`] of a catalogue offered a tile at a time, in index order (a
/// factor model's big catalogue is scored a tile at a time, see
/// [`super::dense_rank`]); the result is the same as one pass over all.
///
/// One pass in index order with a k-entry heap whose root is the worst kept
/// item: an item enters only when its score is strictly above the root's (an
/// equal score comes later in index order, so it ranks below), which makes the
/// common case one comparison per item; the excluded list is walked alongside.
pub struct TopK {
    heap: std::collections::BinaryHeap<Ranked>,
    floor: f32,
    k: usize,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        Self {
            heap: std::collections::BinaryHeap::new(),
            floor: f32::NEG_INFINITY,
            k,
        }
    }

    /// Offers the items `start..start + scores.len()`, scored `scores`,
    /// skipping those in `excluded` (sorted; items outside the tile are
    /// passed over). Tiles come in index order.
    pub fn offer(&mut self, scores: &[f32], start: usize, excluded: &[u32]) {
        let k = self.k;
        if k == 0 {
            return;
        }
        if self.heap.capacity() == 0 {
            self.heap.reserve(k.min(scores.len()));
        }
        let from = excluded.partition_point(|&e| (e as usize) < start);
        let mut excluded = excluded[from..].iter().copied().peekable();
        for (run_index, run) in scores.chunks(SKIP_RUN).enumerate() {
            // Once the heap is full, a run of items none of which beats the
            // floor is passed over after one vectorised maximum: most of a
            // large catalogue never gets near the top k.
            if self.heap.len() == k && max_of(run) <= self.floor {
                continue;
            }
            for (offset, &score) in run.iter().enumerate() {
                let index = (start + run_index * SKIP_RUN + offset) as u32;
                while excluded.next_if(|&e| e < index).is_some() {}
                if excluded.next_if_eq(&index).is_some() {
                    continue;
                }
                // `+ 0.0` turns −0 into +0, so the two tie as numbers do.
                let score = if score.is_nan() {
                    f32::NEG_INFINITY
                } else {
                    score + 0.0
                };
                if self.heap.len() < k {
                    self.heap.push(Ranked { score, index });
                    if self.heap.len() == k {
                        self.floor = self.heap.peek().map_or(f32::NEG_INFINITY, |r| r.score);
                    }
                } else if score > self.floor {
                    if let Some(mut worst) = self.heap.peek_mut() {
                        *worst = Ranked { score, index };
                    }
                    self.floor = self.heap.peek().map_or(f32::NEG_INFINITY, |r| r.score);
                }
            }
        }
    }

    /// The kept items, best first.
    pub fn into_items(self) -> Vec<u32> {
        // Ascending in `Ranked`'s order is best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.index)
            .collect()
    }
}

/// Items [`top_k`] looks over at once for one above its floor.
const SKIP_RUN: usize = 64;

/// The largest number of `run` (NaNs ignored; −∞ for none), in eight lanes
/// so that it vectorises.
fn max_of(run: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = run.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..8 {
            lanes[l] = lanes[l].max(c[l]);
        }
    }
    rest.iter()
        .chain(&lanes)
        .fold(f32::NEG_INFINITY, |m, &v| m.max(v))
}

/// An item in [`top_k`]'s heap, ordered so that *greater* means *ranks lower*
/// (lower score, then larger index): the max-heap's root is the worst kept.
#[derive(Clone, Copy, Debug)]
struct Ranked {
    score: f32,
    index: u32,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.index.cmp(&other.index))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Ranked {}

pub use crate::neural::validation::rank_among as rank_of;

/// Metrics of `user`'s ranking given their relevant items.
fn score_user(
    scores: &[f32],
    excluded: &[u32],
    relevant: &[u32],
    k: usize,
    log_pop: &[f64],
) -> Partial {
    let top = top_k(scores, excluded, k);
    let first_rank = relevant
        .iter()
        .map(|&i| rank_of(scores, excluded, i))
        .min()
        .unwrap_or(usize::MAX);
    partial_of(top, first_rank, relevant, k, log_pop)
}

/// [`score_user`] of a row that is +0 but at the items it touched.
fn score_sparse_user(
    scores: &SparseScores,
    excluded: &[u32],
    relevant: &[u32],
    k: usize,
    log_pop: &[f64],
) -> Partial {
    let top = scores.top_k(excluded, k);
    let first_rank = relevant
        .iter()
        .map(|&i| scores.rank_of(excluded, i))
        .min()
        .unwrap_or(usize::MAX);
    partial_of(top, first_rank, relevant, k, log_pop)
}

/// One user's sums from their `top` k and the full-ranking rank of their
/// first relevant item.
fn partial_of(
    top: Vec<u32>,
    first_rank: usize,
    relevant: &[u32],
    k: usize,
    log_pop: &[f64],
) -> Partial {
    let mut hits = 0usize;
    let mut dcg = 0.0;
    let mut ap = 0.0;
    for (r, item) in top.iter().enumerate() {
        if relevant.binary_search(item).is_ok() {
            hits += 1;
            dcg += 1.0 / ((r + 2) as f64).log2();
            ap += hits as f64 / (r + 1) as f64;
        }
    }
    let ideal_hits = k.min(relevant.len());
    let idcg: f64 = (0..ideal_hits).map(|r| 1.0 / ((r + 2) as f64).log2()).sum();
    Partial {
        users: 1,
        hits_any: f64::from(u8::from(hits > 0)),
        precision: hits as f64 / k as f64,
        recall: hits as f64 / ideal_hits as f64,
        ndcg: dcg / idcg,
        map: ap / ideal_hits as f64,
        mrr: 1.0 / first_rank as f64,
        novelty: top.iter().map(|&i| log_pop[i as usize]).sum(),
        novelty_n: top.len(),
        recommended: top,
        ..Partial::default()
    }
}

/// −log2 of each item's share of the users with training history.
pub fn self_information(train: &Csr) -> Vec<f64> {
    let with_history = (0..train.n_rows).filter(|&u| train.row_len(u) > 0).count();
    self_information_of(&train.col_counts(), with_history)
}

/// −log2 of each item's share of `with_history` users, from each item's
/// number of train users (an item nobody has counts as one).
pub fn self_information_of(item_users: &[u32], with_history: usize) -> Vec<f64> {
    let with_history = with_history.max(1) as f64;
    item_users
        .iter()
        .map(|&c| -((f64::from(c.max(1))) / with_history).log2())
        .collect()
}

/// The users to evaluate: every user with relevant items, or, when `limit`
/// is above 0 and below their number, `limit` of them drawn uniformly
/// without replacement with `seed` (in index order, so the metrics' sums
/// run in the same order as for all users).
pub fn evaluation_users(relevant: &[Vec<u32>], limit: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    let all: Vec<usize> = (0..relevant.len())
        .filter(|&u| !relevant[u].is_empty())
        .collect();
    if limit == 0 || limit >= all.len() {
        return all;
    }
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut picked: Vec<usize> = rand::seq::index::sample(&mut rng, all.len(), limit)
        .into_iter()
        .map(|i| all[i])
        .collect();
    picked.sort_unstable();
    picked
}

/// Evaluate `model` on `users` (see [`evaluation_users`]), on `pool`'s
/// threads, scoring them a block at a time ([`Model::score_block`]);
/// `progress` sees the share of users done.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    model: &dyn Model,
    train: &Csr,
    relevant: &[Vec<u32>],
    users: &[usize],
    k: usize,
    pool: &rayon::ThreadPool,
    cancel: &CancelToken,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<Metrics, Cancelled> {
    let log_pop = self_information(train);
    evaluate_with(
        model, train, relevant, users, k, &log_pop, pool, cancel, progress,
    )
}

/// [`evaluate`] with each item's self-information given: for a train
/// matrix that holds only the evaluated users (a sample of a file too big
/// to open), the popularity of the whole train split.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_with(
    model: &dyn Model,
    train: &Csr,
    relevant: &[Vec<u32>],
    users: &[usize],
    k: usize,
    log_pop: &[f64],
    pool: &rayon::ThreadPool,
    cancel: &CancelToken,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<Metrics, Cancelled> {
    let score = |block: &[usize], scores: &mut [f32]| {
        let block: Vec<u32> = block.iter().map(|&u| u as u32).collect();
        model.score_block(&block, train, scores);
    };
    let sparse = |u: usize, out: &mut SparseScores| {
        model.add_sparse_scores(train.row(u), out);
    };
    evaluate_rankings(
        &Ranking {
            users,
            n_items: train.n_cols,
            score: &score,
            sparse: model.scores_sparsely().then_some(&sparse),
            factors: model.factors(),
            excluded: &|u| train.row(u).0,
            relevant: &|u| &relevant[u],
            k,
            log_pop,
        },
        pool,
        cancel,
        progress,
    )
}

/// Adds user `u`'s scores into a row of +0s ([`Model::add_sparse_scores`]).
pub type AddScores<'a> = dyn Fn(usize, &mut SparseScores) + Sync + 'a;

/// What [`evaluate_rankings`] ranks, and for whom.
pub struct Ranking<'d> {
    /// The users, by index.
    pub users: &'d [usize],
    pub n_items: usize,
    /// Every item's score for a block of users, row by row into the slice
    /// (`block.len()` rows of `n_items`).
    pub score: &'d (dyn Fn(&[usize], &mut [f32]) + Sync),
    /// For models that touch few items per user ([`Model::add_sparse_scores`]):
    /// adds a user's scores into a row of +0s, used instead of `score`.
    pub sparse: Option<&'d AddScores<'d>>,
    /// For models whose scores are the dot products of these factors
    /// ([`Model::factors`]): a large catalogue is then ranked a tile at a
    /// time ([`super::dense_rank`]) instead of by `score`'s whole rows.
    pub factors: Option<&'d Factors>,
    /// A user's items that are not ranked (sorted).
    pub excluded: &'d (dyn Fn(usize) -> &'d [u32] + Sync),
    /// A user's hits to find (sorted).
    pub relevant: &'d (dyn Fn(usize) -> &'d [u32] + Sync),
    pub k: usize,
    /// Each item's self-information, for novelty.
    pub log_pop: &'d [f64],
}

/// Users summed together before the sums are merged in order: fixed, so
/// the float sums (and so the metrics) are the same on any number of threads
/// and whatever the blocks.
const CHUNK: usize = 64;
const _: () = assert!(dense_rank::BLOCK_ROWS.is_multiple_of(CHUNK));

/// Rows of scores a thread holds at once (about 16 MB of scores): up to 256
/// customers in one matrix product, fewer where the catalogue is large.
pub fn rows_per_block(n_items: usize) -> usize {
    ((4 << 20) / n_items.max(1)).clamp(1, 4 * CHUNK)
}

/// A scorer of one user at a time as a [`Ranking::score`] of blocks.
pub fn per_user(
    score: &(dyn Fn(usize, &mut [f32]) + Sync),
    n_items: usize,
) -> impl Fn(&[usize], &mut [f32]) + Sync + '_ {
    move |block, out| {
        for (&u, row) in block.iter().zip(out.chunks_exact_mut(n_items.max(1))) {
            score(u, row);
        }
    }
}

/// The metrics of the rankings `r` gives its users, on `pool`'s threads,
/// with the share of users done reported to `progress`.
pub fn evaluate_rankings(
    r: &Ranking,
    pool: &rayon::ThreadPool,
    cancel: &CancelToken,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<Metrics, Cancelled> {
    let n_items = r.n_items.max(1);
    let block_rows = rows_per_block(n_items);
    let tiled = r.factors.filter(|f| dense_rank::ranks_tiled(f, n_items));
    // A thread's unit of work: whole chunks, as many as fit in a block.
    let unit = match tiled {
        Some(_) => dense_rank::BLOCK_ROWS,
        None => CHUNK * (block_rows / CHUNK).max(1),
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total_users = r.users.len().max(1);
    let total = pool.install(|| {
        r.users
            .par_chunks(unit)
            .map_init(
                || (Vec::new(), None, SeenItems::default(), None),
                |(scores, sparse_row, seen, ranker): &mut (
                    Vec<f32>,
                    Option<SparseScores>,
                    SeenItems,
                    Option<DenseRanker>,
                ),
                 users| {
                    if cancel.is_cancelled() {
                        return Vec::new();
                    }
                    // One sum per chunk of users, in order.
                    let mut sums: Vec<Partial> = Vec::with_capacity(users.len().div_ceil(CHUNK));
                    let mut add = |position: usize, p: Partial| {
                        if position.is_multiple_of(CHUNK) {
                            sums.push(Partial::default());
                        }
                        if let Some(sum) = sums.last_mut() {
                            *sum = std::mem::take(sum).merge(p);
                        }
                    };
                    match (r.sparse, tiled) {
                        (None, Some(factors)) => {
                            let ranker = ranker.get_or_insert_with(|| {
                                DenseRanker::new(factors, dense_rank::TILE_ITEMS)
                            });
                            for (position, p) in
                                rank_tiled(ranker, users, r, seen).into_iter().enumerate()
                            {
                                add(position, p);
                            }
                        }
                        (Some(sparse), _) => {
                            let row = sparse_row.get_or_insert_with(|| SparseScores::new(n_items));
                            for (position, &u) in users.iter().enumerate() {
                                sparse(u, row);
                                let (excluded, relevant) = ((r.excluded)(u), (r.relevant)(u));
                                let mut p =
                                    score_sparse_user(row, excluded, relevant, r.k, r.log_pop);
                                let score = (|j: u32| row.values()[j as usize], row.values().len());
                                sampled_ranks(&mut p, score, u, (excluded, relevant), seen, r.k);
                                row.clear();
                                add(position, p);
                            }
                        }
                        (None, None) => {
                            let mut position = 0;
                            for block in users.chunks(block_rows) {
                                scores.resize(block.len() * n_items, 0.0);
                                (r.score)(block, scores);
                                for (&u, row) in block.iter().zip(scores.chunks_exact(n_items)) {
                                    let (excluded, relevant) = ((r.excluded)(u), (r.relevant)(u));
                                    let mut p = score_user(row, excluded, relevant, r.k, r.log_pop);
                                    let score = (|j: u32| row[j as usize], row.len());
                                    let lists = (excluded, relevant);
                                    sampled_ranks(&mut p, score, u, lists, seen, r.k);
                                    add(position, p);
                                    position += 1;
                                }
                            }
                        }
                    }
                    let before = done.fetch_add(users.len(), std::sync::atomic::Ordering::Relaxed);
                    // About every 1,000 users, not every unit.
                    if (before + users.len()) / 1024 != before / 1024 {
                        progress((before + users.len()) as f32 / total_users as f32);
                    }
                    sums
                },
            )
            // Collect in order, then sum sequentially: a parallel reduce would add
            // floats in a scheduling-dependent order and break reproducibility.
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .fold(Partial::default(), Partial::merge)
    });
    cancel.check()?;
    let n = total.users.max(1) as f64;
    let mut distinct = total.recommended;
    distinct.sort_unstable();
    distinct.dedup();
    Ok(Metrics {
        k: r.k,
        hr: total.hits_any / n,
        precision: total.precision / n,
        recall: total.recall / n,
        ndcg: total.ndcg / n,
        map: total.map / n,
        mrr: total.mrr / n,
        coverage: distinct.len() as f64 / r.n_items.max(1) as f64,
        novelty: if total.novelty_n > 0 {
            total.novelty / total.novelty_n as f64
        } else {
            0.0
        },
        users_evaluated: total.users,
        sampled_hr: (total.sampled_users > 0)
            .then(|| total.sampled_hr / total.sampled_users as f64),
        sampled_ndcg: (total.sampled_users > 0)
            .then(|| total.sampled_ndcg / total.sampled_users as f64),
        users_sampled_from: None,
    })
}

/// The partial sums of `users`, ranked a tile of items at a time by
/// `ranker`, in order.
fn rank_tiled(
    ranker: &mut DenseRanker,
    users: &[usize],
    r: &Ranking,
    seen: &mut SeenItems,
) -> Vec<Partial> {
    let n_items = r.n_items.max(1);
    let lists: Vec<(&[u32], &[u32])> = users
        .iter()
        .map(|&u| ((r.excluded)(u), (r.relevant)(u)))
        .collect();
    let negatives: Vec<Option<Vec<u32>>> = users
        .iter()
        .zip(&lists)
        .map(|(&u, &lists)| draw_negatives(n_items, u, lists, seen))
        .collect();
    let asks: Vec<Ask> = lists
        .iter()
        .zip(&negatives)
        .map(|(&(excluded, relevant), drawn)| Ask {
            excluded,
            relevant,
            probes: drawn.as_deref().unwrap_or(&[]),
        })
        .collect();
    let ranked = ranker.rank(users, &asks, r.k);
    asks.iter()
        .zip(&negatives)
        .zip(ranked)
        .map(|((ask, drawn), got)| {
            let mut p = partial_of(got.top, got.first_rank, ask.relevant, r.k, r.log_pop);
            if let Some(drawn) = drawn {
                let (relevant_scores, drawn_scores) = got.scores.split_at(ask.relevant.len());
                add_sampled(
                    &mut p,
                    (ask.relevant, |i| relevant_scores[i]),
                    (drawn, |i| drawn_scores[i]),
                    r.k,
                );
            }
            p
        })
        .collect()
}

/// The items of the user being ranked that are not drawn as sampled
/// negatives (their excluded and relevant ones), as one flag per item: a
/// draw then checks a flag instead of searching both lists. Sized on first
/// use.
#[derive(Default)]
struct SeenItems(Vec<bool>);

impl SeenItems {
    /// Flags (`on`) or unflags the lists' items inside the catalogue.
    fn set(&mut self, (excluded, relevant): (&[u32], &[u32]), on: bool) {
        for &j in excluded.iter().chain(relevant) {
            if let Some(flag) = self.0.get_mut(j as usize) {
                *flag = on;
            }
        }
    }
}

/// Add user `u`'s sampled HR and NDCG to `p` (see the module docs), from
/// `score` over `n` items; users with no item left to sample from are
/// skipped. `seen` is all unflagged before and after.
fn sampled_ranks(
    p: &mut Partial,
    (score, n): (impl Fn(u32) -> f32, usize),
    u: usize,
    lists: (&[u32], &[u32]),
    seen: &mut SeenItems,
    k: usize,
) {
    let Some(negatives) = draw_negatives(n, u, lists, seen) else {
        return;
    };
    let relevant = lists.1;
    add_sampled(
        p,
        (relevant, |r| score(relevant[r])),
        (&negatives, |i| score(negatives[i])),
        k,
    );
}

/// User `u`'s [`SAMPLED_NEGATIVES`] draws among `n` items, or `None` when
/// they have no relevant item or no item left to draw. `seen` is all
/// unflagged before and after.
fn draw_negatives(
    n: usize,
    u: usize,
    (excluded, relevant): (&[u32], &[u32]),
    seen: &mut SeenItems,
) -> Option<Vec<u32>> {
    use rand::{Rng, SeedableRng};
    if relevant.is_empty() || excluded.len() + relevant.len() >= n {
        return None;
    }
    if seen.0.len() < n {
        seen.0.resize(n, false);
    }
    seen.set((excluded, relevant), true);
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(u as u64);
    let negatives: Vec<u32> = (0..SAMPLED_NEGATIVES)
        .map(|_| loop {
            let j = rng.gen_range(0..n as u32);
            if !seen.0[j as usize] {
                break j;
            }
        })
        .collect();
    seen.set((excluded, relevant), false);
    Some(negatives)
}

/// Adds one user's sampled HR and NDCG to `p`: each relevant item ranked
/// among the drawn `negatives`, each list with its scores by position.
fn add_sampled(
    p: &mut Partial,
    (relevant, relevant_score): (&[u32], impl Fn(usize) -> f32),
    (negatives, negative_score): (&[u32], impl Fn(usize) -> f32),
    k: usize,
) {
    let (mut hr, mut ndcg) = (0.0, 0.0);
    for (r, &item) in relevant.iter().enumerate() {
        let s = relevant_score(r);
        let above = if s.is_nan() {
            negatives.len()
        } else {
            (0..negatives.len())
                .filter(|&i| {
                    let v = negative_score(i);
                    v > s || (v == s && negatives[i] < item)
                })
                .count()
        };
        if above < k {
            hr += 1.0;
            ndcg += 1.0 / ((above + 2) as f64).log2();
        }
    }
    p.sampled_hr += hr / relevant.len() as f64;
    p.sampled_ndcg += ndcg / relevant.len() as f64;
    p.sampled_users += 1;
}

/// A seeded stream of pseudo-random `u32`s (a 64-bit LCG's high bits) for
/// the property tests of the ranking code.
#[cfg(test)]
pub(crate) fn test_numbers(seed: u64) -> impl FnMut() -> u32 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Up to `max_n` scores with many ties, NaNs and both zeros, and about
    /// one item in `exclude_every` excluded.
    fn tied_scores(
        next: &mut impl FnMut() -> u32,
        max_n: u32,
        exclude_every: u32,
    ) -> (Vec<f32>, Vec<u32>) {
        let n = 1 + next() % max_n;
        let scores = (0..n)
            .map(|_| match next() % 10 {
                0 => f32::NAN,
                1 => -0.0,
                2 => 0.0,
                v => (v % 4) as f32 - 1.5,
            })
            .collect();
        let excluded = (0..n)
            .filter(|_| next().is_multiple_of(exclude_every))
            .collect();
        (scores, excluded)
    }

    /// The one-pass heap against sorting every candidate, on scores with many
    /// ties, NaNs, exclusions at both ends and k from 0 past the catalogue.
    #[test]
    fn top_k_matches_a_full_sort() {
        let mut next = test_numbers(12345);
        for round in 0..200 {
            let (scores, excluded) = tied_scores(&mut next, 60, 3);
            let n = scores.len();
            let key = |i: u32| {
                let s = scores[i as usize];
                if s.is_nan() {
                    f32::NEG_INFINITY
                } else if s == 0.0 {
                    0.0 // −0 and +0 tie
                } else {
                    s
                }
            };
            let mut all: Vec<u32> = (0..n as u32)
                .filter(|i| excluded.binary_search(i).is_err())
                .collect();
            all.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
            for k in [0, 1, 3, 10, n, n + 5] {
                let want: Vec<u32> = all.iter().copied().take(k).collect();
                assert_eq!(top_k(&scores, &excluded, k), want, "round {round} k {k}");
            }
        }
    }

    /// Offered a tile at a time, [`TopK`] keeps what one pass keeps, and
    /// the items ahead in each tile add up to [`rank_of`]'s rank.
    #[test]
    fn tiles_rank_as_one_pass() {
        let mut next = test_numbers(777);
        for round in 0..300 {
            let (scores, excluded) = tied_scores(&mut next, 90, 4);
            let n = scores.len();
            let mut cuts: Vec<usize> = (0..next() % 5).map(|_| next() as usize % (n + 1)).collect();
            cuts.extend([0, n]);
            cuts.sort_unstable();
            let tiles: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
            for k in [0, 1, 4, n + 1] {
                let mut top = TopK::new(k);
                for &(a, b) in &tiles {
                    top.offer(&scores[a..b], a, &excluded);
                }
                assert_eq!(
                    top.into_items(),
                    top_k(&scores, &excluded, k),
                    "round {round} k {k}"
                );
            }
            for item in 0..n as u32 {
                let s = scores[item as usize];
                if s.is_nan() {
                    continue;
                }
                let ahead: usize = tiles
                    .iter()
                    .map(|&(a, b)| {
                        crate::neural::validation::ahead_in_tile(
                            &scores[a..b],
                            a,
                            (item, s),
                            &excluded,
                        )
                    })
                    .sum();
                assert_eq!(
                    1 + ahead,
                    rank_of(&scores, &excluded, item),
                    "round {round} item {item}"
                );
            }
        }
    }

    /// A factor model over 20,000 items is ranked a tile at a time; with
    /// factors of a few halves (so that many scores tie exactly) and a
    /// customer whose factors are NaN, every metric, sampled ones included,
    /// equals the whole rows' on 1 and 2 threads.
    #[test]
    fn evaluation_a_tile_at_a_time_equals_whole_rows() {
        let (users, items, dim) = (300usize, 20_000usize, 8usize);
        let mut next = test_numbers(4242);
        let mut half = || f32::from((next() % 5) as u8) * 0.5 - 1.0;
        let mut factors = Factors {
            dim,
            users: (0..users * dim).map(|_| half()).collect(),
            items: (0..items * dim).map(|_| half()).collect(),
        };
        factors.users[7 * dim] = f32::NAN;
        let mut next = test_numbers(99);
        let excluded: Vec<Vec<u32>> = (0..users)
            .map(|_| {
                let mut row: Vec<u32> = (0..1 + next() % 40)
                    .map(|_| next() % items as u32)
                    .collect();
                row.sort_unstable();
                row.dedup();
                row
            })
            .collect();
        let relevant: Vec<Vec<u32>> = (0..users)
            .map(|u| {
                let mut row: Vec<u32> = (0..u % 3 + 1)
                    .map(|_| next() % items as u32)
                    .filter(|i| excluded[u].binary_search(i).is_err())
                    .collect();
                row.sort_unstable();
                row.dedup();
                row
            })
            .collect();
        let evaluated: Vec<usize> = (0..users).filter(|&u| !relevant[u].is_empty()).collect();
        let log_pop: Vec<f64> = (0..items).map(|i| (i % 17) as f64 * 0.1).collect();
        let score = |block: &[usize], out: &mut [f32]| {
            let block: Vec<u32> = block.iter().map(|&u| u as u32).collect();
            factors.score_block(&block, out);
        };
        let excluded_of = |u: usize| &excluded[u][..];
        let relevant_of = |u: usize| &relevant[u][..];
        assert!(dense_rank::ranks_tiled(&factors, items));
        let run = |tiled: bool, threads: usize| {
            let ranking = Ranking {
                users: &evaluated,
                n_items: items,
                score: &score,
                sparse: None,
                factors: tiled.then_some(&factors),
                excluded: &excluded_of,
                relevant: &relevant_of,
                k: 10,
                log_pop: &log_pop,
            };
            let pool = crate::task::thread_pool(threads).unwrap();
            evaluate_rankings(&ranking, &pool, &CancelToken::new(), &|_| {}).unwrap()
        };
        let whole = run(false, 2);
        assert!(whole.sampled_hr.is_some() && whole.mrr > 0.0);
        assert_eq!(run(true, 2), whole);
        assert_eq!(run(true, 1), whole);
    }

    /// A hand-computed example: 5 items, user has item 0 in train, relevant {1, 3}.
    /// Scores rank the candidates 2 > 3 > 4 > 1 (item 0 excluded).
    #[test]
    fn hand_computed_user() {
        let scores = [9.0, 0.1, 0.9, 0.5, 0.2];
        let log_pop = [1.0; 5];
        let p = score_user(&scores, &[0], &[1, 3], 2, &log_pop);
        // top-2 = [2, 3]: one hit at rank 2.
        assert_eq!(p.recommended, vec![2, 3]);
        assert_eq!(p.hits_any, 1.0);
        assert!((p.precision - 0.5).abs() < 1e-12);
        assert!((p.recall - 0.5).abs() < 1e-12); // 1 / min(2, 2)
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert!((p.ndcg - (1.0 / 3f64.log2()) / idcg).abs() < 1e-12);
        assert!((p.map - 0.5 / 2.0).abs() < 1e-12); // precision@2 = 1/2, over min(2,2)
        assert!((p.mrr - 0.5).abs() < 1e-12); // first relevant (3) at rank 2
    }

    #[test]
    fn sampled_metrics_rank_against_100_unseen_items() {
        // 300 items scored by index: higher index, higher score. The user
        // has items 0..10 in train and item 150 relevant.
        let scores: Vec<f32> = (0..300).map(|i| i as f32).collect();
        let excluded: Vec<u32> = (0..10).collect();
        let mut p = Partial::default();
        let score = (|j: u32| scores[j as usize], scores.len());
        let mut seen = SeenItems::default();
        sampled_ranks(&mut p, score, 7, (&excluded, &[150]), &mut seen, 10);
        // Recount by hand: the same seeded draws, none seen, ranked by score.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut above = 0;
        let mut drawn = 0;
        while drawn < 100 {
            let j: u32 = rng.gen_range(0..300);
            if j < 10 || j == 150 {
                continue;
            }
            drawn += 1;
            above += usize::from(j > 150);
        }
        assert_eq!(p.sampled_users, 1);
        let want = if above < 10 {
            1.0 / ((above + 2) as f64).log2()
        } else {
            0.0
        };
        assert_eq!(
            (p.sampled_hr, p.sampled_ndcg),
            (f64::from(u8::from(above < 10)), want)
        );
        // About half the negatives score above item 150: no hit.
        assert!(above > 30, "{above}");
        // The best item wins against any sample.
        let mut best = Partial::default();
        sampled_ranks(&mut best, score, 7, (&excluded, &[299]), &mut seen, 10);
        // Every flag is lowered again for the next customer.
        assert!(seen.0.len() == 300 && seen.0.iter().all(|flag| !flag));
        assert_eq!((best.sampled_hr, best.sampled_ndcg), (1.0, 1.0));
    }

    #[test]
    fn ties_go_to_the_smaller_index_and_mrr_uses_the_full_ranking() {
        let scores = [1.0, 1.0, 1.0, 0.0];
        assert_eq!(top_k(&scores, &[], 2), vec![0, 1]);
        let p = score_user(&scores, &[], &[3], 1, &[0.0; 4]);
        assert_eq!(p.hits_any, 0.0);
        assert!((p.mrr - 0.25).abs() < 1e-12);
        // recall denominator is min(k, |rel|) = 1.
        assert_eq!(p.recall, 0.0);
    }

    #[test]
    fn the_evaluation_sample_is_seeded_sorted_and_drawn_from_users_with_test_items() {
        // Every third user has no test item.
        let relevant: Vec<Vec<u32>> = (0..3000u32)
            .map(|u| if u % 3 == 0 { vec![] } else { vec![u % 7] })
            .collect();
        let all = evaluation_users(&relevant, 0, 1);
        assert_eq!(all.len(), 2000);
        assert_eq!(evaluation_users(&relevant, 5000, 1), all);
        let sample = evaluation_users(&relevant, 500, 1);
        assert_eq!(sample.len(), 500);
        assert!(sample.windows(2).all(|w| w[0] < w[1]));
        assert!(sample.iter().all(|&u| u % 3 != 0));
        assert_eq!(sample, evaluation_users(&relevant, 500, 1));
        assert_ne!(sample, evaluation_users(&relevant, 500, 2));
        // Spread over the whole range, not the first 500.
        assert!(*sample.last().unwrap_or(&0) > 2500);
    }
}
