//! The GRU4Rec network (Hidasi et al., ICLR 2016; Hidasi & Czapp, RecSys
//! 2023): one GRU layer over the item embeddings, with the embedding table
//! shared by input and output (the paper's constrained embedding: the hidden
//! size is the embedding size, and a score is the state · the item's row),
//! dropout on the embeddings and on the hidden states. Written from the
//! papers; the gates are built from primitive operations (σ(x) =
//! (tanh(x/2) + 1) / 2), so gradients flow through all of them.
//!
//! Sequences are left-padded: a padded step leaves the state as it is.

use candle_core::{Device, Result, Tensor, Var};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::layers::{maybe_dropout, Dropout};
use super::weights::{Init, Weights};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GruShape {
    pub items: usize,
    /// Embedding and hidden size.
    pub dim: usize,
    pub max_len: usize,
}

pub struct Gru4RecNet {
    pub shape: GruShape,
    weights: Weights,
    items: Var,
    /// Input to the reset, update and candidate gates: (dim, 3·dim).
    input_gates: Var,
    /// State to the gates: (dim, 3·dim).
    state_gates: Var,
    gate_bias: Var,
}

fn sigmoid(x: &Tensor) -> Result<Tensor> {
    ((x * 0.5)?.tanh()? + 1.0)? * 0.5
}

impl Gru4RecNet {
    pub fn new(shape: GruShape, rng: &mut Xoshiro256PlusPlus) -> Result<Self> {
        let d = shape.dim;
        let mut w = Weights::default();
        let std = 1.0 / (d as f32).sqrt();
        let items = w.add("items".into(), (shape.items + 1, d), Init::Normal(std), rng)?;
        let input_gates = w.add("input_gates".into(), (d, 3 * d), Init::Xavier, rng)?;
        let state_gates = w.add("state_gates".into(), (d, 3 * d), Init::Xavier, rng)?;
        let gate_bias = w.add("gate_bias".into(), (1, 3 * d), Init::Constant(0.0), rng)?;
        Ok(Self {
            shape,
            weights: w,
            items,
            input_gates,
            state_gates,
            gate_bias,
        })
    }
}

impl super::SequenceNet for Gru4RecNet {
    fn weights(&self) -> &Weights {
        &self.weights
    }

    fn network(&self) -> super::Network {
        super::Network::Gru4Rec(self.shape)
    }

    fn item_embeddings(&self) -> &Var {
        &self.items
    }

    fn hidden(&self, ids: &[u32], batch: usize, mut train: Option<Dropout>) -> Result<Tensor> {
        let d = self.shape.dim;
        let l = ids.len() / batch.max(1);
        if l == 0 || l > self.shape.max_len || l * batch != ids.len() {
            candle_core::bail!(
                "{} ids do not make {batch} sequences of at most {}",
                ids.len(),
                self.shape.max_len
            );
        }
        let dev = &Device::Cpu;
        let flat = Tensor::from_vec(ids.to_vec(), batch * l, dev)?;
        let mut x = self.items.as_tensor().index_select(&flat, 0)?;
        if let Some(t) = train.as_mut() {
            x = super::layers::dropout(&x, t.embedding, t.rng)?;
        }
        // Every step's input part of the gates at once: (batch, l, 3d).
        let xg = x
            .matmul(self.input_gates.as_tensor())?
            .broadcast_add(self.gate_bias.as_tensor())?
            .reshape((batch, l, 3 * d))?;
        let mut h = Tensor::zeros((batch, d), candle_core::DType::F32, dev)?;
        let mut states = Vec::with_capacity(l);
        for t in 0..l {
            let keep: Vec<f32> = (0..batch).map(|b| f32::from(ids[b * l + t] != 0)).collect();
            let keep = Tensor::from_vec(keep, (batch, 1), dev)?;
            let xt = xg.narrow(1, t, 1)?.reshape((batch, 3 * d))?;
            let hu = h.matmul(self.state_gates.as_tensor())?;
            let r = sigmoid(&(xt.narrow(1, 0, d)? + hu.narrow(1, 0, d)?)?)?;
            let z = sigmoid(&(xt.narrow(1, d, d)? + hu.narrow(1, d, d)?)?)?;
            let n = (xt.narrow(1, 2 * d, d)? + (r * hu.narrow(1, 2 * d, d)?)?)?.tanh()?;
            let next = (&n + (z * (&h - &n)?)?)?;
            // A padded step keeps the state: h + keep · (next − h).
            h = (&h + (next - &h)?.broadcast_mul(&keep)?)?;
            states.push(h.clone());
        }
        let out = Tensor::stack(&states, 1)?.reshape((batch * l, d))?;
        maybe_dropout(out, &mut train)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::layers::seeded;
    use crate::neural::sasrec::pad_left;
    use crate::neural::SequenceNet;

    fn net() -> Gru4RecNet {
        let shape = GruShape {
            items: 5,
            dim: 6,
            max_len: 4,
        };
        Gru4RecNet::new(shape, &mut seeded(1)).unwrap()
    }

    #[test]
    fn padding_leaves_the_state_and_the_past_does_not_see_the_future() {
        let net = net();
        let last = |seq: &[u32], l: usize| -> Vec<f32> {
            let h = net.hidden(&pad_left(&[seq], l), 1, None).unwrap();
            h.narrow(0, l - 1, 1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        assert_eq!(last(&[1, 2], 2), last(&[1, 2], 4));
        let step = |seq: &[u32]| -> Vec<f32> {
            let h = net.hidden(&pad_left(&[seq], 3), 1, None).unwrap();
            h.narrow(0, 1, 1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        assert_eq!(step(&[1, 2, 3]), step(&[1, 2, 4]));
    }

    #[test]
    fn every_gate_learns() {
        let net = net();
        let ids = pad_left(&[&[0, 1, 2], &[3, 4]], 3);
        crate::neural::assert_every_parameter_learns(&net, &ids, 2, &[1u32, 2, 3, 0, 4, 0]);
    }
}
