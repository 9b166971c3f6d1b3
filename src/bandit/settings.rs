//! What a user sets for the bandit lab — a race's arms, policies, horizon,
//! replications and seed; an off-policy evaluation's policy and settings —
//! and how each becomes a request. The Explore / exploit tab edits them,
//! `shoplens bandit …` fills them from flags, and sweeps start from them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::arms::{arms_from_store, typed_arms, typed_segments, ArmRate, ArmUnit};
use super::params::{EvaluationParams, PolicyChoice, PolicyKind, SimulationParams};
use super::simulate::{Arm, Segment};
use super::task::{EvaluationRequest, SimulationRequest};
use crate::data::{Dataset, Role};
use crate::runs::capability::{Overrides, Settings, SweepAsk};
use crate::runs::{DataContext, ModelEntry, SweepPlan};
use crate::task::{Partial, Reporter, TaskError};

/// A logged bandit file opened beside the loaded data (kept in the
/// workbench's side data).
pub struct LoggedFile(pub Arc<Dataset>);

/// Arms read from the loaded store (what a side job hands back).
pub struct StoreArms(pub Vec<Arm>);

impl StoreArms {
    /// The default race's arms from `dataset` (a sweep of a race from the
    /// store, before the tab has read any), as side data.
    pub fn prepare(dataset: &Arc<Dataset>, _reporter: &Reporter) -> Result<Partial, TaskError> {
        let s = SimulationSettings::default();
        let catalogue = crate::data::catalogue::Catalogue::beside(&dataset.path);
        let arms = arms_from_store(dataset, catalogue.as_ref(), s.unit, s.rate, s.top)?;
        Ok(Arc::new(StoreArms(arms)))
    }
}

/// Arms and per-segment rates read from the data: a log's clicks, or a
/// store's hits ÷ views (what a side job hands back).
pub struct LogSegments(pub Vec<Arm>, pub Vec<Segment>, pub String);

impl LogSegments {
    /// The `race.top` most shown (or viewed) arms of `dataset` and their
    /// rates per value of its user column `race.segment_col`: click rates
    /// for a log, the race's hits ÷ views (per item or category) for a
    /// store.
    pub fn read(
        dataset: &Dataset,
        catalogue: Option<&crate::data::catalogue::Catalogue>,
        race: &SimulationSettings,
    ) -> Result<Self, TaskError> {
        let column = race.segment_col.as_str();
        let (arms, segments, what) = if is_log(dataset) {
            let log = super::log::BanditLog::with_user_columns(
                dataset,
                &super::log::UserColumns {
                    context: None,
                    segment: Some(column.to_owned()),
                },
            )?;
            let (arms, segments) = super::arms::segments_from_log(&log, race.top)?;
            let what = format!(
                "click rates of the log's {} most shown items per value of {column}",
                arms.len()
            );
            (arms, segments, what)
        } else {
            let (arms, segments) = super::arms::segments_from_store(
                dataset, catalogue, race.unit, race.rate, race.top, column,
            )?;
            let what = format!(
                "the store's {} most viewed {}, {} per value of {column}",
                arms.len(),
                race.unit.plural(),
                race.rate.label()
            );
            (arms, segments, what)
        };
        Ok(Self(arms, segments, what))
    }

    /// Race on these arms and segments.
    pub fn apply(&self, race: &mut SimulationSettings) {
        race.arms = self.0.clone();
        race.log_segments = self.1.clone();
        race.segments_read_from = self.2.clone();
    }
}

/// The data a race's segments are read from: the log (loaded, or opened
/// beside the store), else the loaded store when it has event types.
pub fn segment_source(data: &DataContext) -> Option<Arc<Dataset>> {
    log_of(data).or_else(|| {
        data.dataset
            .filter(|ds| ds.roles.get(Role::Event).is_some())
            .cloned()
    })
}

/// The race's model name (`sweep --model bandit-simulation`).
pub const RACE: &str = "bandit-simulation";

/// The bandit lab's settings: a race's and an evaluation's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BanditSettings {
    pub race: SimulationSettings,
    pub evaluation: EvaluationSettings,
}

/// A race's settings, apart from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulationSettings {
    pub params: SimulationParams,
    pub seed: u64,
    /// Arms from the loaded store (else typed rates).
    pub from_store: bool,
    pub unit: ArmUnit,
    pub rate: ArmRate,
    pub top: usize,
    /// The store's arms as read and edited.
    pub arms: Vec<Arm>,
    /// Typed rates, `0.05,0.04,…`.
    pub typed: String,
    /// The policies raced.
    pub policies: Vec<PolicyChoice>,
    /// Rates per user segment instead of one rate per arm.
    pub per_segment: bool,
    /// Typed rates per segment, `0.05,0.01,0.01;0.01,0.05,0.01;…`.
    pub segment_rates: String,
    /// The segments' shares of users, `0.5,0.3,0.2` (empty: equal).
    pub segment_shares: String,
    /// Per-segment rates read from the data (a log, or the store) instead
    /// of typed ones: its user column to split on ("" for typed rates).
    pub segment_col: String,
    /// The segments read from the data (with their arms in `arms`).
    pub log_segments: Vec<Segment>,
    /// What the read segments' rates are, for the record.
    pub segments_read_from: String,
}

