//! The Bernoulli bandit simulator: every policy plays the same arms for T
//! rounds, replication after replication, on worker threads.
//!
//! Definitions (rounds t = 1…T; every argmax breaks ties by the lowest arm
//! index):
//! - **uniform**: a uniform arm.
//! - **ε-greedy**: with probability ε_t = ε / (1 + decay·(t − 1)) a uniform
//!   arm; otherwise the first arm never played, otherwise the highest
//!   empirical mean (successes ÷ pulls).
//! - **UCB1**: arms 1…K once in index order, then argmax mean + √(2 ln t / n_a).
//! - **Thompson sampling**: one draw from each arm's Beta(α₀ + successes,
//!   β₀ + failures), in index order; the largest is played.
//! - **LinUCB** (Li et al. 2010, disjoint models): each arm keeps
//!   A = λI + Σ x xᵀ and b = Σ r x over its plays; it plays argmax
//!   θ̂·x + α √(xᵀA⁻¹x) with θ̂ = A⁻¹b (A⁻¹ kept by Sherman–Morrison).
//! - **linear Thompson sampling** (Agrawal & Goyal 2013, one model per
//!   arm): each arm's θ̃ ~ N(θ̂, v²A⁻¹) and the largest θ̃·x is played.
//!   Only θ̃·x is needed, and it is N(θ̂·x, v² xᵀA⁻¹x): one normal draw per
//!   arm, the same distribution as drawing the whole θ̃.
//! - **logistic Thompson sampling** (Chapelle & Li 2011, as obp's
//!   `LogisticTS` with batches of one round): each arm's weights have a
//!   Gaussian posterior N(m, diag(1/q)), q starting at λ; it plays the arm
//!   whose drawn weights w̃ ~ N(m, α² diag(1/q)) give the largest w̃·x, and
//!   after each play the Laplace step sets m to the minimiser of
//!   ½ Σ qᵢ (wᵢ − mᵢ)² + log(1 + e^{−y w·x}) (y = ±1; Newton's method) and
//!   adds p(1 − p) xᵢ² to qᵢ, p = σ(m·x). With one-hot x only the round's
//!   segment coordinate moves, so both the draw and the step are
//!   one-dimensional.
//! - **pseudo-regret** at t = Σ_{s≤t} (p*_{g_s} − p_{g_s, a_s}), p*_g the
//!   best rate for round s's user segment g_s.
//!
//! **Segments**: with per-segment rates, each round's user comes from
//! segment g with its share's probability (its own stream, so every policy
//! meets the same users); the round's context x is the one-hot of g, which
//! the linear policies see and the others do not. Without segments there
//! is one segment of share 1 and x = (1).
//!
//! Randomness: replication r of every policy uses the same three streams
//! seeded from (seed, r) — the reward draw of each round (reward = u_t <
//! p_{a_t}, one u_t per round whatever arm is played), the choice stream
//! (uniform arms, Thompson's draws) and ε-greedy's coin — so policies meet
//! the same luck, results do not depend on the thread count, and ε-greedy
//! with ε = 1 plays exactly the uniform policy's arms.

use std::sync::Arc;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{PolicyChoice, PolicyKind, SimulationParams};
use crate::params::Checked;
use crate::task::{EpochEvent, Reporter, TaskError};
use crate::text::model::sigmoid;

/// Checkpoints per curve (fewer when the horizon is shorter).
const GRID: usize = 200;

/// One arm: what it stands for and its success rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    pub label: String,
    pub rate: f64,
}

/// A group of users with its own success rate for every arm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub label: String,
    /// Share of rounds (normalised over the segments).
    pub share: f64,
    /// One rate per arm, in the arms' order.
    pub rates: Vec<f64>,
}

