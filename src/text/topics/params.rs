//! Topic-model settings through the shared hyperparameter interface (so
//! sweeps, searches, the CLI, workspaces and the Runs tab know them), and the
//! choice of reviews, which is not a hyperparameter.

use serde::{Deserialize, Serialize};

use crate::params::{log_slider, slider, Hyperparams, ParamError, ParamKind, ParamSpec};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TopicMethod {
    /// Non-negative matrix factorisation of TF-IDF.
    Nmf,
    /// Latent Dirichlet allocation of word counts.
    Lda,
}

impl TopicMethod {
    pub const ALL: [TopicMethod; 2] = [TopicMethod::Nmf, TopicMethod::Lda];

    pub fn cli_name(self) -> &'static str {
        match self {
            TopicMethod::Nmf => "nmf",
            TopicMethod::Lda => "lda",
        }
    }

    pub fn from_name(name: &str) -> Option<TopicMethod> {
        Self::ALL.into_iter().find(|m| m.cli_name() == name)
    }

    /// The name the Runs tab's model list shows.
    pub fn model_label(self) -> &'static str {
        match self {
            TopicMethod::Nmf => "Topics: NMF",
            TopicMethod::Lda => "Topics: LDA",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TopicMethod::Nmf => "NMF (TF-IDF)",
            TopicMethod::Lda => "LDA (online variational Bayes)",
        }
    }
}

/// Which reviews the topics are found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    Negative,
    Positive,
    All,
}

impl Polarity {
    pub const ALL: [Polarity; 3] = [Polarity::Negative, Polarity::Positive, Polarity::All];

    pub fn label(self) -> &'static str {
        match self {
            Polarity::Negative => "negative reviews",
            Polarity::Positive => "positive reviews",
            Polarity::All => "all reviews",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicParams {
    pub method: TopicMethod,
    /// Number of topics.
    pub k: usize,
    /// NMF: coordinate-descent iterations at most.
    pub max_iter: usize,
    /// NMF: stop when the violation falls to this share of the first one.
    pub tol: f64,
    /// LDA: passes over the reviews.
    pub passes: usize,
    /// LDA: reviews per online update.
    pub batch_size: usize,
    /// LDA: κ, how fast older batches are forgotten (0.5–1].
    pub learning_decay: f64,
    /// Words in fewer reviews than this are left out.
    pub min_df: usize,
    /// Words in more than this share of the reviews are left out.
    pub max_df: f64,
    /// Stop words added to the built-in lists (comma separated).
    pub stop_words: String,
}

impl Default for TopicParams {
    fn default() -> Self {
        Self {
            method: TopicMethod::Nmf,
            k: 8,
            max_iter: 400,
            tol: 1e-4,
            passes: 10,
            batch_size: 128,
            learning_decay: 0.7,
            min_df: 5,
            max_df: 0.5,
            stop_words: String::new(),
        }
    }
}

const SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "k",
        "topics",
        "How many topics to find (a sweep over k shows the coherence of each)",
        ParamKind::Int {
            min: 2,
            max: Some(100),
        },
        slider(2.0, 30.0),
    )
    .sweep("4,6,8,10,12"),
    ParamSpec::new(
        "max_iter",
        "max iterations",
        "Coordinate descent stops here at the latest (usually earlier, at the tolerance)",
        ParamKind::Int { min: 1, max: None },
        slider(10.0, 1000.0),
    )
    .when("method", "nmf")
    .advanced(),
    ParamSpec::new(
        "tol",
        "tolerance",
        "Stop when the projected-gradient violation falls to this share of the first iteration's",
        ParamKind::Float {
            min: 0.0,
            above: true,
            max: None,
        },
        log_slider(1e-8, 1e-1),
    )
    .when("method", "nmf")
    .advanced(),
    ParamSpec::new(
        "passes",
        "passes",
        "How many times online LDA goes through the reviews",
        ParamKind::Int {
            min: 1,
            max: Some(1000),
        },
        slider(1.0, 50.0),
    )
    .when("method", "lda")
    .sweep("5,10,20"),
    ParamSpec::new(
        "batch_size",
        "batch size",
        "Reviews per online update",
        ParamKind::Int { min: 1, max: None },
        slider(16.0, 1024.0),
    )
    .when("method", "lda")
    .advanced(),
    ParamSpec::new(
        "learning_decay",
        "learning decay",
        "κ: how fast the weight of new batches decays (0.5–1; 0.7 as scikit-learn)",
        ParamKind::Float {
            min: 0.5,
            above: false,
            max: Some(1.0),
        },
        slider(0.5, 1.0),
    )
    .when("method", "lda")
    .advanced(),
    ParamSpec::new(
        "min_df",
        "min reviews per word",
        "Words found in fewer reviews than this are left out",
        ParamKind::Int { min: 1, max: None },
        slider(1.0, 50.0),
    ),
    ParamSpec::new(
        "max_df",
        "max share per word",
        "Words found in more than this share of the reviews are left out (too common to tell topics apart)",
        ParamKind::Float {
            min: 0.0,
            above: true,
            max: Some(1.0),
        },
        slider(0.05, 1.0),
    ),
    ParamSpec::new(
        "stop_words",
        "extra stop words",
        "Words to leave out besides the built-in lists, separated by commas",
        ParamKind::Text,
        None,
    ),
];

impl Hyperparams for TopicParams {
    fn specs(&self) -> &'static [ParamSpec] {
        SPECS
    }

    fn title(&self) -> &'static str {
        self.method.label()
    }

    fn check_more(&self, _errors: &mut Vec<ParamError>) {}

    fn parse_text(&self, _name: &str, text: &str) -> Result<serde_json::Value, String> {
        Ok(serde_json::Value::String(text.trim().to_owned()))
    }

    fn text(&self, _name: &str) -> Option<String> {
        Some(self.stop_words.clone())
    }
}

/// Seed and threads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicOptions {
    pub polarity: Polarity,
    pub seed: u64,
    pub threads: usize,
}

impl Default for TopicOptions {
    fn default() -> Self {
        Self {
            polarity: Polarity::Negative,
            seed: 42,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get().min(8)),
        }
    }
}
