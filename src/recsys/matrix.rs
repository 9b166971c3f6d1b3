//! The interaction matrix: event-level interactions with dense ids (both ways),
//! and a compressed sparse row matrix with duplicates summed.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;

use super::RecError;
use crate::data::columns::{encode_keys, timestamps, KeyLabels, NO_KEY};
use crate::data::profile::kept_rows;
use crate::data::{Dataset, EventKind, EventWeights, Role};

/// Compressed sparse rows; indices sorted within each row, no duplicates.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Csr {
    pub n_rows: usize,
    pub n_cols: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub data: Vec<f32>,
}

impl Csr {
    /// Build from (row, col, value) triplets; duplicates are summed.
    pub fn from_triplets(n_rows: usize, n_cols: usize, mut triplets: Vec<(u32, u32, f32)>) -> Csr {
        triplets.sort_unstable_by_key(|t| (t.0, t.1));
        let mut indptr = vec![0usize; n_rows + 1];
        let mut indices = Vec::with_capacity(triplets.len());
        let mut data: Vec<f32> = Vec::with_capacity(triplets.len());
        let mut last: Option<(u32, u32)> = None;
        for (r, c, v) in triplets {
            if last == Some((r, c)) {
                if let Some(d) = data.last_mut() {
                    *d += v;
                }
                continue;
            }
            last = Some((r, c));
            indices.push(c);
            data.push(v);
            indptr[r as usize + 1] += 1;
        }
        for r in 0..n_rows {
            indptr[r + 1] += indptr[r];
        }
        Csr {
            n_rows,
            n_cols,
            indptr,
            indices,
            data,
        }
    }

    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }

    pub fn row_len(&self, r: usize) -> usize {
        self.indptr[r + 1] - self.indptr[r]
    }

    #[inline]
    pub fn contains(&self, r: usize, c: u32) -> bool {
        self.row(r).0.binary_search(&c).is_ok()
    }

    /// The transpose (CSC of this matrix, as a CSR of the transpose).
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for c in 0..self.n_cols {
            counts[c + 1] += counts[c];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0f32; self.nnz()];
        for r in 0..self.n_rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let slot = next[c as usize];
                indices[slot] = r as u32;
                data[slot] = v;
                next[c as usize] += 1;
            }
        }
        Csr {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr,
            indices,
            data,
        }
    }

    /// Number of non-zeros per column.
    pub fn col_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.n_cols];
        for &c in &self.indices {
            counts[c as usize] += 1;
        }
        counts
    }
}

/// Event-level interactions with dense ids. Ids are numbered in ascending order
/// of the original id (numeric when all ids are integers), so "ties by smaller
/// item index" means ties by smaller original id.
#[derive(Clone, Debug, Default)]
pub struct Interactions {
    pub users: Vec<u32>,
    pub items: Vec<u32>,
    pub weights: Vec<f32>,
    /// Unix seconds; `None` when the data has no timestamp column.
    pub times: Option<Vec<i64>>,
    pub user_labels: Vec<String>,
    pub item_labels: Vec<String>,
    /// Each item's category (an index into `category_labels`), when the data
    /// or an `items.csv` beside it says; empty when nothing does.
    pub item_categories: Vec<Option<u32>>,
    pub category_labels: Vec<String>,
    /// Text, brand and price of each item, for content similarity (empty
    /// when the data has none).
    pub attributes: super::content::ItemAttributes,
}

/// How events become interactions.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MatrixOptions {
    pub weights: EventWeights,
    /// Drop users with fewer distinct items than this (applied once, users first).
    pub min_user_interactions: usize,
    /// Then drop items with fewer distinct users than this.
    pub min_item_interactions: usize,
}

impl Default for MatrixOptions {
    fn default() -> Self {
        Self {
            weights: EventWeights::default(),
            min_user_interactions: 1,
            min_item_interactions: 1,
        }
    }
}

impl Interactions {
    pub fn n_users(&self) -> usize {
        self.user_labels.len()
    }