/// A policy's curves and table row over the finished replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicySummary {
    /// `epsilon:0.1`, `ucb1`, …
    pub policy: String,
    pub label: String,
    /// Reward per round, averaged over replications.
    pub mean_reward: f64,
    /// Pseudo-regret at T, averaged over replications.
    pub mean_regret: f64,
    /// Standard error of that mean (sample standard deviation / √n).
    pub se_regret: f64,
    /// Share of rounds that played a best arm.
    pub best_arm_share: f64,
    /// At each checkpoint: mean cumulative reward and its 10% and 90%
    /// quantiles over replications (linear interpolation, as numpy's default).
    pub reward: Band,
    pub regret: Band,
    /// Share of best-arm plays within each checkpoint's stretch of rounds.
    pub best_share: Vec<f64>,
    /// Mean pulls of each arm over T rounds.
    pub pulls: Vec<f64>,
    /// Pseudo-regret at T collected in each segment's rounds, averaged over
    /// replications (one entry without segments).
    #[serde(default)]
    pub segment_regret: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub mean: Vec<f64>,
    pub p10: Vec<f64>,
    pub p90: Vec<f64>,
}

/// The race so far (also while it runs, and after a cancel).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimulationResult {
    pub arms: Vec<Arm>,
    /// The user segments and their rates (empty for one group of users).
    #[serde(default)]
    pub segments: Vec<Segment>,
    pub horizon: usize,
    pub replications: usize,
    /// Replications every policy finished.
    pub finished: usize,
    /// The rounds each curve point is at.
    pub grid: Vec<usize>,
    pub policies: Vec<PolicySummary>,
    pub secs: f64,
}

/// "8 arms, best rate 0.0500", or with segments "3 arms × 3 user segments,
/// each segment's best rate 0.0500–0.0500".
pub fn describe_arms(arms: &[Arm], segments: &[Segment]) -> String {
    if segments.is_empty() {
        return format!(
            "{} arms, best rate {:.4}",
            arms.len(),
            arms.iter().map(|a| a.rate).fold(0.0, f64::max)
        );
    }
    let best: Vec<f64> = segments
        .iter()
        .map(|s| s.rates.iter().copied().fold(0.0, f64::max))
        .collect();
    let (lo, hi) = best
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &b| (l.min(b), h.max(b)));
    format!(
        "{} arms × {} user segments, each segment's best rate {lo:.4}–{hi:.4}",
        arms.len(),
        segments.len()
    )
}

impl SimulationResult {
    /// The race's verdict in words: the policy with the least mean regret,
    /// or the policies tied with it — those whose mean regret is within two
    /// standard errors of the difference (√(se₁² + se₂²)), since that gap
    /// is what the replications cannot tell apart.
    pub fn verdict(&self) -> Option<String> {
        if self.finished == 0 {
            return None;
        }
        let mut by_regret: Vec<&PolicySummary> = self.policies.iter().collect();
        by_regret.sort_by(|a, b| a.mean_regret.total_cmp(&b.mean_regret));
        let best = by_regret.first()?;
        let tied: Vec<&&PolicySummary> = by_regret[1..]
            .iter()
            .filter(|p| {
                let gap = p.mean_regret - best.mean_regret;
                gap <= 2.0 * (p.se_regret.powi(2) + best.se_regret.powi(2)).sqrt()
            })
            .collect();
        let rounds = crate::display::thousands(self.horizon as u64);
        let regret = |p: &PolicySummary| format!("{:.1} ± {:.1}", p.mean_regret, p.se_regret);
        Some(if tied.is_empty() {
            format!(
                "{} lost least: regret {} after {rounds} rounds",
                best.label,
                regret(best)
            )
        } else {
            let mut names = vec![format!("{} ({})", best.label, regret(best))];
            names.extend(tied.iter().map(|p| format!("{} ({})", p.label, regret(p))));
            format!(
                "A tie after {rounds} rounds: {} — their regrets are within two standard errors",
                names.join(", ")
            )
        })
    }
}

/// What one replication of one policy leaves behind.
struct Replication {
    reward_at: Vec<u32>,
    regret_at: Vec<f64>,
    best_in_stretch: Vec<u32>,
    pulls: Vec<u32>,
    best_plays: u32,
    segment_regret: Vec<f64>,
}

/// The checkpoints: ⌈T·(g + 1)/G⌉ for g < G, ending at T.
pub fn grid(horizon: usize) -> Vec<usize> {
    let g = GRID.min(horizon);
    (0..g).map(|i| (horizon * (i + 1)).div_ceil(g)).collect()
}

