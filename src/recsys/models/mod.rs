//! Recommender models. Each is fitted from a train matrix with validated params
//! and a seed, reports per-epoch events, checks for cancel inside its loops, and
//! scores every item for a user.

pub mod als;
pub mod bpr;
pub mod ease;
pub mod itemknn;
pub mod linalg;
pub mod popular;
pub mod sequences;
pub mod sequential;
pub mod spark_als;

use std::ops::Range;

use super::matrix::Csr;
use super::params::{ModelParams, TrainOptions};
use super::sparse_rank::SparseScores;
use super::RecError;
use crate::params::Checked;
use crate::task::{CancelToken, EpochEvent};

/// A fitted model.
pub trait Model: Send + Sync {
    /// Scores of every item for `user`, whose train row is `row`, into `out`.
    fn scores(&self, user: u32, row: (&[u32], &[f32]), out: &mut [f32]);

    /// Items most similar to `item`, best first (not including `item`).
    fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)>;

    /// The history items that contributed most to `item`'s score for this user,
    /// with their contributions, largest first.
    fn explain(&self, user: u32, row: (&[u32], &[f32]), item: u32, n: usize) -> Vec<(u32, f32)>;

    /// Scores of every item for a customer the model has not seen, whose
    /// basket is `row`. Models that score from the history row (popular,
    /// item kNN, EASE) score it as they score any customer; factor models
    /// override this with a fold-in.
    fn basket_scores(&self, row: (&[u32], &[f32]), out: &mut [f32]) {
        self.scores(u32::MAX, row, out);
    }

    /// [`Self::scores`] of each of `users` (rows of `train`), row by row into
    /// `out` (`users.len()` rows of `train.n_cols`). Factor models override
    /// it with one matrix product per block, which is what makes scoring
    /// every customer (evaluation, exports) faster than the fit.
    fn score_block(&self, users: &[u32], train: &Csr, out: &mut [f32]) {
        let n = train.n_cols;
        for (&u, scores) in users.iter().zip(out.chunks_exact_mut(n)) {
            self.scores(u, train.row(u as usize), scores);
        }
    }

    /// Add the scores of a customer whose history is `row` into `out` (all
    /// +0 on entry), touching only the items whose score can differ from
    /// +0, when the model scores that way (item kNN: the neighbours of the
    /// history). Returns false, adding nothing, for models that score every
    /// item. Evaluation then ranks from the touched items alone.
    fn add_sparse_scores(&self, _row: (&[u32], &[f32]), _out: &mut SparseScores) -> bool {
        false
    }

    /// Whether this model scores through [`Self::add_sparse_scores`]
    /// (asked with an empty history, which adds nothing).
    fn scores_sparsely(&self) -> bool {
        self.add_sparse_scores((&[], &[]), &mut SparseScores::new(0))
    }

    /// The factors whose dot products are every item's score, for models
    /// that score that way (ALS, BPR): evaluation then ranks a large
    /// catalogue a tile of items at a time ([`super::dense_rank`]).
    fn factors(&self) -> Option<&Factors> {
        None
    }

    /// A copy of the fitted state, for saving in a workspace.
    fn snapshot(&self) -> ModelSnapshot;

    /// How training went, where a run should say more than its curve
    /// (the loss a deep model chose, the epoch whose weights it kept).
    fn training_note(&self) -> Option<String> {
        None
    }

    /// The items a sequential model reads for `user`, oldest first (the
    /// explorer shows them in that order); `None` for models that read a
    /// history as a set.
    fn sequence(&self, _user: u32) -> Option<&[u32]> {
        None
    }

    /// The epoch whose weights the model kept, when it kept its best.
    fn best_epoch(&self) -> Option<usize> {
        None
    }
}

