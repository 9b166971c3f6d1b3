//! The recommenders as the core registry lists them: their models, their
//! main metric (NDCG@k), sweeps from the user's [`RecommendSettings`], and
//! their models in workspaces ([`super::saved`]).

use std::sync::Arc;

use serde_json::Value;

use super::params::RecommenderKind;
use super::saved::Section;
use super::settings::RecommendSettings;
use super::Trained;
use crate::runs::capability::{ModelDefaults, Overrides, Restored};
use crate::runs::sweep::SweepSpec;
use crate::runs::{
    Capability, DataContext, MetricRule, ModelEntry, RunKind, RunModel, RunRecord, SettingsBoard,
    SideData, SweepPlan,
};

pub struct Recommenders;

fn kind_of(model: &ModelEntry) -> Result<RecommenderKind, String> {
    RecommenderKind::from_name(model.name)
        .ok_or_else(|| format!("'{}' is not a recommender", model.name))
}

fn defaults_of(kind: RecommenderKind) -> ModelDefaults {
    ModelDefaults::of(kind.defaults())
}

/// The recommenders a sweep can tune (most-popular has no parameters).
const MODELS: &[ModelEntry] = &[
    ModelEntry {
        name: "itemknn",
        label: "Item kNN",
        defaults: || defaults_of(RecommenderKind::ItemKnn),
    },
    ModelEntry {
        name: "als",
        label: "ALS (implicit)",
        defaults: || defaults_of(RecommenderKind::Als),
    },
    ModelEntry {
        name: "bpr",
        label: "BPR-MF",
        defaults: || defaults_of(RecommenderKind::Bpr),
    },
    ModelEntry {
        name: "ease",
        label: "EASE",
        defaults: || defaults_of(RecommenderKind::Ease),
    },
    ModelEntry {
        name: "spark-als",
        label: "ALS on Spark",
        defaults: || defaults_of(RecommenderKind::SparkAls),
    },
];

impl Capability for Recommenders {
    fn kind(&self) -> RunKind {
        super::KIND
    }

    fn training_label(&self) -> &'static str {
        "Training a recommender"
    }

    fn main_metric(&self) -> MetricRule {
        MetricRule::new(&["ndcg@*"])
    }

    fn models(&self) -> &'static [ModelEntry] {
        MODELS
    }

    fn settings_from(
        &self,
        model: &ModelEntry,
        o: &Overrides,
    ) -> Result<Box<dyn std::any::Any + Send + Sync>, String> {
        let mut s = RecommendSettings::with_overrides(o)?;
        s.model = kind_of(model)?;
        Ok(Box::new(s))
    }

    fn export(
        &self,
        model: &RunModel,
        _side: &SideData,
        path: &std::path::Path,
        pseudonym: Option<&crate::export::Pseudonymizer>,
    ) -> Result<String, String> {
        let t = model.get::<Trained>().ok_or("not a recommender")?;
        let rows = t
            .export_top_k(
                path,
                t.options.k,
                pseudonym,
                &crate::task::CancelToken::new(),
                &|_, _| {},
            )
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "Exported {rows} recommendations to {}",
            path.display()
        ))
    }

    fn plan_sweep(
        &self,
        model: &ModelEntry,
        settings: &SettingsBoard,
        data: &DataContext,
        spec: &SweepSpec,
    ) -> Result<SweepPlan, String> {
        let kind = kind_of(model)?;
        let mut settings: RecommendSettings = settings.or_default();
        settings.options.patience = spec.patience;
        let dataset = data.dataset("Load interaction data first (Data tab).")?;
        let base = settings.request(dataset, data.event_weights, settings.params_for(kind))?;
        SweepPlan::expand(base, spec)
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        let runs: Vec<(u64, Arc<Trained>)> = models
            .iter()
            .filter_map(|(id, m)| Some((*id, m.get::<Trained>()?)))
            .collect();
        serde_json::to_value(Section::of(&runs)).map_err(|e| e.to_string())
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        match serde_json::from_value::<Section>(section) {
            Ok(section) => section.restore(),
            Err(e) => Restored {
                warnings: vec![format!("the recommenders could not be read ({e})")],
                ..Default::default()
            },
        }
    }

    fn legacy_fields(&self) -> &'static [&'static str] {
        &["train_sets", "recommenders"]
    }
}
