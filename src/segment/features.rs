//! Per-customer features from events or order lines.
//!
//! - A *purchase* is a row whose event type is purchase, or — for order data
//!   with no event column — every row kept by the loader's order cleaning
//!   (customer present, quantity > 0, price > 0, not a cancelled invoice).
//! - *Customers* are users with at least one purchase.
//! - recency = whole days (rounded down) from the customer's last purchase to
//!   the reference time, by default the data's last timestamp + 1 day;
//! - frequency = distinct order ids, or distinct purchase days (UTC) where
//!   there is no order id;
//! - monetary = Σ quantity × price over purchases (quantity 1 without a
//!   quantity column; unavailable without a price);
//! - with event types: views, carts, purchases (rows), conversion rate =
//!   purchases / views (0 without views), active days (distinct days with any
//!   event), distinct categories bought or viewed, average basket = monetary /
//!   frequency.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::SegmentError;
use crate::data::catalogue::Catalogue;
use crate::data::columns::{encode_keys, hash_text, line_amount, NO_KEY, NO_TIME};
use crate::data::profile::kept_rows;
use crate::data::{Dataset, EventKind, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Recency,
    Frequency,
    Monetary,
    Views,
    Carts,
    Purchases,
    ConversionRate,
    ActiveDays,
    Categories,
    AverageBasket,
}

impl Feature {
    pub const ALL: [Feature; 10] = [
        Feature::Recency,
        Feature::Frequency,
        Feature::Monetary,
        Feature::Views,
        Feature::Carts,
        Feature::Purchases,
        Feature::ConversionRate,
        Feature::ActiveDays,
        Feature::Categories,
        Feature::AverageBasket,
    ];
    pub const RFM: [Feature; 3] = [Feature::Recency, Feature::Frequency, Feature::Monetary];

    pub fn name(self) -> &'static str {
        match self {
            Feature::Recency => "recency",
            Feature::Frequency => "frequency",
            Feature::Monetary => "monetary",
            Feature::Views => "views",
            Feature::Carts => "carts",
            Feature::Purchases => "purchases",
            Feature::ConversionRate => "conversion_rate",
            Feature::ActiveDays => "active_days",
            Feature::Categories => "categories",
            Feature::AverageBasket => "average_basket",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Feature::Recency => "days since the last purchase",
            Feature::Frequency => "distinct orders (or purchase days)",
            Feature::Monetary => "total spend: Σ quantity × price",
            Feature::Views => "product views",
            Feature::Carts => "add-to-cart events",
            Feature::Purchases => "purchase rows",
            Feature::ConversionRate => "purchases / views",
            Feature::ActiveDays => "distinct days with any event",
            Feature::Categories => "distinct categories touched",
            Feature::AverageBasket => "spend per order",
        }
    }

    pub fn parse(name: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.name() == name.trim())
    }

    /// Features by name, or which name is unknown and what is known.
    pub fn parse_list(names: &[String]) -> Result<Vec<Feature>, String> {
        names
            .iter()
            .map(|n| {
                Feature::parse(n).ok_or_else(|| {
                    format!(
                        "unknown feature '{n}'; known: {}",
                        Feature::ALL.map(|f| f.name()).join(", ")
                    )
                })
            })
            .collect()
    }
}

/// One row per customer; a column per available feature.
#[derive(Clone, Debug, Default)]
pub struct CustomerTable {
    pub ids: Vec<String>,
    pub columns: Vec<(Feature, Vec<f64>)>,
    /// Revenue per customer for revenue shares (monetary, or 0 without prices).
    pub revenue: Vec<f64>,
    /// Unix seconds the recency is measured to.
    pub reference_time: Option<i64>,
    /// Things the user should know (a feature unavailable, users left out).
    pub notes: Vec<String>,
}

impl CustomerTable {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn get(&self, feature: Feature) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(f, _)| *f == feature)
            .map(|(_, v)| v.as_slice())
    }

    pub fn available(&self) -> Vec<Feature> {
        self.columns.iter().map(|(f, _)| *f).collect()
    }
}

#[derive(Default, Clone)]
struct Acc {
    last_purchase: i64,
    orders: HashSet<u64>,
    purchase_days: HashSet<i64>,
    monetary: f64,
    views: u32,
    carts: u32,
    purchases: u32,
    active_days: HashSet<i64>,
    categories: HashSet<u32>,
}