fn stream(seed: u64, replication: usize, which: u64) -> Xoshiro256PlusPlus {
    // SplitMix64 of the three, so nearby seeds give unrelated streams.
    let mut z = seed
        ^ (replication as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ which.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(z ^ (z >> 31))
}

/// The index of the largest value; ties go to the lowest index.
fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// A policy with its numbers resolved.
#[derive(Clone, Copy, Debug)]
enum Resolved {
    Uniform,
    Epsilon { epsilon: f64, decay: f64 },
    Ucb1,
    Thompson { alpha0: f64, beta0: f64 },
    LinUcb { alpha: f64, ridge: f64 },
    LinTs { v: f64, ridge: f64 },
    LogisticTs { alpha: f64, ridge: f64 },
}

impl Resolved {
    fn of(choice: &PolicyChoice, p: &SimulationParams) -> Self {
        match choice.kind {
            PolicyKind::Uniform => Resolved::Uniform,
            PolicyKind::Epsilon => Resolved::Epsilon {
                epsilon: choice.epsilon.unwrap_or(p.epsilon),
                decay: p.epsilon_decay,
            },
            PolicyKind::Ucb1 => Resolved::Ucb1,
            PolicyKind::Thompson => Resolved::Thompson {
                alpha0: p.alpha0,
                beta0: p.beta0,
            },
            PolicyKind::LinUcb => Resolved::LinUcb {
                alpha: p.linucb_alpha,
                ridge: p.ridge,
            },
            PolicyKind::LinTs => Resolved::LinTs {
                v: p.lints_v,
                ridge: p.ridge,
            },
            PolicyKind::LogisticTs => Resolved::LogisticTs {
                alpha: p.logts_alpha,
                ridge: p.ridge,
            },
        }
    }
}

fn beta(a: f64, b: f64) -> Result<Beta<f64>, TaskError> {
    Beta::new(a, b).map_err(|e| TaskError::Input(format!("Beta({a}, {b}): {e}")))
}

/// The rates each round's user meets: per segment, with the segments'
/// cumulative shares for drawing them.
struct Users {
    rates: Vec<Vec<f64>>,
    best: Vec<f64>,
    cumulative: Vec<f64>,
}

impl Users {
    fn new(rates: Vec<Vec<f64>>, shares: &[f64]) -> Self {
        let best = rates
            .iter()
            .map(|r| r.iter().copied().fold(f64::NEG_INFINITY, f64::max))
            .collect();
        let total: f64 = shares.iter().sum();
        let mut acc = 0.0;
        let cumulative = shares
            .iter()
            .map(|s| {
                acc += s / total;
                acc
            })
            .collect();
        Self {
            rates,
            best,
            cumulative,
        }
    }

    fn segments(&self) -> usize {
        self.rates.len()
    }

    /// The segment of a draw `u` in [0, 1).
    fn segment_of(&self, u: f64) -> usize {
        self.cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.segments() - 1)
    }
}

/// One arm's disjoint linear model over one-hot segment contexts:
/// A⁻¹ (d × d, row-major) and b.
struct LinearArm {
    a_inv: Vec<f64>,
    b: Vec<f64>,
}

impl LinearArm {
    fn new(d: usize, ridge: f64) -> Self {
        let mut a_inv = vec![0.0; d * d];
        for i in 0..d {
            a_inv[i * d + i] = 1.0 / ridge;
        }
        Self {
            a_inv,
            b: vec![0.0; d],
        }
    }

    /// (θ̂·x, xᵀA⁻¹x) for x the one-hot of `g`: row g of A⁻¹ against b,
    /// and A⁻¹'s diagonal entry.
    fn mean_and_variance(&self, g: usize) -> (f64, f64) {
        let d = self.b.len();
        let row = &self.a_inv[g * d..(g + 1) * d];
        let mean = row.iter().zip(&self.b).map(|(a, b)| a * b).sum();
        (mean, row[g])
    }

    /// Add the play (x = e_g, reward r): Sherman–Morrison on A⁻¹.
    fn update(&mut self, g: usize, reward: f64) {
        let d = self.b.len();
        let u: Vec<f64> = (0..d).map(|i| self.a_inv[i * d + g]).collect();
        let denominator = 1.0 + u[g];
        for i in 0..d {
            for j in 0..d {
                self.a_inv[i * d + j] -= u[i] * u[j] / denominator;
            }
        }
        self.b[g] += reward;
    }
}

