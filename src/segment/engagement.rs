//! Engagement over time: daily and weekly active users and weekly cohort
//! retention. A user is *active* on a day with any kept row; weeks start on
//! Monday (UTC). A user's cohort is the week of their first row; retention at
//! week offset w is the share of the cohort's users active in cohort week + w.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::SegmentError;
use crate::data::columns::{encode_keys, timestamps, NO_KEY, NO_TIME};
use crate::data::profile::kept_rows;
use crate::data::{Dataset, Role};

/// At most this many cohorts (the latest) and week offsets are shown.
pub const MAX_COHORTS: usize = 26;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    /// (day as days since 1970-01-01, active users).
    pub daily_active: Vec<(i64, usize)>,
    /// (Monday of the week as days since 1970-01-01, active users).
    pub weekly_active: Vec<(i64, usize)>,
    pub cohorts: Vec<Cohort>,
}

impl Engagement {
    /// The most week offsets any cohort has (the retention table's width).
    pub fn cohort_weeks(&self) -> usize {
        self.cohorts
            .iter()
            .map(|c| c.retention.len())
            .max()
            .unwrap_or(0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// Monday of the cohort's week, days since 1970-01-01.
    pub week_start: i64,
    pub users: usize,
    /// Share active at week offsets 0, 1, … up to the data's last week.
    pub retention: Vec<f64>,
}

/// 1970-01-01 was a Thursday: shift by 3 days so weeks start on Monday.
pub fn week_of_day(day: i64) -> i64 {
    (day + 3).div_euclid(7)
}

pub fn monday_of_week(week: i64) -> i64 {
    week * 7 - 3
}

pub fn engagement(ds: &Dataset) -> Result<Engagement, SegmentError> {
    let (Some(user_col), Some(time_col)) =
        (ds.role_column(Role::User), ds.roles.get(Role::Timestamp))
    else {
        return Err(SegmentError::Input(
            "active users and retention need a user and a timestamp column".into(),
        ));
    };
    let users = encode_keys(user_col).map_err(|e| SegmentError::Input(e.to_string()))?;
    let times = timestamps(ds, time_col)?;
    let keep = kept_rows(ds)?;
    let mut daily: BTreeMap<i64, HashSet<u32>> = BTreeMap::new();
    let mut weekly: BTreeMap<i64, HashSet<u32>> = BTreeMap::new();
    let mut first_week = vec![i64::MAX; users.n_distinct()];
    for row in 0..times.len() {
        let (u, t) = (users.codes[row], times[row]);
        if u == NO_KEY || t == NO_TIME || !keep[row] {
            continue;
        }
        let day = t.div_euclid(86_400);
        let week = week_of_day(day);
        daily.entry(day).or_default().insert(u);
        weekly.entry(week).or_default().insert(u);
        first_week[u as usize] = first_week[u as usize].min(week);
    }
    let Some(&last_week) = weekly.keys().next_back() else {
        return Ok(Engagement::default());
    };
    let mut by_cohort: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for (u, &w) in first_week.iter().enumerate() {
        if w != i64::MAX {
            by_cohort.entry(w).or_default().push(u as u32);
        }
    }
    let cohorts = by_cohort
        .iter()
        .rev()
        .take(MAX_COHORTS)
        .rev()
        .map(|(&week, members)| Cohort {
            week_start: monday_of_week(week),
            users: members.len(),
            retention: (week..=last_week)
                .take(MAX_COHORTS)
                .map(|w| {
                    let active = weekly.get(&w);
                    let n = members
                        .iter()
                        .filter(|u| active.is_some_and(|a| a.contains(u)))
                        .count();
                    n as f64 / members.len() as f64
                })
                .collect(),
        })
        .collect();
    Ok(Engagement {
        daily_active: daily.into_iter().map(|(d, u)| (d, u.len())).collect(),
        weekly_active: weekly
            .into_iter()
            .map(|(w, u)| (monday_of_week(w), u.len()))
            .collect(),
        cohorts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        // 1970-01-05 (day 4) was a Monday; 1970-01-04 (day 3) a Sunday.
        assert_eq!(week_of_day(4), week_of_day(10));
        assert_ne!(week_of_day(3), week_of_day(4));
        assert_eq!(monday_of_week(week_of_day(9)), 4);
    }
}
