//! What a user sets for customer segments — the features k-means clusters
//! on, its hyperparameters and the range of k a scan fits — and how it
//! becomes a [`KMeansRequest`] on the scored customers. The Segments tab
//! edits it, `shoplens segment` fills it from flags, and sweeps start from it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::clusters::KMeansParams;
use super::features::Feature;
use super::task::{Customers, KMeansRequest};
use crate::runs::capability::{Overrides, Settings, SweepAsk};
use crate::runs::DataContext;
use crate::runs::{ModelEntry, SweepPlan};

/// A segmentation's settings, apart from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentSettings {
    pub features: Vec<Feature>,
    pub params: KMeansParams,
    pub scan_from: usize,
    pub scan_to: usize,
}

impl Default for SegmentSettings {
    fn default() -> Self {
        Self {
            features: Feature::RFM.to_vec(),
            params: KMeansParams::default(),
            scan_from: 2,
            scan_to: 10,
        }
    }
}

impl SegmentSettings {
    /// The defaults with a command line's `overrides` (features by name).
    pub fn with_overrides(o: &Overrides) -> Result<Self, String> {
        let mut s = Self::default();
        s.params.seed = o.seed.unwrap_or(s.params.seed);
        if !o.features.is_empty() {
            s.features = Feature::parse_list(&o.features)?;
        }
        Ok(s)
    }

    /// A k-means request for `params` on `customers`.
    /// The features clustered on are those of these settings the data has
    /// (or, when none, its first three).
    pub fn request_on(&self, customers: Arc<Customers>, params: KMeansParams) -> KMeansRequest {
        KMeansRequest {
            features: customers.usable(&self.features),
            customers,
            params,
        }
    }

    /// A k-means request for `params` on the loaded file's scored customers.
    pub fn request(
        &self,
        data: &DataContext,
        params: KMeansParams,
    ) -> Result<KMeansRequest, String> {
        let customers = data
            .side::<Customers>()
            .filter(|c| data.dataset.is_some_and(|d| Arc::ptr_eq(d, &c.dataset)))
            .ok_or("No customers to cluster yet: they are scored from the loaded file's customer (user) column.")?;
        Ok(self.request_on(customers, params))
    }
}

impl Settings for SegmentSettings {
    fn overridden(_model: &ModelEntry, overrides: &Overrides) -> Result<Self, String> {
        Self::with_overrides(overrides)
    }

    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String> {
        let (data, spec) = (ask.data, ask.spec);
        SweepPlan::expand(self.request(data, self.params.clone())?, spec)
    }
}
