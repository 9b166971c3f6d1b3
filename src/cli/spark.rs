//! `shoplens spark als`: hand ALS training to Apache Spark through
//! [`crate::spark::task::run`], then print what `recommend` prints, plus the
//! engine (`spark`), its master and version.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::recommend::{export, json_of, print_summary, trained, EvalArgs, RecommenderFlags};
use super::{print_epochs, DataArgs, ExportArgs};
use crate::params::Hyperparams;
use crate::recsys::params::SparkAlsParams;
use crate::recsys::split::Split;
use crate::spark::task::SparkAlsRequest;
use crate::task::{CancelToken, Reporter, TaskError};

#[derive(Subcommand, Debug)]
pub enum SparkCommand {
    /// Train MLlib's implicit ALS on Spark and evaluate it here, on shoplens'
    /// split, like `recommend`.
    Als(Box<SparkAlsArgs>),
}

#[derive(Args, Debug)]
pub struct SparkAlsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Where Spark runs: local[2], spark://host:7077, yarn, k8s://…
    #[arg(long, default_value = "local[2]")]
    pub master: String,
    /// A folder the cluster can read (hand-off, factors, spark.log are kept
    /// in a subfolder); default: a temporary folder, removed after the run.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// The spark-submit to use (default: $SPARK_HOME/bin, the PATH, or a
    /// Python with pyspark).
    #[arg(long)]
    pub spark_submit: Option<PathBuf>,
    /// The driver JVM's heap, e.g. 8g.
    #[arg(long)]
    pub driver_memory: Option<String>,
    /// MLlib's numUserBlocks and numItemBlocks.
    #[arg(long)]
    pub blocks: Option<usize>,
    #[command(flatten)]
    pub hyper: RecommenderFlags,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: &SparkCommand) -> Result<(), String> {
    match command {
        SparkCommand::Als(args) => als(args),
    }
}

fn als(args: &SparkAlsArgs) -> Result<(), String> {
    let mut params = SparkAlsParams {
        master: args.master.clone(),
        ..Default::default()
    };
    if let Some(dir) = &args.work_dir {
        params.work_dir = dir.display().to_string();
    }
    if let Some(p) = &args.spark_submit {
        params.spark_submit = p.display().to_string();
    }
    if let Some(m) = &args.driver_memory {
        params.driver_memory = m.clone();
    }
    if let Some(b) = args.blocks {
        params.blocks = b;
    }
    args.hyper.apply(&mut params)?;
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    Split::parse(args.eval.split(), args.eval.seed)?;
    let dataset = Arc::new(args.data.load()?);
    let base = args
        .eval
        .request(dataset, crate::recsys::params::ModelParams::Popular, 0)?;
    let request = SparkAlsRequest {
        dataset: base.dataset,
        matrix: base.matrix,
        split: base.split,
        params,
        options: base.options,
    };
    let cancel = CancelToken::new();
    let on_epoch = print_epochs(args.json, false, "iteration");
    let on_progress = progress_to_stderr();
    let outcome =
        crate::spark::task::run(&request, &Reporter::new(&cancel, &on_progress, &on_epoch));
    let t = trained(&outcome)?;
    export(&t, &args.export)?;
    let engine = t.engine.clone().unwrap_or_default();
    if args.json {
        println!("{}", json_of(&t, &outcome));
    } else {
        print_summary(&t, &args.data.data);
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
