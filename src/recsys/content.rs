//! What items are, not who touched them: an item-to-item content similarity
//! from the item's name or description (TF-IDF through the text module),
//! its category, brand and price band. It works for items nobody has
//! touched yet, which is what a shop needs for every new arrival.
//!
//! Each block is scaled to unit length and weighted (text 1, category 1,
//! brand ½, price band ¼ — squared weights of the cosine), then each item's
//! vector is normalised, so similarity is the cosine of the joined vectors.
//! Price bands are the quintiles of the items' median prices.

use rustc_hash::FxHashMap;

use super::matrix::Interactions;
use crate::data::catalogue::Catalogue;
use crate::data::columns::{encode_keys, numbers, texts, NO_KEY};
use crate::data::roles::normalise_name;
use crate::data::{Dataset, Role};
use crate::task::{CancelToken, Cancelled, TaskError};
use crate::text::tfidf::{Vectorizer, VocabularyOptions};
use crate::text::tokenize::Ngrams;

const BANDS: usize = 5;
const WEIGHT_TEXT: f32 = 1.0;
const WEIGHT_CATEGORY: f32 = 1.0;
const WEIGHT_BRAND: f32 = 0.5;
const WEIGHT_PRICE: f32 = 0.25;
/// Column names read as item text or brand when no role says.
const TEXT_NAMES: &[&str] = &["description", "productname", "name", "title", "itemname"];
const BRAND_NAMES: &[&str] = &["brand", "manufacturer", "maker"];

/// Each item's attributes, by item index (categories live in
/// [`Interactions::item_categories`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemAttributes {
    pub text: Vec<Option<String>>,
    pub brand: Vec<Option<String>>,
    /// Median price over the item's rows; NaN when unknown (saved as null,
    /// since JSON has no NaN).
    #[serde(with = "nan_as_null")]
    pub price: Vec<f64>,
}

mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let opts: Vec<Option<f64>> = values.iter().map(|v| (!v.is_nan()).then_some(*v)).collect();
        opts.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let opts = Vec::<Option<f64>>::deserialize(d)?;
        Ok(opts.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }
}

impl ItemAttributes {
    pub fn is_empty(&self) -> bool {
        self.text.iter().all(Option::is_none)
            && self.brand.iter().all(Option::is_none)
            && self.price.iter().all(|p| p.is_nan())
    }

    /// The first non-blank text and brand, and the median price, of each
    /// item of `data` in `ds` (the item's rows).
    pub fn from_dataset(ds: &Dataset, data: &Interactions) -> Result<Self, TaskError> {
        let n = data.n_items();
        let mut out = ItemAttributes {
            text: vec![None; n],
            brand: vec![None; n],
            price: vec![f64::NAN; n],
        };
        let Some(item_col) = ds.role_column(Role::Item) else {
            return Ok(out);
        };
        let keys = encode_keys(item_col).map_err(|e| TaskError::Input(e.to_string()))?;
        let index: FxHashMap<&str, u32> = data
            .item_labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i as u32))
            .collect();
        let code_to_item: Vec<u32> = (0..keys.n_distinct() as u32)
            .map(|c| {
                index
                    .get(keys.labels.label(c).as_str())
                    .copied()
                    .unwrap_or(NO_KEY)
            })
            .collect();
        let item_of = |row: usize| {
            let c = keys.codes[row];
            (c != NO_KEY)
                .then(|| code_to_item[c as usize])
                .filter(|&i| i != NO_KEY)
        };
        let column_named = |names: &[&str]| {
            ds.column_names()
                .into_iter()
                .find(|c| names.contains(&normalise_name(c).as_str()))
        };
        let text_col = ds
            .roles
            .get(Role::Text)
            .map(str::to_owned)
            .or_else(|| column_named(TEXT_NAMES));
        if let Some(col) = text_col {
            fill_first(&mut out.text, &texts(ds, &col)?, item_of);
        }
        if let Some(col) = column_named(BRAND_NAMES) {
            fill_first(&mut out.brand, &texts(ds, &col)?, item_of);
        }
        if let Some(col) = ds.roles.get(Role::Price) {
            let prices = numbers(ds, col, "price")?;
            let mut per_item: Vec<Vec<f64>> = vec![Vec::new(); n];
            for (row, &p) in prices.iter().enumerate() {
                if let (Some(i), true) = (item_of(row), p.is_finite() && p > 0.0) {
                    per_item[i as usize].push(p);
                }
            }
            for (i, mut v) in per_item.into_iter().enumerate() {
                if !v.is_empty() {
                    v.sort_by(f64::total_cmp);
                    out.price[i] = v[v.len() / 2];
                }
            }
        }
        Ok(out)
    }

    /// Names from a catalogue (`items.csv`) where the data has no text.
    pub fn fill_from_catalogue(&mut self, catalogue: &Catalogue, item_labels: &[String]) {
        for (i, label) in item_labels.iter().enumerate() {
            if let (Some(slot), Some(name)) = (
                self.text.get_mut(i),
                catalogue.get(label).and_then(|c| c.name.clone()),
            ) {
                if slot.is_none() {
                    *slot = Some(name);
                }
            }
        }
    }
}

