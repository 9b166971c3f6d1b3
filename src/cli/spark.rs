//! `shoplens spark als`: `recommend --model spark-als` with the Spark
//! model's flags (master, work folder, spark-submit, driver memory and
//! MLlib's names) in front, its progress on stderr, and the engine
//! (`spark`), its master and version in what it prints.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::args::{print_epochs, DataArgs, ExportArgs, HyperFlags, SpecSource};
use super::recommend::{json_of, print_summary, EvalArgs, Recommend};
use crate::recsys::params::RecommenderKind;
use crate::runs::RunKind;

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
