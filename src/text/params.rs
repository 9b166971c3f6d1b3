//! Sentiment classifier settings: defaults, documentation and validation (one
//! error per invalid field), `Send + Sync` so they move to a worker.

use serde::{Deserialize, Serialize};

use super::tokenize::Ngrams;
use crate::params::{log_slider, slider, Hyperparams, ParamError, ParamKind, ParamSpec};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
pub enum ClassifierKind {
    #[serde(rename = "logreg")]
    #[value(name = "logreg")]
    LogisticRegression,
    #[serde(rename = "nb")]
    #[value(name = "nb")]
    NaiveBayes,
}

impl ClassifierKind {
    pub const ALL: [ClassifierKind; 2] = [
        ClassifierKind::LogisticRegression,
        ClassifierKind::NaiveBayes,
    ];

    pub fn from_name(name: &str) -> Option<ClassifierKind> {
        Self::ALL.into_iter().find(|k| k.cli_name() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            ClassifierKind::LogisticRegression => "Logistic regression",
            ClassifierKind::NaiveBayes => "Naive Bayes",
        }
    }

    pub fn cli_name(self) -> &'static str {
        match self {
            ClassifierKind::LogisticRegression => "logreg",
            ClassifierKind::NaiveBayes => "nb",
        }
    }
}

/// Features and model settings, with defaults; validated once before a fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SentimentParams {
    pub model: ClassifierKind,
    /// Logistic regression: inverse L2 strength (larger = less regularised).
    pub c: f64,
    /// Logistic regression: L-BFGS iteration cap.
    pub max_iter: usize,
    /// Logistic regression: stop when every gradient component is below this.
    pub tol: f64,
    /// Naive Bayes: additive smoothing.
    pub alpha: f64,
    /// `None`: character 1–2 grams for Chinese/Japanese text, word 1–2 grams otherwise.
    pub ngrams: Option<Ngrams>,
    pub min_df: usize,
    pub max_features: Option<usize>,
    pub max_chars: usize,
}

impl Default for SentimentParams {
    fn default() -> Self {
        Self {
            model: ClassifierKind::LogisticRegression,
            c: 10.0,
            max_iter: 100,
            tol: 1e-4,
            alpha: 1.0,
            ngrams: None,
            min_df: 1,
            max_features: None,
            max_chars: 100_000,
        }
    }
}

const ABOVE_0: ParamKind = ParamKind::Float {
    min: 0.0,
    above: true,
    max: None,
};

const SENTIMENT_SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "c",
        "C",
        "Inverse regularisation strength: larger C fits the training reviews more closely (less L2 penalty)",
        ABOVE_0,
        log_slider(0.01, 1000.0),
    )
.sweep("0.1,1,10")
    .when("model", "logreg"),
    ParamSpec::new(
        "max_iter",
        "max iterations",
        "L-BFGS stops here at the latest (it usually converges earlier)",
        ParamKind::Int { min: 1, max: None },
        slider(1.0, 1000.0),
    )
    .when("model", "logreg")
    .advanced(),
    ParamSpec::new(
        "tol",
        "tolerance",
        "L-BFGS stops when every gradient component is below this",
        ABOVE_0,
        log_slider(1e-8, 1e-1),
    )
    .when("model", "logreg")
    .advanced(),
    ParamSpec::new(
        "alpha",
        "alpha",
        "Additive smoothing: how much an n-gram never seen with a class still counts",
        ABOVE_0,
        log_slider(0.001, 10.0),
    )
.sweep("0.1,0.5,1")
    .when("model", "nb"),
    ParamSpec::new(
        "ngrams",
        "n-grams",
        "auto (characters for Chinese/Japanese, words otherwise), word:1-2 or char:1-2",
        ParamKind::Text,
        None,
    ),
    ParamSpec::new(
        "min_df",
        "min document freq.",
        "Keep n-grams that occur in at least this many training reviews",
        ParamKind::Int { min: 1, max: None },
        slider(1.0, 50.0),
    ),
    ParamSpec::new(
        "max_features",
        "max features",
        "Keep only the most frequent n-grams (unset: all)",
        ParamKind::OptionalInt { min: 1 },
        None,
    )
    .advanced(),
    ParamSpec::new(
        "max_chars",
        "max characters",
        "Longer reviews are cut to this many characters for their features",
        ParamKind::Int { min: 1, max: None },
        None,
    )
    .advanced(),
];

impl Hyperparams for SentimentParams {
    fn specs(&self) -> &'static [ParamSpec] {
        SENTIMENT_SPECS
    }

    fn title(&self) -> &'static str {
        self.model.label()
    }

    fn check_more(&self, errors: &mut Vec<ParamError>) {
        if let Some(n) = self.ngrams {
            let (min, max) = n.range();
            if !((1..=5).contains(&min) && (min..=5).contains(&max)) {
                errors.push(ParamError {
                    field: "ngrams",
                    message: "must be a range within 1–5 with min ≤ max".into(),
                });
            }
        }
    }

    fn parse_text(&self, _name: &str, text: &str) -> Result<serde_json::Value, String> {
        match text {
            "auto" => Ok(serde_json::Value::Null),
            other => Ok(crate::params::json_as_written(&Ngrams::parse(other)?)),
        }
    }

    fn text(&self, _name: &str) -> Option<String> {
        Some(self.ngrams.map_or("auto".into(), |n| n.to_string()))
    }
}

/// How the model is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Evaluation {
    /// Labelled reviews whose 0-based index % 5 == 0 are the test set.
    HoldOut,
    /// k folds: labelled reviews shuffled with the seed and dealt round-robin.
    KFold { k: usize },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentimentOptions {
    pub evaluation: Evaluation,
    /// Shuffles the k-fold assignment (the fits themselves are deterministic).
    pub seed: u64,
    pub threads: usize,
}

impl Default for SentimentOptions {
    fn default() -> Self {
        Self {
            evaluation: Evaluation::HoldOut,
            seed: 42,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get().min(8)),
        }
    }
}
