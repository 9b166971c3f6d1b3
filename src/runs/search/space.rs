//! A search space: for each tuned parameter, a range (on a log scale, of
//! whole numbers) or a list of choices. Written `NAME=LOW..HIGH[:log][:int]`
//! or `NAME=a,b,c` on the command line, and offered per parameter in the
//! Runs tab with defaults from the parameter's spec.

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::params::{Hyperparams, ParamKind, ParamSpec};

/// What values one tuned parameter may take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Domain {
    /// `low..high`, on a log scale with `log`, whole numbers with `int`.
    Range {
        low: f64,
        high: f64,
        log: bool,
        int: bool,
    },
    /// One of these values.
    Choices { values: Vec<Value> },
}

/// One tuned parameter and its domain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    pub name: String,
    pub domain: Domain,
}

impl Dimension {
    /// `NAME=LOW..HIGH[:log][:int]` or `NAME=a,b,c`.
    pub fn parse(arg: &str) -> Result<Self, String> {
        let form = "NAME=LOW..HIGH[:log][:int] or NAME=a,b,c";
        let Some((name, text)) = arg.split_once('=').filter(|(n, _)| !n.trim().is_empty()) else {
            return Err(format!("'{arg}': expected {form}"));
        };
        let (name, text) = (name.trim().to_owned(), text.trim());
        if text.is_empty() {
            return Err(format!(
                "'{arg}': the space of {name} is empty; give {form}"
            ));
        }
        if !text.contains("..") {
            let (_, values) = crate::runs::sweep::parse_list(arg)?;
            return Ok(Self {
                name,
                domain: Domain::Choices { values },
            });
        }
        let mut parts = text.split(':');
        let bounds = parts.next().unwrap_or_default();
        let (mut log, mut int) = (false, false);
        for flag in parts {
            match flag.trim() {
                "log" => log = true,
                "int" => int = true,
                other => {
                    return Err(format!(
                        "'{arg}': unknown flag ':{other}'; a range takes :log and :int"
                    ))
                }
            }
        }
        let Some((lo, hi)) = bounds.split_once("..") else {
            return Err(format!("'{arg}': expected {form}"));
        };
        let number = |s: &str| {
            let s = s.trim();
            if s.is_empty() {
                return Err(format!("'{arg}': the range needs both ends, e.g. 8..128"));
            }
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("'{arg}': '{s}' is not a number"))
        };
        let (low, high) = (number(lo)?, number(hi)?);
        let domain = Domain::Range {
            low,
            high,
            log,
            int,
        };
        check_range(&name, &domain)?;
        Ok(Self { name, domain })
    }

    /// The space a search offers first for `spec`: its slider's range (and
    /// scale), every choice, or both truth values; none for text.
    pub fn default_for(spec: &ParamSpec) -> Option<Self> {
        // The slider's range, inside the values the parameter accepts; a
        // log slider that starts at 0 starts at 10⁻⁴ of its top instead.
        let range = |int: bool| {
            let s = spec.slider?;
            let (mut low, mut high) = (s.lo, s.hi);
            match spec.kind {
                ParamKind::Int { min, max } => {
                    low = low.max(min as f64);
                    high = max.map_or(high, |m| high.min(m as f64));
                }
                ParamKind::OptionalInt { min } => low = low.max(min as f64),
                ParamKind::Float { min, max, .. } => {
                    low = low.max(min);
                    high = max.map_or(high, |m| high.min(m));
                }
                _ => {}
            }
            if s.log && low <= 0.0 {
                low = if int { 1.0 } else { high * 1e-4 };
            }
            Some(Domain::Range {
                low,
                high,
                log: s.log,
                int,
            })
        };
        let domain = match spec.kind {
            ParamKind::Int { .. } | ParamKind::OptionalInt { .. } => range(true)?,
            ParamKind::Float { .. } => range(false)?,
            ParamKind::Choice(choices) => Domain::Choices {
                values: choices.iter().map(|(c, _)| Value::from(*c)).collect(),
            },
            ParamKind::Bool => Domain::Choices {
                values: vec![Value::Bool(false), Value::Bool(true)],
            },
            ParamKind::Text => return None,
        };
        Some(Self {
            name: spec.name.to_owned(),
            domain,
        })
    }

    /// The domain as typed after `NAME=` (`8..128:log:int`, `a,b`).
    pub fn text(&self) -> String {
        match &self.domain {
            Domain::Range {
                low,
                high,
                log,
                int,
            } => format!(
                "{low}..{high}{}{}",
                if *log { ":log" } else { "" },
                if *int { ":int" } else { "" }
            ),
            Domain::Choices { values } => values
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// A value of this dimension as the sampler sees it: the number, or
    /// the index of the choice. `None` for a value outside the domain.
    pub fn internal(&self, value: &Value) -> Option<f64> {
        match &self.domain {
            Domain::Range { .. } => value.as_f64(),
            Domain::Choices { values } => values
                .iter()
                .position(|v| same_value(v, value))
                .map(|i| i as f64),
        }
    }

    /// The parameter value of a sampler's number (or choice index).
    pub fn external(&self, x: f64) -> Value {
        match &self.domain {
            Domain::Range { int: true, .. } => Value::from(x.round() as i64),
            Domain::Range { .. } => Value::from(x),
            Domain::Choices { values } => values
                .get(x as usize)
                .or(values.last())
                .cloned()
                .unwrap_or(Value::Null),
        }
    }

    /// A uniform draw, as Optuna's `RandomSampler`: on the log scale for
    /// log ranges; whole numbers drawn over `[low − ½, high + ½]` and
    /// rounded, so the ends are as likely as the middle.
    pub fn random(&self, rng: &mut impl Rng) -> Value {
        match &self.domain {
            Domain::Range {
                low,
                high,
                log,
                int,
            } => {
                let half = if *int { 0.5 } else { 0.0 };
                let (a, b) = (low - half, high + half);
                let u: f64 = rng.gen();
                let x = if *log {
                    (a.ln() + u * (b.ln() - a.ln())).exp()
                } else {
                    a + u * (b - a)
                };
                let x = if *int {
                    x.round().clamp(*low, *high)
                } else {
                    x
                };
                self.external(x)
            }
            Domain::Choices { values } => values[rng.gen_range(0..values.len())].clone(),
        }
    }
}

/// JSON values equal as parameters (1 and 1.0 are the same number).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Why a range is unusable, if it is.
fn check_range(name: &str, domain: &Domain) -> Result<(), String> {
    let Domain::Range {
        low,
        high,
        log,
        int,
    } = *domain
    else {
        return Ok(());
    };
    if low > high {
        return Err(format!(
            "{name}={low}..{high}: the low end {low} is above the high end {high}"
        ));
    }
    if int && low.ceil() > high.floor() {
        return Err(format!(
            "{name}={low}..{high}: the range holds no whole number"
        ));
    }
    if !int && low == high {
        return Err(format!(
            "{name}={low}..{high}: the range is empty; to hold {name} at {low}, use --param {name}={low}"
        ));
    }
    if log && low <= 0.0 {
        return Err(format!(
            "{name}={low}..{high}:log: a log-scale range needs a low end above 0"
        ));
    }
    Ok(())
}

/// `dims` checked against the model whose parameters `base` holds: names
/// made canonical (aliases resolved), each parameter once, ranges only for
/// numbers (whole-number parameters get whole-number ranges), both ends and
/// every choice valid values of the parameter.
pub fn resolve<P: Hyperparams>(dims: &[Dimension], base: &P) -> Result<Vec<Dimension>, String> {
    if dims.is_empty() {
        return Err("choose at least one parameter to search".into());
    }
    let mut out: Vec<Dimension> = Vec::with_capacity(dims.len());
    for dim in dims {
        let Some(spec) = base.spec(&dim.name) else {
            return Err(format!(
                "{} has no parameter '{}'; it has: {}",
                base.title(),
                dim.name,
                base.names().join(", ")
            ));
        };
        if out.iter().any(|d| d.name == spec.name) {
            return Err(format!(
                "'{}' is in the space twice; give it once",
                spec.name
            ));
        }
        let domain = match (&dim.domain, spec.kind) {
            (Domain::Range { .. }, ParamKind::Choice(_) | ParamKind::Bool | ParamKind::Text) => {
                return Err(format!(
                    "{} takes one of a list of values, not a range: write {}=a,b,…",
                    spec.name, spec.name
                ))
            }
            (
                Domain::Range { low, high, log, .. },
                ParamKind::Int { .. } | ParamKind::OptionalInt { .. },
            ) => {
                // Checked as typed, then narrowed to the whole numbers inside.
                let typed = Domain::Range {
                    low: *low,
                    high: *high,
                    log: *log,
                    int: true,
                };
                check_range(spec.name, &typed)?;
                Domain::Range {
                    low: low.ceil(),
                    high: high.floor(),
                    log: *log,
                    int: true,
                }
            }
            (other, _) => other.clone(),
        };
        check_range(spec.name, &domain)?;
        let ends: Vec<Value> = match &domain {
            Domain::Range { low, high, int, .. } => {
                let end = |x: f64| {
                    if *int {
                        Value::from(x as i64)
                    } else {
                        Value::from(x)
                    }
                };
                vec![end(*low), end(*high)]
            }
            Domain::Choices { values } => values.clone(),
        };
        for value in &ends {
            let mut p = base.clone();
            p.set(spec.name, value)?;
            let set = p.get(spec.name).unwrap_or(Value::Null);
            if let Some(problem) = spec.problem(&set) {
                return Err(format!(
                    "{}={}: {value} is not a valid value ({} {problem})",
                    spec.name,
                    Dimension {
                        name: String::new(),
                        domain: domain.clone()
                    }
                    .text(),
                    spec.name
                ));
            }
        }
        out.push(Dimension {
            name: spec.name.to_owned(),
            domain,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parses_ranges_flags_and_lists() {
        let d = Dimension::parse("factors=8..128:log:int").unwrap();
        assert_eq!(
            d.domain,
            Domain::Range {
                low: 8.0,
                high: 128.0,
                log: true,
                int: true
            }
        );
        assert_eq!(d.text(), "8..128:log:int");
        let c = Dimension::parse("similarity=cosine,bm25").unwrap();
        assert_eq!(c.text(), "cosine,bm25");
        assert_eq!(c.internal(&Value::from("bm25")), Some(1.0));
        assert_eq!(c.external(0.0), Value::from("cosine"));
    }

    #[test]
    fn bad_spaces_say_what_is_wrong() {
        let err = |a: &str| Dimension::parse(a).unwrap_err();
        assert!(err("alpha=10..1").contains("above the high end"));
        assert!(err("alpha=").contains("empty"));
        assert!(err("alpha=1..1").contains("empty"));
        assert!(err("k=2.2..2.8:int").contains("no whole number"));
        assert!(err("alpha=0..1:log").contains("above 0"));
        assert!(err("alpha=1..x").contains("'x' is not a number"));
        assert!(err("alpha=1..2:cubic").contains("unknown flag"));
        assert!(err("=1..2").contains("expected"));
    }

    #[test]
    fn every_models_default_space_is_valid() {
        // Each sweepable parameter's first space parses back and resolves
        // against its model (the Runs tab offers these).
        for model in crate::registry::sweep_models() {
            for spec in model.entry.sweepable() {
                let Some(dim) = Dimension::default_for(spec) else {
                    continue;
                };
                let again = Dimension::parse(&format!("{}={}", dim.name, dim.text()));
                assert_eq!(
                    again.as_ref().ok(),
                    Some(&dim),
                    "{}: {again:?}",
                    model.name()
                );
            }
        }
    }

    #[test]
    fn random_whole_numbers_reach_both_ends() {
        let d = Dimension::parse("k=1..3:int").unwrap();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut seen = [0usize; 3];
        for _ in 0..3000 {
            let v = d.random(&mut rng).as_i64().unwrap();
            seen[(v - 1) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (900..1100).contains(&n)), "{seen:?}");
    }
}
