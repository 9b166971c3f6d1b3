//! The argument types commands share: the data file and its column roles,
//! exports, `--param NAME=VALUE`, and every hyperparameter flag — generated
//! from the models' parameter specs (ripgrep's one flag table), so a new
//! parameter gets its flag, its help and its default for free.

use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Arg, ArgMatches, Args};
use serde_json::Value;

use crate::data::{load_dataset, Dataset, LoadOptions, Role};
use crate::params::{parse_value, Hyperparams, ParamKind, ParamSpec};
use crate::runs::{Pipeline, RunKind, RunOutcome};
use crate::task::{CancelToken, EpochEvent, Reporter};

/// Column role flags shared by every command that loads data.
#[derive(Args, Debug, Default, Clone)]
pub struct RoleArgs {
    /// Force a format instead of detecting it (e.g. movielens, taobao, csv, jsonl).
    #[arg(long)]
    pub format: Option<String>,
    /// The customer (user) column.
    #[arg(long, value_name = "COLUMN")]
    pub user_col: Option<String>,
    /// The item (product) column.
    #[arg(long, value_name = "COLUMN")]
    pub item_col: Option<String>,
    /// The event type column (view, cart, purchase, …).
    #[arg(long, value_name = "COLUMN")]
    pub event_col: Option<String>,
    /// The time column (unix seconds or ms, ISO 8601, or a date).
    #[arg(long, value_name = "COLUMN")]
    pub timestamp_col: Option<String>,
    /// The rating (stars) column.
    #[arg(long, value_name = "COLUMN")]
    pub rating_col: Option<String>,
    /// The quantity column of order lines.
    #[arg(long, value_name = "COLUMN")]
    pub quantity_col: Option<String>,
    /// The unit price column.
    #[arg(long, value_name = "COLUMN")]
    pub price_col: Option<String>,
    /// The order (invoice) id column.
    #[arg(long, value_name = "COLUMN")]
    pub order_col: Option<String>,
    /// The session id column.
    #[arg(long, value_name = "COLUMN")]
    pub session_col: Option<String>,
    /// The item category column.
    #[arg(long, value_name = "COLUMN")]
    pub category_col: Option<String>,
    /// The review text column.
    #[arg(long, value_name = "COLUMN")]
    pub text_col: Option<String>,
    /// The sentiment label column (0/1, pos/neg, positive/negative).
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
    /// Leave out malformed lines (a ragged row, a stray quote, a NUL byte,
    /// bytes that are not UTF-8) instead of refusing the file; how many and
    /// the first ones are reported.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Count on at most this much memory (8GB, 500MB), below what the
    /// system has free: a file that would need more is refused before it
    /// is read.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<u64>,
}

fn parse_memory(text: &str) -> Result<u64, String> {
    crate::data::memory::parse_bytes(text)
        .ok_or_else(|| format!("'{text}' is not a size; write it like 8GB or 500MB"))
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
            skip_bad_lines: self.skip_bad_lines,
            max_memory: self.max_memory,
        }
    }

    /// Load `path` with these roles; lines left out (with
    /// `--skip-bad-lines`) are said on standard error.
    pub fn load(&self, path: &std::path::Path) -> Result<Dataset, String> {
        let ds = load_dataset(path, &self.load_options(), &CancelToken::new(), &|_, _| {})
            .map_err(|e| e.to_string())?;
        if let Some(summary) = ds.skipped.summary() {
            eprintln!("{}: {summary}", path.display());
        }
        Ok(ds)
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
        self.roles.load(&self.data)
    }
}

/// Where a command writes its per-customer results, and whether the
/// customer ids are pseudonymised.
#[derive(Args, Debug, Default, Clone)]
pub struct ExportArgs {
    /// Write the per-customer results to this CSV (recommend: every user's
    /// top-k; segment: every customer with segment and cluster; predict: the
    /// customers scored at the data's end; sweep: those of the best run).
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

/// Which models' parameters a command's generated flags cover.
pub trait SpecSource {
    /// The capabilities whose models' parameters become flags (none: all).
    const KINDS: &'static [RunKind];
    /// Only these models of theirs, when set.
    const MODELS: Option<&'static [&'static str]> = None;
}

/// Every hyperparameter of `S`'s models as a flag of its own
/// (`--factors 32`, `--reg 0.1`), plus `--param NAME=VALUE` for any of
/// them. A flag the command already has for something else (`--k`,
/// `--threads`) is left to `--param`. Flags a chosen model lacks are
/// ignored, as `--factors` is for item kNN.
#[derive(Debug, Clone)]
pub struct HyperFlags<S> {
    /// `(name, value)` of every parameter flag given.
    pub flags: Vec<(String, Value)>,
    /// `(name, value)` of every `--param`, in order.
    pub params: Vec<(String, Value)>,
    _of: PhantomData<S>,
}

impl<S> Default for HyperFlags<S> {
    fn default() -> Self {
        Self {
            flags: Vec::new(),
            params: Vec::new(),
            _of: PhantomData,
        }
    }
}

/// A parameter's flag: its name in kebab case.
fn flag_name(name: &str) -> String {
    name.replace('_', "-")
}

