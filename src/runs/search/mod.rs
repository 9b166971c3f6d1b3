//! Searches that learn where good settings are: trials asked for one at a
//! time from a sampler that has seen the earlier ones (TPE, or uniform
//! random draws over the same space for comparison), each trial a run of
//! the model's pipeline, hopeless ones stopped early by the median
//! pruner. A study is its search definition plus its trials, which are
//! ordinary run records of one sweep: saving the workspace saves it, and
//! a study resumes from its records.

pub mod importance;
pub mod pruner;
pub mod space;
pub mod tpe;
mod truncnorm;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::capability::MetricRule;
use super::pipeline::{fit_recorded, Pipeline};
use super::{DataFingerprint, RunKind, RunOutcome, RunRecord, RunStatus};
use crate::params::Hyperparams;
use crate::task::{EpochEvent, Reporter, TaskError};
pub use space::{Dimension, Domain};

/// How a search proposes its next trial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    /// Tree-structured Parzen Estimator (see [`tpe`]).
    #[default]
    Tpe,
    /// Uniform draws over the space (Optuna's `RandomSampler`).
    Random,
}

impl SamplerKind {
    pub fn name(self) -> &'static str {
        match self {
            SamplerKind::Tpe => "tpe",
            SamplerKind::Random => "random",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "tpe" => Ok(SamplerKind::Tpe),
            "random" => Ok(SamplerKind::Random),
            other => Err(format!("unknown search '{other}': use tpe or random")),
        }
    }
}

/// How a trial ended, for the sampler and the plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialState {
    Done,
    Pruned,
    Failed,
}

impl TrialState {
    pub fn name(self) -> &'static str {
        match self {
            TrialState::Done => "done",
            TrialState::Pruned => "pruned",
            TrialState::Failed => "failed",
        }
    }
}

/// One trial as the sampler and the pruner see it.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Its place in the study, from 0.
    pub number: usize,
    pub state: TrialState,
    /// The objective (the model's main metric) of a finished trial.
    pub value: Option<f64>,
    /// The searched parameters it ran with (those that applied).
    pub params: BTreeMap<String, Value>,
    /// (epoch, validation metric) as it reported them.
    pub steps: Vec<(usize, f64)>,
    /// Its run's id, once recorded.
    pub run: Option<u64>,
}

impl Trial {
    /// The trial a run record stands for (a cancelled run is none: it
    /// neither finished nor was judged).
    pub fn from_record(number: usize, record: &RunRecord, objective: &MetricRule) -> Option<Self> {
        let state = match record.status {
            RunStatus::Done => TrialState::Done,
            RunStatus::Pruned => TrialState::Pruned,
            RunStatus::Failed(_) => TrialState::Failed,
            RunStatus::Cancelled => return None,
        };
        let value = record.metric_by(objective).map(|(_, v)| v);
        Some(Self {
            number,
            // A finished run without the metric cannot guide the search.
            state: if state == TrialState::Done && value.is_none() {
                TrialState::Failed
            } else {
                state
            },
            value: value.filter(|_| state == TrialState::Done),
            params: record.params.clone(),
            steps: steps_of(&record.curve),
            run: Some(record.id),
        })
    }
}

fn steps_of(curve: &[EpochEvent]) -> Vec<(usize, f64)> {
    curve
        .iter()
        .filter_map(|e| Some((e.epoch, e.metric.as_ref()?.1)))
        .collect()
}

/// The trials of `records` (a study's runs, in the order they ran).
pub fn trials_of(records: &[&RunRecord], objective: &MetricRule) -> Vec<Trial> {
    records
        .iter()
        .filter_map(|r| Trial::from_record(0, r, objective))
        .enumerate()
        .map(|(i, mut t)| {
            t.number = i;
            t
        })
        .collect()
}

/// The best finished trial (the first of equal values).
pub fn best(trials: &[Trial]) -> Option<&Trial> {
    trials
        .iter()
        .filter(|t| t.state == TrialState::Done)
        .fold(None, |best: Option<&Trial>, t| match best {
            Some(b) if b.value >= t.value => Some(b),
            _ => Some(t),
        })
}

