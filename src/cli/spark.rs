//! `shoplens spark als`: `recommend --model spark-als` with the Spark
//! model's flags (master, work folder, spark-submit, driver memory and
//! MLlib's names) in front, its progress on stderr, and the engine
//! (`spark`), its master and version in what it prints.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use serde_json::json;

use super::args::{print_epochs, DataArgs, ExportArgs, HyperFlags, SpecSource};
use super::recommend::{json_of, print_summary, EvalArgs, Recommend};
use crate::data::EventWeights;
use crate::recsys::models::spark_als::SparkFileRun;
use crate::recsys::params::RecommenderKind;
use crate::recsys::settings::RecommendSettings;
use crate::runs::RunKind;
use crate::task::{CancelToken, EpochEvent, Reporter};

#[derive(Subcommand, Debug)]
pub enum SparkCommand {
    /// Train MLlib's implicit ALS on Spark and evaluate it here, on shoplens'
    /// split, like `recommend`.
    Als(Box<SparkAlsArgs>),
}

/// ALS on Spark's parameters (MLlib's names as aliases; the master, work
/// folder, spark-submit and driver memory), as flags.
#[derive(Clone, Debug)]
pub struct SparkSpecs;

impl SpecSource for SparkSpecs {
    const KINDS: &'static [RunKind] = &[crate::recsys::KIND];
    const MODELS: Option<&'static [&'static str]> = Some(&["spark-als"]);
}

#[derive(Args, Debug)]
pub struct SparkAlsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Let Spark read the data file itself, for a file too big to open
    /// here: Spark numbers and splits it (leave-last-out) and trains, and
    /// shoplens evaluates a random sample of --eval-users customers (0: of
    /// 100,000; a number above the customers: every one).
    #[arg(long)]
    pub read_in_spark: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<SparkSpecs>,
}

pub fn run(command: &SparkCommand) -> Result<(), String> {
    match command {
        SparkCommand::Als(args) => als(args),
    }
}

fn als(args: &SparkAlsArgs) -> Result<(), String> {
    let settings = args
        .eval
        .recommend_settings(RecommenderKind::SparkAls, &args.hyper)?;
    if args.read_in_spark {
        return als_from_file(args, &settings);
    }
    let request = Recommend {
        settings: &settings,
        data: &args.data,
        export: &args.export,
    };
    let (t, outcome) = request.train(
        &print_epochs(args.json, false, "iteration"),
        &progress_to_stderr(),
    )?;
    if args.json {
        println!("{}", json_of(&t, &outcome));
    } else {
        print_summary(&t, &outcome.record, &args.data.data);
        let engine = t.engine.clone().unwrap_or_default();
        println!(
            "trained by {} (application {}; MLlib fit {:.1} s)",
            engine.summary(),
            engine.application,
            engine.fit_secs
        );
    }
    Ok(())
}

/// Progress headlines on stderr, at most one every two seconds (a Spark
/// job runs for minutes; the log tail stays in the work folder).
fn progress_to_stderr() -> impl Fn(Option<f32>, &str) + Sync {
    let last = Mutex::new(None::<(Instant, String)>);
    move |fraction: Option<f32>, message: &str| {
        let headline = message.lines().next().unwrap_or("").to_owned();
        let Ok(mut last) = last.lock() else { return };
        let due = last
            .as_ref()
            .is_none_or(|(at, text)| at.elapsed() >= Duration::from_secs(2) && *text != headline);
        if due {
            match fraction {
                Some(f) => eprintln!("[{:>3.0}%] {headline}", f * 100.0),
                None => eprintln!("{headline}"),
            }
            *last = Some((Instant::now(), headline));
        }
    }
}

/// `--read-in-spark`: the file goes to Spark unread.
fn als_from_file(args: &SparkAlsArgs, settings: &RecommendSettings) -> Result<(), String> {
    if args
        .eval
        .split
        .as_deref()
        .is_some_and(|s| s.trim() != "leave-last-out")
    {
        return Err("--read-in-spark splits leave-last-out; drop --split".into());
    }
    if args.export.export.is_some() {
        return Err(
            "--read-in-spark leaves the factors and id maps in the work folder; drop --export"
                .into(),
        );
    }
    let request = settings.spark_file_request(
        args.data.data.clone(),
        args.data.roles.load_options(),
        &EventWeights::default(),
    );
    let cancel = CancelToken::new();
    let progress = progress_to_stderr();
    let epoch = |_: EpochEvent| {};
    let outcome = crate::runs::run(&request, &Reporter::new(&cancel, &progress, &epoch));
    let result = outcome.expect_model::<SparkFileRun>()?;
    let record = &outcome.record;
    if args.json {
        let mut out = json!({
            "model": record.model,
            "params": record.params,
            "split": record.evaluation,
            "k": settings.options.k,
            "seed": record.seed,
            "metrics": result.metrics.to_map(),
            "users_evaluated": result.metrics.users_evaluated,
            "users_sampled_from": result.metrics.users_sampled_from,
            "spark_counts": result.summary,
            "fit_secs": record.fit_secs,
            "peak_memory_mb": record.peak_memory_mb,
            "engine": result.engine.engine,
            "master": result.engine.master,
            "spark_version": result.engine.version,
            "work_dir": result.work_dir,
            "data": record.data,
        });
        for step in &record.steps {
            out[format!("{}_secs", step.step.replace(' ', "_"))] = json!(step.secs);
        }
        println!("{out}");
    } else {
        let s = &result.summary;
        println!(
            "ALS on Spark from {} ({} events, {} users, {} items; {}; {} users evaluated{}); MLlib fit {:.1} s",
            args.data.data.display(),
            s.events,
            s.users,
            s.items,
            record.evaluation,
            result.metrics.users_evaluated,
            result
                .metrics
                .users_sampled_from
                .map(|of| format!(", a random sample of {of}"))
                .unwrap_or_default(),
            record.fit_secs
        );
        if let Some(time) = record.time_summary() {
            println!("time: {time}");
        }
        for (name, value) in result.metrics.to_map() {
            println!("  {name:<14} {value:.4}");
        }
        println!(
            "trained by {}; factors and id maps in {}",
            result.engine.summary(),
            result.work_dir.display()
        );
    }
    Ok(())
}
