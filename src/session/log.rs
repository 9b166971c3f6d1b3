//! The views of a loaded file grouped by session, each session in time order.

use std::path::PathBuf;

use crate::data::columns::{encode_keys, numbers, timestamps, KeyLabels, NO_KEY, NO_TIME};
use crate::data::events::EventKind;
use crate::data::roles::Role;
use crate::data::Dataset;
use crate::task::TaskError;

/// One session as read: its id and its views (item code, time in seconds),
/// oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSession {
    pub label: String,
    pub views: Vec<(u32, f64)>,
}

/// Every session of a file, in the order of their ids (numeric ids by value).
#[derive(Clone, Debug)]
pub struct SessionLog {
    pub path: PathBuf,
    pub sessions: Vec<RawSession>,
    /// Item labels by item code.
    pub item_labels: Vec<String>,
    /// Rows read as views.
    pub views: usize,
    /// Rows left out: no session, item or time, or an event other than a view.
    pub skipped: usize,
    /// Whether an event column restricted the log to views.
    pub views_only: bool,
}

impl SessionLog {
    /// Read the session, item and timestamp columns (plus the in-session
    /// offset, when the file has one) of a loaded file. A view's time is its
    /// timestamp plus its offset in ms, as session-rec reads DIGINETICA.
    /// Rows with an event column keep only views when the file has any.
    pub fn from_dataset(ds: &Dataset) -> Result<Self, TaskError> {
        let missing = |what: &str, role: Role, why: &str| {
            TaskError::Input(format!(
                "{}: no {what} column. {why} Set the '{}' role in the Data tab's column mapping (or pass --{}).",
                ds.path.display(),
                role.name(),
                role.flag(),
            ))
        };
        let session_col = ds.role_column(Role::Session).ok_or_else(|| {
            missing(
                "session",
                Role::Session,
                "Session recommenders group views by browsing session.",
            )
        })?;
        let item_col = ds
            .role_column(Role::Item)
            .ok_or_else(|| missing("item", Role::Item, "Each view needs the item viewed."))?;
        let time_name = ds.roles.get(Role::Timestamp).ok_or_else(|| {
            missing(
                "timestamp",
                Role::Timestamp,
                "The session split and the order of views need when each view happened.",
            )
        })?;
        let polars = |e: polars::prelude::PolarsError| TaskError::Input(e.to_string());
        let sessions = encode_keys(session_col).map_err(polars)?;
        let items = encode_keys(item_col).map_err(polars)?;
        let times = timestamps(ds, time_name)?;
        let offsets = match ds.roles.get(Role::Offset) {
            Some(name) => Some(numbers(ds, name, "ms within the session")?),
            None => None,
        };
        let views_mask = view_rows(ds)?;
        let views_only = views_mask.is_some();

        let mut grouped: Vec<Vec<(u32, f64, usize)>> = vec![Vec::new(); sessions.n_distinct()];
        let mut skipped = 0;
        for row in 0..sessions.codes.len() {
            let (s, i, t) = (sessions.codes[row], items.codes[row], times[row]);
            let is_view = views_mask.as_ref().is_none_or(|m| m[row]);
            if s == NO_KEY || i == NO_KEY || t == NO_TIME || !is_view {
                skipped += 1;
                continue;
            }
            let offset = offsets.as_ref().map_or(0.0, |o| o[row]);
            let offset = if offset.is_finite() { offset } else { 0.0 };
            grouped[s as usize].push((i, t as f64 + offset / 1000.0, row));
        }
        let order = session_order(&sessions.labels);
        let mut out = Vec::with_capacity(grouped.len());
        let mut views = 0;
        for s in order {
            let mut rows = std::mem::take(&mut grouped[s]);
            if rows.is_empty() {
                continue;
            }
            // Stable: views at the same time stay in file order.
            rows.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)));
            views += rows.len();
            out.push(RawSession {
                label: sessions.labels.label(s as u32),
                views: rows.into_iter().map(|(i, t, _)| (i, t)).collect(),
            });
        }
        if out.is_empty() {
            return Err(TaskError::Input(format!(
                "{}: no row has a session, an item and a time{}",
                ds.path.display(),
                if views_only { " and is a view" } else { "" }
            )));
        }
        Ok(SessionLog {
            path: ds.path.clone(),
            sessions: out,
            item_labels: (0..items.n_distinct() as u32)
                .map(|c| items.labels.label(c))
                .collect(),
            views,
            skipped,
            views_only,
        })
    }
}

/// Which rows are views, when the file has an event column with views in it.
fn view_rows(ds: &Dataset) -> Result<Option<Vec<bool>>, TaskError> {
    let Some(col) = ds.role_column(Role::Event) else {
        return Ok(None);
    };
    let cast = col
        .cast(&polars::prelude::DataType::String)
        .map_err(|e| TaskError::Input(e.to_string()))?;
    let values = cast.str().map_err(|e| TaskError::Input(e.to_string()))?;
    let mask: Vec<bool> = values
        .iter()
        .map(|v| v.is_some_and(|s| EventKind::normalise(s) == EventKind::View))
        .collect();
    Ok(mask.iter().any(|&v| v).then_some(mask))
}

/// Session codes in the order session-rec sorts its data by: numeric ids by
/// value, text ids as text.
fn session_order(labels: &KeyLabels) -> Vec<usize> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    match labels {
        KeyLabels::Int(v) => order.sort_by_key(|&i| v[i]),
        KeyLabels::Text(v) => order.sort_by(|&a, &b| v[a].cmp(&v[b])),
    }
    order
}
