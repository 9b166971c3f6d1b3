//! Purchase prediction's entry point. A [`PredictRequest`] (data, target,
//! cutoffs, window, model, seed) goes through fingerprint → activity log →
//! the training table at T_train and the evaluation table at T → fit →
//! evaluation beside the base rate and the recency rule → the list scored
//! at the data's end → run record.
//!
//! Protocol: the model learns from features before T_train (default
//! T − W) and labels from [T_train, T_train + W), so nothing at or after
//! T_train + W ≤ T is seen; it is evaluated on the customers at T with labels
//! from [T, T + W). A tenth of the training customers (seeded) is held out
//! for the trees' early stopping.

use std::sync::Arc;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::activity::ActivityLog;
use super::evaluate::{metrics, roc_auc, Metrics};
use super::features::{day_label, suggested_window, table_at, Feature, Table};
use super::model::{Fitted, PredictParams};
use crate::data::Dataset;
use crate::runs::{DataFingerprint, Fitting, Pipeline, RunRecord};
use crate::task::{Reporter, TaskError};

const DAY: i64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum Target {
    /// Buys in the window.
    Repurchase,
    /// Does not buy in the window (the complement).
    Churn,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Repurchase => "repurchase",
            Target::Churn => "churn",
        }
    }
}

/// Everything one prediction run needs.
#[derive(Clone)]
pub struct PredictRequest {
    pub dataset: Arc<Dataset>,
    pub target: Target,
    /// Unix seconds; `None`: the data's end minus the window.
    pub cutoff: Option<i64>,
    /// `None`: the cutoff minus the window.
    pub train_cutoff: Option<i64>,
    /// `None`: fitted to the data ([`suggested_window`]: 90 days, or a
    /// quarter of the data's span when that is shorter).
    pub window_days: Option<u32>,
    pub params: PredictParams,
    pub seed: u64,
}

/// One customer of the scored list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub customer: String,
    pub probability: f64,
    /// The strongest pushes towards the target: (feature, value, push in log-odds).
    pub reasons: Vec<(Feature, f64, f64)>,
    /// Every feature's value, in `PredictResult::features` order, for the
    /// customer's detail.
    #[serde(default)]
    pub values: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    pub customers: usize,
    pub positive_rate: f64,
}

/// What a prediction run found.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PredictResult {
    pub target: Target,
    pub cutoff: i64,
    pub train_cutoff: i64,
    pub window_days: u32,
    pub features: Vec<Feature>,
    pub train: Population,
    pub test: Population,
    pub metrics: Metrics,
    pub recency_rule: Metrics,
    /// Mean |push| of each feature on the evaluated customers, largest first.
    pub importance: Vec<(Feature, f64)>,
    /// The evaluated customers' probabilities and labels (curves, tables).
    pub test_scores: Vec<f64>,
    pub test_labels: Vec<f64>,
    pub curves: super::evaluate::Curves,
    /// Everyone active before the data's end, most likely first.
    pub scored: Vec<Scored>,
    pub scored_at: i64,
    pub model: Fitted,
    pub params: PredictParams,
    pub fit_secs: f64,
}

impl Scored {
    /// The top reasons in words, joined by `sep`.
    pub fn reasons_text(&self, sep: &str) -> String {
        self.reasons
            .iter()
            .map(|(f, v, _)| f.reason(*v))
            .collect::<Vec<_>>()
            .join(sep)
    }
}

