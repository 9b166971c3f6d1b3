//! Hyperparameters of every recommender: defaults, and their specs in the
//! shared interface ([`crate::params`]) — names, CLI aliases, labels,
//! tooltips, valid and slider ranges — so validation gives one error per
//! invalid field and sweeps, the CLI and the tabs all use the same names.

use serde::{Deserialize, Serialize};

pub use super::models::spark_als::SparkAlsParams;
pub use crate::neural::params::{Gru4RecParams, SasRecParams};
use crate::params::{log_slider, slider, Hyperparams, ModelKind, ParamKind, ParamSpec};

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
            max_items: 20_000,
        }
    }
}

/// Which recommender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum RecommenderKind {
    Popular,
    #[value(name = "itemknn")]
    ItemKnn,
    Als,
    Bpr,
    Ease,
    /// Self-attention over the customer's ordered items ([`super::models::sasrec`]).
    #[serde(rename = "sasrec")]
    #[value(name = "sasrec")]
    SasRec,
    /// A recurrent network over the customer's ordered items.
    #[serde(rename = "gru4rec")]
    #[value(name = "gru4rec")]
    Gru4Rec,
    /// MLlib's implicit ALS, trained by Apache Spark ([`crate::spark`]).
    #[serde(rename = "spark-als")]
    #[value(name = "spark-als")]
    SparkAls,
}

impl RecommenderKind {
    pub const ALL: [RecommenderKind; 8] = [
        RecommenderKind::Popular,
        RecommenderKind::ItemKnn,
        RecommenderKind::Als,
        RecommenderKind::Bpr,
        RecommenderKind::Ease,
        RecommenderKind::SasRec,
        RecommenderKind::Gru4Rec,
        RecommenderKind::SparkAls,
    ];

    /// The name in records, JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            RecommenderKind::Popular => "popular",
            RecommenderKind::ItemKnn => "itemknn",
            RecommenderKind::Als => "als",
            RecommenderKind::Bpr => "bpr",
            RecommenderKind::Ease => "ease",
            RecommenderKind::SasRec => "sasrec",
            RecommenderKind::Gru4Rec => "gru4rec",
            RecommenderKind::SparkAls => "spark-als",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RecommenderKind::Popular => "Most popular",
            RecommenderKind::ItemKnn => "Item kNN",
            RecommenderKind::Als => "ALS (implicit)",
            RecommenderKind::Bpr => "BPR-MF",
            RecommenderKind::Ease => "EASE",
            RecommenderKind::SasRec => "SASRec (deep, sequential)",
            RecommenderKind::Gru4Rec => "GRU4Rec (deep, sequential)",
            RecommenderKind::SparkAls => "ALS on Spark",
        }
    }

    /// Whether it trains epoch by epoch (a loss curve, validation every few
    /// epochs, early stopping); the others fit in one step.
    pub fn iterates(self) -> bool {
        matches!(
            self,
            RecommenderKind::Als
                | RecommenderKind::Bpr
                | RecommenderKind::SasRec
                | RecommenderKind::Gru4Rec
        )
    }

    /// One line on what the model does, for the UI.
    pub fn describe(self) -> &'static str {
        match self {
            RecommenderKind::Popular => {
                "Recommends the items most users interacted with. No parameters."
            }
            RecommenderKind::ItemKnn => "Items similar to the customer's history (co-occurrence)",
            RecommenderKind::Als => {
                "Matrix factorisation for implicit feedback (conjugate gradient)"
            }
            RecommenderKind::Bpr => {
                "Matrix factorisation trained to rank bought items above others"
            }
            RecommenderKind::Ease => "Closed-form item-item model (one matrix inverse)",
            RecommenderKind::SasRec => {
                "A self-attention network that reads each customer's items in order and predicts the next one (Kang & McAuley 2018)"
            }
            RecommenderKind::Gru4Rec => {
                "A recurrent (GRU) network that reads each customer's items in order and predicts the next one (Hidasi et al. 2016)"
            }
            RecommenderKind::SparkAls => {
                "MLlib's implicit ALS trained by Apache Spark (on this machine or a cluster); the factors come back here to be evaluated and explored"
            }
        }
    }
}

impl ModelKind for RecommenderKind {
    type Params = ModelParams;
    const ALL: &'static [Self] = &RecommenderKind::ALL;
    const WHAT: &'static str = "a recommender";

    fn name(self) -> &'static str {
        self.name()
    }

    fn defaults(self) -> ModelParams {
        match self {
            RecommenderKind::Popular => ModelParams::Popular,
            RecommenderKind::ItemKnn => ModelParams::ItemKnn(Default::default()),
            RecommenderKind::Als => ModelParams::Als(Default::default()),
            RecommenderKind::Bpr => ModelParams::Bpr(Default::default()),
            RecommenderKind::Ease => ModelParams::Ease(Default::default()),
            RecommenderKind::SasRec => ModelParams::SasRec(Default::default()),
            RecommenderKind::Gru4Rec => ModelParams::Gru4Rec(Default::default()),
            RecommenderKind::SparkAls => ModelParams::SparkAls(Default::default()),
        }
    }

    fn of(params: &ModelParams) -> Self {
        params.kind()
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
    #[serde(rename = "sasrec")]
    SasRec(SasRecParams),
    #[serde(rename = "gru4rec")]
    Gru4Rec(Gru4RecParams),
    #[serde(rename = "spark-als")]
    SparkAls(SparkAlsParams),
}

