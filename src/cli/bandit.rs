//! `shoplens bandit simulate|evaluate|learn`: fill the bandit lab's settings from
//! the flags (the core's defaults where a flag is not given), then race
//! bandit policies on Bernoulli arms, or estimate a policy's value from a
//! logged file.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::run_quietly;
use super::args::{HyperFlags, RoleArgs, SpecSource};
use crate::bandit::arms::{arms_from_store, ArmRate, ArmUnit};
use crate::bandit::params::{EvalPolicy, PolicyChoice};
use crate::bandit::settings::{EvaluationSettings, SimulationSettings};
use crate::bandit::BanditResult;
use crate::runs::{DataContext, RunKind, SideData};

#[derive(Subcommand, Debug)]
pub enum BanditCommand {
    /// Race policies on Bernoulli arms (typed rates, or the store's most viewed items).
    Simulate(Box<SimulateArgs>),
    /// Estimate a policy's click rate from logged feedback (IPW, SNIPW, DM, DR, replay).
    Evaluate(Box<EvaluateArgs>),
    /// Learn a policy from the first part of a log (obp's IPW learner) and
    /// estimate it on the rest, beside uniform random and the logged policy.
    Learn(Box<EvaluateArgs>),
}

/// The simulator's parameters, as flags.
#[derive(Clone, Debug)]
pub struct SimulationSpecs;

impl SpecSource for SimulationSpecs {
    const KINDS: &'static [RunKind] = &[crate::bandit::KIND];
    const MODELS: Option<&'static [&'static str]> = Some(&["bandit-simulation"]);
}

/// Off-policy evaluation's parameters, as flags.
#[derive(Clone, Debug)]
pub struct EvaluationSpecs;

impl SpecSource for EvaluationSpecs {
    const KINDS: &'static [RunKind] = &[crate::bandit::KIND];
    const MODELS: Option<&'static [&'static str]> = Some(&["bandit-ope"]);
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Arm rates, e.g. 0.05,0.04,0.03 (or --data with --top).
    #[arg(long)]
    pub arms: Option<String>,
    /// Rates per user segment instead of --arms: one `;`-separated group
    /// per segment, each a rate per arm
    /// (`0.05,0.01,0.01;0.01,0.05,0.01;0.01,0.01,0.05`); the linear
    /// policies (linucb, lints) see each round's segment.
    #[arg(long)]
    pub segment_arms: Option<String>,
    /// The segments' shares of users, `0.5,0.3,0.2` (default: equal).
    #[arg(long, requires = "segment_arms")]
    pub segment_shares: Option<String>,
    /// Rates per user segment read from --data, within each value of this
    /// user column: a logged file's --top most shown items' click rates
    /// (each segment's share its share of rows), or a store's --top most
    /// viewed items' (or --categories') purchases (or --carts) ÷ views (each
    /// segment's share its share of views).
    #[arg(long, requires = "data", conflicts_with_all = ["segment_arms", "arms"])]
    pub segment_col: Option<String>,
    /// A store whose most viewed items (or categories) become the arms.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub roles: RoleArgs,
    /// How many of the store's most viewed items or categories.
    #[arg(long, default_value_t = SimulationSettings::default().top)]
    pub top: usize,
    /// Arms from categories instead of items.
    #[arg(long)]
    pub categories: bool,
    /// Rate of a store arm: carts ÷ views instead of purchases ÷ views.
    #[arg(long)]
    pub carts: bool,
    /// Comma-separated: uniform, epsilon:E, ucb1, thompson [default: epsilon,ucb1,thompson].
    #[arg(long)]
    pub policies: Option<String>,
    #[arg(long, default_value_t = SimulationSettings::default().seed)]
    pub seed: u64,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<SimulationSpecs>,
}

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The logged file (the Open Bandit Dataset's all.csv is recognised).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
    /// uniform, most-clicked, thompson, epsilon:E (ε-mix of most clicked and uniform)
    /// or ipw-learner [default: uniform].
    #[arg(long)]
    pub policy: Option<String>,
    #[arg(long, default_value_t = EvaluationSettings::default().seed)]
    pub seed: u64,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<EvaluationSpecs>,
}

pub fn run(command: &BanditCommand) -> Result<(), String> {
    match command {
        BanditCommand::Simulate(args) => simulate(args),
        BanditCommand::Evaluate(args) => evaluate(args, args.settings()?),
        BanditCommand::Learn(args) => evaluate(args, args.learn_settings()?),
    }
}

