//! What the training loop needs from either model's parameters, and what a
//! run says about how it was trained.

use super::gru4rec::GruShape;
use super::params::{Gru4RecParams, SasRecParams, SequenceLoss, FULL_SOFTMAX_MAX_ITEMS};
use super::sasrec::SasRecShape;
use super::train::VALIDATION_K;
use super::Network;
use crate::task::TaskError;

/// What the training loop needs from either model's parameters.
pub struct Recipe {
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
    pub fn sasrec(p: &SasRecParams, items: usize) -> Result<Self, TaskError> {
        if p.heads == 0 || !p.dim.is_multiple_of(p.heads) {
            return Err(TaskError::Input(format!(
                "SASRec's hidden size ({}) must be a multiple of its heads ({})",
                p.dim, p.heads
            )));
        }
        Ok(Self {
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
}

/// What a run's note says about how a sequential model was trained: the
/// loss and the epoch kept. `sequences` names what was validated
/// ("customer", "session").
pub fn training_note(
    network: Network,
    loss: SequenceLoss,
    best_epoch: usize,
    sequences: &str,
) -> String {
    let name = network.name();
    let loss = match (loss, network) {
        (SequenceLoss::Sampled, Network::SasRec(s)) => format!(
            "{} ({} items; full softmax up to {})",
            loss.label(),
            s.items,
            FULL_SOFTMAX_MAX_ITEMS
        ),
        (SequenceLoss::Sampled, Network::Gru4Rec(_)) => {
            "sampled softmax over the batch's next items and popularity-sampled extras, logQ-corrected".to_owned()
        }
        (other, _) => other.label().to_owned(),
    };
    match best_epoch {
        0 => format!("{name} trained with {loss}; no validation (no {sequences} has three train items)"),
        e => format!(
            "{name} trained with {loss}; kept epoch {e}'s weights (best validation NDCG@{VALIDATION_K})"
        ),
    }
}
