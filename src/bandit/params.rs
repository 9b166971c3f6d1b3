//! The bandit lab's hyperparameters, through the one interface: the
//! simulator's (horizon, replications, ε and its decay, the Beta prior) and
//! off-policy evaluation's (policy, ε, prior, training share, bootstrap).

use serde::{Deserialize, Serialize};

pub use super::reward_model::RewardModelKind;
use crate::params::{log_slider, slider, Hyperparams, ParamKind, ParamSpec};

/// The arm-choosing strategies the simulator races.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    Uniform,
    Epsilon,
    Ucb1,
    Thompson,
    /// LinUCB with disjoint linear models (Li et al., WWW 2010).
    #[serde(rename = "linucb")]
    LinUcb,
    /// Linear Thompson sampling (Agrawal & Goyal, ICML 2013).
    #[serde(rename = "lints")]
    LinTs,
    /// Logistic Thompson sampling (Chapelle & Li, NeurIPS 2011).
    #[serde(rename = "logistic-ts")]
    LogisticTs,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 7] = [
        PolicyKind::Uniform,
        PolicyKind::Epsilon,
        PolicyKind::Ucb1,
        PolicyKind::Thompson,
        PolicyKind::LinUcb,
        PolicyKind::LinTs,
        PolicyKind::LogisticTs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Uniform => "uniform",
            PolicyKind::Epsilon => "epsilon",
            PolicyKind::Ucb1 => "ucb1",
            PolicyKind::Thompson => "thompson",
            PolicyKind::LinUcb => "linucb",
            PolicyKind::LinTs => "lints",
            PolicyKind::LogisticTs => "logistic-ts",
        }
    }

    /// Whether the policy sees the round's user segment.
    pub fn contextual(self) -> bool {
        matches!(
            self,
            PolicyKind::LinUcb | PolicyKind::LinTs | PolicyKind::LogisticTs
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            PolicyKind::Uniform => "Uniform random",
            PolicyKind::Epsilon => "ε-greedy",
            PolicyKind::Ucb1 => "UCB1",
            PolicyKind::Thompson => "Thompson sampling",
            PolicyKind::LinUcb => "LinUCB",
            PolicyKind::LinTs => "Linear Thompson sampling",
            PolicyKind::LogisticTs => "Logistic Thompson sampling",
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
            "linucb" => PolicyKind::LinUcb,
            "lints" | "linear-ts" | "lin-ts" => PolicyKind::LinTs,
            "logistic-ts" | "logts" => PolicyKind::LogisticTs,
            other => {
                return Err(format!(
                "unknown policy '{other}'; use uniform, epsilon:E (ε between 0 and 1), ucb1, thompson, linucb, lints or logistic-ts"
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
    /// LinUCB's width of the upper bound: θ̂·x + α √(xᵀ A⁻¹ x).
    pub linucb_alpha: f64,
    /// Linear Thompson sampling's scale v of the posterior: θ̃ ~ N(θ̂, v² A⁻¹).
    pub lints_v: f64,
    /// The linear policies' ridge λ: A = λ I + Σ x xᵀ; logistic Thompson
    /// sampling's prior precision.
    pub ridge: f64,
    /// Logistic Thompson sampling's scale α of the posterior's spread.
    pub logts_alpha: f64,
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
            linucb_alpha: 1.0,
            lints_v: 1.0,
            ridge: 1.0,
            logts_alpha: 1.0,
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
        "linucb_alpha",
        "LinUCB α",
        "LinUCB plays the highest θ̂·x + α·√(xᵀA⁻¹x): larger α explores more",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: None,
        },
        log_slider(0.01, 10.0),
    )
    .sweep("0.1,0.5,1,2"),
    ParamSpec::new(
        "lints_v",
        "linear TS v",
        "Linear Thompson sampling draws θ̃ from N(θ̂, v²A⁻¹): larger v explores more",
        PRIOR,
        log_slider(0.01, 10.0),
    )
    .sweep("0.1,0.5,1,2"),
    ParamSpec::new(
        "logts_alpha",
        "logistic TS α",
        "Logistic Thompson sampling draws weights from N(m, α²/q): larger α explores more",
        PRIOR,
        log_slider(0.01, 10.0),
    )
    .sweep("0.1,0.5,1,2"),
    ParamSpec::new(
        "ridge",
        "ridge λ",
        "The contextual policies' prior: A = λI + Σ x xᵀ (LinUCB, linear TS), prior precision λ (logistic TS)",
        PRIOR,
        log_slider(0.01, 100.0),
    )
    .advanced(),
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
    /// Learnt from the training rows by obp's IPW learner.
    IpwLearner,
}

impl EvalPolicy {
    pub fn name(self) -> &'static str {
        match self {
            EvalPolicy::Uniform => "uniform",
            EvalPolicy::MostClicked => "most-clicked",
            EvalPolicy::Thompson => "thompson",
            EvalPolicy::Epsilon => "epsilon",
            EvalPolicy::IpwLearner => "ipw-learner",
        }
    }

    /// Whether the policy picks its items per segment when a segment
    /// column is chosen.
    pub fn splits_by_segment(self) -> bool {
        matches!(self, EvalPolicy::MostClicked | EvalPolicy::Epsilon)
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
    /// The reward model DM and DR use.
    pub reward_model: RewardModelKind,
    /// The logistic reward model's C (penalty ‖w‖²/(2C)).
    pub reward_c: f64,
    /// Cross-fitting folds of the logistic reward model (1: none).
    pub folds: usize,
    /// The user column most clicked and ε split on: each of its values
    /// gets its own items ("" for one policy for everyone).
    pub segment_col: String,
    /// The logistic reward model's context columns: `auto` (the
    /// `user_feature…` columns) or a comma-separated list.
    pub context_cols: String,
    /// The IPW learner's C (penalty ‖W‖²/(2C) of its logistic regression).
    pub learner_c: f64,
    /// What the logistic reward model knows of the items: `none` (one
    /// weight per item), `auto` (the `item_context.csv` beside the log) or
    /// an item file's path, relative to the log's folder.
    pub item_features: String,
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
            reward_model: RewardModelKind::Mean,
            reward_c: 100.0,
            folds: 1,
            segment_col: String::new(),
            context_cols: "auto".into(),
            learner_c: 1.0,
            item_features: "none".into(),
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
            ("ipw-learner", "learnt: IPW learner on the context"),
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
    .when("reward_model", "mean")
    .advanced(),
    ParamSpec::new(
        "reward_model",
        "reward model",
        "What DM and DR predict a row's click from: each item and slot's mean, or a logistic regression per slot on the user's context and the item",
        ParamKind::Choice(&[
            ("mean", "item and slot mean"),
            ("logistic", "logistic on context + item"),
        ]),
        None,
    ),
    ParamSpec::new(
        "reward_c",
        "reward model C",
        "Inverse strength of the logistic reward model's L2 penalty ‖w‖²/(2C) (the intercept is not penalised)",
        ParamKind::Float {
            min: 0.0,
            above: true,
            max: None,
        },
        log_slider(0.01, 1000.0),
    )
    .when("reward_model", "logistic")
    .sweep("1,10,100"),
    ParamSpec::new(
        "folds",
        "cross-fitting folds",
        "Fit the logistic reward model on the other folds of each row (1: fit and predict on all evaluated rows)",
        ParamKind::Int {
            min: 1,
            max: Some(20),
        },
        slider(1.0, 10.0),
    )
    .when("reward_model", "logistic")
    .advanced(),
    ParamSpec::new(
        "segment_col",
        "segment column",
        "A user column: most clicked (and ε) pick each slot's item per value of it, falling back to the slot's most clicked overall",
        ParamKind::Text,
        None,
    ),
    ParamSpec::new(
        "context_cols",
        "context columns",
        "The user columns the logistic reward model and the IPW learner see: auto (the user_feature… columns), none, or a comma-separated list",
        ParamKind::Text,
        None,
    ),
    ParamSpec::new(
        "item_features",
        "item features",
        "What the logistic reward model knows of the items: none (one weight per item), auto (item_context.csv beside the log: one row per item, its id and its features) or an item file's path",
        ParamKind::Text,
        None,
    )
    .when("reward_model", "logistic"),
    ParamSpec::new(
        "learner_c",
        "learner C",
        "Inverse strength of the IPW learner's L2 penalty ‖W‖²/(2C) on its per-slot logistic regression over the items (obp's default: 1)",
        ParamKind::Float {
            min: 0.0,
            above: true,
            max: None,
        },
        log_slider(0.01, 1000.0),
    )
    .when("policy", "ipw-learner")
    .sweep("0.1,1,10"),
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
