//! One hyperparameter interface for every model kind (recommenders, sentiment
//! classifiers, k-means): each parameter has one name (plus the short aliases
//! the CLI flags use), a label and tooltip for the UI, a kind with its valid
//! range, and a slider range. Sweeps, the CLI, the tabs, workspaces and the
//! Runs tab all read and write parameters through it, so a new model gets
//! them by listing its [`ParamSpec`]s.
//!
//! Validation follows linfa's `ParamGuard`: [`Hyperparams::checked`] returns a
//! [`Checked`] value, and the fit functions accept only that, so nothing
//! fits with parameters nobody checked. Every invalid field gives its own
//! error.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One invalid hyperparameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

/// `a must …; b must …` for messages.
pub fn joined(errors: &[ParamError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What values a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// A whole number from `min`, up to `max` when there is one.
    Int {
        min: u64,
        max: Option<u64>,
    },
    /// Unset (JSON null), or a whole number of at least `min`.
    OptionalInt {
        min: u64,
    },
    /// A finite number above `min` (`above`) or at least `min`, up to `max`.
    Float {
        min: f64,
        above: bool,
        max: Option<f64>,
    },
    /// One of these `(value, label)` pairs.
    Choice(&'static [(&'static str, &'static str)]),
    Bool,
    /// Written as text (e.g. `word:1-2`); the model checks it itself.
    Text,
}

/// The range the UI's slider offers (validation uses the kind's range).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slider {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
}

pub const fn slider(lo: f64, hi: f64) -> Option<Slider> {
    Some(Slider { lo, hi, log: false })
}

pub const fn log_slider(lo: f64, hi: f64) -> Option<Slider> {
    Some(Slider { lo, hi, log: true })
}

/// One hyperparameter of a model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// The one name: in JSON, run records, `sweep --grid` and `--param`.
    pub name: &'static str,
    /// Other names accepted on input (the CLI's short flags: `reg`, `lr`, …).
    pub aliases: &'static [&'static str],
    pub label: &'static str,
    pub tooltip: &'static str,
    pub kind: ParamKind,
    pub slider: Option<Slider>,
    /// Only meaningful when another parameter has this value (BM25's K1 and
    /// B with `similarity = bm25`): hidden otherwise and left out of records.
    pub when: Option<(&'static str, &'static str)>,
    /// A knob for experts (threads, CG steps, …): the simple UI hides it.
    pub advanced: bool,
    /// Values a first sweep of this parameter tries (`16,32,64`); the
    /// model's first parameter that has them is the Runs tab's first axis.
    pub sweep: Option<&'static str>,
}

impl ParamSpec {
    /// A parameter with no aliases, no condition, shown in the simple UI.
    pub const fn new(
        name: &'static str,
        label: &'static str,
        tooltip: &'static str,
        kind: ParamKind,
        slider: Option<Slider>,
    ) -> Self {
        Self {
            name,
            aliases: &[],
            label,
            tooltip,
            kind,
            slider,
            when: None,
            advanced: false,
            sweep: None,
        }
    }

    /// The values a first sweep of this parameter tries.
    pub const fn sweep(mut self, values: &'static str) -> Self {
        self.sweep = Some(values);
        self
    }

    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

    pub const fn when(mut self, name: &'static str, value: &'static str) -> Self {
        self.when = Some((name, value));
        self
    }

    pub const fn advanced(mut self) -> Self {
        self.advanced = true;
        self
    }

