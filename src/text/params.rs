//! Sentiment classifier settings: defaults, documentation and validation (one
//! error per invalid field), `Send + Sync` so they move to a worker.

use serde::{Deserialize, Serialize};

use super::tokenize::Ngrams;
use crate::recsys::params::ParamError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassifierKind {
    #[serde(rename = "logreg")]
    LogisticRegression,
    #[serde(rename = "nb")]
    NaiveBayes,
}

impl ClassifierKind {
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

impl SentimentParams {
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
        let positive = |x: f64| x.is_finite() && x > 0.0;
        check(positive(self.c), "c", "must be a number > 0");
        check(self.max_iter >= 1, "max_iter", "must be at least 1");
        check(positive(self.tol), "tol", "must be a number > 0");
        check(positive(self.alpha), "alpha", "must be a number > 0");
        if let Some(n) = self.ngrams {
            let (min, max) = n.range();
            check(
                (1..=5).contains(&min) && (min..=5).contains(&max),
                "ngrams",
                "must be a range within 1–5 with min ≤ max",
            );
        }
        check(self.min_df >= 1, "min_df", "must be at least 1");
        check(
            self.max_features.is_none_or(|m| m >= 1),
            "max_features",
            "must be at least 1 when set",
        );
        check(self.max_chars >= 1, "max_chars", "must be at least 1");
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
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