const FACTORS: ParamSpec = ParamSpec::new(
    "factors",
    "factors",
    "Latent dimensions: more capture finer taste but overfit small data and train slower",
    ParamKind::Int {
        min: 1,
        max: Some(1024),
    },
    log_slider(1.0, 256.0),
)
.sweep("16,32,64");
const AT_LEAST_0: ParamKind = ParamKind::Float {
    min: 0.0,
    above: false,
    max: None,
};
const ABOVE_0: ParamKind = ParamKind::Float {
    min: 0.0,
    above: true,
    max: None,
};

const ITEMKNN_SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "similarity",
        "similarity",
        "How item vectors are compared: cosine between the items' user vectors, or BM25 weighting (down-weights very active users and very popular items)",
        ParamKind::Choice(&[("cosine", "cosine"), ("bm25", "BM25")]),
        None,
    ),
    ParamSpec::new(
        "neighbors",
        "neighbors K",
        "Similar items kept per item (the item itself counts)",
        ParamKind::Int { min: 1, max: None },
        log_slider(1.0, 500.0),
    )
.sweep("20,50,100")
    .aliases(&["neighbours"]),
    ParamSpec::new(
        "k1",
        "K1",
        "BM25 saturation: how fast repeated interactions stop adding weight",
        AT_LEAST_0,
        slider(0.0, 5.0),
    )
    .when("similarity", "bm25"),
    ParamSpec::new(
        "b",
        "B",
        "BM25 length normalisation: 0 none, 1 full",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: Some(1.0),
        },
        slider(0.0, 1.0),
    )
    .when("similarity", "bm25"),
];

const ALS_SPECS: &[ParamSpec] = &[
    FACTORS,
    ParamSpec::new(
        "regularization",
        "regularisation",
        "L2 penalty λ on the factors: higher is smoother, lower fits the training data closer",
        AT_LEAST_0,
        log_slider(0.0, 10.0),
    )
    .aliases(&["reg"]),
    ParamSpec::new(
        "alpha",
        "alpha",
        "Confidence of an observed interaction = alpha × its weight (unobserved pairs count 1)",
        ABOVE_0,
        log_slider(0.01, 100.0),
    ),
    ParamSpec::new(
        "iterations",
        "iterations",
        "Alternating passes over users and items",
        ParamKind::Int {
            min: 1,
            max: Some(10_000),
        },
        slider(1.0, 100.0),
    ),
    ParamSpec::new(
        "cg_steps",
        "CG steps",
        "Conjugate-gradient steps per user/item and pass",
        ParamKind::Int {
            min: 1,
            max: Some(100),
        },
        slider(1.0, 10.0),
    )
    .advanced(),
    ParamSpec::new(
        "track_loss",
        "plot training loss",
        "Computes the loss each iteration: one more pass over the data",
        ParamKind::Bool,
        None,
    )
    .advanced(),
];

const BPR_SPECS: &[ParamSpec] = &[
    ParamSpec {
        tooltip: "Latent dimensions (an item bias is added)",
        ..FACTORS
    },
    ParamSpec::new(
        "learning_rate",
        "learning rate",
        "SGD step size",
        ABOVE_0,
        log_slider(0.001, 0.5),
    )
    .aliases(&["lr"]),
    ParamSpec::new(
        "regularization",
        "regularisation",
        "L2 penalty on the factors",
        AT_LEAST_0,
        log_slider(0.0, 1.0),
    )
    .aliases(&["reg"]),
    ParamSpec::new(
        "epochs",
        "epochs",
        "Passes; each draws as many samples as there are train interactions",
        ParamKind::Int {
            min: 1,
            max: Some(100_000),
        },
        log_slider(1.0, 500.0),
    )
    .aliases(&["iterations"]),
    ParamSpec::new(
        "negatives",
        "negatives",
        "Negative items sampled per positive pair (popularity-weighted)",
        ParamKind::Int {
            min: 1,
            max: Some(100),
        },
        slider(1.0, 20.0),
    ),
];

const EASE_SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "lambda",
        "λ",
        "L2 penalty of the closed-form item-item model",
        ABOVE_0,
        log_slider(1.0, 5000.0),
    )
.sweep("50,250,1000"),
    ParamSpec::new(
        "max_items",
        "max items",
        "EASE inverts an items × items matrix (memory: 12 bytes × items², 4.8 GB at 20,000 items); it refuses larger catalogues",
        ParamKind::Int { min: 1, max: None },
        log_slider(100.0, 50_000.0),
    )
    .advanced(),
];

