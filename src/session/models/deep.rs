//! SASRec and GRU4Rec on anonymous sessions: the neural training loop
//! ([`crate::neural::train`]) run on the training
//! sessions as sequences, validated on each training session's last view
//! (ranked among the items not already in it, NDCG@10) with early stopping.
//! A prefix is scored by reading its newest L views through the network, at
//! once; the score of an item is the softmax probability that it is viewed
//! next, so every item is scored and none ties at 0 by accident.

use serde::{Deserialize, Serialize};

use super::{Reason, Scratch, SessionModel};
use crate::neural::layers::seeded;
use crate::neural::params::SequenceLoss;
use crate::neural::read::{influence, last_states};
use crate::neural::recipe::{training_note, Recipe};
use crate::neural::train::{train, TrainHooks};
use crate::neural::weights::SavedTensor;
use crate::neural::{Network, SequenceNet};
use crate::session::protocol::SessionData;
use crate::task::TaskError;

/// A trained network as a workspace keeps it: enough to score again with
/// no retraining.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedNetwork {
    pub network: Network,
    pub weights: Vec<SavedTensor>,
    pub loss: SequenceLoss,
    /// The epoch whose weights were kept (0: none was validated).
    pub best_epoch: usize,
}

pub struct DeepSession {
    saved: SavedNetwork,
    net: Box<dyn SequenceNet>,
    /// The item embeddings, row-major (items × dim).
    items: Vec<f32>,
}

impl DeepSession {
    /// Train `recipe` on the split's training sessions.
    pub fn fit(
        recipe: &Recipe,
        data: &SessionData,
        seed: u64,
        ctx: &TrainHooks,
    ) -> Result<Self, TaskError> {
        let sequences: Vec<Vec<u32>> = data.train.iter().map(|s| s.items.clone()).collect();
        let trained = train(recipe, &sequences, seed, ctx)?;
        Self::restore(SavedNetwork {
            network: trained.network,
            weights: trained.weights()?,
            loss: trained.loss,
            best_epoch: trained.best_epoch,
        })
        .map_err(TaskError::Input)
    }

    /// The network `saved` describes, with its weights.
    pub fn restore(saved: SavedNetwork) -> Result<Self, String> {
        let net = saved
            .network
            .build(&mut seeded(0))
            .map_err(crate::neural::describe)?;
        net.weights().load(&saved.weights)?;
        let items = net
            .item_table()
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1())
            .map_err(crate::neural::describe)?;
        Ok(Self { saved, net, items })
    }

    pub fn saved(&self) -> &SavedNetwork {
        &self.saved
    }

    pub fn items(&self) -> usize {
        self.saved.network.items()
    }

    pub fn note(&self) -> String {
        training_note(
            self.saved.network,
            self.saved.loss,
            self.saved.best_epoch,
            "session",
        )
    }

    fn item_vector(&self, item: u32) -> &[f32] {
        let d = self.net.dim();
        let i = item as usize;
        self.items.get(i * d..(i + 1) * d).unwrap_or(&[])
    }
}

/// Prefixes read through the network in one batch: enough to amortise a
/// forward pass's fixed cost, few enough that a batch padded to its longest
/// prefix stays small.
const PREFIX_BATCH: usize = 64;

impl DeepSession {
    /// The softmax over every item of the scores `state` gives, into
    /// `scratch` (cleared first): the probability that each is viewed next.
    fn softmax_into(&self, state: &[f32], scratch: &mut Scratch) {
        scratch.clear();
        let logits: Vec<f64> = self
            .items
            .chunks_exact(self.net.dim())
            .map(|row| f64::from(row.iter().zip(state).map(|(a, b)| a * b).sum::<f32>()))
            .collect();
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return;
        }
        let total: f64 = logits.iter().map(|l| (l - max).exp()).sum();
        for (i, l) in logits.iter().enumerate() {
            scratch.add(i as u32, (l - max).exp() / total);
        }
    }

    /// The newest views of `items[..pos]` the network reads.
    fn window<'a>(&self, items: &'a [u32], pos: usize) -> &'a [u32] {
        &items[pos.saturating_sub(self.net.max_len())..pos]
    }
}

impl SessionModel for DeepSession {
    fn score(&self, prefix: &[u32], _now: f64, scratch: &mut Scratch) {
        scratch.clear();
        let seq = self.window(prefix, prefix.len());
        if seq.is_empty() {
            return;
        }
        if let Ok(state) = last_states(self.net.as_ref(), &[seq]) {
            self.softmax_into(&state, scratch);
        }
    }

    /// A session's prefixes in batches of [`PREFIX_BATCH`]: the network runs
    /// each batch at its longest prefix (the newest view keeps position
    /// L − 1 and padding is masked), so a prefix gets the state it gets
    /// alone, up to the order of the products' sums.
    fn score_prefixes(
        &self,
        items: &[u32],
        _times: &[f64],
        scratch: &mut Scratch,
        each: &mut dyn FnMut(usize, &Scratch),
    ) {
        let d = self.net.dim();
        let positions: Vec<usize> = (1..items.len()).collect();
        for batch in positions.chunks(PREFIX_BATCH) {
            let reads: Vec<&[u32]> = batch.iter().map(|&pos| self.window(items, pos)).collect();
            let states = last_states(self.net.as_ref(), &reads).ok();
            for (k, &pos) in batch.iter().enumerate() {
                match states.as_ref().and_then(|s| s.get(k * d..(k + 1) * d)) {
                    Some(state) => self.softmax_into(state, scratch),
                    None => scratch.clear(),
                }
                each(pos, scratch);
            }
        }
    }

    fn reasons(&self, prefix: &[u32], item: u32, _scratch: &Scratch, limit: usize) -> Vec<Reason> {
        influence(self.net.as_ref(), self.item_vector(item), prefix, limit)
            .unwrap_or_default()
            .into_iter()
            .map(|(read, lift)| Reason::Influence {
                item: read,
                lift: f64::from(lift),
            })
            .collect()
    }

    fn memory_bytes(&self) -> usize {
        (self.net.weights().count() + self.items.len()) * std::mem::size_of::<f32>()
    }

    fn network(&self) -> Option<&DeepSession> {
        Some(self)
    }
}
