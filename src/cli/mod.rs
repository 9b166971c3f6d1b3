//! The command line: one file per command. Each parses its flags into a
//! capability's request and calls the same entry point the GUI uses, then
//! prints the result (`--json` for scripts, tests and benchmarks).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod bandit;
pub mod generate;
pub mod predict;
pub mod profile;
pub mod recommend;
pub mod segment;
pub mod sentiment;
pub mod sessions;
pub mod spark;
pub mod sweep;

use crate::data::{load_dataset, Dataset, LoadOptions, Role};
use crate::params::Hyperparams;
use crate::task::{CancelToken, EpochEvent};

#[derive(Parser, Debug)]
#[command(
    name = "shoplens",
    version,
    about = "Analytics workbench for e-commerce stores. Run without arguments for the GUI."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load a file and print its profile.
    Profile(Box<profile::ProfileArgs>),
    /// Write a synthetic store (events.csv, items.csv, reviews.csv, pictures).
    Generate(generate::GenerateArgs),
    /// Train and evaluate a recommender; optionally export every user's top-k.
    Recommend(Box<recommend::RecommendArgs>),
    /// Grid or random search over a model's hyperparameters (recommenders,
    /// sentiment classifiers, k-means), ranked by its main metric.
    Sweep(Box<sweep::SweepArgs>),
    /// Train and evaluate a review sentiment classifier; optionally score a text.
    Sentiment(Box<sentiment::SentimentArgs>),
    /// Customer segments: RFM scores and named segments, k-means clusters, k scan.
    Segment(Box<segment::SegmentArgs>),
    /// Who will buy in the next window (or churn): gradient boosting or logistic
    /// regression learnt on an earlier period, evaluated on a later one.
    Predict(Box<predict::PredictArgs>),
    /// Explore vs exploit: race bandit policies, or evaluate one off-policy on a log.
    Bandit {
        #[command(subcommand)]
        command: bandit::BanditCommand,
    },
    /// Hand training to Apache Spark when the log outgrows one machine.
    Spark {
        #[command(subcommand)]
        command: spark::SparkCommand,
    },
    /// The guided tour for a sales meeting, full screen on the sample store;
    /// with --record, one PNG slide per step and tour.md, without a person.
    Demo(DemoArgs),
    /// Open the GUI on a file (same as running without arguments, then File → Open).
    Gui {
        /// Data file to open instead of the sample store, or a `.shoplens` workspace.
        path: Option<PathBuf>,
    },
    /// Draw the app icon to a PNG (used to build assets/).
    #[command(hide = true)]
    RenderIcon { out: PathBuf },
}

/// `shoplens demo`: needs a display (or Xvfb), like the GUI.
#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Run the tour without a person and write one PNG per step plus
    /// DIR/tour.md, then quit.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Window size of the recorded slides, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080")]
    pub size: String,
    /// Move on by itself after this many seconds on a ready step (default:
    /// the presenter moves with → / Space).
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Record only the first N steps.
    #[arg(long)]
    pub steps: Option<usize>,
    /// Open in a window instead of full screen.
    #[arg(long)]
    pub windowed: bool,
    /// Record the slides in the light, high-contrast theme (projectors).
    #[arg(long)]
    pub light: bool,
}

/// Column role flags shared by every command that loads data.
#[derive(Args, Debug, Default, Clone)]
pub struct RoleArgs {
    /// Force a format instead of detecting it (e.g. movielens, taobao, csv, jsonl).
    #[arg(long)]
    pub format: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub user_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub item_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub event_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub timestamp_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub rating_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub quantity_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub price_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub order_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub session_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub category_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub text_col: Option<String>,
    #[arg(long, value_name = "COLUMN")]
    pub label_col: Option<String>,
    /// Time within the session (ms), added to the timestamp (DIGINETICA's timeframe).
    #[arg(long, value_name = "COLUMN")]
    pub offset_col: Option<String>,
    /// Reward of a logged recommendation (click or purchase, 0/1).
    #[arg(long, value_name = "COLUMN")]
    pub reward_col: Option<String>,
    /// Probability the logging policy chose the logged item.
    #[arg(long, value_name = "COLUMN")]
    pub propensity_col: Option<String>,
    /// Slot or position of the logged item.
    #[arg(long, value_name = "COLUMN")]
    pub position_col: Option<String>,
    /// Keep order rows the default cleaning drops (no customer, quantity/price ≤ 0, cancelled).
    #[arg(long)]
    pub no_clean: bool,
}

