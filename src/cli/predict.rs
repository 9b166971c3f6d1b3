//! `shoplens predict`: who buys in the next window (or, with `--target
//! churn`, who does not), learnt on an earlier period, evaluated on a later
//! one, beside the base rate and the recency rule.

use std::sync::Arc;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::{DataArgs, ExportArgs, ParamArgs};
use crate::predict::features::day_label;
use crate::predict::model::{PredictModel, PredictParams};
use crate::predict::task::{run as run_predict, PredictRequest, PredictResult, Target};
use crate::runs::RunModel;
use crate::task::{CancelToken, Reporter};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TargetArg {
    Repurchase,
    Churn,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModelArg {
    Gbm,
    Logreg,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Orders or events (any format `profile` reads).
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, value_enum, default_value = "repurchase")]
    pub target: TargetArg,
    /// Evaluate at this date (YYYY-MM-DD); default: the data's end minus the window.
    #[arg(long)]
    pub cutoff: Option<String>,
    /// Learn at this date; default: the cutoff minus the window.
    #[arg(long)]
    pub train_cutoff: Option<String>,
    /// Days after a cutoff in which a purchase counts.
    #[arg(long, default_value_t = 90)]
    pub window: u32,
    #[arg(long, value_enum, default_value = "gbm")]
    pub model: ModelArg,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub any: ParamArgs,
    /// Write the customers scored at the data's end (most likely first) with
    /// their top reasons.
    #[command(flatten)]
    pub export: ExportArgs,
    #[arg(long)]
    pub json: bool,
}

/// Unix seconds of `YYYY-MM-DD`.
fn parse_day(flag: &str, text: &str) -> Result<i64, String> {
    crate::predict::features::parse_day(text)
        .filter(|_| text.trim().len() == 10)
        .ok_or_else(|| format!("--{flag} {text}: expected a date as YYYY-MM-DD"))
}

/// The request the flags describe.
pub fn request(args: &PredictArgs) -> Result<PredictRequest, String> {
    let mut params = PredictParams {
        model: match args.model {
            ModelArg::Gbm => PredictModel::Gbm,
            ModelArg::Logreg => PredictModel::Logreg,
        },
        ..Default::default()
    };
    args.any.apply(&mut params)?;
    Ok(PredictRequest {
        dataset: Arc::new(args.data.load()?),
        target: match args.target {
            TargetArg::Repurchase => Target::Repurchase,
            TargetArg::Churn => Target::Churn,
        },
        cutoff: args
            .cutoff
            .as_deref()
            .map(|c| parse_day("cutoff", c))
            .transpose()?,
        train_cutoff: args
            .train_cutoff
            .as_deref()
            .map(|c| parse_day("train-cutoff", c))
            .transpose()?,
        window_days: args.window,
        params,
        seed: args.seed,
    })
}

fn export(r: &PredictResult, args: &ExportArgs) -> Result<(), String> {
    let Some(path) = &args.export else {
        return Ok(());
    };
    let pseudonym = args.pseudonymizer();
    let rows: Vec<Vec<String>> = r
        .scored
        .iter()
        .enumerate()
        .map(|(rank, s)| {
            let id = pseudonym
                .as_ref()
                .map_or_else(|| s.customer.clone(), |p| p.pseudonym(&s.customer));
            let reasons = s
                .reasons
                .iter()
                .map(|(f, v, _)| f.reason(*v))
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                (rank + 1).to_string(),
                id,
                format!("{:.6}", s.probability),
                reasons,
            ]
        })
        .collect();
    let headers = ["rank", "customer", "probability", "reasons"].map(String::from);
    crate::export::write_csv(path, &headers, &rows)?;
    Ok(())
}

pub fn run(args: &PredictArgs) -> Result<(), String> {
    let request = request(args)?;
    let cancel = CancelToken::new();
    let outcome = run_predict(&request, &Reporter::silent(&cancel));
    if let Some(e) = outcome.failure() {
        return Err(e.to_owned());
    }
    let Some(RunModel::Predict(r)) = &outcome.model else {
        return Err("the run produced no model".into());
    };
    export(r, &args.export)?;
    if args.json {
        let out = json!({
            "target": r.target.name(),
            "cutoff": day_label(r.cutoff),
            "train_cutoff": day_label(r.train_cutoff),
            "window_days": r.window_days,
            "train": {"customers": r.train.customers, "positive_rate": r.train.positive_rate},
            "test": {"customers": r.test.customers, "positive_rate": r.test.positive_rate},
            "model": r.params.model.name(),
            "params": outcome.record.params,
            "metrics": {
                "roc_auc": r.metrics.roc_auc,
                "pr_auc": r.metrics.pr_auc,
                "log_loss": r.metrics.log_loss,
                "brier": r.metrics.brier,
                "lift_at_10pct": r.metrics.lift_at_10pct,
                "lift_at_20pct": r.metrics.lift_at_20pct,
                "captured_at_10pct": r.metrics.captured_at_10pct,
            },
            "baselines": {
                "base_rate": r.test.positive_rate,
                "recency_rule_roc_auc": r.recency_rule.roc_auc,
            },
            "importance": r.importance.iter().map(|(f, v)| json!({"feature": f.name(), "value": v})).collect::<Vec<_>>(),
            "features": r.features.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "fit_secs": r.fit_secs,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "{}: learnt at {} ({} customers, {:.1}% positive), evaluated at {} ({} customers, {:.1}% positive), window {} days",
        r.target.name(),
        day_label(r.train_cutoff),
        r.train.customers,
        r.train.positive_rate * 100.0,
        day_label(r.cutoff),
        r.test.customers,
        r.test.positive_rate * 100.0,
        r.window_days
    );
    println!(
        "{}: ROC AUC {:.4} (recency rule {:.4}), PR AUC {:.4}, log loss {:.4}, Brier {:.4}; the top 10% of scores hold {:.0}% of the {} (lift {:.2})",
        r.params.model.name(),
        r.metrics.roc_auc,
        r.recency_rule.roc_auc,
        r.metrics.pr_auc,
        r.metrics.log_loss,
        r.metrics.brier,
        r.metrics.captured_at_10pct * 100.0,
        if r.target == Target::Churn { "churners" } else { "buyers" },
        r.metrics.lift_at_10pct
    );
    for (f, v) in r.importance.iter().take(5) {
        println!("  {:<40} {v:.4}", f.describe());
    }
    Ok(())
}
