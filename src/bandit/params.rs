//! The bandit lab's hyperparameters, through the one interface: the
//! simulator's (horizon, replications, ε and its decay, the Beta prior) and
//! off-policy evaluation's (policy, ε, prior, training share, bootstrap).

use serde::{Deserialize, Serialize};

use crate::params::{log_slider, slider, Hyperparams, ParamKind, ParamSpec};

/// The arm-choosing strategies the simulator races.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    Uniform,
    Epsilon,
    Ucb1,
    Thompson,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 4] = [
        PolicyKind::Uniform,
        PolicyKind::Epsilon,
        PolicyKind::Ucb1,
        PolicyKind::Thompson,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Uniform => "uniform",
            PolicyKind::Epsilon => "epsilon",
            PolicyKind::Ucb1 => "ucb1",
            PolicyKind::Thompson => "thompson",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PolicyKind::Uniform => "Uniform random",
            PolicyKind::Epsilon => "ε-greedy",
            PolicyKind::Ucb1 => "UCB1",
            PolicyKind::Thompson => "Thompson sampling",
        }
    }
}

/// One policy of a race: its kind, and for ε-greedy an ε of its own
/// (`epsilon:0.2` on the CLI) instead of the parameters' ε.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyChoice {
    pub kind: PolicyKind,
    pub epsilon: Option<f64>,
}

impl PolicyChoice {
    pub fn of(kind: PolicyKind) -> Self {
        Self {
            kind,
            epsilon: None,
        }
    }

    /// `uniform`, `epsilon:0.1`, `ucb1`, `thompson` (also `greedy:E`, `ts`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, value) = match text.trim().split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (text.trim(), None),
        };
        let kind = match name.to_ascii_lowercase().as_str() {
            "uniform" | "random" => PolicyKind::Uniform,
            "epsilon" | "egreedy" | "epsilon-greedy" | "greedy" => PolicyKind::Epsilon,
            "ucb1" | "ucb" => PolicyKind::Ucb1,
            "thompson" | "ts" => PolicyKind::Thompson,
            other => {
                return Err(format!(
                "unknown policy '{other}'; use uniform, epsilon:E (ε between 0 and 1), ucb1 or thompson"
            ))
            }
        };
        let epsilon = match (kind, value) {
            (_, None) => None,
            (PolicyKind::Epsilon, Some(v)) => match v.parse::<f64>() {
                Ok(e) if (0.0..=1.0).contains(&e) => Some(e),
                _ => return Err(format!("epsilon:{v}: ε must be a number between 0 and 1")),
            },
            (k, Some(_)) => return Err(format!("{} takes no value after ':'", k.name())),
        };
        Ok(Self { kind, epsilon })
    }

    /// `epsilon:0.1` (the ε it runs with), `ucb1`, …: how records and the
    /// JSON name it.
    pub fn name(&self, params: &SimulationParams) -> String {
        match self.kind {
            PolicyKind::Epsilon => {
                format!("epsilon:{}", self.epsilon.unwrap_or(params.epsilon))
            }
            k => k.name().to_owned(),
        }
    }

    pub fn label(&self, params: &SimulationParams) -> String {
        match self.kind {
            PolicyKind::Epsilon => {
                format!("ε-greedy ε={}", self.epsilon.unwrap_or(params.epsilon))
            }
            k => k.label().to_owned(),
        }
    }
}

/// The simulator's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulationParams {
    /// Rounds per replication (T).
    pub horizon: usize,
    pub replications: usize,
    /// ε-greedy's exploration probability (when a policy has none of its own).
    pub epsilon: f64,
    /// ε at round t is ε / (1 + decay · (t − 1)); 0 keeps it fixed.
    pub epsilon_decay: f64,
    /// Thompson sampling's Beta(α₀, β₀) prior.
    pub alpha0: f64,
    pub beta0: f64,
    /// Worker threads (0: all cores); results do not depend on it.
    pub threads: usize,
}

impl Default for SimulationParams {
    fn default() -> Self {
        Self {
            horizon: 10_000,
            replications: 100,
            epsilon: 0.1,
            epsilon_decay: 0.0,
            alpha0: 1.0,
            beta0: 1.0,
            threads: crate::task::DEFAULT_THREADS,
        }
    }
}

const PRIOR: ParamKind = ParamKind::Float {
    min: 0.0,
    above: true,
    max: None,
};

const EPSILON: ParamSpec = ParamSpec::new(
    "epsilon",
    "ε",
    "Share of rounds ε-greedy plays a random arm instead of the best so far",
    ParamKind::Float {
        min: 0.0,
        above: false,
        max: Some(1.0),
    },
    slider(0.0, 0.5),
)
.aliases(&["eps"])
.sweep("0.01,0.05,0.1,0.2");

const ALPHA0: ParamSpec = ParamSpec::new(
    "alpha0",
    "prior α₀",
    "Thompson sampling's prior successes: Beta(α₀ + clicks, β₀ + misses)",
    PRIOR,
    log_slider(0.1, 100.0),
)
.aliases(&["alpha"]);

const BETA0: ParamSpec = ParamSpec::new(
    "beta0",
    "prior β₀",
    "Thompson sampling's prior failures",
    PRIOR,
    log_slider(0.1, 100.0),
)
.aliases(&["beta"]);

