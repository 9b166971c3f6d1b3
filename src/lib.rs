//! shoplens core: everything below here is headless (no egui) except `ui`.

pub mod cli;
pub mod data;
pub mod export;
pub mod jobs;
pub mod recsys;
pub mod runs;
pub mod segment;
pub mod task_error;
pub mod text;
pub mod ui;
pub mod workspace;