/// The scoring a factor model (ALS, BPR) does from its `factors` field
/// alone, inside its `impl Model`: one customer, a block of customers (one
/// matrix product), and the items nearest an item.
macro_rules! factor_scoring {
    () => {
        fn scores(&self, user: u32, _row: (&[u32], &[f32]), out: &mut [f32]) {
            self.factors.score_all(user as usize, out);
        }

        fn score_block(&self, users: &[u32], _train: &Csr, out: &mut [f32]) {
            self.factors.score_block(users, out);
        }

        fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
            self.factors.similar_items(item, n)
        }

        fn factors(&self) -> Option<&super::Factors> {
            Some(&self.factors)
        }
    };
}
pub(crate) use factor_scoring;

/// The fitted state of any model, serialisable (workspaces keep trained
/// models so they can be explored again without retraining).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelSnapshot {
    Popular(popular::Popular),
    ItemKnn(itemknn::ItemKnn),
    Als(als::Als),
    Bpr(bpr::Bpr),
    Ease(ease::Ease),
    SasRec(sequential::Sequential),
    Gru4Rec(sequential::Sequential),
}

impl ModelSnapshot {
    /// The model again, after checking its shape against the train matrix it
    /// will score (a mismatched file would otherwise index out of bounds).
    pub fn restore(self, train: &Csr) -> Result<Box<dyn Model>, String> {
        let (users, items) = (train.n_rows, train.n_cols);
        let factors_ok = |f: &Factors| {
            f.dim > 0 && f.users.len() == users * f.dim && f.items.len() == items * f.dim
        };
        let ok = match &self {
            ModelSnapshot::Popular(m) => m.counts.len() == items,
            ModelSnapshot::ItemKnn(m) => {
                m.neighbors.n_rows == items
                    && m.neighbors.indptr.len() == items + 1
                    && m.neighbors.indices.iter().all(|&j| (j as usize) < items)
                    && m.neighbors.indptr.last() == Some(&m.neighbors.indices.len())
            }
            ModelSnapshot::Als(m) => factors_ok(&m.factors),
            ModelSnapshot::Bpr(m) => factors_ok(&m.factors),
            ModelSnapshot::Ease(m) => m.shape_ok(items),
            ModelSnapshot::SasRec(m) | ModelSnapshot::Gru4Rec(m) => m.shape_ok(users, items),
        };
        if !ok {
            return Err(format!(
                "the saved model does not match its data ({users} users × {items} items)"
            ));
        }
        Ok(match self {
            ModelSnapshot::Popular(m) => Box::new(m),
            ModelSnapshot::ItemKnn(m) => Box::new(m),
            ModelSnapshot::Als(m) => Box::new(m),
            ModelSnapshot::Bpr(m) => Box::new(m),
            ModelSnapshot::Ease(m) => Box::new(m),
            ModelSnapshot::SasRec(m) | ModelSnapshot::Gru4Rec(m) => Box::new(m),
        })
    }
}

/// Receives every epoch's event.
pub type EpochSink<'a> = &'a (dyn Fn(EpochEvent) + Sync);
/// Computes a validation metric (name, value) of an intermediate model.
pub type Validator<'a> = &'a (dyn Fn(&dyn Model) -> (String, f64) + Sync);

/// What a fitting model reports to, and is stopped by.
pub struct FitContext<'a> {
    pub cancel: &'a CancelToken,
    pub on_epoch: EpochSink<'a>,
    /// Progress within a fit that has no epochs (EASE's inverse, Spark's
    /// stages and log tail).
    pub on_progress: &'a (dyn Fn(f32, &str) + Sync),
    /// Validation metric of an intermediate model.
    pub validate: Option<Validator<'a>>,
    pub pool: &'a rayon::ThreadPool,
    /// Set (by early stopping) to end training after the current epoch and
    /// keep the model as it is; unlike cancel, the fit still succeeds.
    pub stop: Option<&'a std::sync::atomic::AtomicBool>,
}

/// The events of the train split: rows of `data` where `is_test` is false.
#[derive(Clone, Copy)]
pub struct TrainEvents<'a> {
    pub data: &'a crate::recsys::matrix::Interactions,
    pub is_test: &'a [bool],
}

