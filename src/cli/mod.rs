//! The command line: the same pipeline as the GUI, headless, with `--json` output
//! for scripts, tests and benchmarks.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod segment;
pub mod sentiment;
pub mod sweep;

use crate::data::generate::{generate, GenerateParams};
use crate::data::profile::Profile;
use crate::data::{load_and_profile, LoadOptions, Role};
use crate::jobs::CancelToken;

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
    Profile(Box<ProfileArgs>),
    /// Write a synthetic store (events.csv, items.csv, reviews.csv, pictures).
    Generate(GenerateArgs),
    /// Train and evaluate a recommender; optionally export every user's top-k.
    Recommend(Box<RecommendArgs>),
    /// Grid or random search over a recommender's hyperparameters, ranked by NDCG@k.
    Sweep(Box<sweep::SweepArgs>),
    /// Train and evaluate a review sentiment classifier; optionally score a text.
    Sentiment(Box<sentiment::SentimentArgs>),
    /// Customer segments: RFM scores and named segments, k-means clusters, k scan.
    Segment(Box<segment::SegmentArgs>),
    /// Open the GUI on a file (same as running without arguments, then File → Open).
    Gui {
        /// Data file to open instead of the sample store, or a `.shoplens` workspace.
        path: Option<PathBuf>,
    },
    /// Draw the app icon to a PNG (used to build assets/).
    #[command(hide = true)]
    RenderIcon { out: PathBuf },
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

#[derive(Args, Debug)]
pub struct ProfileArgs {
    pub path: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RecommendArgs {
    /// The interactions file (any format `profile` reads).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
    #[arg(long, value_parser = ["popular", "itemknn", "als", "bpr", "ease"], default_value = "als")]
    pub model: String,
    /// Item kNN similarity.
    #[arg(long, value_parser = ["cosine", "bm25"])]
    pub similarity: Option<String>,
    /// Item kNN neighbours per item.
    #[arg(long)]
    pub neighbors: Option<usize>,
    #[arg(long)]
    pub factors: Option<usize>,
    /// Regularisation (ALS, BPR).
    #[arg(long, allow_hyphen_values = true)]
    pub reg: Option<f32>,
    /// ALS confidence scale.
    #[arg(long)]
    pub alpha: Option<f32>,
    /// ALS iterations or BPR epochs.
    #[arg(long)]
    pub iterations: Option<usize>,
    /// BPR learning rate.
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
    /// leave-last-out, random or temporal:YYYY-MM-DD.
    #[arg(long, default_value = "leave-last-out")]
    pub split: String,
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
    /// Write every user's top-k (user, rank, item, score) to this CSV.
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// In the export, replace customer ids by HMAC-SHA256 pseudonyms keyed
    /// with this secret salt (same salt, same pseudonyms).
    #[arg(long, value_name = "SALT")]
    pub pseudonymise: Option<String>,
    #[arg(long)]
    pub json: bool,
}

impl RecommendArgs {
    /// The model parameters the flags describe (defaults where not given).
    pub fn model_params(&self) -> Result<crate::recsys::params::ModelParams, String> {
        use crate::recsys::params::{ModelParams, Similarity};
        let mut params = ModelParams::default_for(&self.model)
            .ok_or_else(|| format!("unknown model '{}'", self.model))?;
        match &mut params {
            ModelParams::Popular => {}
            ModelParams::ItemKnn(p) => {
                if let Some(s) = &self.similarity {
                    p.similarity = if s == "bm25" {
                        Similarity::Bm25
                    } else {
                        Similarity::Cosine
                    };
                }
                if let Some(k) = self.neighbors {
                    p.neighbors = k;
                }
            }
            ModelParams::Als(p) => {
                if let Some(f) = self.factors {
                    p.factors = f;
                }
                if let Some(r) = self.reg {
                    p.regularization = r;
                }
                if let Some(a) = self.alpha {
                    p.alpha = a;
                }
                if let Some(i) = self.iterations {
                    p.iterations = i;
                }
            }
            ModelParams::Bpr(p) => {
                if let Some(f) = self.factors {
                    p.factors = f;
                }
                if let Some(r) = self.reg {
                    p.regularization = r;
                }
                if let Some(i) = self.iterations {
                    p.epochs = i;
                }
                if let Some(lr) = self.lr {
                    p.learning_rate = lr;
                }
                if let Some(n) = self.negatives {
                    p.negatives = n;
                }
            }
            ModelParams::Ease(p) => {
                if let Some(l) = self.lambda {
                    p.lambda = l;
                }
                if let Some(m) = self.max_items {
                    p.max_items = m;
                }
            }
        }
        Ok(params)
    }
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 2_000)]
    pub users: usize,
    #[arg(long, default_value_t = 300)]
    pub items: usize,
    #[arg(long, default_value_t = 60_000)]
    pub events: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long)]
    pub out: PathBuf,
    /// Where to write item pictures (default OUT/images).
    #[arg(long)]
    pub image_dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// Run a CLI command; returns the process exit code. Errors are one readable