    pub fn n_items(&self) -> usize {
        self.item_labels.len()
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Interactions from a loaded table: one per kept row with a user and an item;
    /// weight from the event type (1 without an event column).
    pub fn from_dataset(ds: &Dataset, options: &MatrixOptions) -> Result<Self, RecError> {
        options.weights.validate().map_err(RecError::Input)?;
        let missing = |what: &str, flag: &str| {
            RecError::Input(format!(
                "{}: no {what} column. Pick one in the Data tab's column mapping (or pass --{flag}).",
                ds.path.display()
            ))
        };
        let user_col = ds
            .role_column(Role::User)
            .ok_or_else(|| missing("user", "user-col"))?;
        let item_col = ds
            .role_column(Role::Item)
            .ok_or_else(|| missing("item", "item-col"))?;
        let polars_err = |e: polars::prelude::PolarsError| RecError::Input(e.to_string());
        let users = encode_keys(user_col).map_err(polars_err)?;
        let items = encode_keys(item_col).map_err(polars_err)?;
        let keep = kept_rows(ds).map_err(|e| RecError::Input(e.to_string()))?;
        let times = match ds.roles.get(Role::Timestamp) {
            Some(name) => Some(timestamps(ds, name).map_err(|e| RecError::Input(e.to_string()))?),
            None => None,
        };
        let kinds: Option<Vec<Option<EventKind>>> = match ds.role_column(Role::Event) {
            Some(col) => {
                let cast = col
                    .cast(&polars::prelude::DataType::String)
                    .map_err(polars_err)?;
                let values = cast.str().map_err(polars_err)?;
                let mut cache: FxHashMap<&str, EventKind> = FxHashMap::default();
                Some(
                    values
                        .iter()
                        .map(|v| {
                            v.map(|s| *cache.entry(s).or_insert_with(|| EventKind::normalise(s)))
                        })
                        .collect(),
                )
            }
            None => None,
        };
        let categories: Option<Vec<Option<String>>> = match ds.role_column(Role::Category) {
            Some(col) => {
                let cast = col
                    .cast(&polars::prelude::DataType::String)
                    .map_err(polars_err)?;
                let values = cast.str().map_err(polars_err)?;
                Some(
                    values
                        .iter()
                        .map(|v| {
                            v.map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned)
                        })
                        .collect(),
                )
            }
            None => None,
        };
        let user_order = sorted_order(&users.labels);
        let item_order = sorted_order(&items.labels);
        let mut out = Interactions {
            times: times.as_ref().map(|_| Vec::new()),
            user_labels: label_strings(&users.labels, &user_order.1),
            item_labels: label_strings(&items.labels, &item_order.1),
            ..Default::default()
        };
        let mut category_index: FxHashMap<String, u32> = FxHashMap::default();
        if categories.is_some() {
            out.item_categories = vec![None; out.item_labels.len()];
        }
        for row in 0..users.codes.len() {
            let (u, i) = (users.codes[row], items.codes[row]);
            if !keep[row] || u == NO_KEY || i == NO_KEY {
                continue;
            }
            let weight = match &kinds {
                Some(k) => match k[row] {
                    Some(kind) => options.weights.weight(kind),
                    None => continue,
                },
                None => 1.0,
            };
            if weight <= 0.0 {
                continue;
            }
            let item = item_order.0[i as usize];
            // An item's category is the first one its rows name.
            if let Some(category) = categories.as_ref().and_then(|c| c[row].as_ref()) {
                if out.item_categories[item as usize].is_none() {
                    let next = category_index.len() as u32;
                    let code = *category_index.entry(category.clone()).or_insert(next);
                    if code == next {
                        out.category_labels.push(category.clone());
                    }
                    out.item_categories[item as usize] = Some(code);
                }
            }
            out.users.push(user_order.0[u as usize]);
            out.items.push(item);
            out.weights.push(weight);
            if let (Some(all), Some(t)) = (times.as_ref(), out.times.as_mut()) {
                t.push(all[row]);
            }
        }
        out.filter_min_counts(options.min_user_interactions, options.min_item_interactions);
        Ok(out)
    }

