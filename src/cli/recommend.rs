//! `shoplens recommend`: fill the recommender's settings from the flags
//! (the core's defaults where a flag is not given), train and evaluate
//! through [`crate::runs::run`], print the metrics, export every
//! user's top-k. A session model goes to [`super::sessions`].

use std::sync::Arc;

use clap::Args;
use serde_json::{json, Value};

use super::args::{epochs_json, print_epochs, DataArgs, ExportArgs, HyperFlags, SpecSource};
use crate::data::EventWeights;
use crate::params::Hyperparams;
use crate::recsys::params::{RecommenderKind, TrainOptions};
use crate::recsys::settings::RecommendSettings;
use crate::recsys::Trained;
use crate::runs::{RunKind, RunOutcome};
use crate::session::params::SessionKind;
use crate::session::protocol::SessionProtocol;
use crate::session::settings::SessionSettings;
use crate::task::{CancelToken, Reporter, TaskError};

/// The recommenders' and session models' parameters, as flags.
#[derive(Clone, Debug)]
pub struct RecommenderSpecs;

impl SpecSource for RecommenderSpecs {
    const KINDS: &'static [RunKind] = &[crate::recsys::KIND, crate::session::KIND];
}

/// How a recommender is evaluated: split, k, seed, threads, validation,
/// filters. Unset flags keep the core's defaults.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// leave-last-out, random or temporal:YYYY-MM-DD [default: leave-last-out];
    /// session models: last-days:N [default: last-days:7].
    #[arg(long)]
    pub split: Option<String>,
    /// List length of the ranking metrics [default: 10; session models 20].
    #[arg(long)]
    pub k: Option<usize>,
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    pub seed: u64,
    #[arg(long, default_value_t = TrainOptions::default().threads)]
    pub threads: usize,
    /// Validation metric every N epochs (0: never).
    #[arg(long, default_value_t = TrainOptions::default().validate_every)]
    pub validate_every: usize,
    /// Stop after this many validations without a better NDCG@k (0: off)
    /// [default: 0; the deep models (sasrec, gru4rec and their session
    /// versions) validate every epoch and stop after 10].
    #[arg(long)]
    pub patience: Option<usize>,
    /// Evaluate on a random sample of this many customers, drawn with the
    /// seed (0: all). Big catalogues rank every item for every customer.
    #[arg(long, default_value_t = TrainOptions::default().eval_users)]
    pub eval_users: usize,
    /// Drop users with fewer distinct items.
    #[arg(long, default_value_t = RecommendSettings::default().min_user_interactions)]
    pub min_user_interactions: usize,
    /// Drop items with fewer distinct users.
    #[arg(long, default_value_t = RecommendSettings::default().min_item_interactions)]
    pub min_item_interactions: usize,
    /// Session models: drop items with fewer views (session-rec's filter).
    #[arg(long, default_value_t = SessionProtocol::default().min_item_support)]
    pub min_item_support: usize,
    /// Session models: drop sessions with fewer views.
    #[arg(long, default_value_t = SessionProtocol::default().min_session_length)]
    pub min_session_length: usize,
}

impl EvalArgs {
    /// The recommender settings the flags describe, for `model` with the
    /// parameters in `hyper`.
    pub fn recommend_settings<S>(
        &self,
        model: RecommenderKind,
        hyper: &HyperFlags<S>,
    ) -> Result<RecommendSettings, String> {
        let mut s = RecommendSettings {
            model,
            min_user_interactions: self.min_user_interactions,
            min_item_interactions: self.min_item_interactions,
            ..Default::default()
        };
        s.options.seed = self.seed;
        s.options.threads = self.threads;
        s.options.validate_every = self.validate_every;
        s.options.eval_users = self.eval_users;
        if let Some(k) = self.k {
            s.options.k = k;
        }
        if let Some(split) = &self.split {
            s.set_split(split)?;
        }
        if let Some(params) = s.params.get_mut(model) {
            hyper.apply(params)?;
            self.apply_patience(params, &mut s.options.patience)?;
        }
        Ok(s)
    }

    /// The session settings the flags describe, for `model`.
    pub fn session_settings<S>(
        &self,
        model: SessionKind,
        hyper: &HyperFlags<S>,
    ) -> Result<SessionSettings, String> {
        let mut s = SessionSettings {
            model,
            threads: self.threads,
            ..Default::default()
        };
        if let Some(split) = &self.split {
            s.protocol.test_days = SessionProtocol::parse_split(split)?;
        }
        s.protocol.min_item_support = self.min_item_support;
        s.protocol.min_session_length = self.min_session_length;
        if let Some(k) = self.k {
            s.options.k = k;
        }
        s.options.seed = self.seed;
        if let Some(params) = s.params.get_mut(model) {
            hyper.apply(params)?;
            self.apply_patience(params, &mut 0)?;
        }
        Ok(s)
    }

