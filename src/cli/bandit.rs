//! `shoplens bandit simulate|evaluate`: race bandit policies on Bernoulli
//! arms, or estimate a policy's value from a logged file.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{ParamArgs, RoleArgs};
use crate::bandit::arms::{arms_from_store, typed_arms, ArmRate, ArmUnit};
use crate::bandit::params::{EvalPolicy, EvaluationParams, PolicyChoice, SimulationParams};
use crate::bandit::task::{run_evaluation, run_simulation, EvaluationRequest, SimulationRequest};
use crate::bandit::BanditResult;
use crate::data::load_dataset;
use crate::runs::{RunModel, RunOutcome};
use crate::task::{CancelToken, Reporter};

#[derive(Subcommand, Debug)]
pub enum BanditCommand {
    /// Race policies on Bernoulli arms (typed rates, or the store's most viewed items).
    Simulate(Box<SimulateArgs>),
    /// Estimate a policy's click rate from logged feedback (IPW, SNIPW, DM, DR, replay).
    Evaluate(Box<EvaluateArgs>),
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Arm rates, e.g. 0.05,0.04,0.03 (or --data with --top).
    #[arg(long)]
    pub arms: Option<String>,
    /// A store whose most viewed items (or categories) become the arms.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub roles: RoleArgs,
    /// How many of the store's most viewed items or categories.
    #[arg(long, default_value_t = 8)]
    pub top: usize,
    /// Arms from categories instead of items.
    #[arg(long)]
    pub categories: bool,
    /// Rate of a store arm: carts ÷ views instead of purchases ÷ views.
    #[arg(long)]
    pub carts: bool,
    #[arg(long, default_value_t = 20_000)]
    pub horizon: usize,
    #[arg(long, default_value_t = 200)]
    pub reps: usize,
    /// Comma-separated: uniform, epsilon:E, ucb1, thompson.
    #[arg(long, default_value = "uniform,epsilon:0.1,ucb1,thompson")]
    pub policies: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (0: all cores); the numbers do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub any: ParamArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The logged file (the Open Bandit Dataset's all.csv is recognised).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
    /// uniform, most-clicked, thompson or epsilon:E (ε-mix of most clicked and uniform).
    #[arg(long, default_value = "uniform")]
    pub policy: String,
    /// Learn the policy from this first share of rows (time order); estimate on the rest.
    #[arg(long)]
    pub train_fraction: Option<f64>,
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub any: ParamArgs,
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: &BanditCommand) -> Result<(), String> {
    match command {
        BanditCommand::Simulate(args) => simulate(args),
        BanditCommand::Evaluate(args) => evaluate(args),
    }
}

fn finished(outcome: &RunOutcome) -> Result<&BanditResult, String> {
    if let Some(e) = outcome.failure() {
        return Err(e.to_owned());
    }
    match &outcome.model {
        Some(RunModel::Bandit(b)) => Ok(b),
        _ => Err("the run produced no result".into()),
    }
}

fn simulate(args: &SimulateArgs) -> Result<(), String> {
    let policies: Vec<PolicyChoice> = args
        .policies
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(PolicyChoice::parse)
        .collect::<Result<_, _>>()?;
    let mut params = SimulationParams {
        horizon: args.horizon,
        replications: args.reps,
        threads: args.threads,
        ..Default::default()
    };
    args.any.apply(&mut params)?;
    let (dataset, arms, source) = match (&args.arms, &args.data) {
        (Some(text), None) => (
            None,
            typed_arms(text).map_err(|e| e.to_string())?,
            "typed rates".to_owned(),
        ),
        (None, Some(path)) => {
            let ds = load_dataset(
                path,
                &args.roles.load_options(),
                &CancelToken::new(),
                &|_, _| {},
            )
            .map_err(|e| e.to_string())?;
            let catalogue = crate::data::catalogue::Catalogue::beside(path);
            let unit = if args.categories {
                ArmUnit::Categories
            } else {
                ArmUnit::Items
            };
            let rate = if args.carts {
                ArmRate::Cart
            } else {
                ArmRate::Purchase
            };
            let arms = arms_from_store(&ds, catalogue.as_ref(), unit, rate, args.top)
                .map_err(|e| e.to_string())?;
            let what = if args.categories {
                "categories"
            } else {
                "items"
            };
            (
                Some(std::sync::Arc::new(ds)),
                arms,
                format!("top {} {what} by views, {}", args.top, rate.label()),
            )
        }
        _ => {
            return Err(
                "give the arms either as --arms 0.05,0.04,… or as --data FILE [--top N]".into(),
            )
        }
    };
    let request = SimulationRequest {
        dataset,
        arms,
        arms_source: source,
        policies,
        params,
        seed: args.seed,
        live: None,
    };
    let cancel = CancelToken::new();
    let outcome = run_simulation(&request, &Reporter::silent(&cancel));
    let BanditResult::Simulation(r) = finished(&outcome)? else {
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
            })).collect::<Vec<_>>(),
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
    }
    Ok(())
}

fn evaluate(args: &EvaluateArgs) -> Result<(), String> {
    let (policy, epsilon) = match args.policy.split_once(':') {
        Some(("epsilon", e)) => (
            EvalPolicy::Epsilon,
            Some(
                e.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("--policy epsilon:{e}: ε must be a number"))?,
            ),
        ),
        _ => (
            match args.policy.as_str() {
                "uniform" => EvalPolicy::Uniform,
                "most-clicked" => EvalPolicy::MostClicked,
                "thompson" => EvalPolicy::Thompson,
                "epsilon" => EvalPolicy::Epsilon,
                other => {
                    return Err(format!(
                        "unknown policy '{other}'; use uniform, most-clicked, thompson or epsilon:E"
                    ))
                }
            },
            None,
        ),
    };
    let mut params = EvaluationParams {
        policy,
        bootstrap: args.bootstrap,
        train_fraction: args.train_fraction.unwrap_or(0.0),
        ..Default::default()
    };
    if let Some(e) = epsilon {
        params.epsilon = e;
    }
    args.any.apply(&mut params)?;
    let ds = load_dataset(
        &args.data,
        &args.roles.load_options(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .map_err(|e| e.to_string())?;
    let request = EvaluationRequest {
        dataset: std::sync::Arc::new(ds),
        params,
        seed: args.seed,
    };
    let cancel = CancelToken::new();
    let outcome = run_evaluation(&request, &Reporter::silent(&cancel));
    let BanditResult::Evaluation(r) = finished(&outcome)? else {
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
            "policy": args.policy,
            "train_rows": r.train_rows,
            "in_sample": r.in_sample,
            "estimates": {
                "ipw": est(&e.ipw),
                "snipw": est(&e.snipw),
                "dm": est(&e.dm),
                "dr": est(&e.dr),
                "replay": replay,
            },
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
    Ok(())
}
