//! The recommenders as the core registry lists them: every model but
//! most-popular (which has no parameters), ranked by NDCG@k, swept from
//! [`super::settings::RecommendSettings`], saved as [`super::saved::Section`].

use serde_json::Value;

use super::params::RecommenderKind;
use super::saved::Section;
use super::Trained;
use crate::params::ModelKind;
use crate::runs::capability::{from_section, models_of, to_section, ExportTo, Restored};
use crate::runs::{Capability, ModelEntry, RunModel, RunRecord};

pub struct Recommenders;

impl Capability for Recommenders {
    fn models(&self) -> Vec<ModelEntry> {
        RecommenderKind::ALL
            .into_iter()
            .filter(|k| *k != RecommenderKind::Popular)
            .map(|k| ModelEntry::new(k.name(), k.label(), &k.defaults()))
            .collect()
    }

    crate::capability_settings!(super::settings::RecommendSettings);

    fn export(&self, model: &RunModel, to: &ExportTo) -> Result<String, String> {
        let t = model.get::<Trained>().ok_or("not a recommender")?;
        t.export_lists(
            to.path,
            to.pseudonym,
            &crate::task::CancelToken::new(),
            &|_, _| {},
        )
        .map_err(|e| e.to_string())
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        to_section(&Section::of(&models_of::<Trained>(models)))
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        from_section(section, |s: Section| s.restore())
    }
}