fn fill_first(
    slots: &mut [Option<String>],
    values: &[Option<String>],
    item_of: impl Fn(usize) -> Option<u32>,
) {
    for (row, v) in values.iter().enumerate() {
        let Some(i) = item_of(row) else { continue };
        let slot = &mut slots[i as usize];
        if slot.is_none() {
            if let Some(t) = v.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                *slot = Some(t.to_owned());
            }
        }
    }
}

/// Normalised item vectors over words and attributes, with an inverted
/// index for similarity queries.
#[derive(Clone, Debug, Default)]
pub struct ContentIndex {
    /// Per item: (feature, weight), unit length (empty: no content).
    rows: Vec<Vec<(u32, f32)>>,
    /// Per feature: (item, weight).
    postings: Vec<Vec<(u32, f32)>>,
    /// Feature names for explanations ("word", "category: X", …).
    pub features: Vec<String>,
}

impl ContentIndex {
    /// The content vectors of every item of `data`; `None` when no item has
    /// any attribute.
    pub fn build(
        data: &Interactions,
        attrs: &ItemAttributes,
        cancel: &CancelToken,
    ) -> Result<Option<ContentIndex>, Cancelled> {
        let n = data.n_items();
        let has_category = data.item_categories.iter().any(Option::is_some);
        if attrs.is_empty() && !has_category {
            return Ok(None);
        }
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        let mut features: Vec<String> = Vec::new();
        // Text: TF-IDF of word unigrams and bigrams seen in 2+ items.
        let docs: Vec<&str> = (0..n)
            .map(|i| attrs.text.get(i).and_then(|t| t.as_deref()).unwrap_or(""))
            .collect();
        if docs.iter().any(|d| !d.is_empty()) {
            let options = VocabularyOptions {
                ngrams: Ngrams::WORD_1_2,
                min_df: 2,
                max_features: Some(200_000),
                max_chars: 2_000,
            };
            let (vectorizer, tfidf) = Vectorizer::fit_transform(&docs, &options, cancel)?;
            for (i, row) in rows.iter_mut().enumerate() {
                let (idx, val) = tfidf.row(i);
                add_block(row, idx.iter().zip(val).map(|(&f, &v)| (f, v)), WEIGHT_TEXT);
            }
            features = vectorizer.features.clone();
        }
        // One-hot blocks: category, brand, price band.
        let mut one_hot =
            |values: Vec<Option<String>>, weight: f32, rows: &mut Vec<Vec<(u32, f32)>>| {
                let mut index: FxHashMap<String, u32> = FxHashMap::default();
                for (i, v) in values.into_iter().enumerate() {
                    let Some(name) = v else { continue };
                    let f = *index.entry(name.clone()).or_insert_with(|| {
                        features.push(name);
                        (features.len() - 1) as u32
                    });
                    add_block(&mut rows[i], std::iter::once((f, 1.0)), weight);
                }
            };
        one_hot(
            (0..n)
                .map(|i| data.category_of(i as u32).map(|c| format!("category: {c}")))
                .collect(),
            WEIGHT_CATEGORY,
            &mut rows,
        );
        one_hot(
            (0..n)
                .map(|i| {
                    attrs
                        .brand
                        .get(i)
                        .and_then(Clone::clone)
                        .map(|b| format!("brand: {}", b.to_lowercase()))
                })
                .collect(),
            WEIGHT_BRAND,
            &mut rows,
        );
        one_hot(price_bands(&attrs.price, n), WEIGHT_PRICE, &mut rows);
        cancel.check()?;
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); features.len()];
        for (i, row) in rows.iter_mut().enumerate() {
            let norm = row.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                for (f, v) in row.iter_mut() {
                    *v /= norm;
                    postings[*f as usize].push((i as u32, *v));
                }
            }
        }
        Ok(Some(ContentIndex {
            rows,
            postings,
            features,
        }))
    }

    pub fn n_items(&self) -> usize {
        self.rows.len()
    }

    pub fn has_content(&self, item: u32) -> bool {
        self.rows.get(item as usize).is_some_and(|r| !r.is_empty())
    }

    /// Cosine similarity of `item` with every item (dense), into `out`.
    fn similarities(&self, item: u32, out: &mut [f32], touched: &mut Vec<u32>) {
        for &(f, v) in self.rows.get(item as usize).map_or(&[][..], Vec::as_slice) {
            for &(j, w) in &self.postings[f as usize] {
                if out[j as usize] == 0.0 {
                    touched.push(j);
                }
                out[j as usize] += v * w;
            }
        }
    }

    /// The `k` items most like `item` (itself excluded), most similar first
    /// (ties by index).
    pub fn similar(&self, item: u32, k: usize) -> Vec<(u32, f32)> {
        let mut scores = vec![0f32; self.n_items()];
        let mut touched = Vec::new();
        self.similarities(item, &mut scores, &mut touched);
        top_of(&scores, &touched, item, k)
    }

    /// Every item's `k` most similar items, in parallel (the benchmark's and
    /// a catalogue export's job).
    pub fn all_similar(
        &self,
        k: usize,
        cancel: &CancelToken,
    ) -> Result<Vec<Vec<(u32, f32)>>, Cancelled> {
        use rayon::prelude::*;
        (0..self.n_items() as u32)
            .into_par_iter()
            .map_init(
                || (vec![0f32; self.n_items()], Vec::new()),
                |(scores, touched), i| {
                    if i % 1024 == 0 {
                        cancel.check()?;
                    }
                    self.similarities(i, scores, touched);
                    let top = top_of(scores, touched, i, k);
                    for &j in touched.iter() {
                        scores[j as usize] = 0.0;
                    }
                    touched.clear();
                    Ok(top)
                },
            )
            .collect()
    }

    /// Σ over a history (item, weight) of weight × cosine with each of
    /// `candidates`: how like what the customer chose a candidate is.
    pub fn profile_scores(&self, history: &[(u32, f32)], candidates: &[u32]) -> Vec<f32> {
        let mut profile: FxHashMap<u32, f32> = FxHashMap::default();
        for &(i, w) in history {
            for &(f, v) in self.rows.get(i as usize).map_or(&[][..], Vec::as_slice) {
                *profile.entry(f).or_insert(0.0) += w * v;
            }
        }
        candidates
            .iter()
            .map(|&j| {
                self.rows.get(j as usize).map_or(0.0, |r| {
                    r.iter()
                        .map(|(f, v)| profile.get(f).map_or(0.0, |p| p * v))
                        .sum()
                })
            })
            .collect()
    }

    /// What `a` and `b` share, strongest first (for "because").
    pub fn shared(&self, a: u32, b: u32, limit: usize) -> Vec<String> {
        let (Some(ra), Some(rb)) = (self.rows.get(a as usize), self.rows.get(b as usize)) else {
            return Vec::new();
        };
        let weights: FxHashMap<u32, f32> = rb.iter().copied().collect();
        let mut shared: Vec<(u32, f32)> = ra
            .iter()
            .filter_map(|&(f, v)| weights.get(&f).map(|w| (f, v * w)))
            .collect();
        shared.sort_by(|x, y| y.1.total_cmp(&x.1));
        shared
            .into_iter()
            .take(limit)
            .map(|(f, _)| self.features[f as usize].clone())
            .collect()
    }
}