impl ModelParams {
    pub fn kind(&self) -> RecommenderKind {
        match self {
            ModelParams::Popular => RecommenderKind::Popular,
            ModelParams::ItemKnn(_) => RecommenderKind::ItemKnn,
            ModelParams::Als(_) => RecommenderKind::Als,
            ModelParams::Bpr(_) => RecommenderKind::Bpr,
            ModelParams::Ease(_) => RecommenderKind::Ease,
            ModelParams::SasRec(_) => RecommenderKind::SasRec,
            ModelParams::Gru4Rec(_) => RecommenderKind::Gru4Rec,
            ModelParams::SparkAls(_) => RecommenderKind::SparkAls,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    pub fn label(&self) -> &'static str {
        self.kind().label()
    }
}

impl Hyperparams for ModelParams {
    fn specs(&self) -> &'static [ParamSpec] {
        match self {
            ModelParams::Popular => &[],
            ModelParams::ItemKnn(_) => ITEMKNN_SPECS,
            ModelParams::Als(_) => ALS_SPECS,
            ModelParams::Bpr(_) => BPR_SPECS,
            ModelParams::Ease(_) => EASE_SPECS,
            ModelParams::SasRec(_) => crate::neural::params::SPECS,
            ModelParams::Gru4Rec(_) => crate::neural::params::GRU4REC_SPECS,
            ModelParams::SparkAls(p) => p.specs(),
        }
    }

    fn title(&self) -> &'static str {
        self.label()
    }

    fn check_more(&self, errors: &mut Vec<crate::params::ParamError>) {
        match self {
            ModelParams::SparkAls(p) => p.check_more(errors),
            ModelParams::SasRec(p) => p.check_heads(errors),
            _ => {}
        }
    }

    fn text(&self, name: &str) -> Option<String> {
        match self {
            ModelParams::SparkAls(p) => p.text(name),
            _ => None,
        }
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
    /// Evaluate on a random sample of this many customers, drawn with
    /// `seed` (0: every customer with a test item). On a catalogue of
    /// hundreds of thousands of items every customer is ranked against all
    /// of them, so a 10⁸-event store needs a sample to finish in minutes.
    pub eval_users: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            threads: crate::task::DEFAULT_THREADS,
            validate_every: 5,
            k: 10,
            patience: 0,
            eval_users: 0,
        }
    }
}

/// How often early stopping validates when validation is off.
pub const PATIENCE_VALIDATE_EVERY: usize = 5;

impl TrainOptions {
    /// The options as training uses them: early stopping needs validations,
    /// so with patience and validation off it validates every
    /// [`PATIENCE_VALIDATE_EVERY`] epochs.
    pub fn effective(&self) -> TrainOptions {
        let mut o = self.clone();
        if o.patience > 0 && o.validate_every == 0 {
            o.validate_every = PATIENCE_VALIDATE_EVERY;
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Hyperparams;

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
        let errors = p.check().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["factors", "regularization", "alpha"]);
        assert!(ModelParams::Als(Default::default()).check().is_ok());
    }

    #[test]
    fn each_model_rejects_its_bad_fields() {
        let knn = ModelParams::ItemKnn(ItemKnnParams {
            neighbors: 0,
            b: 2.0,
            ..Default::default()
        });
        assert_eq!(knn.check().unwrap_err().len(), 2);
        let bpr = ModelParams::Bpr(BprParams {
            learning_rate: 0.0,
            epochs: 0,
            ..Default::default()
        });
        assert_eq!(bpr.check().unwrap_err().len(), 2);
        let ease = ModelParams::Ease(EaseParams {
            lambda: -1.0,
            ..Default::default()
        });
        assert_eq!(ease.check().unwrap_err()[0].field, "lambda");
    }

    #[test]
    fn short_cli_names_reach_the_same_parameters() {
        let mut als = RecommenderKind::Als.defaults();
        als.set("reg", &serde_json::json!(0.2)).unwrap();
        assert_eq!(als.get("regularization"), Some(serde_json::json!(0.2)));
        let mut bpr = RecommenderKind::Bpr.defaults();
        bpr.set("lr", &serde_json::json!(0.1)).unwrap();
        bpr.set("iterations", &serde_json::json!(7)).unwrap();
        let ModelParams::Bpr(b) = &bpr else { panic!() };
        assert_eq!((b.learning_rate, b.epochs), (0.1, 7));
        let mut knn = RecommenderKind::ItemKnn.defaults();
        knn.set("neighbours", &serde_json::json!(20)).unwrap();
        assert_eq!(knn.get("neighbors"), Some(serde_json::json!(20)));
        assert!(!knn.flat().contains_key("k1"), "BM25 knobs only with bm25");
    }

    #[test]
    fn patience_validates_every_five_epochs_when_validation_is_off() {
        let o = TrainOptions {
            validate_every: 0,
            patience: 2,
            ..Default::default()
        };
        assert_eq!(o.effective().validate_every, 5);
        let off = TrainOptions {
            validate_every: 0,
            ..Default::default()
        };
        assert_eq!(off.effective().validate_every, 0);
    }

    #[test]
    fn params_round_trip_through_json() {
        for kind in RecommenderKind::ALL {
            let p = kind.defaults();
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<ModelParams>(&json).unwrap(), p);
        }
    }
}
