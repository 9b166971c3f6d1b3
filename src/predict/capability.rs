//! Purchase prediction as the core registry lists it: its two models, its
//! main metric (ROC AUC), sweeps from the user's [`PredictSettings`], and
//! its results in workspaces (each result is its own saved form).

use serde_json::Value;

use super::model::{PredictModel, PredictParams};
use super::settings::PredictSettings;
use super::task::PredictResult;
use crate::runs::capability::{restore_list, save_list, ModelDefaults, Overrides, Restored};
use crate::runs::sweep::SweepSpec;
use crate::runs::{
    Capability, DataContext, MetricRule, ModelEntry, RunKind, RunModel, RunRecord, SettingsBoard,
    SideData, SweepPlan,
};

pub struct Predict;

fn model_of(entry: &ModelEntry) -> PredictModel {
    match entry.name {
        "predict-logreg" => PredictModel::Logreg,
        _ => PredictModel::Gbm,
    }
}

fn defaults_of(model: PredictModel) -> ModelDefaults {
    ModelDefaults::of(PredictParams {
        model,
        ..Default::default()
    })
    .chosen_by("model")
}

const MODELS: &[ModelEntry] = &[
    ModelEntry {
        name: "predict-gbm",
        label: "Predict: gradient-boosted trees",
        defaults: || defaults_of(PredictModel::Gbm),
    },
    ModelEntry {
        name: "predict-logreg",
        label: "Predict: logistic regression",
        defaults: || defaults_of(PredictModel::Logreg),
    },
];

impl Capability for Predict {
    fn kind(&self) -> RunKind {
        super::KIND
    }

    fn training_label(&self) -> &'static str {
        "Training a purchase model"
    }

    fn main_metric(&self) -> MetricRule {
        MetricRule::new(&["roc_auc"])
    }

    fn models(&self) -> &'static [ModelEntry] {
        MODELS
    }

    fn settings_from(
        &self,
        model: &ModelEntry,
        o: &Overrides,
    ) -> Result<Box<dyn std::any::Any + Send + Sync>, String> {
        let mut s = PredictSettings::default();
        if let Some(seed) = o.seed {
            s.seed = seed;
        }
        s.params.model = model_of(model);
        Ok(Box::new(s))
    }

    fn export(
        &self,
        model: &RunModel,
        _side: &SideData,
        path: &std::path::Path,
        pseudonym: Option<&crate::export::Pseudonymizer>,
    ) -> Result<String, String> {
        let r = model.get::<PredictResult>().ok_or("not a prediction")?;
        let (headers, rows) = r.scored_table(r.scored.len(), pseudonym);
        crate::export::write_csv(path, &headers, &rows)?;
        Ok(format!(
            "Exported {} scored customers to {}",
            rows.len(),
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
        let settings: PredictSettings = settings.or_default();
        let params = PredictParams {
            model: model_of(model),
            ..settings.params.clone()
        };
        SweepPlan::expand(settings.request(data, params)?, spec)
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        save_list::<PredictResult>("predictions", "result", models)
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        restore_list::<PredictResult>("predictions", "result", section)
    }

    fn legacy_fields(&self) -> &'static [&'static str] {
        &["predictions"]
    }
}