/// One arm's Bayesian logistic model over one-hot segment contexts: the
/// posterior mean m and precision q of each segment's weight.
struct LogisticArm {
    mean: Vec<f64>,
    precision: Vec<f64>,
}

impl LogisticArm {
    fn new(d: usize, ridge: f64) -> Self {
        Self {
            mean: vec![0.0; d],
            precision: vec![ridge; d],
        }
    }

    /// The Laplace step after a play in segment `g` with outcome `won`:
    /// Newton's method on ½q(w − m)² + log(1 + e^{−y w}), then q += p(1 − p).
    fn update(&mut self, g: usize, won: bool) {
        let (m, q) = (self.mean[g], self.precision[g]);
        let target = if won { 1.0 } else { 0.0 };
        let mut w = m;
        for _ in 0..50 {
            let p = sigmoid(w);
            // d/dw of log(1 + e^{−yw}) is −y σ(−yw) = σ(w) − [won].
            let gradient = q * (w - m) + p - target;
            let hessian = q + p * (1.0 - p);
            let step = gradient / hessian;
            w -= step;
            if step.abs() < 1e-12 * (1.0 + w.abs()) {
                break;
            }
        }
        let p = sigmoid(w);
        self.mean[g] = w;
        self.precision[g] = q + p * (1.0 - p);
    }
}

fn replicate(
    policy: Resolved,
    users: &Users,
    grid: &[usize],
    seed: u64,
    replication: usize,
) -> Result<Replication, TaskError> {
    let k = users.rates[0].len();
    let d = users.segments();
    let mut rewards = stream(seed, replication, 1);
    let mut choice = stream(seed, replication, 2);
    let mut coin = stream(seed, replication, 3);
    let mut who = stream(seed, replication, 4);
    let mut pulls = vec![0u32; k];
    let mut wins = vec![0u32; k];
    let mut posteriors = match policy {
        Resolved::Thompson { alpha0, beta0 } => (0..k)
            .map(|_| beta(alpha0, beta0))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let mut linear: Vec<LinearArm> = match policy {
        Resolved::LinUcb { ridge, .. } | Resolved::LinTs { ridge, .. } => {
            (0..k).map(|_| LinearArm::new(d, ridge)).collect()
        }
        _ => Vec::new(),
    };
    let mut logistic: Vec<LogisticArm> = match policy {
        Resolved::LogisticTs { ridge, .. } => (0..k).map(|_| LogisticArm::new(d, ridge)).collect(),
        _ => Vec::new(),
    };
    let horizon = grid.last().copied().unwrap_or(0);
    let mut out = Replication {
        reward_at: Vec::with_capacity(grid.len()),
        regret_at: Vec::with_capacity(grid.len()),
        best_in_stretch: Vec::with_capacity(grid.len()),
        pulls: Vec::new(),
        best_plays: 0,
        segment_regret: vec![0.0; d],
    };
    let (mut total, mut regret, mut stretch_best) = (0u32, 0.0f64, 0u32);
    let mut next = 0usize;
    for t in 1..=horizon {
        // One group of users draws nothing, so a race without segments
        // keeps its numbers.
        let g = if d == 1 {
            0
        } else {
            users.segment_of(who.gen::<f64>())
        };
        let rates = &users.rates[g];
        let arm = match policy {
            Resolved::Uniform => choice.gen_range(0..k),
            Resolved::Epsilon { epsilon, decay } => {
                let e = epsilon / (1.0 + decay * (t - 1) as f64);
                if coin.gen::<f64>() < e {
                    choice.gen_range(0..k)
                } else if let Some(untried) = pulls.iter().position(|&n| n == 0) {
                    untried
                } else {
                    argmax((0..k).map(|a| f64::from(wins[a]) / f64::from(pulls[a])))
                }
            }
            Resolved::Ucb1 => {
                if t <= k {
                    t - 1
                } else {
                    let bonus = 2.0 * (t as f64).ln();
                    argmax((0..k).map(|a| {
                        let n = f64::from(pulls[a]);
                        f64::from(wins[a]) / n + (bonus / n).sqrt()
                    }))
                }
            }
            Resolved::Thompson { .. } => argmax(posteriors.iter().map(|d| d.sample(&mut choice))),
            Resolved::LinUcb { alpha, .. } => argmax(linear.iter().map(|m| {
                let (mean, var) = m.mean_and_variance(g);
                mean + alpha * var.max(0.0).sqrt()
            })),
            Resolved::LinTs { v, .. } => argmax(linear.iter().map(|m| {
                let (mean, var) = m.mean_and_variance(g);
                let z: f64 = StandardNormal.sample(&mut choice);
                mean + v * var.max(0.0).sqrt() * z
            })),
            Resolved::LogisticTs { alpha, .. } => argmax(logistic.iter().map(|m| {
                // σ is increasing, so the largest w̃·x wins.
                let z: f64 = StandardNormal.sample(&mut choice);
                m.mean[g] + alpha * z / m.precision[g].sqrt()
            })),
        };
        let won = rewards.gen::<f64>() < rates[arm];
        pulls[arm] += 1;
        wins[arm] += u32::from(won);
        total += u32::from(won);
        let lost = users.best[g] - rates[arm];
        regret += lost;
        out.segment_regret[g] += lost;
        let is_best = rates[arm] == users.best[g];
        stretch_best += u32::from(is_best);
        out.best_plays += u32::from(is_best);
        match policy {
            Resolved::Thompson { alpha0, beta0 } => {
                let n = f64::from(pulls[arm]);
                let s = f64::from(wins[arm]);
                posteriors[arm] = beta(alpha0 + s, beta0 + n - s)?;
            }
            Resolved::LinUcb { .. } | Resolved::LinTs { .. } => {
                linear[arm].update(g, f64::from(u8::from(won)));
            }
            Resolved::LogisticTs { .. } => logistic[arm].update(g, won),
            _ => {}
        }
        if t == grid[next] {
            out.reward_at.push(total);
            out.regret_at.push(regret);
            out.best_in_stretch.push(stretch_best);
            stretch_best = 0;
            next += 1;
        }
    }
    out.pulls = pulls;
    Ok(out)
}

/// The q-quantile of sorted values, interpolated linearly between ranks.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn band(n_points: usize, value: impl Fn(usize, &mut Vec<f64>)) -> Band {
    let mut b = Band::default();
    let mut column = Vec::new();
    for g in 0..n_points {
        column.clear();
        value(g, &mut column);
        column.sort_by(f64::total_cmp);
        b.mean
            .push(column.iter().sum::<f64>() / column.len().max(1) as f64);
        b.p10.push(quantile(&column, 0.1));
        b.p90.push(quantile(&column, 0.9));
    }
    b
}

