//! The two purchase models.
//!
//! - **Logistic regression**: features log1p-compressed (negative values
//!   kept as they are) and standardised with the training rows' mean and
//!   population standard deviation; minimises C·Σ log loss + ½‖w‖² (the
//!   intercept unpenalised, scikit-learn's convention) by Newton's method,
//!   each step a Cholesky solve (faer).
//! - **Gradient-boosted trees**: forust-ml's `GradientBooster` (log loss,
//!   depth-wise trees), on the raw features.
//!
//! Reasons: for logistic regression wⱼ × standardised xⱼ; for trees the
//! crate's per-row contributions (Saabas-style leaf-weight paths), both in
//! log-odds.

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

use crate::params::{log_slider, slider, Hyperparams, ParamKind, ParamSpec};
use crate::task::{EpochEvent, Reporter, TaskError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum PredictModel {
    Logreg,
    Gbm,
}

impl PredictModel {
    pub fn name(self) -> &'static str {
        match self {
            PredictModel::Logreg => "logreg",
            PredictModel::Gbm => "gbm",
        }
    }

    /// The name `sweep --model` and the Runs tab give it.
    pub fn sweep_name(self) -> &'static str {
        match self {
            PredictModel::Logreg => "predict-logreg",
            PredictModel::Gbm => "predict-gbm",
        }
    }

    pub fn from_sweep_name(name: &str) -> Result<Self, String> {
        [PredictModel::Gbm, PredictModel::Logreg]
            .into_iter()
            .find(|m| m.sweep_name() == name)
            .ok_or_else(|| format!("'{name}' is not a purchase model"))
    }

    pub fn label(self) -> &'static str {
        match self {
            PredictModel::Logreg => "Predict: logistic regression",
            PredictModel::Gbm => "Predict: gradient-boosted trees",
        }
    }
}

/// Both models' settings (each uses its own).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PredictParams {
    pub model: PredictModel,
    /// Logistic regression's inverse L2 strength.
    pub c: f64,
    pub max_iter: usize,
    pub learning_rate: f64,
    /// Trees at most (the budget).
    pub iterations: usize,
    pub max_depth: usize,
    /// Stop when this many trees bring no better validation loss (0: off).
    pub early_stopping: usize,
}

impl Default for PredictParams {
    fn default() -> Self {
        Self {
            model: PredictModel::Gbm,
            c: 1.0,
            max_iter: 50,
            learning_rate: 0.05,
            iterations: 300,
            max_depth: 3,
            early_stopping: 20,
        }
    }
}

const SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "model",
        "model",
        "Logistic regression (weights you can read) or gradient-boosted trees",
        ParamKind::Choice(&[
            ("gbm", "gradient-boosted trees"),
            ("logreg", "logistic regression"),
        ]),
        None,
    ),
    ParamSpec::new(
        "c",
        "C",
        "Inverse regularisation strength: larger C fits the training period more closely",
        ParamKind::Float {
            min: 0.0,
            above: true,
            max: None,
        },
        log_slider(0.001, 100.0),
    )
    .sweep("0.1,1,10")
    .when("model", "logreg"),
    ParamSpec::new(
        "max_iter",
        "Newton steps",
        "Newton iterations at most",
        ParamKind::Int {
            min: 1,
            max: Some(1000),
        },
        slider(1.0, 200.0),
    )
    .when("model", "logreg")
    .advanced(),
    ParamSpec::new(
        "learning_rate",
        "learning rate",
        "How much each tree corrects the ones before it",
        ParamKind::Float {
            min: 0.0,
            above: true,
            max: Some(1.0),
        },
        log_slider(0.005, 0.5),
    )
    .sweep("0.02,0.05,0.1")
    .aliases(&["lr"])
    .when("model", "gbm"),
    ParamSpec::new(
        "iterations",
        "trees",
        "Trees at most (the boosting budget)",
        ParamKind::Int {
            min: 1,
            max: Some(100_000),
        },
        log_slider(10.0, 3000.0),
    )
    .when("model", "gbm"),
    ParamSpec::new(
        "max_depth",
        "tree depth",
        "Depth of each tree: deeper trees combine more features",
        ParamKind::Int {
            min: 1,
            max: Some(16),
        },
        slider(1.0, 10.0),
    )
    .when("model", "gbm"),
    ParamSpec::new(
        "early_stopping",
        "early stopping",
        "Stop after this many trees without a better validation loss (0: use every tree)",
        ParamKind::Int { min: 0, max: None },
        slider(0.0, 100.0),
    )
    .when("model", "gbm")
    .advanced(),
];

