//! The SASRec network (Kang & McAuley, ICDM 2018): item and learned position
//! embeddings, then blocks of causal self-attention and a position-wise feed-
//! forward layer, each with layer norm, residual connection and dropout.
//! Written from the paper; the block order follows its public description:
//! the query is the layer-normed input, the attention output is added to it,
//! and a layer norm precedes the feed-forward layer, whose output is added
//! back. Padded positions are zeroed after every block and masked as keys.
//!
//! Items are numbered from 1; 0 is padding. Sequences are left-padded, so
//! the last position always holds the newest item.

use candle_core::{Device, Result, Tensor, Var, D};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::layers::{layer_norm, Dropout};
use super::weights::{Init, Weights};

/// The shape of a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SasRecShape {
    /// Catalogue size (padding not counted).
    pub items: usize,
    pub dim: usize,
    pub blocks: usize,
    pub heads: usize,
    /// L: the newest items a sequence is cut to.
    pub max_len: usize,
}

struct Linear {
    weight: Var,
    bias: Var,
}

impl Linear {
    fn new(
        w: &mut Weights,
        name: &str,
        from: usize,
        to: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Self> {
        Ok(Self {
            weight: w.add(format!("{name}.weight"), (from, to), Init::Xavier, rng)?,
            bias: w.add(format!("{name}.bias"), (1, to), Init::Constant(0.0), rng)?,
        })
    }

    /// `x · W + b` for `x` of shape (rows, from).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(self.weight.as_tensor())?
            .broadcast_add(self.bias.as_tensor())
    }
}

struct Norm {
    gamma: Var,
    beta: Var,
}