impl RoleArgs {
    pub fn load_options(&self) -> LoadOptions {
        let pairs = [
            (Role::User, &self.user_col),
            (Role::Item, &self.item_col),
            (Role::Event, &self.event_col),
            (Role::Timestamp, &self.timestamp_col),
            (Role::Rating, &self.rating_col),
            (Role::Quantity, &self.quantity_col),
            (Role::Price, &self.price_col),
            (Role::Order, &self.order_col),
            (Role::Session, &self.session_col),
            (Role::Category, &self.category_col),
            (Role::Text, &self.text_col),
            (Role::Label, &self.label_col),
            (Role::Offset, &self.offset_col),
            (Role::Reward, &self.reward_col),
            (Role::Propensity, &self.propensity_col),
            (Role::Position, &self.position_col),
        ];
        LoadOptions {
            format: self.format.clone(),
            roles: pairs
                .into_iter()
                .filter_map(|(role, col)| col.as_ref().map(|c| (role, Some(c.clone()))))
                .collect(),
            keep_uncleaned: self.no_clean,
        }
    }
}

/// The data file and its column roles.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// The data file (any format `profile` reads).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
}

impl DataArgs {
    pub fn load(&self) -> Result<Dataset, String> {
        load_dataset(
            &self.data,
            &self.roles.load_options(),
            &CancelToken::new(),
            &|_, _| {},
        )
        .map_err(|e| e.to_string())
    }
}

/// Where a command writes its per-customer results, and whether the
/// customer ids are pseudonymised.
#[derive(Args, Debug, Default, Clone)]
pub struct ExportArgs {
    /// Write the per-customer results to this CSV (recommend: every user's
    /// top-k; segment: every customer with segment and cluster; sweep: those
    /// of the best run).
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// In the export, replace customer ids by HMAC-SHA256 pseudonyms keyed
    /// with this secret salt (same salt, same pseudonyms).
    #[arg(long, value_name = "SALT")]
    pub pseudonymise: Option<String>,
}

impl ExportArgs {
    pub fn pseudonymizer(&self) -> Option<crate::export::Pseudonymizer> {
        self.pseudonymise
            .as_deref()
            .map(crate::export::Pseudonymizer::new)
    }
}

/// `--param NAME=VALUE`: any hyperparameter by its name (see `sweep --grid`).
#[derive(Args, Debug, Default, Clone)]
pub struct ParamArgs {
    /// Set any hyperparameter by name, e.g. `--param k1=1.5` (repeatable;
    /// the names are those of `--grid` and of the JSON `params`).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

impl ParamArgs {
    /// Set every `--param` on `params`; an unknown name is an error.
    pub fn apply<P: Hyperparams>(&self, params: &mut P) -> Result<(), String> {
        for arg in &self.params {
            let Some((name, value)) = arg.split_once('=') else {
                return Err(format!("--param '{arg}': expected NAME=VALUE"));
            };
            params.set(name.trim(), &crate::params::parse_value(value.trim()))?;
        }
        Ok(())
    }
}

/// Set each flag that was given and that `params` has (flags of other
/// models are ignored, as `--factors` is for item kNN).
pub fn apply_flags<P: Hyperparams>(
    params: &mut P,
    flags: &[(&str, Option<serde_json::Value>)],
) -> Result<(), String> {
    for (name, value) in flags {
        if let Some(value) = value {
            if params.spec(name).is_some() {
                params.set(name, value)?;
            }
        }
    }
    Ok(())
}

/// Prints a run's epochs to stderr as they come (unless `quiet`).
pub fn print_epochs(
    quiet: bool,
    only_with_metric: bool,
    unit: &'static str,
) -> impl Fn(EpochEvent) + Sync {
    move |e: EpochEvent| {
        if quiet || (only_with_metric && e.metric.is_none()) {
            return;
        }
        eprintln!(
            "{unit} {:>4}  loss {:.6}  {:.2}s{}",
            e.epoch,
            e.loss,
            e.secs,
            e.metric
                .map_or(String::new(), |(n, v)| format!("  {n} {v:.4}"))
        );
    }
}

/// Run a CLI command; returns the process exit code. Errors are one readable
/// line on stderr.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Profile(args) => profile::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Recommend(args) => recommend::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Sentiment(args) => sentiment::run(&args),
        Command::Segment(args) => segment::run(&args),
        Command::Bandit { command } => bandit::run(&command),
        Command::Spark { command } => spark::run(&command),
        Command::Predict(args) => predict::run(&args),
        Command::RenderIcon { out } => crate::icon::draw_icon()
            .save(&out)
            .map_err(|e| format!("{}: {e}", out.display())),
        Command::Gui { .. } | Command::Demo(_) => {
            Err("internal: the GUI is started by main".into())
        }
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}