/// Build the customer table. `reference_time` overrides the default (the data's
/// last timestamp + 1 day).
pub fn customer_table(
    ds: &Dataset,
    catalogue: Option<&Catalogue>,
    reference_time: Option<i64>,
) -> Result<CustomerTable, SegmentError> {
    let name = ds.path.file_name().map_or_else(
        || ds.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let user_col = ds.role_column(Role::User).ok_or_else(|| {
        SegmentError::Input(format!(
            "{name} has no customer (user) column, so there is no one to segment. Assign one in the Data tab's column mapping."
        ))
    })?;
    let users = encode_keys(user_col).map_err(|e| SegmentError::Input(e.to_string()))?;
    let times = ds.role_times(Role::Timestamp)?;
    let quantity = ds.role_numbers(Role::Quantity)?;
    let price = ds.role_numbers(Role::Price)?;
    let orders = ds.role_texts(Role::Order)?;
    let events: Option<Vec<EventKind>> = match ds.role_texts(Role::Event)? {
        Some(raw) => {
            let mut cache: HashMap<String, EventKind> = HashMap::new();
            Some(
                raw.iter()
                    .map(|r| match r {
                        None => EventKind::Other,
                        Some(r) => *cache
                            .entry(r.clone())
                            .or_insert_with(|| EventKind::normalise(r)),
                    })
                    .collect(),
            )
        }
        None => None,
    };
    let categories: Option<Vec<u32>> = match (ds.role_keys(Role::Category)?, catalogue) {
        (Some(keys), _) => Some(keys.codes),
        // No category column: the categories of an items.csv beside the data.
        (None, Some(cat)) => ds.role_texts(Role::Item)?.map(|items| {
            let mut names: HashMap<String, u32> = HashMap::new();
            items
                .iter()
                .map(|i| {
                    i.as_deref()
                        .and_then(|i| cat.get(i))
                        .and_then(|c| c.category.clone())
                        .map_or(NO_KEY, |c| {
                            let next = names.len() as u32;
                            *names.entry(c).or_insert(next)
                        })
                })
                .collect()
        }),
        (None, None) => None,
    };
    let keep = kept_rows(ds)?;
    let n_users = users.n_distinct();
    let mut acc = vec![
        Acc {
            last_purchase: NO_TIME,
            ..Default::default()
        };
        n_users
    ];
    let mut max_time = NO_TIME;
    let mut any_purchase = false;
    for row in 0..ds.df.height() {
        let u = users.codes[row];
        if u == NO_KEY || !keep[row] {
            continue;
        }
        let a = &mut acc[u as usize];
        let t = times.as_ref().map_or(NO_TIME, |t| t[row]);
        let day = (t != NO_TIME).then(|| t.div_euclid(86_400));
        if t != NO_TIME {
            max_time = max_time.max(t);
        }
        if let Some(d) = day {
            a.active_days.insert(d);
        }
        if let Some(c) = categories.as_ref().map(|c| c[row]).filter(|&c| c != NO_KEY) {
            a.categories.insert(c);
        }
        let kind = events.as_ref().map_or(EventKind::Purchase, |e| e[row]);
        match kind {
            EventKind::View => a.views += 1,
            EventKind::Cart => a.carts += 1,
            EventKind::Purchase => {
                any_purchase = true;
                a.purchases += 1;
                if t != NO_TIME {
                    a.last_purchase = a.last_purchase.max(t);
                }
                match orders.as_ref().and_then(|o| o[row].as_deref()) {
                    Some(order) => {
                        a.orders.insert(hash_text(order));
                    }
                    None => {
                        if let Some(d) = day {
                            a.purchase_days.insert(d);
                        }
                    }
                }
                a.monetary +=
                    line_amount(price.as_deref(), quantity.as_deref(), row).unwrap_or(0.0);
            }
            _ => {}
        }
    }
    if !any_purchase {
        return Err(SegmentError::Input(format!(
            "{name} has no purchases{}, so there is no customer to score by recency, frequency and spend. Open order lines or an events file with purchase events.",
            if events.is_some() { " (no event is of type purchase)" } else { "" }
        )));
    }
    let customers: Vec<usize> = (0..n_users).filter(|&u| acc[u].purchases > 0).collect();
    let mut table = CustomerTable {
        ids: customers
            .iter()
            .map(|&u| users.labels.label(u as u32))
            .collect(),
        ..Default::default()
    };
    let skipped = n_users - customers.len();
    if skipped > 0 {
        table.notes.push(format!(
            "{skipped} users never purchased and are not segmented"
        ));
    }
    let column =
        |f: &dyn Fn(&Acc) -> f64| customers.iter().map(|&u| f(&acc[u])).collect::<Vec<f64>>();
    if max_time != NO_TIME {
        let reference = reference_time.unwrap_or(max_time + 86_400);
        table.reference_time = Some(reference);
        table.columns.push((
            Feature::Recency,
            column(&|a| {
                if a.last_purchase == NO_TIME {
                    f64::NAN
                } else {
                    ((reference - a.last_purchase).div_euclid(86_400)) as f64
                }
            }),
        ));
    } else {
        table
            .notes
            .push("no timestamp column: recency is unavailable".into());
    }
    let frequency = column(&|a| (a.orders.len() + a.purchase_days.len()).max(1) as f64);
    table.columns.push((Feature::Frequency, frequency.clone()));
    if price.is_some() {
        let monetary = column(&|a| a.monetary);
        table.revenue = monetary.clone();
        table.columns.push((Feature::Monetary, monetary.clone()));
        if events.is_some() || orders.is_some() {
            let basket = monetary
                .iter()
                .zip(&frequency)
                .map(|(m, f)| m / f)
                .collect();
            table.columns.push((Feature::AverageBasket, basket));
        }
    } else {
        table.revenue = vec![0.0; customers.len()];
        table.notes.push(
            "no price column: monetary value is unavailable, so customers are segmented on recency and frequency".into(),
        );
    }
    if events.is_some() {
        table
            .columns
            .push((Feature::Views, column(&|a| f64::from(a.views))));
        table
            .columns
            .push((Feature::Carts, column(&|a| f64::from(a.carts))));
        table
            .columns
            .push((Feature::Purchases, column(&|a| f64::from(a.purchases))));
        table.columns.push((
            Feature::ConversionRate,
            column(&|a| {
                if a.views == 0 {
                    0.0
                } else {
                    f64::from(a.purchases) / f64::from(a.views)
                }
            }),
        ));
    }
    if times.is_some() {
        table
            .columns
            .push((Feature::ActiveDays, column(&|a| a.active_days.len() as f64)));
    }
    if categories.is_some() {
        table
            .columns
            .push((Feature::Categories, column(&|a| a.categories.len() as f64)));
    }
    Ok(table)
}