impl Norm {
    fn new(w: &mut Weights, name: &str, dim: usize, rng: &mut Xoshiro256PlusPlus) -> Result<Self> {
        Ok(Self {
            gamma: w.add(format!("{name}.gamma"), (1, dim), Init::Constant(1.0), rng)?,
            beta: w.add(format!("{name}.beta"), (1, dim), Init::Constant(0.0), rng)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        layer_norm(x, self.gamma.as_tensor(), self.beta.as_tensor(), 1e-8)
    }
}

struct Block {
    attention_norm: Norm,
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    feed_forward_norm: Norm,
    inner: Linear,
    outer: Linear,
}

/// A forward pass's results.
pub struct Forward {
    /// (batch × L, dim): the hidden state at every position.
    pub hidden: Tensor,
    /// (batch, heads, L, L): the last block's attention weights.
    pub attention: Tensor,
}

pub struct SasRecNet {
    pub shape: SasRecShape,
    pub weights: Weights,
    items: Var,
    positions: Var,
    blocks: Vec<Block>,
    final_norm: Norm,
}

impl SasRecNet {
    pub fn new(shape: SasRecShape, rng: &mut Xoshiro256PlusPlus) -> Result<Self> {
        let d = shape.dim;
        let mut w = Weights::default();
        // Row 0 is padding; every row is scaled by √d on the way in, so a
        // standard deviation of 1/√d gives inputs of unit scale.
        let std = 1.0 / (d as f32).sqrt();
        let items = w.add("items".into(), (shape.items + 1, d), Init::Normal(std), rng)?;
        let positions = w.add(
            "positions".into(),
            (shape.max_len, d),
            Init::Normal(std),
            rng,
        )?;
        let mut blocks = Vec::with_capacity(shape.blocks);
        for b in 0..shape.blocks {
            let name = |part: &str| format!("block{b}.{part}");
            blocks.push(Block {
                attention_norm: Norm::new(&mut w, &name("attention_norm"), d, rng)?,
                query: Linear::new(&mut w, &name("query"), d, d, rng)?,
                key: Linear::new(&mut w, &name("key"), d, d, rng)?,
                value: Linear::new(&mut w, &name("value"), d, d, rng)?,
                output: Linear::new(&mut w, &name("output"), d, d, rng)?,
                feed_forward_norm: Norm::new(&mut w, &name("feed_forward_norm"), d, rng)?,
                inner: Linear::new(&mut w, &name("inner"), d, d, rng)?,
                outer: Linear::new(&mut w, &name("outer"), d, d, rng)?,
            });
        }
        let final_norm = Norm::new(&mut w, "final_norm", d, rng)?;
        Ok(Self {
            shape,
            weights: w,
            items,
            positions,
            blocks,
            final_norm,
        })
    }

    /// Run `batch` left-padded sequences of `l` ≤ L ids each (`ids`,
    /// row-major, 0 = padding). A batch of short sequences runs at their
    /// length: the newest item keeps position L − 1 whatever `l` is, so the
    /// result is the one padding to L would give, without the padding's work.
    pub fn forward(
        &self,
        ids: &[u32],
        batch: usize,
        mut train: Option<Dropout>,
    ) -> Result<Forward> {
        let SasRecShape {
            dim: d,
            max_len,
            heads,
            ..
        } = self.shape;
        let l = ids.len() / batch.max(1);
        if l == 0 || l > max_len || l * batch != ids.len() {
            candle_core::bail!(
                "{} ids do not make {batch} sequences of at most {max_len}",
                ids.len()
            );
        }
        let positions = self.positions.as_tensor().narrow(0, max_len - l, l)?;
        let dev = &Device::Cpu;
        let keep: Vec<f32> = ids.iter().map(|&i| f32::from(i != 0)).collect();
        let keep = Tensor::from_vec(keep, (batch * l, 1), dev)?;
        let mask = attention_mask(ids, batch, l)?;
        let flat = Tensor::from_vec(ids.to_vec(), batch * l, dev)?;
        let mut h = (self.items.as_tensor().index_select(&flat, 0)? * (d as f64).sqrt())?
            .reshape((batch, l, d))?
            .broadcast_add(&positions)?
            .reshape((batch * l, d))?;
        if let Some(t) = train.as_mut() {
            h = t.apply(&h)?;
        }
        h = h.broadcast_mul(&keep)?;
        let dh = d / heads;
        let split_heads = |x: Tensor| -> Result<Tensor> {
            x.reshape((batch, l, heads, dh))?
                .transpose(1, 2)?
                .contiguous()
        };
        let mut attention = None;
        for block in &self.blocks {
            let q_in = block.attention_norm.forward(&h)?;
            let q = split_heads(block.query.forward(&q_in)?)?;
            let k = split_heads(block.key.forward(&h)?)?;
            let v = split_heads(block.value.forward(&h)?)?;
            let scores = (q.matmul(&k.t()?)? / (dh as f64).sqrt())?.broadcast_add(&mask)?;
            let mut weights = candle_nn::ops::softmax(&scores, D::Minus1)?;
            attention = Some(weights.clone());
            if let Some(t) = train.as_mut() {
                weights = t.apply(&weights)?;
            }
            let mixed = weights
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((batch * l, d))?;
            let mut attended = block.output.forward(&mixed)?;
            if let Some(t) = train.as_mut() {
                attended = t.apply(&attended)?;
            }
            let x = block.feed_forward_norm.forward(&(q_in + attended)?)?;
            let mut inner = block.inner.forward(&x)?.relu()?;
            if let Some(t) = train.as_mut() {
                inner = t.apply(&inner)?;
            }
            let mut outer = block.outer.forward(&inner)?;
            if let Some(t) = train.as_mut() {
                outer = t.apply(&outer)?;
            }
            h = (x + outer)?.broadcast_mul(&keep)?;
        }
        let hidden = self.final_norm.forward(&h)?;
        let attention = match attention {
            Some(a) => a,
            None => Tensor::zeros((batch, heads, l, l), candle_core::DType::F32, dev)?,
        };
        Ok(Forward { hidden, attention })
    }
}

impl super::SequenceNet for SasRecNet {
    fn weights(&self) -> &Weights {
        &self.weights
    }

    fn network(&self) -> super::Network {
        super::Network::SasRec(self.shape)
    }

    /// The output layer shares them (a score is the hidden state · the
    /// item's row).
    fn item_embeddings(&self) -> &Var {
        &self.items
    }

    fn hidden(&self, ids: &[u32], batch: usize, train: Option<Dropout>) -> Result<Tensor> {
        Ok(self.forward(ids, batch, train)?.hidden)
    }
}

/// Additive attention mask (batch, 1, L, L): a query sees itself and earlier
/// positions that are not padding. A large finite negative rather than −∞,
/// so a padded query (which sees nothing) gets uniform weights, not NaN.
fn attention_mask(ids: &[u32], batch: usize, l: usize) -> Result<Tensor> {
    const HIDDEN: f32 = -1e9;
    let mut m = vec![HIDDEN; batch * l * l];
    for b in 0..batch {
        let row = &ids[b * l..(b + 1) * l];
        for q in 0..l {
            for k in 0..=q {
                if row[k] != 0 {
                    m[(b * l + q) * l + k] = 0.0;
                }
            }
        }
    }
    Tensor::from_vec(m, (batch, 1, l, l), &Device::Cpu)
}

/// The length a batch of sequences runs at: its longest, at most `l`.
pub fn batch_len(sequences: &[&[u32]], l: usize) -> usize {
    sequences
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(1)
        .clamp(1, l)
}

/// Left-pad (or cut to the newest `l`) each sequence of 0-based item
/// indices into 1-based ids, row-major.
pub fn pad_left(sequences: &[&[u32]], l: usize) -> Vec<u32> {
    let mut ids = vec![0u32; sequences.len() * l];
    for (row, seq) in ids.chunks_mut(l).zip(sequences) {
        let seq = &seq[seq.len().saturating_sub(l)..];
        for (slot, &item) in row[l - seq.len()..].iter_mut().zip(seq) {
            *slot = item + 1;
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::layers::seeded;

    fn shape() -> SasRecShape {
        SasRecShape {
            items: 6,
            dim: 8,
            blocks: 2,
            heads: 2,
            max_len: 4,
        }
    }

    #[test]
    fn padding_is_on_the_left_and_long_sequences_keep_their_newest_items() {
        let ids = pad_left(&[&[4, 5], &[0, 1, 2, 3, 4]], 4);
        assert_eq!(ids, vec![0, 0, 5, 6, 2, 3, 4, 5]);
    }

    #[test]
    fn a_position_does_not_see_later_items() {
        let net = SasRecNet::new(shape(), &mut seeded(1)).unwrap();
        let last_hidden = |ids: &[u32]| -> Vec<f32> {
            let f = net.forward(ids, 1, None).unwrap();
            f.hidden
                .narrow(0, 2, 1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        // Positions 0..=2 equal, position 3 differs: position 2's state must not change.
        assert_eq!(last_hidden(&[0, 1, 2, 3]), last_hidden(&[0, 1, 2, 6]));
        assert_ne!(last_hidden(&[0, 1, 2, 3]), last_hidden(&[0, 1, 4, 3]));
        // Attention rows sum to one and give no weight to padding.
        let f = net.forward(&[0, 1, 2, 3], 1, None).unwrap();
        let rows: Vec<f32> = f
            .attention
            .sum(D::Minus1)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert!(rows.iter().all(|s| (s - 1.0).abs() < 1e-5));
        let to_padding: Vec<f32> = f
            .attention
            .narrow(3, 0, 1)
            .unwrap()
            .narrow(2, 1, 3)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert!(to_padding.iter().all(|&w| w < 1e-6), "{to_padding:?}");
    }

    #[test]
    fn a_short_batch_gives_what_padding_to_l_gives() {
        let net = SasRecNet::new(shape(), &mut seeded(4)).unwrap();
        let last = |ids: &[u32], l: usize| -> Vec<f32> {
            let f = net.forward(ids, 1, None).unwrap();
            f.hidden
                .narrow(0, l - 1, 1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        let short = last(&pad_left(&[&[2, 3]], 2), 2);
        let full = last(&pad_left(&[&[2, 3]], 4), 4);
        for (a, b) in short.iter().zip(&full) {
            assert!((a - b).abs() < 1e-5, "{short:?} vs {full:?}");
        }
        assert!(
            net.forward(&[1, 2, 3, 4, 5], 1, None).is_err(),
            "longer than L"
        );
    }

    #[test]
    fn every_parameter_gets_a_gradient() {
        let net = SasRecNet::new(shape(), &mut seeded(2)).unwrap();
        let ids = pad_left(&[&[0, 1, 2], &[3, 4, 5, 0]], 4);
        crate::neural::assert_every_parameter_learns(&net, &ids, 2, &[0u32, 1, 2, 3, 1, 2, 3, 4]);
    }
}
