//! Purchase prediction: who buys in the next period (and who is slipping
//! away), from browsing and buying before a cutoff. So far: the activity
//! log and the population, labels and features at a cutoff; models,
//! evaluation, the entry point and the tab come next (issue "Purchase
//! prediction").

pub mod activity;
pub mod capability;
pub mod evaluate;
pub mod features;
pub mod model;
pub mod settings;
pub mod task;

/// Prediction runs, as records and workspaces name them.
pub const KIND: crate::runs::RunKind = crate::runs::RunKind::new("predict");
