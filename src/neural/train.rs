//! The training loop shared by SASRec and GRU4Rec: length-bucketed batches,
//! the chosen loss, Adam, a validation NDCG@10 every epoch with early
//! stopping that keeps the best weights, and a NaN loss ending the run.

use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::layers::{seeded, Dropout};
use super::losses::{binary, full_softmax, sampled_softmax, Popularity};
use super::params::SequenceLoss;
use super::read::{last_states, ENCODE_BATCH};
use super::recipe::Recipe;
use super::sasrec::{batch_len, pad_left};
use super::validation::{hold_out_last, ndcg_at, rank_of, spread, ValidationCase};
use super::weights::SavedTensor;
use super::{Network, SequenceNet};
use crate::task::{CancelToken, EpochEvent, TaskError};

/// Validation ranks at most this many sequences' second-to-last items per
/// epoch (spread evenly over them), to bound an epoch's cost.
pub const VALIDATION_SEQUENCES: usize = 10_000;
/// k of the validation NDCG.
pub const VALIDATION_K: usize = 10;

pub(crate) fn engine(e: candle_core::Error) -> TaskError {
    TaskError::Input(super::describe(e))
}

/// Where training reports, and what stops it.
pub struct TrainHooks<'a> {
    pub cancel: &'a CancelToken,
    pub on_epoch: &'a (dyn Fn(EpochEvent) + Sync),
    /// Progress within the whole fit (0–1) and what it is doing.
    pub on_progress: &'a (dyn Fn(f32, &str) + Sync),
    /// Set to end training after the current epoch, keeping the model.
    pub stop: Option<&'a AtomicBool>,
}

