//! Off-policy evaluation: what click rate would another policy have had on
//! the rounds of a log?
//!
//! A policy is a distribution π(a | s) over items for each slot s, as in
//! obp. For the evaluated rows i (action aᵢ, slot sᵢ, reward rᵢ, logging
//! propensity pᵢ) with weight wᵢ = π(aᵢ | sᵢ) / pᵢ:
//! - **on-policy value**: mean rᵢ (what the logging policy earned);
//! - **IPW**: mean rᵢ·wᵢ; **SNIPW**: Σ rᵢwᵢ / Σ wᵢ;
//! - **DM**: mean Σₐ π(a | sᵢ) q̂(a, sᵢ), with the reward model q̂(a, s) =
//!   (clicks of a in s + m·r̄) / (rows of a in s + m) on the evaluated rows
//!   (r̄ their mean reward, m the smoothing);
//! - **DR**: DM's term + wᵢ (rᵢ − q̂(aᵢ, sᵢ));
//! - **replay** (Li et al. 2011; unbiased when the log is uniform): draw the
//!   policy's item for each row's slot (seeded), keep the rows where it is
//!   the logged one, mean reward over them.
//!
//! Intervals: B bootstrap resamples of the evaluated rows (seeded, with
//! replacement, the reward model fixed, as obp's `estimate_interval`
//! resamples its per-row terms); the 2.5% and 97.5% quantiles of the
//! resampled estimates. `relative` is the estimate ÷ the on-policy value.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::learner::IpwLearner;
use super::log::BanditLog;
use super::params::{EvalPolicy, EvaluationParams, RewardModelKind};
use super::reward_model::RewardModel;
use super::simulate::quantile;
use crate::params::Checked;
use crate::task::{Reporter, TaskError};

/// One estimate with its bootstrap interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    /// 95% bootstrap interval [2.5%, 97.5%].
    pub ci: [f64; 2],
    /// value ÷ on-policy value.
    pub relative: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimates {
    pub ipw: Estimate,
    pub snipw: Estimate,
    pub dm: Estimate,
    pub dr: Estimate,
    pub replay: Estimate,
    /// Rows where the replayed policy chose the logged item.
    pub matched_rounds: usize,
}

/// Fewer rows than this where the replayed policy chose the logged item
/// make replay's estimate noise: it is reported as too few matches.
pub const MIN_REPLAY_MATCHES: usize = 100;

impl Estimates {
    /// Whether replay matched enough rounds to say anything.
    pub fn replay_usable(&self) -> bool {
        self.matched_rounds >= MIN_REPLAY_MATCHES
    }

    /// What a reader must know before trusting one number: replay on too
    /// few matches, and estimators whose 95% intervals do not overlap (then
    /// the reward model or the logged propensities are off, and no single
    /// estimate should be trusted alone).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.replay_usable() {
            out.push(format!(
                "Replay matched only {} rounds (fewer than {MIN_REPLAY_MATCHES}): too few to estimate from.",
                self.matched_rounds
            ));
        }
        let named = [
            ("IPW", &self.ipw),
            ("SNIPW", &self.snipw),
            ("DM", &self.dm),
            ("DR", &self.dr),
        ];
        let mut apart = Vec::new();
        for (i, (a, x)) in named.iter().enumerate() {
            for (b, y) in &named[i + 1..] {
                if x.ci[1] < y.ci[0] || y.ci[1] < x.ci[0] {
                    apart.push(format!("{a} ×{:.2} vs {b} ×{:.2}", x.relative, y.relative));
                }
            }
        }
        if !apart.is_empty() {
            out.push(format!(
                "The estimators disagree — their 95% intervals do not overlap ({}): the reward model (DM, DR) or the logged propensities (IPW, SNIPW) are off, so trust no single estimate.",
                apart.join("; ")
            ));
        }
        out
    }
}

