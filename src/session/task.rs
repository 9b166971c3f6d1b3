//! The session recommenders' one entry point. A [`SessionRequest`] (data,
//! protocol, hyperparameters, list length) goes through fingerprint →
//! session log → filters and split → fit → next-item evaluation → run
//! record, for the Recommend tab's session mode, sweeps,
//! `shoplens recommend --model vsknn …` and the tests alike.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::evaluate::evaluate;
use super::index::SessionIndex;
use super::log::SessionLog;
use super::models::fit;
use super::params::SessionParams;
use super::protocol::{split, SessionData, SessionProtocol};
use super::SessionTrained;
use crate::data::Dataset;
use crate::neural::train::TrainHooks;
use crate::params::Checked;
use crate::runs::{DataFingerprint, Fitted, Fitting, Pipeline, RunRecord};
use crate::task::{Reporter, TaskError};

/// How a session run is evaluated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionOptions {
    /// Length of the next-item list (HR@k, MRR@k).
    pub k: usize,
    /// Seed of the deep models' training (the others draw nothing).
    pub seed: u64,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self { k: 20, seed: 42 }
    }
}

/// Everything one session run needs.
#[derive(Clone)]
pub struct SessionRequest {
    pub dataset: Arc<Dataset>,
    pub protocol: SessionProtocol,
    pub params: SessionParams,
    pub options: SessionOptions,
}

impl Pipeline for SessionRequest {
    crate::pipeline_items!(kind: super::KIND, params: SessionParams, inputs: Arc<SessionData>, model: SessionTrained, dataset: dataset);

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        attempt_record(&self.params, &self.options, &self.protocol, data)
    }

    fn inputs(&self, reporter: &Reporter) -> Result<Arc<SessionData>, TaskError> {
        reporter.progress(None, "reading sessions");
        let log = SessionLog::from_dataset(&self.dataset)?;
        reporter.check()?;
        reporter.progress(None, "filtering and splitting sessions");
        Ok(Arc::new(split(&log, &self.protocol)?))
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        if self.options.k == 0 {
            return Err(TaskError::Input(
                "the list length k must be at least 1".into(),
            ));
        }
        let trained = fit_and_evaluate(f.params, f.inputs, &self.options, f.reporter)?;
        Ok((record(&trained, f.data.clone()), trained))
    }
}

/// Fit on the training sessions and evaluate on the test sessions.
pub fn fit_and_evaluate(
    params: &Checked<SessionParams>,
    data: &Arc<SessionData>,
    options: &SessionOptions,
    reporter: &Reporter,
) -> Result<SessionTrained, TaskError> {
    reporter.progress(
        None,
        &format!("indexing {} training sessions", data.train.len()),
    );
    let started = Instant::now();
    let index = Arc::new(SessionIndex::build(&data.train, data.n_items()));
    reporter.check()?;
    let on_progress = reporter.fraction();
    let ctx = TrainHooks {
        cancel: reporter.cancel_token(),
        on_epoch: reporter.epoch_sink(),
        on_progress: &on_progress,
        stop: None,
    };
    let model = fit(params, data, &index, options.seed, &ctx)?;
    let fit_secs = started.elapsed().as_secs_f64();
    reporter.check()?;
    let started = Instant::now();
    let metrics = evaluate(&*model, &index, data, options.k, reporter)?;
    Ok(SessionTrained::new(
        (**params).clone(),
        options.clone(),
        Arc::clone(data),
        index,
        model,
        metrics,
        fit_secs,
        started.elapsed().as_secs_f64(),
    ))
}

/// The record of a session run before (or without) a result.
pub fn attempt_record(
    params: &SessionParams,
    options: &SessionOptions,
    protocol: &SessionProtocol,
    data: DataFingerprint,
) -> RunRecord {
    let seed = if params.kind().is_deep() {
        options.seed
    } else {
        0
    };
    let mut r = RunRecord::for_params(
        super::KIND,
        params.name(),
        params,
        seed,
        protocol.describe(),
        data,
    );
    r.params.insert("k".into(), options.k.into());
    r
}

/// The record of a session run that finished.
pub fn record(t: &SessionTrained, data: DataFingerprint) -> RunRecord {
    let mut r = attempt_record(&t.params, &t.options, &t.data.protocol, data);
    r.metrics = t.metrics.to_map().into_iter().collect();
    let report = &t.data.report;
    for (name, value) in [
        ("predictions", t.metrics.predictions),
        ("train_sessions", report.train_sessions),
        ("test_sessions", report.test_sessions),
        ("train_views", report.train_views),
        ("items", t.data.n_items()),
    ] {
        r.metrics.insert(name.into(), value as f64);
    }
    r.fit_secs = t.fit_secs + t.eval_secs;
    let how = match t.model.network() {
        Some(net) => format!("{}; seed {}", net.note(), t.options.seed),
        None => "no randomness (the seed is unused)".to_owned(),
    };
    r.note = Some(format!(
        "fit {:.2} s, evaluation {:.2} s ({:.0} predictions/s); {how}",
        t.fit_secs, t.eval_secs, t.metrics.predictions_per_sec
    ));
    r
}
