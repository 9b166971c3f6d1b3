//! The command line: one file per command, and [`Command`] the one list of
//! them. Each command fills its capability's settings from its flags (the
//! defaults are the core's), turns them into a request the same way the
//! GUI does, calls the same entry point, and prints the result (`--json`
//! for scripts, tests and benchmarks). Shared argument types: [`args`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod args;
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
pub mod topics;

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
    /// Grid or random search over any model's hyperparameters, ranked by its
    /// main metric.
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

/// The command-line reference as Markdown: every command's `--help`, as
/// clap renders it (`docs/cli.md` is this text; a test keeps it current).
pub fn reference_markdown() -> String {
    use clap::CommandFactory;
    let mut root = Cli::command();
    root.build();
    let mut out = String::from(
        "# Command-line reference\n\n\
         Generated from the argument definitions (`shoplens help COMMAND` prints the same);\n\
         `SHOPLENS_UPDATE_DOCS=1 cargo test --test core cli_reference` rewrites this file.\n\
         Where a flag shows no default, the core's default applies (see the help text).\n",
    );
    fn section(cmd: &mut clap::Command, path: &str, out: &mut String) {
        if cmd.is_hide_set() {
            return;
        }
        let help = cmd.render_long_help().to_string();
        let lines: Vec<&str> = help.trim_end().lines().map(str::trim_end).collect();
        out.push_str(&format!(
            "\n## {path}\n\n```text\n{}\n```\n",
            lines.join("\n")
        ));
        for sub in cmd.get_subcommands_mut() {
            if sub.get_name() != "help" {
                let name = format!("{path} {}", sub.get_name());
                section(sub, &name, out);
            }
        }
    }
    section(&mut root, "shoplens", &mut out);
    out
}
