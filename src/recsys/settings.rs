//! What a user sets for a recommender run — the model and each model's
//! hyperparameters, the split, k, seed, threads, validation and filters —
//! and how it becomes a [`RecommendRequest`]. The Recommend tab edits it,
//! `shoplens recommend` fills it from flags, and sweeps start from it, so
//! all three build the same request from the same defaults.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::matrix::MatrixOptions;
use super::models::spark_als::{SparkAlsParams, SparkFileRequest};
use super::params::{ModelParams, RecommenderKind, TrainOptions};
use super::split::Split;
use super::task::RecommendRequest;
use crate::data::{Dataset, EventWeights, LoadOptions};
use crate::params::{ModelKind, PerModel};
use crate::runs::capability::{Overrides, Settings, SweepAsk};
use crate::runs::{ModelEntry, SweepPlan};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplitChoice {
    LeaveLastOut,
    Random,
    Temporal,
}

/// A recommender run's settings, apart from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecommendSettings {
    pub model: RecommenderKind,
    /// Each model's settings, kept while another model is chosen.
    pub params: PerModel<RecommenderKind>,
    pub split: SplitChoice,
    /// The temporal split's date, `YYYY-MM-DD`.
    pub temporal_date: String,
    pub options: TrainOptions,
    /// Drop users with fewer distinct items.
    pub min_user_interactions: usize,
    /// Drop items with fewer distinct users.
    pub min_item_interactions: usize,
}

impl Default for RecommendSettings {
    fn default() -> Self {
        Self {
            model: RecommenderKind::Als,
            params: PerModel::default(),
            split: SplitChoice::LeaveLastOut,
            temporal_date: String::new(),
            options: TrainOptions::default(),
            min_user_interactions: 1,
            min_item_interactions: 1,
        }
    }
}

impl RecommendSettings {
    /// The defaults with a command line's `overrides`.
    pub fn with_overrides(o: &Overrides) -> Result<Self, String> {
        let mut s = Self::default();
        let opt = &mut s.options;
        opt.seed = o.seed.unwrap_or(opt.seed);
        opt.threads = o.threads.unwrap_or(opt.threads);
        opt.k = o.k.unwrap_or(opt.k);
        opt.validate_every = o.validate_every.unwrap_or(opt.validate_every);
        opt.eval_users = o.eval_users.unwrap_or(opt.eval_users);
        opt.patience = o.patience.unwrap_or(opt.patience);
        s.min_user_interactions = o.min_user_interactions.unwrap_or(s.min_user_interactions);
        s.min_item_interactions = o.min_item_interactions.unwrap_or(s.min_item_interactions);
        if let Some(split) = &o.split {
            s.set_split(split)?;
        }
        Ok(s)
    }

    /// The chosen model's settings.
    pub fn current_params(&self) -> ModelParams {
        self.params.get(self.model)
    }

    pub fn split(&self) -> Result<Split, String> {
        match self.split {
            SplitChoice::LeaveLastOut => Ok(Split::LeaveLastOut),
            SplitChoice::Random => Ok(Split::Random {
                seed: self.options.seed,
            }),
            SplitChoice::Temporal => {
                Split::parse(&format!("temporal:{}", self.temporal_date.trim()), 0)
            }
        }
    }

    /// Set the split from its written form: `leave-last-out`, `random` or
    /// `temporal:YYYY-MM-DD` (checked now).
    pub fn set_split(&mut self, text: &str) -> Result<(), String> {
        match Split::parse(text, self.options.seed)? {
            Split::LeaveLastOut => self.split = SplitChoice::LeaveLastOut,
            Split::Random { .. } => self.split = SplitChoice::Random,
            Split::Temporal { .. } => {
                self.split = SplitChoice::Temporal;
                self.temporal_date = text
                    .trim()
                    .strip_prefix("temporal:")
                    .unwrap_or_default()
                    .to_owned();
            }
        }
        Ok(())
    }

    /// A request for `params` on `dataset` with these settings' split, k,
    /// seed, filters and the user's event `weights`.
    pub fn request(
        &self,
        dataset: Arc<Dataset>,
        weights: &EventWeights,
        params: ModelParams,
    ) -> Result<RecommendRequest, String> {
        Ok(RecommendRequest {
            dataset,
            matrix: MatrixOptions {
                weights: weights.clone(),
                min_user_interactions: self.min_user_interactions,
                min_item_interactions: self.min_item_interactions,
            },
            split: self.split()?,
            params,
            options: self.options.clone(),
        })
    }
}

/// Customers evaluated from a file Spark reads when the settings say every
/// one: such a file is too big to open here, and ranking every item for
/// each of millions of customers would take hours.
pub const SPARK_FILE_SAMPLE: usize = 100_000;

impl RecommendSettings {
    /// ALS on Spark from `file` unread (refused for memory), with these
    /// settings' ALS-on-Spark parameters, k, seed and threads, and their
    /// sample of customers (else [`SPARK_FILE_SAMPLE`]).
    pub fn spark_file_request(
        &self,
        file: PathBuf,
        load: LoadOptions,
        weights: &EventWeights,
    ) -> SparkFileRequest {
        let params = match self.params.get(RecommenderKind::SparkAls) {
            ModelParams::SparkAls(p) => p,
            _ => SparkAlsParams::default(),
        };
        let mut options = self.options.clone();
        if options.eval_users == 0 {
            options.eval_users = SPARK_FILE_SAMPLE;
        }
        SparkFileRequest {
            file,
            load,
            weights: weights.clone(),
            params,
            options,
        }
    }
}

impl Settings for RecommendSettings {
    fn overridden(model: &ModelEntry, overrides: &Overrides) -> Result<Self, String> {
        Ok(Self {
            model: RecommenderKind::named(model.name)?,
            ..Self::with_overrides(overrides)?
        })
    }

    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String> {
        let (model, data, spec) = (ask.model, ask.data, ask.spec);
        let mut s = self.clone();
        s.options.patience = spec.patience;
        let dataset = data.dataset("Load interaction data first (Data tab).")?;
        let params = s.params.get(RecommenderKind::named(model.name)?);
        SweepPlan::expand(s.request(dataset, data.event_weights, params)?, spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Hyperparams;

    #[test]
    fn the_written_split_round_trips() {
        let mut s = RecommendSettings::default();
        s.set_split("temporal:2024-04-01").unwrap();
        assert_eq!(s.split, SplitChoice::Temporal);
        assert_eq!(s.temporal_date, "2024-04-01");
        assert!(matches!(s.split(), Ok(Split::Temporal { .. })));
        s.set_split("random").unwrap();
        assert!(matches!(s.split(), Ok(Split::Random { seed: 42 })));
        assert!(s.set_split("sideways").is_err());
    }

    #[test]
    fn each_model_keeps_its_own_settings() {
        let mut s = RecommendSettings::default();
        if let Some(ModelParams::Als(p)) = s.params.get_mut(RecommenderKind::Als) {
            p.factors = 8;
        }
        assert_eq!(
            s.params.get(RecommenderKind::Als).get_f64("factors"),
            Some(8.0)
        );
        assert_eq!(
            s.params.get(RecommenderKind::Bpr).get_f64("factors"),
            Some(64.0)
        );
    }
}
