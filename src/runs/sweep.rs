//! Hyperparameter sweeps: grid or random search over one to four parameters of
//! a recommender, run one after another with live updates.
//!
//! A grid takes lists (`factors=16,32,64`) and runs every combination. Random
//! search draws `n` settings: ranges (`regularization=0.001..0.1:log`) are
//! sampled uniformly (on a log scale with `:log`), lists uniformly among their
//! values; integer parameters are rounded. The draws come from the sweep's
//! seed, so the same seed gives the same settings.

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::Value;

use crate::jobs::{CancelToken, EpochEvent};
use crate::recsys::matrix::Interactions;
use crate::recsys::params::{json_as_written, ModelParams, TrainOptions};
use crate::recsys::split::Split;
use crate::recsys::{train_and_evaluate, RecError, Trained};
use crate::task_error::TaskError;
use crate::text::reviews::Reviews;
use crate::text::{train_sentiment, SentimentOptions, SentimentParams, SentimentRun};

/// At most this many swept parameters.
pub const MAX_AXES: usize = 4;
/// Default cap on the number of runs of one sweep.
pub const DEFAULT_CAP: usize = 50;

/// A `LO..HI` range, optionally on a log scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
}

/// What to sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// Parameters with listed values.
    pub lists: Vec<(String, Vec<Value>)>,
    /// Parameters with ranges (random search only).
    pub ranges: Vec<(String, Range)>,
    /// `Some(n)`: random search with n draws; `None`: the full grid.
    pub random: Option<usize>,
    /// Refuse sweeps of more runs than this.
    pub cap: usize,
    pub seed: u64,
}

impl Default for SweepSpec {
    fn default() -> Self {
        Self {
            lists: Vec::new(),
            ranges: Vec::new(),
            random: None,
            cap: DEFAULT_CAP,
            seed: 42,
        }
    }
}

/// `NAME=V1,V2,…` → name and values (numbers where they parse, else text).
pub fn parse_list(arg: &str) -> Result<(String, Vec<Value>), String> {
    let (name, values) = split_assignment(arg, "NAME=V1,V2,…")?;
    let values: Vec<Value> = values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(parse_value)
        .collect();
    if values.is_empty() {
        return Err(format!("'{arg}': give at least one value after '='"));
    }
    Ok((name, values))
}

/// `NAME=LO..HI` or `NAME=LO..HI:log`.
pub fn parse_range(arg: &str) -> Result<(String, Range), String> {
    let (name, text) = split_assignment(arg, "NAME=LO..HI[:log]")?;
    let (bounds, log) = match text.strip_suffix(":log") {
        Some(b) => (b, true),
        None => (text, false),
    };
    let Some((lo, hi)) = bounds.split_once("..") else {
        return Err(format!(
            "'{arg}': write the range as LO..HI, e.g. 0.001..0.1:log"
        ));
    };
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("'{arg}': '{}' is not a number", s.trim()))
    };
    let (lo, hi) = (number(lo)?, number(hi)?);
    if lo > hi {
        return Err(format!(
            "'{arg}': the low end {lo} is above the high end {hi}"
        ));
    }
    if log && lo <= 0.0 {
        return Err(format!(
            "'{arg}': a log-scale range needs a low end above 0"
        ));
    }
    Ok((name, Range { lo, hi, log }))
}

fn split_assignment<'a>(arg: &'a str, form: &str) -> Result<(String, &'a str), String> {
    match arg.split_once('=') {
        Some((name, rest)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), rest.trim())),
        _ => Err(format!("'{arg}': expected {form}")),
    }
}

fn parse_value(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Value::from(x),
        _ => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
    }
}

/// Parameters a sweep can vary: serialisable to a flat JSON object, with a
/// name for messages and their own validation.
pub trait SweepParams: Clone + serde::Serialize + serde::de::DeserializeOwned {
    fn title(&self) -> &'static str;
    fn check(&self) -> Result<(), Vec<crate::recsys::params::ParamError>>;
}

impl SweepParams for ModelParams {
    fn title(&self) -> &'static str {
        self.label()
    }

    fn check(&self) -> Result<(), Vec<crate::recsys::params::ParamError>> {
        self.validate()
    }
}

