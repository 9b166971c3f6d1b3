//! Bernoulli arms from the loaded store: its most viewed items (or
//! categories), each with a rate of purchases ÷ views or carts ÷ views.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::simulate::{Arm, Segment};
use crate::data::catalogue::Catalogue;
use crate::data::columns::texts;
use crate::data::{Dataset, EventKind, Role};
use crate::task::TaskError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArmUnit {
    Items,
    Categories,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArmRate {
    /// Purchases ÷ views.
    Purchase,
    /// Carts ÷ views.
    Cart,
}

impl ArmUnit {
    pub fn plural(self) -> &'static str {
        match self {
            ArmUnit::Items => "items",
            ArmUnit::Categories => "categories",
        }
    }
}

impl ArmRate {
    pub fn label(self) -> &'static str {
        match self {
            ArmRate::Purchase => "purchases ÷ views",
            ArmRate::Cart => "carts ÷ views",
        }
    }
}

#[derive(Default)]
struct Counts {
    views: u64,
    hits: u64,
}

/// Each row's arm key (its item, or its item's category; None where it
/// has none) and event kind.
struct StoreRows {
    keys: Vec<Option<String>>,
    kinds: Vec<EventKind>,
}

impl StoreRows {
    fn read(ds: &Dataset, catalogue: Option<&Catalogue>, unit: ArmUnit) -> Result<Self, TaskError> {
        let need = |role: Role, what: &str| {
            ds.roles.get(role).ok_or_else(|| {
                TaskError::Input(format!(
                    "{}: arms from the store need {what} (the {role} column); map it in the Data tab, or type the rates",
                    ds.path.display()
                ))
            })
        };
        let items = texts(ds, need(Role::Item, "an item column")?)?;
        let events = texts(
            ds,
            need(Role::Event, "event types (views, carts, purchases)")?,
        )?;
        let categories = match ds.roles.get(Role::Category) {
            Some(c) => Some(texts(ds, c)?),
            None => None,
        };
        let keys = items
            .iter()
            .enumerate()
            .map(|(row, item)| {
                let item = item.as_deref()?;
                match unit {
                    ArmUnit::Items => Some(item.to_owned()),
                    ArmUnit::Categories => categories
                        .as_ref()
                        .and_then(|c| c[row].clone())
                        .or_else(|| {
                            catalogue
                                .and_then(|c| c.get(item))
                                .and_then(|i| i.category.clone())
                        }),
                }
            })
            .collect();
        let kinds = events
            .iter()
            .map(|e| e.as_deref().map_or(EventKind::Other, EventKind::normalise))
            .collect();
        Ok(StoreRows { keys, kinds })
    }

    /// Views and hits per key, over the rows `keep` accepts.
    fn counts(&self, rate: ArmRate, keep: impl Fn(usize) -> bool) -> HashMap<&str, Counts> {
        let hit = match rate {
            ArmRate::Purchase => EventKind::Purchase,
            ArmRate::Cart => EventKind::Cart,
        };
        let mut counts: HashMap<&str, Counts> = HashMap::new();
        for (row, key) in self.keys.iter().enumerate() {
            let Some(key) = key.as_deref().filter(|_| keep(row)) else {
                continue;
            };
            let kind = self.kinds[row];
            let c = counts.entry(key).or_default();
            c.views += u64::from(kind == EventKind::View);
            c.hits += u64::from(kind == hit);
        }
        counts
    }

