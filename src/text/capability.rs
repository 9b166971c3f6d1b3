//! Sentiment as the core registry lists it: its classifiers, ranked by
//! accuracy, swept from [`super::settings::SentimentSettings`], and saved
//! with the reviews they were evaluated on, so the tab shows them again as
//! they were (product names come back from an `items.csv` beside the data
//! file when it is there).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::params::ClassifierKind;
use super::reviews::Reviews;
use super::{SentimentParams, SentimentResult, SentimentRun};
use crate::data::catalogue::Catalogue;
use crate::runs::capability::{from_section, models_of, to_section, Restored};
use crate::runs::{Capability, ModelEntry, RunModel, RunRecord};

pub struct Sentiment;

/// A run as a workspace keeps it, with the reviews it was made on (a
/// classifier here, topics in [`super::topics::capability`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedWithReviews<R> {
    pub run_id: u64,
    pub run: R,
    pub reviews: Reviews,
    pub source: String,
}

/// Every model of type `T` among `models`, as saved: `parts` gives its run,
/// reviews and source file name.
pub(crate) fn saved_with_reviews<T: std::any::Any + Send + Sync, R: Clone>(
    models: &[(u64, &RunModel)],
    parts: impl Fn(&T) -> (&R, &Reviews, &str),
) -> Vec<SavedWithReviews<R>> {
    models_of::<T>(models)
        .into_iter()
        .map(|(run_id, model)| {
            let (run, reviews, source) = parts(&model);
            SavedWithReviews {
                run_id,
                run: run.clone(),
                reviews: reviews.clone(),
                source: source.to_owned(),
            }
        })
        .collect()
}

type Saved = SavedWithReviews<SentimentRun>;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Section {
    sentiments: Vec<Saved>,
}

impl Section {
    fn restore(self, runs: &[RunRecord]) -> Restored {
        let mut out = Restored::default();
        for saved in self.sentiments {
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
}

impl Capability for Sentiment {
    fn models(&self) -> Vec<ModelEntry> {
        ClassifierKind::ALL
            .into_iter()
            .map(|model| {
                let params = SentimentParams {
                    model,
                    ..Default::default()
                };
                let label = match model {
                    ClassifierKind::LogisticRegression => "Sentiment: logistic regression",
                    ClassifierKind::NaiveBayes => "Sentiment: naive Bayes",
                };
                ModelEntry::new(model.cli_name(), label, &params).chosen_by("model")
            })
            .collect()
    }

    crate::capability_settings!(super::settings::SentimentSettings);

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        let sentiments = saved_with_reviews(models, |r: &SentimentResult| {
            (&r.run, &r.reviews, r.source.as_str())
        });
        to_section(&Section { sentiments })
    }

    fn restore(&self, section: Value, runs: &[RunRecord]) -> Restored {
        from_section(section, |s: Section| s.restore(runs))
    }
}
