//! Sentiment's one entry point. A [`SentimentRequest`] (review files with
//! their columns, classifier parameters, evaluation options) goes through
//! fingerprint → reviews → vectorise and fit → evaluate → run record, for the
//! Sentiment tab, the Runs tab's sweeps, `shoplens sentiment`, `shoplens
//! sweep` and the tests alike.

use std::sync::Arc;

use super::params::Evaluation;
use super::{train_sentiment, ReviewColumns, Reviews, SentimentOptions, SentimentParams};
use super::{SentimentResult, SentimentRun};
use crate::data::catalogue::Catalogue;
use crate::data::Dataset;
use crate::runs::{DataFingerprint, Fitted, Fitting, Pipeline, RunRecord};
use crate::task::{Reporter, TaskError};

/// A loaded file and which of its columns hold the text and the label.
#[derive(Clone)]
pub struct ReviewFile {
    pub dataset: Arc<Dataset>,
    pub columns: ReviewColumns,
}

/// Everything one sentiment run needs.
#[derive(Clone)]
pub struct SentimentRequest {
    /// The reviews (the run is fingerprinted by this file).
    pub file: ReviewFile,
    /// Files of the same layout whose reviews follow, in order.
    pub more: Vec<ReviewFile>,
    pub params: SentimentParams,
    pub options: SentimentOptions,
}

/// The reviews read once for every fit of a sweep.
pub struct ReviewInputs {
    pub reviews: Reviews,
    /// File name of the reviews.
    pub source: String,
    pub catalogue: Option<Catalogue>,
}

impl Pipeline for SentimentRequest {
    crate::pipeline_items!(kind: super::KIND, params: SentimentParams, inputs: ReviewInputs, model: SentimentResult, dataset: file.dataset);

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        attempt_record(&self.params, &self.options, data)
    }

    fn inputs(&self, reporter: &Reporter) -> Result<ReviewInputs, TaskError> {
        reporter.progress(None, "reading the reviews");
        let parts = std::iter::once(&self.file)
            .chain(&self.more)
            .map(|f| Reviews::from_dataset(&f.dataset, &f.columns))
            .collect::<Result<Vec<_>, _>>()?;
        let path = &self.file.dataset.path;
        Ok(ReviewInputs {
            reviews: Reviews::concat(parts),
            source: crate::display::display_name(path),
            catalogue: Catalogue::beside(path),
        })
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        let run = train_sentiment(
            &f.inputs.reviews,
            f.params,
            &self.options,
            f.reporter.cancel_token(),
            &f.reporter.fraction(),
            f.reporter.epoch_sink(),
        )?;
        let record = record(&run, f.data.clone());
        let result = SentimentResult {
            run,
            reviews: f.inputs.reviews.clone(),
            source: f.inputs.source.clone(),
            data: f.data.clone(),
            catalogue: f.inputs.catalogue.clone(),
        };
        Ok((record, result))
    }
}

/// What the record says of the evaluation.
pub fn describe_evaluation(options: &SentimentOptions) -> String {
    match options.evaluation {
        Evaluation::HoldOut => "hold-out (every 5th review)".into(),
        Evaluation::KFold { k } => format!("{k}-fold"),
    }
}

/// A sentiment run before (or without) a result.
pub fn attempt_record(
    params: &SentimentParams,
    options: &SentimentOptions,
    data: DataFingerprint,
) -> RunRecord {
    RunRecord::for_params(
        super::KIND,
        params.model.cli_name(),
        params,
        options.seed,
        describe_evaluation(options),
        data,
    )
}

/// The record of a sentiment run that finished.
pub fn record(run: &SentimentRun, data: DataFingerprint) -> RunRecord {
    let mut r = attempt_record(&run.params, &run.options, data);
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