/// Append one block of features, scaled to length √weight.
fn add_block(
    row: &mut Vec<(u32, f32)>,
    block: impl Iterator<Item = (u32, f32)> + Clone,
    weight: f32,
) {
    let norm = block.clone().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm <= 0.0 {
        return;
    }
    let scale = weight.sqrt() / norm;
    row.extend(block.map(|(f, v)| (f, v * scale)));
}

/// "price band 2 of 5" by the quintiles of the known prices.
fn price_bands(prices: &[f64], n: usize) -> Vec<Option<String>> {
    let mut known: Vec<f64> = prices.iter().copied().filter(|p| p.is_finite()).collect();
    if known.len() < BANDS {
        return vec![None; n];
    }
    known.sort_by(f64::total_cmp);
    let edges: Vec<f64> = (1..BANDS).map(|b| known[b * known.len() / BANDS]).collect();
    (0..n)
        .map(|i| {
            let p = prices.get(i).copied().unwrap_or(f64::NAN);
            p.is_finite().then(|| {
                let band = edges.iter().filter(|&&e| p >= e).count() + 1;
                format!("price band {band} of {BANDS}")
            })
        })
        .collect()
}

fn top_of(scores: &[f32], touched: &[u32], exclude: u32, k: usize) -> Vec<(u32, f32)> {
    let mut v: Vec<(u32, f32)> = touched
        .iter()
        .filter(|&&j| j != exclude && scores[j as usize] > 0.0)
        .map(|&j| (j, scores[j as usize]))
        .collect();
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if v.len() > k {
        v.select_nth_unstable_by(k, order);
        v.truncate(k);
    }
    v.sort_by(order);
    // The list was sized for every touched item; every item's list is
    // kept by `all_similar`, so give the rest back.
    v.shrink_to_fit();
    v
}