impl PredictResult {
    /// Who the positives are, in words ("churners", "buyers").
    pub fn positives(&self) -> &'static str {
        if self.target == Target::Churn {
            "churners"
        } else {
            "buyers"
        }
    }

    /// When the model learnt and when it was judged, on how many customers.
    pub fn periods(&self) -> String {
        format!(
            "learnt at {} on {} customers ({:.1}% positive), judged at {} on {} ({:.1}% positive, the base rate), window {} days",
            super::features::day_label(self.train_cutoff),
            self.train.customers,
            self.train.positive_rate * 100.0,
            super::features::day_label(self.cutoff),
            self.test.customers,
            self.test.positive_rate * 100.0,
            self.window_days
        )
    }

    /// The first `n` scored customers as a table (rank, customer,
    /// probability, reasons), ids pseudonymised when asked.
    pub fn scored_table(
        &self,
        n: usize,
        pseudonym: Option<&crate::export::Pseudonymizer>,
    ) -> (Vec<String>, Vec<Vec<String>>) {
        let headers = ["rank", "customer", "probability", "reasons"].map(String::from);
        let rows = self
            .scored
            .iter()
            .take(n)
            .enumerate()
            .map(|(rank, s)| {
                vec![
                    (rank + 1).to_string(),
                    pseudonym.map_or_else(|| s.customer.clone(), |p| p.pseudonym(&s.customer)),
                    format!("{:.6}", s.probability),
                    s.reasons_text("; "),
                ]
            })
            .collect();
        (headers.to_vec(), rows)
    }

    /// The first `n` scored customers to a CSV at `path`; what was written.
    pub fn export_scored(
        &self,
        path: &std::path::Path,
        n: usize,
        pseudonym: Option<&crate::export::Pseudonymizer>,
    ) -> Result<String, String> {
        let (headers, rows) = self.scored_table(n, pseudonym);
        crate::export::write_csv(path, &headers, &rows)?;
        Ok(format!(
            "Exported {} scored customers to {}",
            rows.len(),
            path.display()
        ))
    }

    /// Every feature of the `rank`-th scored customer with its value and its
    /// push in log-odds (positive = towards the target), strongest first;
    /// `None` past the list or for a result saved without values.
    pub fn detail(&self, rank: usize) -> Option<Vec<(Feature, f64, f64)>> {
        let s = self.scored.get(rank)?;
        let f = self.features.len();
        if s.values.len() != f {
            return None;
        }
        let pushes = self.model.contributions(&s.values, f);
        let mut rows: Vec<(Feature, f64, f64)> = self
            .features
            .iter()
            .zip(&s.values)
            .zip(pushes)
            .map(|((&feat, &v), p)| (feat, v, p))
            .collect();
        rows.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()));
        Some(rows)
    }
}

impl PredictRequest {
    /// The window in days: as asked, or fitted to `log`'s span.
    pub fn window(&self, log: &ActivityLog) -> u32 {
        self.window_days
            .unwrap_or_else(|| suggested_window(log.first_time, log.last_time))
    }

    /// The request with its window fitted to `log` when none was asked for.
    fn resolved(&self, log: &ActivityLog) -> Self {
        Self {
            window_days: Some(self.window(log)),
            ..self.clone()
        }
    }

    /// (T_train, T) for `log`.
    pub fn cutoffs(&self, log: &ActivityLog) -> (i64, i64) {
        let w = i64::from(self.window(log)) * DAY;
        let end = (log.last_time + DAY).div_euclid(DAY) * DAY;
        let cutoff = self.cutoff.unwrap_or(end - w);
        (self.train_cutoff.unwrap_or(cutoff - w), cutoff)
    }

    fn describe(&self) -> String {
        let w = match self.window_days {
            Some(w) => w.to_string(),
            None => "(fitted to the data)".to_owned(),
        };
        match (self.train_cutoff, self.cutoff) {
            (Some(tt), Some(t)) => format!(
                "{}: learn at {}, evaluate at {}, window {w} days",
                self.target.name(),
                day_label(tt),
                day_label(t)
            ),
            (None, Some(t)) => format!(
                "{}: evaluate at {} (learn {w} days before), window {w} days",
                self.target.name(),
                day_label(t)
            ),
            _ => format!(
                "{}: evaluate at the data's end minus {w} days, window {w} days",
                self.target.name()
            ),
        }
    }
}

