//! Trained recommenders in a workspace: each model with the train matrix
//! and id maps it scores (one copy per distinct train matrix, shared by the
//! runs on it), enough to explore and export it again without retraining.
//! Version-1 workspaces kept the same two lists at their top level.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::cold::ColdStart;
use super::matrix::{Csr, Interactions};
use super::metrics::Metrics;
use super::models::ModelSnapshot;
use super::params::{ModelParams, TrainOptions};
use super::split::{ColdUser, Split};
use super::Trained;
use crate::runs::capability::{Restored, StoredOnce};
use crate::runs::{EngineRecord, RunModel};
use crate::task::EpochEvent;

/// A train matrix with the id maps, shared by the models trained on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTrainSet {
    pub split: Split,
    pub train: Csr,
    pub relevant: Vec<Vec<u32>>,
    pub user_labels: Vec<String>,
    pub item_labels: Vec<String>,
    /// New customers of the test period (files from before they were kept
    /// have none).
    #[serde(default)]
    pub cold_users: Vec<ColdUser>,
    #[serde(default)]
    pub item_categories: Vec<Option<u32>>,
    #[serde(default)]
    pub category_labels: Vec<String>,
    /// Item text, brand and price (content similarity is rebuilt from them).
    #[serde(default)]
    pub attributes: super::content::ItemAttributes,
}

/// A trained recommender, enough to explore and export it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRecommender {
    pub run_id: u64,
    /// Index into [`Section::train_sets`].
    pub train_set: usize,
    pub params: ModelParams,
    pub options: TrainOptions,
    pub model: ModelSnapshot,
    pub metrics: Metrics,
    #[serde(default)]
    pub cold: Option<ColdStart>,
    #[serde(default)]
    pub new_items: Option<super::new_items::NewItemsReport>,
    pub epochs: Vec<EpochEvent>,
    pub fit_secs: f64,
    pub stopped_early: Option<usize>,
    /// The outside engine that trained it (ALS on Spark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineRecord>,
}

/// The recommenders' workspace section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Section {
    pub train_sets: Vec<SavedTrainSet>,
    pub recommenders: Vec<SavedRecommender>,
}

impl Section {
    /// The models of `runs`, each train matrix stored once.
    pub fn of(runs: &[(u64, Arc<Trained>)]) -> Self {
        let mut section = Section::default();
        let mut sets = StoredOnce::default();
        for (run_id, t) in runs {
            let train_set = sets.index(
                |data, set: &SavedTrainSet| {
                    Arc::ptr_eq(data, &t.data) && set.split == t.split && set.train == t.train
                },
                || {
                    let set = SavedTrainSet {
                        split: t.split.clone(),
                        train: t.train.clone(),
                        relevant: t.relevant.clone(),
                        user_labels: t.data.user_labels.clone(),
                        item_labels: t.data.item_labels.clone(),
                        cold_users: t.cold_users.clone(),
                        item_categories: t.data.item_categories.clone(),
                        category_labels: t.data.category_labels.clone(),
                        attributes: t.data.attributes.clone(),
                    };
                    (Arc::clone(&t.data), set)
                },
            );
            section.recommenders.push(SavedRecommender {
                run_id: *run_id,
                train_set,
                params: t.params.clone(),
                options: t.options.clone(),
                model: t.model.snapshot(),
                metrics: t.metrics.clone(),
                cold: t.cold.clone(),
                new_items: t.new_items.clone(),
                epochs: t.epochs.clone(),
                fit_secs: t.fit_secs,
                stopped_early: t.stopped_early,
                engine: t.engine.clone(),
            });
        }
        section.train_sets = sets.into_values();
        section
    }

    /// Every model again. A model whose train set is missing or does not
    /// fit it is left out (its run stays) and said in the warnings.
    pub fn restore(&self) -> Restored {
        let mut out = Restored::default();
        let mut datas: Vec<Option<Arc<Interactions>>> = vec![None; self.train_sets.len()];
        for saved in &self.recommenders {
            match self.restore_one(saved, &mut datas) {
                Ok(t) => out.models.push((saved.run_id, RunModel::new(Arc::new(t)))),
                Err(e) => out.warnings.push(format!("run {}: {e}", saved.run_id)),
            }
        }
        out
    }

    fn restore_one(
        &self,
        saved: &SavedRecommender,
        datas: &mut [Option<Arc<Interactions>>],
    ) -> Result<Trained, String> {
        let set = self
            .train_sets
            .get(saved.train_set)
            .ok_or("its train set is missing")?;
        set.check()?;
        let data = datas[saved.train_set]
            .get_or_insert_with(|| {
                Arc::new(Interactions {
                    user_labels: set.user_labels.clone(),
                    item_labels: set.item_labels.clone(),
                    item_categories: set.item_categories.clone(),
                    category_labels: set.category_labels.clone(),
                    attributes: set.attributes.clone(),
                    ..Default::default()
                })
            })
            .clone();
        let content = super::content::ContentIndex::build(
            &data,
            &data.attributes,
            &crate::task::CancelToken::new(),
        )
        .map_err(|_| "cancelled")?
        .map(Arc::new);
        let model = saved.model.clone().restore(&set.train)?;
        Ok(Trained {
            item_is_untrained: super::untrained_items(&set.train),
            content,
            new_items: saved.new_items.clone(),
            bestsellers: super::cold::Bestsellers::new(&set.train, &data),
            cold: saved.cold.clone(),
            cold_users: set.cold_users.clone(),
            params: saved.params.clone(),
            options: saved.options.clone(),
            split: set.split.clone(),
            data,
            train: set.train.clone(),
            relevant: set.relevant.clone(),
            model,
            metrics: saved.metrics.clone(),
            epochs: saved.epochs.clone(),
            fit_secs: saved.fit_secs,
            // The run's record, kept beside, has its steps.
            steps: Vec::new(),
            stopped_early: saved.stopped_early,
            engine: saved.engine.clone(),
        })
    }
}

impl SavedTrainSet {
    /// Its parts must agree before a model scores it (a damaged file would
    /// otherwise index out of bounds).
    fn check(&self) -> Result<(), String> {
        let (users, items) = (self.train.n_rows, self.train.n_cols);
        let consistent = self.user_labels.len() == users
            && self.item_labels.len() == items
            && self.relevant.len() == users
            && self.train.indptr.len() == users + 1
            && (self.item_categories.is_empty() || self.item_categories.len() == items)
            && self
                .item_categories
                .iter()
                .flatten()
                .all(|&c| (c as usize) < self.category_labels.len())
            && self
                .cold_users
                .iter()
                .all(|c| (c.user as usize) < users && (c.arrival as usize) < items);
        if consistent {
            Ok(())
        } else {
            Err("its train set is inconsistent".into())
        }
    }
}