impl SimulateArgs {
    /// The race the flags describe, its arms read from the store when asked.
    pub fn settings(
        &self,
    ) -> Result<(SimulationSettings, Option<Arc<crate::data::Dataset>>), String> {
        let mut s = SimulationSettings {
            seed: self.seed,
            top: self.top,
            ..Default::default()
        };
        self.hyper.apply(&mut s.params)?;
        if let Some(text) = &self.policies {
            s.policies = text
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(PolicyChoice::parse)
                .collect::<Result<_, _>>()?;
        }
        s.unit = if self.categories {
            ArmUnit::Categories
        } else {
            ArmUnit::Items
        };
        s.rate = if self.carts {
            ArmRate::Cart
        } else {
            ArmRate::Purchase
        };
        if let (Some(column), Some(path)) = (&self.segment_col, &self.data) {
            let ds = self.roles.load(path)?;
            s.per_segment = true;
            s.from_store = false;
            s.segment_col = column.clone();
            let catalogue = crate::data::catalogue::Catalogue::beside(&ds.path);
            crate::bandit::settings::LogSegments::read(&ds, catalogue.as_ref(), &s)
                .map_err(|e| e.to_string())?
                .apply(&mut s);
            return Ok((s, Some(Arc::new(ds))));
        }
        if let Some(rates) = &self.segment_arms {
            if self.arms.is_some() || self.data.is_some() {
                return Err("give the rates either per segment (--segment-arms) or per arm (--arms / --data), not both".into());
            }
            s.per_segment = true;
            s.from_store = false;
            s.segment_rates = rates.clone();
            s.segment_shares = self.segment_shares.clone().unwrap_or_default();
            return Ok((s, None));
        }
        let dataset = match (&self.arms, &self.data) {
            (Some(text), None) => {
                s.from_store = false;
                s.typed = text.clone();
                None
            }
            (None, Some(path)) => {
                let ds = self.roles.load(path)?;
                let catalogue = crate::data::catalogue::Catalogue::beside(path);
                s.arms = arms_from_store(&ds, catalogue.as_ref(), s.unit, s.rate, s.top)
                    .map_err(|e| e.to_string())?;
                Some(Arc::new(ds))
            }
            _ => {
                return Err(
                    "give the arms either as --arms 0.05,0.04,… or as --data FILE [--top N]".into(),
                )
            }
        };
        Ok((s, dataset))
    }
}

