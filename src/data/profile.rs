//! The data profile shown in the Data tab and printed by `shoplens profile`.
//!
//! `rows`, `users`, `items`, `columns` (nulls) and `duplicate_rows` describe the
//! file as read. Everything else — events, funnel, activity, histograms, top
//! items, ratings — describes the rows kept after order cleaning (see
//! [`Cleaning`]); for files that are not order data nothing is dropped.

use std::collections::BTreeMap;
use std::time::Instant;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::columns::{encode_keys, texts, timestamps, KeyCodes, NO_KEY, NO_TIME};
use super::dataset::Dataset;
use super::error::LoadError;
use super::events::EventKind;
use super::roles::Role;
use super::timestamp::{format_day, format_iso};
use crate::task::CancelToken;

#[derive(Clone, Debug, Serialize)]
pub struct ColumnProfile {
    pub name: String,
    /// Role(s) of the column, `+`-joined (e.g. `user+session`), or null.
    pub role: Option<String>,
    pub dtype: String,
    pub nulls: u64,
}

/// Histogram bin `[lo, hi)` on a log2 scale.
#[derive(Clone, Debug, Serialize)]
pub struct HistBin {
    pub lo: u64,
    pub hi: u64,
    pub count: u64,
}

/// Interactions per user (or per item) after cleaning.
#[derive(Clone, Debug, Serialize)]
pub struct CountSummary {
    pub min: u64,
    pub median: u64,
    pub mean: f64,
    pub max: u64,
    pub histogram: Vec<HistBin>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DayCount {
    pub day: String,
    pub events: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TopItem {
    pub item: String,
    pub name: Option<String>,
    pub count: u64,
}

/// Users reaching each step: viewed; viewed and carted; viewed, carted and
/// purchased (in any order in time). `conversion` is each step over the previous.
#[derive(Clone, Debug, Serialize)]
pub struct Funnel {
    pub steps: Vec<FunnelStep>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FunnelStep {
    pub event: String,
    pub users: u64,
    pub events: u64,
    /// `users / users of the previous step`; null for the first step.
    pub conversion: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RatingSummary {
    /// (rating value, count), ascending by value.
    pub histogram: Vec<(f64, u64)>,
    pub mean: f64,
}

/// Rows dropped by the default order cleaning (Online Retail style). Each reason
/// is counted on its own (a cancelled line usually also has quantity ≤ 0), so the
/// reasons can add up to more than `rows_before - rows_after`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Cleaning {
    pub rows_before: u64,
    pub no_customer: u64,
    pub quantity_not_positive: u64,
    pub price_not_positive: u64,
    pub cancelled_invoice: u64,
    pub rows_after: u64,
    pub users_after: u64,
    pub items_after: u64,
}

impl Cleaning {
    pub fn dropped(&self) -> u64 {
        self.rows_before - self.rows_after
    }

    /// What the cleaning did, in one sentence (the Data tab and `profile`).
    pub fn describe(&self) -> String {
        use crate::display::thousands;
        format!(
            "Dropped {} of {} rows: no customer id {}, quantity ≤ 0 {}, price ≤ 0 {}, cancelled invoice {} (a row can have several reasons). Kept {} rows, {} customers, {} items.",
            thousands(self.dropped()),
            thousands(self.rows_before),
            thousands(self.no_customer),
            thousands(self.quantity_not_positive),
            thousands(self.price_not_positive),
            thousands(self.cancelled_invoice),
            thousands(self.rows_after),
            thousands(self.users_after),
            thousands(self.items_after)
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub file: String,
    pub format: String,
    pub format_description: String,
    pub separator: Option<String>,
    pub file_bytes: u64,
    /// Data rows in the file.
    pub rows: u64,
    /// Distinct non-empty user ids in the file; null without a user column.
    pub users: Option<u64>,
    pub items: Option<u64>,
    /// Distinct (user, item) pairs kept ÷ (users kept × items kept).
    pub density: Option<f64>,
    /// Normalised event type → rows kept.
    pub events: BTreeMap<String, u64>,
    /// Raw event names → rows kept, as written in the file.
    pub raw_events: BTreeMap<String, u64>,
    pub time_min: Option<String>,
    pub time_max: Option<String>,
    pub columns: Vec<ColumnProfile>,
    /// Rows that repeat an earlier row exactly; null when the columns cannot be compared.
    pub duplicate_rows: Option<u64>,
    /// Malformed lines left out (only when the load was asked to skip
    /// them): how many, and the first ones with their reasons.
    #[serde(default)]
    pub skipped_lines: crate::data::skip::SkippedLines,
    pub per_user: Option<CountSummary>,
    pub per_item: Option<CountSummary>,
    pub daily: Vec<DayCount>,
    pub top_items: Vec<TopItem>,
    pub funnel: Option<Funnel>,
    pub ratings: Option<RatingSummary>,
    /// Rows with non-empty review text.
    pub reviews: Option<u64>,
    pub labels: Option<BTreeMap<String, u64>>,
    /// Σ quantity × price over purchase rows kept (all rows for order data).
    pub revenue: Option<f64>,
    pub cleaning: Option<Cleaning>,
    /// Click rates by slot and user column, for logged bandit feedback.
    pub feedback: Option<super::feedback::FeedbackProfile>,
    pub load_secs: f64,
    pub profile_secs: f64,
}

const TOP_ITEMS: usize = 20;

/// Order data is cleaned when it has an order id, quantities and prices.
pub fn is_order_data(ds: &Dataset) -> bool {
    [Role::Order, Role::Quantity, Role::Price]
        .iter()
        .all(|r| ds.roles.get(*r).is_some())
        && ds.roles.get(Role::Event).is_none()
}

/// Compute the profile; also validates timestamps and ratings (first bad value
/// is reported with its line).
pub fn profile(
    ds: &Dataset,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Profile, LoadError> {
    let start = Instant::now();
    let n = ds.df.height();
    let role_col = |r: Role| ds.roles.get(r).map(str::to_owned);

    progress(0.9, "profiling columns");
    let columns = ds
        .df
        .columns()
        .iter()
        .map(|c| {
            let roles = ds.roles.roles_of(c.name());
            ColumnProfile {
                name: c.name().to_string(),
                role: (!roles.is_empty())
                    .then(|| roles.iter().map(|r| r.name()).collect::<Vec<_>>().join("+")),
                dtype: c.dtype().to_string(),
                nulls: c.null_count() as u64,
            }
        })
        .collect();
    let duplicate_rows = count_duplicates(ds);
    cancel.check()?;

    let keys = |role: Role| -> Result<Option<KeyCodes>, LoadError> {
        let Some(column) = ds.role_column(role) else {
            return Ok(None);
        };
        encode_keys(column)
            .map(Some)
            .map_err(|e| LoadError::parse(&ds.path, format!("column '{}': {e}", column.name())))
    };
    let users = keys(Role::User)?;
    let items = keys(Role::Item)?;
    cancel.check()?;
    progress(0.93, "profiling values");
    let ratings = ds.role_numbers(Role::Rating)?;
    let quantity = ds.role_numbers(Role::Quantity)?;
    let price = ds.role_numbers(Role::Price)?;
    let event_column = role_col(Role::Event)
        .map(|c| {
            ds.df
                .column(&c)
                .and_then(|col| col.cast(&polars::prelude::DataType::String))
                .map_err(|e| LoadError::parse(&ds.path, format!("column '{c}': {e}")))
        })
        .transpose()?;
    cancel.check()?;

    // Order cleaning.
    let mut keep = vec![true; n];
    let cleaning = if is_order_data(ds) && !ds.options.keep_uncleaned {
        let orders = role_col(Role::Order).map(|c| texts(ds, &c)).transpose()?;
        Some(clean_orders(
            &mut keep,
            users.as_ref(),
            quantity.as_deref(),
            price.as_deref(),
            orders.as_deref(),
        ))
    } else {
        None
    };

    // Events per type.
    let mut events: BTreeMap<String, u64> = BTreeMap::new();
    let mut raw_events: BTreeMap<String, u64> = BTreeMap::new();
    let mut kinds: Vec<Option<EventKind>> = vec![None; n];
    if let Some(column) = &event_column {
        // Iterate the string column in place: few distinct names, many rows.
        let values = column
            .str()
            .map_err(|e| LoadError::parse(&ds.path, format!("column '{}': {e}", column.name())))?;
        let mut per_raw: FxHashMap<&str, (EventKind, u64)> = FxHashMap::default();
        for (i, value) in values.iter().enumerate() {
            let Some(v) = value.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            if !keep[i] {
                continue;
            }
            let entry = per_raw
                .entry(v)
                .or_insert_with(|| (EventKind::normalise(v), 0));
            entry.1 += 1;
            kinds[i] = Some(entry.0);
        }
        for (raw, (kind, count)) in per_raw {
            *raw_events.entry(raw.to_owned()).or_default() += count;
            *events.entry(kind.name().to_owned()).or_default() += count;
        }
    } else {
        let kept = keep.iter().filter(|k| **k).count() as u64;
        let label = if let Some(kind) =
            super::formats::by_name(&ds.format).and_then(|f| f.implicit_event)
        {
            kind.name()
        } else if cleaning.is_some() || quantity.is_some() {
            "purchase"
        } else if ratings.is_some() {
            "rating"
        } else if role_col(Role::Text).is_some() && users.is_none() && items.is_none() {
            "review"
        } else {
            "interaction"
        };
        events.insert(label.to_owned(), kept);
    }
    cancel.check()?;

    let revenue = match (&quantity, &price) {
        (Some(q), Some(p)) => Some(
            (0..n)
                .filter(|&i| {
                    keep[i] && (event_column.is_none() || kinds[i] == Some(EventKind::Purchase))
                })
                .map(|i| q[i] * p[i])
                .filter(|v| !v.is_nan())
                .sum(),
        ),
        _ => None,
    };
    // Quantities and prices are only needed for cleaning and revenue.
    drop(quantity);
    drop(price);

    // Users and items, per-user/per-item counts, density.
    let distinct = |k: &KeyCodes| k.n_distinct() as u64;
    let (per_user, users_kept) = match &users {
        Some(u) => summary(&u.codes, &keep),
        None => (None, 0),
    };
    let (per_item, items_kept) = match &items {
        Some(it) => summary(&it.codes, &keep),
        None => (None, 0),
    };
    let density = match (&users, &items) {
        (Some(u), Some(it)) if users_kept > 0 && items_kept > 0 => {
            // Sorting packed keys uses 8 bytes a row, less than a hash set.
            let mut pairs: Vec<u64> = u
                .codes
                .iter()
                .zip(&it.codes)
                .zip(&keep)
                .filter(|((&a, &b), &kept)| kept && a != NO_KEY && b != NO_KEY)
                .map(|((&a, &b), _)| (u64::from(a) << 32) | u64::from(b))
                .collect();
            pairs.sort_unstable();
            pairs.dedup();
            Some(pairs.len() as f64 / (users_kept as f64 * items_kept as f64))
        }
        _ => None,
    };
    let cleaning = cleaning.map(|mut c| {
        c.users_after = users_kept;
        c.items_after = items_kept;
        c
    });
    cancel.check()?;
    progress(0.96, "profiling activity");

    // Time range and daily activity.
    let (mut time_min, mut time_max) = (None::<i64>, None::<i64>);
    let mut per_day: BTreeMap<i64, u64> = BTreeMap::new();
    // Parsed here and dropped at the end of the block: 8 bytes a row.
    if let Some(ts) = role_col(Role::Timestamp)
        .map(|c| timestamps(ds, &c))
        .transpose()?
    {
        for (i, &t) in ts.iter().enumerate() {
            if t == NO_TIME || !keep[i] {
                continue;
            }
            time_min = Some(time_min.map_or(t, |m: i64| m.min(t)));
            time_max = Some(time_max.map_or(t, |m: i64| m.max(t)));
            *per_day.entry(t.div_euclid(86_400)).or_default() += 1;
        }
    }
    let daily = daily_series(&per_day);

    let top_items = items
        .as_ref()
        .map(|it| top_items(ds, it, &keep))
        .unwrap_or_default();
    let funnel = users
        .as_ref()
        .filter(|_| event_column.is_some())
        .map(|u| funnel(&u.codes, &kinds));

    let ratings_summary = ratings
        .as_ref()
        .map(|r| rating_summary(r, &keep))
        .filter(|r| !r.histogram.is_empty());
    let reviews = role_col(Role::Text)
        .map(|c| texts(ds, &c))
        .transpose()?
        .map(|t| {
            t.iter()
                .enumerate()
                .filter(|(i, v)| keep[*i] && v.is_some())
                .count() as u64
        });
    let labels = role_col(Role::Label)
        .map(|c| texts(ds, &c))
        .transpose()?
        .map(|t| {
            let mut counts = BTreeMap::new();
            for (i, v) in t.iter().enumerate() {
                if keep[i] {
                    *counts
                        .entry(v.clone().unwrap_or_else(|| "(empty)".into()))
                        .or_default() += 1;
                }
            }
            counts
        });

    Ok(Profile {
        file: ds.path.display().to_string(),
        format: ds.format.clone(),
        format_description: ds.format_description.clone(),
        separator: ds.separator.clone(),
        file_bytes: ds.file_bytes,
        rows: n as u64,
        users: users.as_ref().map(distinct),
        items: items.as_ref().map(distinct),
        density,
        events,
        raw_events,
        time_min: time_min.map(format_iso),
        time_max: time_max.map(format_iso),
        columns,
        duplicate_rows,
        skipped_lines: ds.skipped.clone(),
        per_user,
        per_item,
        daily,
        top_items,
        funnel,
        ratings: ratings_summary,
        reviews,
        labels,
        revenue,
        cleaning,
        feedback: super::feedback::feedback_profile(ds)?,
        load_secs: ds.read_secs,
        profile_secs: start.elapsed().as_secs_f64(),
    })
}

/// Rows that survive order cleaning (every row for data that is not order data,
/// or when the user chose to keep them). Models train on exactly these rows.
pub fn kept_rows(ds: &Dataset) -> Result<Vec<bool>, LoadError> {
    let mut keep = vec![true; ds.df.height()];
    if !is_order_data(ds) || ds.options.keep_uncleaned {
        return Ok(keep);
    }
    let users = ds.role_keys(Role::User)?;
    let quantity = ds.role_numbers(Role::Quantity)?;
    let price = ds.role_numbers(Role::Price)?;
    let orders = ds.role_texts(Role::Order)?;
    clean_orders(
        &mut keep,
        users.as_ref(),
        quantity.as_deref(),
        price.as_deref(),
        orders.as_deref(),
    );
    Ok(keep)
}

/// Rows equal to an earlier row, found by a 64-bit hash of each row's values
/// (a false match needs a hash collision: about 3 in a million for 10M rows).
/// Much lighter than grouping by every column. `None` for nested columns.
fn count_duplicates(ds: &Dataset) -> Option<u64> {
    use polars::prelude::DataType;
    let n = ds.df.height();
    let mut hashes = vec![0x9E37_79B9_7F4A_7C15u64; n];
    let mix = |h: &mut u64, v: u64| *h = (h.rotate_left(5) ^ v).wrapping_mul(0x517C_C1B7_2722_0A95);
    for column in ds.df.columns() {
        let dtype = column.dtype().clone();
        if dtype.is_nested() {
            return None;
        }
        if dtype.is_integer() || matches!(dtype, DataType::Datetime(..) | DataType::Date) {
            let values = super::columns::Integers::of(column).ok()?;
            for (h, v) in hashes.iter_mut().zip(values.iter()) {
                mix(h, v.map_or(0xA5A5_A5A5, |x| x as u64));
            }
        } else if dtype.is_float() {
            let cast = column.cast(&DataType::Float64).ok()?;
            for (h, v) in hashes.iter_mut().zip(cast.f64().ok()?.iter()) {
                mix(h, v.map_or(0xA5A5_A5A5, f64::to_bits));
            }
        } else {
            let cast = column.cast(&DataType::String).ok()?;
            for (h, v) in hashes.iter_mut().zip(cast.str().ok()?.iter()) {
                let folded = v.map_or(0xA5A5_A5A5, |s| {
                    s.bytes().fold(0xCBF2_9CE4_8422_2325u64, |acc, b| {
                        (acc ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
                    })
                });
                mix(h, folded);
            }
        }
    }
    hashes.sort_unstable();
    let distinct = 1 + hashes.windows(2).filter(|w| w[0] != w[1]).count();
    Some((n - distinct.min(n)) as u64)
}

fn clean_orders(
    keep: &mut [bool],
    users: Option<&KeyCodes>,
    quantity: Option<&[f64]>,
    price: Option<&[f64]>,
    orders: Option<&[Option<String>]>,
) -> Cleaning {
    let mut c = Cleaning {
        rows_before: keep.len() as u64,
        ..Default::default()
    };
    for i in 0..keep.len() {
        let no_customer = users.is_some_and(|u| u.codes[i] == NO_KEY);
        let bad_quantity = quantity.is_some_and(|q| q[i].is_nan() || q[i] <= 0.0);
        let bad_price = price.is_some_and(|p| p[i].is_nan() || p[i] <= 0.0);
        let cancelled = orders.is_some_and(|o| {
            o[i].as_deref()
                .is_some_and(|s| s.trim_start().starts_with(['C', 'c']))
        });
        c.no_customer += u64::from(no_customer);
        c.quantity_not_positive += u64::from(bad_quantity);
        c.price_not_positive += u64::from(bad_price);
        c.cancelled_invoice += u64::from(cancelled);
        if no_customer || bad_quantity || bad_price || cancelled {
            keep[i] = false;
        }
    }
    c.rows_after = keep.iter().filter(|k| **k).count() as u64;
    c
}

/// Interactions per key among kept rows; also the number of keys kept.
fn summary(codes: &[u32], keep: &[bool]) -> (Option<CountSummary>, u64) {
    let mut counts: Vec<u64> = Vec::new();
    for (i, &c) in codes.iter().enumerate() {
        if c == NO_KEY || !keep[i] {
            continue;
        }
        let c = c as usize;
        if counts.len() <= c {
            counts.resize(c + 1, 0);
        }
        counts[c] += 1;
    }
    let mut counts: Vec<u64> = counts.into_iter().filter(|&c| c > 0).collect();
    if counts.is_empty() {
        return (None, 0);
    }
    counts.sort_unstable();
    let total: u64 = counts.iter().sum();
    let mut histogram: Vec<HistBin> = Vec::new();
    for &c in &counts {
        let bin = 63 - c.leading_zeros() as usize; // floor(log2 c)
        while histogram.len() <= bin {
            let k = histogram.len() as u32;
            histogram.push(HistBin {
                lo: 1 << k,
                hi: 1 << (k + 1),
                count: 0,
            });
        }
        histogram[bin].count += 1;
    }
    let n = counts.len();
    (
        Some(CountSummary {
            min: counts[0],
            median: counts[n / 2],
            mean: total as f64 / n as f64,
            max: counts[n - 1],
            histogram,
        }),
        n as u64,
    )
}

/// One point per day with zero-filled gaps (up to ~30 years).
fn daily_series(per_day: &BTreeMap<i64, u64>) -> Vec<DayCount> {
    let (Some((&first, _)), Some((&last, _))) =
        (per_day.first_key_value(), per_day.last_key_value())
    else {
        return Vec::new();
    };
    if last - first > 11_000 {
        return per_day
            .iter()
            .map(|(d, c)| DayCount {
                day: format_day(*d),
                events: *c,
            })
            .collect();
    }
    (first..=last)
        .map(|d| DayCount {
            day: format_day(d),
            events: per_day.get(&d).copied().unwrap_or(0),
        })
        .collect()
}

fn top_items(ds: &Dataset, items: &KeyCodes, keep: &[bool]) -> Vec<TopItem> {
    let mut counts = vec![0u64; items.n_distinct()];
    for (i, &c) in items.codes.iter().enumerate() {
        if c != NO_KEY && keep[i] {
            counts[c as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..counts.len() as u32)
        .filter(|&c| counts[c as usize] > 0)
        .collect();
    // Most frequent first; ties by first appearance.
    order.sort_by_key(|&c| (std::cmp::Reverse(counts[c as usize]), c));
    order.truncate(TOP_ITEMS);
    // A name/description/title column, when the file has one.
    let names = ds
        .column_names()
        .into_iter()
        .find(|n| super::roles::is_item_name_column(n))
        .and_then(|n| texts(ds, &n).ok());
    order
        .into_iter()
        .map(|c| TopItem {
            item: items.labels.label(c),
            name: names.as_ref().and_then(|names| {
                let row = items.codes.iter().position(|&x| x == c)?;
                names[row].as_ref().map(|s| s.trim().to_owned())
            }),
            count: counts[c as usize],
        })
        .collect()
}

fn funnel(users: &[u32], kinds: &[Option<EventKind>]) -> Funnel {
    let mut flags: FxHashMap<u32, u8> = FxHashMap::default();
    let mut event_counts = [0u64; 3];
    for (u, k) in users.iter().zip(kinds) {
        let bit = match k {
            Some(EventKind::View) => 0,
            Some(EventKind::Cart) => 1,
            Some(EventKind::Purchase) => 2,
            _ => continue,
        };
        event_counts[bit] += 1;
        if *u != NO_KEY {
            *flags.entry(*u).or_default() |= 1 << bit;
        }
    }
    let reached = |mask: u8| flags.values().filter(|f| **f & mask == mask).count() as u64;
    let users_at = [reached(0b001), reached(0b011), reached(0b111)];
    let steps = EventKind::FUNNEL
        .iter()
        .enumerate()
        .map(|(i, kind)| FunnelStep {
            event: kind.name().to_owned(),
            users: users_at[i],
            events: event_counts[i],
            conversion: (i > 0).then(|| {
                if users_at[i - 1] == 0 {
                    0.0
                } else {
                    users_at[i] as f64 / users_at[i - 1] as f64
                }
            }),
        })
        .collect();
    Funnel { steps }
}

fn rating_summary(ratings: &[f64], keep: &[bool]) -> RatingSummary {
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    let (mut sum, mut n) = (0.0, 0u64);
    for (i, &r) in ratings.iter().enumerate() {
        if r.is_nan() || !keep[i] {
            continue;
        }
        // Bucket to a tenth so 4.5 stays 4.5 while float noise merges.
        *counts.entry((r * 10.0).round() as i64).or_default() += 1;
        sum += r;
        n += 1;
    }
    RatingSummary {
        histogram: counts
            .into_iter()
            .map(|(k, c)| (k as f64 / 10.0, c))
            .collect(),
        mean: if n > 0 { sum / n as f64 } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_bins_on_log2() {
        let codes = [0, 0, 0, 1, 2, 2, NO_KEY];
        let keep = [true; 7];
        let (s, kept) = summary(&codes, &keep);
        let s = s.unwrap();
        assert_eq!(kept, 3);
        assert_eq!((s.min, s.median, s.max), (1, 2, 3));
        assert_eq!(
            s.histogram.iter().map(|b| b.count).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!((s.histogram[1].lo, s.histogram[1].hi), (2, 4));
    }

    #[test]
    fn funnel_is_nested_by_user() {
        use EventKind::*;
        let users = [0, 0, 0, 1, 1, 2];
        let kinds = [
            Some(View),
            Some(Cart),
            Some(Purchase),
            Some(View),
            Some(Cart),
            Some(Purchase),
        ];
        let f = funnel(&users, &kinds);
        let u: Vec<u64> = f.steps.iter().map(|s| s.users).collect();
        assert_eq!(u, vec![2, 2, 1]);
        assert_eq!(f.steps[2].conversion, Some(0.5));
        assert_eq!(f.steps[2].events, 2);
    }

    #[test]
    fn cleaning_counts_reasons_independently_and_drops_rows_once() {
        let users = KeyCodes {
            codes: vec![0, NO_KEY, 1, 2, 3],
            labels: super::super::columns::KeyLabels::Int(vec![1, 2, 3, 4]),
        };
        let q = [1.0, 1.0, -1.0, 2.0, 1.0];
        let p = [1.0, 1.0, 1.0, 0.0, 1.0];
        let o = [
            Some("1".into()),
            Some("2".into()),
            Some("C3".into()),
            Some("4".into()),
            Some("C5".into()),
        ];
        let mut keep = vec![true; 5];
        let c = clean_orders(&mut keep, Some(&users), Some(&q), Some(&p), Some(&o));
        // Row 2 is both cancelled and negative: counted under both reasons, dropped once.
        assert_eq!(
            (
                c.no_customer,
                c.quantity_not_positive,
                c.price_not_positive,
                c.cancelled_invoice
            ),
            (1, 1, 1, 2)
        );
        assert_eq!(c.rows_after, 1);
        assert_eq!(keep, vec![true, false, false, false, false]);
    }
}
