//! Layers built from primitive tensor operations, so that gradients flow
//! through them (see the module above for the trap they avoid), and a seeded
//! dropout (candle's draws from an unseeded generator).

use candle_core::{Result, Tensor, D};
use rand::Rng;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Layer normalisation over the last dimension:
/// `(x − mean) / sqrt(var + eps) · gamma + beta`, with the biased variance
/// (as PyTorch's `LayerNorm` and the SASRec paper use).
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64) -> Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centred.broadcast_div(&(var + eps)?.sqrt()?)?;
    normed.broadcast_mul(gamma)?.broadcast_add(beta)
}

/// A mask that keeps attention causal: 0 where a position may look (itself
/// and earlier ones), −∞ where it may not; add it to the scores before softmax.
pub fn causal_mask(len: usize, device: &candle_core::Device) -> Result<Tensor> {
    let values: Vec<f32> = (0..len)
        .flat_map(|i| (0..len).map(move |j| if j <= i { 0.0 } else { f32::NEG_INFINITY }))
        .collect();
    Tensor::from_vec(values, (len, len), device)
}

/// Inverted dropout with a mask drawn from `rng`: the same seed drops the same
/// units. Returns `x` unchanged when `p` is 0.
pub fn dropout(x: &Tensor, p: f32, rng: &mut Xoshiro256PlusPlus) -> Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let keep = 1.0 - p;
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| {
            if rng.gen::<f32>() < keep {
                1.0 / keep
            } else {
                0.0
            }
        })
        .collect();
    x * Tensor::from_vec(mask, x.shape(), x.device())?
}

/// Dropout applied during training only: its rates and the generator of
/// its masks.
pub struct Dropout<'a> {
    pub rate: f32,
    /// On the item embeddings read (GRU4Rec sets it apart; SASRec uses `rate`).
    pub embedding: f32,
    pub rng: &'a mut Xoshiro256PlusPlus,
}

impl Dropout<'_> {
    pub fn apply(&mut self, x: &Tensor) -> Result<Tensor> {
        dropout(x, self.rate, self.rng)
    }
}

/// Apply `dropout` when training (`Some`), pass `x` through otherwise.
pub fn maybe_dropout(x: Tensor, train: &mut Option<Dropout>) -> Result<Tensor> {
    match train {
        Some(t) => t.apply(&x),
        None => Ok(x),
    }
}

