//! `shoplens sentiment`: train and evaluate a review sentiment classifier.

use std::path::PathBuf;

use clap::Args;

use super::{print_epochs, ParamArgs, RoleArgs};
use crate::data::load_dataset;
use crate::params::Hyperparams;
use crate::runs::RunModel;
use crate::task::{CancelToken, Reporter, TaskError};
use crate::text::task::{ReviewFile, SentimentRequest};
use crate::text::{
    ClassifierKind, Evaluation, LabelSource, Ngrams, ReviewColumns, SentimentOptions,
    SentimentParams,
};

#[derive(Args, Debug)]
pub struct SentimentArgs {
    /// The review file; repeat to concatenate several files of one layout, in order.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub roles: RoleArgs,
    #[arg(long, value_enum, default_value = "logreg")]
    pub model: ClassifierKind,
    /// Logistic regression inverse regularisation strength.
    #[arg(long, allow_hyphen_values = true)]
    pub c: Option<f64>,
    /// Naive Bayes smoothing.
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<f64>,
    /// Logistic regression iteration cap.
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// auto, word:1-2 or char:1-2 (any range within 1-5).
    #[arg(long, default_value = "auto")]
    pub ngrams: String,
    /// Keep n-grams found in at least this many training reviews.
    #[arg(long)]
    pub min_df: Option<usize>,
    /// Keep only the most frequent n-grams.
    #[arg(long)]
    pub max_features: Option<usize>,
    /// With a rating column: stars at or above this are positive.
    #[arg(long, default_value_t = 4.0)]
    pub positive_min: f64,
    /// With a rating column: stars at or below this are negative.
    #[arg(long, default_value_t = 2.0)]
    pub negative_max: f64,
    /// k-fold cross-validation instead of the every-fifth-review hold-out.
    #[arg(long)]
    pub folds: Option<usize>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Print the probability that this text is positive (after training).
    #[arg(long)]
    pub predict: Option<String>,
    #[command(flatten)]
    pub any: ParamArgs,
    #[arg(long)]
    pub json: bool,
}

impl SentimentArgs {
    pub fn params(&self) -> Result<SentimentParams, String> {
        let mut p = SentimentParams {
            model: self.model,
            ngrams: match self.ngrams.as_str() {
                "auto" => None,
                other => Some(Ngrams::parse(other)?),
            },
            max_features: self.max_features,
            ..Default::default()
        };
        if let Some(c) = self.c {
            p.c = c;
        }
        if let Some(a) = self.alpha {
            p.alpha = a;
        }
        if let Some(m) = self.max_iter {
            p.max_iter = m;
        }
        if let Some(m) = self.min_df {
            p.min_df = m;
        }
        self.any.apply(&mut p)?;
        Ok(p)
    }
}

/// Load every `--data` file and pick its review columns as the flags (or
/// the detected format) name.
pub fn review_files(args: &SentimentArgs, cancel: &CancelToken) -> Result<Vec<ReviewFile>, String> {
    let mut files = Vec::new();
    for path in &args.data {
        let ds = load_dataset(path, &args.roles.load_options(), cancel, &|_, _| {})
            .map_err(|e| e.to_string())?;
        let mut columns = ReviewColumns::from_roles(&ds).map_err(|e| e.to_string())?;
        // An explicit rating column wins over a label column the format presets.
        if let (Some(rating), None) = (&args.roles.rating_col, &args.roles.label_col) {
            columns.label = LabelSource::Rating {
                column: rating.clone(),
                positive_min: args.positive_min,
                negative_max: args.negative_max,
            };
        } else if let LabelSource::Rating { column, .. } = &columns.label {
            columns.label = LabelSource::Rating {
                column: column.clone(),
                positive_min: args.positive_min,
                negative_max: args.negative_max,
            };
        }
        files.push(ReviewFile {
            dataset: std::sync::Arc::new(ds),
            columns,
        });
    }
    Ok(files)
}