    pub fn is_called(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Whether the parameter means anything given the others (`json`).
    pub fn applies(&self, json: &Value) -> bool {
        self.when
            .is_none_or(|(other, value)| json.get(other).and_then(Value::as_str) == Some(value))
    }

    /// What is wrong with `value`, if anything (one sentence after the name).
    pub fn problem(&self, value: &Value) -> Option<String> {
        let fmt = |x: f64| format!("{x}");
        match self.kind {
            ParamKind::Int { min, max } => {
                let ok = value
                    .as_u64()
                    .is_some_and(|v| v >= min && max.is_none_or(|m| v <= m));
                (!ok).then(|| match max {
                    Some(max) => format!("must be between {min} and {max}"),
                    None => format!("must be at least {min}"),
                })
            }
            ParamKind::OptionalInt { min } => {
                let ok = value.is_null() || value.as_u64().is_some_and(|v| v >= min);
                (!ok).then(|| format!("must be at least {min} when set"))
            }
            ParamKind::Float { min, above, max } => {
                let ok = value.as_f64().is_some_and(|v| {
                    v.is_finite()
                        && if above { v > min } else { v >= min }
                        && max.is_none_or(|m| v <= m)
                });
                (!ok).then(|| match max {
                    Some(max) => format!("must be between {} and {}", fmt(min), fmt(max)),
                    None if above => format!("must be a number > {}", fmt(min)),
                    None => format!("must be a number ≥ {}", fmt(min)),
                })
            }
            ParamKind::Choice(choices) => {
                let ok = value
                    .as_str()
                    .is_some_and(|v| choices.iter().any(|(c, _)| *c == v));
                (!ok).then(|| {
                    format!(
                        "must be one of {}",
                        choices
                            .iter()
                            .map(|(c, _)| *c)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            }
            ParamKind::Bool => (!value.is_boolean()).then(|| "must be true or false".into()),
            ParamKind::Text => None,
        }
    }
}

/// Parameters that passed [`Hyperparams::check`]; the fit functions accept
/// only this.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked<P>(P);

impl<P> std::ops::Deref for Checked<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.0
    }
}

impl<P> Checked<P> {
    pub fn into_inner(self) -> P {
        self.0
    }
}

/// The hyperparameters of one model kind.
pub trait Hyperparams:
    Clone + std::fmt::Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Every parameter, in the order the UI shows and validation reports them.
    fn specs(&self) -> &'static [ParamSpec];

    /// The model's name for people ("ALS (implicit)").
    fn title(&self) -> &'static str;

    /// Checks that involve more than one field or a [`ParamKind::Text`] value.
    fn check_more(&self, _errors: &mut Vec<ParamError>) {}

    /// JSON for a [`ParamKind::Text`] parameter written as `text`.
    fn parse_text(&self, name: &str, text: &str) -> Result<Value, String> {
        let _ = name;
        Ok(Value::String(text.to_owned()))
    }

    /// A [`ParamKind::Text`] parameter as text (the inverse of `parse_text`),
    /// for records and tables; `None` shows its JSON.
    fn text(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }

    /// The spec called `name` (or one of its aliases).
    fn spec(&self, name: &str) -> Option<&'static ParamSpec> {
        self.specs().iter().find(|s| s.is_called(name))
    }

