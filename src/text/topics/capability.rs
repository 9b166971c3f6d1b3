//! Topics as the core registry lists them: NMF and LDA, ranked by
//! coherence, swept from [`super::settings::TopicSettings`] (a sweep over k
//! is the scan), and saved with the reviews they were found in, so the tab
//! shows them again as they were. Topic names live in the run record.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::task::TopicsResult;
use super::{TopicMethod, TopicParams, TopicsRun};
use crate::runs::capability::{from_section, to_section, Restored};
use crate::runs::{Capability, ModelEntry, RunModel, RunRecord};
use crate::text::capability::{saved_with_reviews, SavedWithReviews};

pub struct Topics;

type Saved = SavedWithReviews<TopicsRun>;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Section {
    topics: Vec<Saved>,
}

impl Capability for Topics {
    fn models(&self) -> Vec<ModelEntry> {
        let entry = |method: TopicMethod| {
            let params = TopicParams {
                method,
                ..Default::default()
            };
            ModelEntry::new(method.cli_name(), method.model_label(), &params).chosen_by("method")
        };
        TopicMethod::ALL.into_iter().map(entry).collect()
    }

    crate::capability_settings!(super::settings::TopicSettings);

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        let topics = saved_with_reviews(models, |r: &TopicsResult| {
            (&r.run, &r.reviews, r.source.as_str())
        });
        to_section(&Section { topics })
    }

    fn restore(&self, section: Value, runs: &[RunRecord]) -> Restored {
        from_section(section, |s: Section| {
            let mut out = Restored::default();
            for saved in s.topics {
                let Some(record) = runs.iter().find(|r| r.id == saved.run_id) else {
                    continue;
                };
                let result = TopicsResult {
                    run: saved.run,
                    reviews: saved.reviews,
                    source: saved.source,
                    data: record.data.clone(),
                };
                out.models
                    .push((saved.run_id, RunModel::new(Arc::new(result))));
            }
            out
        })
    }
}
