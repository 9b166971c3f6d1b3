//! What purchase prediction reads from a file: one row per customer action
//! (view, cart, favourite, purchase) with its time, order and amount, read
//! once and shared by every cutoff.
//!
//! A *purchase* is a row whose event type is purchase, or — for order files
//! with no event column — every row the loader's order cleaning keeps (as
//! the Segments tab counts them). An *order* is a distinct order id, or a
//! distinct purchase day (UTC) where there is no order id.

use std::collections::HashMap;

use crate::data::columns::{encode_keys, hash_text, line_amount, timestamps, NO_KEY, NO_TIME};
use crate::data::profile::kept_rows;
use crate::data::{Dataset, EventKind, Role};
use crate::task::TaskError;

/// What a row did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    View,
    Cart,
    Favourite,
    Purchase,
}

/// One kept row.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub customer: u32,
    pub time: i64,
    pub action: Action,
    /// Order key (hash of the order id, or the purchase day) of a purchase.
    pub order: u64,
    /// Quantity × price of a purchase (0 without a price).
    pub amount: f64,
    pub item: u32,
    /// `NO_KEY` when unknown.
    pub category: u32,
}

/// The file's actions in time order.
#[derive(Clone, Debug)]
pub struct ActivityLog {
    pub rows: Vec<Row>,
    /// Customer id of each code.
    pub customers: Vec<String>,
    /// Whether the file says what each row is (an event log), rather than
    /// being order lines (every row a purchase).
    pub has_events: bool,
    pub has_price: bool,
    pub has_category: bool,
    pub first_time: i64,
    pub last_time: i64,
}

impl ActivityLog {
    pub fn from_dataset(ds: &Dataset) -> Result<ActivityLog, TaskError> {
        let name = crate::display::display_name(&ds.path);
        let need = |role: Role, what: &str| {
            ds.roles.get(role).map(str::to_owned).ok_or_else(|| {
                TaskError::Input(format!(
                    "{name} has no {what} column ({role}), which purchase prediction needs. Assign one in the Data tab's column mapping."
                ))
            })
        };
        let user_col = need(Role::User, "customer")?;
        let time_col = need(Role::Timestamp, "timestamp")?;
        let column = ds
            .df
            .column(&user_col)
            .map_err(|e| TaskError::Input(e.to_string()))?;
        let users = encode_keys(column).map_err(|e| TaskError::Input(e.to_string()))?;
        let times = timestamps(ds, &time_col)?;
        let quantity = ds.role_numbers(Role::Quantity)?;
        let price = ds.role_numbers(Role::Price)?;
        let orders = ds.role_texts(Role::Order)?;
        let events = ds.role_texts(Role::Event)?;
        let items = ds.role_keys(Role::Item)?.map(|k| k.codes);
        let categories = ds.role_keys(Role::Category)?.map(|k| k.codes);
        let keep = kept_rows(ds)?;
        let mut kinds: HashMap<String, Option<Action>> = HashMap::new();
        let mut rows = Vec::with_capacity(ds.df.height());
        for row in 0..ds.df.height() {
            let (u, t) = (users.codes[row], times[row]);
            if u == NO_KEY || t == NO_TIME || !keep[row] {
                continue;
            }
            let action = match &events {
                None => Some(Action::Purchase),
                Some(e) => match e[row].as_deref() {
                    None => None,
                    Some(raw) => *kinds.entry(raw.to_owned()).or_insert_with(|| {
                        match EventKind::normalise(raw) {
                            EventKind::View => Some(Action::View),
                            EventKind::Cart => Some(Action::Cart),
                            EventKind::Favourite => Some(Action::Favourite),
                            EventKind::Purchase => Some(Action::Purchase),
                            EventKind::Other => None,
                        }
                    }),
                },
            };
            let Some(action) = action else { continue };
            let (mut order, mut amount) = (0, 0.0);
            if action == Action::Purchase {
                order = match orders.as_ref().and_then(|o| o[row].as_deref()) {
                    Some(o) => hash_text(o),
                    None => t.div_euclid(86_400) as u64,
                };
                amount = line_amount(price.as_deref(), quantity.as_deref(), row).unwrap_or(0.0);
            }
            rows.push(Row {
                customer: u,
                time: t,
                action,
                order,
                amount,
                item: items.as_ref().map_or(0, |i| i[row]),
                category: categories.as_ref().map_or(NO_KEY, |c| c[row]),
            });
        }
        if !rows.iter().any(|r| r.action == Action::Purchase) {
            return Err(TaskError::Input(format!(
                "{name} has no purchases{}, so there is nothing to predict. Open order lines or an event log with purchase events.",
                if events.is_some() { " (no event is of type purchase)" } else { "" }
            )));
        }
        rows.sort_by_key(|r| r.time);
        let first_time = rows.first().map_or(0, |r| r.time);
        let last_time = rows.last().map_or(0, |r| r.time);
        Ok(ActivityLog {
            customers: (0..users.n_distinct())
                .map(|u| users.labels.label(u as u32))
                .collect(),
            rows,
            has_events: events.is_some(),
            has_price: price.is_some(),
            has_category: categories.is_some(),
            first_time,
            last_time,
        })
    }
}
