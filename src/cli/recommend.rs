//! `shoplens recommend`: train and evaluate a recommender through
//! [`crate::recsys::task::run`], print its metrics, export every user's top-k.

use std::sync::Arc;

use clap::Args;
use serde_json::{json, Value};

use super::{apply_flags, print_epochs, DataArgs, ExportArgs, ParamArgs};
use crate::params::Hyperparams;
use crate::recsys::matrix::MatrixOptions;
use crate::recsys::params::{ModelParams, RecommenderKind, TrainOptions};
use crate::recsys::split::Split;
use crate::recsys::task::RecommendRequest;
use crate::recsys::Trained;
use crate::runs::{RunModel, RunOutcome};
use crate::session::params::{SessionKind, SessionParams};
use crate::session::protocol::SessionProtocol;
use crate::session::task::{SessionOptions, SessionRequest};
use crate::task::{CancelToken, Reporter, TaskError};

/// The recommender hyperparameter flags (each reaches the parameter of the
/// same name or alias; flags the chosen model lacks are ignored).
#[derive(Args, Debug, Clone, Default)]
pub struct RecommenderFlags {
    /// Item kNN similarity.
    #[arg(long, value_parser = ["cosine", "bm25"])]
    pub similarity: Option<String>,
    /// Item kNN neighbors per item.
    #[arg(long, visible_alias = "neighbours")]
    pub neighbors: Option<usize>,
    #[arg(long)]
    pub factors: Option<usize>,
    /// Regularisation (ALS, BPR): the parameter `regularization`.
    #[arg(long, allow_hyphen_values = true)]
    pub reg: Option<f32>,
    /// ALS confidence scale.
    #[arg(long)]
    pub alpha: Option<f32>,
    /// ALS iterations or BPR epochs.
    #[arg(long)]
    pub iterations: Option<usize>,
    /// BPR learning rate: the parameter `learning_rate`.
    #[arg(long)]
    pub lr: Option<f32>,
    /// BPR negatives per positive.
    #[arg(long)]
    pub negatives: Option<usize>,
    /// EASE regularisation.
    #[arg(long, allow_hyphen_values = true)]
    pub lambda: Option<f32>,
    /// EASE refuses catalogues larger than this.
    #[arg(long)]
    pub max_items: Option<usize>,
    #[command(flatten)]
    pub any: ParamArgs,
}

impl RecommenderFlags {
    /// `params` with every given flag set.
    pub fn apply<P: Hyperparams>(&self, params: &mut P) -> Result<(), String> {
        let number = |v: Option<f32>| v.map(|x| crate::params::parse_value(&x.to_string()));
        apply_flags(
            params,
            &[
                ("similarity", self.similarity.clone().map(Value::from)),
                ("neighbors", self.neighbors.map(Value::from)),
                ("factors", self.factors.map(Value::from)),
                ("reg", number(self.reg)),
                ("alpha", number(self.alpha)),
                ("iterations", self.iterations.map(Value::from)),
                ("lr", number(self.lr)),
                ("negatives", self.negatives.map(Value::from)),
                ("lambda", number(self.lambda)),
                ("max_items", self.max_items.map(Value::from)),
            ],
        )?;
        self.any.apply(params)
    }
}

/// How a recommender is evaluated: split, k, seed, threads, filters.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// leave-last-out (default), random or temporal:YYYY-MM-DD; session
    /// models: last-days:N (default last-days:7).
    #[arg(long)]
    pub split: Option<String>,
    /// List length of the ranking metrics (default 10; session models 20).
    #[arg(long)]
    pub k: Option<usize>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Validation metric every N epochs (0: never).
    #[arg(long, default_value_t = 0)]
    pub validate_every: usize,
    /// Drop users with fewer distinct items.
    #[arg(long, default_value_t = 1)]
    pub min_user_interactions: usize,
    /// Drop items with fewer distinct users.
    #[arg(long, default_value_t = 1)]
    pub min_item_interactions: usize,
    /// Session models: drop items with fewer views (session-rec's filter).
    #[arg(long, default_value_t = 5)]
    pub min_item_support: usize,
    /// Session models: drop sessions with fewer views.
    #[arg(long, default_value_t = 2)]
    pub min_session_length: usize,
}

impl EvalArgs {
    /// The customer split (default leave-last-out).
    pub fn split(&self) -> &str {
        self.split.as_deref().unwrap_or("leave-last-out")
    }

    /// The list length (default 10).
    pub fn k(&self) -> usize {
        self.k.unwrap_or(10)
    }

    /// The list length of session models (default 20, as session-rec).
    pub fn session_k(&self) -> usize {
        self.k.unwrap_or(20)
    }

    /// The session protocol: `last-days:N` (default 7) and the filters.
    pub fn session_protocol(&self) -> Result<SessionProtocol, String> {
        Ok(SessionProtocol {
            test_days: match &self.split {
                Some(s) => SessionProtocol::parse_split(s)?,
                None => 7.0,
            },
            min_item_support: self.min_item_support,
            min_session_length: self.min_session_length,
        })
    }

