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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recsys::params::{AlsParams, ModelParams};

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
        assert!(err(SweepSpec {
            lists: vec![list("reg=0.1"), list("regularization=0.2")],
            ..Default::default()
        })
        .contains("twice"));
    }

    #[test]
    fn short_names_sweep_like_long_ones() {
        let base = ModelParams::Als(AlsParams::default());
        let short = SweepSpec {
            lists: vec![parse_list("reg=0.01,0.1").unwrap()],
            ..Default::default()
        };
        let long = SweepSpec {
            lists: vec![parse_list("regularization=0.01,0.1").unwrap()],
            ..Default::default()
        };
        assert_eq!(
            expand(&base, &short).unwrap(),
            expand(&base, &long).unwrap()
        );
    }

    #[test]
    fn ranking_puts_the_best_first_and_unfinished_runs_last() {
        let record = |m: Option<f64>| {
            let mut r = RunRecord::new(
                super::super::RunKind::Recommender,
                "als",
                Default::default(),
            );
            if let Some(v) = m {
                r.metrics.insert("ndcg@10".into(), v);
            }
            r
        };
        let rows = vec![
            record(Some(0.1)),
            record(None),
            record(Some(0.3)),
            record(Some(0.1)),
        ];
        assert_eq!(rank(&rows, "ndcg@10"), vec![2, 0, 3, 1]);
    }
}
