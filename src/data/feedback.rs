//! The profile of logged bandit feedback (a file with reward and
//! propensity columns, such as the Open Bandit Dataset): how often each
//! slot's shown items were clicked, and how that differs between the values
//! of each user column — the differences a per-segment policy lives on.

use serde::{Deserialize, Serialize};

use super::columns::{numbers, texts};
use super::{Dataset, LoadError, Role};

/// User columns with more distinct values than this are not broken down
/// (ids and free text would make tables of one row per user).
const MAX_VALUES: usize = 50;

/// One value's rows and reward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateRow {
    pub value: String,
    pub rows: u64,
    /// Summed reward (clicks).
    pub reward: f64,
    /// reward ÷ rows.
    pub rate: f64,
}

/// Click rates by slot and by each user column's values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackProfile {
    /// By slot, in slot order (one row without a position column).
    pub by_slot: Vec<RateRow>,
    /// For each user column (named like `user_feature…` or `context…`), its
    /// values in sorted order.
    pub by_user_column: Vec<(String, Vec<RateRow>)>,
}

/// Whether a column holds a user feature by its name, as obp's Open Bandit
/// Dataset reader picks its context (`user_feature_0`, …) or a column
/// named `context…`.
pub fn is_user_feature(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("user_feature") || name.starts_with("context")
}

/// Rates per value of `keys` (sorted: numbers by value, else as text).
fn rates(keys: &[Option<String>], rewards: &[f64]) -> Vec<RateRow> {
    let mut by: std::collections::BTreeMap<&str, (u64, f64)> = Default::default();
    for (k, r) in keys.iter().zip(rewards) {
        let e = by.entry(k.as_deref().unwrap_or("")).or_default();
        e.0 += 1;
        e.1 += if r.is_nan() { 0.0 } else { *r };
    }
    let mut rows: Vec<RateRow> = by
        .into_iter()
        .map(|(value, (rows, reward))| RateRow {
            value: value.to_owned(),
            rows,
            reward,
            rate: reward / rows.max(1) as f64,
        })
        .collect();
    if rows.iter().all(|r| r.value.parse::<f64>().is_ok()) {
        rows.sort_by(|a, b| {
            let (x, y) = (a.value.parse::<f64>(), b.value.parse::<f64>());
            x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
        });
    }
    rows
}

/// The feedback profile of `ds`, when it is a log (reward and propensity
/// columns); `None` otherwise.
pub fn feedback_profile(ds: &Dataset) -> Result<Option<FeedbackProfile>, LoadError> {
    let (Some(reward), Some(_)) = (ds.roles.get(Role::Reward), ds.roles.get(Role::Propensity))
    else {
        return Ok(None);
    };
    let rewards = numbers(ds, reward, "the reward")?;
    let by_slot = match ds.roles.get(Role::Position) {
        Some(c) => rates(&texts(ds, c)?, &rewards),
        None => rates(&vec![Some("1".to_owned()); rewards.len()], &rewards),
    };
    let mut by_user_column = Vec::new();
    for name in ds.column_names() {
        if !is_user_feature(&name) {
            continue;
        }
        let rows = rates(&texts(ds, &name)?, &rewards);
        if rows.len() <= MAX_VALUES {
            by_user_column.push((name, rows));
        }
    }
    Ok(Some(FeedbackProfile {
        by_slot,
        by_user_column,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_value_in_numeric_order() {
        let keys: Vec<Option<String>> = ["10", "9", "10", "9", "9"]
            .iter()
            .map(|s| Some(s.to_string()))
            .collect();
        let r = rates(&keys, &[1.0, 0.0, 0.0, 1.0, 1.0]);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].value.as_str(), r[0].rows, r[0].reward), ("9", 3, 2.0));
        assert_eq!((r[1].value.as_str(), r[1].rate), ("10", 0.5));
    }
}
