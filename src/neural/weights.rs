//! Trainable parameters by name: initialised from a seed, handed to the
//! optimiser, and saved as plain numbers (workspaces keep a trained network
//! and restore it without retraining).

use candle_core::{Device, Result, Tensor, Var};
use rand::Rng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One parameter's values, for saving.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// How a parameter starts.
#[derive(Clone, Copy)]
pub enum Init {
    /// Glorot/Xavier uniform over (fan_in, fan_out): the shape's two sides.
    Xavier,
    /// Normal with this standard deviation.
    Normal(f32),
    Constant(f32),
}

/// Parameters in creation order, each with a name (the order is the saved
/// order, and the optimiser sees them in it).
#[derive(Default)]
pub struct Weights {
    named: Vec<(String, Var)>,
}

impl Weights {
    /// A new parameter of `shape` (rows, columns), drawn from `rng`.
    pub fn add(
        &mut self,
        name: String,
        shape: (usize, usize),
        init: Init,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Var> {
        let n = shape.0 * shape.1;
        let values: Vec<f32> = match init {
            Init::Xavier => {
                let bound = (6.0 / (shape.0 + shape.1) as f32).sqrt();
                (0..n).map(|_| rng.gen_range(-bound..bound)).collect()
            }
            Init::Normal(std) => {
                let normal = Normal::new(0.0, std).map_err(candle_core::Error::wrap)?;
                (0..n).map(|_| normal.sample(rng)).collect()
            }
            Init::Constant(c) => vec![c; n],
        };
        let var = Var::from_vec(values, shape, &Device::Cpu)?;
        self.named.push((name, var.clone()));
        Ok(var)
    }

    /// Every parameter, for the optimiser.
    pub fn vars(&self) -> Vec<Var> {
        self.named.iter().map(|(_, v)| v.clone()).collect()
    }

    /// How many numbers the network learns.
    pub fn count(&self) -> usize {
        self.named.iter().map(|(_, v)| v.elem_count()).sum()
    }

    pub fn save(&self) -> Result<Vec<SavedTensor>> {
        self.named
            .iter()
            .map(|(name, var)| {
                Ok(SavedTensor {
                    name: name.clone(),
                    shape: var.dims().to_vec(),
                    values: var.as_tensor().flatten_all()?.to_vec1()?,
                })
            })
            .collect()
    }

    /// Overwrite every parameter from `saved`, which must name the same
    /// parameters with the same shapes (a saved file from another network
    /// is refused, not half-loaded).
    pub fn load(&self, saved: &[SavedTensor]) -> std::result::Result<(), String> {
        if saved.len() != self.named.len() {
            return Err(format!(
                "the saved network has {} parameter tensors; this one has {}",
                saved.len(),
                self.named.len()
            ));
        }
        for ((name, var), s) in self.named.iter().zip(saved) {
            if *name != s.name || var.dims() != s.shape.as_slice() {
                return Err(format!(
                    "saved parameter {} {:?} does not match {name} {:?}",
                    s.name,
                    s.shape,
                    var.dims()
                ));
            }
            if s.values.len() != var.elem_count() || s.values.iter().any(|v| !v.is_finite()) {
                return Err(format!(
                    "saved parameter {name} has the wrong length or values that are not finite"
                ));
            }
            Tensor::from_vec(s.values.clone(), var.shape(), &Device::Cpu)
                .and_then(|t| var.set(&t))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::layers::seeded;

    #[test]
    fn saved_weights_load_back_and_mismatches_are_refused() {
        let build = |seed| {
            let mut w = Weights::default();
            let mut rng = seeded(seed);
            w.add("a".into(), (3, 2), Init::Xavier, &mut rng).unwrap();
            w.add("b".into(), (1, 2), Init::Normal(0.1), &mut rng)
                .unwrap();
            w
        };
        let (one, two) = (build(1), build(2));
        assert_ne!(one.save().unwrap(), two.save().unwrap());
        two.load(&one.save().unwrap()).unwrap();
        assert_eq!(one.save().unwrap(), two.save().unwrap());
        let mut other = one.save().unwrap();
        other[1].shape = vec![2, 1];
        assert!(two.load(&other).is_err());
        assert!(two.load(&other[..1]).is_err());
    }
}