    /// `--patience` goes to the model's own early stopping when it has one
    /// (the deep models), else to the run's.
    fn apply_patience(&self, params: &mut impl Hyperparams, run: &mut usize) -> Result<(), String> {
        match self.patience {
            Some(p) if params.spec("patience").is_some() => params
                .set("patience", &p.into())
                .map_err(|e| format!("--patience: {e}")),
            Some(p) => {
                *run = p;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

#[derive(Args, Debug)]
pub struct RecommendArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// A customer recommender, or a session model (sknn, vsknn, stan, ar,
    /// spop, session-sasrec, session-gru4rec) that predicts the next view of
    /// anonymous sessions.
    #[arg(long, value_enum, default_value = "als")]
    pub model: RecommendModel,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    /// After training, recommend for a new customer with these items in
    /// their basket (item ids, comma-separated): no retraining.
    #[arg(long, value_delimiter = ',', value_name = "ITEM,ITEM")]
    pub basket: Vec<String>,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<RecommenderSpecs>,
}

/// The basket's item indices; unknown ids are an error naming them.
pub fn basket_items(t: &Trained, ids: &[String]) -> Result<Vec<(u32, f32)>, String> {
    let index: std::collections::HashMap<&str, u32> = t
        .data
        .item_labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u32))
        .collect();
    let unknown: Vec<&str> = ids
        .iter()
        .map(|s| s.trim())
        .filter(|s| !index.contains_key(s))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "--basket: {} not in the training data's items ({} items)",
            unknown.join(", "),
            t.data.n_items()
        ));
    }
    Ok(ids.iter().map(|s| (index[s.trim()], 1.0)).collect())
}