impl SweepParams for SentimentParams {
    fn title(&self) -> &'static str {
        self.model.label()
    }

    fn check(&self) -> Result<(), Vec<crate::recsys::params::ParamError>> {
        self.validate()
    }
}

/// The names a model's parameters can be swept by.
pub fn sweepable<P: SweepParams>(base: &P) -> Vec<String> {
    super::flat_params(&json_as_written(base))
        .into_keys()
        .collect()
}

/// `base` with `name` set to `value`. Integer parameters take rounded values;
/// unknown names and values of the wrong type are errors naming the choices.
pub fn with_param<P: SweepParams>(base: &P, name: &str, value: &Value) -> Result<P, String> {
    let mut json = json_as_written(base);
    let Some(slot) = json.get_mut(name) else {
        return Err(format!(
            "{} has no parameter '{name}'; it has: {}",
            base.title(),
            sweepable(base).join(", ")
        ));
    };
    let whole = |n: &serde_json::Number| -> Result<Value, String> {
        let x = n.as_f64().unwrap_or(f64::NAN);
        if !x.is_finite() || x < 0.0 {
            return Err(format!("{name} must be a whole number ≥ 0, not {n}"));
        }
        Ok(Value::from(x.round() as u64))
    };
    *slot = match (&*slot, value) {
        (Value::Number(old), Value::Number(new)) if old.is_u64() || old.is_i64() => whole(new)?,
        // An unset optional count (e.g. max_features) takes whole numbers.
        (Value::Null, Value::Number(new)) if new.as_f64().is_some_and(|x| x.fract() == 0.0) => {
            whole(new)?
        }
        _ => value.clone(),
    };
    serde_json::from_value(json).map_err(|e| format!("{name} = {value} is not accepted ({e})"))
}

/// Every parameter setting the sweep will run, in order. Checks names, types,
/// the cap and each setting's validity before anything runs.
pub fn expand<P: SweepParams>(base: &P, spec: &SweepSpec) -> Result<Vec<P>, String> {
    let axes = spec.lists.len() + spec.ranges.len();
    if axes == 0 {
        return Err("choose at least one parameter to sweep".into());
    }
    if axes > MAX_AXES {
        return Err(format!(
            "a sweep varies at most {MAX_AXES} parameters; this one varies {axes}"
        ));
    }
    let mut names: Vec<&str> = spec.lists.iter().map(|(n, _)| n.as_str()).collect();
    names.extend(spec.ranges.iter().map(|(n, _)| n.as_str()));
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(format!("'{n}' is swept twice; give it once"));
        }
    }
    let settings: Vec<Vec<(String, Value)>> = match spec.random {
        None => {
            if let Some((name, _)) = spec.ranges.first() {
                return Err(format!(
                    "'{name}' has a range: ranges need random search (--random N), or list its values"
                ));
            }
            let total = spec
                .lists
                .iter()
                .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()))
                .unwrap_or(usize::MAX);
            if total > spec.cap {
                return Err(format!(
                    "the grid has {total} combinations, above the cap of {}; remove values or raise the cap",
                    spec.cap
                ));
            }
            grid(&spec.lists)
        }
        Some(n) => {
            if n == 0 {
                return Err("random search needs at least 1 run".into());
            }
            if n > spec.cap {
                return Err(format!(
                    "{n} random runs is above the cap of {}; ask for fewer or raise the cap",
                    spec.cap
                ));
            }
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
            (0..n)
                .map(|_| {
                    let mut s: Vec<(String, Value)> = spec
                        .lists
                        .iter()
                        .map(|(name, values)| {
                            (name.clone(), values[rng.gen_range(0..values.len())].clone())
                        })
                        .collect();
                    for (name, r) in &spec.ranges {
                        let u: f64 = rng.gen();
                        let x = if r.log {
                            (r.lo.ln() + u * (r.hi.ln() - r.lo.ln())).exp()
                        } else {
                            r.lo + u * (r.hi - r.lo)
                        };
                        s.push((name.clone(), Value::from(x)));
                    }
                    s
                })
                .collect()
        }
    };
    settings
        .into_iter()
        .map(|setting| {
            let mut p = base.clone();
            for (name, value) in &setting {
                p = with_param(&p, name, value)?;
            }
            p.check().map_err(|errors| {
                format!(
                    "the setting {} is invalid: {}",
                    setting
                        .iter()
                        .map(|(n, v)| format!("{n}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            Ok(p)
        })
        .collect()
}

/// The full grid, the first list varying slowest.
fn grid(lists: &[(String, Vec<Value>)]) -> Vec<Vec<(String, Value)>> {
    let mut out: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (name, values) in lists {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut s = prefix.clone();
                    s.push((name.clone(), v.clone()));
                    s
                })
            })
            .collect();
    }
    out
}