/// What an evaluation found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpeResult {
    /// The evaluated rows.
    pub rounds: usize,
    pub actions: usize,
    pub positions: usize,
    /// Reward summed over the evaluated rows.
    pub clicks: f64,
    pub on_policy_value: f64,
    pub on_policy_ci: [f64; 2],
    pub policy: String,
    /// Rows the policy learned from (the first ones in time order).
    pub train_rows: usize,
    /// The policy learned from the rows it is evaluated on.
    pub in_sample: bool,
    /// The estimate is on rows after the training rows.
    pub held_out: bool,
    /// Every logging propensity is the same (replay is unbiased then).
    pub uniform_log: bool,
    pub estimates: Estimates,
    /// The policy: for each slot, its most likely items (label, π) — for
    /// a per-segment policy, its fallback's.
    pub top_items: Vec<Vec<(String, f64)>>,
    /// A per-segment policy's likeliest item per slot for each segment
    /// value (segment column, value, items); empty otherwise.
    #[serde(default)]
    pub segment_items: Vec<SegmentItems>,
    /// The reward model DM and DR used (`mean`, `logistic`).
    #[serde(default)]
    pub reward_model: String,
    /// Context features the reward model saw (0 for the mean model).
    #[serde(default)]
    pub context_features: usize,
    /// The item file the logistic reward model read the items' features
    /// from, and how many features it gave (None: one weight per item).
    #[serde(default)]
    pub item_features: Option<(String, usize)>,
    /// Time to fit the reward model.
    #[serde(default)]
    pub reward_fit_secs: f64,
    /// Uniform random's estimates on the same rows and resamples (for any
    /// other policy).
    #[serde(default)]
    pub uniform: Option<Estimates>,
    pub bootstrap: usize,
    pub secs: f64,
}

impl OpeResult {
    /// What DM and DR's logistic reward model learnt from, in a sentence
    /// (None for the mean model).
    pub fn reward_model_sentence(&self) -> Option<String> {
        (self.reward_model == RewardModelKind::Logistic.name()).then(|| {
            let items = match &self.item_features {
                Some((path, width)) => {
                    let file = std::path::Path::new(path)
                        .file_name()
                        .map_or_else(|| path.clone(), |f| f.to_string_lossy().into_owned());
                    format!("{width} item features from {file}")
                }
                None => "the item (one weight per item)".to_owned(),
            };
            format!(
                "DM and DR: a logistic reward model per slot on {} context features and {items}.",
                self.context_features
            )
        })
    }
}

/// One segment value's items under a per-segment policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentItems {
    pub column: String,
    pub value: String,
    /// The likeliest item of each slot.
    pub items: Vec<String>,
}

fn segment_items(log: &BanditLog, pi: &PolicyDist) -> Vec<SegmentItems> {
    let Some(seg) = log
        .segments
        .as_ref()
        .filter(|_| pi.by_segment.len() > 1 && pi.per_row.is_none())
    else {
        return Vec::new();
    };
    seg.labels
        .iter()
        .zip(&pi.by_segment[1..])
        .map(|(value, dist)| SegmentItems {
            column: seg.column.clone(),
            value: value.clone(),
            items: dist
                .iter()
                .map(|row| {
                    let best = (0..row.len())
                        .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                        .unwrap_or(0);
                    log.action_labels[best].clone()
                })
                .collect(),
        })
        .collect()
}

impl OpeResult {
    /// The policy against the logged one in words, by DR's 95% interval
    /// and the logged click rate's: overlapping intervals are no evidence
    /// either way. Beside a uniform baseline, a second sentence compares
    /// the two DR intervals.
    pub fn comparison(&self) -> String {
        let mut text = verdict(
            "the logged policy",
            self.estimates.dr.ci,
            "the logged click rate's",
            self.on_policy_ci,
        );
        if let Some(u) = &self.uniform {
            text.push(' ');
            text.push_str(&verdict(
                "uniform random",
                self.estimates.dr.ci,
                "uniform random's DR interval",
                u.dr.ci,
            ));
        }
        text
    }
}

