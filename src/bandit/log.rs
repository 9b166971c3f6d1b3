//! Logged bandit feedback read from a loaded file: which item was shown
//! (the action), in which slot, what it earned, and the probability the
//! logging policy gave it. The Open Bandit Dataset's columns are recognised
//! by the loader; other logs map the item, reward, propensity, position and
//! timestamp roles like any other file.

use std::path::PathBuf;

use super::context::{context_columns, Categories, LogContext};
use super::item_features::ItemFeatures;
use crate::data::columns::{numbers, texts, timestamps};
use crate::data::{Dataset, LoadError, Role};
use crate::task::TaskError;

/// The log, rows in time order (file order without timestamps).
#[derive(Clone, Debug)]
pub struct BanditLog {
    pub path: PathBuf,
    /// Dense action of each row; `action_labels[a]` is its item id.
    pub actions: Vec<u32>,
    pub action_labels: Vec<String>,
    pub rewards: Vec<f64>,
    pub propensities: Vec<f64>,
    /// Dense slot of each row (all 0 without a position column).
    pub slots: Vec<u32>,
    pub slot_labels: Vec<String>,
    /// Whether the rows were put in time order by a timestamp column.
    pub time_ordered: bool,
    /// The 1-based file line of each row, for messages.
    pub lines: Vec<u64>,
    /// The user context a reward model learns from (no columns unless
    /// asked for).
    pub context: LogContext,
    /// The column a per-segment policy splits on, when one is chosen.
    pub segments: Option<Categories>,
    /// The items' features from an item file, when one is chosen.
    pub items: Option<ItemFeatures>,
}

/// Which of a log's columns describe the user: `context` as
/// [`context_columns`] reads it (`auto`, or a list), `segment` one column
/// or none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserColumns {
    pub context: Option<String>,
    pub segment: Option<String>,
}

