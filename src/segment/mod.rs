//! Customer segments: per-customer features, RFM scores and named segments,
//! k-means clusters with k selection and a 2-D map, engagement over time.

pub mod clusters;
pub mod engagement;
pub mod export;
pub mod features;
pub mod rfm;

use crate::data::LoadError;
use crate::jobs::Cancelled;
use crate::recsys::params::ParamError;

#[derive(Debug, Clone, PartialEq)]
pub enum SegmentError {
    Input(String),
    Params(Vec<ParamError>),
    Cancelled,
}

impl std::fmt::Display for SegmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SegmentError::Input(m) => f.write_str(m),
            SegmentError::Params(errors) => write!(
                f,
                "invalid parameters: {}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            SegmentError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for SegmentError {}

impl From<LoadError> for SegmentError {
    fn from(e: LoadError) -> Self {
        SegmentError::Input(e.to_string())
    }
}

impl From<Cancelled> for SegmentError {
    fn from(_: Cancelled) -> Self {
        SegmentError::Cancelled
    }
}

impl From<SegmentError> for crate::jobs::JobFailure {
    fn from(e: SegmentError) -> Self {
        match e {
            SegmentError::Cancelled => crate::jobs::JobFailure::Cancelled,
            other => crate::jobs::JobFailure::Message(other.to_string()),
        }
    }
}
