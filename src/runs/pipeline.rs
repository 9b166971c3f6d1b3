//! The one shape of every capability's pipeline: a request (data, settings,
//! hyperparameters) goes in; fingerprint → inputs → fit → evaluate; a
//! [`RunOutcome`] comes out — the run record for *every* ending (done,
//! failed, or cancelled with its partial curve) and the model when there is
//! one. A tab, the Runs tab's sweep, every CLI command and the tests call
//! [`run`] or [`run_sweep`] on a capability's request; nothing else builds
//! records.

use std::sync::Mutex;
use std::time::Instant;

use std::sync::Arc;

use super::{fingerprint, DataFingerprint, RunKind, RunModel, RunRecord, RunStatus, StepTime};
use crate::data::Dataset;
use crate::params::{Checked, Hyperparams};
use crate::task::{EpochEvent, Reporter, TaskError};

/// How one run ended: its record always, its model when it trained.
#[derive(Clone)]
pub struct RunOutcome {
    pub record: RunRecord,
    pub model: Option<RunModel>,
}

impl RunOutcome {
    /// The model, when the run left one of type `T`.
    pub fn model<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.model.as_ref()?.get::<T>()
    }

    /// The model of a finished run, or why there is none (for the CLI).
    pub fn expect_model<T: std::any::Any + Send + Sync>(&self) -> Result<Arc<T>, String> {
        self.model::<T>()
            .ok_or_else(|| self.failure().unwrap_or("the run left no model").to_owned())
    }

    /// The error of a run that did not finish (`None` when it did).
    pub fn failure(&self) -> Option<&str> {
        match &self.record.status {
            RunStatus::Failed(m) => Some(m),
            RunStatus::Cancelled => Some("cancelled"),
            RunStatus::Pruned => Some("pruned"),
            RunStatus::Done => None,
        }
    }
}

/// A capability's request: everything one run needs. Like linfa's
/// `Fit::Object`, it names the model it trains, so the core lists no model.
pub trait Pipeline: Send + Sync + Sized {
    /// The capability its runs belong to.
    const KIND: RunKind;
    type Params: Hyperparams;
    /// The trained (or evaluated) result the run keeps: explored in its
    /// tab, saved in workspaces.
    type Model: Send + Sync + 'static;
    /// What is read from the data once and shared by every fit of a sweep
    /// (the interaction matrix, the reviews, the scaled customer table).
    type Inputs: Send + Sync;
    /// What reading the inputs is called in the run's [steps](RunRecord::steps).
    const INPUTS_STEP: &'static str = "inputs";

    /// The data the run is fingerprinted by (none for a simulation on
    /// typed rates).
    fn dataset(&self) -> Option<&Dataset>;

    /// The fingerprint of [`dataset`](Self::dataset), or what stands in for it.
    fn data_fingerprint(&self) -> DataFingerprint {
        self.dataset().map(fingerprint).unwrap_or_default()
    }
    fn params(&self) -> &Self::Params;
    /// The same request with other hyperparameters (one sweep setting).
    fn with_params(&self, params: Self::Params) -> Self;
    /// The record before any result: kind, model, parameters, seed, evaluation.
    fn attempt(&self, data: DataFingerprint) -> RunRecord;
    fn inputs(&self, reporter: &Reporter) -> Result<Self::Inputs, TaskError>;
    /// Fit and evaluate: the finished record and the model.
    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self>;
}

/// What a fit is given: the checked parameters, the inputs read once, the
/// data's fingerprint, and where it reports.
pub struct Fitting<'a, P: Pipeline> {
    pub params: &'a Checked<P::Params>,
    pub inputs: &'a P::Inputs,
    pub data: &'a DataFingerprint,
    pub reporter: &'a Reporter<'a>,
}

/// What a fit ends with: the finished record and the model.
pub type Fitted<P> = Result<(RunRecord, <P as Pipeline>::Model), TaskError>;

/// The items every request writes alike, inside its `impl Pipeline`: its
/// kind, its hyperparameter, input and model types, `params()` and
/// `with_params()` on its `params` field, and (with `dataset: a.b`) its
/// `dataset()` from that field.
#[macro_export]
macro_rules! pipeline_items {
    (kind: $kind:expr, params: $params:ty, inputs: $inputs:ty, model: $model:ty $(, dataset: $($field:ident).+)?) => {
        const KIND: $crate::runs::RunKind = $kind;
        type Params = $params;
        type Inputs = $inputs;
        type Model = $model;

        $(
            fn dataset(&self) -> Option<&$crate::data::Dataset> {
                Some(&self.$($field).+)
            }
        )?

        fn params(&self) -> &$params {
            &self.params
        }

        fn with_params(&self, params: $params) -> Self {
            Self {
                params,
                ..self.clone()
            }
        }
    };
}

