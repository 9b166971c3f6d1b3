//! Explore vs exploit: a Bernoulli bandit simulator that races policies
//! (uniform, ε-greedy, UCB1, Thompson sampling) and off-policy evaluation
//! of logged recommendation feedback (replay, IPW, SNIPW, DM, DR with
//! bootstrap intervals), and a policy learnt off-policy (IPW learner). Entry points in [`task`].

pub mod arms;
pub mod capability;
pub mod context;
pub mod item_features;
pub mod learner;
pub mod log;
pub mod ope;
pub mod params;
pub mod reward_model;
pub mod settings;
pub mod simulate;
pub mod task;

pub use task::BanditResult;

/// Bandit runs (races and off-policy evaluations), as records and
/// workspaces name them.
pub const KIND: crate::runs::RunKind = crate::runs::RunKind::new("bandit");
