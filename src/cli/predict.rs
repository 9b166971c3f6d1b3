//! `shoplens predict`: fill the prediction settings from the flags (the
//! core's defaults where a flag is not given; the window fitted to the data
//! unless `--window` is given, as in the Predict tab): who buys in the next
//! window (or, with `--target churn`, who does not), learnt on an earlier
//! period, evaluated on a later one, beside the base rate and the recency
//! rule.

use clap::Args;
use serde_json::json;

use super::args::{run_quietly, DataArgs, ExportArgs, HyperFlags, SpecSource};
use crate::predict::features::day_label;
use crate::predict::model::PredictModel;
use crate::predict::settings::PredictSettings;
use crate::predict::task::{PredictResult, Target};
use crate::runs::{DataContext, RunKind, SideData};

/// The prediction models' parameters, as flags.
#[derive(Clone, Debug)]
pub struct PredictSpecs;

impl SpecSource for PredictSpecs {
    const KINDS: &'static [RunKind] = &[crate::predict::KIND];
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Orders or events (any format `profile` reads).
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, value_enum, default_value_t = PredictSettings::default().target)]
    pub target: Target,
    /// Evaluate at this date (YYYY-MM-DD) [default: the data's end minus the window].
    #[arg(long)]
    pub cutoff: Option<String>,
    /// Learn at this date [default: the cutoff minus the window].
    #[arg(long)]
    pub train_cutoff: Option<String>,
    /// Days after a cutoff in which a purchase counts [default: 90, or a
    /// quarter of the data's span when that is shorter].
    #[arg(long)]
    pub window: Option<u32>,
    #[arg(long, value_enum, default_value_t = PredictSettings::default().params.model)]
    pub model: PredictModel,
    #[arg(long, default_value_t = PredictSettings::default().seed)]
    pub seed: u64,
    /// Write the customers scored at the data's end (most likely first) with
    /// their top reasons.
    #[command(flatten)]
    pub export: ExportArgs,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<PredictSpecs>,
}

/// `YYYY-MM-DD`, checked.
fn checked_day(flag: &str, text: &str) -> Result<String, String> {
    crate::predict::features::parse_day(text)
        .filter(|_| text.trim().len() == 10)
        .map(|_| text.trim().to_owned())
        .ok_or_else(|| format!("--{flag} {text}: expected a date as YYYY-MM-DD"))
}

impl PredictArgs {
    /// The prediction settings the flags describe.
    pub fn settings(&self) -> Result<PredictSettings, String> {
        let mut s = PredictSettings {
            target: self.target,
            window_days: self.window,
            seed: self.seed,
            ..Default::default()
        };
        if let Some(c) = &self.cutoff {
            s.cutoff = checked_day("cutoff", c)?;
        }
        if let Some(c) = &self.train_cutoff {
            s.train_cutoff = checked_day("train-cutoff", c)?;
        }
        s.params.model = self.model;
        self.hyper.apply(&mut s.params)?;
        Ok(s)
    }
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
    let settings = args.settings()?;
    let dataset = std::sync::Arc::new(args.data.load()?);
    let side = SideData::default();
    let data = DataContext::with_default_weights(Some(&dataset), &side);
    let (outcome, r) = run_quietly(&settings.request(&data, settings.params.clone())?)?;
    export(&r, &args.export)?;
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
    println!("{}: {}", r.target.name(), r.periods());
    println!(
        "{}: ROC AUC {:.4} (recency rule {:.4}), PR AUC {:.4}, log loss {:.4}, Brier {:.4}; the top 10% of scores hold {:.0}% of the {} (lift {:.2})",
        r.params.model.name(),
        r.metrics.roc_auc,
        r.recency_rule.roc_auc,
        r.metrics.pr_auc,
        r.metrics.log_loss,
        r.metrics.brier,
        r.metrics.captured_at_10pct * 100.0,
        r.positives(),
        r.metrics.lift_at_10pct
    );
    for (f, v) in r.importance.iter().take(5) {
        println!("  {:<40} {v:.4}", f.describe());
    }
    Ok(())
}
