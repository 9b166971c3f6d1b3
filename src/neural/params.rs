//! The sequential models' hyperparameters in the shared interface.
//!
//! SASRec's defaults are the paper's configuration (Kang & McAuley 2018:
//! d 64, 2 blocks, 1 head, L 50, Adam with learning rate 1e-3, batch 128)
//! with its dropout for the sparse Amazon sets, 0.5 (the paper uses 0.2 on
//! the denser MovieLens-1M). Store logs are sparse, and 0.5 measured better
//! than 0.2 on both Amazon sets (docs/benchmarks.md: Games NDCG@10 0.0488
//! against 0.0452, Beauty 0.0442 against 0.0426).
//! GRU4Rec's follow the official implementation's defaults (Hidasi & Czapp
//! 2023: 100 hidden units, batch 64, cross-entropy with 2,048 extra negatives
//! sampled by popularity^0.5 and shared by the minibatch) with logQ
//! correction on, trained with Adam (1e-3) as SASRec is. Both stop early
//! after 10 epochs without a better validation NDCG@10.

use serde::{Deserialize, Serialize};

use crate::params::{log_slider, slider, ParamKind, ParamSpec};

/// How the next item is scored against the others during training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SequenceLoss {
    /// Full softmax up to [`FULL_SOFTMAX_MAX_ITEMS`] items, sampled above.
    Auto,
    /// Cross-entropy over every item (Klenitskiy & Vasilev 2023).
    Softmax,
    /// Cross-entropy over the next item and sampled negatives shared by the
    /// batch, with logQ correction.
    Sampled,
    /// The paper's loss: binary cross-entropy with one random negative.
    Binary,
}

impl SequenceLoss {
    pub fn label(self) -> &'static str {
        match self {
            SequenceLoss::Auto => "auto",
            SequenceLoss::Softmax => "full softmax",
            SequenceLoss::Sampled => "sampled softmax",
            SequenceLoss::Binary => "binary, one negative",
        }
    }

    /// The loss trained with on `items` items.
    pub fn resolve(self, items: usize) -> SequenceLoss {
        match self {
            SequenceLoss::Auto if items > FULL_SOFTMAX_MAX_ITEMS => SequenceLoss::Sampled,
            SequenceLoss::Auto => SequenceLoss::Softmax,
            other => other,
        }
    }
}

/// Above this many items `auto` samples the softmax: the full one's cost
/// grows with the catalogue (see docs/benchmarks.md for the measurement).
pub const FULL_SOFTMAX_MAX_ITEMS: usize = 5_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SasRecParams {
    pub dim: usize,
    pub blocks: usize,
    pub heads: usize,
    pub max_len: usize,
    pub dropout: f32,
    pub learning_rate: f32,
    pub batch_size: usize,
    pub epochs: usize,
    pub patience: usize,
    pub loss: SequenceLoss,
    pub negatives: usize,
}

impl Default for SasRecParams {
    fn default() -> Self {
        Self {
            dim: 64,
            blocks: 2,
            heads: 1,
            max_len: 50,
            dropout: 0.5,
            learning_rate: 1e-3,
            batch_size: 128,
            epochs: 200,
            patience: 10,
            loss: SequenceLoss::Auto,
            negatives: 256,
        }
    }
}

