//! Engagement over time: daily and weekly active users and cohort
//! retention by week or by month. A user is *active* on a day with any kept
//! row; weeks start on Monday (UTC), months on the 1st. A user's cohort is
//! the period of their first row; retention at offset n is the share of the
//! cohort's users active in the cohort's period + n. The data's last week
//! and month are usually cut short: [`Engagement::partial`] says so, the
//! weekly chart leaves a partial week out, and the retention table marks it.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::SegmentError;
use crate::data::columns::{encode_keys, timestamps, NO_KEY, NO_TIME};
use crate::data::profile::kept_rows;
use crate::data::timestamp::{civil_from_days, days_from_civil};
use crate::data::{Dataset, Role};

/// At most this many cohorts (the latest) and period offsets are shown.
pub const MAX_COHORTS: usize = 26;

/// What cohorts are grouped by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    #[default]
    Week,
    Month,
}

impl Period {
    pub fn name(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The period a day (days since 1970-01-01) falls in, as a number.
    pub fn of_day(self, day: i64) -> i64 {
        match self {
            Period::Week => week_of_day(day),
            Period::Month => {
                let (y, m, _) = civil_from_days(day);
                y * 12 + i64::from(m) - 1
            }
        }
    }

    /// The first day of period `p`.
    pub fn start(self, p: i64) -> i64 {
        match self {
            Period::Week => monday_of_week(p),
            Period::Month => days_from_civil(p.div_euclid(12), (p.rem_euclid(12) + 1) as u32, 1),
        }
    }

    /// Whether `day` is the last day of its period.
    fn ends_on(self, day: i64) -> bool {
        self.of_day(day + 1) != self.of_day(day)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    /// (day as days since 1970-01-01, active users).
    pub daily_active: Vec<(i64, usize)>,
    /// (Monday of the week as days since 1970-01-01, active users).
    pub weekly_active: Vec<(i64, usize)>,
    /// Weekly cohorts.
    pub cohorts: Vec<Cohort>,
    pub monthly_cohorts: Vec<Cohort>,
    /// The data's last day (days since 1970-01-01).
    pub last_day: i64,
}

impl Engagement {
    /// The cohorts by `period`.
    pub fn cohorts_by(&self, period: Period) -> &[Cohort] {
        match period {
            Period::Week => &self.cohorts,
            Period::Month => &self.monthly_cohorts,
        }
    }

    /// The most period offsets any cohort has (the retention table's width).
    pub fn cohort_width(&self, period: Period) -> usize {
        self.cohorts_by(period)
            .iter()
            .map(|c| c.retention.len())
            .max()
            .unwrap_or(0)
    }

    /// Whether the data's last `period` is cut short (the data ends before
    /// the period does), so its figures undercount.
    pub fn partial(&self, period: Period) -> bool {
        !self.daily_active.is_empty() && !period.ends_on(self.last_day)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// First day of the cohort's period, days since 1970-01-01.
    #[serde(alias = "week_start")]
    pub start: i64,
    pub users: usize,
    /// Share active at offsets 0, 1, … up to the data's last period.
    pub retention: Vec<f64>,
}

/// 1970-01-01 was a Thursday: shift by 3 days so weeks start on Monday.
pub fn week_of_day(day: i64) -> i64 {
    (day + 3).div_euclid(7)
}

pub fn monday_of_week(week: i64) -> i64 {
    week * 7 - 3
}

/// Retention of the users first seen in each period, by `period`.
fn cohorts(active_days: &[BTreeMap<i64, ()>], period: Period) -> Vec<Cohort> {
    let mut active: BTreeMap<i64, HashSet<u32>> = BTreeMap::new();
    let mut first = vec![i64::MAX; active_days.len()];
    for (u, days) in active_days.iter().enumerate() {
        for &day in days.keys() {
            let p = period.of_day(day);
            active.entry(p).or_default().insert(u as u32);
            first[u] = first[u].min(p);
        }
    }
    let Some(&last) = active.keys().next_back() else {
        return Vec::new();
    };
    let mut by_cohort: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for (u, &p) in first.iter().enumerate() {
        if p != i64::MAX {
            by_cohort.entry(p).or_default().push(u as u32);
        }
    }
    by_cohort
        .iter()
        .rev()
        .take(MAX_COHORTS)
        .rev()
        .map(|(&p, members)| Cohort {
            start: period.start(p),
            users: members.len(),
            retention: (p..=last)
                .take(MAX_COHORTS)
                .map(|q| {
                    let seen = active.get(&q);
                    let n = members
                        .iter()
                        .filter(|u| seen.is_some_and(|a| a.contains(u)))
                        .count();
                    n as f64 / members.len() as f64
                })
                .collect(),
        })
        .collect()
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
    // Each user's active days (a map as a sorted set).
    let mut active_days: Vec<BTreeMap<i64, ()>> = vec![BTreeMap::new(); users.n_distinct()];
    for row in 0..times.len() {
        let (u, t) = (users.codes[row], times[row]);
        if u == NO_KEY || t == NO_TIME || !keep[row] {
            continue;
        }
        let day = t.div_euclid(86_400);
        daily.entry(day).or_default().insert(u);
        weekly.entry(week_of_day(day)).or_default().insert(u);
        active_days[u as usize].insert(day, ());
    }
    let Some(&last_day) = daily.keys().next_back() else {
        return Ok(Engagement::default());
    };
    Ok(Engagement {
        daily_active: daily.into_iter().map(|(d, u)| (d, u.len())).collect(),
        weekly_active: weekly
            .into_iter()
            .map(|(w, u)| (monday_of_week(w), u.len()))
            .collect(),
        cohorts: cohorts(&active_days, Period::Week),
        monthly_cohorts: cohorts(&active_days, Period::Month),
        last_day,
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

    #[test]
    fn months_and_partial_periods() {
        let mar_15 = days_from_civil(2024, 3, 15);
        let m = Period::Month.of_day(mar_15);
        assert_eq!(Period::Month.start(m), days_from_civil(2024, 3, 1));
        assert_eq!(Period::Month.of_day(days_from_civil(2024, 4, 1)), m + 1);
        assert!(Period::Month.ends_on(days_from_civil(2024, 2, 29)));
        assert!(!Period::Month.ends_on(mar_15));
        // 2024-04-28 was a Sunday, 2024-04-29 a Monday.
        assert!(Period::Week.ends_on(days_from_civil(2024, 4, 28)));
        let e = Engagement {
            daily_active: vec![(days_from_civil(2024, 4, 29), 3)],
            last_day: days_from_civil(2024, 4, 29),
            ..Default::default()
        };
        assert!(e.partial(Period::Week) && e.partial(Period::Month));
    }
}
