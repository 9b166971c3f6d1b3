//! Run records of the sentiment and segmentation pipelines (recommender runs
//! are built in `mod.rs`).

use super::{flat_params, DataFingerprint, RunKind, RunRecord};
use crate::segment::clusters::{Clustering, KMeansParams};
use crate::segment::features::Feature;
use crate::text::params::{Evaluation, SentimentOptions, SentimentParams};
use crate::text::SentimentRun;

impl RunRecord {
    /// A sentiment run before (or without) a result.
    pub fn sentiment_attempt(
        params: &SentimentParams,
        options: &SentimentOptions,
        data: DataFingerprint,
    ) -> Self {
        let json = serde_json::to_value(params).unwrap_or_default();
        let model = json
            .get("model")
            .and_then(|m| m.as_str())
            .unwrap_or("sentiment")
            .to_owned();
        let mut r = RunRecord::new(RunKind::Sentiment, &model, data);
        r.params = flat_params(&json);
        // Only the active model's knobs: C and iterations mean nothing to NB.
        match params.model {
            crate::text::params::ClassifierKind::LogisticRegression => {
                r.params.remove("alpha");
            }
            crate::text::params::ClassifierKind::NaiveBayes => {
                for key in ["c", "max_iter", "tol"] {
                    r.params.remove(key);
                }
            }
        }
        r.seed = options.seed;
        r.evaluation = match options.evaluation {
            Evaluation::HoldOut => "hold-out (every 5th review)".into(),
            Evaluation::KFold { k } => format!("{k}-fold"),
        };
        r
    }

    pub fn from_sentiment(run: &SentimentRun, data: DataFingerprint) -> Self {
        let mut r = Self::sentiment_attempt(&run.params, &run.options, data);
        let m = &run.metrics;
        r.metrics.insert("accuracy".into(), m.accuracy);
        r.metrics.insert("precision".into(), m.precision);
        r.metrics.insert("recall".into(), m.recall);
        r.metrics.insert("f1_macro".into(), m.f1_macro);
        if let Some(auc) = m.auc {
            r.metrics.insert("auc".into(), auc);
        }
        r.metrics
            .insert("features".into(), run.vectorizer.n_features() as f64);
        r.curve = run.epochs.clone();
        r.fit_secs = run.fit_secs;
        r
    }

    /// A k-means run before (or without) a result.
    pub fn kmeans_attempt(
        params: &KMeansParams,
        features: &[Feature],
        data: DataFingerprint,
    ) -> Self {
        let mut r = RunRecord::new(RunKind::Segments, "kmeans", data);
        r.params = flat_params(&serde_json::to_value(params).unwrap_or_default());
        r.params.remove("seed");
        r.params.insert(
            "features".into(),
            features
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join("+")
                .into(),
        );
        r.seed = params.seed;
        r.evaluation = "silhouette on a seeded sample of ≤ 5,000 customers".into();
        r
    }

    pub fn from_kmeans(
        params: &KMeansParams,
        features: &[Feature],
        clustering: &Clustering,
        silhouette: f64,
        fit_secs: f64,
        data: DataFingerprint,
    ) -> Self {
        let mut r = Self::kmeans_attempt(params, features, data);
        r.metrics.insert("inertia".into(), clustering.inertia);
        if silhouette.is_finite() {
            r.metrics.insert("silhouette".into(), silhouette);
        }
        r.metrics.insert(
            "smallest_cluster".into(),
            clustering.sizes.iter().copied().min().unwrap_or(0) as f64,
        );
        r.fit_secs = fit_secs;
        r
    }
}
