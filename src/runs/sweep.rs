//! Hyperparameter sweeps: grid or random search over one to four parameters of
//! any model (through [`Hyperparams`]), run one after another with live
//! updates by [`super::pipeline::run_sweep`].
//!
//! A grid takes lists (`factors=16,32,64`) and runs every combination. Random
//! search draws `n` settings: ranges (`regularization=0.001..0.1:log`) are
//! sampled uniformly (on a log scale with `:log`), lists uniformly among their
//! values; integer parameters are rounded. The draws come from the sweep's
//! seed, so the same seed gives the same settings.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::Value;

use super::RunRecord;
use crate::params::{parse_value, Hyperparams};

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
    /// Early stopping of models that validate every few epochs: stop a run
    /// after this many validations without a better metric (0: off).
    pub patience: usize,
    /// Parameters held fixed at these values: `(name, value, strict)`; a
    /// name the model lacks is an error when strict (`--param`), skipped
    /// otherwise (a flag of another model).
    pub fixed: Vec<(String, Value, bool)>,
    /// A search (TPE or random over a space) instead of a planned list.
    pub search: Option<super::search::SearchSpec>,
}

impl SweepSpec {
    /// Set the fixed parameters on `params`.
    pub fn fix<P: Hyperparams>(&self, params: &mut P) -> Result<(), String> {
        for (name, value, strict) in &self.fixed {
            if *strict || params.spec(name).is_some() {
                params.set(name, value)?;
            }
        }
        Ok(())
    }

    /// The swept parameters' names, as written (lists first).
    pub fn names(&self) -> Vec<String> {
        self.lists
            .iter()
            .map(|(n, _)| n.clone())
            .chain(self.ranges.iter().map(|(n, _)| n.clone()))
            .collect()
    }
}

impl Default for SweepSpec {
    fn default() -> Self {
        Self {
            lists: Vec::new(),
            ranges: Vec::new(),
            random: None,
            cap: DEFAULT_CAP,
            seed: 42,
            patience: 0,
            fixed: Vec::new(),
            search: None,
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

/// Every parameter setting the sweep will run, in order. Checks names, types,
/// the cap and each setting's validity before anything runs.
pub fn expand<P: Hyperparams>(base: &P, spec: &SweepSpec) -> Result<Vec<P>, String> {
    let axes = spec.lists.len() + spec.ranges.len();
    if axes == 0 {
        return Err("choose at least one parameter to sweep".into());
    }
    if axes > MAX_AXES {
        return Err(format!(
            "a sweep varies at most {MAX_AXES} parameters; this one varies {axes}"
        ));
    }
    // Aliases (`reg`) and one names (`regularization`) are the same parameter.
    let mut names: Vec<&str> = spec.lists.iter().map(|(n, _)| n.as_str()).collect();
    names.extend(spec.ranges.iter().map(|(n, _)| n.as_str()));
    let canonical: Vec<&str> = names
        .iter()
        .map(|n| base.spec(n).map_or(*n, |s| s.name))
        .collect();
    for (i, n) in canonical.iter().enumerate() {
        if canonical[..i].contains(n) {
            return Err(format!("'{n}' is swept twice; give it once"));
        }
    }
    // A parameter that only means something under another's value (ε of
    // the ε-mix policy, BM25's k1) is swept under that value: otherwise
    // every run would be the same.
    let mut base = base.clone();
    for name in &canonical {
        if let Some((other, value)) = base.spec(name).and_then(|s| s.when) {
            // (Not when the condition names the model itself.)
            if !canonical.contains(&other) && base.spec(other).is_some() {
                base.set(other, &Value::from(value))?;
            }
        }
    }
    let base = &base;
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
                p.set(name, value)?;
            }
            p.check().map_err(|errors| {
                format!(
                    "the setting {} is invalid: {}",
                    setting
                        .iter()
                        .map(|(n, v)| format!("{n}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    crate::params::joined(&errors)
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

/// The order to show a sweep's runs in: best `metric` first; runs without
/// it (failed, cancelled) last, in the order they ran.
pub fn rank(records: &[RunRecord], metric: &str) -> Vec<usize> {
    let value = |i: usize| {
        records[i]
            .metrics
            .get(metric)
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    };
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| {
        value(b)
            .partial_cmp(&value(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    order
}
