//! What a user sets for a session run — the model and each model's
//! hyperparameters, session-rec's protocol (test days, filters) and the
//! list length — and how it becomes a [`SessionRequest`]. The Recommend
//! tab's session mode edits it, `shoplens recommend --model vsknn …` fills
//! it from flags, and sweeps start from it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::params::{SessionKind, SessionParams};
use super::protocol::SessionProtocol;
use super::task::{SessionOptions, SessionRequest};
use crate::data::Dataset;
use crate::params::{ModelKind, PerModel};
use crate::runs::capability::{Overrides, Settings, SweepAsk};
use crate::runs::{ModelEntry, SweepPlan};

/// A session run's settings, apart from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    pub model: SessionKind,
    /// Each model's settings, kept while another model is chosen.
    pub params: PerModel<SessionKind>,
    pub protocol: SessionProtocol,
    pub options: SessionOptions,
    /// Threads of the evaluation.
    pub threads: usize,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            model: SessionKind::Vsknn,
            params: PerModel::default(),
            protocol: SessionProtocol::default(),
            options: SessionOptions::default(),
            threads: crate::task::DEFAULT_THREADS,
        }
    }
}

impl SessionSettings {
    /// The defaults with a command line's `overrides`.
    pub fn with_overrides(o: &Overrides) -> Result<Self, String> {
        let mut s = Self::default();
        s.threads = o.threads.unwrap_or(s.threads);
        s.options.k = o.k.unwrap_or(s.options.k);
        s.options.seed = o.seed.unwrap_or(s.options.seed);
        if let Some(split) = &o.split {
            s.protocol.test_days = SessionProtocol::parse_split(split)?;
        }
        let p = &mut s.protocol;
        p.min_item_support = o.min_item_support.unwrap_or(p.min_item_support);
        p.min_session_length = o.min_session_length.unwrap_or(p.min_session_length);
        Ok(s)
    }

    pub fn request(&self, dataset: Arc<Dataset>, params: SessionParams) -> SessionRequest {
        SessionRequest {
            dataset,
            protocol: self.protocol.clone(),
            params,
            options: self.options.clone(),
        }
    }
}

impl Settings for SessionSettings {
    fn overridden(model: &ModelEntry, overrides: &Overrides) -> Result<Self, String> {
        Ok(Self {
            model: SessionKind::named(model.name)?,
            ..Self::with_overrides(overrides)?
        })
    }

    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String> {
        let (model, data, spec) = (ask.model, ask.data, ask.spec);
        let dataset = data.dataset("Load a session log first (Data tab).")?;
        let base = self.request(dataset, self.params.get(SessionKind::named(model.name)?));
        Ok(SweepPlan::expand(base, spec)?.on_threads(self.threads))
    }
}