    /// Per group (`group[row]`, rows in none are left out): its views,
    /// whatever the key, and its counts per key, in one pass.
    fn counts_by_group(
        &self,
        rate: ArmRate,
        group: &[Option<usize>],
        groups: usize,
    ) -> (Vec<usize>, Vec<HashMap<&str, Counts>>) {
        let hit = match rate {
            ArmRate::Purchase => EventKind::Purchase,
            ArmRate::Cart => EventKind::Cart,
        };
        let mut views = vec![0usize; groups];
        let mut counts: Vec<HashMap<&str, Counts>> = (0..groups).map(|_| HashMap::new()).collect();
        for ((key, &kind), g) in self.keys.iter().zip(&self.kinds).zip(group) {
            let Some(g) = *g else {
                continue;
            };
            views[g] += usize::from(kind == EventKind::View);
            if let Some(key) = key.as_deref() {
                let c = counts[g].entry(key).or_default();
                c.views += u64::from(kind == EventKind::View);
                c.hits += u64::from(kind == hit);
            }
        }
        (views, counts)
    }

    /// The `top` most viewed keys (ties by label) with their counts.
    fn ranked(
        &self,
        ds: &Dataset,
        unit: ArmUnit,
        rate: ArmRate,
        top: usize,
    ) -> Result<Vec<(String, Counts)>, TaskError> {
        let mut ranked: Vec<(String, Counts)> = self
            .counts(rate, |_| true)
            .into_iter()
            .filter(|(_, c)| c.views > 0)
            .map(|(k, c)| (k.to_owned(), c))
            .collect();
        ranked.sort_by(|a, b| b.1.views.cmp(&a.1.views).then(a.0.cmp(&b.0)));
        if ranked.len() < 2 {
            return Err(TaskError::Input(format!(
                "{}: only {} {} with views; a bandit needs at least 2 arms",
                ds.path.display(),
                ranked.len(),
                match unit {
                    ArmUnit::Items => "item(s)",
                    ArmUnit::Categories => "categorie(s)",
                }
            )));
        }
        ranked.truncate(top.max(2));
        Ok(ranked)
    }
}

impl Counts {
    /// Hits ÷ views, capped at 1 (a store may log more purchases than
    /// views of an item); 0 without views.
    fn rate(&self) -> f64 {
        if self.views == 0 {
            0.0
        } else {
            (self.hits as f64 / self.views as f64).min(1.0)
        }
    }
}

/// The `top` most viewed items or categories of `ds` as arms, most viewed
/// first (ties by label), each with its hits ÷ views.
pub fn arms_from_store(
    ds: &Dataset,
    catalogue: Option<&Catalogue>,
    unit: ArmUnit,
    rate: ArmRate,
    top: usize,
) -> Result<Vec<Arm>, TaskError> {
    let rows = StoreRows::read(ds, catalogue, unit)?;
    Ok(rows
        .ranked(ds, unit, rate, top)?
        .into_iter()
        .map(|(key, c)| Arm {
            label: arm_label(catalogue, unit, &key),
            rate: c.rate(),
        })
        .collect())
}

/// An arm's label: a category as it is, an item by its catalogue name
/// (with its id unless the name has it).
fn arm_label(catalogue: Option<&Catalogue>, unit: ArmUnit, key: &str) -> String {
    match unit {
        ArmUnit::Items => catalogue
            .and_then(|cat| cat.get(key))
            .and_then(|i| i.name.clone())
            .map_or_else(
                || key.to_owned(),
                |n| {
                    if n.contains(key) {
                        n
                    } else {
                        format!("{n} ({key})")
                    }
                },
            ),
        ArmUnit::Categories => key.to_owned(),
    }
}

