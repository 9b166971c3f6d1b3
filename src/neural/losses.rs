//! The losses the sequential models train with, and the popularity sampler
//! of their negatives. Each takes the hidden states of the positions that
//! have a next item (`h`: positions × dim) and those next items.

use candle_core::{DType, Device, Result, Tensor};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::neural::SequenceNet;

/// The 1-based embedding ids of 0-based items.
fn ids_tensor(items: &[u32]) -> Result<Tensor> {
    let ids: Vec<u32> = items.iter().map(|&i| i + 1).collect();
    Tensor::from_vec(ids, items.len(), &Device::Cpu)
}

/// A large negative logit: the column does not compete.
const MASKED: f32 = -1e9;

/// Cross-entropy of the next item against every item.
pub fn full_softmax(net: &dyn SequenceNet, h: &Tensor, targets: &[u32]) -> Result<Tensor> {
    let logits = h.matmul(&net.item_table()?.t()?)?;
    let targets = Tensor::from_vec(targets.to_vec(), targets.len(), &Device::Cpu)?;
    candle_nn::loss::cross_entropy(&logits, &targets)
}

/// Sampled softmax: each next item against the candidates shared by the
/// batch — the batch's own next items when `in_batch` (GRU4Rec's minibatch
/// negatives) and `extra` sampled items — every logit corrected by −ln q,
/// q the candidate's sampling probability (logQ correction, Yi et al. 2019),
/// and a candidate that is the row's own next item masked out.
pub fn sampled_softmax(
    net: &dyn SequenceNet,
    h: &Tensor,
    targets: &[u32],
    extra: &[u32],
    in_batch: bool,
    sampler: &Popularity,
) -> Result<Tensor> {
    let n = targets.len();
    let dev = &Device::Cpu;
    let own = (h * net.item_rows(&ids_tensor(targets)?)?)?.sum_keepdim(1)?;
    let own_q: Vec<f32> = targets
        .iter()
        .map(|&t| sampler.log_q_target[t as usize])
        .collect();
    let own = (own - Tensor::from_vec(own_q, (n, 1), dev)?)?;
    // Candidate columns: (item, its log q).
    let mut columns: Vec<(u32, f32)> = Vec::with_capacity(extra.len() + n);
    if in_batch {
        columns.extend(
            targets
                .iter()
                .map(|&t| (t, sampler.log_q_target[t as usize])),
        );
    }
    columns.extend(extra.iter().map(|&j| (j, sampler.log_q_extra[j as usize])));
    if columns.is_empty() {
        candle_core::bail!("sampled softmax needs at least one negative");
    }
    let items: Vec<u32> = columns.iter().map(|c| c.0).collect();
    let others = h.matmul(&net.item_rows(&ids_tensor(&items)?)?.t()?)?;
    let mut correction = Vec::with_capacity(n * columns.len());
    for &t in targets {
        correction.extend(
            columns
                .iter()
                .map(|&(j, log_q)| if j == t { MASKED } else { -log_q }),
        );
    }
    let others = (others + Tensor::from_vec(correction, (n, columns.len()), dev)?)?;
    let logits = Tensor::cat(&[&own, &others], 1)?;
    let first = Tensor::zeros(n, DType::U32, dev)?;
    candle_nn::loss::cross_entropy(&logits, &first)
}

/// `ln(1 + eˣ)` from primitive operations, stable for large |x|.
fn softplus(x: &Tensor) -> Result<Tensor> {
    x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?
}

/// SASRec's original loss: −ln σ(s⁺) − ln(1 − σ(s⁻)), one negative per
/// next item.
pub fn binary(
    net: &dyn SequenceNet,
    h: &Tensor,
    targets: &[u32],
    negatives: &[u32],
) -> Result<Tensor> {
    let positive = (h * net.item_rows(&ids_tensor(targets)?)?)?.sum(1)?;
    let negative = (h * net.item_rows(&ids_tensor(negatives)?)?)?.sum(1)?;
    (softplus(&positive.neg()?)? + softplus(&negative)?)?.mean_all()
}

/// Items drawn in proportion to popularity^alpha (how often each is a next
/// item in training), with the log-probabilities logQ needs: of the extra
/// draws, and of an item being a batch's next item (popularity itself).
pub struct Popularity {
    cumulative: Vec<f64>,
    log_q_extra: Vec<f32>,
    log_q_target: Vec<f32>,
}

fn log_shares(weights: &[f64]) -> Vec<f32> {
    let total = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    weights
        .iter()
        .map(|&w| {
            if w > 0.0 {
                (w / total).ln() as f32
            } else {
                0.0
            }
        })
        .collect()
}

impl Popularity {
    pub fn new(learn: &[&[u32]], n_items: usize, alpha: f32) -> Self {
        let mut counts = vec![0f64; n_items];
        for seq in learn {
            for &i in seq.iter().skip(1) {
                counts[i as usize] += 1.0;
            }
        }
        let weights: Vec<f64> = counts
            .iter()
            .map(|&c| {
                if c > 0.0 {
                    c.powf(f64::from(alpha))
                } else {
                    0.0
                }
            })
            .collect();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|&w| {
                acc += w;
                acc
            })
            .collect();
        Self {
            cumulative,
            log_q_extra: log_shares(&weights),
            log_q_target: log_shares(&counts),
        }
    }

    pub fn draw(&self, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<u32> {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let last = self.cumulative.len().saturating_sub(1);
        (0..n)
            .map(|_| {
                let x = rng.gen::<f64>() * total;
                self.cumulative.partition_point(|&c| c <= x).min(last) as u32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::layers::seeded;

    #[test]
    fn popularity_draws_follow_the_counts_and_never_an_unseen_item() {
        let seqs: Vec<&[u32]> = vec![&[0, 1, 1, 1], &[2, 1, 3]];
        // Next items: 1 ×4, 3 ×1; items 0 and 2 are never a next item.
        let p = Popularity::new(&seqs, 4, 1.0);
        let draws = p.draw(5000, &mut seeded(1));
        let ones = draws.iter().filter(|&&d| d == 1).count() as f64 / 5000.0;
        assert!((ones - 0.8).abs() < 0.03, "{ones}");
        assert!(draws.iter().all(|&d| d == 1 || d == 3));
        assert!((p.log_q_target[1] - 0.8f32.ln()).abs() < 1e-6);
        let flat = Popularity::new(&seqs, 4, 0.0);
        assert!((flat.log_q_extra[3] - 0.5f32.ln()).abs() < 1e-6);
    }
}