/// One spec per name over the models of `kinds`, and each model's default
/// of it, for the help.
fn specs_of<S: SpecSource>() -> Vec<(&'static ParamSpec, Vec<(&'static str, Value)>)> {
    let mut out: Vec<(&'static ParamSpec, Vec<(&'static str, Value)>)> = Vec::new();
    let wanted = |m: &crate::registry::SweepModel| {
        (S::KINDS.is_empty() || S::KINDS.contains(&m.kind()))
            && S::MODELS.is_none_or(|names| names.contains(&m.name()))
    };
    for m in crate::registry::sweep_models().filter(wanted) {
        let text = m
            .entry
            .specs
            .iter()
            .filter(|s| matches!(s.kind, ParamKind::Text));
        for spec in m.entry.sweepable().into_iter().chain(text) {
            let value = m
                .entry
                .values
                .get(spec.name)
                .cloned()
                .unwrap_or(Value::Null);
            match out.iter_mut().find(|(s, _)| s.name == spec.name) {
                Some((_, seen)) => seen.push((m.name(), value)),
                None => out.push((spec, vec![(m.name(), value)])),
            }
        }
    }
    out
}

/// `[default: 64]`, or `[default: als 1, spark-als 40]` when models differ.
fn default_note(defaults: &[(&str, Value)]) -> String {
    let shown = |v: &Value| match v {
        Value::Null => "unset".to_owned(),
        Value::String(s) if s.is_empty() => "empty".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match defaults {
        [] => String::new(),
        [(_, v), rest @ ..] if rest.iter().all(|(_, w)| w == v) => {
            format!("[default: {}]", shown(v))
        }
        many => format!(
            "[default: {}]",
            many.iter()
                .map(|(m, v)| format!("{m} {}", shown(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl<S: SpecSource> clap::FromArgMatches for HyperFlags<S> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = Self::default();
        flags.update_from_arg_matches(m)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.flags.clear();
        self.params.clear();
        for (spec, _) in specs_of::<S>() {
            let id = hyper_id(spec.name);
            if let Ok(Some(v)) = m.try_get_one::<String>(&id) {
                self.flags
                    .push((spec.name.to_owned(), parse_value(v.trim())));
            }
        }
        if let Ok(Some(params)) = m.try_get_many::<String>("param") {
            for arg in params {
                let Some((name, value)) = arg.split_once('=') else {
                    return Err(clap::Error::raw(
                        clap::error::ErrorKind::ValueValidation,
                        format!("--param '{arg}': expected NAME=VALUE\n"),
                    ));
                };
                self.params
                    .push((name.trim().to_owned(), parse_value(value.trim())));
            }
        }
        Ok(())
    }
}

/// The arg id of a generated flag (apart from the command's own ids).
fn hyper_id(name: &str) -> String {
    format!("hyper:{name}")
}

impl<S: SpecSource> Args for HyperFlags<S> {
    fn augment_args(mut cmd: clap::Command) -> clap::Command {
        let taken = |cmd: &clap::Command, long: &str| {
            cmd.get_arguments().any(|a| {
                a.get_long() == Some(long)
                    || a.get_all_aliases()
                        .is_some_and(|aliases| aliases.contains(&long))
            })
        };
        for (spec, defaults) in specs_of::<S>() {
            let long = flag_name(spec.name);
            if taken(&cmd, &long) {
                continue;
            }
            let mut arg = Arg::new(hyper_id(spec.name))
                .long(long)
                .value_name("VALUE")
                .allow_hyphen_values(true)
                .help_heading("Model parameters")
                .help(format!("{}. {}", spec.tooltip, default_note(&defaults)));
            if let ParamKind::Choice(choices) = spec.kind {
                arg = arg.value_parser(
                    choices
                        .iter()
                        .map(|(v, _)| clap::builder::PossibleValue::new(*v))
                        .collect::<Vec<_>>(),
                );
            }
            for alias in spec.aliases {
                let alias = flag_name(alias);
                if !taken(&cmd, &alias) && alias != flag_name(spec.name) {
                    arg = arg.visible_alias(alias.clone());
                }
            }
            cmd = cmd.arg(arg);
        }
        cmd.arg(
            Arg::new("param")
                .long("param")
                .value_name("NAME=VALUE")
                .action(clap::ArgAction::Append)
                .help_heading("Model parameters")
                .help("Set any model parameter by name, e.g. --param k1=1.5 (repeatable; the names of --grid and of the JSON params)"),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl<S> HyperFlags<S> {
    /// Set every flag given that `params` has (flags of other models are
    /// ignored), then every `--param` (an unknown name is an error).
    pub fn apply<P: Hyperparams>(&self, params: &mut P) -> Result<(), String> {
        for (name, value) in &self.flags {
            if params.spec(name).is_some() {
                params.set(name, value)?;
            }
        }
        for (name, value) in &self.params {
            params.set(name, value)?;
        }
        Ok(())
    }
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

/// A run's epochs as the JSON of every command prints them.
pub fn epochs_json(epochs: &[EpochEvent]) -> Value {
    epochs
        .iter()
        .map(|e| serde_json::json!({"epoch": e.epoch, "loss": e.loss, "secs": e.secs, "metric": e.metric}))
        .collect()
}

/// Run `request` on this thread with no progress output: its outcome and
/// model, or why it did not finish.
pub fn run_quietly<P: Pipeline>(request: &P) -> Result<(RunOutcome, Arc<P::Model>), String> {
    let cancel = CancelToken::new();
    let outcome = crate::runs::run(request, &Reporter::silent(&cancel));
    if let Some(e) = outcome.failure() {
        return Err(e.to_owned());
    }
    let model = outcome.expect_model::<P::Model>()?;
    Ok((outcome, model))
}
