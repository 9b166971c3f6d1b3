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

mod losses;
pub mod params;
mod train;

use super::sequences::ordered_train_items;
use super::{top_n, Factors, FitContext, Model, ModelSnapshot, TrainEvents};
use crate::neural::gru4rec::GruShape;
use crate::neural::layers::seeded;
use crate::neural::sasrec::SasRecShape;
use crate::neural::weights::SavedTensor;
use crate::neural::{Network, SequenceNet};
use crate::recsys::matrix::Csr;
use crate::recsys::RecError;
pub use params::{Gru4RecParams, SasRecParams, SequenceLoss};

/// Validation ranks at most this many customers' second-to-last items per
/// epoch (spread evenly over the customers), to bound an epoch's cost.
pub const VALIDATION_CUSTOMERS: usize = 10_000;
/// k of the validation NDCG.
const VALIDATION_K: usize = 10;

fn engine(e: candle_core::Error) -> RecError {
    RecError::Input(crate::neural::describe(e))
}

/// What the training loop needs from either model's parameters.
pub struct Recipe {
    pub name: &'static str,
    pub network: Network,
    pub max_len: usize,
    pub dropout: f32,
    pub embedding_dropout: f32,
    pub learning_rate: f32,
    pub batch_size: usize,
    pub epochs: usize,
    pub patience: usize,
    /// Resolved (never `Auto`).
    pub loss: SequenceLoss,
    pub negatives: usize,
    pub sample_alpha: f32,
    /// Whether the batch's own next items are negatives too.
    pub in_batch: bool,
}

impl Recipe {
    pub fn sasrec(p: &SasRecParams, items: usize) -> Result<Self, RecError> {
        if p.heads == 0 || !p.dim.is_multiple_of(p.heads) {
            return Err(RecError::Input(format!(
                "SASRec's hidden size ({}) must be a multiple of its heads ({})",
                p.dim, p.heads
            )));
        }
        Ok(Self {
            name: "SASRec",
            network: Network::SasRec(SasRecShape {
                items,
                dim: p.dim,
                blocks: p.blocks,
                heads: p.heads,
                max_len: p.max_len,
            }),
            max_len: p.max_len,
            dropout: p.dropout,
            embedding_dropout: p.dropout,
            learning_rate: p.learning_rate,
            batch_size: p.batch_size,
            epochs: p.epochs,
            patience: p.patience,
            loss: p.loss.resolve(items),
            negatives: p.negatives,
            sample_alpha: 1.0,
            in_batch: false,
        })
    }

    pub fn gru4rec(p: &Gru4RecParams, items: usize) -> Self {
        Self {
            name: "GRU4Rec",
            network: Network::Gru4Rec(GruShape {
                items,
                dim: p.dim,
                max_len: p.max_len,
            }),
            max_len: p.max_len,
            dropout: p.dropout_hidden,
            embedding_dropout: p.dropout_embedding,
            learning_rate: p.learning_rate,
            batch_size: p.batch_size,
            epochs: p.epochs,
            patience: p.patience,
            loss: SequenceLoss::Sampled,
            negatives: p.n_sample,
            sample_alpha: p.sample_alpha,
            in_batch: true,
        }
    }

    /// Fit on the train split's events, ordered per customer.
    pub fn fit(
        &self,
        train: &Csr,
        events: TrainEvents,
        seed: u64,
        ctx: &FitContext,
    ) -> Result<Sequential, RecError> {
        let sequences = ordered_train_items(events, train.n_rows);
        train::train(self, &sequences, seed, ctx)
    }
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

    fn name(&self) -> &'static str {
        match self.network {
            Network::SasRec(_) => "SASRec",
            Network::Gru4Rec(_) => "GRU4Rec",
        }
    }

    fn sequence_for<'a>(&'a self, user: u32, row: (&'a [u32], &'a [f32])) -> &'a [u32] {
        match self.sequences.get(user as usize) {
            Some(seq) if !seq.is_empty() => seq,
            _ => row.0,
        }
    }

    /// How much each item read raises `item`'s score: the score after
    /// reading the whole sequence minus the score with that one item left
    /// out (summed over its occurrences), largest first.
    fn influence(&self, seq: &[u32], item: u32, n: usize) -> Result<Vec<(u32, f32)>, String> {
        let net = self.network()?;
        let seq = &seq[seq.len().saturating_sub(net.max_len())..];
        if seq.is_empty() {
            return Ok(Vec::new());
        }
        let without: Vec<Vec<u32>> = (0..seq.len())
            .map(|j| {
                seq.iter()
                    .enumerate()
                    .filter(|&(i, _)| i != j)
                    .map(|(_, &x)| x)
                    .collect()
            })
            .collect();
        let mut reads: Vec<&[u32]> = vec![seq];
        reads.extend(without.iter().map(Vec::as_slice).filter(|s| !s.is_empty()));
        let states = train::last_states(net.as_ref(), &reads).map_err(|e| e.to_string())?;
        let d = net.dim();
        let target = self.factors.item(item as usize);
        let score = |r: usize| super::linalg::dot(&states[r * d..(r + 1) * d], target);
        let full = score(0);
        let mut pairs: Vec<(u32, f32)> = Vec::new();
        for (j, &x) in seq.iter().enumerate() {
            // A one-item sequence left out leaves nothing to read: its
            // influence is its whole score.
            let rest = if reads.len() > j + 1 {
                score(j + 1)
            } else {
                0.0
            };
            match pairs.iter_mut().find(|(i, _)| *i == x) {
                Some(p) => p.1 += full - rest,
                None => pairs.push((x, full - rest)),
            }
        }
        pairs.retain(|p| p.1 > 0.0);
        Ok(top_n(pairs, n))
    }
}

impl Model for Sequential {
    fn scores(&self, user: u32, row: (&[u32], &[f32]), out: &mut [f32]) {
        match self.sequences.get(user as usize) {
            Some(seq) if !seq.is_empty() => self.factors.score_all(user as usize, out),
            _ => self.basket_scores(row, out),
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
        let Ok(state) = train::last_states(net.as_ref(), &[seq]) else {
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
        let loss = match (self.loss, self.network) {
            (SequenceLoss::Sampled, Network::SasRec(s)) => format!(
                "{} ({} items; full softmax up to {})",
                self.loss.label(),
                s.items,
                params::FULL_SOFTMAX_MAX_ITEMS
            ),
            (SequenceLoss::Sampled, Network::Gru4Rec(_)) => {
                "sampled softmax over the batch's next items and popularity-sampled extras, logQ-corrected".to_owned()
            }
            (other, _) => other.label().to_owned(),
        };
        Some(match self.best_epoch {
            0 => format!("{} trained with {loss}; no validation (no customer has three train items)", self.name()),
            e => format!(
                "{} trained with {loss}; kept epoch {e}'s weights (best validation NDCG@{VALIDATION_K})",
                self.name()
            ),
        })
    }

    fn best_epoch(&self) -> Option<usize> {
        (self.best_epoch > 0).then_some(self.best_epoch)
    }

    fn sequence(&self, user: u32) -> Option<&[u32]> {
        self.sequences.get(user as usize).map(Vec::as_slice)
    }
}
