//! What a user sets for purchase prediction — the model and its
//! hyperparameters, the target, the cutoffs, the window and the seed — and
//! how it becomes a [`PredictRequest`]. The window left unset is fitted to
//! the data by the request itself, so the Predict tab and
//! `shoplens predict` get the same one.

use serde::{Deserialize, Serialize};

use super::features::parse_day;
use super::model::{PredictModel, PredictParams};
use super::task::{PredictRequest, Target};
use crate::runs::capability::{Overrides, Settings, SweepAsk};
use crate::runs::{DataContext, ModelEntry, SweepPlan};

/// A prediction's settings, apart from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PredictSettings {
    pub params: PredictParams,
    pub target: Target,
    /// `YYYY-MM-DD`, or empty for the data's end minus the window.
    pub cutoff: String,
    /// `YYYY-MM-DD`, or empty for the cutoff minus the window.
    pub train_cutoff: String,
    /// Days; `None` fits it to the data.
    pub window_days: Option<u32>,
    pub seed: u64,
}

impl Default for PredictSettings {
    fn default() -> Self {
        Self {
            params: PredictParams::default(),
            target: Target::Repurchase,
            cutoff: String::new(),
            train_cutoff: String::new(),
            window_days: None,
            seed: 42,
        }
    }
}

/// A typed date as unix seconds; empty is `None`.
fn day(text: &str, what: &str) -> Result<Option<i64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_day(text)
        .map(Some)
        .ok_or_else(|| format!("The {what} '{}' is not a date as YYYY-MM-DD.", text.trim()))
}

impl PredictSettings {
    pub fn request(
        &self,
        data: &DataContext,
        params: PredictParams,
    ) -> Result<PredictRequest, String> {
        Ok(PredictRequest {
            dataset: data.dataset("Load orders or events first (Data tab).")?,
            target: self.target,
            cutoff: day(&self.cutoff, "cutoff")?,
            train_cutoff: day(&self.train_cutoff, "training cutoff")?,
            window_days: self.window_days,
            params,
            seed: self.seed,
        })
    }
}

impl Settings for PredictSettings {
    fn overridden(model: &ModelEntry, overrides: &Overrides) -> Result<Self, String> {
        let mut s = Self::default();
        s.seed = overrides.seed.unwrap_or(s.seed);
        s.params.model = PredictModel::from_sweep_name(model.name)?;
        Ok(s)
    }

    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String> {
        let (model, data, spec) = (ask.model, ask.data, ask.spec);
        let params = PredictParams {
            model: PredictModel::from_sweep_name(model.name)?,
            ..self.params.clone()
        };
        SweepPlan::expand(self.request(data, params)?, spec)
    }
}
