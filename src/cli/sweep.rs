//! `shoplens sweep`: grid or random search over the hyperparameters of a
//! recommender, a sentiment classifier or k-means, run through the same
//! [`crate::runs::sweep`] as the Runs tab, printed ranked by the model's main
//! metric, optionally appended to a workspace.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;
use serde_json::json;

use super::recommend::{EvalArgs, RecommenderFlags};
use super::{print_epochs, DataArgs, ExportArgs};
use crate::params::Hyperparams;
use crate::runs::sweep::{expand, parse_list, parse_range, rank, SweepSpec};
use crate::runs::{ModelKind, Pipeline, RunModel, RunOutcome, RunStatus};
use crate::segment::clusters::KMeansParams;
use crate::segment::task::{Customers, KMeansRequest};
use crate::task::{CancelToken, Reporter};
use crate::text::params::{Evaluation, SentimentOptions, SentimentParams};
use crate::text::task::{ReviewFile, SentimentRequest};
use crate::text::ReviewColumns;
use crate::workspace::{DataSource, Workspace};

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// itemknn, als, bpr, ease, logreg, nb or kmeans.
    #[arg(long, value_enum)]
    pub model: ModelKind,
    /// Fixed hyperparameters (as `recommend`; `--param NAME=VALUE` for any model).
    #[command(flatten)]
    pub hyper: RecommenderFlags,
    /// Recommenders: split, k, seed, threads (as `recommend`); the seed also
    /// seeds k-means, the k-fold shuffle and random search.
    #[command(flatten)]
    pub eval: EvalArgs,
    /// Sentiment: k-fold cross-validation instead of the every-fifth hold-out.
    #[arg(long)]
    pub folds: Option<usize>,
    /// k-means: the features to cluster on (default recency,frequency,monetary).
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// A swept parameter with listed values, e.g. `factors=16,32,64` or
    /// `reg=0.01,0.1`; repeat for more (up to 4 parameters in all).
    #[arg(long, value_name = "NAME=V1,V2,…")]
    pub grid: Vec<String>,
    /// Random search: this many runs drawn from the ranges (and lists).
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// A swept range for random search, e.g. `regularization=0.001..0.1:log`.
    #[arg(long, value_name = "NAME=LO..HI[:log]")]
    pub range: Vec<String>,
    /// Refuse sweeps of more runs than this.
    #[arg(long, default_value_t = crate::runs::sweep::DEFAULT_CAP)]
    pub cap: usize,
    /// Recommenders: stop a run after this many validations without a better
    /// NDCG@k (0: off; validates every 5 epochs unless --validate-every).
    #[arg(long, default_value_t = 0)]
    pub patience: usize,
    /// Append the runs and their models to this `.shoplens` workspace
    /// (created when missing; an unreadable one is an error, never overwritten).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    #[command(flatten)]
    pub export: ExportArgs,
    #[arg(long)]
    pub json: bool,
}

impl SweepArgs {
    fn spec(&self) -> Result<SweepSpec, String> {
        Ok(SweepSpec {
            lists: self
                .grid
                .iter()
                .map(|g| parse_list(g))
                .collect::<Result<_, _>>()?,
            ranges: self
                .range
                .iter()
                .map(|r| parse_range(r))
                .collect::<Result<_, _>>()?,
            random: self.random,
            cap: self.cap,
            seed: self.eval.seed,
        })
    }
}

/// A sweep's finished runs and how they are ranked.
struct Swept {
    runs: Vec<RunOutcome>,
    metric: String,
    evaluation: String,
    title: &'static str,
}

/// Expand the settings, read the data once, run them all.
fn sweep_of<P: Pipeline>(
    base: P,
    spec: &SweepSpec,
    metric: String,
    quiet: bool,
) -> Result<Swept, String> {
    let settings = expand(base.params(), spec)?;
    let cancel = CancelToken::new();
    let progress = |_: Option<f32>, message: &str| {
        if !quiet && message.starts_with("run ") {
            eprintln!("{message}");
        }
    };
    let on_epoch = print_epochs(true, false, "epoch");
    let reporter = Reporter::new(&cancel, &progress, &on_epoch);
    let runs = Mutex::new(Vec::new());
    crate::runs::run_sweep(&base, &settings, 1, &reporter, &|_, outcome| {
        if let Ok(mut r) = runs.lock() {
            r.push(outcome);
        }
    })
    .map_err(|e| e.to_string())?;
    let runs = runs.into_inner().unwrap_or_default();
    Ok(Swept {
        evaluation: runs
            .first()
            .map(|r| r.record.evaluation.clone())
            .unwrap_or_default(),
        runs,
        metric,
        title: base.params().title(),
    })
}