/// line on stderr.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Profile(args) => run_profile(&args),
        Command::Generate(args) => run_generate(&args),
        Command::Recommend(args) => run_recommend(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Sentiment(args) => sentiment::run(&args),
        Command::Segment(args) => segment::run(&args),
        Command::RenderIcon { out } => crate::data::generate::draw_icon()
            .save(&out)
            .map_err(|e| format!("{}: {e}", out.display())),
        Command::Gui { .. } => Err("internal: the GUI is started by main".into()),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

fn run_profile(args: &ProfileArgs) -> Result<(), String> {
    let cancel = CancelToken::new();
    let loaded = load_and_profile(&args.path, &args.roles.load_options(), &cancel, &|_, _| {})
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::to_string(&loaded.profile).map_err(|e| e.to_string())?;
        writeln!(out, "{json}").map_err(|e| e.to_string())?;
    } else {
        write!(out, "{}", profile_table(&loaded.profile)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn run_recommend(args: &RecommendArgs) -> Result<(), String> {
    use crate::recsys::matrix::{Interactions, MatrixOptions};
    use crate::recsys::params::TrainOptions;
    use crate::recsys::split::Split;
    let params = args.model_params()?;
    params
        .validate()
        .map_err(|e| crate::recsys::RecError::Params(e).to_string())?;
    let split = Split::parse(&args.split, args.seed)?;
    let cancel = CancelToken::new();
    let dataset =
        crate::data::load_dataset(&args.data, &args.roles.load_options(), &cancel, &|_, _| {})
            .map_err(|e| e.to_string())?;
    let matrix = MatrixOptions {
        min_user_interactions: args.min_user_interactions,
        min_item_interactions: args.min_item_interactions,
        ..Default::default()
    };
    let data = Interactions::from_dataset(&dataset, &matrix).map_err(|e| e.to_string())?;
    let options = TrainOptions {
        seed: args.seed,
        threads: args.threads,
        validate_every: args.validate_every,
        k: args.k,
        patience: 0,
    };
    let quiet = args.json;
    let trained = crate::recsys::train_and_evaluate(
        std::sync::Arc::new(data),
        &split,
        &params,
        &options,
        &cancel,
        &|e| {
            if !quiet {
                eprintln!(
                    "epoch {:>4}  loss {:.6}  {:.2}s{}",
                    e.epoch,
                    e.loss,
                    e.secs,
                    e.metric
                        .map_or(String::new(), |(n, v)| format!("  {n} {v:.4}"))
                );
            }
        },
    )
    .map_err(|e| e.to_string())?;
    if let Some(path) = &args.export {
        trained
            .export_top_k(
                path,
                args.k,
                args.pseudonymise
                    .as_deref()
                    .map(crate::export::Pseudonymizer::new)
                    .as_ref(),
                &cancel,
                &|_, _| {},
            )
            .map_err(|e| e.to_string())?;
    }
    if args.json {
        let json = serde_json::json!({
            "model": params.name(),
            "params": params.to_json(),
            "split": split.describe(),
            "k": args.k,
            "seed": args.seed,
            "threads": args.threads,
            "metrics": trained.metrics.to_map(),
            "epochs": trained.epochs.iter().map(|e| serde_json::json!({"epoch": e.epoch, "loss": e.loss, "secs": e.secs, "metric": e.metric})).collect::<Vec<_>>(),
            "fit_secs": trained.fit_secs,
            "users_evaluated": trained.metrics.users_evaluated,
            "users": trained.data.n_users(),
            "items": trained.data.n_items(),
            "train_interactions": trained.train.nnz(),
        });
        println!("{json}");
    } else {
        println!(
            "{} on {} ({} users, {} items; split {}; {} users evaluated); fit {:.2}s",
            params.label(),
            args.data.display(),
            trained.data.n_users(),
            trained.data.n_items(),
            split.describe(),
            trained.metrics.users_evaluated,
            trained.fit_secs
        );
        for (name, value) in trained.metrics.to_map() {
            println!("  {name:<14} {value:.4}");
        }
    }
    Ok(())
}

fn run_generate(args: &GenerateArgs) -> Result<(), String> {
    let params = GenerateParams {
        users: args.users,
        items: args.items,
        events: args.events,
        seed: args.seed,
        out: args.out.clone(),
        image_dir: args.image_dir.clone(),
    };
    let start = std::time::Instant::now();
    let summary = generate(&params, &|_, _| {})?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&summary).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "wrote {} events ({} purchases), {} items, {} reviews, {} pictures to {} in {:.1}s",
            summary.events,
            summary.purchases,
            summary.items,
            summary.reviews,
            summary.images,
            args.out.display(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The readable (non-JSON) profile.
pub fn profile_table(p: &Profile) -> String {
    let opt = |v: Option<u64>| v.map_or("-".to_owned(), thousands);
    let mut s = String::new();
    let mut line = |k: &str, v: String| s.push_str(&format!("{k:<16} {v}\n"));
    line("file", p.file.clone());
    line("format", format!("{} ({})", p.format, p.format_description));
    line("rows", thousands(p.rows));
    line("users", opt(p.users));
    line("items", opt(p.items));
    if let Some(d) = p.density {
        line("density", format!("{:.4}%", d * 100.0));
    }
    line(
        "time range",
        match (&p.time_min, &p.time_max) {
            (Some(a), Some(b)) => format!("{a} … {b}"),
            _ => "-".into(),
        },
    );
    line(
        "events",
        p.events
            .iter()
            .map(|(k, v)| format!("{k} {}", thousands(*v)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some(f) = &p.funnel {
        line(
            "funnel (users)",
            f.steps
                .iter()
                .map(|st| match st.conversion {
                    Some(c) => format!("{} {} ({:.1}%)", st.event, thousands(st.users), c * 100.0),
                    None => format!("{} {}", st.event, thousands(st.users)),
                })
                .collect::<Vec<_>>()
                .join(" → "),
        );
    }
    if let Some(c) = &p.cleaning {
        line(
            "cleaning",
            format!(
                "dropped {} rows (no customer {}, quantity ≤ 0 {}, price ≤ 0 {}, cancelled {}); kept {} rows, {} users, {} items",
                thousands(c.dropped()),
                thousands(c.no_customer),
                thousands(c.quantity_not_positive),
                thousands(c.price_not_positive),
                thousands(c.cancelled_invoice),
                thousands(c.rows_after),
                thousands(c.users_after),
                thousands(c.items_after)
            ),
        );
    }
    if let Some(r) = p.revenue {
        line("revenue", format!("{r:.2}"));
    }
    if let Some(r) = &p.ratings {
        line(
            "ratings",
            format!(
                "mean {:.2}: {}",
                r.mean,
                r.histogram
                    .iter()
                    .map(|(v, c)| format!("{v}★ {}", thousands(*c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if let Some(n) = p.reviews {
        line("reviews", thousands(n));
    }
    if let Some(l) = &p.labels {
        line(
            "labels",
            l.iter()
                .map(|(k, v)| format!("{k}: {}", thousands(*v)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    line("duplicate rows", opt(p.duplicate_rows));
    line(
        "load / profile",
        format!("{:.2}s / {:.2}s", p.load_secs, p.profile_secs),
    );
    s.push_str("\ncolumns:\n");
    for c in &p.columns {
        s.push_str(&format!(
            "  {:<24} {:<12} {:<10} nulls {}\n",
            c.name,
            c.role.as_deref().unwrap_or("-"),
            c.dtype,
            thousands(c.nulls)
        ));
    }
    if !p.top_items.is_empty() {
        s.push_str("\ntop items:\n");
        for t in p.top_items.iter().take(10) {
            s.push_str(&format!(
                "  {:<16} {:>10}  {}\n",
                t.item,
                thousands(t.count),
                t.name.as_deref().unwrap_or("")
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(541_909), "541,909");
    }
}