/// What a running sweep reports.
pub enum SweepUpdate {
    Started {
        index: usize,
        total: usize,
        params: ModelParams,
    },
    Epoch {
        index: usize,
        event: EpochEvent,
    },
    Finished {
        index: usize,
        run: Box<SweepRun>,
    },
}

/// One run of a sweep.
pub struct SweepRun {
    pub params: ModelParams,
    pub result: Result<Trained, RecError>,
    /// Wall time including evaluation.
    pub secs: f64,
}

impl SweepRun {
    /// The run's record (and its model when it trained) as part of sweep
    /// `sweep`; `options` and `split` are the sweep's.
    pub fn into_record(
        self,
        options: &TrainOptions,
        split: &Split,
        data: super::DataFingerprint,
        sweep: u64,
    ) -> (super::RunRecord, Option<super::RunModel>) {
        let (mut record, model) = match self.result {
            Ok(t) => (
                super::RunRecord::from_trained(&t, data),
                Some(super::RunModel::Recommender(Arc::new(t))),
            ),
            Err(e) => {
                let mut r =
                    super::RunRecord::recommender_attempt(&self.params, options, split, data);
                r.fit_secs = self.secs;
                r.status = super::RunStatus::of_error(&e);
                (r, None)
            }
        };
        record.sweep = Some(sweep);
        (record, model)
    }
}

/// Run `settings` one after another on the same data and split. A failed run
/// is reported and the sweep goes on; cancel ends the current run (reported
/// as cancelled) and the sweep, keeping the runs already finished.
pub fn run_sweep(
    data: Arc<Interactions>,
    split: &Split,
    settings: &[ModelParams],
    options: &TrainOptions,
    cancel: &CancelToken,
    on_update: &(dyn Fn(SweepUpdate) + Sync),
) -> usize {
    let total = settings.len();
    each_setting(
        settings,
        cancel,
        |index, params| {
            on_update(SweepUpdate::Started {
                index,
                total,
                params: params.clone(),
            });
            train_and_evaluate(
                Arc::clone(&data),
                split,
                params,
                options,
                cancel,
                &|event| on_update(SweepUpdate::Epoch { index, event }),
            )
        },
        |index, params, result, secs| {
            on_update(SweepUpdate::Finished {
                index,
                run: Box::new(SweepRun {
                    params: params.clone(),
                    result,
                    secs,
                }),
            })
        },
    )
}

/// The loop both kinds of sweep share: fit each setting in turn and report it
/// with its wall time; stop before the next setting once cancelled, and after
/// a fit that was cancelled (it is still reported). Returns how many were
/// reported.
fn each_setting<P, R>(
    settings: &[P],
    cancel: &CancelToken,
    mut fit: impl FnMut(usize, &P) -> Result<R, TaskError>,
    mut finished: impl FnMut(usize, &P, Result<R, TaskError>, f64),
) -> usize {
    let mut reported = 0;
    for (index, params) in settings.iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let start = std::time::Instant::now();
        let result = fit(index, params);
        let cancelled = matches!(result, Err(TaskError::Cancelled));
        finished(index, params, result, start.elapsed().as_secs_f64());
        reported += 1;
        if cancelled {
            break;
        }
    }
    reported
}

/// What a running sentiment sweep reports.
pub enum SentimentSweepUpdate {
    Started {
        index: usize,
        total: usize,
    },
    Epoch(EpochEvent),
    Finished {
        index: usize,
        params: SentimentParams,
        result: Box<Result<SentimentRun, TaskError>>,
        secs: f64,
    },
}

