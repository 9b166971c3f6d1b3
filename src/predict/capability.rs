//! Purchase prediction as the core registry lists it: its two models,
//! ranked by ROC AUC, swept from [`super::settings::PredictSettings`],
//! exported as the scored customers, and saved as the results.

use serde_json::Value;

use super::model::{PredictModel, PredictParams};
use super::task::PredictResult;
use crate::runs::capability::{restore_list, save_list, ExportTo, Restored};
use crate::runs::{Capability, ModelEntry, RunModel, RunRecord};

pub struct Predict;

impl Capability for Predict {
    fn models(&self) -> Vec<ModelEntry> {
        [PredictModel::Gbm, PredictModel::Logreg]
            .into_iter()
            .map(|model| {
                let params = PredictParams {
                    model,
                    ..Default::default()
                };
                ModelEntry::new(model.sweep_name(), model.label(), &params).chosen_by("model")
            })
            .collect()
    }

    crate::capability_settings!(super::settings::PredictSettings);

    fn export(&self, model: &RunModel, to: &ExportTo) -> Result<String, String> {
        let r = model.get::<PredictResult>().ok_or("not a prediction")?;
        r.export_scored(to.path, r.scored.len(), to.pseudonym)
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        save_list::<PredictResult>("predictions", "result", models)
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        restore_list::<PredictResult>("predictions", "result", section)
    }
}