/// What a search is asked to do (part of a sweep's spec).
#[derive(Clone, Debug, PartialEq)]
pub struct SearchSpec {
    pub sampler: SamplerKind,
    /// The parameters searched, as written (resolved against the model
    /// when planned).
    pub space: Vec<Dimension>,
    /// New trials to run.
    pub trials: usize,
    /// Start no trial after this many minutes (the running one finishes).
    pub minutes: Option<f64>,
    /// Stop trials below the median (see [`pruner`]).
    pub prune: bool,
    /// The metric maximised: the capability's main metric (the registry
    /// sets it when it plans the search).
    pub objective: Option<MetricRule>,
    /// The study this search continues, with its trials so far.
    pub resume: Option<(u64, Vec<Trial>)>,
}

impl Default for SearchSpec {
    fn default() -> Self {
        Self {
            sampler: SamplerKind::Tpe,
            space: Vec::new(),
            trials: 30,
            minutes: None,
            prune: true,
            objective: None,
            resume: None,
        }
    }
}

/// A study as saved in workspaces: everything needed to show it and to
/// resume it; its trials are the runs of sweep `id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Study {
    /// The sweep id its runs carry.
    pub id: u64,
    pub kind: RunKind,
    pub model: String,
    pub sampler: SamplerKind,
    pub space: Vec<Dimension>,
    pub seed: u64,
    pub prune: bool,
    /// The data its trials ran on (a resumed study must run on the same).
    pub data: DataFingerprint,
}

/// A search ready to run: the model's request with the fixed settings, the
/// resolved space, the budget.
pub(crate) struct SearchPlan<P: Pipeline> {
    pub base: P,
    pub space: Vec<Dimension>,
    pub spec: SearchSpec,
    pub seed: u64,
}

