//! Explore vs exploit: a Bernoulli bandit simulator that races policies
//! (uniform, ε-greedy, UCB1, Thompson sampling) and off-policy evaluation
//! of logged recommendation feedback (replay, IPW, SNIPW, DM, DR with
//! bootstrap intervals). Entry points in [`task`].

pub mod arms;
pub mod log;
pub mod ope;
pub mod params;
pub mod simulate;
pub mod task;

pub use task::BanditResult;

/// Which of the two bandit models a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BanditKind {
    Simulation,
    Evaluation,
}

impl BanditKind {
    pub fn name(self) -> &'static str {
        match self {
            BanditKind::Simulation => "bandit-simulation",
            BanditKind::Evaluation => "bandit-ope",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BanditKind::Simulation => "Bandit: simulation",
            BanditKind::Evaluation => "Bandit: off-policy evaluation",
        }
    }
}