fn verdict(other: &str, dr: [f64; 2], other_interval: &str, theirs: [f64; 2]) -> String {
    let (lead, relation) = if dr[0] > theirs[1] {
        (format!("Better than {other}"), "lies above")
    } else if dr[1] < theirs[0] {
        (format!("Worse than {other}"), "lies below")
    } else {
        (
            format!("No evidence that it is better or worse than {other}"),
            "overlaps",
        )
    };
    format!(
        "{lead}: DR's 95% interval [{:.5}, {:.5}] {relation} {other_interval} [{:.5}, {:.5}].",
        dr[0], dr[1], theirs[0], theirs[1]
    )
}

/// π(a | s) for every slot s and item a.
pub type ActionDist = Vec<Vec<f64>>;

fn seeded(seed: u64, which: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ which.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Items by clicks in `rows`, most first; ties by the lower item.
fn by_clicks(log: &BanditLog, rows: std::ops::Range<usize>) -> Vec<usize> {
    let mut clicks = vec![0.0; log.n_actions()];
    for i in rows {
        clicks[log.actions[i] as usize] += log.rewards[i];
    }
    let mut order: Vec<usize> = (0..log.n_actions()).collect();
    order.sort_by(|&a, &b| clicks[b].total_cmp(&clicks[a]).then(a.cmp(&b)));
    order
}

/// The item with the most clicks (ties: the lower item), if any has one.
fn most_clicked_of(clicks: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (a, &c) in clicks.iter().enumerate() {
        if c > 0.0 && best.is_none_or(|b| c > clicks[b]) {
            best = Some(a);
        }
    }
    best
}

/// An evaluation policy: π(a | s) for each user segment. Without a segment
/// column there is one entry; with one, entry 0 is the fallback (rows whose
/// segment value is empty) and entry 1 + c is segment code c's.
/// A policy that depends on the whole context (the learnt one) instead has
/// one entry per distinct choice and `per_row` says which each evaluated
/// row gets.
#[derive(Clone, Debug)]
pub struct PolicyDist {
    pub by_segment: Vec<ActionDist>,
    pub per_row: Option<PerRow>,
}

/// Which entry of `by_segment` each row from `start` on gets.
#[derive(Clone, Debug)]
pub struct PerRow {
    pub start: usize,
    pub entry: Vec<u32>,
}

impl PolicyDist {
    fn one(dist: ActionDist) -> Self {
        Self {
            by_segment: vec![dist],
            per_row: None,
        }
    }

    /// π for row `row`'s user.
    pub fn of_row(&self, log: &BanditLog, row: usize) -> &ActionDist {
        if let Some(p) = &self.per_row {
            return &self.by_segment[p.entry[row - p.start] as usize];
        }
        if self.by_segment.len() == 1 {
            return &self.by_segment[0];
        }
        match log.segments.as_ref().and_then(|s| s.codes[row]) {
            Some(code) => &self.by_segment[1 + code as usize],
            None => &self.by_segment[0],
        }
    }

    fn map(self, f: impl Fn(ActionDist) -> ActionDist) -> Self {
        Self {
            by_segment: self.by_segment.into_iter().map(f).collect(),
            per_row: self.per_row,
        }
    }

    /// π averaged over `rows`: how often each item is shown in each slot.
    fn mean_over(&self, log: &BanditLog, rows: std::ops::Range<usize>) -> ActionDist {
        if self.per_row.is_none() {
            return self.by_segment[0].clone();
        }
        let n = rows.len().max(1) as f64;
        let mut mean = vec![vec![0.0; log.n_actions()]; log.n_slots()];
        for i in rows {
            for (m, d) in mean.iter_mut().zip(self.of_row(log, i)) {
                for (m, p) in m.iter_mut().zip(d) {
                    *m += p / n;
                }
            }
        }
        mean
    }
}

/// The IPW learner's policy, learnt on `train`, for each row of `eval`:
/// one entry per distinct choice of items over the slots.
fn learnt(
    log: &BanditLog,
    params: &EvaluationParams,
    train: std::ops::Range<usize>,
    eval: std::ops::Range<usize>,
    cancel: &crate::task::CancelToken,
) -> Result<PolicyDist, TaskError> {
    let learner = IpwLearner::fit(log, train, params.learner_c, cancel)?;
    let k = log.n_actions();
    let mut entries: std::collections::HashMap<Vec<usize>, u32> = Default::default();
    let mut by_segment = Vec::new();
    let mut features = Vec::new();
    let entry = eval
        .clone()
        .map(|i| {
            let picks = learner.choose(log, i, &mut features);
            *entries.entry(picks.clone()).or_insert_with(|| {
                by_segment.push(
                    picks
                        .iter()
                        .map(|&a| {
                            let mut row = vec![0.0; k];
                            row[a] = 1.0;
                            row
                        })
                        .collect(),
                );
                (by_segment.len() - 1) as u32
            })
        })
        .collect();
    Ok(PolicyDist {
        by_segment,
        per_row: Some(PerRow {
            start: eval.start,
            entry,
        }),
    })
}

/// Most clicked, one policy for everyone: slot s shows the s-th most
/// clicked item of the training rows.
fn most_clicked_overall(log: &BanditLog, train: std::ops::Range<usize>) -> ActionDist {
    let (k, slots) = (log.n_actions(), log.n_slots());
    let order = by_clicks(log, train);
    let mut d = vec![vec![0.0; k]; slots];
    for (s, row) in d.iter_mut().enumerate() {
        if let Some(&a) = order.get(s) {
            row[a] = 1.0;
        }
    }
    d
}

/// Most clicked per segment: for each segment value and slot, the item
/// with the most clicks in that slot among the segment's training rows;
/// a segment or slot with no click falls back to the slot's most clicked
/// item over all training rows (ties: the lower item, also with no click
/// at all).
fn most_clicked_by_segment(log: &BanditLog, train: std::ops::Range<usize>) -> PolicyDist {
    let (k, slots) = (log.n_actions(), log.n_slots());
    let Some(seg) = &log.segments else {
        return PolicyDist::one(most_clicked_overall(log, train));
    };
    let mut overall = vec![vec![0.0; k]; slots];
    let mut by = vec![vec![vec![0.0; k]; slots]; seg.labels.len()];
    for i in train {
        let (s, a, r) = log.row(i);
        overall[s][a] += r;
        if let Some(code) = seg.codes[i] {
            by[code as usize][s][a] += r;
        }
    }
    let fallback: Vec<usize> = overall
        .iter()
        .map(|c| most_clicked_of(c).unwrap_or(0))
        .collect();
    let one_hot = |pick: &dyn Fn(usize) -> usize| -> ActionDist {
        (0..slots)
            .map(|s| {
                let mut row = vec![0.0; k];
                row[pick(s)] = 1.0;
                row
            })
            .collect()
    };
    let mut by_segment = vec![one_hot(&|s| fallback[s])];
    for clicks in &by {
        by_segment.push(one_hot(&|s| {
            most_clicked_of(&clicks[s]).unwrap_or(fallback[s])
        }));
    }
    PolicyDist {
        by_segment,
        per_row: None,
    }
}

/// The evaluation policy's distribution, learned from `train` rows, for
/// the rows of `eval`.
pub fn action_dist(
    log: &BanditLog,
    params: &EvaluationParams,
    train: std::ops::Range<usize>,
    eval: std::ops::Range<usize>,
    seed: u64,
    cancel: &crate::task::CancelToken,
) -> Result<PolicyDist, TaskError> {
    let (k, slots) = (log.n_actions(), log.n_slots());
    let uniform = vec![vec![1.0 / k as f64; k]; slots];
    Ok(match params.policy {
        EvalPolicy::Uniform => PolicyDist::one(uniform),
        EvalPolicy::IpwLearner => learnt(log, params, train, eval, cancel)?,
        EvalPolicy::MostClicked => most_clicked_by_segment(log, train),
        EvalPolicy::Epsilon => most_clicked_by_segment(log, train).map(|greedy| {
            greedy
                .iter()
                .zip(&uniform)
                .map(|(g, u)| {
                    g.iter()
                        .zip(u)
                        .map(|(g, u)| (1.0 - params.epsilon) * g + params.epsilon * u)
                        .collect()
                })
                .collect()
        }),
        EvalPolicy::Thompson => {
            log.require_binary(train.clone(), "Thompson sampling's Beta posterior", "")?;
            let (mut shown, mut clicked) = (vec![0.0; k], vec![0.0; k]);
            for i in train {
                shown[log.actions[i] as usize] += 1.0;
                clicked[log.actions[i] as usize] += log.rewards[i];
            }
            let posteriors = (0..k)
                .map(|a| {
                    Beta::new(
                        params.alpha0 + clicked[a],
                        params.beta0 + shown[a] - clicked[a],
                    )
                    .map_err(|e| TaskError::Input(format!("Thompson sampling's posterior: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            // Each draw ranks the items; slot s shows the s-th.
            let mut rng = seeded(seed, 11);
            let mut counts = vec![vec![0u64; k]; slots];
            let mut draws: Vec<(f64, usize)> = Vec::with_capacity(k);
            for _ in 0..params.mc_samples {
                draws.clear();
                draws.extend(
                    posteriors
                        .iter()
                        .enumerate()
                        .map(|(a, b)| (b.sample(&mut rng), a)),
                );
                let top = slots.min(k);
                draws.select_nth_unstable_by(top.saturating_sub(1), |x, y| {
                    y.0.total_cmp(&x.0).then(x.1.cmp(&y.1))
                });
                draws[..top].sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
                for (s, &(_, a)) in draws[..top].iter().enumerate() {
                    counts[s][a] += 1;
                }
            }
            let m = params.mc_samples.max(1) as f64;
            PolicyDist::one(
                counts
                    .iter()
                    .map(|row| row.iter().map(|&c| c as f64 / m).collect())
                    .collect(),
            )
        }
    })
}

/// Per-row terms of the estimators over the evaluated rows.
struct Terms {
    reward: Vec<f64>,
    weight: Vec<f64>,
    dm: Vec<f64>,
    dr: Vec<f64>,
    /// Whether the replayed policy chose the logged item.
    matched: Vec<bool>,
}

fn terms(
    log: &BanditLog,
    pi: &PolicyDist,
    rows: std::ops::Range<usize>,
    q: &RewardModel,
    seed: u64,
) -> Terms {
    let k = log.n_actions();
    let mut rng = seeded(seed, 12);
    let mut t = Terms {
        reward: Vec::with_capacity(rows.len()),
        weight: Vec::with_capacity(rows.len()),
        dm: Vec::with_capacity(rows.len()),
        dr: Vec::with_capacity(rows.len()),
        matched: Vec::with_capacity(rows.len()),
    };
    let mut features = Vec::new();
    for i in rows {
        let (s, a, r) = log.row(i);
        let pi_s = &pi.of_row(log, i)[s];
        let q_row = q.row(log, i, &mut features);
        let dm: f64 = pi_s
            .iter()
            .enumerate()
            .filter(|(_, &p)| p > 0.0)
            .map(|(b, &p)| p * q_row.q(b))
            .sum();
        let w = pi_s[a] / log.propensities[i];
        t.reward.push(r);
        t.weight.push(w);
        t.dm.push(dm);
        t.dr.push(dm + w * (r - q_row.q(a)));
        // Sample the policy's item by its cumulative distribution.
        let u: f64 = rng.gen();
        let mut acc = 0.0;
        let mut chosen = k - 1;
        for (b, &p) in pi_s.iter().enumerate() {
            acc += p;
            if u < acc {
                chosen = b;
                break;
            }
        }
        t.matched.push(chosen == a);
    }
    t
}

/// [ipw, snipw, dm, dr, replay] over the rows `idx` picks (all rows when
/// `None`), and the replay's matched count.
fn estimate(t: &Terms, idx: Option<&[u32]>) -> ([f64; 5], usize) {
    let (mut ipw, mut w, mut dm, mut dr, mut hits, mut matched) = (0.0, 0.0, 0.0, 0.0, 0.0, 0);
    let mut add = |i: usize| {
        ipw += t.reward[i] * t.weight[i];
        w += t.weight[i];
        dm += t.dm[i];
        dr += t.dr[i];
        if t.matched[i] {
            hits += t.reward[i];
            matched += 1;
        }
    };
    let n = match idx {
        Some(idx) => {
            idx.iter().for_each(|&i| add(i as usize));
            idx.len()
        }
        None => {
            (0..t.reward.len()).for_each(&mut add);
            t.reward.len()
        }
    };
    let n = n.max(1) as f64;
    let snipw = if w > 0.0 { ipw / w } else { 0.0 };
    let replay = if matched > 0 {
        hits / matched as f64
    } else {
        0.0
    };
    ([ipw / n, snipw, dm / n, dr / n, replay], matched)
}

/// Estimate `params.policy`'s value on `log`.
pub fn evaluate(
    log: &BanditLog,
    params: &Checked<EvaluationParams>,
    seed: u64,
    reporter: &Reporter,
) -> Result<OpeResult, TaskError> {
    let started = Instant::now();
    if log.n_actions() < 2 {
        return Err(TaskError::Input(format!(
            "{}: the log shows {} distinct item(s); a policy needs at least 2 to choose between",
            log.path.display(),
            log.n_actions()
        )));
    }
    let n = log.len();
    let train_rows = (params.train_fraction * n as f64).floor() as usize;
    let (train, eval) = if train_rows == 0 {
        (0..n, 0..n)
    } else {
        (0..train_rows, train_rows..n)
    };
    if eval.is_empty() {
        return Err(TaskError::Input(format!(
            "a training share of {} leaves no rows of {} to evaluate on",
            params.train_fraction, n
        )));
    }
    reporter.progress(
        None,
        &format!(
            "learning {} from {} rows",
            params.policy.name(),
            train.len()
        ),
    );
    let pi = action_dist(
        log,
        params,
        train.clone(),
        eval.clone(),
        seed,
        reporter.cancel_token(),
    )?;
    reporter.check()?;
    reporter.progress(
        None,
        &format!(
            "fitting the {} reward model on {} rows",
            params.reward_model.name(),
            eval.len()
        ),
    );
    let fit_started = Instant::now();
    let q = RewardModel::fit(log, eval.clone(), params, seed, reporter.cancel_token())?;
    let reward_fit_secs = fit_started.elapsed().as_secs_f64();
    reporter.check()?;
    let t = terms(log, &pi, eval.clone(), &q, seed);
    let (point, matched) = estimate(&t, None);
    // Uniform random beside any other policy, on the same rows, reward
    // model and resamples: the floor a learnt policy has to clear.
    let baseline = (params.policy != EvalPolicy::Uniform).then(|| {
        let (k, slots) = (log.n_actions(), log.n_slots());
        let uniform = PolicyDist::one(vec![vec![1.0 / k as f64; k]; slots]);
        terms(log, &uniform, eval.clone(), &q, seed)
    });
    let rows = eval.len();
    let on_policy = t.reward.iter().sum::<f64>() / rows as f64;
    reporter.progress(None, &format!("{} bootstrap resamples", params.bootstrap));
    let samples: Vec<([f64; 5], f64, [f64; 5])> = (0..params.bootstrap)
        .into_par_iter()
        .map(|b| {
            let mut rng = seeded(seed, 1000 + b as u64);
            let idx: Vec<u32> = (0..rows).map(|_| rng.gen_range(0..rows as u32)).collect();
            let on = idx.iter().map(|&i| t.reward[i as usize]).sum::<f64>() / rows as f64;
            let base = baseline
                .as_ref()
                .map_or([0.0; 5], |u| estimate(u, Some(&idx)).0);
            (estimate(&t, Some(&idx)).0, on, base)
        })
        .collect();
    reporter.check()?;
    let interval = |values: Vec<f64>| {
        let mut v = values;
        v.sort_by(f64::total_cmp);
        [quantile(&v, 0.025), quantile(&v, 0.975)]
    };
    let relative = |x: f64| {
        if on_policy > 0.0 {
            x / on_policy
        } else {
            f64::NAN
        }
    };
    // Each estimator's point and interval; `which` picks the policy's
    // (or the baseline's) resampled estimates.
    let estimates = |point: [f64; 5], matched: usize, which: &dyn Fn(usize, usize) -> f64| {
        let est = |j: usize| Estimate {
            value: point[j],
            ci: interval((0..samples.len()).map(|b| which(b, j)).collect()),
            relative: relative(point[j]),
        };
        Estimates {
            ipw: est(0),
            snipw: est(1),
            dm: est(2),
            dr: est(3),
            replay: est(4),
            matched_rounds: matched,
        }
    };
    let uniform = baseline.as_ref().map(|u| {
        let (point, matched) = estimate(u, None);
        estimates(point, matched, &|b, j| samples[b].2[j])
    });
    let first = log.propensities.first().copied().unwrap_or(0.0);
    let top_items = pi
        .mean_over(log, eval.clone())
        .iter()
        .map(|row| {
            let mut items: Vec<(usize, f64)> = row.iter().copied().enumerate().collect();
            items.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            items
                .into_iter()
                .take(5)
                .map(|(a, p)| (log.action_labels[a].clone(), p))
                .collect()
        })
        .collect();
    Ok(OpeResult {
        rounds: rows,
        actions: log.n_actions(),
        positions: log.n_slots(),
        clicks: t.reward.iter().sum(),
        on_policy_value: on_policy,
        on_policy_ci: interval(samples.iter().map(|s| s.1).collect()),
        policy: match &log.segments {
            Some(seg) if params.policy.splits_by_segment() => {
                format!("{} per {}", params.policy.name(), seg.column)
            }
            _ => params.policy.name().to_owned(),
        },
        train_rows: train.len(),
        in_sample: train_rows == 0 && params.policy.learns(),
        held_out: train_rows > 0,
        uniform_log: log.propensities.iter().all(|&p| p == first),
        estimates: estimates(point, matched, &|b, j| samples[b].0[j]),
        top_items,
        segment_items: segment_items(log, &pi),
        reward_model: params.reward_model.name().to_owned(),
        context_features: if params.reward_model == RewardModelKind::Logistic
            || params.policy == EvalPolicy::IpwLearner
        {
            log.context.width()
        } else {
            0
        },
        item_features: log
            .items
            .as_ref()
            .filter(|_| params.reward_model == RewardModelKind::Logistic)
            .map(|f| (f.path.display().to_string(), f.width)),
        uniform,
        reward_fit_secs,
        bootstrap: params.bootstrap,
        secs: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disagreeing_estimators_and_thin_replay_are_said() {
        let est = |value: f64, lo: f64, hi: f64| Estimate {
            value,
            ci: [lo, hi],
            relative: value / 0.0042,
        };
        let mut e = Estimates {
            ipw: est(0.0013, 0.0005, 0.0022),
            snipw: est(0.0013, 0.0006, 0.0021),
            dm: est(0.0060, 0.0058, 0.0062),
            dr: est(0.0062, 0.0040, 0.0080),
            replay: est(0.0, 0.0, 0.0),
            matched_rounds: 10,
        };
        let w = e.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("only 10 rounds"), "{}", w[0]);
        assert!(w[1].contains("IPW ×0.31 vs DM ×1.43"), "{}", w[1]);
        e.dm = est(0.0015, 0.0004, 0.0025);
        e.dr = est(0.0014, 0.0004, 0.0025);
        e.matched_rounds = 500;
        assert!(e.warnings().is_empty());
    }
    use crate::params::Hyperparams;
    use crate::task::CancelToken;

    /// Two items, one slot; item 1 clicks more. Logged uniformly (p = ½).
    fn log() -> BanditLog {
        BanditLog::toy(
            vec![0, 1, 0, 1, 0, 1, 0, 1],
            vec![0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
            &["a", "b"],
            0.5,
        )
    }

    fn run(params: EvaluationParams) -> OpeResult {
        let cancel = CancelToken::new();
        evaluate(
            &log(),
            &params.checked().unwrap(),
            1,
            &Reporter::silent(&cancel),
        )
        .unwrap()
    }

    #[test]
    fn estimators_match_a_hand_computed_log() {
        // Most clicked = item b (3 clicks of 4); w = 2 on b's rows, 0 on a's.
        let r = run(EvaluationParams {
            policy: EvalPolicy::MostClicked,
            smoothing: 0.0,
            bootstrap: 50,
            ..Default::default()
        });
        assert_eq!(r.on_policy_value, 0.5);
        assert!((r.estimates.ipw.value - 0.75).abs() < 1e-12); // (2·3)/8
        assert!((r.estimates.snipw.value - 0.75).abs() < 1e-12); // 6 / 8
        assert!((r.estimates.dm.value - 0.75).abs() < 1e-12); // q(b) = 3/4
        assert!((r.estimates.dr.value - 0.75).abs() < 1e-12);
        assert_eq!(r.estimates.matched_rounds, 4);
        assert!((r.estimates.replay.value - 0.75).abs() < 1e-12);
        assert!(r.in_sample);
        let ci = r.estimates.ipw.ci;
        assert!(ci[0] <= 0.75 && 0.75 <= ci[1] && ci[0] < ci[1]);
    }

    #[test]
    fn uniform_on_a_uniform_log_is_the_on_policy_value() {
        let r = run(EvaluationParams::default());
        assert_eq!(r.estimates.ipw.value, r.on_policy_value);
        assert_eq!(r.estimates.snipw.value, r.on_policy_value);
        assert!(!r.in_sample);
        assert!(r.uniform_log);
    }

    #[test]
    fn thompson_needs_binary_rewards_and_names_the_line() {
        let mut l = log();
        l.rewards[3] = 0.5;
        let cancel = CancelToken::new();
        let p = EvaluationParams {
            policy: EvalPolicy::Thompson,
            ..Default::default()
        };
        let e = evaluate(&l, &p.checked().unwrap(), 1, &Reporter::silent(&cancel)).unwrap_err();
        assert!(matches!(e, TaskError::Input(m) if m.contains("line 5") && m.contains("0 or 1")));
    }

    #[test]
    fn most_clicked_per_segment_breaks_ties_low_and_falls_back_per_slot() {
        use crate::bandit::context::Categories;
        // Two slots, three items. Segment "x": item c clicked in slot 0;
        // items a and b once each in slot 1 (tie: a). Segment "y": no
        // click, so the slots' overall favourites: c (slot 0) and a
        // (slot 1, tie with b broken low).
        let mut l = log();
        l.action_labels = vec!["a".into(), "b".into(), "c".into()];
        l.slot_labels = vec!["1".into(), "2".into()];
        l.actions = vec![2, 1, 0, 0, 1, 2, 0, 1];
        l.slots = vec![0, 1, 1, 0, 0, 0, 1, 1];
        l.rewards = vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        l.segments = Some(Categories {
            column: "region".into(),
            codes: vec![
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(1),
                Some(1),
                None,
                None,
            ],
            labels: vec!["x".into(), "y".into()],
        });
        let pi = most_clicked_by_segment(&l, 0..8);
        let picks = |d: &ActionDist| -> Vec<usize> {
            d.iter()
                .map(|row| row.iter().position(|&p| p == 1.0).unwrap())
                .collect()
        };
        assert_eq!(pi.by_segment.len(), 3);
        assert_eq!(picks(&pi.by_segment[1]), [2, 0], "segment x");
        assert_eq!(picks(&pi.by_segment[2]), [2, 0], "segment y falls back");
        assert_eq!(picks(pi.of_row(&l, 7)), [2, 0], "no segment value");
        // A slot with no click anywhere falls back to the lowest item.
        l.rewards = vec![0.0; 8];
        let pi = most_clicked_by_segment(&l, 0..8);
        assert_eq!(picks(&pi.by_segment[1]), [0, 0]);
    }

    #[test]
    fn a_training_share_evaluates_on_the_later_rows() {
        let r = run(EvaluationParams {
            policy: EvalPolicy::MostClicked,
            train_fraction: 0.5,
            bootstrap: 20,
            ..Default::default()
        });
        assert_eq!((r.train_rows, r.rounds), (4, 4));
        assert!(!r.in_sample);
    }
}
