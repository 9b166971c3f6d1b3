//! Segments as the core registry lists them: k-means, ranked by the
//! silhouette, swept from [`super::settings::SegmentSettings`] on the
//! scored customers (worked out first), exported per customer, and saved
//! as the fits themselves.

use serde_json::Value;

use super::clusters::KMeansParams;
use super::task::Customers;
use super::SegmentFit;
use crate::runs::capability::{restore_list, save_list, ExportTo, Prepare, Restored};
use crate::runs::{Capability, ModelEntry, RunModel, RunRecord};

pub struct Segments;

impl Capability for Segments {
    fn models(&self) -> Vec<ModelEntry> {
        vec![ModelEntry::new(
            "kmeans",
            "Segments: k-means",
            &KMeansParams::default(),
        )]
    }

    crate::capability_settings!(super::settings::SegmentSettings);

    fn prepare(&self, _model: &ModelEntry) -> Option<Prepare> {
        Some(Customers::prepare)
    }

    fn export(&self, model: &RunModel, to: &ExportTo) -> Result<String, String> {
        let fit = model.get::<SegmentFit>().ok_or("not a clustering")?;
        let customers = to
            .side
            .get::<Customers>()
            .ok_or("the customers are not scored")?;
        super::export::write_clusters(to.path, &customers, &fit, to.pseudonym)
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        save_list::<SegmentFit>("segments", "fit", models)
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        restore_list::<SegmentFit>("segments", "fit", section)
    }
}
