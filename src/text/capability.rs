//! Sentiment as the core registry lists it: its classifiers, its main
//! metric (accuracy), sweeps from the user's [`SentimentSettings`], and its
//! runs in workspaces: the classifier with the reviews it was evaluated on,
//! so the tab shows it again as it was (product names come back from an
//! `items.csv` beside the data file when it is there).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::params::ClassifierKind;
use super::reviews::Reviews;
use super::settings::SentimentSettings;
use super::{SentimentResult, SentimentRun};
use crate::data::catalogue::Catalogue;
use crate::runs::capability::{ModelDefaults, Overrides, Restored};
use crate::runs::sweep::SweepSpec;
use crate::runs::{
    Capability, DataContext, MetricRule, ModelEntry, RunKind, RunModel, RunRecord, SettingsBoard,
    SweepPlan,
};

pub struct Sentiment;

fn kind_of(model: &ModelEntry) -> Result<ClassifierKind, String> {
    ClassifierKind::from_name(model.name)
        .ok_or_else(|| format!("'{}' is not a sentiment classifier", model.name))
}

fn defaults_of(model: ClassifierKind) -> ModelDefaults {
    ModelDefaults::of(super::SentimentParams {
        model,
        ..Default::default()
    })
    .chosen_by("model")
}

const MODELS: &[ModelEntry] = &[
    ModelEntry {
        name: "logreg",
        label: "Sentiment: logistic regression",
        defaults: || defaults_of(ClassifierKind::LogisticRegression),
    },
    ModelEntry {
        name: "nb",
        label: "Sentiment: naive Bayes",
        defaults: || defaults_of(ClassifierKind::NaiveBayes),
    },
];

/// A classifier as a workspace keeps it.
#[derive(Serialize, Deserialize)]
struct Saved {
    run_id: u64,
    run: SentimentRun,
    reviews: Reviews,
    source: String,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Section {
    sentiments: Vec<Saved>,
}

impl Capability for Sentiment {
    fn kind(&self) -> RunKind {
        super::KIND
    }

    fn training_label(&self) -> &'static str {
        "Training a sentiment classifier"
    }

    fn main_metric(&self) -> MetricRule {
        MetricRule::new(&["accuracy"])
    }

    fn models(&self) -> &'static [ModelEntry] {
        MODELS
    }

    fn settings_from(
        &self,
        model: &ModelEntry,
        o: &Overrides,
    ) -> Result<Box<dyn std::any::Any + Send + Sync>, String> {
        let mut s = SentimentSettings::with_overrides(o);
        s.params.model = kind_of(model)?;
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
        let settings: SentimentSettings = settings.or_default();
        let mut params = settings.current_params();
        params.model = kind;
        SweepPlan::expand(settings.request(data, params)?, spec)
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        let sentiments = models
            .iter()
            .filter_map(|(id, m)| Some((*id, m.get::<SentimentResult>()?)))
            .map(|(run_id, r)| Saved {
                run_id,
                run: r.run.clone(),
                reviews: r.reviews.clone(),
                source: r.source.clone(),
            })
            .collect();
        serde_json::to_value(Section { sentiments }).map_err(|e| e.to_string())
    }

    fn restore(&self, section: Value, runs: &[RunRecord]) -> Restored {
        let mut out = Restored::default();
        let section: Section = match serde_json::from_value(section) {
            Ok(s) => s,
            Err(e) => {
                out.warnings
                    .push(format!("the sentiment classifiers could not be read ({e})"));
                return out;
            }
        };
        for saved in section.sentiments {
            let Some(record) = runs.iter().find(|r| r.id == saved.run_id) else {
                continue;
            };
            let mut run = saved.run;
            run.vectorizer.rebuild_index();
            let result = SentimentResult {
                run,
                reviews: saved.reviews,
                source: saved.source,
                data: record.data.clone(),
                catalogue: Catalogue::beside(&record.data.file),
            };
            out.models
                .push((saved.run_id, RunModel::new(Arc::new(result))));
        }
        out
    }

    fn legacy_fields(&self) -> &'static [&'static str] {
        &["sentiments"]
    }
}
