//! session-rec's single split: filter the log, then hold out the sessions of
//! the last N days.
//!
//! 1. drop sessions shorter than `min_session_length` views;
//! 2. drop the views of items with fewer than `min_item_support` views left;
//! 3. drop sessions shorter than `min_session_length` again;
//! 4. a session is *test* when its last view is strictly after (the latest
//!    view left − N days), *train* otherwise (train sessions shorter than 2
//!    views are dropped);
//! 5. drop test views of items no train session has, then test sessions left
//!    with fewer than 2 views.

use serde::{Deserialize, Serialize};

use super::log::SessionLog;
use crate::task::TaskError;

const DAY_SECS: f64 = 86_400.0;

/// How the log is filtered and split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionProtocol {
    /// Sessions ending in the last this many days are the test set.
    pub test_days: f64,
    pub min_item_support: usize,
    pub min_session_length: usize,
}

impl Default for SessionProtocol {
    fn default() -> Self {
        Self {
            test_days: 7.0,
            min_item_support: 5,
            min_session_length: 2,
        }
    }
}

impl SessionProtocol {
    /// `last-days:N` (the only session split).
    pub fn parse_split(text: &str) -> Result<f64, String> {
        let days = text
            .strip_prefix("last-days:")
            .ok_or_else(|| format!("session models split by 'last-days:N', not '{text}'"))?;
        match days.trim().parse::<f64>() {
            Ok(d) if d.is_finite() && d > 0.0 => Ok(d),
            _ => Err(format!(
                "'{text}': the number of test days must be a number above 0"
            )),
        }
    }

    /// `last-days:7 (items ≥ 5 views, sessions ≥ 2 views)` for records.
    pub fn describe(&self) -> String {
        format!(
            "last-days:{} (items ≥ {} views, sessions ≥ {} views)",
            self.test_days, self.min_item_support, self.min_session_length
        )
    }

    pub fn split_name(&self) -> String {
        format!("last-days:{}", self.test_days)
    }
}

/// A session after filtering: views as dense train-item indices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub label: String,
    pub items: Vec<u32>,
    /// Seconds, oldest first.
    pub times: Vec<f64>,
}

impl Session {
    pub fn last_time(&self) -> f64 {
        self.times.last().copied().unwrap_or(f64::NEG_INFINITY)
    }
}

/// How many views and sessions each step kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FilterReport {
    pub views_read: usize,
    pub sessions_read: usize,
    pub views_filtered: usize,
    pub sessions_filtered: usize,
    pub items_filtered: usize,
    pub train_views: usize,
    pub train_sessions: usize,
    /// Sessions ending after the cut, before dropping unseen items.
    pub test_candidates: usize,
    pub test_views: usize,
    pub test_sessions: usize,
    /// Next-item predictions the test sessions give (views − sessions).
    pub predictions: usize,
    /// Unix seconds of the cut: test sessions end after it.
    pub cut: f64,
}

/// The split log: items are the train items, indexed in order of first
/// appearance in the train sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionData {
    pub item_labels: Vec<String>,
    pub train: Vec<Session>,
    pub test: Vec<Session>,
    pub report: FilterReport,
    pub protocol: SessionProtocol,
}

impl SessionData {
    pub fn n_items(&self) -> usize {
        self.item_labels.len()
    }

    /// The index of the item labelled `label`.
    pub fn item_index(&self, label: &str) -> Option<u32> {
        self.item_labels
            .iter()
            .position(|l| l == label)
            .map(|i| i as u32)
    }
}

