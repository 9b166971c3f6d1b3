//! The bandit lab as the core registry lists it: a race of policies and an
//! off-policy evaluation, ranked by the best policy's reward per round or
//! the doubly robust estimate, swept from [`super::settings::BanditSettings`]
//! (a race from the store reads its arms first), and saved as the results.

use serde_json::Value;

use super::params::{EvaluationParams, SimulationParams};
use super::settings::{StoreArms, RACE};
use super::BanditResult;
use crate::runs::capability::{restore_list, save_list, Prepare, Restored};
use crate::runs::{Capability, ModelEntry, RunModel, RunRecord};

pub struct Bandits;

impl Capability for Bandits {
    fn models(&self) -> Vec<ModelEntry> {
        vec![
            ModelEntry::new(RACE, "Bandit: simulation", &SimulationParams::default()),
            ModelEntry::new(
                "bandit-ope",
                "Bandit: off-policy evaluation",
                &EvaluationParams::default(),
            ),
        ]
    }

    crate::capability_settings!(super::settings::BanditSettings);

    fn prepare(&self, model: &ModelEntry) -> Option<Prepare> {
        (model.name == RACE).then_some(StoreArms::prepare)
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        save_list::<BanditResult>("bandits", "result", models)
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        restore_list::<BanditResult>("bandits", "result", section)
    }
}