    /// Drop sparse users, then sparse items, and renumber densely.
    pub fn filter_min_counts(&mut self, min_user: usize, min_item: usize) {
        if min_user <= 1 && min_item <= 1 {
            return;
        }
        let distinct = |keys: &[u32], others: &[u32], n: usize, alive: &dyn Fn(usize) -> bool| {
            let mut seen: FxHashMap<(u32, u32), ()> = FxHashMap::default();
            let mut counts = vec![0usize; n];
            for (idx, (&k, &o)) in keys.iter().zip(others).enumerate() {
                if alive(idx) && seen.insert((k, o), ()).is_none() {
                    counts[k as usize] += 1;
                }
            }
            counts
        };
        let user_counts = distinct(&self.users, &self.items, self.n_users(), &|_| true);
        let user_ok: Vec<bool> = user_counts.iter().map(|&c| c >= min_user).collect();
        let item_counts = distinct(&self.items, &self.users, self.n_items(), &|idx| {
            user_ok[self.users[idx] as usize]
        });
        let item_ok: Vec<bool> = item_counts.iter().map(|&c| c >= min_item).collect();
        let keep: Vec<bool> = (0..self.len())
            .map(|i| user_ok[self.users[i] as usize] && item_ok[self.items[i] as usize])
            .collect();
        let remap = |ok: &[bool]| {
            let mut next = 0u32;
            ok.iter()
                .map(|&k| {
                    if k {
                        next += 1;
                        next - 1
                    } else {
                        u32::MAX
                    }
                })
                .collect::<Vec<u32>>()
        };
        let (user_map, item_map) = (remap(&user_ok), remap(&item_ok));
        let filter = |v: &[String], ok: &[bool]| {
            v.iter()
                .zip(ok)
                .filter(|(_, k)| **k)
                .map(|(s, _)| s.clone())
                .collect::<Vec<_>>()
        };
        self.user_labels = filter(&self.user_labels, &user_ok);
        self.item_labels = filter(&self.item_labels, &item_ok);
        if !self.item_categories.is_empty() {
            self.item_categories = self
                .item_categories
                .iter()
                .zip(&item_ok)
                .filter(|(_, k)| **k)
                .map(|(c, _)| *c)
                .collect();
        }
        let mut w = 0;
        for r in 0..keep.len() {
            if keep[r] {
                self.users[w] = user_map[self.users[r] as usize];
                self.items[w] = item_map[self.items[r] as usize];
                self.weights[w] = self.weights[r];
                if let Some(t) = self.times.as_mut() {
                    t[w] = t[r];
                }
                w += 1;
            }
        }
        self.users.truncate(w);
        self.items.truncate(w);
        self.weights.truncate(w);
        if let Some(t) = self.times.as_mut() {
            t.truncate(w);
        }
    }

    /// The user × item matrix of the given interaction indices (duplicates summed).
    pub fn matrix_of(&self, rows: impl Iterator<Item = usize>) -> Csr {
        let triplets = rows
            .map(|r| (self.users[r], self.items[r], self.weights[r]))
            .collect();
        Csr::from_triplets(self.n_users(), self.n_items(), triplets)
    }

    /// `item`'s category, when known.
    pub fn category_of(&self, item: u32) -> Option<&str> {
        let code = (*self.item_categories.get(item as usize)?)?;
        self.category_labels.get(code as usize).map(String::as_str)
    }

