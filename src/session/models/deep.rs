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
use crate::neural::logits::ItemTable;
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
    /// The item embeddings, as the logits read them.
    items: ItemTable,
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
        let row_major: Vec<f32> = net.item_table_values().map_err(crate::neural::describe)?;
        let items = ItemTable::new(&row_major, net.dim());
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
}

/// Prefixes read through the network in one batch: enough to amortise a
/// forward pass's fixed cost, few enough that a batch padded to its longest
/// prefix stays small.
const PREFIX_BATCH: usize = 64;

impl DeepSession {
    /// The softmax over every item of one state's `logits`, into `scratch`
    /// (cleared first): the probability that each is viewed next.
    fn softmax_into(logits: &[f32], scratch: &mut Scratch) {
        scratch.clear();
        let max = logits
            .iter()
            .map(|&l| f64::from(l))
            .fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return;
        }
        let weights: Vec<f64> = logits.iter().map(|&l| (f64::from(l) - max).exp()).collect();
        let total: f64 = weights.iter().sum();
        for (i, w) in weights.into_iter().enumerate() {
            scratch.add(i as u32, w / total);
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
            let mut logits = vec![0f32; self.items.items()];
            self.items.logits(&state, &mut logits);
            Self::softmax_into(&logits, scratch);
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
        let n = self.items.items();
        let positions: Vec<usize> = (1..items.len()).collect();
        let mut logits = Vec::new();
        for batch in positions.chunks(PREFIX_BATCH) {
            let reads: Vec<&[u32]> = batch.iter().map(|&pos| self.window(items, pos)).collect();
            let read = last_states(self.net.as_ref(), &reads).ok();
            let states = read.filter(|s| s.len() == batch.len() * self.net.dim());
            if let Some(states) = &states {
                logits.resize(batch.len() * n, 0.0);
                self.items.logits(states, &mut logits);
            }
            for (k, &pos) in batch.iter().enumerate() {
                match states {
                    Some(_) => Self::softmax_into(&logits[k * n..(k + 1) * n], scratch),
                    None => scratch.clear(),
                }
                each(pos, scratch);
            }
        }
    }

    fn reasons(&self, prefix: &[u32], item: u32, _scratch: &Scratch, limit: usize) -> Vec<Reason> {
        influence(self.net.as_ref(), &self.items.vector(item), prefix, limit)
            .unwrap_or_default()
            .into_iter()
            .map(|(read, lift)| Reason::Influence {
                item: read,
                lift: f64::from(lift),
            })
            .collect()
    }

    fn memory_bytes(&self) -> usize {
        self.net.weights().count() * std::mem::size_of::<f32>() + self.items.memory_bytes()
    }

    fn network(&self) -> Option<&DeepSession> {
        Some(self)
    }
}
