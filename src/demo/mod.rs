//! Demo mode's core: the guided tour as data (`tour.rs`: one step per tab,
//! each a caption, a place and the actions the UI's own buttons perform)
//! and the driver's headless state (`state.rs`: where the tour is, what it
//! waits for, when it moves on). The UI performs the actions with the same
//! commands a user's clicks send; the CLI's `demo --record` runs the tour
//! without a person and writes one slide per step.

pub mod state;
pub mod tour;
