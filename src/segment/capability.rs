//! Segments as the core registry lists them: k-means, its main metric (the
//! silhouette), sweeps from the user's [`SegmentSettings`], and its fits in
//! workspaces (each fit is its own saved form).

use serde_json::Value;

use super::clusters::KMeansParams;
use super::settings::SegmentSettings;
use super::task::Customers;
use super::SegmentFit;
use crate::runs::capability::{
    restore_list, save_list, ModelDefaults, Overrides, Prepare, Restored,
};
use crate::runs::sweep::SweepSpec;
use crate::runs::{
    Capability, DataContext, MetricRule, ModelEntry, RunKind, RunModel, RunRecord, SettingsBoard,
    SideData, SweepPlan,
};

pub struct Segments;

const MODELS: &[ModelEntry] = &[ModelEntry {
    name: "kmeans",
    label: "Segments: k-means",
    defaults: || ModelDefaults::of(KMeansParams::default()),
}];

impl Capability for Segments {
    fn kind(&self) -> RunKind {
        super::KIND
    }

    fn training_label(&self) -> &'static str {
        "Fitting k-means"
    }

    fn main_metric(&self) -> MetricRule {
        MetricRule::new(&["silhouette"])
    }

    fn models(&self) -> &'static [ModelEntry] {
        MODELS
    }

    fn settings_from(
        &self,
        _model: &ModelEntry,
        o: &Overrides,
    ) -> Result<Box<dyn std::any::Any + Send + Sync>, String> {
        Ok(Box::new(SegmentSettings::with_overrides(o)?))
    }

    fn prepare(&self, _model: &ModelEntry) -> Option<Prepare> {
        Some(Customers::prepare)
    }

    fn export(
        &self,
        model: &RunModel,
        side: &SideData,
        path: &std::path::Path,
        pseudonym: Option<&crate::export::Pseudonymizer>,
    ) -> Result<String, String> {
        let fit = model.get::<SegmentFit>().ok_or("not a clustering")?;
        let customers = side
            .get::<Customers>()
            .ok_or("the customers are not scored")?;
        super::export::write_clusters(path, &customers, &fit, pseudonym)
    }

    fn plan_sweep(
        &self,
        _model: &ModelEntry,
        settings: &SettingsBoard,
        data: &DataContext,
        spec: &SweepSpec,
    ) -> Result<SweepPlan, String> {
        let settings: SegmentSettings = settings.or_default();
        SweepPlan::expand(settings.request(data, settings.params.clone())?, spec)
    }

    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String> {
        save_list::<SegmentFit>("segments", "fit", models)
    }

    fn restore(&self, section: Value, _runs: &[RunRecord]) -> Restored {
        restore_list::<SegmentFit>("segments", "fit", section)
    }

    fn legacy_fields(&self) -> &'static [&'static str] {
        &["segments"]
    }
}