/// Filter and split `log` by `protocol`.
pub fn split(log: &SessionLog, protocol: &SessionProtocol) -> Result<SessionData, TaskError> {
    let file = log.path.display();
    let min_len = protocol.min_session_length.max(1);
    let mut report = FilterReport {
        views_read: log.views,
        sessions_read: log.sessions.len(),
        ..Default::default()
    };
    // 1–3: session length, item support, session length.
    let long: Vec<&super::log::RawSession> = log
        .sessions
        .iter()
        .filter(|s| s.views.len() >= min_len)
        .collect();
    let mut support = vec![0usize; log.item_labels.len()];
    for s in &long {
        for &(i, _) in &s.views {
            support[i as usize] += 1;
        }
    }
    let kept: Vec<(&str, Vec<(u32, f64)>)> = long
        .iter()
        .map(|s| {
            let views: Vec<(u32, f64)> = s
                .views
                .iter()
                .copied()
                .filter(|&(i, _)| support[i as usize] >= protocol.min_item_support)
                .collect();
            (s.label.as_str(), views)
        })
        .filter(|(_, v)| v.len() >= min_len)
        .collect();
    if kept.is_empty() {
        return Err(TaskError::Input(format!(
            "{file}: no session is left after the filters: {} of {} sessions have at least {min_len} views, and none keeps {min_len} views of items viewed at least {} times. Lower the item-support filter or load a larger log.",
            long.len(),
            log.sessions.len(),
            protocol.min_item_support
        )));
    }
    report.sessions_filtered = kept.len();
    report.views_filtered = kept.iter().map(|(_, v)| v.len()).sum();
    let mut items_seen = vec![false; log.item_labels.len()];
    for (_, v) in &kept {
        for &(i, _) in v {
            items_seen[i as usize] = true;
        }
    }
    report.items_filtered = items_seen.iter().filter(|&&b| b).count();

    // 4: the cut.
    let latest = kept
        .iter()
        .flat_map(|(_, v)| v.iter().map(|&(_, t)| t))
        .fold(f64::NEG_INFINITY, f64::max);
    let cut = latest - protocol.test_days * DAY_SECS;
    report.cut = cut;
    let last = |v: &[(u32, f64)]| v.iter().map(|&(_, t)| t).fold(f64::NEG_INFINITY, f64::max);
    let (test_raw, train_raw): (Vec<_>, Vec<_>) = kept.iter().partition(|(_, v)| last(v) > cut);
    let train_raw: Vec<_> = train_raw
        .into_iter()
        .filter(|(_, v)| v.len() >= 2)
        .collect();
    if train_raw.is_empty() {
        return Err(TaskError::Input(format!(
            "{file}: every one of the {} sessions left after the filters ends within the last {} days, so none is left to train on. Choose fewer test days.",
            kept.len(),
            protocol.test_days
        )));
    }
    report.test_candidates = test_raw.len();

    // Train items, in order of first appearance.
    let mut dense = vec![u32::MAX; log.item_labels.len()];
    let mut item_labels = Vec::new();
    let mut train = Vec::with_capacity(train_raw.len());
    for (label, views) in &train_raw {
        let mut items = Vec::with_capacity(views.len());
        for &(i, _) in views {
            if dense[i as usize] == u32::MAX {
                dense[i as usize] = item_labels.len() as u32;
                item_labels.push(log.item_labels[i as usize].clone());
            }
            items.push(dense[i as usize]);
        }
        train.push(Session {
            label: (*label).to_owned(),
            items,
            times: views.iter().map(|&(_, t)| t).collect(),
        });
    }
    // 5: test views of train items, sessions of 2 or more.
    let mut test = Vec::new();
    for (label, views) in &test_raw {
        let known: Vec<(u32, f64)> = views
            .iter()
            .filter(|&&(i, _)| dense[i as usize] != u32::MAX)
            .map(|&(i, t)| (dense[i as usize], t))
            .collect();
        if known.len() >= 2 {
            test.push(Session {
                label: (*label).to_owned(),
                items: known.iter().map(|&(i, _)| i).collect(),
                times: known.iter().map(|&(_, t)| t).collect(),
            });
        }
    }
    if test.is_empty() {
        let why = if test_raw.is_empty() {
            format!(
                "no session ends in the last {} days (the latest view is at {}); choose more test days",
                protocol.test_days,
                crate::data::timestamp::format_iso(latest as i64)
            )
        } else {
            format!(
                "{} sessions end in the last {} days, but none keeps 2 views of items the train sessions have (the filter that drops items unseen in training removed them); choose more test days",
                test_raw.len(),
                protocol.test_days
            )
        };
        return Err(TaskError::Input(format!(
            "{file}: the session split leaves no test session: {why}."
        )));
    }
    report.train_sessions = train.len();
    report.train_views = train.iter().map(|s| s.items.len()).sum();
    report.test_sessions = test.len();
    report.test_views = test.iter().map(|s| s.items.len()).sum();
    report.predictions = report.test_views - report.test_sessions;
    Ok(SessionData {
        item_labels,
        train,
        test,
        report,
        protocol: protocol.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::log::RawSession;
    use super::*;

    fn log(sessions: Vec<(&str, Vec<(u32, f64)>)>, items: usize) -> SessionLog {
        SessionLog {
            path: "t.csv".into(),
            views: sessions.iter().map(|(_, v)| v.len()).sum(),
            sessions: sessions
                .into_iter()
                .map(|(l, views)| RawSession {
                    label: l.into(),
                    views,
                })
                .collect(),
            item_labels: (0..items).map(|i| format!("i{i}")).collect(),
            skipped: 0,
            views_only: false,
        }
    }

    fn protocol(days: f64, support: usize) -> SessionProtocol {
        SessionProtocol {
            test_days: days,
            min_item_support: support,
            min_session_length: 2,
        }
    }

    const DAY: f64 = DAY_SECS;

    #[test]
    fn filters_in_session_rec_order_and_cuts_strictly_after() {
        let l = log(
            vec![
                ("a", vec![(0, 0.0), (1, 1.0)]),
                ("b", vec![(0, DAY), (1, DAY + 1.0), (2, DAY + 2.0)]),
                ("c", vec![(2, 2.0)]), // too short: its view of 2 does not count
                // Ends exactly at the cut (latest − 1 day): train.
                ("d", vec![(0, 2.0 * DAY), (1, 3.0 * DAY - 3.0)]),
                (
                    "e",
                    vec![
                        (1, 3.0 * DAY - 4.0),
                        (0, 4.0 * DAY - 5.0),
                        (2, 4.0 * DAY - 3.0),
                    ],
                ),
            ],
            3,
        );
        let d = split(&l, &protocol(1.0, 2)).unwrap();
        // Item 2 has 2 views in long sessions (b, e): kept.
        assert_eq!(d.report.sessions_filtered, 4);
        assert_eq!(
            d.train.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(),
            ["a", "b", "d"]
        );
        assert_eq!(d.test.len(), 1);
        assert_eq!(d.item_labels, ["i0", "i1", "i2"]);
        assert_eq!(d.report.predictions, 2);
    }

    #[test]
    fn test_views_of_unseen_items_are_dropped_then_short_sessions() {
        let l = log(
            vec![
                ("a", vec![(0, 0.0), (1, 1.0)]),
                ("b", vec![(0, 2.0), (1, 3.0)]),
                (
                    "t",
                    vec![(2, 5.0 * DAY), (2, 5.0 * DAY + 1.0), (0, 5.0 * DAY + 2.0)],
                ),
            ],
            3,
        );
        let e = split(&l, &protocol(1.0, 1)).unwrap_err().to_string();
        assert!(e.contains("1 sessions end in the last 1 days"), "{e}");
        assert!(e.contains("unseen in training"), "{e}");
    }

    #[test]
    fn no_recent_session_and_no_train_session_say_so() {
        let l = log(
            vec![
                ("a", vec![(0, 0.0), (1, 1.0)]),
                ("b", vec![(0, 2.0), (1, 3.0)]),
            ],
            2,
        );
        let e = split(&l, &protocol(30.0, 1)).unwrap_err().to_string();
        assert!(e.contains("none is left to train on"), "{e}");
        let l = log(vec![("a", vec![(0, 0.0), (1, 1.0)])], 2);
        let e = split(&l, &protocol(1.0, 5)).unwrap_err().to_string();
        assert!(e.contains("no session is left after the filters"), "{e}");
    }

    #[test]
    fn parses_last_days() {
        assert_eq!(SessionProtocol::parse_split("last-days:7"), Ok(7.0));
        assert!(SessionProtocol::parse_split("last-days:0").is_err());
        assert!(SessionProtocol::parse_split("temporal:2020-01-01").is_err());
    }
}