/// Arms and segments from the store's events: the `top` most viewed items
/// (or categories) as arms, and for each value of the user column
/// `column` a segment whose rate for an arm is its hits ÷ views among the
/// value's rows (the arm's rate over the whole store where the value never
/// viewed it), its share the value's share of the views. Rows with an
/// empty value count only in the arms' overall rates.
pub fn segments_from_store(
    ds: &Dataset,
    catalogue: Option<&Catalogue>,
    unit: ArmUnit,
    rate: ArmRate,
    top: usize,
    column: &str,
) -> Result<(Vec<Arm>, Vec<Segment>), TaskError> {
    let rows = StoreRows::read(ds, catalogue, unit)?;
    let ranked = rows.ranked(ds, unit, rate, top)?;
    if !ds.column_names().iter().any(|c| c == column) {
        return Err(TaskError::Input(format!(
            "{}: there is no user column '{column}' (columns: {})",
            ds.path.display(),
            ds.column_names().join(", ")
        )));
    }
    let values = texts(ds, column)?;
    let mut labels: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
    labels.sort_unstable();
    labels.dedup();
    check_segment_count(&ds.path, column, labels.len())?;
    // One pass over the rows: each row's segment, then its views and its
    // counts per arm.
    let group: Vec<Option<usize>> = values
        .iter()
        .map(|v| v.as_deref().and_then(|v| labels.binary_search(&v).ok()))
        .collect();
    let (views, by_segment) = rows.counts_by_group(rate, &group, labels.len());
    let total: usize = views.iter().sum();
    let mut segments = Vec::with_capacity(labels.len());
    for ((value, &n), counts) in labels.iter().zip(&views).zip(&by_segment) {
        if n == 0 {
            continue;
        }
        segments.push(Segment {
            label: format!("{column} = {value}"),
            share: n as f64 / total as f64,
            rates: ranked
                .iter()
                .map(|(key, overall)| match counts.get(key.as_str()) {
                    Some(c) if c.views > 0 => c.rate(),
                    _ => overall.rate(),
                })
                .collect(),
        });
    }
    let arms = ranked
        .iter()
        .map(|(key, c)| Arm {
            label: arm_label(catalogue, unit, key),
            rate: c.rate(),
        })
        .collect();
    Ok((arms, segments))
}

/// Refuse a segment column with fewer than 2 or more than
/// [`MAX_LOG_SEGMENTS`] values.
fn check_segment_count(path: &Path, column: &str, values: usize) -> Result<(), TaskError> {
    if (2..=MAX_LOG_SEGMENTS).contains(&values) {
        return Ok(());
    }
    Err(TaskError::Input(format!(
        "{}: the column {column} has {values} distinct value(s); pick a user column with 2 to {MAX_LOG_SEGMENTS}",
        path.display(),
    )))
}

/// `0.05,0.04,0.03` as arms named by their rank.
pub fn typed_arms(text: &str) -> Result<Vec<Arm>, TaskError> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .enumerate()
        .map(|(i, t)| match t.parse::<f64>() {
            Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(Arm {
                label: format!("arm {}", i + 1),
                rate,
            }),
            _ => Err(TaskError::Input(format!(
                "arm {}: '{t}' is not a rate between 0 and 1",
                i + 1
            ))),
        })
        .collect()
}

/// Arms and user segments from typed rates: one `;`-separated group per
/// segment, each a comma-separated rate per arm (`0.05,0.01;0.01,0.05`),
/// and optional comma-separated shares (equal when empty; normalised to
/// sum to 1). The arms are
/// labelled `arm 1…K` with their rate over all users (the share-weighted
/// mean), the segments `segment 1…S`.
pub fn typed_segments(rates: &str, shares: &str) -> Result<(Vec<Arm>, Vec<Segment>), TaskError> {
    let groups: Vec<&str> = rates
        .split(';')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    if groups.len() < 2 {
        return Err(TaskError::Input(
            "give at least 2 segments' rates, separated by ';' (e.g. 0.05,0.01;0.01,0.05)".into(),
        ));
    }
    let mut segments = Vec::with_capacity(groups.len());
    for (g, group) in groups.iter().enumerate() {
        let arms =
            typed_arms(group).map_err(|e| TaskError::Input(format!("segment {}: {e}", g + 1)))?;
        segments.push(Segment {
            label: format!("segment {}", g + 1),
            share: 1.0,
            rates: arms.iter().map(|a| a.rate).collect(),
        });
    }
    let given: Vec<&str> = shares
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if !given.is_empty() {
        if given.len() != segments.len() {
            return Err(TaskError::Input(format!(
                "{} shares for {} segments; give one share per segment (or none for equal shares)",
                given.len(),
                segments.len()
            )));
        }
        for (i, (s, text)) in segments.iter_mut().zip(&given).enumerate() {
            s.share = match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => v,
                _ => {
                    return Err(TaskError::Input(format!(
                        "segment {}: share '{text}' is not a number above 0",
                        i + 1
                    )))
                }
            };
        }
    }
    let k = segments[0].rates.len();
    // Shares as fractions of all users.
    let total: f64 = segments.iter().map(|s| s.share).sum();
    for s in &mut segments {
        s.share /= total;
    }
    let arms = (0..k)
        .map(|a| Arm {
            label: format!("arm {}", a + 1),
            rate: segments
                .iter()
                .map(|s| s.share * s.rates.get(a).copied().unwrap_or(0.0))
                .sum::<f64>(),
        })
        .collect();
    Ok((arms, segments))
}

