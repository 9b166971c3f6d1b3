//! Hyperparameters of the session models, with session-rec's defaults from
//! its DIGINETICA single-split configuration (`single_digi_baselines.yml`,
//! `single_digi_stan.yml`), in the shared interface ([`crate::params`]).

use serde::{Deserialize, Serialize};

pub use crate::neural::params::{Gru4RecParams, SasRecParams};
use crate::params::{log_slider, slider, Hyperparams, ModelKind, ParamKind, ParamSpec};

/// session-rec's weighting functions: of a view's position `i` in a session
/// of `length` views (`weighting`), or of the step back from the end
/// (`weighting_score`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    Same,
    Div,
    Linear,
    Log,
    Quadratic,
}

impl Weighting {
    /// Weight of the view at 1-based position `i` of `length`.
    pub fn position(self, i: usize, length: usize) -> f64 {
        let (i, n) = (i as f64, length as f64);
        match self {
            Weighting::Same => 1.0,
            Weighting::Div => i / n,
            // session-rec's definition: only the first 10 positions count.
            Weighting::Linear if i <= 10.0 => 1.0 - 0.1 * (n - i),
            Weighting::Linear => 0.0,
            Weighting::Log => 1.0 / ((n - i) + 1.7).log10(),
            Weighting::Quadratic => (i / n).powi(2),
        }
    }