/// The basket's recommendations with their reasons, as JSON.
fn basket_json(t: &Trained, basket: &[(u32, f32)]) -> Value {
    let label = |i: u32| t.data.item_labels[i as usize].clone();
    let recs = t.recommend_basket(basket, t.options.k, 3);
    json!({
        "items": basket.iter().map(|(i, _)| label(*i)).collect::<Vec<_>>(),
        "recommendations": recs.iter().map(|r| json!({
            "item": label(r.item),
            "score": r.score,
            "because": r.because.iter().map(|(i, c)| json!({"item": label(*i), "contribution": c})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Every user's top-k of `t` to the export file, if one was asked for.
pub fn export(t: &Trained, args: &ExportArgs) -> Result<(), String> {
    let Some(path) = &args.export else {
        return Ok(());
    };
    t.export_top_k(
        path,
        t.options.k,
        args.pseudonymizer().as_ref(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// What `recommend --model` takes: a customer recommender or a session model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecommendModel {
    Customers(RecommenderKind),
    Sessions(SessionKind),
}

/// Every customer recommender, then every session model (from their own
/// lists, so a new model is on the command line without a line here).
static RECOMMEND_MODELS: std::sync::LazyLock<Vec<RecommendModel>> =
    std::sync::LazyLock::new(|| {
        RecommenderKind::ALL
            .iter()
            .map(|&k| RecommendModel::Customers(k))
            .chain(
                SessionKind::ALL
                    .iter()
                    .map(|&k| RecommendModel::Sessions(k)),
            )
            .collect()
    });

impl clap::ValueEnum for RecommendModel {
    fn value_variants<'a>() -> &'a [Self] {
        &RECOMMEND_MODELS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            RecommendModel::Customers(k) => k.name(),
            RecommendModel::Sessions(k) => k.name(),
        }))
    }
}

pub fn run(args: &RecommendArgs) -> Result<(), String> {
    match args.model {
        RecommendModel::Customers(kind) => {
            let settings = args.eval.recommend_settings(kind, &args.hyper)?;
            let request = Recommend {
                settings: &settings,
                data: &args.data,
                export: &args.export,
            };
            let (t, outcome) =
                request.train(&print_epochs(args.json, false, "epoch"), &|_, _| {})?;
            let basket = basket_items(&t, &args.basket)?;
            if args.json {
                let mut json = json_of(&t, &outcome);
                if !basket.is_empty() {
                    json["basket"] = basket_json(&t, &basket);
                }
                println!("{json}");
            } else {
                print_summary(&t, &outcome.record, &args.data.data);
                if !basket.is_empty() {
                    println!("basket: {}", basket_json(&t, &basket));
                }
            }
            Ok(())
        }
        RecommendModel::Sessions(kind) => {
            if !args.basket.is_empty() {
                return Err("--basket is for customer recommenders; a session model takes the session's views, and its explorer is in the Recommend tab".into());
            }
            if args.export.export.is_some() {
                return Err(
                    "--export writes customers' top-k lists; session models have none to export"
                        .into(),
                );
            }
            let settings = args.eval.session_settings(kind, &args.hyper)?;
            super::sessions::run(&settings, &args.data, args.json)
        }
    }
}

/// One recommender run from the command line: its settings, the data,
/// where the lists go.
pub struct Recommend<'a> {
    pub settings: &'a RecommendSettings,
    pub data: &'a DataArgs,
    pub export: &'a ExportArgs,
}

impl Recommend<'_> {
    /// Check, load, train, evaluate and export; the model and its outcome.
    pub fn train(
        &self,
        on_epoch: &(dyn Fn(crate::task::EpochEvent) + Sync),
        on_progress: &(dyn Fn(Option<f32>, &str) + Sync),
    ) -> Result<(Arc<Trained>, RunOutcome), String> {
        let params = self.settings.current_params();
        params
            .check()
            .map_err(|e| TaskError::Params(e).to_string())?;
        // Refuse a bad split before reading the data.
        self.settings.split()?;
        let dataset = Arc::new(self.data.load()?);
        let request = self
            .settings
            .request(dataset, &EventWeights::default(), params)?;
        let cancel = CancelToken::new();
        let reporter = Reporter::new(&cancel, on_progress, on_epoch);
        let outcome = crate::runs::run(&request, &reporter);
        let t = outcome.expect_model::<Trained>()?;
        export(&t, self.export)?;
        Ok((t, outcome))
    }
}

/// What `recommend` prints without `--json`.
pub fn print_summary(t: &Trained, record: &crate::runs::RunRecord, data: &std::path::Path) {
    let evaluated = match t.metrics.users_sampled_from {
        Some(of) => format!(
            "a random sample of {} of {of} users evaluated",
            t.metrics.users_evaluated
        ),
        None => format!("{} users evaluated", t.metrics.users_evaluated),
    };
    println!(
        "{} on {} ({} users, {} items; split {}; {evaluated}); fit {:.2}s",
        t.params.label(),
        data.display(),
        t.data.n_users(),
        t.data.n_items(),
        t.split.describe(),
        t.fit_secs
    );
    if let Some(time) = record.time_summary() {
        println!("time: {time}");
    }
    for (name, value) in t.metrics.to_map() {
        println!("  {name:<14} {value:.4}");
    }
    if let Some(c) = &t.cold {
        println!(
            "new customers: {} in the test period, {} with more than their first item; {:?}: hr@{k} {:.4}, ndcg@{k} {:.4} (plain bestsellers hr@{k} {:.4})",
            c.customers,
            c.metrics.users_evaluated,
            c.fallback,
            c.metrics.hr,
            c.metrics.ndcg,
            c.bestsellers.hr,
            k = t.options.k
        );
    }
    if let Some(n) = &t.new_items {
        println!(
            "new items: {} first seen after the cut ({} with content); {} later interactions of {} customers with history: content hr@{k} {:.4} mrr@{k} {:.4}, category popularity hr@{k} {:.4} mrr@{k} {:.4}",
            n.items,
            n.items_with_content,
            n.cases,
            n.customers,
            n.content.hr,
            n.content.mrr,
            n.category_popularity.hr,
            n.category_popularity.mrr,
            k = n.k
        );
    }
}

/// What `recommend --json` prints; a model an outside engine trained adds
/// `engine`, `master`, `spark_version` and the engine's details.
pub fn json_of(t: &Trained, outcome: &RunOutcome) -> Value {
    let mut out = json!({
        "model": t.params.name(),
        "params": t.params.json(),
        "split": t.split.describe(),
        "k": t.options.k,
        "seed": t.options.seed,
        "threads": t.options.threads,
        "metrics": t.metrics.to_map(),
        "epochs": epochs_json(&t.epochs),
        "fit_secs": t.fit_secs,
        "seconds_per_epoch": (!t.epochs.is_empty()).then(|| t.fit_secs / t.epochs.len() as f64),
        "best_epoch": t.model.best_epoch(),
        "note": outcome.record.note,
        "peak_memory_mb": crate::task::peak_memory_mb(),
        "users_evaluated": t.metrics.users_evaluated,
        "users_sampled_from": t.metrics.users_sampled_from,
        "cold_start": t.cold.as_ref().map(|c| json!({
            "users": c.customers,
            "users_evaluated": c.metrics.users_evaluated,
            "fallback": c.fallback,
            "metrics": c.metrics.to_map(),
            "bestsellers_metrics": c.bestsellers.to_map(),
        })),
        "new_items": t.new_items,
        "users": t.data.n_users(),
        "items": t.data.n_items(),
        "train_interactions": t.train.nnz(),
        "data": outcome.record.data,
    });
    // `load_secs`, `matrix_secs`, `split_secs`, `fit_secs`, `evaluate_secs`.
    for step in &outcome.record.steps {
        out[format!("{}_secs", step.step)] = json!(step.secs);
    }
    if let Some(e) = &t.engine {
        out["engine"] = json!(e.engine);
        out["master"] = json!(e.master);
        out["spark_version"] = json!(e.version);
        out["spark"] = json!({
            "application": e.application,
            "wall_secs": e.wall_secs,
            "fit_secs": e.fit_secs,
            "work_dir": e.work_dir,
        });
    }
    out
}
