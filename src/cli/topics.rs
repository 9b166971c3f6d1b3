//! `shoplens sentiment topics`: fill the topic settings from the flags (the
//! core's defaults where a flag is not given), find the topics through
//! [`crate::runs::run`], and print them.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::args::{HyperFlags, RoleArgs, SpecSource};
use crate::params::Hyperparams;
use crate::runs::RunKind;
use crate::task::{CancelToken, Reporter, TaskError};
use crate::text::reviews::{LabelSource, NEGATIVE_MAX, POSITIVE_MIN};
use crate::text::topics::settings::TopicSettings;
use crate::text::topics::task::{TopicColumns, TopicsResult};
use crate::text::topics::{Polarity, TopicMethod, TopicOptions, TopicParams};

/// The topic models' parameters, as flags (`--k`, `--min-df`, …).
#[derive(Clone, Debug)]
pub struct TopicSpecs;

impl SpecSource for TopicSpecs {
    const KINDS: &'static [RunKind] = &[crate::text::topics::KIND];
}

#[derive(Args, Debug)]
pub struct TopicsArgs {
    /// The review file.
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
    /// Which reviews: by the label column or the star rating.
    #[arg(long, value_enum, default_value_t = TopicOptions::default().polarity)]
    pub polarity: Polarity,
    #[arg(long, value_enum, default_value_t = TopicParams::default().method)]
    pub method: TopicMethod,
    /// With a rating column: stars at or above this are positive.
    #[arg(long, default_value_t = POSITIVE_MIN)]
    pub positive_min: f64,
    /// With a rating column: stars at or below this are negative.
    #[arg(long, default_value_t = NEGATIVE_MAX)]
    pub negative_max: f64,
    #[arg(long, default_value_t = TopicOptions::default().seed)]
    pub seed: u64,
    #[arg(long, default_value_t = TopicOptions::default().threads)]
    pub threads: usize,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the chosen reviews' tokens to FILE, one review per line,
    /// separated by spaces (to fit another tool on the same words).
    #[arg(long, value_name = "FILE")]
    pub tokens_out: Option<PathBuf>,
    #[command(flatten)]
    pub hyper: HyperFlags<TopicSpecs>,
}

impl TopicsArgs {
    pub fn settings(&self) -> Result<TopicSettings, String> {
        let mut s = TopicSettings::default();
        s.params.method = self.method;
        self.hyper.apply(&mut s.params)?;
        s.options.polarity = self.polarity;
        s.options.seed = self.seed;
        s.options.threads = self.threads;
        Ok(s)
    }
}

pub fn run(args: &TopicsArgs) -> Result<(), String> {
    let settings = args.settings()?;
    let params = settings.params.clone();
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    let ds = args.roles.load(&args.data)?;
    let mut columns = TopicColumns::from_roles(&ds)?;
    if let Some(LabelSource::Rating { column, .. }) = &columns.label {
        columns.label = Some(LabelSource::Rating {
            column: column.clone(),
            positive_min: args.positive_min,
            negative_max: args.negative_max,
        });
    }
    let mut request = settings.request_on(Arc::new(ds), params.clone())?;
    request.columns = columns;
    let cancel = CancelToken::new();
    let pool = crate::task::thread_pool(args.threads).map_err(|e| e.to_string())?;
    let outcome = pool.install(|| crate::runs::run(&request, &Reporter::silent(&cancel)));
    let result = outcome.expect_model::<TopicsResult>()?;
    let (run, reviews) = (&result.run, &result.reviews);
    if let Some(path) = &args.tokens_out {
        let tokenizer = run.tokenizer();
        let mut out = String::new();
        for a in &run.assigned {
            out.push_str(&tokenizer.words(&reviews.texts[a.review]).join(" "));
            out.push('\n');
        }
        std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if args.json {
        let topics: Vec<serde_json::Value> = run
            .topics
            .iter()
            .map(|t| {
                let categories: serde_json::Map<String, serde_json::Value> = t
                    .categories
                    .iter()
                    .map(|c| (c.name.clone(), serde_json::json!(c.share)))
                    .collect();
                serde_json::json!({
                    "words": t.words.iter().map(|(w, _)| w).collect::<Vec<_>>(),
                    "share": t.share,
                    "reviews": t.reviews,
                    "coherence": t.coherence,
                    "categories": categories,
                    "examples": t.examples.iter().map(|&i| reviews.lines[i]).collect::<Vec<_>>(),
                })
            })
            .collect();
        let json = serde_json::json!({
            "method": params.method.cli_name(),
            "k": params.k,
            "polarity": run.options.polarity,
            "chosen_by": run.chosen_by,
            "language": run.language,
            "reviews": run.assigned.len(),
            "vocabulary": run.vocabulary,
            "topics": topics,
            "no_topic_share": run.no_topic_share,
            "coherence": run.coherence,
            "relative_error": run.relative_error,
            "perplexity": run.perplexity,
            "iterations": run.iterations,
            "tokenize_secs": run.tokenize_secs,
            "fit_secs": run.fit_secs,
            "seed": run.options.seed,
        });
        println!("{json}");
    } else {
        println!(
            "{} topics ({}) in {} {}; {} words; coherence {:.4}; fit {:.2}s",
            params.k,
            params.method.label(),
            run.assigned.len(),
            run.options.polarity.label(),
            run.vocabulary,
            run.coherence,
            run.fit_secs
        );
        if let Some(e) = run.relative_error {
            println!("  relative error {e:.6}");
        }
        if let Some(p) = run.perplexity {
            println!("  perplexity {p:.2}");
        }
        for (i, t) in run.topics.iter().enumerate() {
            let words: Vec<&str> = t.words.iter().map(|(w, _)| w.as_str()).collect();
            println!(
                "  {:>2}. {:5.1}%  {}",
                i + 1,
                t.share * 100.0,
                words.join(" ")
            );
        }
    }
    Ok(())
}