    /// Decay of a neighbour whose latest shared item is `step` views back
    /// (1 = the last view).
    pub fn score(self, step: usize) -> f64 {
        let i = step as f64;
        match self {
            Weighting::Same => 1.0,
            Weighting::Div => 1.0 / i,
            Weighting::Linear if step <= 100 => 1.0 - 0.1 * i,
            Weighting::Linear => 0.0,
            Weighting::Log => 1.0 / (i + 1.7).log10(),
            Weighting::Quadratic => 1.0 / (i * i),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SknnParams {
    pub neighbors: usize,
    pub sample_size: usize,
}

impl Default for SknnParams {
    fn default() -> Self {
        Self {
            neighbors: 50,
            sample_size: 500,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VsknnParams {
    pub neighbors: usize,
    pub sample_size: usize,
    pub weighting: Weighting,
    pub weighting_score: Weighting,
    pub idf_weighting: f64,
}

impl Default for VsknnParams {
    fn default() -> Self {
        Self {
            neighbors: 1500,
            sample_size: 10_000,
            weighting: Weighting::Quadratic,
            weighting_score: Weighting::Linear,
            idf_weighting: 10.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StanParams {
    pub neighbors: usize,
    pub sample_size: usize,
    /// Position weight decay within the current session (views).
    pub lambda_spw: f64,
    /// Recency decay of neighbour sessions (days).
    pub lambda_snh: f64,
    /// Position decay within a neighbour session (views).
    pub lambda_inh: f64,
}

impl Default for StanParams {
    fn default() -> Self {
        Self {
            neighbors: 500,
            sample_size: 5000,
            lambda_spw: 1.25,
            lambda_snh: 80.0,
            lambda_inh: 5.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArParams {
    /// Partners kept per item (0 keeps all).
    pub pruning: usize,
}

impl Default for ArParams {
    fn default() -> Self {
        Self { pruning: 20 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpopParams {
    pub top_n: usize,
}

impl Default for SpopParams {
    fn default() -> Self {
        Self { top_n: 100 }
    }
}

/// Which session model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum SessionKind {
    Sknn,
    Vsknn,
    Stan,
    Ar,
    Spop,
    #[serde(rename = "session-sasrec")]
    #[value(name = "session-sasrec")]
    Sasrec,
    #[serde(rename = "session-gru4rec")]
    #[value(name = "session-gru4rec")]
    Gru4rec,
}

impl SessionKind {
    pub const ALL: [SessionKind; 7] = [
        SessionKind::Vsknn,
        SessionKind::Stan,
        SessionKind::Sknn,
        SessionKind::Ar,
        SessionKind::Spop,
        SessionKind::Sasrec,
        SessionKind::Gru4rec,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SessionKind::Sknn => "sknn",
            SessionKind::Vsknn => "vsknn",
            SessionKind::Stan => "stan",
            SessionKind::Ar => "ar",
            SessionKind::Spop => "spop",
            // The customer recommenders are "sasrec" and "gru4rec".
            SessionKind::Sasrec => "session-sasrec",
            SessionKind::Gru4rec => "session-gru4rec",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SessionKind::Sknn => "SKNN (session kNN)",
            SessionKind::Vsknn => "V-SKNN (vector session kNN)",
            SessionKind::Stan => "STAN",
            SessionKind::Ar => "Association rules",
            SessionKind::Spop => "Session popularity",
            SessionKind::Sasrec => "SASRec (deep, on sessions)",
            SessionKind::Gru4rec => "GRU4Rec (deep, on sessions)",
        }
    }

    /// The name in tables.
    pub fn short_label(self) -> &'static str {
        match self {
            SessionKind::Sknn => "SKNN",
            SessionKind::Vsknn => "V-SKNN",
            SessionKind::Stan => "STAN",
            SessionKind::Ar => "AR",
            SessionKind::Spop => "SPop",
            SessionKind::Sasrec => "SASRec",
            SessionKind::Gru4rec => "GRU4Rec",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            SessionKind::Sknn => "Items of the training sessions most like this one (cosine)",
            SessionKind::Vsknn => {
                "Session kNN that weighs recent views more and rare items up (idf)"
            }
            SessionKind::Stan => "Session kNN with position, recency and neighbour-position decay",
            SessionKind::Ar => "Items most often viewed in a session with the last view",
            SessionKind::Spop => "This session's own items first, then the most viewed",
            SessionKind::Sasrec => {
                "Self-attention network trained on the training sessions; reads this session's views at once"
            }
            SessionKind::Gru4rec => {
                "Recurrent network trained on the training sessions; reads this session's views at once"
            }
        }
    }

    /// Whether the model trains in epochs from a seed (the others are
    /// fitted in one deterministic pass).
    pub fn is_deep(self) -> bool {
        matches!(self, SessionKind::Sasrec | SessionKind::Gru4rec)
    }
}

impl ModelKind for SessionKind {
    type Params = SessionParams;
    const ALL: &'static [Self] = &SessionKind::ALL;
    const WHAT: &'static str = "a session model";

    fn name(self) -> &'static str {
        self.name()
    }

    fn defaults(self) -> SessionParams {
        match self {
            SessionKind::Sknn => SessionParams::Sknn(Default::default()),
            SessionKind::Vsknn => SessionParams::Vsknn(Default::default()),
            SessionKind::Stan => SessionParams::Stan(Default::default()),
            SessionKind::Ar => SessionParams::Ar(Default::default()),
            SessionKind::Spop => SessionParams::Spop(Default::default()),
            SessionKind::Sasrec => SessionParams::Sasrec(Default::default()),
            SessionKind::Gru4rec => SessionParams::Gru4rec(Default::default()),
        }
    }

    fn of(params: &SessionParams) -> Self {
        params.kind()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum SessionParams {
    Sknn(SknnParams),
    Vsknn(VsknnParams),
    Stan(StanParams),
    Ar(ArParams),
    Spop(SpopParams),
    #[serde(rename = "session-sasrec")]
    Sasrec(SasRecParams),
    #[serde(rename = "session-gru4rec")]
    Gru4rec(Gru4RecParams),
}

impl Default for SessionParams {
    fn default() -> Self {
        SessionParams::Vsknn(Default::default())
    }
}

impl SessionParams {
    pub fn kind(&self) -> SessionKind {
        match self {
            SessionParams::Sknn(_) => SessionKind::Sknn,
            SessionParams::Vsknn(_) => SessionKind::Vsknn,
            SessionParams::Stan(_) => SessionKind::Stan,
            SessionParams::Ar(_) => SessionKind::Ar,
            SessionParams::Spop(_) => SessionKind::Spop,
            SessionParams::Sasrec(_) => SessionKind::Sasrec,
            SessionParams::Gru4rec(_) => SessionKind::Gru4rec,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

const NEIGHBORS: ParamSpec = ParamSpec::new(
    "neighbors",
    "neighbours k",
    "Most similar training sessions whose items are scored",
    ParamKind::Int { min: 1, max: None },
    log_slider(1.0, 5000.0),
)
.sweep("50,200,1500")
.aliases(&["neighbours"]);

const SAMPLE: ParamSpec = ParamSpec::new(
    "sample_size",
    "sample size",
    "Only the most recent this many of the sessions sharing an item are compared (0: all)",
    ParamKind::Int { min: 0, max: None },
    log_slider(10.0, 100_000.0),
)
.aliases(&["sample"]);

const WEIGHTINGS: &[(&str, &str)] = &[
    ("same", "same"),
    ("div", "div"),
    ("linear", "linear"),
    ("log", "log"),
    ("quadratic", "quadratic"),
];

const POSITIVE_DECAY: ParamKind = ParamKind::Float {
    min: 0.0,
    above: true,
    max: None,
};

const SKNN_SPECS: &[ParamSpec] = &[NEIGHBORS, SAMPLE];

const VSKNN_SPECS: &[ParamSpec] = &[
    NEIGHBORS,
    SAMPLE,
    ParamSpec::new(
        "weighting",
        "position weighting",
        "How much later views of this session count in the similarity (quadratic: (position/length)²)",
        ParamKind::Choice(WEIGHTINGS),
        None,
    ),
    ParamSpec::new(
        "weighting_score",
        "neighbour decay",
        "How much a neighbour counts by how far back its latest shared view is (linear: 1 − 0.1 per step)",
        ParamKind::Choice(WEIGHTINGS),
        None,
    ),
    ParamSpec::new(
        "idf_weighting",
        "idf weight",
        "Boost for rare items: score × (1 + idf × this); 0 turns it off",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: None,
        },
        slider(0.0, 20.0),
    ),
];

const STAN_SPECS: &[ParamSpec] = &[
    NEIGHBORS,
    SAMPLE,
    ParamSpec::new(
        "lambda_spw",
        "λ position (views)",
        "Decay of older views of this session: weight exp((position − length)/λ)",
        POSITIVE_DECAY,
        log_slider(0.1, 20.0),
    ),
    ParamSpec::new(
        "lambda_snh",
        "λ recency (days)",
        "Decay of older neighbour sessions: exp(−age/λ)",
        POSITIVE_DECAY,
        log_slider(1.0, 365.0),
    ),
    ParamSpec::new(
        "lambda_inh",
        "λ neighbour position (views)",
        "Decay of items far from the shared view in a neighbour session",
        POSITIVE_DECAY,
        log_slider(0.1, 20.0),
    ),
];

const AR_SPECS: &[ParamSpec] = &[ParamSpec::new(
    "pruning",
    "partners kept",
    "Most frequent co-viewed items kept per item (0: all)",
    ParamKind::Int { min: 0, max: None },
    log_slider(1.0, 200.0),
)
.sweep("10,20,50")];

const SPOP_SPECS: &[ParamSpec] = &[ParamSpec::new(
    "top_n",
    "bestsellers",
    "How many of the most viewed items are scored",
    ParamKind::Int { min: 1, max: None },
    log_slider(1.0, 1000.0),
)
.sweep("20,100,500")];

impl Hyperparams for SessionParams {
    fn specs(&self) -> &'static [ParamSpec] {
        match self {
            SessionParams::Sknn(_) => SKNN_SPECS,
            SessionParams::Vsknn(_) => VSKNN_SPECS,
            SessionParams::Stan(_) => STAN_SPECS,
            SessionParams::Ar(_) => AR_SPECS,
            SessionParams::Spop(_) => SPOP_SPECS,
            SessionParams::Sasrec(_) => crate::neural::params::SPECS,
            SessionParams::Gru4rec(_) => crate::neural::params::GRU4REC_SPECS,
        }
    }

    fn check_more(&self, errors: &mut Vec<crate::params::ParamError>) {
        if let SessionParams::Sasrec(p) = self {
            p.check_heads(errors);
        }
    }

    fn title(&self) -> &'static str {
        self.kind().label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weightings_follow_session_rec() {
        assert_eq!(Weighting::Quadratic.position(2, 4), 0.25);
        assert_eq!(Weighting::Div.position(1, 4), 0.25);
        assert!((Weighting::Linear.position(9, 10) - 0.9).abs() < 1e-12);
        assert_eq!(Weighting::Linear.position(11, 12), 0.0);
        assert!((Weighting::Linear.score(1) - 0.9).abs() < 1e-12);
        assert!(
            Weighting::Linear.score(11) < 0.0,
            "session-rec's linear goes negative"
        );
        assert_eq!(Weighting::Linear.score(101), 0.0);
        assert_eq!(Weighting::Quadratic.score(2), 0.25);
    }

    #[test]
    fn every_field_is_checked_and_settable() {
        let p = SessionParams::Stan(StanParams {
            lambda_spw: 0.0,
            ..Default::default()
        });
        let errors = p.check().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "lambda_spw");
        let mut v = SessionKind::Vsknn.defaults();
        v.set("k", &1.into()).unwrap_err();
        v.set("neighbours", &200.into()).unwrap();
        v.set("weighting", &"div".into()).unwrap();
        assert_eq!(v.get_f64("neighbors"), Some(200.0));
        assert!(v.set("weighting", &"cubic".into()).is_err());
    }
}