    /// The session request for `params` on `dataset`.
    pub fn session_request(
        &self,
        dataset: Arc<crate::data::Dataset>,
        params: SessionParams,
    ) -> Result<SessionRequest, String> {
        Ok(SessionRequest {
            dataset,
            protocol: self.session_protocol()?,
            params,
            options: SessionOptions {
                k: self.session_k(),
            },
        })
    }

    /// The request for `params` on `dataset`, with early stopping `patience`.
    pub fn request(
        &self,
        dataset: Arc<crate::data::Dataset>,
        params: ModelParams,
        patience: usize,
    ) -> Result<RecommendRequest, String> {
        Ok(RecommendRequest {
            dataset,
            matrix: MatrixOptions {
                min_user_interactions: self.min_user_interactions,
                min_item_interactions: self.min_item_interactions,
                ..Default::default()
            },
            split: Split::parse(self.split(), self.seed)?,
            params,
            options: TrainOptions {
                seed: self.seed,
                threads: self.threads,
                validate_every: self.validate_every,
                k: self.k(),
                patience,
            },
        })
    }
}

#[derive(Args, Debug)]
pub struct RecommendArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// A customer recommender, or a session model (sknn, vsknn, stan, ar,
    /// spop) that predicts the next view of anonymous sessions.
    #[arg(long, value_enum, default_value = "als")]
    pub model: RecommendModel,
    #[command(flatten)]
    pub hyper: RecommenderFlags,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    /// After training, recommend for a new customer with these items in
    /// their basket (item ids, comma-separated): no retraining.
    #[arg(long, value_delimiter = ',', value_name = "ITEM,ITEM")]
    pub basket: Vec<String>,
    #[arg(long)]
    pub json: bool,
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

/// The trained model of a finished run, or why there is none.
pub fn trained(outcome: &RunOutcome) -> Result<Arc<Trained>, String> {
    match &outcome.model {
        Some(RunModel::Recommender(t)) => Ok(Arc::clone(t)),
        _ => Err(outcome.failure().unwrap_or("no model").to_owned()),
    }
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

impl RecommendModel {
    const ALL: [RecommendModel; 11] = [
        RecommendModel::Customers(RecommenderKind::Popular),
        RecommendModel::Customers(RecommenderKind::ItemKnn),
        RecommendModel::Customers(RecommenderKind::Als),
        RecommendModel::Customers(RecommenderKind::Bpr),
        RecommendModel::Customers(RecommenderKind::Ease),
        RecommendModel::Customers(RecommenderKind::SparkAls),
        RecommendModel::Sessions(SessionKind::Sknn),
        RecommendModel::Sessions(SessionKind::Vsknn),
        RecommendModel::Sessions(SessionKind::Stan),
        RecommendModel::Sessions(SessionKind::Ar),
        RecommendModel::Sessions(SessionKind::Spop),
    ];
}

impl clap::ValueEnum for RecommendModel {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            RecommendModel::Customers(k) => k.name(),
            RecommendModel::Sessions(k) => k.name(),
        }))
    }
}

pub fn run(args: &RecommendArgs) -> Result<(), String> {
    let kind = match args.model {
        RecommendModel::Customers(kind) => kind,
        RecommendModel::Sessions(kind) => return super::sessions::run(args, kind),
    };
    let mut params = kind.defaults();
    args.hyper.apply(&mut params)?;
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    // Refuse a bad split before reading the data.
    Split::parse(args.eval.split(), args.eval.seed)?;
    let dataset = Arc::new(args.data.load()?);
    let request = args.eval.request(dataset, params, 0)?;
    let cancel = CancelToken::new();
    let on_epoch = print_epochs(args.json, false, "epoch");
    let outcome =
        crate::recsys::task::run(&request, &Reporter::silent(&cancel).with_epochs(&on_epoch));
    let t = trained(&outcome)?;
    export(&t, &args.export)?;
    let basket = basket_items(&t, &args.basket)?;
    if args.json {
        let mut json = json_of(&t, &outcome);
        if !basket.is_empty() {
            json["basket"] = basket_json(&t, &basket);
        }
        println!("{json}");
    } else {
        print_summary(&t, &args.data.data);
        if !basket.is_empty() {
            println!("basket: {}", basket_json(&t, &basket));
        }
    }
    Ok(())
}

/// What `recommend` prints without `--json`.
pub fn print_summary(t: &Trained, data: &std::path::Path) {
    println!(
        "{} on {} ({} users, {} items; split {}; {} users evaluated); fit {:.2}s",
        t.params.label(),
        data.display(),
        t.data.n_users(),
        t.data.n_items(),
        t.split.describe(),
        t.metrics.users_evaluated,
        t.fit_secs
    );
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
        "epochs": t.epochs.iter().map(|e| json!({"epoch": e.epoch, "loss": e.loss, "secs": e.secs, "metric": e.metric})).collect::<Vec<_>>(),
        "fit_secs": t.fit_secs,
        "users_evaluated": t.metrics.users_evaluated,
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