fn labels(t: &Table, target: Target) -> Vec<f64> {
    match target {
        Target::Repurchase => t.y.clone(),
        Target::Churn => t.y.iter().map(|y| 1.0 - y).collect(),
    }
}

fn check_classes(y: &[f64], which: &str, at: i64) -> Result<(), TaskError> {
    let pos = y.iter().filter(|&&v| v > 0.5).count();
    if pos == 0 || pos == y.len() {
        return Err(TaskError::Input(format!(
            "every one of the {} customers at the {which} cutoff {} has the same label ({}), so there is nothing to learn or rank; pick another cutoff or window",
            y.len(),
            day_label(at),
            if pos == 0 { "no purchase in the window" } else { "a purchase in the window" }
        )));
    }
    Ok(())
}

/// Recency rule: more recent activity = more likely to buy.
fn recency_scores(t: &Table, log: &ActivityLog, target: Target) -> Vec<f64> {
    let feature = if log.has_events {
        Feature::DaysSinceVisit
    } else {
        Feature::DaysSincePurchase
    };
    let j = t.features.iter().position(|f| *f == feature).unwrap_or(0);
    (0..t.len())
        .map(|i| match target {
            Target::Repurchase => -t.row(i)[j],
            Target::Churn => t.row(i)[j],
        })
        .collect()
}