/// The most segments a log's user column may split the race into: more
/// and each segment's rates rest on too few clicks to mean much.
pub const MAX_LOG_SEGMENTS: usize = 20;

/// Arms and segments read from a logged file: the `top` items shown most
/// often (ties: the lower item id) as arms, and for each value of the log's
/// segment column a segment whose rate for an arm is that item's clicks ÷
/// times shown among the value's rows (the item's rate over the whole log
/// where the value never saw it), its share the value's share of rows.
/// Rows with an empty value count only in the arms' overall rates.
pub fn segments_from_log(
    log: &super::log::BanditLog,
    top: usize,
) -> Result<(Vec<Arm>, Vec<Segment>), TaskError> {
    let Some(seg) = &log.segments else {
        return Err(TaskError::Input(
            "per-segment rates from a log need a user column to split on".into(),
        ));
    };
    let values = seg.labels.len();
    check_segment_count(&log.path, &seg.column, values)?;
    let k = log.n_actions();
    let mut shown = vec![0u64; k];
    let mut clicks = vec![0.0; k];
    let mut by = vec![(vec![0u64; k], vec![0.0; k]); values];
    let mut rows = vec![0u64; values];
    for i in 0..log.len() {
        let (_, a, r) = log.row(i);
        shown[a] += 1;
        clicks[a] += r;
        if let Some(code) = seg.codes[i] {
            let (s, c) = &mut by[code as usize];
            s[a] += 1;
            c[a] += r;
            rows[code as usize] += 1;
        }
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| shown[b].cmp(&shown[a]).then(a.cmp(&b)));
    order.truncate(top.max(2).min(k));
    let rate = |c: f64, n: u64| if n > 0 { (c / n as f64).min(1.0) } else { 0.0 };
    let arms = order
        .iter()
        .map(|&a| Arm {
            label: log.action_labels[a].clone(),
            rate: rate(clicks[a], shown[a]),
        })
        .collect();
    let with_value: u64 = rows.iter().sum();
    let segments = seg
        .labels
        .iter()
        .zip(&by)
        .zip(&rows)
        .filter(|(_, &n)| n > 0)
        .map(|((value, (s, c)), &n)| Segment {
            label: format!("{} = {value}", seg.column),
            share: n as f64 / with_value as f64,
            rates: order
                .iter()
                .map(|&a| {
                    if s[a] > 0 {
                        rate(c[a], s[a])
                    } else {
                        rate(clicks[a], shown[a])
                    }
                })
                .collect(),
        })
        .collect();
    Ok((arms, segments))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bandit::context::Categories;
    use crate::bandit::log::BanditLog;

    /// Items a, b, c; a shown 4 times, b 3, c once. Segment x: a clicked
    /// 1 of 2, b 2 of 2; segment y: a 0 of 2, b 0 of 1 (c only in y).
    fn log() -> BanditLog {
        let mut log = BanditLog::toy(
            vec![0, 0, 1, 1, 0, 0, 1, 2],
            vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            &["a", "b", "c"],
            1.0 / 3.0,
        );
        log.segments = Some(Categories {
            column: "region".into(),
            codes: vec![
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(1),
                Some(1),
                None,
            ],
            labels: vec!["x".into(), "y".into()],
        });
        log
    }

    #[test]
    fn a_log_s_segments_get_each_value_s_click_rates_and_share() {
        let (arms, segments) = segments_from_log(&log(), 2).unwrap();
        let labels: Vec<&str> = arms.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(labels, ["a", "b"], "the two most shown");
        assert_eq!(arms[0].rate, 0.25);
        assert!((arms[1].rate - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].label, "region = x");
        assert_eq!(segments[0].rates, [0.5, 1.0]);
        assert_eq!(segments[1].rates, [0.0, 0.0]);
        // Shares of the rows with a value: 4 and 3 of 7.
        assert!((segments[0].share - 4.0 / 7.0).abs() < 1e-12);
        // An item a value never saw takes its overall rate.
        let (_, segments) = segments_from_log(&log(), 3).unwrap();
        assert_eq!(segments[0].rates[2], 1.0, "c, never shown to x");
    }

    #[test]
    fn a_column_with_one_value_is_refused() {
        let mut l = log();
        if let Some(s) = &mut l.segments {
            s.codes = vec![Some(0); 8];
            s.labels.truncate(1);
        }
        let e = segments_from_log(&l, 3).unwrap_err().to_string();
        assert!(e.contains("region") && e.contains("1 distinct"), "{e}");
    }

    #[test]
    fn a_store_s_segments_get_each_value_s_purchases_per_view_and_share() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.csv");
        // p1 viewed 4 times (phone 2, desk 2), p2 3 times (phone 1, desk 1,
        // one row without a device), p3 once (desk).
        std::fs::write(
            &path,
            "user_id,item_id,event_type,timestamp,device\n\
             u1,p1,view,2024-01-01 10:00:00,phone\n\
             u1,p1,purchase,2024-01-01 10:01:00,phone\n\
             u2,p1,view,2024-01-01 11:00:00,phone\n\
             u3,p1,view,2024-01-01 12:00:00,desk\n\
             u4,p1,view,2024-01-01 13:00:00,desk\n\
             u3,p2,view,2024-01-02 10:00:00,desk\n\
             u3,p2,purchase,2024-01-02 10:05:00,desk\n\
             u1,p2,view,2024-01-02 11:00:00,phone\n\
             u5,p2,view,2024-01-02 12:00:00,\n\
             u5,p2,purchase,2024-01-02 12:01:00,\n\
             u4,p3,view,2024-01-03 10:00:00,desk\n",
        )
        .expect("write the store");
        let cancel = crate::task::CancelToken::new();
        let ds = crate::data::load_dataset(&path, &Default::default(), &cancel, &|_, _| {})
            .expect("load");
        let (arms, segments) =
            segments_from_store(&ds, None, ArmUnit::Items, ArmRate::Purchase, 3, "device")
                .expect("segments");
        let labels: Vec<&str> = arms.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(labels, ["p1", "p2", "p3"], "most viewed first");
        assert_eq!(arms[0].rate, 0.25);
        assert!((arms[1].rate - 2.0 / 3.0).abs() < 1e-12);
        // Sorted values: desk, then phone.
        assert_eq!(segments[0].label, "device = desk");
        assert_eq!(segments[0].rates, [0.0, 1.0, 0.0]);
        // phone never viewed p3: its overall rate (0).
        assert_eq!(segments[1].rates, [0.5, 0.0, 0.0]);
        // Shares of the views with a device: desk 4, phone 3.
        assert!((segments[0].share - 4.0 / 7.0).abs() < 1e-12);
        assert!((segments[1].share - 3.0 / 7.0).abs() < 1e-12);
        let missing = segments_from_store(&ds, None, ArmUnit::Items, ArmRate::Purchase, 3, "city")
            .expect_err("no such column")
            .to_string();
        assert!(
            missing.contains("'city'") && missing.contains("device"),
            "{missing}"
        );
    }
}