/// Run `request` from its data to its record.
pub fn run<P: Pipeline>(request: &P, reporter: &Reporter) -> RunOutcome {
    reporter.progress(None, "fingerprinting the data");
    let data = request.data_fingerprint();
    let started = Instant::now();
    let inputs = request.inputs(reporter);
    let inputs_secs = started.elapsed().as_secs_f64();
    let mut outcome = fit_recorded(
        request,
        inputs.as_ref().map_err(Clone::clone),
        &data,
        reporter,
    );
    let record = &mut outcome.record;
    if record.steps.is_empty() {
        record.steps.push(StepTime::new("fit", record.fit_secs));
    }
    let before = request
        .dataset()
        .map(|d| StepTime::new("load", d.read_secs))
        .into_iter()
        .chain([StepTime::new(P::INPUTS_STEP, inputs_secs)]);
    record.steps.splice(0..0, before);
    outcome
}

/// Run `request` once per setting, one after another, on inputs read once.
/// `on_run` sees each run as it ends (also a failed one; the sweep goes on).
/// Cancel ends the current run, which is reported as cancelled, and the
/// sweep. Returns how many runs were reported; fails only when the inputs
/// cannot be read.
pub fn run_sweep<P: Pipeline>(
    base: &P,
    settings: &[P::Params],
    sweep_id: u64,
    reporter: &Reporter,
    on_run: &(dyn Fn(usize, RunOutcome) + Sync),
) -> Result<usize, TaskError> {
    reporter.progress(None, "fingerprinting the data");
    let data = base.data_fingerprint();
    let inputs = base.inputs(reporter)?;
    let total = settings.len();
    let mut reported = 0;
    for (index, params) in settings.iter().enumerate() {
        if reporter.check().is_err() {
            break;
        }
        reporter.progress(
            Some(index as f32 / total.max(1) as f32),
            &format!("run {} of {total}", index + 1),
        );
        let request = base.with_params(params.clone());
        let mut outcome = fit_recorded(&request, Ok(&inputs), &data, reporter);
        outcome.record.sweep = Some(sweep_id);
        let cancelled = outcome.record.status == RunStatus::Cancelled;
        on_run(index, outcome);
        reported += 1;
        if cancelled {
            break;
        }
    }
    Ok(reported)
}

/// Check the parameters, fit, and turn any error into the run's record with
/// the curve so far.
pub(crate) fn fit_recorded<P: Pipeline>(
    request: &P,
    inputs: Result<&P::Inputs, TaskError>,
    data: &DataFingerprint,
    reporter: &Reporter,
) -> RunOutcome {
    let curve = Mutex::new(Vec::new());
    let collect = |e: EpochEvent| {
        if let Ok(mut c) = curve.lock() {
            c.push(e.clone());
        }
        reporter.epoch(e);
    };
    let collecting = reporter.with_epochs(&collect);
    let started = Instant::now();
    let result = inputs.and_then(|inputs| {
        let params = request
            .params()
            .clone()
            .checked()
            .map_err(TaskError::Params)?;
        request.fit(&Fitting {
            params: &params,
            inputs,
            data,
            reporter: &collecting,
        })
    });
    let peak_memory_mb = crate::task::peak_memory_mb();
    match result {
        Ok((mut record, model)) => {
            record.peak_memory_mb = peak_memory_mb;
            // A pipeline that keeps no curve of its own gets the epochs it
            // reported.
            if record.curve.is_empty() {
                record.curve = curve.into_inner().unwrap_or_default();
            }
            RunOutcome {
                record,
                model: Some(RunModel::new(Arc::new(model))),
            }
        }
        Err(e) => {
            let mut record = request.attempt(data.clone());
            record.status = RunStatus::of_error(&e);
            record.curve = curve.into_inner().unwrap_or_default();
            record.fit_secs = started.elapsed().as_secs_f64();
            record.peak_memory_mb = peak_memory_mb;
            RunOutcome {
                record,
                model: None,
            }
        }
    }
}
