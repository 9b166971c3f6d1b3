//! The deep sequential recommenders, SASRec and GRU4Rec, as recommenders:
//! trained on each customer's ordered train items ([`super::sequences`]),
//! validated every epoch on their second-to-last item (NDCG@10, every item
//! ranked, history filtered) with early stopping that keeps the best epoch's
//! weights, then scored like a factor model: a customer's vector is the
//! network's state after reading their items, and an item's score is that
//! vector · the item's embedding (input and output share the embedding, as
//! in both papers).
//!
//! Candle runs the kernels on its own pool (`CANDLE_NUM_THREADS`, default
//! the physical cores). One seed gives one model: every random draw
//! (initial weights, batch order, dropout masks, negatives) comes from the
//! seeded generator.

use super::sequences::ordered_train_items;
use super::{Factors, FitContext, Model, ModelSnapshot, TrainEvents};
use crate::neural::layers::seeded;
pub use crate::neural::params::{Gru4RecParams, SasRecParams, SequenceLoss};
use crate::neural::read::{encode, influence, last_states};
pub use crate::neural::recipe::{training_note, Recipe};
use crate::neural::train::{engine, train};
use crate::neural::weights::SavedTensor;
use crate::neural::{Network, SequenceNet};
use crate::recsys::matrix::Csr;
use crate::recsys::RecError;

/// Fit `recipe` on the train split's events, ordered per customer: the
/// network, then every customer's vector after reading their newest L
/// train items.
pub fn fit(
    recipe: &Recipe,
    train_matrix: &Csr,
    events: TrainEvents,
    seed: u64,
    ctx: &FitContext,
) -> Result<Sequential, RecError> {
    let sequences = ordered_train_items(events, train_matrix.n_rows);
    let hooks = ctx.hooks();
    let trained = train(recipe, &sequences, seed, &hooks)?;
    let net = trained.net.as_ref();
    let reads: Vec<&[u32]> = sequences
        .iter()
        .map(|s| &s[s.len().saturating_sub(recipe.max_len)..])
        .collect();
    let users = encode(net, &reads, &hooks)?;
    let items: Vec<f32> = net.item_table_values().map_err(engine)?;
    Ok(Sequential {
        network: trained.network,
        weights: trained.weights()?,
        factors: Factors {
            dim: net.dim(),
            users,
            items,
        },
        sequences: reads.iter().map(|s| s.to_vec()).collect(),
        loss: trained.loss,
        best_epoch: trained.best_epoch,
    })
}

/// A trained sequential model, as workspaces save it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sequential {
    pub network: Network,
    pub weights: Vec<SavedTensor>,
    /// Each customer's vector after reading their train items (zero without
    /// history), and the item embeddings.
    pub factors: Factors,
    /// Each customer's newest train items (at most L), oldest first.
    pub sequences: Vec<Vec<u32>>,
    /// The loss it was trained with.
    pub loss: SequenceLoss,
    /// The epoch whose weights were kept (0: none was validated).
    pub best_epoch: usize,
}

impl Sequential {
    fn network(&self) -> Result<Box<dyn SequenceNet>, String> {
        let net = self
            .network
            .build(&mut seeded(0))
            .map_err(|e| e.to_string())?;
        net.weights().load(&self.weights)?;
        Ok(net)
    }

    /// Restored models must fit the data they score.
    pub fn shape_ok(&self, users: usize, items: usize) -> bool {
        let d = self.factors.dim;
        self.network.items() == items
            && d == self.network.dim()
            && self.factors.users.len() == users * d
            && self.factors.items.len() == items * d
            && self.sequences.len() == users
            && self
                .sequences
                .iter()
                .flatten()
                .all(|&i| (i as usize) < items)
            && self.network().is_ok()
    }

    fn sequence_for<'a>(&'a self, user: u32, row: (&'a [u32], &'a [f32])) -> &'a [u32] {
        match self.sequences.get(user as usize) {
            Some(seq) if !seq.is_empty() => seq,
            _ => row.0,
        }
    }

    fn influence(&self, seq: &[u32], item: u32, n: usize) -> Result<Vec<(u32, f32)>, String> {
        let net = self.network()?;
        influence(net.as_ref(), self.factors.item(item as usize), seq, n)
    }
}

impl Model for Sequential {
    fn scores(&self, user: u32, row: (&[u32], &[f32]), out: &mut [f32]) {
        match self.sequences.get(user as usize) {
            Some(seq) if !seq.is_empty() => self.factors.score_all(user as usize, out),
            _ => self.basket_scores(row, out),
        }
    }

    /// Customers with a sequence in one matrix product of their final states
    /// by the item embeddings; the others as [`Model::scores`] scores them.
    fn score_block(&self, users: &[u32], train: &Csr, out: &mut [f32]) {
        self.factors.score_block(users, out);
        let n = train.n_cols;
        for (&u, scores) in users.iter().zip(out.chunks_exact_mut(n)) {
            if self.sequences.get(u as usize).is_none_or(|s| s.is_empty()) {
                self.basket_scores(train.row(u as usize), scores);
            }
        }
    }

    /// Reads the basket in the order given (the newest item last), at once:
    /// one pass through the trained network, no retraining.
    fn basket_scores(&self, row: (&[u32], &[f32]), out: &mut [f32]) {
        out.fill(0.0);
        if row.0.is_empty() {
            return;
        }
        let Ok(net) = self.network() else {
            return;
        };
        let seq = &row.0[row.0.len().saturating_sub(net.max_len())..];
        let Ok(state) = last_states(net.as_ref(), &[seq]) else {
            return;
        };
        for (i, o) in out.iter_mut().enumerate() {
            *o = super::linalg::dot(&state, self.factors.item(i));
        }
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        self.factors.similar_items(item, n)
    }

    fn explain(&self, user: u32, row: (&[u32], &[f32]), item: u32, n: usize) -> Vec<(u32, f32)> {
        let seq = self.sequence_for(user, row);
        self.influence(seq, item, n).unwrap_or_default()
    }

    fn snapshot(&self) -> ModelSnapshot {
        match self.network {
            Network::SasRec(_) => ModelSnapshot::SasRec(self.clone()),
            Network::Gru4Rec(_) => ModelSnapshot::Gru4Rec(self.clone()),
        }
    }

    fn training_note(&self) -> Option<String> {
        Some(training_note(
            self.network,
            self.loss,
            self.best_epoch,
            "customer",
        ))
    }

    fn best_epoch(&self) -> Option<usize> {
        (self.best_epoch > 0).then_some(self.best_epoch)
    }

    fn sequence(&self, user: u32) -> Option<&[u32]> {
        self.sequences.get(user as usize).map(Vec::as_slice)
    }
}
