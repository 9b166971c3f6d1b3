//! Customer segments: per-customer features, RFM scores and named segments,
//! k-means clusters with k selection and a 2-D map, engagement over time.

pub mod clusters;
pub mod engagement;
pub mod export;
pub mod features;
pub mod rfm;

/// Errors of the segment pipeline (the shared model-task error).
pub type SegmentError = crate::task_error::TaskError;
