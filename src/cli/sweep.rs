//! `shoplens sweep`: grid or random search over recommender hyperparameters,
//! printed ranked by NDCG@k, optionally appended to a workspace.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;

use super::RecommendArgs;
use crate::jobs::CancelToken;
use crate::recsys::matrix::{Interactions, MatrixOptions};
use crate::recsys::params::TrainOptions;
use crate::recsys::split::Split;
use crate::runs::sweep::{expand, parse_list, parse_range, run_sweep, SweepSpec, SweepUpdate};
use crate::runs::{fingerprint, RunHistory, RunModel, RunRecord, RunStatus};
use crate::workspace::{DataSource, Workspace};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Data, model, fixed hyperparameters, split, k, seed, threads (as `recommend`).
    #[command(flatten)]
    pub base: RecommendArgs,
    /// A swept parameter with listed values, e.g. `factors=16,32,64`; repeat
    /// for more (up to 4 parameters in all).
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
    /// Early stopping: stop a run after this many validations without a
    /// better NDCG@k (0: off; validates every 5 epochs unless --validate-every).
    #[arg(long, default_value_t = 0)]
    pub patience: usize,
    /// Append the runs and their models to this `.shoplens` workspace
    /// (created when missing; an unreadable one is an error, never overwritten).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
}

pub fn run(args: &SweepArgs) -> Result<(), String> {
    let b = &args.base;
    let base = b.model_params()?;
    let spec = SweepSpec {
        lists: args
            .grid
            .iter()
            .map(|g| parse_list(g))
            .collect::<Result<_, _>>()?,
        ranges: args
            .range
            .iter()
            .map(|r| parse_range(r))
            .collect::<Result<_, _>>()?,
        random: args.random,
        cap: args.cap,
        seed: b.seed,
    };
    let settings = expand(&base, &spec)?;
    let split = Split::parse(&b.split, b.seed)?;
    // Fail before any training when the workspace cannot be appended to.
    let quiet = b.json;
    let opened = std::time::Instant::now();
    let mut workspace = match &args.workspace {
        Some(path) => Some(Workspace::open_or_new(path).map_err(|e| e.to_string())?),
        None => None,
    };
    if let (Some(path), Some(ws), false) = (&args.workspace, &workspace, quiet) {
        eprintln!(
            "workspace {}: {} runs, {} models, read in {:.2}s",
            path.display(),
            ws.runs.len(),
            ws.recommenders.len() + ws.sentiments.len() + ws.segments.len(),
            opened.elapsed().as_secs_f64()
        );
    }
    let cancel = CancelToken::new();
    let load_options = b.roles.load_options();
    let dataset = crate::data::load_dataset(&b.data, &load_options, &cancel, &|_, _| {})
        .map_err(|e| e.to_string())?;
    let matrix = MatrixOptions {
        min_user_interactions: b.min_user_interactions,
        min_item_interactions: b.min_item_interactions,
        ..Default::default()
    };
    let data = Arc::new(Interactions::from_dataset(&dataset, &matrix).map_err(|e| e.to_string())?);
    let validate_every = match (args.patience, b.validate_every) {
        (p, 0) if p > 0 => 5,
        (_, v) => v,
    };
    let options = TrainOptions {
        seed: b.seed,
        threads: b.threads,
        validate_every,
        k: b.k,
        patience: args.patience,
    };
    let data_print = fingerprint(&dataset);
    let finished = Mutex::new(Vec::new());
    run_sweep(
        data,
        &split,
        &settings,
        &options,
        &cancel,
        &|update| match update {
            SweepUpdate::Started {
                index,
                total,
                params,
            } => {
                if !quiet {
                    eprintln!(
                        "run {}/{total}: {}",
                        index + 1,
                        RunRecord::recommender_attempt(
                            &params,
                            &options,
                            &split,
                            Default::default()
                        )
                        .params_summary()
                    );
                }
            }
            SweepUpdate::Epoch { .. } => {}
            SweepUpdate::Finished { run, .. } => {
                if let Ok(mut list) = finished.lock() {
                    list.push(run);
                }
            }
        },
    );
    let runs = finished.into_inner().unwrap_or_default();
    let mut history = RunHistory::default();
    let sweep_id = history.new_sweep();
    let mut rows = Vec::new();
    for run in runs {
        rows.push(run.into_record(&options, &split, data_print.clone(), sweep_id));
    }
    let metric = format!("ndcg@{}", b.k);
    // Best first; runs without the metric (failed, cancelled) last, in order.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &c| {
        let va = rows[a]
            .0
            .metrics
            .get(&metric)
            .copied()
            .unwrap_or(f64::NEG_INFINITY);
        let vc = rows[c]
            .0
            .metrics
            .get(&metric)
            .copied()
            .unwrap_or(f64::NEG_INFINITY);
        vc.partial_cmp(&va)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&c))
    });
    if let (Some(path), Some(best)) = (&b.export, order.first()) {
        if let Some(RunModel::Recommender(t)) = &rows[*best].1 {
            t.export_top_k(
                path,
                b.k,
                b.pseudonymise
                    .as_deref()
                    .map(crate::export::Pseudonymizer::new)
                    .as_ref(),
                &cancel,
                &|_, _| {},
            )
            .map_err(|e| e.to_string())?;
        }
    }
    let json_runs: Vec<serde_json::Value> = order
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let r = &rows[i].0;
            let mut v = serde_json::json!({
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
        let (mut saved, _) = ws.history();
        let new_sweep = saved.new_sweep();
        for (mut record, model) in rows.iter().cloned() {
            record.sweep = Some(new_sweep);
            saved.push(record, model);
        }
        ws.put_history(&saved);
        let source = DataSource {
            path: std::fs::canonicalize(&b.data).unwrap_or_else(|_| b.data.clone()),
            options: load_options.clone(),
            event_weights: Default::default(),
        };
        if !ws.sources.contains(&source) {
            ws.sources.push(source);
        }
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
    if b.json {
        println!(
            "{}",
            serde_json::json!({
                "model": base.name(),
                "metric": metric,
                "split": split.describe(),
                "runs": json_runs,
            })
        );
    } else {
        println!(
            "{} sweep on {}, ranked by {metric}:",
            base.label(),
            b.data.display()
        );
        for v in &json_runs {
            println!(
                "  #{:<3} {:<9} {:<8.4} {:>7.2}s  {}",
                v["rank"],
                v["status"].as_str().unwrap_or(""),
                v["metrics"][&metric].as_f64().unwrap_or(f64::NAN),
                v["fit_secs"].as_f64().unwrap_or(0.0),
                v["params"]
            );
        }
    }
    Ok(())
}