impl TrainHooks<'_> {
    pub fn check(&self) -> Result<(), TaskError> {
        self.cancel.check().map_err(|_| TaskError::Cancelled)
    }

    fn stop_requested(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// A trained network and how it was trained.
pub struct TrainedNet {
    pub net: Box<dyn SequenceNet>,
    pub network: Network,
    pub loss: SequenceLoss,
    /// The epoch whose weights were kept (0: none was validated).
    pub best_epoch: usize,
}

impl TrainedNet {
    pub fn weights(&self) -> Result<Vec<SavedTensor>, TaskError> {
        self.net.weights().save().map_err(engine)
    }
}

/// Batches sorted by length together (see [`bucketed_batches`]).
const BUCKET_BATCHES: usize = 64;

/// Train `recipe`'s network on `sequences` (item indices from 0, oldest
/// first), validating on each one's last item.
pub fn train(
    recipe: &Recipe,
    sequences: &[Vec<u32>],
    seed: u64,
    ctx: &TrainHooks,
) -> Result<TrainedNet, TaskError> {
    super::prepare_allocator();
    let n_items = recipe.network.items();
    let l = recipe.max_len;
    let (learn, cases) = hold_out_last(sequences);
    let mut cases = spread(cases, VALIDATION_SEQUENCES);
    // Validation runs them in batches of similar length.
    cases.sort_by_key(|c| (learn[c.user].len(), c.user));
    let mut examples: Vec<usize> = (0..learn.len()).filter(|&u| learn[u].len() >= 2).collect();
    if examples.is_empty() {
        return Err(TaskError::Input(format!(
            "{} learns from sequences (a customer's or a session's items) of at least two items in order; this split has none",
            recipe.network.name()
        )));
    }
    let mut rng = seeded(seed);
    let net = recipe.network.build(&mut rng).map_err(engine)?;
    let mut opt = AdamW::new(
        net.weights().vars(),
        ParamsAdamW {
            lr: f64::from(recipe.learning_rate),
            beta1: 0.9,
            beta2: 0.98,
            eps: 1e-8,
            weight_decay: 0.0,
        },
    )
    .map_err(engine)?;
    let sampler = Popularity::new(&learn, n_items, recipe.sample_alpha);
    let start = std::time::Instant::now();
    let mut best: Option<(f64, usize, Vec<SavedTensor>)> = None;
    let batches = examples.len().div_ceil(recipe.batch_size);
    for epoch in 1..=recipe.epochs {
        let order = bucketed_batches(&mut examples, &learn, recipe.batch_size, &mut rng);
        let mut loss_sum = 0.0;
        for (b, chunk) in order.iter().enumerate() {
            ctx.check()?;
            let batch = Batch::new(chunk, &learn, l);
            let mut masks = seeded(rng.gen());
            let dropout = Dropout {
                rate: recipe.dropout,
                embedding: recipe.embedding_dropout,
                rng: &mut masks,
            };
            let hidden = net
                .hidden(&batch.ids, chunk.len(), Some(dropout))
                .map_err(engine)?;
            let positions =
                Tensor::from_vec(batch.positions.clone(), batch.positions.len(), &Device::Cpu)
                    .map_err(engine)?;
            let h = hidden.index_select(&positions, 0).map_err(engine)?;
            let loss = match recipe.loss {
                SequenceLoss::Sampled => {
                    let extra = sampler.draw(recipe.negatives, &mut rng);
                    sampled_softmax(
                        net.as_ref(),
                        &h,
                        &batch.targets,
                        &extra,
                        recipe.in_batch,
                        &sampler,
                    )
                }
                SequenceLoss::Binary => {
                    let negatives = random_negatives(chunk, &learn, l, n_items, &mut rng);
                    binary(net.as_ref(), &h, &batch.targets, &negatives)
                }
                SequenceLoss::Softmax | SequenceLoss::Auto => {
                    full_softmax(net.as_ref(), &h, &batch.targets)
                }
            }
            .map_err(engine)?;
            let value = loss.to_scalar::<f32>().map_err(engine)?;
            if !value.is_finite() {
                return Err(TaskError::Input(format!(
                    "{} diverged: the training loss became {value} at epoch {epoch}, batch {} of {batches}; lower the learning rate",
                    recipe.network.name(),
                    b + 1
                )));
            }
            opt.backward_step(&loss).map_err(engine)?;
            loss_sum += f64::from(value);
            if b % 16 == 0 {
                (ctx.on_progress)(
                    ((epoch - 1) * batches + b) as f32 / (recipe.epochs * batches) as f32,
                    &format!("epoch {epoch}: batch {} of {batches}", b + 1),
                );
            }
        }
        let metric = if cases.is_empty() {
            None
        } else {
            let value = validate(net.as_ref(), &learn, &cases, ctx)?;
            if best.as_ref().is_none_or(|(v, _, _)| value > *v) {
                best = Some((value, epoch, net.weights().save().map_err(engine)?));
            }
            Some((format!("val ndcg@{VALIDATION_K}"), value))
        };
        (ctx.on_epoch)(EpochEvent {
            epoch,
            loss: loss_sum / batches as f64,
            metric,
            secs: start.elapsed().as_secs_f64(),
        });
        let since_best = best.as_ref().map_or(0, |(_, at, _)| epoch - at);
        if (recipe.patience > 0 && since_best >= recipe.patience) || ctx.stop_requested() {
            break;
        }
    }
    let best_epoch = match best {
        Some((_, at, saved)) => {
            net.weights().load(&saved).map_err(TaskError::Input)?;
            at
        }
        None => 0,
    };
    Ok(TrainedNet {
        net,
        network: recipe.network,
        loss: recipe.loss,
        best_epoch,
    })
}

/// Batches for one epoch: customers shuffled, then within each run of
/// [`BUCKET_BATCHES`] batches sorted by sequence length (so a batch pads to
/// little more than its own length), and the batches shuffled.
fn bucketed_batches(
    examples: &mut [usize],
    learn: &[&[u32]],
    batch_size: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<Vec<usize>> {
    examples.shuffle(rng);
    let mut batches = Vec::with_capacity(examples.len().div_ceil(batch_size));
    for bucket in examples.chunks_mut(batch_size * BUCKET_BATCHES) {
        bucket.sort_by_key(|&u| learn[u].len());
        batches.extend(bucket.chunks(batch_size).map(<[usize]>::to_vec));
    }
    batches.shuffle(rng);
    batches
}

/// One training batch: each customer's newest L + 1 items as L inputs
/// (left-padded to the batch's longest) and, at every position that has
/// one, the next item.
struct Batch {
    ids: Vec<u32>,
    /// Flat (row × length + column) indices of the positions with a next item.
    positions: Vec<u32>,
    targets: Vec<u32>,
}

impl Batch {
    fn new(users: &[usize], learn: &[&[u32]], l: usize) -> Self {
        let windows: Vec<&[u32]> = users
            .iter()
            .map(|&u| &learn[u][learn[u].len().saturating_sub(l + 1)..])
            .collect();
        let inputs: Vec<&[u32]> = windows.iter().map(|w| &w[..w.len() - 1]).collect();
        let l = batch_len(&inputs, l);
        let mut positions = Vec::new();
        let mut targets = Vec::new();
        for (row, window) in windows.iter().enumerate() {
            let read = window.len() - 1;
            for (j, &next) in window[1..].iter().enumerate() {
                positions.push((row * l + l - read + j) as u32);
                targets.push(next);
            }
        }
        Self {
            ids: pad_left(&inputs, l),
            positions,
            targets,
        }
    }
}

/// One uniform negative per next item, not among the customer's items
/// (SASRec's original sampling).
fn random_negatives(
    users: &[usize],
    learn: &[&[u32]],
    l: usize,
    n_items: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<u32> {
    let mut out = Vec::new();
    for &u in users {
        let mut own = learn[u].to_vec();
        own.sort_unstable();
        own.dedup();
        let targets = learn[u].len().min(l + 1) - 1;
        for _ in 0..targets {
            out.push(loop {
                let j = rng.gen_range(0..n_items as u32);
                if own.binary_search(&j).is_err() || own.len() >= n_items {
                    break j;
                }
            });
        }
    }
    out
}

/// Mean NDCG@10 of the validation cases: each customer's held-out item
/// ranked among every item not in what the model read.
fn validate(
    net: &dyn SequenceNet,
    learn: &[&[u32]],
    cases: &[ValidationCase],
    ctx: &TrainHooks,
) -> Result<f64, TaskError> {
    let table = net.item_table().map_err(engine)?;
    let mut total = 0.0;
    for chunk in cases.chunks(ENCODE_BATCH) {
        ctx.check()?;
        let reads: Vec<&[u32]> = chunk.iter().map(|c| learn[c.user]).collect();
        let last = last_states(net, &reads).map_err(engine)?;
        let scores: Vec<Vec<f32>> = Tensor::from_vec(last, (chunk.len(), net.dim()), &Device::Cpu)
            .and_then(|u| u.matmul(&table.t()?))
            .and_then(|s| s.to_vec2())
            .map_err(engine)?;
        for (case, row) in chunk.iter().zip(&scores) {
            total += ndcg_at(rank_of(row, learn[case.user], case.target), VALIDATION_K);
        }
    }
    Ok(total / cases.len() as f64)
}