    /// The one names of every parameter.
    fn names(&self) -> Vec<&'static str> {
        self.specs().iter().map(|s| s.name).collect()
    }

    /// The parameters as a JSON object, floats as written (0.01, not
    /// 0.009999999776482582).
    fn json(&self) -> Value {
        json_as_written(self)
    }

    fn get(&self, name: &str) -> Option<Value> {
        let spec = self.spec(name)?;
        self.json().get(spec.name).cloned()
    }

    fn get_f64(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            Value::Number(n) => n.as_f64(),
            Value::Bool(b) => Some(f64::from(u8::from(b))),
            _ => None,
        }
    }

    /// Set `name` (or an alias) to `value`. Whole-number parameters take
    /// rounded values; unknown names list the known ones; a value of the
    /// wrong type is refused. Validity of the value is [`Self::check`]'s job.
    fn set(&mut self, name: &str, value: &Value) -> Result<(), String> {
        let Some(spec) = self.spec(name) else {
            return Err(format!(
                "{} has no parameter '{name}'; it has: {}",
                self.title(),
                self.names().join(", ")
            ));
        };
        let refused = |why: &str| format!("{name} = {value} is not accepted ({why})");
        let whole = |value: &Value| -> Result<Value, String> {
            let Some(x) = value.as_f64() else {
                return Err(refused("expected a whole number"));
            };
            if !x.is_finite() || x < 0.0 {
                return Err(format!("{name} must be a whole number ≥ 0, not {value}"));
            }
            Ok(Value::from(x.round() as u64))
        };
        let new = match spec.kind {
            ParamKind::Int { .. } => whole(value)?,
            ParamKind::OptionalInt { .. } if value.is_null() => Value::Null,
            ParamKind::OptionalInt { .. } => whole(value)?,
            ParamKind::Float { .. } => match value {
                Value::Number(_) => value.clone(),
                _ => return Err(refused("expected a number")),
            },
            ParamKind::Bool => match value {
                Value::Bool(_) => value.clone(),
                Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
                _ => return Err(refused("expected true or false")),
            },
            ParamKind::Choice(choices) => match value.as_str() {
                Some(v) if choices.iter().any(|(c, _)| *c == v) => value.clone(),
                _ => {
                    return Err(refused(&format!(
                        "expected one of {}",
                        choices
                            .iter()
                            .map(|(c, _)| *c)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            },
            ParamKind::Text => match value {
                Value::String(s) => self.parse_text(spec.name, s).map_err(|e| refused(&e))?,
                other => other.clone(),
            },
        };
        let mut json = self.json();
        let Some(object) = json.as_object_mut() else {
            return Err(refused("the parameters are not an object"));
        };
        object.insert(spec.name.to_owned(), new);
        *self = serde_json::from_value(json).map_err(|e| refused(&e.to_string()))?;
        Ok(())
    }

    /// A copy with `name` set to `value`.
    fn with(&self, name: &str, value: &Value) -> Result<Self, String> {
        let mut p = self.clone();
        p.set(name, value)?;
        Ok(p)
    }

    /// Every invalid field, each with its own message, in spec order.
    fn check(&self) -> Result<(), Vec<ParamError>> {
        let json = self.json();
        let mut errors: Vec<ParamError> = self
            .specs()
            .iter()
            .filter_map(|spec| {
                let value = json.get(spec.name).unwrap_or(&Value::Null);
                spec.problem(value).map(|message| ParamError {
                    field: spec.name,
                    message,
                })
            })
            .collect();
        self.check_more(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The parameters as the fit functions accept them, or every problem.
    fn checked(self) -> Result<Checked<Self>, Vec<ParamError>> {
        self.check()?;
        Ok(Checked(self))
    }

    /// `name → value` of the parameters that apply (run records, tables).
    fn flat(&self) -> BTreeMap<String, Value> {
        let json = self.json();
        self.specs()
            .iter()
            .filter(|s| s.applies(&json))
            .filter_map(|s| {
                let value = match (s.kind, self.text(s.name)) {
                    (ParamKind::Text, Some(text)) => Value::String(text),
                    _ => json.get(s.name)?.clone(),
                };
                Some((s.name.to_owned(), value))
            })
            .collect()
    }
}

/// `value` as JSON through text, so f32 fields read as written (0.01, not
/// 0.009999999776482582 as `serde_json::to_value` gives).
pub fn json_as_written<T: Serialize>(value: &T) -> Value {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

/// A typed value (`16`, `0.01`, `true`, `bm25`) from text.
pub fn parse_value(text: &str) -> Value {
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

/// The models of a capability that offers several (recommenders, session
/// models): each with a name and its own hyperparameters.
pub trait ModelKind: Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    type Params: Hyperparams;
    const ALL: &'static [Self];
    /// What the models are, for "'x' is not {WHAT}".
    const WHAT: &'static str;

    /// The name in records, JSON and on the command line.
    fn name(self) -> &'static str;
    /// The model's default hyperparameters.
    fn defaults(self) -> Self::Params;
    /// The model `params` belong to.
    fn of(params: &Self::Params) -> Self;

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The model called `name`, or an error that says it is not one.
    fn named(name: &str) -> Result<Self, String> {
        Self::from_name(name).ok_or_else(|| format!("'{name}' is not {}", Self::WHAT))
    }
}

/// Each model's hyperparameters, in [`ModelKind::ALL`] order, kept while
/// another model is chosen (saved as a plain list).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(transparent, bound = "")]
pub struct PerModel<K: ModelKind>(Vec<K::Params>);

impl<K: ModelKind> Default for PerModel<K> {
    fn default() -> Self {
        Self(K::ALL.iter().map(|k| k.defaults()).collect())
    }
}

impl<K: ModelKind> PerModel<K> {
    /// `kind`'s settings (its defaults when a saved list lacks them).
    pub fn get(&self, kind: K) -> K::Params {
        self.slot(kind)
            .and_then(|i| self.0.get(i))
            .filter(|p| K::of(p) == kind)
            .cloned()
            .unwrap_or_else(|| kind.defaults())
    }

    pub fn get_mut(&mut self, kind: K) -> Option<&mut K::Params> {
        let i = self.slot(kind)?;
        if self.0.get(i).is_none_or(|p| K::of(p) != kind) {
            // A saved list that is short or out of order: repair the slot.
            self.0
                .resize_with(self.0.len().max(i + 1), || kind.defaults());
            self.0[i] = kind.defaults();
        }
        self.0.get_mut(i)
    }

    /// Keep `params` as their model's settings.
    pub fn set(&mut self, params: K::Params) {
        if let Some(slot) = self.get_mut(K::of(&params)) {
            *slot = params;
        }
    }

    fn slot(&self, kind: K) -> Option<usize> {
        K::ALL.iter().position(|k| *k == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Toy {
        count: usize,
        rate: f32,
        mode: String,
        cap: Option<usize>,
        on: bool,
    }

    const TOY: &[ParamSpec] = &[
        ParamSpec::new(
            "count",
            "count",
            "",
            ParamKind::Int {
                min: 1,
                max: Some(10),
            },
            None,
        )
        .aliases(&["n"]),
        ParamSpec::new(
            "rate",
            "rate",
            "",
            ParamKind::Float {
                min: 0.0,
                above: true,
                max: None,
            },
            None,
        ),
        ParamSpec::new(
            "mode",
            "mode",
            "",
            ParamKind::Choice(&[("a", "A"), ("b", "B")]),
            None,
        ),
        ParamSpec::new("cap", "cap", "", ParamKind::OptionalInt { min: 1 }, None).when("mode", "b"),
        ParamSpec::new("on", "on", "", ParamKind::Bool, None),
    ];

    impl Hyperparams for Toy {
        fn specs(&self) -> &'static [ParamSpec] {
            TOY
        }
        fn title(&self) -> &'static str {
            "Toy"
        }
    }

    fn toy() -> Toy {
        Toy {
            count: 3,
            rate: 0.1,
            mode: "a".into(),
            cap: None,
            on: true,
        }
    }

    #[test]
    fn every_bad_field_has_its_own_message_in_spec_order() {
        let bad = Toy {
            count: 0,
            rate: f32::NAN,
            mode: "c".into(),
            cap: Some(0),
            on: true,
        };
        let errors = bad.check().unwrap_err();
        let got: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            got,
            vec![
                "count must be between 1 and 10",
                "rate must be a number > 0",
                "mode must be one of a, b",
                "cap must be at least 1 when set",
            ]
        );
        assert!(toy().checked().is_ok());
    }

    #[test]
    fn set_by_name_or_alias_rounds_whole_numbers_and_refuses_wrong_types() {
        let mut p = toy();
        p.set("n", &Value::from(4.6)).unwrap();
        assert_eq!(p.count, 5);
        p.set("rate", &Value::from(0.01)).unwrap();
        assert_eq!(p.get("rate"), Some(Value::from(0.01)));
        p.set("on", &Value::from("false")).unwrap();
        assert!(!p.on);
        p.set("cap", &Value::Null).unwrap();
        assert!(p
            .set("count", &Value::from("x"))
            .unwrap_err()
            .contains("not accepted"));
        assert!(p
            .set("mode", &Value::from("z"))
            .unwrap_err()
            .contains("one of a, b"));
        let unknown = p.set("nope", &Value::from(1)).unwrap_err();
        assert!(unknown.contains("no parameter 'nope'") && unknown.contains("count, rate"));
        assert!(p
            .set("count", &Value::from(-1))
            .unwrap_err()
            .contains("≥ 0"));
    }

    #[test]
    fn flat_leaves_out_parameters_that_do_not_apply() {
        let mut p = toy();
        assert!(!p.flat().contains_key("cap"));
        p.mode = "b".into();
        assert!(p.flat().contains_key("cap"));
        assert_eq!(p.flat()["count"], Value::from(3));
    }

    #[test]
    fn values_parse_to_their_type() {
        assert_eq!(parse_value("16"), Value::from(16));
        assert_eq!(parse_value("0.5"), Value::from(0.5));
        assert_eq!(parse_value("true"), Value::Bool(true));
        assert_eq!(parse_value("bm25"), Value::from("bm25"));
    }
}