    /// Give items without a category the one `catalogue` (an `items.csv`) names.
    pub fn fill_categories(&mut self, catalogue: &crate::data::catalogue::Catalogue) {
        let mut index: FxHashMap<String, u32> = self
            .category_labels
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i as u32))
            .collect();
        if self.item_categories.is_empty() {
            self.item_categories = vec![None; self.n_items()];
        }
        for (item, slot) in self.item_categories.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let Some(category) = catalogue
                .get(&self.item_labels[item])
                .and_then(|e| e.category.clone())
            else {
                continue;
            };
            let next = index.len() as u32;
            let code = *index.entry(category.clone()).or_insert(next);
            if code == next {
                self.category_labels.push(category);
            }
            *slot = Some(code);
        }
        if self.item_categories.iter().all(Option::is_none) {
            self.item_categories.clear();
        }
    }

    pub fn user_index(&self, label: &str) -> Option<u32> {
        self.user_labels
            .iter()
            .position(|l| l == label)
            .map(|p| p as u32)
    }
}

/// old code → new code, and new code → old code, ordering labels ascending.
fn sorted_order(labels: &KeyLabels) -> (Vec<u32>, Vec<u32>) {
    let n = labels.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    match labels {
        KeyLabels::Int(v) => order.sort_by_key(|&c| v[c as usize]),
        KeyLabels::Text(v) => {
            // Ids that are whole numbers first, by value, then the others as
            // text: a total order (comparing numbers by value only where both
            // are numbers is not one when ids mix both, as stock codes do),
            // and the one the Spark job numbers by.
            let numbers: Vec<Option<i64>> = v.iter().map(|x| x.parse().ok()).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (a as usize, b as usize);
                match (numbers[a], numbers[b]) {
                    (Some(p), Some(q)) => p.cmp(&q),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                }
                .then_with(|| v[a].cmp(&v[b]))
            });
        }
    }
    let mut forward = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        forward[old as usize] = new as u32;
    }
    (forward, order)
}

fn label_strings(labels: &KeyLabels, order: &[u32]) -> Vec<String> {
    order.iter().map(|&old| labels.label(old)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stock codes mix numbers and text: numbers come first by value, then
    /// the rest as text, whatever order they come in (a comparison that is
    /// not a total order gives an order that depends on the input's).
    #[test]
    fn ids_that_mix_numbers_and_text_sort_numbers_first() {
        let ids = ["1A", "10", "9", "POST", "007", "7", "85123A", "C2"];
        let expected = ["007", "7", "9", "10", "1A", "85123A", "C2", "POST"];
        for shift in 0..ids.len() {
            let mut shuffled: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
            shuffled.rotate_left(shift);
            shuffled.swap(0, ids.len() - 1);
            let labels = KeyLabels::Text(shuffled);
            let (_, order) = sorted_order(&labels);
            let sorted: Vec<String> = label_strings(&labels, &order);
            assert_eq!(sorted, expected, "shift {shift}");
        }
    }

    #[test]
    fn duplicates_are_summed_and_rows_sorted() {
        let m = Csr::from_triplets(
            2,
            3,
            vec![(1, 2, 1.0), (0, 1, 2.0), (1, 0, 1.0), (0, 1, 3.0)],
        );
        assert_eq!(m.indptr, vec![0, 1, 3]);
        assert_eq!(m.indices, vec![1, 0, 2]);
        assert_eq!(m.data, vec![5.0, 1.0, 1.0]);
        let t = m.transpose();
        assert_eq!(t.row(1), (&[0u32][..], &[5.0f32][..]));
        assert_eq!(t.transpose(), m);
    }

    #[test]
    fn min_count_filter_drops_users_then_items() {
        let mut x = Interactions {
            users: vec![0, 0, 0, 1, 2, 2],
            items: vec![0, 1, 2, 0, 0, 1],
            weights: vec![1.0; 6],
            times: None,
            user_labels: vec!["a".into(), "b".into(), "c".into()],
            item_labels: vec!["x".into(), "y".into(), "z".into()],
            ..Default::default()
        };
        x.filter_min_counts(2, 2);
        // user b (1 item) goes; then z (1 user) goes.
        assert_eq!(x.user_labels, vec!["a", "c"]);
        assert_eq!(x.item_labels, vec!["x", "y"]);
        assert_eq!(x.len(), 4);
    }
}
