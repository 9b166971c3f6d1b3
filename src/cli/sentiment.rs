//! `shoplens sentiment`: fill the sentiment settings from the flags (the
//! core's defaults where a flag is not given), train and evaluate a review
//! classifier through [`crate::runs::run`], optionally score a text.

use std::path::PathBuf;

use clap::Args;

use super::args::{epochs_json, print_epochs, HyperFlags, RoleArgs, SpecSource};
use crate::params::Hyperparams;
use crate::runs::RunKind;
use crate::task::{CancelToken, Reporter, TaskError};
use crate::text::reviews::{NEGATIVE_MAX, POSITIVE_MIN};
use crate::text::settings::SentimentSettings;
use crate::text::task::ReviewFile;
use crate::text::{ClassifierKind, Evaluation, LabelSource, ReviewColumns, SentimentOptions};

#[derive(clap::Subcommand, Debug)]
pub enum SentimentCommand {
    /// What reviews are about: NMF or LDA topics over the negative (or
    /// positive, or all) reviews, with shares per category and examples.
    Topics(Box<super::topics::TopicsArgs>),
}

/// The classifiers' parameters, as flags.
#[derive(Clone, Debug)]
pub struct SentimentSpecs;

impl SpecSource for SentimentSpecs {
    const KINDS: &'static [RunKind] = &[crate::text::KIND];
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SentimentArgs {
    #[command(subcommand)]
    pub command: Option<SentimentCommand>,
    /// The review file; repeat to concatenate several files of one layout, in order.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub roles: RoleArgs,
    #[arg(long, value_enum, default_value_t = crate::text::SentimentParams::default().model)]
    pub model: ClassifierKind,
    /// With a rating column: stars at or above this are positive.
    #[arg(long, default_value_t = POSITIVE_MIN)]
    pub positive_min: f64,
    /// With a rating column: stars at or below this are negative.
    #[arg(long, default_value_t = NEGATIVE_MAX)]
    pub negative_max: f64,
    /// k-fold cross-validation instead of the every-fifth-review hold-out.
    #[arg(long)]
    pub folds: Option<usize>,
    #[arg(long, default_value_t = SentimentOptions::default().seed)]
    pub seed: u64,
    #[arg(long, default_value_t = SentimentOptions::default().threads)]
    pub threads: usize,
    /// Print the probability that this text is positive (after training).
    #[arg(long)]
    pub predict: Option<String>,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<SentimentSpecs>,
}

impl SentimentArgs {
    /// The sentiment settings the flags describe.
    pub fn settings(&self) -> Result<SentimentSettings, String> {
        let mut s = SentimentSettings::default();
        let mut params = s.params.clone();
        params.model = self.model;
        self.hyper.apply(&mut params)?;
        s.set_params(params);
        s.options.seed = self.seed;
        s.options.threads = self.threads;
        if let Some(k) = self.folds {
            (s.use_kfold, s.k_folds) = (true, k);
        }
        Ok(s)
    }
}

/// Load every `--data` file and pick its review columns as the flags (or
/// the detected format) name.
pub fn review_files(args: &SentimentArgs) -> Result<Vec<ReviewFile>, String> {
    let mut files = Vec::new();
    for path in &args.data {
        let ds = args.roles.load(path)?;
        let mut columns = ReviewColumns::from_roles(&ds).map_err(|e| e.to_string())?;
        // An explicit rating column wins over a label column the format presets.
        let rating = match (
            &args.roles.rating_col,
            &args.roles.label_col,
            &columns.label,
        ) {
            (Some(rating), None, _) => Some(rating.clone()),
            (_, _, LabelSource::Rating { column, .. }) => Some(column.clone()),
            _ => None,
        };
        if let Some(column) = rating {
            columns.label = LabelSource::Rating {
                column,
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
    if let Some(SentimentCommand::Topics(topics)) = &args.command {
        return super::topics::run(topics);
    }
    let mut settings = args.settings()?;
    let params = settings.current_params();
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    let options = settings.current_options();
    let cancel = CancelToken::new();
    let mut files = review_files(args)?.into_iter();
    let Some(file) = files.next() else {
        return Err("give at least one --data file".into());
    };
    settings.columns = Some(file.columns.clone());
    settings.columns_for = Some(file.dataset.path.clone());
    let mut request = settings.request_on(file.dataset, params.clone())?;
    request.more = files.collect();
    // Every fifth iteration (those carry the hold-out accuracy).
    let on_epoch = print_epochs(args.json || args.predict.is_some(), true, "iteration");
    let outcome = crate::runs::run(&request, &Reporter::silent(&cancel).with_epochs(&on_epoch));
    let result = outcome.expect_model::<crate::text::SentimentResult>()?;
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
            "epochs": epochs_json(&run.epochs),
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
