//! The window driven by egui_kittest, in one crate so CI links once: each
//! tab by label, cancel, the demo tour, and ALS on Spark from the UI.
#![cfg(feature = "gui")]

#[path = "../common/mod.rs"]
mod common;

mod bandit;
mod cancel;
mod data;
mod demo;
mod new_items;
mod other_data;
mod predict;
mod recommend;
mod runs;
mod segments;
mod sentiment;
mod sessions;
mod spark;
mod topics;