impl BanditLog {
    /// A log of one slot for tests: `actions` among items named `labels`,
    /// their `rewards`, each logged with `propensity`.
    #[cfg(test)]
    pub(crate) fn toy(
        actions: Vec<u32>,
        rewards: Vec<f64>,
        labels: &[&str],
        propensity: f64,
    ) -> Self {
        let n = actions.len();
        BanditLog {
            path: "toy.csv".into(),
            actions,
            action_labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            rewards,
            propensities: vec![propensity; n],
            slots: vec![0; n],
            slot_labels: vec!["1".into()],
            time_ordered: false,
            lines: (2..2 + n as u64).collect(),
            context: Default::default(),
            segments: None,
            items: None,
        }
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn n_actions(&self) -> usize {
        self.action_labels.len()
    }

    pub fn n_slots(&self) -> usize {
        self.slot_labels.len()
    }

    /// Row `i`'s (slot, item, reward).
    pub fn row(&self, i: usize) -> (usize, usize, f64) {
        (
            self.slots[i] as usize,
            self.actions[i] as usize,
            self.rewards[i],
        )
    }

    /// The first row whose reward is not 0 or 1, as (line, value).
    pub fn non_binary_reward(&self) -> Option<(u64, f64)> {
        self.rewards
            .iter()
            .position(|&r| r != 0.0 && r != 1.0)
            .map(|i| (self.lines[i], self.rewards[i]))
    }

    /// Refuse a reward other than 0 or 1 among `rows`, naming its line and
    /// `who` needs click/no-click rewards (and what to do, in `hint`).
    pub fn require_binary(
        &self,
        rows: std::ops::Range<usize>,
        who: &str,
        hint: &str,
    ) -> Result<(), TaskError> {
        match rows.into_iter().find(|&i| {
            let r = self.rewards[i];
            r != 0.0 && r != 1.0
        }) {
            Some(i) => Err(TaskError::Input(format!(
                "{}: line {}: reward {} is not 0 or 1; {who} needs click/no-click rewards{hint}",
                self.path.display(),
                self.lines[i],
                self.rewards[i]
            ))),
            None => Ok(()),
        }
    }

    /// Read the log from `ds` by its roles.
    pub fn from_dataset(ds: &Dataset) -> Result<BanditLog, TaskError> {
        Self::with_user_columns(ds, &UserColumns::default())
    }

    /// Read the log from `ds` by its roles, with the user columns `user`
    /// names.
    pub fn with_user_columns(ds: &Dataset, user: &UserColumns) -> Result<BanditLog, TaskError> {
        let missing = |what: &str, flag: &str| -> TaskError {
            LoadError::MissingRole {
                path: ds.path.clone(),
                what: what.into(),
                flag: flag.into(),
                columns: ds.column_names().join(", "),
            }
            .into()
        };
        let item = ds
            .roles
            .get(Role::Item)
            .ok_or_else(|| missing("the item shown (the action)", "item-col"))?;
        let reward = ds
            .roles
            .get(Role::Reward)
            .ok_or_else(|| missing("the reward (click or purchase, 0/1)", "reward-col"))?;
        let propensity = ds.roles.get(Role::Propensity).ok_or_else(|| {
            missing(
                "the logging propensity (probability of the logged item)",
                "propensity-col",
            )
        })?;
        if ds.df.height() == 0 {
            return Err(TaskError::Input(format!(
                "{}: the log has no rows",
                ds.path.display()
            )));
        }
        let items = texts(ds, item)?;
        let rewards = numbers(ds, reward, "the reward")?;
        let propensities = numbers(ds, propensity, "the propensity")?;
        let positions = match ds.roles.get(Role::Position) {
            Some(c) => Some(texts(ds, c)?),
            None => None,
        };
        let bad = |row: usize, column: &str, value: String, expected: &str| -> TaskError {
            LoadError::BadValue {
                path: ds.path.clone(),
                line: ds.line_of_row(row),
                column: column.to_owned(),
                value,
                expected: expected.to_owned(),
            }
            .into()
        };
        for row in 0..items.len() {
            if items[row].is_none() {
                return Err(bad(row, item, String::new(), "an item id"));
            }
            if rewards[row].is_nan() {
                return Err(bad(row, reward, String::new(), "a reward (a number)"));
            }
            let p = propensities[row];
            if p.is_nan() || p <= 0.0 || p > 1.0 {
                let shown = if p.is_nan() {
                    String::new()
                } else {
                    p.to_string()
                };
                return Err(bad(
                    row,
                    propensity,
                    shown,
                    "a propensity above 0 and at most 1 (the logging policy's probability of this item)",
                ));
            }
        }
        // Time order, ties in file order.
        let mut order: Vec<usize> = (0..items.len()).collect();
        let time_ordered = match ds.roles.get(Role::Timestamp) {
            Some(c) => {
                let times = timestamps(ds, c)?;
                order.sort_by_key(|&i| (times[i], i));
                true
            }
            None => false,
        };
        let (actions, action_labels) = dense(order.iter().map(|&i| items[i].as_deref()));
        let (slots, slot_labels) = match &positions {
            Some(p) => dense(order.iter().map(|&i| p[i].as_deref())),
            None => (vec![0; order.len()], vec!["1".to_owned()]),
        };
        let context = match &user.context {
            Some(spec) => LogContext::read(ds, &context_columns(ds, spec)?, &order)?,
            None => LogContext::default(),
        };
        let segments = match user.segment.as_deref().map(str::trim) {
            Some(column) if !column.is_empty() => {
                if !ds.column_names().iter().any(|c| c == column) {
                    return Err(TaskError::Input(format!(
                        "{}: there is no segment column '{column}' (columns: {})",
                        ds.path.display(),
                        ds.column_names().join(", ")
                    )));
                }
                Some(Categories::read(ds, column, &order)?)
            }
            _ => None,
        };
        Ok(BanditLog {
            path: ds.path.clone(),
            context,
            segments,
            items: None,
            actions,
            action_labels,
            rewards: order.iter().map(|&i| rewards[i]).collect(),
            propensities: order.iter().map(|&i| propensities[i]).collect(),
            slots,
            slot_labels,
            time_ordered,
            lines: order.iter().map(|&i| ds.line_of_row(i)).collect(),
        })
    }
}

/// Dense codes in the ids' natural order (numbers by value, else as text),
/// so "lower item id" means what it says.
fn dense<'a>(values: impl Iterator<Item = Option<&'a str>> + Clone) -> (Vec<u32>, Vec<String>) {
    let mut labels: Vec<String> = values
        .clone()
        .map(|v| v.unwrap_or("").to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if labels.iter().all(|l| l.parse::<f64>().is_ok()) {
        labels.sort_by(|a, b| {
            let (x, y) = (a.parse::<f64>(), b.parse::<f64>());
            match (x, y) {
                (Ok(x), Ok(y)) => x.total_cmp(&y),
                _ => a.cmp(b),
            }
        });
    }
    let index: std::collections::HashMap<&str, u32> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u32))
        .collect();
    let codes = values
        .map(|v| index.get(v.unwrap_or("")).copied().unwrap_or(0))
        .collect();
    (codes, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_ordered_by_value() {
        let v = ["10", "9", "10", "1"];
        let (codes, labels) = dense(v.iter().map(|s| Some(*s)));
        assert_eq!(labels, ["1", "9", "10"]);
        assert_eq!(codes, [2, 1, 2, 0]);
    }
}
