//! The recommender's one entry point. A [`RecommendRequest`] (data, matrix
//! options, split, hyperparameters, run options) goes through
//! fingerprint → interaction matrix → split → fit → evaluate → run record,
//! for the Recommend tab, the Runs tab's sweeps, `shoplens recommend`,
//! `shoplens sweep` and the tests alike.

use std::sync::Arc;

use super::content::ItemAttributes;
use super::matrix::{Interactions, MatrixOptions};
use super::params::{ModelParams, TrainOptions};
use super::split::Split;
use super::{train_and_evaluate, Trained};
use crate::data::Dataset;
use crate::runs::{DataFingerprint, Fitted, Fitting, Pipeline, RunRecord};
use crate::task::{Reporter, TaskError};

/// Everything one recommender run needs.
#[derive(Clone)]
pub struct RecommendRequest {
    pub dataset: Arc<Dataset>,
    pub matrix: MatrixOptions,
    pub split: Split,
    pub params: ModelParams,
    pub options: TrainOptions,
}

impl Pipeline for RecommendRequest {
    crate::pipeline_items!(kind: super::KIND, params: ModelParams, inputs: Arc<Interactions>, model: Trained, dataset: dataset);
    const INPUTS_STEP: &'static str = "matrix";

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        attempt_record(&self.params, &self.options, &self.split, data)
    }

    fn inputs(&self, reporter: &Reporter) -> Result<Arc<Interactions>, TaskError> {
        reporter.progress(None, "building the interaction matrix");
        let mut data = Interactions::from_dataset(&self.dataset, &self.matrix)?;
        data.attributes = ItemAttributes::from_dataset(&self.dataset, &data)?;
        // Categories for the new-customer fallback and names for content:
        // the data's own, else an items.csv beside it.
        if let Some(catalogue) = crate::data::catalogue::Catalogue::beside(&self.dataset.path) {
            data.fill_categories(&catalogue);
            data.attributes
                .fill_from_catalogue(&catalogue, &data.item_labels);
        }
        Ok(Arc::new(data))
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        f.reporter
            .progress(None, &format!("training {}", f.params.label()));
        let trained = train_and_evaluate(
            Arc::clone(f.inputs),
            &self.split,
            f.params,
            &self.options,
            f.reporter,
        )?;
        Ok((record(&trained, f.data.clone()), trained))
    }
}

/// The record of a recommender run before (or without) a result.
pub fn attempt_record(
    params: &ModelParams,
    options: &TrainOptions,
    split: &Split,
    data: DataFingerprint,
) -> RunRecord {
    let mut r = RunRecord::for_params(
        super::KIND,
        params.name(),
        params,
        options.seed,
        split.describe(),
        data,
    );
    r.params.insert("k".into(), options.k.into());
    if options.patience > 0 {
        r.params.insert("patience".into(), options.patience.into());
    }
    r
}

/// The record of a recommender run that finished.
pub fn record(t: &Trained, data: DataFingerprint) -> RunRecord {
    let mut r = attempt_record(&t.params, &t.options, &t.split, data);
    r.curve = t.epochs.clone();
    r.metrics = t.metrics.to_map();
    r.metrics
        .insert("users".into(), t.metrics.users_evaluated as f64);
    if let Some(of) = t.metrics.users_sampled_from {
        r.metrics.insert("users_sampled_from".into(), of as f64);
    }
    if let Some(cold) = &t.cold {
        r.metrics
            .insert("new_customers".into(), cold.customers as f64);
        r.metrics.insert(
            "new_customers_evaluated".into(),
            cold.metrics.users_evaluated as f64,
        );
        // None evaluated (a leave-last-out split has no test-only
        // customers to score): no metrics rather than zeros.
        if cold.metrics.users_evaluated > 0 {
            for (name, value) in cold.metrics.to_map() {
                r.metrics.insert(format!("new_customers_{name}"), value);
            }
        }
    }
    if let Some(n) = &t.new_items {
        r.metrics.extend(n.to_map());
    }
    r.fit_secs = t.fit_secs;
    r.steps = t.steps.clone();
    r.engine = t.engine.clone();
    let notes: Vec<String> = t
        .stopped_early
        .map(|e| format!("stopped early at epoch {e}"))
        .into_iter()
        .chain(t.model.training_note())
        .collect();
    r.note = (!notes.is_empty()).then(|| notes.join("; "));
    r
}