impl SasRecParams {
    /// The check no one field can make: heads split the hidden size.
    pub fn check_heads(&self, errors: &mut Vec<crate::params::ParamError>) {
        if self.heads > 0 && !self.dim.is_multiple_of(self.heads) {
            errors.push(crate::params::ParamError {
                field: "heads",
                message: format!("must divide the hidden size ({})", self.dim),
            });
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Gru4RecParams {
    pub dim: usize,
    pub max_len: usize,
    pub dropout_embedding: f32,
    pub dropout_hidden: f32,
    pub learning_rate: f32,
    pub batch_size: usize,
    pub epochs: usize,
    pub patience: usize,
    pub n_sample: usize,
    pub sample_alpha: f32,
}

impl Default for Gru4RecParams {
    fn default() -> Self {
        Self {
            dim: 100,
            max_len: 50,
            dropout_embedding: 0.0,
            dropout_hidden: 0.2,
            learning_rate: 1e-3,
            batch_size: 64,
            epochs: 200,
            patience: 10,
            n_sample: 2048,
            sample_alpha: 0.5,
        }
    }
}

pub const LOSS_CHOICES: ParamKind = ParamKind::Choice(&[
    ("auto", "auto"),
    ("softmax", "full softmax"),
    ("sampled", "sampled softmax"),
    ("binary", "binary (paper)"),
]);

/// The training settings both models share.
const LEARNING_RATE: ParamSpec = ParamSpec::new(
    "learning_rate",
    "learning rate",
    "Adam's step size",
    ParamKind::Float {
        min: 0.0,
        above: true,
        max: Some(1.0),
    },
    log_slider(1e-4, 1e-1),
)
.aliases(&["lr"]);
const BATCH_SIZE: ParamSpec = ParamSpec::new(
    "batch_size",
    "batch size",
    "Customers' sequences per optimiser step",
    ParamKind::Int {
        min: 1,
        max: Some(100_000),
    },
    log_slider(8.0, 2048.0),
)
.advanced();
const EPOCHS: ParamSpec = ParamSpec::new(
    "epochs",
    "max epochs",
    "Passes over every customer's sequence; early stopping usually ends sooner",
    ParamKind::Int {
        min: 1,
        max: Some(100_000),
    },
    log_slider(1.0, 1000.0),
)
.aliases(&["iterations"]);
const PATIENCE: ParamSpec = ParamSpec::new(
    "patience",
    "patience",
    "Stop after this many epochs without a better validation NDCG@10 (on each customer's second-to-last item) and keep the best epoch's weights; 0 trains every epoch",
    ParamKind::Int {
        min: 0,
        max: Some(10_000),
    },
    slider(0.0, 50.0),
);

pub const SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "dim",
        "hidden size d",
        "Width of the item embeddings and of every layer",
        ParamKind::Int {
            min: 2,
            max: Some(1024),
        },
        log_slider(8.0, 256.0),
    )
    .sweep("32,64,128")
    .aliases(&["factors", "hidden"]),
    ParamSpec::new(
        "blocks",
        "blocks",
        "Self-attention blocks stacked (each: attention, then a feed-forward layer)",
        ParamKind::Int {
            min: 1,
            max: Some(16),
        },
        slider(1.0, 6.0),
    ),
    ParamSpec::new(
        "heads",
        "heads",
        "Attention heads per block; must divide the hidden size",
        ParamKind::Int {
            min: 1,
            max: Some(16),
        },
        slider(1.0, 8.0),
    )
    .advanced(),
    ParamSpec::new(
        "max_len",
        "sequence length L",
        "How many of a customer's newest items the model reads",
        ParamKind::Int {
            min: 2,
            max: Some(1000),
        },
        log_slider(5.0, 400.0),
    ),
    ParamSpec::new(
        "dropout",
        "dropout",
        "Share of units dropped while training (embeddings, attention, feed-forward); the paper uses 0.5 on sparse store data, 0.2 on dense MovieLens",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: Some(0.9),
        },
        slider(0.0, 0.9),
    ),
    LEARNING_RATE,
    BATCH_SIZE,
    EPOCHS,
    PATIENCE,
    ParamSpec::new(
        "loss",
        "loss",
        "Full softmax scores every item (best, slow on big catalogues); sampled softmax scores the next item against popularity-sampled negatives with logQ correction; binary is the paper's one-negative loss. Auto: full softmax up to 5,000 items, sampled above",
        LOSS_CHOICES,
        None,
    ),
    ParamSpec::new(
        "negatives",
        "negatives",
        "Items sampled per batch for the sampled softmax (with auto: above 5,000 items)",
        ParamKind::Int {
            min: 1,
            max: Some(100_000),
        },
        log_slider(16.0, 4096.0),
    )
    .advanced(),
];

const DROPOUT: ParamKind = ParamKind::Float {
    min: 0.0,
    above: false,
    max: Some(0.9),
};

pub const GRU4REC_SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "dim",
        "hidden size",
        "GRU units; the item embeddings have the same size (input and output share them)",
        ParamKind::Int {
            min: 2,
            max: Some(1024),
        },
        log_slider(8.0, 512.0),
    )
    .sweep("64,100,200")
    .aliases(&["factors", "hidden"]),
    ParamSpec::new(
        "max_len",
        "sequence length L",
        "How many of a customer's newest items the GRU reads (and back-propagates through)",
        ParamKind::Int {
            min: 2,
            max: Some(1000),
        },
        log_slider(5.0, 400.0),
    ),
    ParamSpec::new(
        "dropout_embedding",
        "embedding dropout",
        "Share of the input embedding's units dropped while training",
        DROPOUT,
        slider(0.0, 0.9),
    ),
    ParamSpec::new(
        "dropout_hidden",
        "hidden dropout",
        "Share of the GRU state's units dropped before scoring, while training",
        DROPOUT,
        slider(0.0, 0.9),
    ),
    LEARNING_RATE,
    ParamSpec {
        tooltip: "Customers' sequences per optimiser step; their next items are also each other's negatives",
        ..BATCH_SIZE
    },
    EPOCHS,
    PATIENCE,
    ParamSpec::new(
        "n_sample",
        "extra negatives",
        "Items sampled per batch, besides the batch's own next items, to score each next item against (0: the batch's only)",
        ParamKind::Int {
            min: 0,
            max: Some(100_000),
        },
        log_slider(16.0, 8192.0),
    ),
    ParamSpec::new(
        "sample_alpha",
        "sample alpha",
        "Extra negatives are drawn in proportion to popularity^alpha: 1 by popularity, 0 uniformly",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: Some(1.0),
        },
        slider(0.0, 1.0),
    ),
];
