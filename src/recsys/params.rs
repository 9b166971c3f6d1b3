//! Hyperparameters of every model: defaults, documentation and validation (one
//! error per invalid field), `Send + Sync` so they move to a worker.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Similarity {
    Cosine,
    Bm25,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemKnnParams {
    pub similarity: Similarity,
    /// Neighbours kept per item (the item itself counts, as in implicit).
    pub neighbors: usize,
    /// BM25 term saturation.
    pub k1: f32,
    /// BM25 length normalisation.
    pub b: f32,
}

impl Default for ItemKnnParams {
    fn default() -> Self {
        Self {
            similarity: Similarity::Cosine,
            neighbors: 100,
            k1: 1.2,
            b: 0.75,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlsParams {
    pub factors: usize,
    pub regularization: f32,
    /// Confidence of an observed pair is `alpha × weight` (implicit's convention;
    /// unobserved pairs have confidence 1 and preference 0).
    pub alpha: f32,
    pub iterations: usize,
    /// Conjugate-gradient steps per row and half-iteration.
    pub cg_steps: usize,
    /// Compute the training loss every iteration (one more pass over the
    /// data, ~10–25% of an iteration); off reports NaN losses.
    pub track_loss: bool,
}

impl Default for AlsParams {
    fn default() -> Self {
        Self {
            factors: 64,
            regularization: 0.05,
            alpha: 1.0,
            iterations: 15,
            cg_steps: 3,
            track_loss: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BprParams {
    pub factors: usize,
    pub learning_rate: f32,
    pub regularization: f32,
    pub epochs: usize,
    /// Negative items sampled per positive pair.
    pub negatives: usize,
}

impl Default for BprParams {
    fn default() -> Self {
        Self {
            factors: 64,
            learning_rate: 0.05,
            regularization: 0.01,
            epochs: 100,
            negatives: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EaseParams {
    pub lambda: f32,
    /// EASE inverts an items × items matrix: refuse above this many items.
    pub max_items: usize,
}

impl Default for EaseParams {
    fn default() -> Self {
        Self {
            lambda: 250.0,
            max_items: 5_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum ModelParams {
    Popular,
    ItemKnn(ItemKnnParams),
    Als(AlsParams),
    Bpr(BprParams),
    Ease(EaseParams),
}

impl ModelParams {
    pub const NAMES: [&'static str; 5] = ["popular", "itemknn", "als", "bpr", "ease"];

    pub fn default_for(name: &str) -> Option<ModelParams> {
        Some(match name {
            "popular" => ModelParams::Popular,
            "itemknn" => ModelParams::ItemKnn(Default::default()),
            "als" => ModelParams::Als(Default::default()),
            "bpr" => ModelParams::Bpr(Default::default()),
            "ease" => ModelParams::Ease(Default::default()),
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            ModelParams::Popular => "popular",
            ModelParams::ItemKnn(_) => "itemknn",
            ModelParams::Als(_) => "als",
            ModelParams::Bpr(_) => "bpr",
            ModelParams::Ease(_) => "ease",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            ModelParams::Popular => "Most popular",
            ModelParams::ItemKnn(_) => "Item kNN",
            ModelParams::Als(_) => "ALS (implicit)",
            ModelParams::Bpr(_) => "BPR-MF",
            ModelParams::Ease(_) => "EASE",
        }
    }

    /// Every invalid field, each with its own message.
    pub fn validate(&self) -> Result<(), Vec<ParamError>> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: &'static str, message: &str| {
            if !ok {
                errors.push(ParamError {
                    field,
                    message: message.to_owned(),
                });
            }
        };
        let finite_pos = |x: f32| x.is_finite() && x > 0.0;
        let finite_non_neg = |x: f32| x.is_finite() && x >= 0.0;
        match self {
            ModelParams::Popular => {}
            ModelParams::ItemKnn(p) => {
                check(p.neighbors >= 1, "neighbors", "must be at least 1");
                check(finite_non_neg(p.k1), "k1", "must be a number ≥ 0");
                check(
                    p.b.is_finite() && (0.0..=1.0).contains(&p.b),
                    "b",
                    "must be between 0 and 1",
                );
            }
            ModelParams::Als(p) => {
                check(
                    (1..=1024).contains(&p.factors),
                    "factors",
                    "must be between 1 and 1024",
                );
                check(
                    finite_non_neg(p.regularization),
                    "regularization",
                    "must be a number ≥ 0",
                );
                check(finite_pos(p.alpha), "alpha", "must be a number > 0");
                check(
                    (1..=10_000).contains(&p.iterations),
                    "iterations",
                    "must be between 1 and 10000",
                );
                check(
                    (1..=100).contains(&p.cg_steps),
                    "cg_steps",
                    "must be between 1 and 100",
                );
            }
            ModelParams::Bpr(p) => {
                check(
                    (1..=1024).contains(&p.factors),
                    "factors",
                    "must be between 1 and 1024",
                );
                check(
                    finite_pos(p.learning_rate),
                    "learning_rate",
                    "must be a number > 0",
                );
                check(
                    finite_non_neg(p.regularization),
                    "regularization",
                    "must be a number ≥ 0",
                );
                check(
                    (1..=100_000).contains(&p.epochs),
                    "epochs",
                    "must be between 1 and 100000",
                );
                check(
                    (1..=100).contains(&p.negatives),
                    "negatives",
                    "must be between 1 and 100",
                );
            }
            ModelParams::Ease(p) => {
                check(finite_pos(p.lambda), "lambda", "must be a number > 0");
                check(p.max_items >= 1, "max_items", "must be at least 1");
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Flat `name → value` view for tables and JSON.
    /// Goes through text so f32 fields print as written (0.01, not
    /// 0.009999999776482582).
    pub fn to_json(&self) -> serde_json::Value {
        json_as_written(self)
    }
}

/// `value` as JSON through text, so f32 fields read as written (0.01, not
/// 0.009999999776482582 as `serde_json::to_value` gives).
pub fn json_as_written<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// One invalid hyperparameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

/// Run settings shared by all models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainOptions {
    pub seed: u64,
    /// Worker threads (BPR is reproducible bit for bit only with 1 thread).
    pub threads: usize,
    /// Compute the validation metric every this many epochs (0: never).
    pub validate_every: usize,
    /// k for the ranking metrics.
    pub k: usize,
    /// Early stopping: end training after this many validations in a row
    /// without a better validation metric (0: off). The model kept is the
    /// one at the stopping epoch.
    pub patience: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            threads: 2,
            validate_every: 5,
            k: 10,
            patience: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_per_invalid_field() {
        let p = ModelParams::Als(AlsParams {
            factors: 0,
            regularization: -1.0,
            alpha: f32::NAN,
            iterations: 15,
            cg_steps: 3,
            track_loss: true,
        });
        let errors = p.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["factors", "regularization", "alpha"]);
        assert!(ModelParams::Als(Default::default()).validate().is_ok());
    }

    #[test]
    fn each_model_rejects_its_bad_fields() {
        let knn = ModelParams::ItemKnn(ItemKnnParams {
            neighbors: 0,
            b: 2.0,
            ..Default::default()
        });
        assert_eq!(knn.validate().unwrap_err().len(), 2);
        let bpr = ModelParams::Bpr(BprParams {
            learning_rate: 0.0,
            epochs: 0,
            ..Default::default()
        });
        assert_eq!(bpr.validate().unwrap_err().len(), 2);
        let ease = ModelParams::Ease(EaseParams {
            lambda: -1.0,
            ..Default::default()
        });
        assert_eq!(ease.validate().unwrap_err()[0].field, "lambda");
    }

    #[test]
    fn params_round_trip_through_json() {
        for name in ModelParams::NAMES {
            let p = ModelParams::default_for(name).unwrap();
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<ModelParams>(&json).unwrap(), p);
        }
    }
}
