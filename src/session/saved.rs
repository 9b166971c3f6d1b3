//! Session models in a workspace: the filtered, split sessions (stored once
//! per split, shared by the runs on it) and what refits each model. The
//! index and the neighbourhood models are rebuilt on open: they are
//! deterministic and take well under a second per 10⁵ sessions. The deep
//! models take minutes to train, so their weights are saved and loaded
//! instead. Version-1 workspaces kept the same two lists at their top level.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::evaluate::SessionMetrics;
use super::index::SessionIndex;
use super::models::deep::{DeepSession, SavedNetwork};
use super::models::SessionModel;
use super::params::SessionParams;
use super::protocol::SessionData;
use super::task::SessionOptions;
use super::SessionTrained;
use crate::params::Hyperparams;
use crate::runs::capability::{Restored, StoredOnce};
use crate::runs::RunModel;

/// A session model and what refits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    pub run_id: u64,
    /// Index into [`Section::session_sets`].
    pub sessions: usize,
    pub params: SessionParams,
    pub options: SessionOptions,
    pub metrics: SessionMetrics,
    pub fit_secs: f64,
    pub eval_secs: f64,
    /// A deep model's trained network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<SavedNetwork>,
}

/// The session models' workspace section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Section {
    pub session_sets: Vec<SessionData>,
    pub session_models: Vec<SavedSession>,
}

impl Section {
    /// The models of `runs`, each split stored once.
    pub fn of(runs: &[(u64, Arc<SessionTrained>)]) -> Self {
        let mut section = Section::default();
        let mut sets = StoredOnce::default();
        for (run_id, t) in runs {
            let sessions = sets.index(
                |data, _| Arc::ptr_eq(data, &t.data),
                || (Arc::clone(&t.data), (*t.data).clone()),
            );
            section.session_models.push(SavedSession {
                run_id: *run_id,
                sessions,
                params: t.params.clone(),
                options: t.options.clone(),
                metrics: t.metrics.clone(),
                fit_secs: t.fit_secs,
                eval_secs: t.eval_secs,
                network: t.model.network().map(|n| n.saved().clone()),
            });
        }
        section.session_sets = sets.into_values();
        section
    }

    /// Every model refitted on its saved sessions; one that cannot be is
    /// left out (its run stays) and said in the warnings.
    pub fn restore(self) -> Restored {
        let mut out = Restored::default();
        let mut built: Vec<Option<(Arc<SessionData>, Arc<SessionIndex>)>> =
            vec![None; self.session_sets.len()];
        for saved in &self.session_models {
            match self.restore_one(saved, &mut built) {
                Ok(t) => out.models.push((saved.run_id, RunModel::new(Arc::new(t)))),
                Err(e) => out.warnings.push(format!("run {}: {e}", saved.run_id)),
            }
        }
        out
    }

    fn restore_one(
        &self,
        saved: &SavedSession,
        built: &mut [Option<(Arc<SessionData>, Arc<SessionIndex>)>],
    ) -> Result<SessionTrained, String> {
        let set = self
            .session_sets
            .get(saved.sessions)
            .ok_or("missing session set")?;
        let slot = built.get_mut(saved.sessions).ok_or("missing session set")?;
        let (data, index) = slot
            .get_or_insert_with(|| {
                let index = SessionIndex::build(&set.train, set.n_items());
                (Arc::new(set.clone()), Arc::new(index))
            })
            .clone();
        if data
            .train
            .iter()
            .chain(&data.test)
            .any(|s| s.items.iter().any(|&i| i as usize >= data.n_items()))
        {
            return Err("its sessions name items it does not have".into());
        }
        let params = saved
            .params
            .clone()
            .checked()
            .map_err(|e| crate::params::joined(&e))?;
        let model: Box<dyn SessionModel> = match &saved.network {
            Some(network) => {
                let deep = DeepSession::restore(network.clone())?;
                if deep.items() != data.n_items() {
                    return Err("its network does not fit its sessions' items".into());
                }
                Box::new(deep)
            }
            None if params.kind().is_deep() => {
                return Err("its network's weights were not saved".into());
            }
            None => {
                let cancel = crate::task::CancelToken::new();
                let ctx = crate::neural::train::TrainHooks {
                    cancel: &cancel,
                    on_epoch: &|_| {},
                    on_progress: &|_, _| {},
                    stop: None,
                };
                super::models::fit(&params, &data, &index, saved.options.seed, &ctx)
                    .map_err(|e| e.to_string())?
            }
        };
        Ok(SessionTrained::new(
            saved.params.clone(),
            saved.options.clone(),
            data,
            index,
            model,
            saved.metrics.clone(),
            saved.fit_secs,
            saved.eval_secs,
        ))
    }
}