/// What a model is fitted on: the train matrix, and the split's events
/// with their times (a model trained elsewhere hands them off).
#[derive(Clone, Copy)]
pub struct TrainData<'a> {
    pub matrix: &'a Csr,
    /// `None` where a caller has only the matrix.
    pub events: Option<TrainEvents<'a>>,
}

impl<'a> From<&'a Csr> for TrainData<'a> {
    fn from(matrix: &'a Csr) -> Self {
        Self {
            matrix,
            events: None,
        }
    }
}

/// A fitted model, and the outside engine that fitted it, if one did.
pub struct Fitted {
    pub model: Box<dyn Model>,
    pub engine: Option<crate::runs::EngineRecord>,
}

impl Fitted {
    fn here(model: Box<dyn Model>) -> Self {
        Self {
            model,
            engine: None,
        }
    }
}

fn ignore_epoch(_: EpochEvent) {}
fn ignore_progress(_: f32, _: &str) {}

impl<'a> FitContext<'a> {
    /// A context that reports nowhere, with no validation or early stop
    /// (benchmarks and tests fit models directly).
    pub fn quiet(cancel: &'a CancelToken, pool: &'a rayon::ThreadPool) -> Self {
        Self {
            cancel,
            on_epoch: &ignore_epoch,
            on_progress: &ignore_progress,
            validate: None,
            pool,
            stop: None,
        }
    }

    pub fn check(&self) -> Result<(), RecError> {
        self.cancel.check().map_err(|_| RecError::Cancelled)
    }

    /// What the neural training loop reports to and stops on.
    pub fn hooks(&self) -> crate::neural::train::TrainHooks<'a> {
        crate::neural::train::TrainHooks {
            cancel: self.cancel,
            on_epoch: self.on_epoch,
            on_progress: self.on_progress,
            stop: self.stop,
        }
    }

    /// Whether early stopping asked to end after this epoch.
    pub fn stop_requested(&self) -> bool {
        self.stop
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn validation_due(&self, epoch: usize, every: usize, last: usize) -> bool {
        self.validate.is_some() && every > 0 && (epoch.is_multiple_of(every) || epoch == last)
    }
}

/// Fit checked `params` on `train`.
pub fn fit<'a>(
    params: &Checked<ModelParams>,
    train: impl Into<TrainData<'a>>,
    options: &TrainOptions,
    ctx: &FitContext,
) -> Result<Fitted, RecError> {
    let TrainData {
        matrix: train,
        events,
    } = train.into();
    if train.nnz() == 0 {
        return Err(RecError::Input(
            "the training set has no interactions".into(),
        ));
    }
    Ok(Fitted::here(match &**params {
        ModelParams::Popular => Box::new(popular::Popular::fit(train, ctx)?),
        ModelParams::ItemKnn(p) => Box::new(itemknn::ItemKnn::fit(p, train, ctx)?),
        ModelParams::Als(p) => Box::new(als::Als::fit(p, train, options, ctx)?),
        ModelParams::Bpr(p) => Box::new(bpr::Bpr::fit(p, train, options, ctx)?),
        ModelParams::Ease(p) => Box::new(ease::Ease::fit(p, train, ctx)?),
        ModelParams::SasRec(_) | ModelParams::Gru4Rec(_) => {
            let events = events.ok_or_else(|| {
                RecError::Input(
                    "sequential models train from the train split's ordered events, which this caller did not give".into(),
                )
            })?;
            let recipe = match &**params {
                ModelParams::SasRec(p) => sequential::Recipe::sasrec(p, train.n_cols)?,
                ModelParams::Gru4Rec(p) => sequential::Recipe::gru4rec(p, train.n_cols),
                _ => unreachable!("matched above"),
            };
            Box::new(sequential::fit(&recipe, train, events, options.seed, ctx)?)
        }
        ModelParams::SparkAls(p) => {
            let events = events.ok_or_else(|| {
                RecError::Input(
                    "ALS on Spark trains from the train split's events, which this caller did not give".into(),
                )
            })?;
            let (model, engine) = spark_als::fit(p, train, events, options, ctx)?;
            return Ok(Fitted {
                model: Box::new(model),
                engine: Some(engine),
            });
        }
    }))
}