fn simulate(args: &SimulateArgs) -> Result<(), String> {
    let (settings, dataset) = args.settings()?;
    let side = SideData::default();
    let data = DataContext::with_default_weights(dataset.as_ref(), &side);
    let (_, result) = run_quietly(&settings.request(&data, settings.params.clone())?)?;
    let BanditResult::Simulation(r) = &*result else {
        return Err("the run produced no simulation".into());
    };
    if args.json {
        let out = json!({
            "arms": r.arms,
            "horizon": r.horizon,
            "replications": r.finished,
            "policies": r.policies.iter().map(|p| json!({
                "policy": p.policy,
                "mean_reward": p.mean_reward,
                "mean_regret": p.mean_regret,
                "se_regret": p.se_regret,
                "best_arm_share": p.best_arm_share,
                "pulls": p.pulls,
                "segment_regret": p.segment_regret,
            })).collect::<Vec<_>>(),
            "segments": r.segments,
            "secs": r.secs,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "{} arms, {} rounds, {} replications ({:.2} s)",
        r.arms.len(),
        r.horizon,
        r.finished,
        r.secs
    );
    for a in &r.arms {
        println!("  {:<40} {:.4}", a.label, a.rate);
    }
    for s in &r.segments {
        let rates: Vec<String> = s.rates.iter().map(|v| format!("{v:.4}")).collect();
        println!("  {} (share {:.2}): {}", s.label, s.share, rates.join(", "));
    }
    println!(
        "{:<22} {:>12} {:>18} {:>10}",
        "policy", "reward/round", "regret at T ± se", "best arm"
    );
    for p in &r.policies {
        println!(
            "{:<22} {:>12.5} {:>11.1} ± {:<5.1} {:>9.1}%",
            p.policy,
            p.mean_reward,
            p.mean_regret,
            p.se_regret,
            p.best_arm_share * 100.0
        );
        if !r.segments.is_empty() {
            let per: Vec<String> = r
                .segments
                .iter()
                .zip(&p.segment_regret)
                .map(|(s, g)| format!("{} {g:.1}", s.label))
                .collect();
            println!("{:<22} regret by segment: {}", "", per.join(", "));
        }
    }
    Ok(())
}

impl EvaluateArgs {
    /// The evaluation the flags describe.
    pub fn settings(&self) -> Result<EvaluationSettings, String> {
        let mut s = EvaluationSettings {
            seed: self.seed,
            ..Default::default()
        };
        self.hyper.apply(&mut s.params)?;
        if let Some(text) = &self.policy {
            let (policy, epsilon) = parse_policy(text)?;
            s.params.policy = policy;
            if let Some(e) = epsilon {
                s.params.epsilon = e;
            }
        }
        Ok(s)
    }

    /// `bandit learn`: the IPW learner, learning from the first half of the
    /// log unless `--train-fraction` says otherwise (never in-sample).
    pub fn learn_settings(&self) -> Result<EvaluationSettings, String> {
        if self.policy.as_deref().is_some_and(|p| p != "ipw-learner") {
            return Err(
                "bandit learn learns its own policy; use bandit evaluate for --policy".into(),
            );
        }
        let mut s = self.settings()?;
        s.params.policy = EvalPolicy::IpwLearner;
        if s.params.train_fraction == 0.0 {
            s.params.train_fraction = 0.5;
        }
        Ok(s)
    }
}

/// `uniform`, `most-clicked`, `thompson`, `epsilon` or `epsilon:E`.
fn parse_policy(text: &str) -> Result<(EvalPolicy, Option<f64>), String> {
    if let Some(e) = text.strip_prefix("epsilon:") {
        let e = e
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("--policy epsilon:{e}: ε must be a number"))?;
        return Ok((EvalPolicy::Epsilon, Some(e)));
    }
    let policy = match text {
        "uniform" => EvalPolicy::Uniform,
        "most-clicked" => EvalPolicy::MostClicked,
        "thompson" => EvalPolicy::Thompson,
        "epsilon" => EvalPolicy::Epsilon,
        "ipw-learner" => EvalPolicy::IpwLearner,
        other => {
            return Err(format!(
                "unknown policy '{other}'; use uniform, most-clicked, thompson, epsilon:E or ipw-learner"
            ))
        }
    };
    Ok((policy, None))
}

fn evaluate(args: &EvaluateArgs, settings: EvaluationSettings) -> Result<(), String> {
    // The file is the log, whatever its columns say (a file that is not
    // one gets the log reader's own message).
    let log = crate::bandit::settings::LoggedFile(Arc::new(args.roles.load(&args.data)?));
    let side = SideData::default().with(Arc::new(log), false);
    let data = DataContext::with_default_weights(None, &side);
    let (_, result) = run_quietly(&settings.request(&data, settings.params.clone())?)?;
    let BanditResult::Evaluation(r) = &*result else {
        return Err("the run produced no evaluation".into());
    };
    let e = &r.estimates;
    if args.json {
        let est = |x: &crate::bandit::ope::Estimate| json!({"value": x.value, "ci": x.ci, "relative": x.relative});
        let mut replay = est(&e.replay);
        replay["matched_rounds"] = json!(e.matched_rounds);
        let out = json!({
            "rounds": r.rounds,
            "actions": r.actions,
            "positions": r.positions,
            "clicks": r.clicks,
            "on_policy_value": r.on_policy_value,
            "policy": match settings.params.policy {
                EvalPolicy::Epsilon => args.policy.clone().unwrap_or_else(|| "epsilon".into()),
                p => p.name().to_owned(),
            },
            "logged": {"value": r.on_policy_value, "ci": r.on_policy_ci},
            "uniform": r.uniform.as_ref().map(|u| json!({
                "ipw": est(&u.ipw),
                "snipw": est(&u.snipw),
                "dm": est(&u.dm),
                "dr": est(&u.dr),
            })),
            "top_items": r.top_items,
            "train_rows": r.train_rows,
            "in_sample": r.in_sample,
            "estimates": {
                "ipw": est(&e.ipw),
                "snipw": est(&e.snipw),
                "dm": est(&e.dm),
                "dr": est(&e.dr),
                "replay": replay,
            },
            "metrics": {
                "ipw": e.ipw.value,
                "snipw": e.snipw.value,
                "dm": e.dm.value,
                "dr": e.dr.value,
            },
            "reward_model": r.reward_model,
            "context_features": r.context_features,
            "item_features": r.item_features.as_ref().map(|(file, width)| json!({"file": file, "features": width})),
            "reward_fit_secs": r.reward_fit_secs,
            "segment_items": r.segment_items,
            "comparison": r.comparison(),
            "warnings": e.warnings(),
            "secs": r.secs,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "{} rounds evaluated ({} items, {} slots), {} clicks; logged policy's click rate {:.5}",
        r.rounds, r.actions, r.positions, r.clicks, r.on_policy_value
    );
    if r.in_sample {
        println!(
            "in-sample: the policy learned from the rows it is evaluated on (use --train-fraction)"
        );
    }
    for (name, x) in [
        ("IPW", &e.ipw),
        ("SNIPW", &e.snipw),
        ("DM", &e.dm),
        ("DR", &e.dr),
        ("replay", &e.replay),
    ] {
        println!(
            "{name:<7} {:.5}  95% [{:.5}, {:.5}]  ×{:.2} of logged",
            x.value, x.ci[0], x.ci[1], x.relative
        );
    }
    println!("replay matched {} rounds", e.matched_rounds);
    if let Some(sentence) = r.reward_model_sentence() {
        println!("{sentence}");
    }
    for s in &r.segment_items {
        println!("{} = {}: {}", s.column, s.value, s.items.join(", "));
    }
    if let Some(u) = &r.uniform {
        println!(
            "uniform random beside it: DR {:.5}  95% [{:.5}, {:.5}]",
            u.dr.value, u.dr.ci[0], u.dr.ci[1]
        );
    }
    if settings.params.policy == EvalPolicy::IpwLearner {
        for (slot, items) in r.top_items.iter().enumerate() {
            let shown: Vec<String> = items
                .iter()
                .filter(|(_, p)| *p > 0.0)
                .map(|(item, p)| format!("{item} {:.0}%", p * 100.0))
                .collect();
            println!("learnt, slot {}: {}", slot + 1, shown.join(", "));
        }
    }
    println!("{}", r.comparison());
    for w in e.warnings() {
        println!("note: {w}");
    }
    Ok(())
}
