//! The one list of the core's capabilities: the only core file with a line
//! per capability. Everything that works across capabilities — the
//! workbench's run and sweep jobs, the Runs tab's models and rankings,
//! `shoplens sweep`, workspaces — asks this list, so a new capability adds
//! one line here (see ARCHITECTURE.md, "Adding a capability").

use std::collections::BTreeMap;

use serde_json::Value;

use crate::runs::capability::{register, Registered, Restored, SweepAsk};
use crate::runs::sweep::SweepSpec;
use crate::runs::{DataContext, ModelEntry, RunHistory, RunKind, RunModel, RunRecord};
use crate::runs::{SettingsBoard, SweepPlan};
use crate::{bandit, predict, recsys, segment, session, text};

/// Every capability, in the order the Runs tab and `sweep --model` list
/// their models: its kind, what the status bar says while it trains, the
/// metric its runs are ranked by (`*`: a prefix), the fields that held its
/// models in version-1 workspaces, and what it does.
#[rustfmt::skip]
pub static CAPABILITIES: &[Registered] = &[
    register(recsys::KIND, "Training a recommender", &["ndcg@*"], &["train_sets", "recommenders"], &recsys::capability::Recommenders),
    register(session::KIND, "Training a session recommender", &["mrr@*"], &["session_sets", "session_models"], &session::capability::Sessions),
    register(text::KIND, "Training a sentiment classifier", &["accuracy"], &["sentiments"], &text::capability::Sentiment),
    register(text::topics::KIND, "Finding topics in reviews", &["coherence"], &["topics"], &text::topics::capability::Topics),
    register(segment::KIND, "Fitting k-means", &["silhouette"], &["segments"], &segment::capability::Segments),
    register(bandit::KIND, "Simulating bandit policies", &["mean_reward", "dr"], &["bandits"], &bandit::capability::Bandits),
    register(predict::KIND, "Training a purchase model", &["roc_auc"], &["predictions"], &predict::capability::Predict),
];

pub fn capability(kind: RunKind) -> Option<&'static Registered> {
    CAPABILITIES.iter().find(|c| c.kind == kind)
}

/// A model a sweep can tune, with the capability it belongs to.
#[derive(Clone)]
pub struct SweepModel {
    pub capability: &'static Registered,
    pub entry: ModelEntry,
}

impl SweepModel {
    pub fn name(&self) -> &'static str {
        self.entry.name
    }

    pub fn label(&self) -> &str {
        &self.entry.label
    }

    pub fn kind(&self) -> RunKind {
        self.capability.kind
    }
}

impl PartialEq for SweepModel {
    fn eq(&self, other: &Self) -> bool {
        self.entry.name == other.entry.name
    }
}

impl std::fmt::Debug for SweepModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.entry.name)
    }
}

/// Every model a sweep can tune, in list order.
pub fn sweep_models() -> impl Iterator<Item = SweepModel> {
    CAPABILITIES.iter().flat_map(|c| {
        c.does.models().into_iter().map(move |entry| SweepModel {
            capability: c,
            entry,
        })
    })
}

/// The model called `name`, or an error that lists them all.
pub fn sweep_model(name: &str) -> Result<SweepModel, String> {
    sweep_models().find(|m| m.name() == name).ok_or_else(|| {
        format!(
            "no model '{name}' to sweep; the models are: {}",
            sweep_models()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// What the status bar says while a run of `kind` trains.
pub fn training_label(kind: RunKind) -> &'static str {
    capability(kind).map_or("Training", |c| c.training)
}

/// The metric a run is ranked by (its capability's main metric), with its
/// value; `None` for a run that has none (failed, or an unknown kind).
pub fn main_metric(record: &RunRecord) -> Option<(&str, f64)> {
    record.metric_by(&capability(record.kind)?.metric)
}

/// A sweep of `model` with the user's settings on the data.
pub fn plan_sweep(
    model: &SweepModel,
    settings: &SettingsBoard,
    data: &DataContext,
    spec: &SweepSpec,
) -> Result<SweepPlan, String> {
    // A search maximises the capability's main metric.
    let mut spec = spec.clone();
    if let Some(search) = spec.search.as_mut() {
        search.objective = Some(model.capability.metric);
    }
    let ask = SweepAsk {
        model: &model.entry,
        data,
        spec: &spec,
    };
    model.capability.does.plan_sweep(settings, &ask)
}

/// Every capability's models of `history` as workspace sections, by kind.
pub fn save_models(history: &RunHistory) -> Result<BTreeMap<String, Value>, String> {
    let mut sections = BTreeMap::new();
    for c in CAPABILITIES {
        let models: Vec<(u64, &RunModel)> = history
            .entries
            .iter()
            .filter(|e| e.record.kind == c.kind)
            .filter_map(|e| Some((e.record.id, e.model.as_ref()?)))
            .collect();
        if !models.is_empty() {
            sections.insert(c.kind.name().to_owned(), c.does.save(&models)?);
        }
    }
    Ok(sections)
}

/// The models of saved `sections` again, by run id. `legacy` holds a
/// version-1 file's top-level fields, read for a capability without a
/// section of its own.
pub fn restore_models(
    sections: &BTreeMap<String, Value>,
    legacy: &serde_json::Map<String, Value>,
    runs: &[RunRecord],
) -> Restored {
    let mut out = Restored::default();
    for c in CAPABILITIES {
        let section = match sections.get(c.kind.name()) {
            Some(s) => s.clone(),
            None => {
                let fields: serde_json::Map<String, Value> = c
                    .legacy_fields
                    .iter()
                    .filter_map(|f| Some(((*f).to_owned(), legacy.get(*f)?.clone())))
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                Value::Object(fields)
            }
        };
        let restored = c.does.restore(section, runs);
        out.models.extend(restored.models);
        out.warnings.extend(restored.warnings);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_and_model_is_listed_once() {
        let mut kinds: Vec<&str> = CAPABILITIES.iter().map(|c| c.kind.name()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), CAPABILITIES.len());
        let mut names: Vec<&str> = sweep_models().map(|m| m.name()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "model names are unique");
        assert!(sweep_model("als").is_ok());
        let e = sweep_model("nope").unwrap_err();
        assert!(e.contains("als") && e.contains("kmeans"), "{e}");
    }

    #[test]
    fn every_model_offers_a_first_sweep_of_its_own_parameters() {
        for m in sweep_models() {
            let (name, values) = m
                .entry
                .first_axis()
                .unwrap_or_else(|| panic!("{} has no default sweep", m.name()));
            assert!(
                m.entry.sweepable().iter().any(|s| s.name == name),
                "{}: {name}",
                m.name()
            );
            assert!(!values.is_empty());
        }
    }
}
