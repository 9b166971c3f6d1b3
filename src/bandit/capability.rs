//! The bandit lab as the core registry lists it: its two models (a race of
//! policies, an off-policy evaluation), its main metric (the best policy's
//! reward per round, or the doubly robust estimate), sweeps from the
//! user's settings, and its results in workspaces.

use serde_json::Value;

use super::arms::arms_from_store;
use super::params::{EvaluationParams, SimulationParams};
use super::settings::{EvaluationSettings, SimulationSettings, StoreArms};
use super::task::swept_policies;
use super::BanditResult;
use crate::runs::capability::{
    restore_list, save_list, ModelDefaults, Overrides, Prepare, Restored,
};
use crate::runs::sweep::SweepSpec;
use crate::runs::{
    Capability, DataContext, MetricRule, ModelEntry, RunKind, RunModel, RunRecord, SettingsBoard,
    SweepPlan,
};

pub struct Bandits;

const SIMULATION: &str = "bandit-simulation";

const MODELS: &[ModelEntry] = &[
    ModelEntry {
        name: SIMULATION,
        label: "Bandit: simulation",
        defaults: || ModelDefaults::of(SimulationParams::default()),
    },
    ModelEntry {
        name: "bandit-ope",
        label: "Bandit: off-policy evaluation",
        defaults: || ModelDefaults::of(EvaluationParams::default()),
    },
];

impl Capability for Bandits {
    fn kind(&self) -> RunKind {
        super::KIND
    }

    fn training_label(&self) -> &'static str {
        "Simulating bandit policies"
    }

    fn main_metric(&self) -> MetricRule {
        // A race: the best policy's reward per round; an evaluation: the
        // doubly robust estimate.
        MetricRule::new(&["mean_reward", "dr"])
    }

    fn models(&self) -> &'static [ModelEntry] {
        MODELS
    }

    fn settings_from(
        &self,
        model: &ModelEntry,
        o: &Overrides,
    ) -> Result<Box<dyn std::any::Any + Send + Sync>, String> {
        if model.name == SIMULATION {
            let mut s = SimulationSettings::default();
            s.seed = o.seed.unwrap_or(s.seed);
            s.params.threads = o.threads.unwrap_or(s.params.threads);
            Ok(Box::new(s))
        } else {
            let mut s = EvaluationSettings::default();
            s.seed = o.seed.unwrap_or(s.seed);
            Ok(Box::new(s))
        }
    }

    fn prepare(&self, model: &ModelEntry) -> Option<Prepare> {
        // A race from the store needs its arms: the defaults' top items.
        (model.name == SIMULATION).then_some(|dataset, _| {
            let s = SimulationSettings::default();
            let catalogue = crate::data::catalogue::Catalogue::beside(&dataset.path);
            let arms = arms_from_store(dataset, catalogue.as_ref(), s.unit, s.rate, s.top)?;
            Ok(std::sync::Arc::new(StoreArms(arms)))
        })
    }

    fn plan_sweep(
        &self,
        model: &ModelEntry,
        settings: &SettingsBoard,
        data: &DataContext,
        spec: &SweepSpec,
    ) -> Result<SweepPlan, String> {
        if model.name == SIMULATION {
            let mut settings: SimulationSettings = settings.or_default();
            if settings.from_store && settings.arms.is_empty() {
                if let Some(arms) = data.side::<StoreArms>() {
                    settings.arms = arms.0.clone();
                }
            }
            let mut request = settings.request(data, settings.params.clone())?;
            // Race the policies the swept parameters belong to, so the
            // ranking (the best policy's reward) is about them.
            request.policies = swept_policies(&spec.names());
            SweepPlan::expand(request, spec)
        } else {
            let settings: EvaluationSettings = settings.or_default();
            SweepPlan::expand(settings.request(data, settings.params.clone())?, spec)
        }
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        save_list::<BanditResult>("bandits", "result", models)
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        restore_list::<BanditResult>("bandits", "result", section)
    }

    fn legacy_fields(&self) -> &'static [&'static str] {
        &["bandits"]
    }
}
