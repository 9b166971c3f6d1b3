//! The bandit lab's entry points: a [`SimulationRequest`] (arms, policies,
//! settings, seed) races policies; an [`EvaluationRequest`] (a logged file,
//! a policy, settings, seed) estimates that policy's value off-policy. Both
//! end in a run record of kind "bandit" and the result as its model, for
//! the Explore / exploit tab, sweeps, `shoplens bandit …` and the tests.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::item_features::{item_file, ItemFeatures};
use super::log::{BanditLog, UserColumns};
use super::ope::{evaluate, OpeResult};
use super::params::{EvaluationParams, PolicyChoice, RewardModelKind, SimulationParams};
use super::simulate::{check_setup, simulate, Arm, Segment, SimulationResult};
use crate::data::Dataset;
use crate::runs::{DataFingerprint, Fitted, Fitting, Pipeline, RunRecord, RunStatus};
use crate::task::{Reporter, TaskError};

/// What a bandit run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum BanditResult {
    Simulation(SimulationResult),
    Evaluation(Box<OpeResult>),
}

/// The policies a sweep over `names` races: ε-greedy when ε is swept,
/// Thompson sampling when its prior is, LinUCB or linear Thompson sampling
/// when theirs are, every policy otherwise — so the
/// ranking (the best policy's reward) is about the swept parameter.
pub fn swept_policies(names: &[String]) -> Vec<PolicyChoice> {
    use super::params::PolicyKind;
    let has = |n: &[&str]| names.iter().any(|x| n.contains(&x.as_str()));
    let mut out = Vec::new();
    if has(&["epsilon", "eps", "epsilon_decay"]) {
        out.push(PolicyChoice::of(PolicyKind::Epsilon));
    }
    if has(&["alpha0", "alpha", "beta0", "beta"]) {
        out.push(PolicyChoice::of(PolicyKind::Thompson));
    }
    if has(&["linucb_alpha", "ridge"]) {
        out.push(PolicyChoice::of(PolicyKind::LinUcb));
    }
    if has(&["lints_v", "ridge"]) {
        out.push(PolicyChoice::of(PolicyKind::LinTs));
    }
    if has(&["logts_alpha", "ridge"]) {
        out.push(PolicyChoice::of(PolicyKind::LogisticTs));
    }
    if out.is_empty() {
        out = PolicyKind::ALL.into_iter().map(PolicyChoice::of).collect();
    }
    out
}

/// A race of policies on Bernoulli arms.
#[derive(Clone)]
pub struct SimulationRequest {
    /// The store the arms came from (none for typed rates).
    pub dataset: Option<Arc<Dataset>>,
    pub arms: Vec<Arm>,
    /// User segments with their own rates per arm (empty: one group).
    pub segments: Vec<Segment>,
    /// Where the arms came from, for the record ("top 8 items by views,
    /// purchases ÷ views", "typed rates").
    pub arms_source: String,
    pub policies: Vec<PolicyChoice>,
    pub params: SimulationParams,
    pub seed: u64,
}

impl Pipeline for SimulationRequest {
    crate::pipeline_items!(kind: super::KIND, params: SimulationParams, inputs: (), model: BanditResult);

    fn dataset(&self) -> Option<&Dataset> {
        self.dataset.as_deref()
    }

    fn data_fingerprint(&self) -> DataFingerprint {
        match &self.dataset {
            Some(ds) => crate::runs::fingerprint(ds),
            None => DataFingerprint::none("typed rates"),
        }
    }

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        let mut r = RunRecord::for_params(
            super::KIND,
            "simulation",
            &self.params,
            self.seed,
            format!(
                "{} ({})",
                super::simulate::describe_arms(&self.arms, &self.segments),
                self.arms_source
            ),
            data,
        );
        r.params.insert(
            "policies".into(),
            self.policies
                .iter()
                .map(|p| p.name(&self.params))
                .collect::<Vec<_>>()
                .join(",")
                .into(),
        );
        r
    }

    fn inputs(&self, _reporter: &Reporter) -> Result<(), TaskError> {
        check_setup(&self.arms, &self.segments, &self.policies)
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        let threads = match f.params.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let pool = crate::task::thread_pool(threads)?;
        let result = pool.install(|| {
            simulate(
                &self.arms,
                &self.segments,
                &self.policies,
                f.params,
                self.seed,
                f.reporter,
            )
        })?;
        let mut r = self.attempt(f.data.clone());
        for p in &result.policies {
            for (name, value) in [
                ("mean_reward", p.mean_reward),
                ("regret", p.mean_regret),
                ("se_regret", p.se_regret),
                ("best_arm_share", p.best_arm_share),
            ] {
                r.metrics.insert(format!("{}/{name}", p.policy), value);
            }
        }
        // Ranked by the best policy's reward per round (higher is better,
        // and the same order as its regret, lower).
        let best = result
            .policies
            .iter()
            .map(|p| p.mean_reward)
            .fold(f64::NEG_INFINITY, f64::max);
        r.metrics.insert("mean_reward".into(), best);
        r.metrics
            .insert("replications_finished".into(), result.finished as f64);
        r.fit_secs = result.secs;
        let decisions = result.finished * result.horizon * result.policies.len();
        r.note = Some(format!(
            "{} of {} replications, {:.1} M decisions in {:.2} s",
            result.finished,
            result.replications,
            decisions as f64 / 1e6,
            result.secs
        ));
        if result.finished < result.replications {
            // Cancelled: the finished replications are the result.
            r.status = RunStatus::Cancelled;
        }
        Ok((r, BanditResult::Simulation(result)))
    }
}