/// Higher value first; ties (and incomparable values) by lower index.
pub(crate) fn best_first(a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then(a.0.cmp(&b.0))
}

/// Why an item-item model scores `item` for a user: each item of the
/// user's `row` (items, weights) contributes its weight times its
/// `similarity` to `item` (`None`: not neighbours); the `n` largest.
pub fn item_item_reasons(
    row: (&[u32], &[f32]),
    n: usize,
    similarity: impl Fn(u32) -> Option<f32>,
) -> Vec<(u32, f32)> {
    let pairs = row
        .0
        .iter()
        .zip(row.1)
        .filter_map(|(&i, &x)| similarity(i).map(|s| (i, x * s)))
        .collect();
    top_n(pairs, n)
}

/// Largest `n` of `(index, value)` pairs, by value desc then index asc.
pub fn top_n(mut pairs: Vec<(u32, f32)>, n: usize) -> Vec<(u32, f32)> {
    let order = best_first;
    if pairs.len() > n && n > 0 {
        pairs.select_nth_unstable_by(n, order);
        pairs.truncate(n);
    }
    pairs.sort_unstable_by(order);
    pairs.truncate(n);
    pairs
}

/// Dense matrix-factorisation scoring shared by ALS and BPR.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Factors {
    pub dim: usize,
    pub users: Vec<f32>,
    pub items: Vec<f32>,
}

impl Factors {
    pub fn user(&self, u: usize) -> &[f32] {
        &self.users[u * self.dim..(u + 1) * self.dim]
    }

    pub fn item(&self, i: usize) -> &[f32] {
        &self.items[i * self.dim..(i + 1) * self.dim]
    }

    pub fn n_items(&self) -> usize {
        self.items.len() / self.dim.max(1)
    }

    /// Every item's score for user `u`, as [`Self::score_block`] gives it
    /// (so one customer's list in the explorer is the one evaluation and
    /// exports rank). The block is the user twice: faer's kernel for a
    /// single row sums in another order than its kernel for blocks.
    pub fn score_all(&self, u: usize, out: &mut [f32]) {
        let n = self.n_items();
        let mut twice = vec![0f32; 2 * n];
        self.score_block(&[u as u32, u as u32], &mut twice);
        out[..n].copy_from_slice(&twice[..n]);
    }

    /// Every item's score for each of `users`, row by row into `out`
    /// (`users.len()` rows of `n_items()`): one matrix product of the users'
    /// factors (gathered into a block) by the item factors, on this thread.
    /// A user's scores do not depend on the other users of a block of two or
    /// more; faer sums each dot product in its own order, so a score can
    /// differ from a plain dot product's in the last bit.
    pub fn score_block(&self, users: &[u32], out: &mut [f32]) {
        let mut lhs = Vec::with_capacity(users.len() * self.dim);
        self.gather_users(users, &mut lhs);
        self.score_tile(&lhs, users.len(), 0..self.n_items(), out);
    }

    /// The factors of `users`, row after row, into `out` (the left-hand
    /// side of [`Self::score_tile`]).
    pub fn gather_users(&self, users: &[u32], out: &mut Vec<f32>) {
        out.clear();
        for &u in users {
            out.extend_from_slice(self.user(u as usize));
        }
    }

    /// The scores of the items `items` for the users whose factors
    /// [`Self::gather_users`] put in `lhs` (`rows` of them), row by row into
    /// `out` (`rows` rows of `items.len()`): one matrix product, whose
    /// scores are [`Self::score_block`]'s to the bit whatever the tile.
    pub fn score_tile(&self, lhs: &[f32], rows: usize, items: Range<usize>, out: &mut [f32]) {
        use faer::linalg::matmul::matmul;
        use faer::{Accum, MatMut, MatRef, Par};
        let d = self.dim;
        let n = items.len();
        let lhs = MatRef::from_row_major_slice(&lhs[..rows * d], rows, d);
        let rhs = MatRef::from_row_major_slice(&self.items[items.start * d..items.end * d], n, d)
            .transpose();
        let dst = MatMut::from_row_major_slice_mut(&mut out[..rows * n], rows, n);
        matmul(dst, Accum::Replace, lhs, rhs, 1.0f32, Par::Seq);
    }