/// Train a sentiment classifier per setting on the same reviews, one after
/// another; cancel ends the current fit and the sweep (finished runs stay
/// reported).
pub fn run_sentiment_sweep(
    reviews: &Reviews,
    settings: &[SentimentParams],
    options: &SentimentOptions,
    cancel: &CancelToken,
    on_update: &(dyn Fn(SentimentSweepUpdate) + Sync),
) -> usize {
    let total = settings.len();
    each_setting(
        settings,
        cancel,
        |index, params| {
            on_update(SentimentSweepUpdate::Started { index, total });
            train_sentiment(reviews, params, options, cancel, &|_, _| {}, &|e| {
                on_update(SentimentSweepUpdate::Epoch(e))
            })
        },
        |index, params, result, secs| {
            on_update(SentimentSweepUpdate::Finished {
                index,
                params: params.clone(),
                result: Box::new(result),
                secs,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recsys::params::AlsParams;

    #[test]
    fn parses_lists_and_ranges() {
        let (n, v) = parse_list("factors=16, 32,64").unwrap();
        assert_eq!(n, "factors");
        assert_eq!(v, vec![Value::from(16), Value::from(32), Value::from(64)]);
        let (_, v) = parse_list("similarity=cosine,bm25").unwrap();
        assert_eq!(v[1], Value::from("bm25"));
        let (n, r) = parse_range("regularization=0.001..0.1:log").unwrap();
        assert_eq!(n, "regularization");
        assert_eq!(
            r,
            Range {
                lo: 0.001,
                hi: 0.1,
                log: true
            }
        );
        assert!(parse_range("reg=0..1:log").is_err());
        assert!(parse_range("reg=2..1").is_err());
        assert!(parse_list("=1,2").is_err());
        assert!(parse_list("factors").is_err());
    }

    #[test]
    fn grid_runs_every_combination_first_list_slowest() {
        let base = ModelParams::Als(AlsParams::default());
        let spec = SweepSpec {
            lists: vec![
                parse_list("factors=8,16").unwrap(),
                parse_list("regularization=0.01,0.1").unwrap(),
            ],
            ..Default::default()
        };
        let runs = expand(&base, &spec).unwrap();
        let pairs: Vec<(usize, f32)> = runs
            .iter()
            .map(|p| match p {
                ModelParams::Als(a) => (a.factors, a.regularization),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(pairs, vec![(8, 0.01), (8, 0.1), (16, 0.01), (16, 0.1)]);
    }

    #[test]
    fn random_search_is_seeded_rounds_integers_and_stays_in_range() {
        let base = ModelParams::Als(AlsParams::default());
        let spec = SweepSpec {
            ranges: vec![
                parse_range("factors=4..64").unwrap(),
                parse_range("regularization=0.001..0.1:log").unwrap(),
            ],
            random: Some(20),
            ..Default::default()
        };
        let a = expand(&base, &spec).unwrap();
        assert_eq!(a, expand(&base, &spec).unwrap());
        for p in &a {
            let ModelParams::Als(p) = p else { panic!() };
            assert!((4..=64).contains(&p.factors));
            assert!((0.001..=0.1).contains(&p.regularization));
        }
        let other = expand(
            &base,
            &SweepSpec {
                seed: 7,
                ..spec.clone()
            },
        )
        .unwrap();
        assert_ne!(a, other);
    }

    #[test]
    fn bad_sweeps_are_refused_with_a_reason() {
        let base = ModelParams::Als(AlsParams::default());
        let err = |spec: SweepSpec| expand(&base, &spec).unwrap_err();
        let list = |s: &str| parse_list(s).unwrap();
        assert!(err(SweepSpec::default()).contains("at least one"));
        assert!(err(SweepSpec {
            lists: vec![list("nope=1,2")],
            ..Default::default()
        })
        .contains("no parameter 'nope'"));
        assert!(err(SweepSpec {
            lists: vec![list("factors=0,8")],
            ..Default::default()
        })
        .contains("factors must be between"));
        assert!(err(SweepSpec {
            lists: vec![list("factors=1,2,3,4,5,6,7,8")],
            cap: 4,
            ..Default::default()
        })
        .contains("above the cap"));
        assert!(err(SweepSpec {
            ranges: vec![parse_range("alpha=1..2").unwrap()],
            ..Default::default()
        })
        .contains("random search"));
        assert!(err(SweepSpec {
            lists: vec![list("alpha=1,2"), list("alpha=3")],
            ..Default::default()
        })
        .contains("twice"));
        assert!(err(SweepSpec {
            lists: vec![list("factors=cosine")],
            ..Default::default()
        })
        .contains("not accepted"));
    }
}