impl<P: Pipeline> SearchPlan<P> {
    /// The parameters of trial `number`, drawn from its own seeded stream
    /// (so a resumed study proposes what an uninterrupted one would), given
    /// the trials so far.
    fn ask(
        &self,
        number: usize,
        trials: &[Trial],
    ) -> Result<(P::Params, BTreeMap<String, Value>), String> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            self.seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(number as u64),
        );
        let judged: Vec<&Trial> = trials
            .iter()
            .filter(|t| t.state != TrialState::Failed)
            .collect();
        let use_tpe =
            self.spec.sampler == SamplerKind::Tpe && judged.len() >= tpe::N_STARTUP_TRIALS;
        let mut params = self.base.params().clone();
        let mut chosen = BTreeMap::new();
        // Parameters that depend on another searched one come after it.
        let (free, dependent): (Vec<&Dimension>, Vec<&Dimension>) =
            self.space.iter().partition(|d| {
                params
                    .spec(&d.name)
                    .and_then(|s| s.when)
                    .is_none_or(|(other, _)| !self.space.iter().any(|o| o.name == other))
            });
        for dim in free.into_iter().chain(dependent) {
            let Some(spec) = params.spec(&dim.name) else {
                continue;
            };
            if !spec.applies(&params.json()) {
                continue;
            }
            let value = if use_tpe {
                tpe::sample(dim, &judged, &mut rng)
            } else {
                dim.random(&mut rng)
            };
            params.set(&dim.name, &value)?;
            chosen.insert(dim.name.clone(), params.get(&dim.name).unwrap_or(value));
        }
        Ok((params, chosen))
    }

    /// Run trials until the budget is spent or the user cancels; `on_run`
    /// sees each as it ends. Returns how many ran.
    pub fn run(
        &self,
        sweep_id: u64,
        reporter: &Reporter,
        on_run: &(dyn Fn(usize, RunOutcome) + Sync),
    ) -> Result<usize, TaskError> {
        reporter.progress(None, "fingerprinting the data");
        let data = self.base.data_fingerprint();
        let inputs = self.base.inputs(reporter)?;
        let objective = self.spec.objective.unwrap_or(MetricRule::new(&[]));
        let mut trials: Vec<Trial> = self
            .spec
            .resume
            .as_ref()
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let started = Instant::now();
        let budget = self.spec.trials;
        let mut ran = 0;
        for new in 0..budget {
            let out_of_time = self
                .spec
                .minutes
                .is_some_and(|m| started.elapsed().as_secs_f64() >= m * 60.0);
            if reporter.check().is_err() || out_of_time {
                break;
            }
            let number = trials.len();
            let best_so_far = best(&trials).and_then(|t| t.value);
            reporter.progress(
                Some(new as f32 / budget.max(1) as f32),
                &match best_so_far {
                    Some(b) => format!(
                        "trial {} ({} of {budget}), best {b:.4}",
                        number + 1,
                        new + 1
                    ),
                    None => format!("trial {} ({} of {budget})", number + 1, new + 1),
                },
            );
            let mut outcome = match self.ask(number, &trials) {
                Ok((params, _)) => self.trial(params, &inputs, &data, reporter, &trials),
                Err(e) => {
                    let mut record = self.base.attempt(data.clone());
                    record.status = RunStatus::Failed(e);
                    RunOutcome {
                        record,
                        model: None,
                    }
                }
            };
            outcome.record.sweep = Some(sweep_id);
            let cancelled = outcome.record.status == RunStatus::Cancelled;
            if let Some(t) = Trial::from_record(number, &outcome.record, &objective) {
                trials.push(t);
            }
            on_run(new, outcome);
            ran = new + 1;
            if cancelled {
                break;
            }
        }
        Ok(ran)
    }

    /// One trial: the pipeline's run with its epochs watched by the pruner.
    fn trial(
        &self,
        params: P::Params,
        inputs: &P::Inputs,
        data: &DataFingerprint,
        reporter: &Reporter,
        trials: &[Trial],
    ) -> RunOutcome {
        let request = self.base.with_params(params);
        let stop = reporter.cancel_token().child();
        let pruned_at: Mutex<Option<(usize, f64)>> = Mutex::new(None);
        let steps = Mutex::new(Vec::new());
        let judged = AtomicBool::new(false);
        let watch = |e: EpochEvent| {
            if let (true, Some((_, v))) = (self.spec.prune, &e.metric) {
                if let Ok(mut s) = steps.lock() {
                    s.push((e.epoch, *v));
                    if let Some(median) = pruner::should_prune(trials, &s) {
                        if !judged.swap(true, Ordering::Relaxed) {
                            if let Ok(mut p) = pruned_at.lock() {
                                *p = Some((e.epoch, median));
                            }
                            stop.cancel();
                        }
                    }
                }
            }
            reporter.epoch(e);
        };
        let watched = reporter.with_epochs(&watch).with_cancel(&stop);
        let mut outcome = fit_recorded(&request, Ok(inputs), data, &watched);
        let pruned = pruned_at.into_inner().ok().flatten();
        if let (Some((epoch, median)), RunStatus::Cancelled, false) =
            (pruned, &outcome.record.status, reporter.check().is_err())
        {
            outcome.record.status = RunStatus::Pruned;
            outcome.record.note = Some(if median.is_nan() {
                format!("pruned at epoch {epoch}: its validation metric is NaN")
            } else {
                format!(
                    "pruned at epoch {epoch}: its best validation value was below the median {median:.4} of finished trials there"
                )
            });
        }
        outcome
    }

    /// The study this search records.
    pub fn study(&self, id: u64) -> Study {
        Study {
            id,
            kind: P::KIND,
            model: self.base.attempt(DataFingerprint::default()).model,
            sampler: self.spec.sampler,
            space: self.space.clone(),
            seed: self.seed,
            prune: self.spec.prune,
            data: self.base.data_fingerprint(),
        }
    }
}

/// The running best of `trials`' values, trial by trial (`None` until one
/// finished): the optimisation history's line.
pub fn best_so_far(trials: &[Trial]) -> Vec<Option<f64>> {
    let mut best: Option<f64> = None;
    trials
        .iter()
        .map(|t| {
            if let (TrialState::Done, Some(v)) = (t.state, t.value) {
                best = Some(best.map_or(v, |b| b.max(v)));
            }
            best
        })
        .collect()
}
