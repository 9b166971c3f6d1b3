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
    pub fn apply(&self, params: &mut ModelParams) -> Result<(), String> {
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
    /// leave-last-out, random or temporal:YYYY-MM-DD.
    #[arg(long, default_value = "leave-last-out")]
    pub split: String,
    /// List length of the ranking metrics.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
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
}

impl EvalArgs {
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
            split: Split::parse(&self.split, self.seed)?,
            params,
            options: TrainOptions {
                seed: self.seed,
                threads: self.threads,
                validate_every: self.validate_every,
                k: self.k,
                patience,
            },
        })
    }
}

#[derive(Args, Debug)]
pub struct RecommendArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, value_enum, default_value = "als")]
    pub model: RecommenderKind,
    #[command(flatten)]
    pub hyper: RecommenderFlags,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    #[arg(long)]
    pub json: bool,
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

pub fn run(args: &RecommendArgs) -> Result<(), String> {
    let mut params = args.model.defaults();
    args.hyper.apply(&mut params)?;
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    // Refuse a bad split before reading the data.
    Split::parse(&args.eval.split, args.eval.seed)?;
    let dataset = Arc::new(args.data.load()?);
    let request = args.eval.request(dataset, params, 0)?;
    let cancel = CancelToken::new();
    let on_epoch = print_epochs(args.json, false, "epoch");
    let outcome =
        crate::recsys::task::run(&request, &Reporter::silent(&cancel).with_epochs(&on_epoch));
    let t = trained(&outcome)?;
    export(&t, &args.export)?;
    if args.json {
        println!("{}", json_of(&t, &outcome));
    } else {
        println!(
            "{} on {} ({} users, {} items; split {}; {} users evaluated); fit {:.2}s",
            t.params.label(),
            args.data.data.display(),
            t.data.n_users(),
            t.data.n_items(),
            t.split.describe(),
            t.metrics.users_evaluated,
            t.fit_secs
        );
        for (name, value) in t.metrics.to_map() {
            println!("  {name:<14} {value:.4}");
        }
    }
    Ok(())
}

/// What `recommend --json` prints.
pub fn json_of(t: &Trained, outcome: &RunOutcome) -> Value {
    json!({
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
        "users": t.data.n_users(),
        "items": t.data.n_items(),
        "train_interactions": t.train.nnz(),
        "data": outcome.record.data,
    })
}