fn summarise(
    choice: &PolicyChoice,
    params: &SimulationParams,
    reps: &[Replication],
    grid: &[usize],
    arms: usize,
) -> PolicySummary {
    let n = reps.len().max(1) as f64;
    let horizon = grid.last().copied().unwrap_or(0).max(1) as f64;
    let regrets: Vec<f64> = reps
        .iter()
        .map(|r| r.regret_at.last().copied().unwrap_or(0.0))
        .collect();
    let mean_regret = regrets.iter().sum::<f64>() / n;
    let se_regret = if reps.len() > 1 {
        let var = regrets
            .iter()
            .map(|x| (x - mean_regret).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        (var / n).sqrt()
    } else {
        0.0
    };
    let stretch = |g: usize| (grid[g] - if g == 0 { 0 } else { grid[g - 1] }).max(1) as f64;
    PolicySummary {
        policy: choice.name(params),
        label: choice.label(params),
        mean_reward: reps
            .iter()
            .map(|r| f64::from(r.reward_at.last().copied().unwrap_or(0)) / horizon)
            .sum::<f64>()
            / n,
        mean_regret,
        se_regret,
        best_arm_share: reps
            .iter()
            .map(|r| f64::from(r.best_plays) / horizon)
            .sum::<f64>()
            / n,
        reward: band(grid.len(), |g, c| {
            c.extend(reps.iter().map(|r| f64::from(r.reward_at[g])))
        }),
        regret: band(grid.len(), |g, c| {
            c.extend(reps.iter().map(|r| r.regret_at[g]))
        }),
        best_share: (0..grid.len())
            .map(|g| {
                reps.iter()
                    .map(|r| f64::from(r.best_in_stretch[g]))
                    .sum::<f64>()
                    / n
                    / stretch(g)
            })
            .collect(),
        pulls: (0..arms)
            .map(|a| reps.iter().map(|r| f64::from(r.pulls[a])).sum::<f64>() / n)
            .collect(),
        segment_regret: (0..reps.first().map_or(0, |r| r.segment_regret.len()))
            .map(|g| reps.iter().map(|r| r.segment_regret[g]).sum::<f64>() / n)
            .collect(),
    }
}

/// Check the arms and policies a simulation is asked for.
pub fn check_setup(
    arms: &[Arm],
    segments: &[Segment],
    policies: &[PolicyChoice],
) -> Result<(), TaskError> {
    for (i, s) in segments.iter().enumerate() {
        if s.rates.len() != arms.len() {
            return Err(TaskError::Input(format!(
                "segment {} ({}) has {} rates for {} arms; give every segment one rate per arm",
                i + 1,
                s.label,
                s.rates.len(),
                arms.len()
            )));
        }
        if let Some((a, r)) = s
            .rates
            .iter()
            .enumerate()
            .find(|(_, r)| !(0.0..=1.0).contains(*r))
        {
            return Err(TaskError::Input(format!(
                "segment {} ({}) gives arm {} the rate {r}; a Bernoulli arm's rate is between 0 and 1",
                i + 1,
                s.label,
                a + 1
            )));
        }
        if !(s.share.is_finite() && s.share > 0.0) {
            return Err(TaskError::Input(format!(
                "segment {} ({}) has share {}; shares must be above 0",
                i + 1,
                s.label,
                s.share
            )));
        }
    }
    if arms.len() < 2 {
        return Err(TaskError::Input(format!(
            "a bandit needs at least 2 arms to choose between; {} given",
            arms.len()
        )));
    }
    if let Some((i, a)) = arms
        .iter()
        .enumerate()
        .find(|(_, a)| !(0.0..=1.0).contains(&a.rate))
    {
        return Err(TaskError::Input(format!(
            "arm {} ({}) has rate {}; a Bernoulli arm's rate is between 0 and 1",
            i + 1,
            a.label,
            a.rate
        )));
    }
    if policies.is_empty() {
        return Err(TaskError::Input(
            "pick at least one policy to simulate".into(),
        ));
    }
    Ok(())
}

/// Race `policies` on `arms`: replications in waves over the threads, the
/// race so far reported as a partial result and an epoch after each wave. A cancel ends it after the current wave and returns the finished
/// replications (`finished < replications`).
pub fn simulate(
    arms: &[Arm],
    segments: &[Segment],
    policies: &[PolicyChoice],
    params: &Checked<SimulationParams>,
    seed: u64,
    reporter: &Reporter,
) -> Result<SimulationResult, TaskError> {
    check_setup(arms, segments, policies)?;
    let started = Instant::now();
    let users = if segments.is_empty() {
        Users::new(vec![arms.iter().map(|a| a.rate).collect()], &[1.0])
    } else {
        Users::new(
            segments.iter().map(|s| s.rates.clone()).collect(),
            &segments.iter().map(|s| s.share).collect::<Vec<_>>(),
        )
    };
    let grid = grid(params.horizon);
    let resolved: Vec<Resolved> = policies.iter().map(|c| Resolved::of(c, params)).collect();
    let total = params.replications;
    // About 25 updates of the charts, whatever the replication count.
    let wave = total.div_ceil(25).max(1);
    let mut done: Vec<Vec<Replication>> = (0..policies.len()).map(|_| Vec::new()).collect();
    let mut finished = 0;
    let result = |done: &[Vec<Replication>], finished: usize| SimulationResult {
        arms: arms.to_vec(),
        segments: segments.to_vec(),
        horizon: params.horizon,
        replications: total,
        finished,
        grid: grid.clone(),
        policies: policies
            .iter()
            .zip(done)
            .map(|(c, reps)| summarise(c, params, reps, &grid, arms.len()))
            .collect(),
        secs: started.elapsed().as_secs_f64(),
    };
    while finished < total {
        if reporter.check().is_err() {
            break;
        }
        let upto = (finished + wave).min(total);
        let jobs: Vec<(usize, usize)> = (0..policies.len())
            .flat_map(|p| (finished..upto).map(move |r| (p, r)))
            .collect();
        let wave_out: Vec<Replication> = jobs
            .par_iter()
            .map(|&(p, r)| replicate(resolved[p], &users, &grid, seed, r))
            .collect::<Result<_, _>>()?;
        for ((p, _), rep) in jobs.iter().zip(wave_out) {
            done[*p].push(rep);
        }
        finished = upto;
        let so_far = result(&done, finished);
        let best = so_far
            .policies
            .iter()
            .map(|p| p.mean_regret)
            .fold(f64::INFINITY, f64::min);
        reporter.epoch(EpochEvent {
            epoch: finished,
            loss: best,
            metric: Some(("best mean regret".into(), best)),
            secs: so_far.secs,
        });
        reporter.progress(
            Some(finished as f32 / total.max(1) as f32),
            &format!("{finished} of {total} replications"),
        );
        reporter.partial(Arc::new(so_far));
    }
    Ok(result(&done, finished))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sherman_morrison_keeps_the_inverse_of_a() {
        // Plays in segments 0, 1, 1 of d = 2 with ridge 2: A = diag(3, 4).
        let mut m = LinearArm::new(2, 2.0);
        m.update(0, 1.0);
        m.update(1, 0.0);
        m.update(1, 1.0);
        let (mean0, var0) = m.mean_and_variance(0);
        let (mean1, var1) = m.mean_and_variance(1);
        assert!((var0 - 1.0 / 3.0).abs() < 1e-12 && (var1 - 0.25).abs() < 1e-12);
        assert!((mean0 - 1.0 / 3.0).abs() < 1e-12 && (mean1 - 0.25).abs() < 1e-12);
    }

    #[test]
    fn the_laplace_step_lands_on_the_minimiser() {
        // Prior N(0, 1), one win: m solves m + σ(m) = 1 (the gradient of
        // ½m² + log(1 + e^{−m}) is zero there), q = 1 + σ(m)(1 − σ(m)).
        let mut a = LogisticArm::new(2, 1.0);
        a.update(1, true);
        let (m, p) = (a.mean[1], sigmoid(a.mean[1]));
        assert!((m + p - 1.0).abs() < 1e-12, "{m}");
        assert!((a.precision[1] - (1.0 + p * (1.0 - p))).abs() < 1e-15);
        assert_eq!((a.mean[0], a.precision[0]), (0.0, 1.0));
        // A loss moves the weight down.
        a.update(0, false);
        assert!(a.mean[0] < 0.0);
    }

    #[test]
    fn segment_draws_follow_the_shares() {
        let users = Users::new(vec![vec![0.1, 0.2]; 3], &[2.0, 1.0, 1.0]);
        assert_eq!(users.segment_of(0.49), 0);
        assert_eq!(users.segment_of(0.5), 1);
        assert_eq!(users.segment_of(0.99), 2);
    }

    fn summary(label: &str, mean_regret: f64, se_regret: f64) -> PolicySummary {
        PolicySummary {
            policy: label.into(),
            label: label.into(),
            mean_reward: 0.0,
            mean_regret,
            se_regret,
            best_arm_share: 0.0,
            reward: Band::default(),
            regret: Band::default(),
            best_share: Vec::new(),
            pulls: Vec::new(),
            segment_regret: Vec::new(),
        }
    }

    fn race(policies: Vec<PolicySummary>) -> SimulationResult {
        SimulationResult {
            arms: Vec::new(),
            segments: Vec::new(),
            horizon: 10_000,
            replications: 100,
            finished: 100,
            grid: Vec::new(),
            policies,
            secs: 0.0,
        }
    }

    #[test]
    fn a_gap_within_two_standard_errors_is_called_a_tie() {
        let tie = race(vec![
            summary("UCB1", 76.2, 6.7),
            summary("Thompson", 75.4, 2.8),
        ]);
        let verdict = tie.verdict().unwrap();
        assert!(verdict.starts_with("A tie"), "{verdict}");
        assert!(
            verdict.contains("Thompson (75.4 ± 2.8), UCB1 (76.2 ± 6.7)"),
            "{verdict}"
        );
        let clear = race(vec![
            summary("UCB1", 361.1, 1.1),
            summary("Thompson", 71.5, 1.7),
        ]);
        assert_eq!(
            clear.verdict().unwrap(),
            "Thompson lost least: regret 71.5 ± 1.7 after 10,000 rounds"
        );
        assert_eq!(race(Vec::new()).verdict(), None);
    }
    use crate::params::Hyperparams;
    use crate::task::CancelToken;

    fn arms(rates: &[f64]) -> Vec<Arm> {
        rates
            .iter()
            .enumerate()
            .map(|(i, &rate)| Arm {
                label: format!("arm {i}"),
                rate,
            })
            .collect()
    }

    fn run(policies: &str, params: SimulationParams, seed: u64) -> SimulationResult {
        let cancel = CancelToken::new();
        let policies: Vec<_> = policies
            .split(',')
            .map(|p| PolicyChoice::parse(p).unwrap())
            .collect();
        simulate(
            &arms(&[0.05, 0.04, 0.03, 0.02, 0.01]),
            &[],
            &policies,
            &params.checked().unwrap(),
            seed,
            &Reporter::silent(&cancel),
        )
        .unwrap()
    }

    fn small() -> SimulationParams {
        SimulationParams {
            horizon: 2000,
            replications: 20,
            ..Default::default()
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_race_at_any_thread_count() {
        let one = crate::task::thread_pool(1)
            .unwrap()
            .install(|| run("uniform,epsilon:0.1,ucb1,thompson", small(), 7));
        let two = crate::task::thread_pool(2)
            .unwrap()
            .install(|| run("uniform,epsilon:0.1,ucb1,thompson", small(), 7));
        assert_eq!(one.policies, two.policies);
        let other = run("uniform,epsilon:0.1,ucb1,thompson", small(), 8);
        assert_ne!(one.policies[3].regret, other.policies[3].regret);
    }

    #[test]
    fn epsilon_one_is_the_uniform_policy() {
        let r = run("uniform,epsilon:1,epsilon:0.5", small(), 3);
        assert_eq!(r.policies[0].regret, r.policies[1].regret);
        assert_eq!(r.policies[0].pulls, r.policies[1].pulls);
        assert_ne!(r.policies[0].regret, r.policies[2].regret);
        // Uniform's expected regret per round is p* − mean p = 0.02.
        let per_round = r.policies[0].mean_regret / 2000.0;
        assert!((per_round - 0.02).abs() < 0.001, "{per_round}");
    }

    #[test]
    fn learning_policies_beat_uniform_and_ucb1_tries_each_arm_first() {
        let long = SimulationParams {
            horizon: 10_000,
            replications: 10,
            ..Default::default()
        };
        let r = run("uniform,ucb1,thompson", long, 1);
        assert!(r.policies[2].mean_regret < r.policies[0].mean_regret / 2.0);
        assert!(r.policies[1].mean_regret < r.policies[0].mean_regret);
        // Regret is never negative and only grows.
        let regret = &r.policies[1].regret.mean;
        assert!(regret.windows(2).all(|w| w[1] >= w[0]));
        let one = SimulationParams {
            horizon: 5,
            replications: 1,
            ..Default::default()
        };
        let u = run("ucb1", one, 1);
        assert_eq!(u.policies[0].pulls, vec![1.0; 5]);
    }

    #[test]
    fn bad_setups_say_what_is_wrong() {
        let p = SimulationParams::default().checked().unwrap();
        let cancel = CancelToken::new();
        let r = Reporter::silent(&cancel);
        let one = simulate(
            &arms(&[0.1]),
            &[],
            &[PolicyChoice::of(PolicyKind::Ucb1)],
            &p,
            1,
            &r,
        );
        assert!(matches!(one, Err(TaskError::Input(m)) if m.contains("at least 2 arms")));
        let bad = simulate(
            &arms(&[0.1, 1.5]),
            &[],
            &[PolicyChoice::of(PolicyKind::Ucb1)],
            &p,
            1,
            &r,
        );
        assert!(matches!(bad, Err(TaskError::Input(m)) if m.contains("between 0 and 1")));
        let zero = SimulationParams {
            horizon: 0,
            ..Default::default()
        };
        assert_eq!(zero.check().unwrap_err()[0].field, "horizon");
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.1) - 1.3).abs() < 1e-12);
        assert!((quantile(&v, 0.9) - 3.7).abs() < 1e-12);
        assert_eq!(grid(10), (1..=10).collect::<Vec<_>>());
        assert_eq!(*grid(20_000).last().unwrap(), 20_000);
    }
}