impl Pipeline for PredictRequest {
    crate::pipeline_items!(kind: super::KIND, params: PredictParams, inputs: Arc<ActivityLog>, model: PredictResult, dataset: dataset);

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        let mut r = RunRecord::for_params(
            super::KIND,
            self.params.model.name(),
            &self.params,
            self.seed,
            self.describe(),
            data,
        );
        if let Some(w) = self.window_days {
            r.params.insert("window_days".into(), w.into());
        }
        r.params.insert("target".into(), self.target.name().into());
        r
    }

    fn inputs(&self, reporter: &Reporter) -> Result<Arc<ActivityLog>, TaskError> {
        reporter.progress(None, "reading customers' activity");
        Ok(Arc::new(ActivityLog::from_dataset(&self.dataset)?))
    }

    fn fit(&self, given: &Fitting<Self>) -> crate::runs::Fitted<Self> {
        let log = given.inputs;
        let this = self.resolved(log);
        let window = this.window(log);
        let started = Instant::now();
        let (train_at, test_at) = this.cutoffs(log);
        if train_at >= test_at {
            return Err(TaskError::Input(format!(
                "the training cutoff {} must come before the cutoff {}",
                day_label(train_at),
                day_label(test_at)
            )));
        }
        given.reporter.progress(None, "building features");
        let train = table_at(log, train_at, window)?;
        let test = table_at(log, test_at, window)?;
        if !test.labelled {
            return Err(TaskError::Input(format!(
                "the window of {} days after the cutoff {} runs past the data's end ({}), so no label can be known; pick an earlier cutoff",
                window,
                day_label(test_at),
                day_label(log.last_time)
            )));
        }
        let y_train = labels(&train, self.target);
        let y_test = labels(&test, self.target);
        check_classes(&y_train, "training", train_at)?;
        check_classes(&y_test, "evaluation", test_at)?;
        given.reporter.check()?;
        // A seeded tenth of the training customers for early stopping.
        let f = train.features.len();
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(
            self.seed,
        ));
        let held = train.len() / 10;
        let (valid_rows, fit_rows) = order.split_at(held);
        let gather = |rows: &[usize]| -> (Vec<f64>, Vec<f64>) {
            let mut x = Vec::with_capacity(rows.len() * f);
            let mut y = Vec::with_capacity(rows.len());
            let mut sorted = rows.to_vec();
            sorted.sort_unstable();
            for &i in &sorted {
                x.extend_from_slice(train.row(i));
                y.push(y_train[i]);
            }
            (x, y)
        };
        let (fx, fy) = gather(fit_rows);
        let (vx, vy) = gather(valid_rows);
        given
            .reporter
            .progress(None, &format!("fitting on {} customers", fy.len()));
        let model = Fitted::fit(
            &fx,
            &fy,
            f,
            Some((&vx, &vy)),
            given.params,
            self.seed,
            given.reporter,
        )?;
        given.reporter.check()?;
        let test_scores = model.predict(&test.x, f);
        let m = metrics(&test_scores, &y_test);
        let recency = recency_scores(&test, log, self.target);
        let recency_rule = Metrics {
            roc_auc: roc_auc(&recency, &y_test),
            ..metrics(&rank_probabilities(&recency), &y_test)
        };
        let mut importance: Vec<(Feature, f64)> = train
            .features
            .iter()
            .copied()
            .zip(model.importance(&test.x, f))
            .collect();
        importance.sort_by(|a, b| b.1.total_cmp(&a.1));
        // The list for action: everyone at the data's end.
        let end = (log.last_time + DAY).div_euclid(DAY) * DAY;
        let now = table_at(log, end, window)?;
        let probs = model.predict(&now.x, f);
        let pushes = model.contributions(&now.x, f);
        let mut scored: Vec<Scored> = (0..now.len())
            .map(|i| {
                let mut r: Vec<(Feature, f64, f64)> = now
                    .features
                    .iter()
                    .enumerate()
                    .map(|(j, &feat)| (feat, now.row(i)[j], pushes[i * f + j]))
                    .filter(|r| r.2 > 0.0)
                    .collect();
                r.sort_by(|a, b| b.2.total_cmp(&a.2));
                r.truncate(3);
                Scored {
                    customer: log.customers[now.customers[i] as usize].clone(),
                    probability: probs[i],
                    reasons: r,
                    values: now.row(i).to_vec(),
                }
            })
            .collect();
        scored.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        let result = PredictResult {
            target: self.target,
            cutoff: test_at,
            train_cutoff: train_at,
            window_days: window,
            features: train.features.clone(),
            train: Population {
                customers: train.len(),
                positive_rate: y_train.iter().sum::<f64>() / train.len() as f64,
            },
            test: Population {
                customers: test.len(),
                positive_rate: y_test.iter().sum::<f64>() / test.len() as f64,
            },
            metrics: m,
            recency_rule,
            importance,
            curves: super::evaluate::curves(&test_scores, &y_test),
            test_scores,
            test_labels: y_test,
            scored,
            scored_at: end,
            model,
            params: (**given.params).clone(),
            fit_secs: started.elapsed().as_secs_f64(),
        };
        let mut r = this.attempt(given.data.clone());
        for (name, v) in [
            ("roc_auc", result.metrics.roc_auc),
            ("pr_auc", result.metrics.pr_auc),
            ("log_loss", result.metrics.log_loss),
            ("brier", result.metrics.brier),
            ("lift_at_10pct", result.metrics.lift_at_10pct),
            ("lift_at_20pct", result.metrics.lift_at_20pct),
            ("base_rate", result.test.positive_rate),
            ("recency_rule_roc_auc", result.recency_rule.roc_auc),
            ("test_customers", result.test.customers as f64),
        ] {
            r.metrics.insert(name.into(), v);
        }
        r.fit_secs = result.fit_secs;
        r.note = Some(format!(
            "learnt at {} on {} customers, evaluated at {} on {}",
            day_label(train_at),
            result.train.customers,
            day_label(test_at),
            result.test.customers
        ));
        Ok((r, result))
    }
}

/// Scores mapped to (0, 1) by rank, so the recency rule gets the
/// rank-based metrics (its log loss and Brier score mean little).
fn rank_probabilities(scores: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n = scores.len() as f64;
    let mut out = vec![0.0; scores.len()];
    for (rank, &i) in order.iter().enumerate() {
        out[i] = (rank as f64 + 0.5) / n;
    }
    out
}
