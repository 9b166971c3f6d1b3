//! `shoplens sweep`: grid or random search over any model's hyperparameters,
//! planned by the core registry exactly as the Runs tab plans it (the same
//! settings defaults, the same expansion), run on inputs read once, printed
//! ranked by the model's main metric, optionally appended to a workspace.
//! Nothing here names a capability.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;
use serde_json::json;

use super::args::{print_epochs, DataArgs, ExportArgs, HyperFlags, SpecSource};
use crate::data::EventWeights;
use crate::registry::{self, SweepModel};
use crate::runs::capability::{ExportTo, Overrides};
use crate::runs::search::{self, Dimension, SamplerKind, SearchSpec, Study, TrialState};
use crate::runs::sweep::{parse_list, parse_range, rank, SweepSpec};
use crate::runs::{DataContext, RunKind, RunOutcome, RunStatus, SettingsBoard, SideData};
use crate::task::{CancelToken, Reporter};
use crate::workspace::{DataSource, Workspace};

/// Every model's parameters, as flags (held fixed during the sweep).
#[derive(Clone, Debug)]
pub struct AllSpecs;

impl SpecSource for AllSpecs {
    const KINDS: &'static [RunKind] = &[];
}

fn model_names() -> Vec<&'static str> {
    registry::sweep_models().map(|m| m.name()).collect()
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The model to tune.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(model_names()))]
    pub model: String,
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
    /// Search instead of a grid: `tpe` (Bayesian, as Optuna's TPESampler)
    /// or `random`, over the parameters given with --space.
    #[arg(long, value_parser = ["tpe", "random"])]
    pub search: Option<String>,
    /// A searched parameter: `NAME=LOW..HIGH[:log][:int]` or `NAME=a,b,c`;
    /// repeat for more.
    #[arg(long, value_name = "NAME=LOW..HIGH[:log][:int] | NAME=a,b,c")]
    pub space: Vec<String>,
    /// Trials a search runs.
    #[arg(long, default_value_t = SearchSpec::default().trials)]
    pub trials: usize,
    /// Start no new trial after this many minutes.
    #[arg(long)]
    pub minutes: Option<f64>,
    /// Run every trial to its end (no median pruning).
    #[arg(long)]
    pub no_prune: bool,
    /// Refuse sweeps of more runs than this.
    #[arg(long, default_value_t = SweepSpec::default().cap)]
    pub cap: usize,
    /// Seeds the models and random search.
    #[arg(long, default_value_t = SweepSpec::default().seed)]
    pub seed: u64,
    /// Threads each run uses (default: the model's own setting).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Recommenders: leave-last-out, random or temporal:YYYY-MM-DD; session
    /// models: last-days:N [default: the model's].
    #[arg(long)]
    pub split: Option<String>,
    /// List length of ranking metrics [default: the model's].
    #[arg(long)]
    pub k: Option<usize>,
    /// Recommenders: validation every N epochs [default: the model's].
    #[arg(long)]
    pub validate_every: Option<usize>,
    /// Recommenders: evaluate each run on a random sample of this many
    /// customers, drawn with the seed [default: all].
    #[arg(long)]
    pub eval_users: Option<usize>,
    /// Stop a run after this many validations without a better metric (0: off).
    #[arg(long, default_value_t = SweepSpec::default().patience)]
    pub patience: usize,
    /// Sentiment: k-fold cross-validation instead of the every-fifth hold-out.
    #[arg(long)]
    pub folds: Option<usize>,
    /// k-means: the features to cluster on [default: recency,frequency,monetary].
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// Append the runs and their models to this `.shoplens` workspace
    /// (created when missing; an unreadable one is an error, never overwritten).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    #[command(flatten)]
    pub export: ExportArgs,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<AllSpecs>,
}