impl Default for SimulationSettings {
    fn default() -> Self {
        Self {
            params: SimulationParams::default(),
            seed: 42,
            from_store: true,
            unit: ArmUnit::Items,
            rate: ArmRate::Purchase,
            top: 8,
            arms: Vec::new(),
            typed: "0.05,0.04,0.03,0.02,0.01".into(),
            policies: [PolicyKind::Epsilon, PolicyKind::Ucb1, PolicyKind::Thompson]
                .into_iter()
                .map(PolicyChoice::of)
                .collect(),
            per_segment: false,
            segment_rates: "0.05,0.01,0.01;0.01,0.05,0.01;0.01,0.01,0.05".into(),
            segment_shares: String::new(),
            segment_col: String::new(),
            log_segments: Vec::new(),
            segments_read_from: String::new(),
        }
    }
}

impl SimulationSettings {
    pub fn races(&self, kind: PolicyKind) -> bool {
        self.policies.iter().any(|p| p.kind == kind)
    }

    /// Race `kind` or not (the policies stay in their usual order).
    pub fn set_race(&mut self, kind: PolicyKind, on: bool) {
        self.policies.retain(|p| p.kind != kind);
        if on {
            self.policies.push(PolicyChoice::of(kind));
            self.policies.sort_by_key(|p| {
                PolicyKind::ALL
                    .iter()
                    .position(|k| *k == p.kind)
                    .unwrap_or(0)
            });
        }
    }

    /// Where the arms come from, for the record.
    pub fn arms_source(&self) -> String {
        if self.per_segment && !self.segment_col.is_empty() {
            return self.segments_read_from.clone();
        }
        if self.per_segment {
            return format!(
                "typed rates for {} user segments",
                self.segment_rates
                    .split(';')
                    .filter(|g| !g.trim().is_empty())
                    .count()
            );
        }
        if !self.from_store {
            return "typed rates".to_owned();
        }
        format!(
            "top {} {} by views, {}",
            self.arms.len(),
            self.unit.plural(),
            self.rate.label()
        )
    }

    /// The race these settings describe, with `params`.
    pub fn request(
        &self,
        data: &DataContext,
        params: SimulationParams,
    ) -> Result<SimulationRequest, String> {
        if self.per_segment && !self.segment_col.is_empty() {
            if self.log_segments.is_empty() {
                return Err("Read the segments' rates from the log first (or type them).".into());
            }
            return Ok(SimulationRequest {
                // The log the rates came from, for the record.
                dataset: log_of(data),
                arms: self.arms.clone(),
                segments: self.log_segments.clone(),
                arms_source: self.arms_source(),
                policies: self.policies.clone(),
                params,
                seed: self.seed,
            });
        }
        if self.per_segment {
            let (arms, segments) = typed_segments(&self.segment_rates, &self.segment_shares)
                .map_err(|e| e.to_string())?;
            return Ok(SimulationRequest {
                dataset: None,
                arms,
                segments,
                arms_source: self.arms_source(),
                policies: self.policies.clone(),
                params,
                seed: self.seed,
            });
        }
        let (dataset, arms) = if self.from_store {
            if self.arms.is_empty() {
                return Err("Read the arms from the store first (or type rates).".into());
            }
            (data.dataset.cloned(), self.arms.clone())
        } else {
            (None, typed_arms(&self.typed).map_err(|e| e.to_string())?)
        };
        Ok(SimulationRequest {
            dataset,
            arms,
            segments: Vec::new(),
            arms_source: self.arms_source(),
            policies: self.policies.clone(),
            params,
            seed: self.seed,
        })
    }
}

/// An off-policy evaluation's settings, apart from the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvaluationSettings {
    pub params: EvaluationParams,
    pub seed: u64,
}

impl Default for EvaluationSettings {
    fn default() -> Self {
        Self {
            params: EvaluationParams::default(),
            seed: 42,
        }
    }
}

/// Whether `ds` holds logged bandit feedback.
pub fn is_log(ds: &Dataset) -> bool {
    ds.roles.get(Role::Reward).is_some() && ds.roles.get(Role::Propensity).is_some()
}

/// The log to evaluate: the loaded data when it is one, else the file
/// opened beside it.
pub fn log_of(data: &DataContext) -> Option<Arc<Dataset>> {
    match data.dataset {
        Some(ds) if is_log(ds) => Some(Arc::clone(ds)),
        _ => data.side::<LoggedFile>().map(|f| Arc::clone(&f.0)),
    }
}

impl EvaluationSettings {
    pub fn request(
        &self,
        data: &DataContext,
        params: EvaluationParams,
    ) -> Result<EvaluationRequest, String> {
        let dataset = log_of(data).ok_or(
            "Open a logged file first: one row per shown item with its reward and the logging propensity (the Open Bandit Dataset's all.csv is one).",
        )?;
        Ok(EvaluationRequest {
            dataset,
            params,
            seed: self.seed,
        })
    }
}

impl Settings for BanditSettings {
    fn overridden(_model: &ModelEntry, overrides: &Overrides) -> Result<Self, String> {
        let mut s = Self::default();
        if let Some(seed) = overrides.seed {
            (s.race.seed, s.evaluation.seed) = (seed, seed);
        }
        s.race.params.threads = overrides.threads.unwrap_or(s.race.params.threads);
        Ok(s)
    }

    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String> {
        let (model, data, spec) = (ask.model, ask.data, ask.spec);
        if model.name != RACE {
            let e = &self.evaluation;
            return SweepPlan::expand(e.request(data, e.params.clone())?, spec);
        }
        let mut race = self.race.clone();
        if race.from_store && race.arms.is_empty() {
            if let Some(arms) = data.side::<StoreArms>() {
                race.arms = arms.0.clone();
            }
        }
        let mut request = race.request(data, race.params.clone())?;
        // Race the policies the swept parameters belong to, so the ranking
        // (the best policy's reward) is about them.
        request.policies = super::task::swept_policies(&spec.names());
        SweepPlan::expand(request, spec)
    }
}