pub fn run(args: &SweepArgs) -> Result<(), String> {
    let spec = args.spec()?;
    // Fail before any training when the workspace cannot be appended to.
    let opened = std::time::Instant::now();
    let mut workspace = match &args.workspace {
        Some(path) => Some(Workspace::open_or_new(path).map_err(|e| e.to_string())?),
        None => None,
    };
    if let (Some(path), Some(ws), false) = (&args.workspace, &workspace, args.json) {
        eprintln!(
            "workspace {}: {} runs, {} models, read in {:.2}s",
            path.display(),
            ws.runs.len(),
            ws.recommenders.len()
                + ws.sentiments.len()
                + ws.segments.len()
                + ws.session_models.len(),
            opened.elapsed().as_secs_f64()
        );
    }
    let dataset = Arc::new(args.data.load()?);
    let quiet = args.json;
    let mut customers = None;
    let metric = match args.model {
        ModelKind::Session(_) => args.model.primary_metric(args.eval.session_k()),
        _ => args.model.primary_metric(args.eval.k()),
    };
    let swept = match args.model {
        ModelKind::Recommender(kind) => {
            let mut params = kind.defaults();
            args.hyper.apply(&mut params)?;
            let base = args.eval.request(dataset, params, args.patience)?;
            sweep_of(base, &spec, metric, quiet)?
        }
        ModelKind::Sentiment(kind) => {
            let mut params = SentimentParams {
                model: kind,
                ..Default::default()
            };
            args.hyper.any.apply(&mut params)?;
            let columns = ReviewColumns::from_roles(&dataset).map_err(|e| e.to_string())?;
            let base = SentimentRequest {
                file: ReviewFile { dataset, columns },
                more: Vec::new(),
                params,
                options: SentimentOptions {
                    evaluation: match args.folds {
                        Some(k) => Evaluation::KFold { k },
                        None => Evaluation::HoldOut,
                    },
                    seed: args.eval.seed,
                    threads: args.eval.threads,
                },
            };
            sweep_of(base, &spec, metric, quiet)?
        }
        ModelKind::KMeans => {
            let cancel = CancelToken::new();
            let built = Arc::new(
                Customers::build(dataset, &Reporter::silent(&cancel)).map_err(|e| e.to_string())?,
            );
            let mut params = KMeansParams {
                seed: args.eval.seed,
                ..Default::default()
            };
            args.hyper.any.apply(&mut params)?;
            let base = KMeansRequest {
                features: super::segment::features_of(&args.features, &built)?,
                customers: Arc::clone(&built),
                params,
            };
            customers = Some(built);
            let pool = crate::task::thread_pool(args.eval.threads).map_err(|e| e.to_string())?;
            pool.install(|| sweep_of(base, &spec, metric, quiet))?
        }
        ModelKind::Bandit(crate::bandit::BanditKind::Simulation) => {
            let mut params = crate::bandit::params::SimulationParams {
                threads: args.eval.threads,
                ..Default::default()
            };
            args.hyper.any.apply(&mut params)?;
            let catalogue = crate::data::catalogue::Catalogue::beside(&args.data.data);
            let rate = crate::bandit::arms::ArmRate::Purchase;
            let arms = crate::bandit::arms::arms_from_store(
                &dataset,
                catalogue.as_ref(),
                crate::bandit::arms::ArmUnit::Items,
                rate,
                8,
            )
            .map_err(|e| e.to_string())?;
            let names: Vec<String> = spec
                .lists
                .iter()
                .map(|(n, _)| n.clone())
                .chain(spec.ranges.iter().map(|(n, _)| n.clone()))
                .collect();
            let base = crate::bandit::task::SimulationRequest {
                dataset: Some(dataset),
                arms,
                arms_source: format!("top 8 items by views, {}", rate.label()),
                policies: crate::bandit::task::swept_policies(&names),
                params,
                seed: args.eval.seed,
                live: None,
            };
            sweep_of(base, &spec, metric, quiet)?
        }
        ModelKind::Predict(model) => {
            let mut params = crate::predict::model::PredictParams {
                model,
                ..Default::default()
            };
            args.hyper.any.apply(&mut params)?;
            let base = crate::predict::task::PredictRequest {
                dataset,
                target: crate::predict::task::Target::Repurchase,
                cutoff: None,
                train_cutoff: None,
                window_days: 90,
                params,
                seed: args.eval.seed,
            };
            sweep_of(base, &spec, metric, quiet)?
        }
        ModelKind::Bandit(crate::bandit::BanditKind::Evaluation) => {
            let mut params = crate::bandit::params::EvaluationParams::default();
            args.hyper.any.apply(&mut params)?;
            let base = crate::bandit::task::EvaluationRequest {
                dataset,
                params,
                seed: args.eval.seed,
            };
            sweep_of(base, &spec, metric, quiet)?
        }
        ModelKind::Session(kind) => {
            let mut params = kind.default_params();
            args.hyper.apply(&mut params)?;
            let base = args.eval.session_request(dataset, params)?;
            let pool = crate::task::thread_pool(args.eval.threads).map_err(|e| e.to_string())?;
            pool.install(|| sweep_of(base, &spec, metric, quiet))?
        }
    };
    let records: Vec<_> = swept.runs.iter().map(|r| r.record.clone()).collect();
    let order = rank(&records, &swept.metric);
    if let (Some(path), Some(&best)) = (&args.export.export, order.first()) {
        match (&swept.runs[best].model, &customers) {
            (Some(RunModel::Recommender(t)), _) => super::recommend::export(t, &args.export)?,
            (Some(RunModel::Segments(fit)), Some(c)) => {
                crate::segment::export::write_customers(
                    path,
                    &c.table,
                    c.rfm.as_ref().ok(),
                    Some(&fit.clustering.labels),
                    args.export.pseudonymizer().as_ref(),
                )?;
            }
            _ => return Err("--export writes recommendations or customer clusters; sentiment sweeps have no export".into()),
        }
    }
    let json_runs: Vec<serde_json::Value> = order
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let r = &records[i];
            let mut v = json!({
                "rank": rank + 1,
                "order": i + 1,
                "model": r.model,
                "params": r.params,
                "metrics": r.metrics,
                "fit_secs": r.fit_secs,
                "status": r.status.label(),
                "epochs": r.curve.len(),
            });
            if let RunStatus::Failed(m) = &r.status {
                v["message"] = m.clone().into();
            }
            if let Some(note) = &r.note {
                v["note"] = note.clone().into();
            }
            v
        })
        .collect();
    if let (Some(path), Some(ws)) = (&args.workspace, workspace.as_mut()) {
        let source = DataSource {
            path: std::fs::canonicalize(&args.data.data).unwrap_or_else(|_| args.data.data.clone()),
            options: args.data.roles.load_options(),
            event_weights: Default::default(),
        };
        ws.append(swept.runs, source);
        let saving = std::time::Instant::now();
        let bytes = ws.save(path).map_err(|e| e.to_string())?;
        if !quiet {
            eprintln!(
                "saved {} runs to {} ({:.1} MB) in {:.2}s",
                ws.runs.len(),
                path.display(),
                bytes as f64 / 1e6,
                saving.elapsed().as_secs_f64()
            );
        }
    }
    if args.json {
        println!(
            "{}",
            json!({
                "model": records.first().map_or(String::new(), |r| r.model.clone()),
                "metric": swept.metric,
                "split": swept.evaluation,
                "runs": json_runs,
            })
        );
    } else {
        println!(
            "{} sweep on {}, ranked by {}:",
            swept.title,
            args.data.data.display(),
            swept.metric
        );
        for v in &json_runs {
            println!(
                "  #{:<3} {:<9} {:<8.4} {:>7.2}s  {}",
                v["rank"],
                v["status"].as_str().unwrap_or(""),
                v["metrics"][&swept.metric].as_f64().unwrap_or(f64::NAN),
                v["fit_secs"].as_f64().unwrap_or(0.0),
                v["params"]
            );
        }
    }
    Ok(())
}