impl SweepArgs {
    fn spec(&self) -> Result<SweepSpec, String> {
        let flags = self
            .hyper
            .flags
            .iter()
            .map(|(n, v)| (n.clone(), v.clone(), false));
        let params = self
            .hyper
            .params
            .iter()
            .map(|(n, v)| (n.clone(), v.clone(), true));
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
            seed: self.seed,
            patience: self.patience,
            fixed: flags.chain(params).collect(),
            search: self.search_spec()?,
        })
    }

    /// The search asked for, if any.
    fn search_spec(&self) -> Result<Option<SearchSpec>, String> {
        let Some(sampler) = &self.search else {
            if !self.space.is_empty() {
                return Err(
                    "--space describes a search: add --search tpe or --search random".into(),
                );
            }
            return Ok(None);
        };
        if self.space.is_empty() {
            return Err(format!(
                "--search {sampler} needs the space to search: add --space NAME=LOW..HIGH[:log][:int] or --space NAME=a,b,c"
            ));
        }
        if self.random.is_some() || !self.grid.is_empty() || !self.range.is_empty() {
            return Err(
                "--search replaces --grid, --range and --random: give the parameters with --space"
                    .into(),
            );
        }
        Ok(Some(SearchSpec {
            sampler: SamplerKind::parse(sampler)?,
            space: self
                .space
                .iter()
                .map(|s| Dimension::parse(s))
                .collect::<Result<_, _>>()?,
            trials: self.trials,
            minutes: self.minutes,
            prune: !self.no_prune,
            ..Default::default()
        }))
    }

    fn overrides(&self) -> Overrides {
        Overrides {
            seed: Some(self.seed),
            threads: self.threads,
            k: self.k,
            split: self.split.clone(),
            folds: self.folds,
            features: self.features.clone(),
            validate_every: self.validate_every,
            eval_users: self.eval_users,
            patience: Some(self.patience),
            ..Default::default()
        }
    }
}

/// Run `model`'s sweep on the loaded data; its finished runs, in order.
fn sweep(
    model: &SweepModel,
    args: &SweepArgs,
    spec: &SweepSpec,
    side: &SideData,
    dataset: &Arc<crate::data::Dataset>,
) -> Result<(Vec<RunOutcome>, Option<Study>), String> {
    let settings = model
        .capability
        .does
        .settings_from(&model.entry, &args.overrides())?;
    let weights = EventWeights::default();
    let data = DataContext {
        dataset: Some(dataset),
        event_weights: &weights,
        side,
    };
    let plan = registry::plan_sweep(
        model,
        &SettingsBoard::new().with(settings.as_ref()),
        &data,
        spec,
    )?;
    let cancel = CancelToken::new();
    let quiet = args.json;
    let progress = |_: Option<f32>, message: &str| {
        if !quiet && (message.starts_with("run ") || message.starts_with("trial ")) {
            eprintln!("{message}");
        }
    };
    let on_epoch = print_epochs(true, false, "epoch");
    let reporter = Reporter::new(&cancel, &progress, &on_epoch);
    let runs = Mutex::new(Vec::new());
    plan.run(1, &reporter, &|_, outcome| {
        if let Ok(mut r) = runs.lock() {
            r.push(outcome);
        }
    })
    .map_err(|e| e.to_string())?;
    Ok((runs.into_inner().unwrap_or_default(), plan.study(0)))
}