    /// User `u`'s scores of `items` (any items, in any order), as
    /// [`Self::score_block`] gives them, into `out`. faer sums a dot
    /// product in another order for a single row or column and for a
    /// product of at most 16³ multiplications, so the user is scored twice
    /// against at least enough items (repeated) to use the block kernel.
    pub fn score_items(&self, u: usize, items: &[u32], out: &mut Vec<f32>) {
        let d = self.dim.max(1);
        let cols = items.len().max(2).max((16 * 16 * 16) / (2 * d) + 1);
        let mut table = Vec::with_capacity(cols * d);
        for c in 0..cols {
            let i = items.get(c).or(items.first()).copied().unwrap_or(0);
            table.extend_from_slice(self.item(i as usize));
        }
        let user = self.user(u);
        let twice: Vec<f32> = user.iter().chain(user).copied().collect();
        let chosen = Factors {
            dim: self.dim,
            users: Vec::new(),
            items: table,
        };
        let mut scores = vec![0f32; 2 * cols];
        chosen.score_tile(&twice, 2, 0..cols, &mut scores);
        out.clear();
        out.extend_from_slice(&scores[..items.len()]);
    }

    /// `YᵀY` over the first `dims` components of the item factors.
    pub fn item_gram(&self, dims: usize) -> Vec<f64> {
        let mut g = vec![0f64; dims * dims];
        for i in 0..self.n_items() {
            let y = &self.item(i)[..dims];
            for a in 0..dims {
                let ya = f64::from(y[a]);
                for b in 0..dims {
                    g[a * dims + b] += ya * f64::from(y[b]);
                }
            }
        }
        g
    }

    /// A new customer's factors from their basket `row`, the item factors
    /// fixed (implicit's `recalculate_user`): one weighted least-squares
    /// solve `x = W⁻¹ Σ_j c_j y_j` with `W = YᵀY + λI + Σ_j (c_j − 1) y_j y_jᵀ`
    /// over the first `dims` components; `c_j = confidence(weight_j)`,
    /// unobserved items have confidence 1 and preference 0. `None` when `W`
    /// is not positive definite.
    pub fn fold_in(
        &self,
        dims: usize,
        yty: &[f64],
        regularization: f32,
        row: (&[u32], &[f32]),
        confidence: &dyn Fn(f32) -> f64,
    ) -> Option<Vec<f64>> {
        let mut w = yty.to_vec();
        for d in 0..dims {
            w[d * dims + d] += f64::from(regularization);
        }
        let mut rhs = vec![0f64; dims];
        for (&j, &x) in row.0.iter().zip(row.1) {
            let c = confidence(x);
            let y = &self.item(j as usize)[..dims];
            for a in 0..dims {
                let ya = f64::from(y[a]);
                rhs[a] += c * ya;
                for b in 0..dims {
                    w[a * dims + b] += (c - 1.0) * ya * f64::from(y[b]);
                }
            }
        }
        if !linalg::cholesky(&mut w, dims) {
            return None;
        }
        linalg::cholesky_solve(&w, dims, &mut rhs);
        Some(rhs)
    }

    /// `out[i] = x · y_i[..x.len()] + extra(i)`.
    pub fn score_folded(&self, x: &[f64], extra: &dyn Fn(usize) -> f32, out: &mut [f32]) {
        let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        for (i, o) in out.iter_mut().enumerate() {
            *o = linalg::dot(&x, &self.item(i)[..x.len()]) + extra(i);
        }
    }