/// A generator for dropout masks and initial weights.
pub fn seeded(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};
    use candle_nn::{AdamW, Optimizer, ParamsAdamW};

    /// A tiny model with every kind of parameter a sequence model has: an
    /// embedding table, layer norm (gamma, beta) and an output projection,
    /// trained with cross-entropy over all items.
    struct Tiny {
        embedding: Var,
        gamma: Var,
        beta: Var,
        output: Var,
    }

    const ITEMS: usize = 5;
    const DIM: usize = 4;

    fn tiny(seed: u64) -> Tiny {
        let mut rng = seeded(seed);
        let mut var = |shape: (usize, usize), scale: f32, offset: f32| {
            let values: Vec<f32> = (0..shape.0 * shape.1)
                .map(|_| offset + scale * (rng.gen::<f32>() - 0.5))
                .collect();
            Var::from_vec(values, shape, &Device::Cpu).unwrap()
        };
        Tiny {
            embedding: var((ITEMS, DIM), 1.0, 0.0),
            gamma: var((1, DIM), 0.2, 1.0),
            beta: var((1, DIM), 0.2, 0.0),
            output: var((DIM, ITEMS), 1.0, 0.0),
        }
    }

    fn inputs() -> (Tensor, Tensor) {
        let items = Tensor::new(&[0u32, 3, 1, 4], &Device::Cpu).unwrap();
        let next = Tensor::new(&[3u32, 1, 4, 2], &Device::Cpu).unwrap();
        (items, next)
    }

    fn loss(m: &Tiny) -> Tensor {
        let (items, next) = inputs();
        let h = m.embedding.as_tensor().index_select(&items, 0).unwrap();
        let h = layer_norm(&h, m.gamma.as_tensor(), m.beta.as_tensor(), 1e-5).unwrap();
        let logits = h.matmul(m.output.as_tensor()).unwrap();
        candle_nn::loss::cross_entropy(&logits, &next).unwrap()
    }

    fn vars(m: &Tiny) -> Vec<(&'static str, &Var)> {
        vec![
            ("embedding", &m.embedding),
            ("gamma", &m.gamma),
            ("beta", &m.beta),
            ("output", &m.output),
        ]
    }

    #[test]
    fn layer_norm_normalises_the_last_dimension() {
        let x = Tensor::new(
            &[[1f32, 2.0, 3.0, 6.0], [-1.0, 0.0, 0.0, 1.0]],
            &Device::Cpu,
        )
        .unwrap();
        let ones = Tensor::ones((1, 4), DType::F32, &Device::Cpu).unwrap();
        let zeros = Tensor::zeros((1, 4), DType::F32, &Device::Cpu).unwrap();
        let y: Vec<Vec<f32>> = layer_norm(&x, &ones, &zeros, 0.0)
            .unwrap()
            .to_vec2()
            .unwrap();
        for row in &y {
            let mean = row.iter().sum::<f32>() / 4.0;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
            assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "{row:?}");
        }
        // Row 1: mean 3, biased variance 3.5.
        assert!((y[0][3] - 3.0 / 3.5f32.sqrt()).abs() < 1e-6);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let m = tiny(7);
        let grads = loss(&m).backward().unwrap();
        let h = 1e-3f32;
        for (name, var) in vars(&m) {
            let analytic: Vec<f32> = grads
                .get(var.as_tensor())
                .unwrap_or_else(|| panic!("no gradient for {name}"))
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let original: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            let shape = var.as_tensor().shape().clone();
            for (i, &a) in analytic.iter().enumerate() {
                let at = |delta: f32| {
                    let mut v = original.clone();
                    v[i] += delta;
                    var.set(&Tensor::from_vec(v, shape.clone(), &Device::Cpu).unwrap())
                        .unwrap();
                    loss(&m).to_scalar::<f32>().unwrap()
                };
                let numeric = (at(h) - at(-h)) / (2.0 * h);
                var.set(&Tensor::from_vec(original.clone(), shape.clone(), &Device::Cpu).unwrap())
                    .unwrap();
                assert!(
                    (a - numeric).abs() < 2e-3 + 2e-2 * numeric.abs(),
                    "{name}[{i}]: analytic {a}, finite difference {numeric}"
                );
            }
        }
    }

    #[test]
    fn one_adamw_step_changes_every_parameter() {
        let m = tiny(11);
        let before: Vec<Vec<f32>> = vars(&m)
            .iter()
            .map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        let mut opt = AdamW::new(
            vars(&m).into_iter().map(|(_, v)| v.clone()).collect(),
            ParamsAdamW {
                lr: 1e-2,
                weight_decay: 0.0,
                ..Default::default()
            },
        )
        .unwrap();
        let start = loss(&m).to_scalar::<f32>().unwrap();
        opt.backward_step(&loss(&m)).unwrap();
        for ((name, var), old) in vars(&m).into_iter().zip(before) {
            let new: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            // Rows of the embedding table that no input touches keep their
            // values; every row that is used must move.
            let unused_rows: &[usize] = if name == "embedding" { &[2] } else { &[] };
            for (i, (a, b)) in old.iter().zip(&new).enumerate() {
                if unused_rows.contains(&(i / DIM)) {
                    assert_eq!(a, b, "{name}[{i}] is not used and must not move");
                } else {
                    assert!(a != b, "{name}[{i}] did not learn");
                }
            }
        }
        assert!(loss(&m).to_scalar::<f32>().unwrap() < start);
    }

    #[test]
    fn dropout_is_seeded_and_keeps_the_expectation() {
        let x = Tensor::ones((200, 50), DType::F32, &Device::Cpu).unwrap();
        let a = dropout(&x, 0.2, &mut seeded(3)).unwrap();
        let b = dropout(&x, 0.2, &mut seeded(3)).unwrap();
        let diff = (&a - &b).unwrap().abs().unwrap().sum_all().unwrap();
        assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
        let mean = a.mean_all().unwrap().to_scalar::<f32>().unwrap();
        assert!((mean - 1.0).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn the_causal_mask_hides_later_positions() {
        let m: Vec<Vec<f32>> = causal_mask(3, &Device::Cpu).unwrap().to_vec2().unwrap();
        assert_eq!(m[0][0], 0.0);
        assert!(m[0][1].is_infinite() && m[1][2].is_infinite());
        assert_eq!(m[2], [0.0, 0.0, 0.0]);
    }
}