const SIMULATION_SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "horizon",
        "rounds",
        "Decisions per replication (T)",
        ParamKind::Int {
            min: 1,
            max: Some(10_000_000),
        },
        log_slider(100.0, 100_000.0),
    ),
    ParamSpec::new(
        "replications",
        "replications",
        "Independent runs of every policy; the bands show their spread",
        ParamKind::Int {
            min: 1,
            max: Some(100_000),
        },
        log_slider(1.0, 1000.0),
    )
    .aliases(&["reps"]),
    EPSILON,
    ParamSpec::new(
        "epsilon_decay",
        "ε decay",
        "ε at round t is ε / (1 + decay·(t − 1)); 0 keeps ε fixed",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: None,
        },
        log_slider(0.0001, 1.0),
    ),
    ALPHA0,
    BETA0,
    ParamSpec::new(
        "threads",
        "threads",
        "Worker threads (0: all cores); the numbers do not depend on it",
        ParamKind::Int {
            min: 0,
            max: Some(256),
        },
        slider(0.0, 16.0),
    )
    .advanced(),
];

impl Hyperparams for SimulationParams {
    fn specs(&self) -> &'static [ParamSpec] {
        SIMULATION_SPECS
    }

    fn title(&self) -> &'static str {
        "Bandit simulation"
    }
}

/// The policies off-policy evaluation can estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvalPolicy {
    Uniform,
    MostClicked,
    Thompson,
    Epsilon,
}

impl EvalPolicy {
    pub fn name(self) -> &'static str {
        match self {
            EvalPolicy::Uniform => "uniform",
            EvalPolicy::MostClicked => "most-clicked",
            EvalPolicy::Thompson => "thompson",
            EvalPolicy::Epsilon => "epsilon",
        }
    }

    /// Whether the policy learns from training rows (so the whole log as
    /// training makes its estimate in-sample).
    pub fn learns(self) -> bool {
        self != EvalPolicy::Uniform
    }
}

/// Off-policy evaluation's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvaluationParams {
    pub policy: EvalPolicy,
    /// Share of uniform choice in the ε-mix of most clicked with uniform.
    pub epsilon: f64,
    pub alpha0: f64,
    pub beta0: f64,
    /// First share of rows (in time order) the policy learns from; the
    /// estimate is made on the rest. 0: learn from and evaluate on every row.
    pub train_fraction: f64,
    /// Bootstrap resamples for the 95% intervals.
    pub bootstrap: usize,
    /// Draws of Thompson sampling's ranking for its per-slot distribution.
    pub mc_samples: usize,
    /// DM's reward model: pseudo-rows at the overall mean reward added to
    /// each item and slot's mean.
    pub smoothing: f64,
}

impl Default for EvaluationParams {
    fn default() -> Self {
        Self {
            policy: EvalPolicy::Uniform,
            epsilon: 0.1,
            alpha0: 1.0,
            beta0: 1.0,
            train_fraction: 0.0,
            bootstrap: 1000,
            mc_samples: 10_000,
            smoothing: 1.0,
        }
    }
}

const EVALUATION_SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "policy",
        "policy",
        "The policy whose click rate is estimated from the log",
        ParamKind::Choice(&[
            ("uniform", "uniform random"),
            ("most-clicked", "most clicked"),
            ("thompson", "Thompson sampling"),
            ("epsilon", "ε-mix of most clicked and uniform"),
        ]),
        None,
    ),
    EPSILON.when("policy", "epsilon").sweep("0.05,0.2,0.5"),
    ALPHA0.when("policy", "thompson"),
    BETA0.when("policy", "thompson"),
    ParamSpec::new(
        "train_fraction",
        "training share",
        "First share of the log (in time order) the policy learns from; estimates use the rest. 0: the whole log, in-sample",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: Some(0.99),
        },
        slider(0.0, 0.9),
    ),
    ParamSpec::new(
        "bootstrap",
        "bootstrap samples",
        "Resamples of the evaluated rows for the 95% intervals",
        ParamKind::Int {
            min: 10,
            max: Some(1_000_000),
        },
        log_slider(10.0, 10_000.0),
    ),
    ParamSpec::new(
        "mc_samples",
        "Thompson draws",
        "Monte Carlo rankings behind Thompson sampling's per-slot probabilities",
        ParamKind::Int {
            min: 1,
            max: Some(10_000_000),
        },
        log_slider(100.0, 100_000.0),
    )
    .when("policy", "thompson")
    .advanced(),
    ParamSpec::new(
        "smoothing",
        "DM smoothing",
        "Pseudo-rows at the overall click rate added to each item and slot's mean (DM and DR)",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: None,
        },
        log_slider(0.1, 100.0),
    )
    .advanced(),
];

impl Hyperparams for EvaluationParams {
    fn specs(&self) -> &'static [ParamSpec] {
        EVALUATION_SPECS
    }

    fn title(&self) -> &'static str {
        "Off-policy evaluation"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_with_their_epsilon() {
        let e = PolicyChoice::parse("epsilon:0.25").unwrap();
        assert_eq!((e.kind, e.epsilon), (PolicyKind::Epsilon, Some(0.25)));
        assert_eq!(PolicyChoice::parse("UCB1").unwrap().kind, PolicyKind::Ucb1);
        assert!(PolicyChoice::parse("epsilon:2").is_err());
        assert!(PolicyChoice::parse("ucb1:3").is_err());
        assert!(PolicyChoice::parse("softmax").is_err());
        assert_eq!(e.name(&SimulationParams::default()), "epsilon:0.25");
    }

    #[test]
    fn every_field_is_checked() {
        let p = SimulationParams {
            horizon: 0,
            epsilon: 1.5,
            alpha0: 0.0,
            ..Default::default()
        };
        let fields: Vec<_> = p.check().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["horizon", "epsilon", "alpha0"]);
        let mut q = EvaluationParams::default();
        q.set("policy", &"most-clicked".into()).unwrap();
        assert_eq!(q.policy, EvalPolicy::MostClicked);
        assert!(q.set("policy", &"greedy".into()).is_err());
        q.train_fraction = 1.0;
        assert_eq!(q.check().unwrap_err()[0].field, "train_fraction");
    }
}