    /// Cosine similarity between item factor vectors.
    pub fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        let norms: Vec<f32> = (0..self.n_items())
            .map(|i| linalg::dot(self.item(i), self.item(i)).sqrt())
            .collect();
        let target = self.item(item as usize);
        let tn = norms[item as usize].max(1e-12);
        let pairs = (0..self.n_items() as u32)
            .filter(|&j| j != item)
            .map(|j| {
                (
                    j,
                    linalg::dot(target, self.item(j as usize))
                        / (tn * norms[j as usize].max(1e-12)),
                )
            })
            .collect();
        top_n(pairs, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Factors of `n` rows of `dim`, from a fixed sequence.
    fn rows(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..n * dim)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect()
    }

    /// Factors of `users` and `items` drawn from `seed` and the next seed.
    fn random_factors(users: usize, items: usize, dim: usize, seed: u64) -> Factors {
        Factors {
            dim,
            users: rows(users, dim, seed),
            items: rows(items, dim, seed + 1),
        }
    }

    /// Scores of a tile of items, and of a customer's chosen items, are
    /// those of the whole rows to the bit, for the tiles evaluation cuts.
    #[test]
    fn tiles_and_chosen_items_score_as_whole_rows() {
        for (dim, items) in [(8, 2_500), (37, 3_001), (64, 2_048), (130, 2_100)] {
            let users = 5;
            let f = random_factors(users, items, dim, 3);
            let all: Vec<u32> = (0..users as u32).collect();
            let mut whole = vec![0f32; users * items];
            f.score_block(&all, &mut whole);
            let mut lhs = Vec::new();
            f.gather_users(&all, &mut lhs);
            for tile in [0..1024, 1024..items, 300..1400] {
                let mut out = vec![0f32; users * tile.len()];
                f.score_tile(&lhs, users, tile.clone(), &mut out);
                for (u, row) in out.chunks_exact(tile.len()).enumerate() {
                    assert_eq!(
                        row,
                        &whole[u * items + tile.start..u * items + tile.end],
                        "dim {dim} user {u} tile {tile:?}"
                    );
                }
            }
            let mut got = Vec::new();
            for picked in [
                vec![0u32],
                vec![items as u32 - 1, 3, 3],
                (0..101).map(|i| i * 7).collect(),
            ] {
                for u in 0..users {
                    f.score_items(u, &picked, &mut got);
                    let want: Vec<f32> = picked
                        .iter()
                        .map(|&i| whole[u * items + i as usize])
                        .collect();
                    assert_eq!(got, want, "dim {dim} user {u} items {picked:?}");
                }
            }
        }
    }

    /// The block product scores every user as one dot product at a time
    /// does (to float rounding), and a user's scores do not depend on which
    /// users share the block, nor on being scored alone: evaluation's blocks,
    /// exports and the explorer's single rows rank alike.
    #[test]
    fn block_scores_are_the_dot_products_whatever_the_block() {
        let (users, items, dim) = (70, 301, 37);
        let f = random_factors(users, items, dim, 1);
        let all: Vec<u32> = (0..users as u32).collect();
        let mut block = vec![0f32; users * items];
        f.score_block(&all, &mut block);
        let mut one = vec![0f32; items];
        for u in 0..users {
            let got = &block[u * items..(u + 1) * items];
            for (i, &a) in got.iter().enumerate() {
                let b = linalg::dot(f.user(u), f.item(i));
                assert!((a - b).abs() <= 1e-5, "user {u} item {i}: {a} vs {b}");
            }
            f.score_all(u, &mut one);
            assert_eq!(one, got, "user {u} alone");
        }
        for picked in [
            vec![5u32, 5],
            vec![69, 3, 5],
            vec![7, 8, 9, 10, 11],
            (0..64).rev().collect(),
        ] {
            let mut out = vec![0f32; picked.len() * items];
            f.score_block(&picked, &mut out);
            for (row, &u) in out.chunks_exact(items).zip(&picked) {
                let u = u as usize;
                assert_eq!(
                    row,
                    &block[u * items..(u + 1) * items],
                    "user {u} of {}",
                    picked.len()
                );
            }
        }
    }
}
