//! shoplens: a headless core (data, capabilities, runs, workbench, jobs, CLI)
//! and, behind the default `gui` feature, the eframe UI. See ARCHITECTURE.md
//! for the map.

pub mod bandit;
pub mod cli;
pub mod data;
pub mod demo;
pub mod display;
pub mod export;
pub mod icon;
pub mod jobs;
pub mod neural;
pub mod params;
pub mod predict;
pub mod recsys;
pub mod registry;
pub mod runs;
pub mod segment;
pub mod session;
pub mod spark;
pub mod task;
pub mod text;
#[cfg(feature = "gui")]
pub mod ui;
pub mod workbench;
pub mod workspace;