pub fn run(args: &SentimentArgs) -> Result<(), String> {
    let params = args.params()?;
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    let options = SentimentOptions {
        evaluation: match args.folds {
            Some(k) => Evaluation::KFold { k },
            None => Evaluation::HoldOut,
        },
        seed: args.seed,
        threads: args.threads,
    };
    let cancel = CancelToken::new();
    let mut files = review_files(args, &cancel)?.into_iter();
    let Some(file) = files.next() else {
        return Err("give at least one --data file".into());
    };
    let request = SentimentRequest {
        file,
        more: files.collect(),
        params: params.clone(),
        options: options.clone(),
    };
    // Every fifth iteration (those carry the hold-out accuracy).
    let on_epoch = print_epochs(args.json || args.predict.is_some(), true, "iteration");
    let outcome =
        crate::text::task::run(&request, &Reporter::silent(&cancel).with_epochs(&on_epoch));
    let Some(RunModel::Sentiment(result)) = &outcome.model else {
        return Err(outcome.failure().unwrap_or("no model").to_owned());
    };
    let (run, reviews) = (&result.run, &result.reviews);
    let m = &run.metrics;
    let prediction = args.predict.as_ref().map(|t| run.predict(t));
    if args.json {
        let mut json = serde_json::json!({
            "model": params.model.cli_name(),
            "params": {
                "c": params.c,
                "alpha": params.alpha,
                "max_iter": params.max_iter,
                "tol": params.tol,
                "ngrams": run.ngrams.to_string(),
                "min_df": params.min_df,
                "max_features": params.max_features,
            },
            "evaluation": match options.evaluation {
                Evaluation::HoldOut => "holdout: labelled index % 5 == 0 is test".to_owned(),
                Evaluation::KFold { k } => format!("{k}-fold (seed {})", options.seed),
            },
            "metrics": {
                "accuracy": m.accuracy,
                "precision": m.precision,
                "recall": m.recall,
                "f1_macro": m.f1_macro,
                "auc": m.auc,
            },
            "confusion": m.confusion,
            "folds": run.folds.iter().map(|f| serde_json::json!({"accuracy": f.accuracy, "f1_macro": f.f1_macro, "auc": f.auc})).collect::<Vec<_>>(),
            "n_reviews": reviews.len(),
            "n_train": run.n_train,
            "n_test": run.n_test,
            "n_features": run.vectorizer.n_features(),
            "fit_secs": run.fit_secs,
            "epochs": run.epochs.iter().map(|e| serde_json::json!({"epoch": e.epoch, "loss": e.loss, "secs": e.secs, "metric": e.metric})).collect::<Vec<_>>(),
            "top_positive": run.top_positive.iter().take(10).collect::<Vec<_>>(),
            "top_negative": run.top_negative.iter().take(10).collect::<Vec<_>>(),
            "categories": run.categories,
            "notes": run.notes,
        });
        if let (Some(text), Some(p)) = (&args.predict, prediction) {
            json["predict"] = serde_json::json!({"text": text, "probability": p});
        }
        println!("{json}");
    } else if let Some(p) = prediction {
        println!("{p:.6}");
    } else {
        println!(
            "{} on {} reviews ({}; {} features; train {}, test {}); vectorise + fit {:.2}s",
            params.model.label(),
            reviews.len(),
            run.ngrams,
            run.vectorizer.n_features(),
            run.n_train,
            run.n_test,
            run.fit_secs
        );
        println!("  accuracy  {:.4}", m.accuracy);
        println!("  precision {:.4}", m.precision);
        println!("  recall    {:.4}", m.recall);
        println!("  f1 macro  {:.4}", m.f1_macro);
        if let Some(auc) = m.auc {
            println!("  auc       {auc:.4}");
        }
        for note in &run.notes {
            println!("  note: {note}");
        }
    }
    Ok(())
}
