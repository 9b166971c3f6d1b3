//! The session recommenders as the core registry lists them: their models,
//! their main metric (MRR@k), sweeps from the user's [`SessionSettings`],
//! and their models in workspaces ([`super::saved`]).

use std::sync::Arc;

use serde_json::Value;

use super::params::SessionKind;
use super::saved::Section;
use super::settings::SessionSettings;
use super::SessionTrained;
use crate::runs::capability::{ModelDefaults, Overrides, Restored};
use crate::runs::sweep::SweepSpec;
use crate::runs::{
    Capability, DataContext, MetricRule, ModelEntry, RunKind, RunModel, RunRecord, SettingsBoard,
    SweepPlan,
};

pub struct Sessions;

fn kind_of(model: &ModelEntry) -> Result<SessionKind, String> {
    SessionKind::from_name(model.name)
        .ok_or_else(|| format!("'{}' is not a session model", model.name))
}

fn defaults_of(kind: SessionKind) -> ModelDefaults {
    ModelDefaults::of(kind.default_params())
}

const MODELS: &[ModelEntry] = &[
    ModelEntry {
        name: "vsknn",
        label: "Sessions: V-SKNN (vector session kNN)",
        defaults: || defaults_of(SessionKind::Vsknn),
    },
    ModelEntry {
        name: "stan",
        label: "Sessions: STAN",
        defaults: || defaults_of(SessionKind::Stan),
    },
    ModelEntry {
        name: "sknn",
        label: "Sessions: SKNN (session kNN)",
        defaults: || defaults_of(SessionKind::Sknn),
    },
    ModelEntry {
        name: "ar",
        label: "Sessions: Association rules",
        defaults: || defaults_of(SessionKind::Ar),
    },
    ModelEntry {
        name: "spop",
        label: "Sessions: Session popularity",
        defaults: || defaults_of(SessionKind::Spop),
    },
];

impl Capability for Sessions {
    fn kind(&self) -> RunKind {
        super::KIND
    }

    fn training_label(&self) -> &'static str {
        "Training a session recommender"
    }

    fn main_metric(&self) -> MetricRule {
        MetricRule::new(&["mrr@*"])
    }

    fn models(&self) -> &'static [ModelEntry] {
        MODELS
    }

    fn settings_from(
        &self,
        model: &ModelEntry,
        o: &Overrides,
    ) -> Result<Box<dyn std::any::Any + Send + Sync>, String> {
        let mut s = SessionSettings::with_overrides(o)?;
        s.model = kind_of(model)?;
        Ok(Box::new(s))
    }

    fn plan_sweep(
        &self,
        model: &ModelEntry,
        settings: &SettingsBoard,
        data: &DataContext,
        spec: &SweepSpec,
    ) -> Result<SweepPlan, String> {
        let kind = kind_of(model)?;
        let settings: SessionSettings = settings.or_default();
        let dataset = data.dataset("Load a session log first (Data tab).")?;
        let base = settings.request(dataset, settings.params_for(kind));
        Ok(SweepPlan::expand(base, spec)?.on_threads(settings.threads))
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        let runs: Vec<(u64, Arc<SessionTrained>)> = models
            .iter()
            .filter_map(|(id, m)| Some((*id, m.get::<SessionTrained>()?)))
            .collect();
        serde_json::to_value(Section::of(&runs)).map_err(|e| e.to_string())
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        match serde_json::from_value::<Section>(section) {
            Ok(section) => section.restore(),
            Err(e) => Restored {
                warnings: vec![format!("the session models could not be read ({e})")],
                ..Default::default()
            },
        }
    }

    fn legacy_fields(&self) -> &'static [&'static str] {
        &["session_sets", "session_models"]
    }
}