impl Hyperparams for PredictParams {
    fn specs(&self) -> &'static [ParamSpec] {
        SPECS
    }

    fn title(&self) -> &'static str {
        match self.model {
            PredictModel::Logreg => "Purchase prediction: logistic regression",
            PredictModel::Gbm => "Purchase prediction: gradient-boosted trees",
        }
    }
}

/// A fitted model.
#[derive(Clone, Serialize, Deserialize)]
pub enum Fitted {
    Logreg {
        mean: Vec<f64>,
        std: Vec<f64>,
        /// Intercept first.
        w: Vec<f64>,
    },
    Gbm {
        /// The booster as forust-ml writes it (JSON).
        json: String,
        #[serde(skip)]
        booster: Option<std::sync::Arc<forust_ml::GradientBooster>>,
        trees: usize,
    },
}

impl std::fmt::Debug for Fitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fitted::Logreg { w, .. } => write!(f, "Logreg {{ weights: {w:?} }}"),
            Fitted::Gbm { trees, .. } => write!(f, "Gbm {{ trees: {trees} }}"),
        }
    }
}

fn compress(v: f64) -> f64 {
    if v > 0.0 {
        v.ln_1p()
    } else {
        v
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn log_loss(p: &[f64], y: &[f64]) -> f64 {
    let clip = |v: f64| v.clamp(1e-15, 1.0 - 1e-15);
    p.iter()
        .zip(y)
        .map(|(&p, &y)| -(y * clip(p).ln() + (1.0 - y) * (1.0 - clip(p)).ln()))
        .sum::<f64>()
        / p.len().max(1) as f64
}

/// Rows `x` (row-major, `f` features) → standardised log1p features.
fn scaled(x: &[f64], f: usize, mean: &[f64], std: &[f64]) -> Vec<f64> {
    x.iter()
        .enumerate()
        .map(|(k, &v)| {
            let j = k % f;
            (compress(v) - mean[j]) / std[j]
        })
        .collect()
}

fn fit_logreg(
    x: &[f64],
    y: &[f64],
    f: usize,
    p: &PredictParams,
    reporter: &Reporter,
) -> Result<Fitted, TaskError> {
    let n = y.len();
    let mut mean = vec![0.0; f];
    let mut std = vec![0.0; f];
    for (k, &v) in x.iter().enumerate() {
        mean[k % f] += compress(v) / n as f64;
    }
    for (k, &v) in x.iter().enumerate() {
        std[k % f] += (compress(v) - mean[k % f]).powi(2) / n as f64;
    }
    for s in &mut std {
        // A constant feature carries nothing; keep it at 0 rather than divide by 0.
        *s = if *s > 0.0 { s.sqrt() } else { 1.0 };
    }
    let z = scaled(x, f, &mean, &std);
    let d = f + 1;
    let mut w = vec![0.0; d];
    let started = std::time::Instant::now();
    for iter in 0..p.max_iter {
        reporter.check()?;
        let probs: Vec<f64> = (0..n)
            .map(|i| sigmoid(w[0] + (0..f).map(|j| w[j + 1] * z[i * f + j]).sum::<f64>()))
            .collect();
        // Gradient and Hessian of C·Σ loss + ½‖w₁..‖².
        let mut g = vec![0.0; d];
        let mut h = Mat::<f64>::zeros(d, d);
        for i in 0..n {
            let r = probs[i] - y[i];
            let s = probs[i] * (1.0 - probs[i]);
            let row = |j: usize| if j == 0 { 1.0 } else { z[i * f + j - 1] };
            for a in 0..d {
                g[a] += p.c * r * row(a);
                for b in 0..=a {
                    h[(a, b)] += p.c * s * row(a) * row(b);
                }
            }
        }
        for a in 1..d {
            g[a] += w[a];
            h[(a, a)] += 1.0;
        }
        for a in 0..d {
            for b in 0..a {
                h[(b, a)] = h[(a, b)];
            }
        }
        let llt = h
            .llt(Side::Lower)
            .map_err(|_| TaskError::Input("the logistic regression's Hessian is not positive definite (a feature may separate the classes exactly); lower C".into()))?;
        let rhs = Mat::<f64>::from_fn(d, 1, |a, _| g[a]);
        let step = llt.solve(&rhs);
        let mut moved = 0.0f64;
        for a in 0..d {
            w[a] -= step[(a, 0)];
            moved = moved.max(step[(a, 0)].abs());
        }
        reporter.epoch(EpochEvent {
            epoch: iter + 1,
            loss: log_loss(&probs, y),
            metric: None,
            secs: started.elapsed().as_secs_f64(),
        });
        if moved < 1e-8 {
            break;
        }
    }
    Ok(Fitted::Logreg { mean, std, w })
}

fn fit_gbm(
    x: &[f64],
    y: &[f64],
    f: usize,
    valid: Option<(&[f64], &[f64])>,
    p: &PredictParams,
    seed: u64,
    reporter: &Reporter,
) -> Result<Fitted, TaskError> {
    use forust_ml::{GradientBooster, Matrix};
    reporter.check()?;
    let n = y.len();
    // forust reads column-major.
    let cols = |x: &[f64], n: usize| -> Vec<f64> {
        (0..f)
            .flat_map(|j| (0..n).map(move |i| x[i * f + j]))
            .collect()
    };
    let xc = cols(x, n);
    let data = Matrix::new(&xc, n, f);
    let started = std::time::Instant::now();
    let mut booster = GradientBooster::default()
        .set_learning_rate(p.learning_rate as f32)
        .set_iterations(p.iterations)
        .set_max_depth(p.max_depth)
        .set_seed(seed)
        .set_parallel(true);
    let weights = vec![1.0; n];
    let eval_x = valid.map(|(vx, vy)| (cols(vx, vy.len()), vy));
    let eval_w = valid.map(|(_, vy)| vec![1.0; vy.len()]);
    let evaluation = match (&eval_x, &eval_w) {
        (Some((vx, vy)), Some(vw)) if p.early_stopping > 0 => {
            booster = booster.set_early_stopping_rounds(Some(p.early_stopping));
            Some(vec![(Matrix::new(vx, vy.len(), f), *vy, vw.as_slice())])
        }
        _ => None,
    };
    booster
        .fit(&data, y, &weights, evaluation)
        .map_err(|e| TaskError::Input(format!("gradient boosting: {e}")))?;
    reporter.check()?;
    // forust has no per-tree callback: the curve is read back tree by tree.
    let trees = booster.prediction_iteration.unwrap_or(booster.trees.len());
    let marks: Vec<usize> = (1..=trees).filter(|t| t % 5 == 0 || *t == trees).collect();
    for t in marks {
        reporter.check()?;
        booster.prediction_iteration = Some(t);
        let scorer = &booster;
        let probs: Vec<f64> = scorer
            .predict(&data, true)
            .into_iter()
            .map(sigmoid)
            .collect();
        let metric = match &eval_x {
            Some((vx, vy)) => {
                let vp: Vec<f64> = scorer
                    .predict(&Matrix::new(vx, vy.len(), f), true)
                    .into_iter()
                    .map(sigmoid)
                    .collect();
                Some(("validation log loss".to_owned(), log_loss(&vp, vy)))
            }
            None => None,
        };
        reporter.epoch(EpochEvent {
            epoch: t,
            loss: log_loss(&probs, y),
            metric,
            secs: started.elapsed().as_secs_f64(),
        });
    }
    booster.prediction_iteration = Some(trees);
    let json = booster
        .json_dump()
        .map_err(|e| TaskError::Input(format!("gradient boosting: {e}")))?;
    Ok(Fitted::Gbm {
        json,
        booster: Some(std::sync::Arc::new(booster)),
        trees,
    })
}

impl Fitted {
    /// Fit `params`' model on rows `x` (row-major, `f` features) with labels
    /// `y`; `valid` is for the trees' early stopping and curve.
    pub fn fit(
        x: &[f64],
        y: &[f64],
        f: usize,
        valid: Option<(&[f64], &[f64])>,
        params: &PredictParams,
        seed: u64,
        reporter: &Reporter,
    ) -> Result<Fitted, TaskError> {
        match params.model {
            PredictModel::Logreg => fit_logreg(x, y, f, params, reporter),
            PredictModel::Gbm => fit_gbm(x, y, f, valid, params, seed, reporter),
        }
    }

    fn booster(&self) -> Option<std::sync::Arc<forust_ml::GradientBooster>> {
        match self {
            Fitted::Gbm {
                booster: Some(b), ..
            } => Some(std::sync::Arc::clone(b)),
            Fitted::Gbm { json, .. } => forust_ml::GradientBooster::from_json(json)
                .ok()
                .map(std::sync::Arc::new),
            Fitted::Logreg { .. } => None,
        }
    }

    /// P(buy) of each row.
    pub fn predict(&self, x: &[f64], f: usize) -> Vec<f64> {
        let n = x.len() / f.max(1);
        match self {
            Fitted::Logreg { mean, std, w } => {
                let z = scaled(x, f, mean, std);
                (0..n)
                    .map(|i| sigmoid(w[0] + (0..f).map(|j| w[j + 1] * z[i * f + j]).sum::<f64>()))
                    .collect()
            }
            Fitted::Gbm { .. } => match self.booster() {
                Some(b) => {
                    let xc: Vec<f64> = (0..f)
                        .flat_map(|j| (0..n).map(move |i| x[i * f + j]))
                        .collect();
                    b.predict(&forust_ml::Matrix::new(&xc, n, f), true)
                        .into_iter()
                        .map(sigmoid)
                        .collect()
                }
                None => vec![f64::NAN; n],
            },
        }
    }

    /// Each feature's push on each row's log-odds (row-major, `f` per row).
    pub fn contributions(&self, x: &[f64], f: usize) -> Vec<f64> {
        let n = x.len() / f.max(1);
        match self {
            Fitted::Logreg { mean, std, w } => scaled(x, f, mean, std)
                .iter()
                .enumerate()
                .map(|(k, &z)| w[k % f + 1] * z)
                .collect(),
            Fitted::Gbm { .. } => match self.booster() {
                Some(b) => {
                    let xc: Vec<f64> = (0..f)
                        .flat_map(|j| (0..n).map(move |i| x[i * f + j]))
                        .collect();
                    let c = b.predict_contributions(
                        &forust_ml::Matrix::new(&xc, n, f),
                        forust_ml::gradientbooster::ContributionsMethod::Weight,
                        true,
                    );
                    // f + 1 per row: the features, then the bias.
                    (0..n)
                        .flat_map(|i| c[i * (f + 1)..i * (f + 1) + f].to_vec())
                        .collect()
                }
                None => vec![0.0; x.len()],
            },
        }
    }

    /// Global importance of each feature: mean |contribution| over `x`.
    pub fn importance(&self, x: &[f64], f: usize) -> Vec<f64> {
        let c = self.contributions(x, f);
        let n = (x.len() / f.max(1)).max(1) as f64;
        (0..f)
            .map(|j| c.iter().skip(j).step_by(f).map(|v| v.abs()).sum::<f64>() / n)
            .collect()
    }
}
