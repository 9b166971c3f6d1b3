//! Anonymous sessions: next-item recommenders from the session-rec framework
//! (Ludewig, Latifi, Jannach), written from its definitions — SKNN, V-SKNN,
//! STAN, association rules and session popularity — with its single-split
//! protocol and its evaluation (predict the next view at every position of
//! a test session from the views before it).
//!
//! `log` reads a file's views by session, `protocol` filters and splits them,
//! `index` is what every neighbourhood model looks sessions up in, `models`
//! score the next item, `evaluate` computes HR@k and MRR@k, and `task` is the
//! one entry point (request → run record and a [`SessionTrained`] model).

pub mod capability;
pub mod evaluate;
pub mod index;
pub mod log;
pub mod models;
pub mod params;
pub mod protocol;
pub mod saved;
pub mod settings;
pub mod task;
mod trained;

pub use trained::{NextItem, Reason, SessionTrained};

/// The session recommenders' runs, as records and workspaces name them.
pub const KIND: crate::runs::RunKind = crate::runs::RunKind::new("sessions");
