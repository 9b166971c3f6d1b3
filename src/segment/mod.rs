//! Customer segments: per-customer features, RFM scores and named segments,
//! k-means clusters with k selection and a 2-D map, engagement over time.

pub mod capability;
pub mod clusters;
pub mod engagement;
pub mod export;
pub mod features;
pub mod rfm;
pub mod settings;
pub mod task;

/// Segmentation runs, as records and workspaces name them.
pub const KIND: crate::runs::RunKind = crate::runs::RunKind::new("segments");

use serde::{Deserialize, Serialize};

/// A k-means fit with what the Segments tab shows of it (kept in workspaces).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SegmentFit {
    pub features: Vec<features::Feature>,
    pub params: clusters::KMeansParams,
    pub clustering: clusters::Clustering,
    pub profiles: Vec<clusters::ClusterProfile>,
    pub silhouette: f64,
    /// Map coordinates of the customers in `shown`.
    pub map: Vec<[f64; 2]>,
    pub shown: Vec<usize>,
    pub fit_secs: f64,
    pub data: crate::runs::DataFingerprint,
}

/// Errors of the segment pipeline (the shared model-task error).
pub type SegmentError = crate::task::TaskError;
