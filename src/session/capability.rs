//! The session recommenders as the core registry lists them: every model,
//! ranked by MRR@k, swept from [`super::settings::SessionSettings`], saved
//! as [`super::saved::Section`].

use serde_json::Value;

use super::params::SessionKind;
use super::saved::Section;
use super::SessionTrained;
use crate::params::ModelKind;
use crate::runs::capability::{from_section, models_of, to_section, Restored};
use crate::runs::{Capability, ModelEntry, RunModel, RunRecord};

pub struct Sessions;

impl Capability for Sessions {
    fn models(&self) -> Vec<ModelEntry> {
        SessionKind::ALL
            .into_iter()
            .map(|k| ModelEntry::new(k.name(), format!("Sessions: {}", k.label()), &k.defaults()))
            .collect()
    }

    crate::capability_settings!(super::settings::SessionSettings);

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        to_section(&Section::of(&models_of::<SessionTrained>(models)))
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        from_section(section, |s: Section| s.restore())
    }
}