/// Off-policy evaluation of one policy on a logged file.
#[derive(Clone)]
pub struct EvaluationRequest {
    pub dataset: Arc<Dataset>,
    pub params: EvaluationParams,
    pub seed: u64,
}

impl Pipeline for EvaluationRequest {
    crate::pipeline_items!(kind: super::KIND, params: EvaluationParams, inputs: Arc<BanditLog>, model: BanditResult, dataset: dataset);

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        let evaluation = if self.params.train_fraction > 0.0 {
            format!(
                "learn from the first {:.0}% of rows in time order, estimate on the rest",
                self.params.train_fraction * 100.0
            )
        } else if self.params.policy.learns() {
            "learn from and estimate on every row (in-sample)".to_owned()
        } else {
            "every row".to_owned()
        };
        RunRecord::for_params(
            super::KIND,
            &format!("ope:{}", self.params.policy.name()),
            &self.params,
            self.seed,
            evaluation,
            data,
        )
    }

    fn inputs(&self, reporter: &Reporter) -> Result<Arc<BanditLog>, TaskError> {
        reporter.progress(None, "reading the log");
        let p = &self.params;
        // Read whatever columns the settings name, whichever policy and
        // reward model use them: a sweep reads the log once and then varies
        // the policy, the reward model and the learner over it.
        let user = UserColumns {
            context: Some(p.context_cols.clone()),
            segment: (!p.segment_col.trim().is_empty()).then(|| p.segment_col.clone()),
        };
        let mut log = BanditLog::with_user_columns(&self.dataset, &user)?;
        if item_file(&log.path, &p.item_features).is_some() {
            reporter.progress(None, "reading the item features");
            let items = ItemFeatures::read(
                &log.path,
                &p.item_features,
                &log.action_labels,
                reporter.cancel_token(),
            );
            // Only the logistic reward model uses them; with the mean one
            // (a sweep may switch to logistic later, which then says the
            // file could not be read) a bad item file is no error.
            log.items = match items {
                Ok(items) => items,
                Err(e) if p.reward_model == RewardModelKind::Logistic => return Err(e),
                Err(_) => None,
            };
        }
        Ok(Arc::new(log))
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        let log = f.inputs;
        let result = evaluate(log, f.params, self.seed, f.reporter)?;
        let mut r = self.attempt(f.data.clone());
        let e = &result.estimates;
        for (name, est) in [
            ("ipw", &e.ipw),
            ("snipw", &e.snipw),
            ("dm", &e.dm),
            ("dr", &e.dr),
            ("replay", &e.replay),
        ] {
            r.metrics.insert(name.into(), est.value);
            r.metrics.insert(format!("{name}_lo"), est.ci[0]);
            r.metrics.insert(format!("{name}_hi"), est.ci[1]);
        }
        if let Some(u) = &result.uniform {
            r.metrics.insert("uniform_dr".into(), u.dr.value);
            r.metrics.insert("uniform_ipw".into(), u.ipw.value);
        }
        r.metrics
            .insert("on_policy_value".into(), result.on_policy_value);
        r.metrics.insert("rounds".into(), result.rounds as f64);
        r.metrics
            .insert("matched_rounds".into(), e.matched_rounds as f64);
        r.fit_secs = result.secs;
        r.note = Some(if result.in_sample {
            "in-sample: the policy learned from the rows it is evaluated on".to_owned()
        } else {
            format!(
                "{} rows evaluated, {} bootstrap resamples",
                result.rounds, result.bootstrap
            )
        });
        Ok((r, BanditResult::Evaluation(Box::new(result))))
    }
}
