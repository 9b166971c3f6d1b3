//! The headless core's integration tests, in one crate so CI links once:
//! loaders and bad input, each capability on the real datasets of
//! `../shared/data` (skipping with a message when it is absent), the CLI,
//! sweeps, workspaces, the layering of `src/`, and ALS on Spark.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod bandit;
mod cli;
mod cold_start;
mod content;
mod deep;
mod formats;
mod layers;
mod predict;
mod recommenders;
mod search;
mod segments;
mod sentiment;
mod sessions;
mod shared_datasets;
mod spark;
mod sweep_workspace;
mod sweeps;
mod topics;