pub fn run(args: &SweepArgs) -> Result<(), String> {
    let model = registry::sweep_model(&args.model)?;
    let spec = args.spec()?;
    // Fail before any training when the workspace cannot be appended to.
    let opened = std::time::Instant::now();
    let mut workspace = match &args.workspace {
        Some(path) => Some(Workspace::open_or_new(path).map_err(|e| e.to_string())?),
        None => None,
    };
    if let (Some(path), Some(ws), false) = (&args.workspace, &workspace, args.json) {
        eprintln!(
            "workspace {}: {} runs, read in {:.2}s",
            path.display(),
            ws.runs.len(),
            opened.elapsed().as_secs_f64()
        );
    }
    let dataset = Arc::new(args.data.load()?);
    // What the model's sweep needs worked out first (the scored customers).
    let mut side = SideData::default();
    if let Some(prepare) = model.capability.does.prepare(&model.entry) {
        let cancel = CancelToken::new();
        let value = prepare(&dataset, &Reporter::silent(&cancel)).map_err(|e| e.to_string())?;
        side.put(value, true);
    }
    let (runs, study) = sweep(&model, args, &spec, &side, &dataset)?;
    let records: Vec<_> = runs.iter().map(|r| r.record.clone()).collect();
    let metric = records
        .iter()
        .find_map(|r| registry::main_metric(r).map(|(n, _)| n.to_owned()))
        .unwrap_or_default();
    let order = rank(&records, &metric);
    if let (Some(path), Some(&best)) = (&args.export.export, order.first()) {
        let Some(best_model) = &runs[best].model else {
            return Err("--export: the best run left no model".into());
        };
        let pseudonym = args.export.pseudonymizer();
        let to = ExportTo {
            path,
            pseudonym: pseudonym.as_ref(),
            side: &side,
        };
        let said = model.capability.does.export(best_model, &to)?;
        if !args.json {
            eprintln!("{said}");
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
        ws.append(runs, source, study.clone());
        let saving = std::time::Instant::now();
        let bytes = ws.save(path).map_err(|e| e.to_string())?;
        if !args.json {
            eprintln!(
                "saved {} runs to {} ({:.1} MB) in {:.2}s",
                ws.runs.len(),
                path.display(),
                bytes as f64 / 1e6,
                saving.elapsed().as_secs_f64()
            );
        }
    }
    let searched = study.map(|s| search_json(&s, &records, &model));
    if args.json {
        let mut out = json!({
            "model": records.first().map_or(String::new(), |r| r.model.clone()),
            "metric": metric,
            "split": records.first().map_or(String::new(), |r| r.evaluation.clone()),
            "runs": json_runs,
        });
        if let Some((trials, best)) = &searched {
            out["search"] = json!(spec.search.as_ref().map(|s| s.sampler.name()));
            out["seed"] = json!(args.seed);
            out["trials"] = json!(trials);
            out["best"] = best.clone();
        }
        println!("{out}");
    } else if let Some((trials, best)) = &searched {
        println!(
            "{} search on {}, maximising {metric}:",
            model.label(),
            args.data.data.display(),
        );
        for t in trials {
            println!(
                "  trial {:<3} {:<7} {:<8} {}",
                t["number"],
                t["state"].as_str().unwrap_or(""),
                t["value"]
                    .as_f64()
                    .map_or("–".into(), |v| format!("{v:.4}")),
                t["params"]
            );
        }
        match best["number"].as_u64() {
            Some(n) => println!(
                "best: trial {n}, {metric} {:.4}, {}",
                best["value"].as_f64().unwrap_or(f64::NAN),
                best["params"]
            ),
            None => println!("no trial finished"),
        }
    } else {
        println!(
            "{} sweep on {}, ranked by {metric}:",
            model.label(),
            args.data.data.display(),
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

/// Every trial of a search (number from 1, state, objective, the searched
/// parameters) and the best, as JSON.
fn search_json(
    study: &Study,
    records: &[crate::runs::RunRecord],
    model: &SweepModel,
) -> (Vec<serde_json::Value>, serde_json::Value) {
    // The records are the trials in order (a cancelled last run is none).
    let pairs: Vec<(search::Trial, &crate::runs::RunRecord)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            Some((
                search::Trial::from_record(i, r, &model.capability.metric)?,
                r,
            ))
        })
        .collect();
    let searched = |t: &search::Trial| -> serde_json::Map<String, serde_json::Value> {
        study
            .space
            .iter()
            .filter_map(|d| Some((d.name.clone(), t.params.get(&d.name)?.clone())))
            .collect()
    };
    let rows = pairs
        .iter()
        .map(|(t, r)| {
            let record = Some(*r);
            let mut v = json!({
                "number": t.number + 1,
                "state": t.state.name(),
                "value": t.value,
                "params": searched(t),
                "epochs": record.map_or(0, |r| r.curve.len()),
                "fit_secs": record.map_or(0.0, |r| r.fit_secs),
            });
            if let Some(note) = record.and_then(|r| r.note.clone()) {
                v["note"] = note.into();
            }
            if let (TrialState::Failed, Some(RunStatus::Failed(m))) =
                (t.state, record.map(|r| &r.status))
            {
                v["message"] = m.clone().into();
            }
            v
        })
        .collect();
    let trials: Vec<search::Trial> = pairs.into_iter().map(|(t, _)| t).collect();
    let best = search::best(&trials).map_or(
        serde_json::Value::Null,
        |t| json!({"number": t.number + 1, "value": t.value, "params": searched(t)}),
    );
    (rows, best)
}
