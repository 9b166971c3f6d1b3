//! TF-IDF features, sparse throughout.
//!
//! Same weighting as scikit-learn's `TfidfVectorizer(sublinear_tf=True)`:
//! tf = 1 + ln(count), idf = ln((1 + n) / (1 + df)) + 1 (smoothed, `n` training
//! documents), each row scaled to unit L2 norm. The vocabulary is learned on
//! the training texts only.

use std::collections::HashMap;

use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

use super::tokenize::{Ngrams, Tokenizer};
use crate::task::{CancelToken, Cancelled};

/// Compressed sparse rows with `f32` values (the features of many texts).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseRows {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
    pub n_cols: usize,
}

/// The transpose of a compressed-row matrix (`indptr`, `indices`,
/// `values`, `n_cols` columns), also by rows: counting sort by column, so
/// each new row lists its entries in the old row order.
pub(crate) fn transpose_rows<T: Copy + Default>(
    indptr: &[usize],
    indices: &[u32],
    values: &[T],
    n_cols: usize,
) -> (Vec<usize>, Vec<u32>, Vec<T>) {
    let mut counts = vec![0usize; n_cols + 1];
    for &j in indices {
        counts[j as usize + 1] += 1;
    }
    for j in 0..n_cols {
        counts[j + 1] += counts[j];
    }
    let mut next = counts.clone();
    let mut out_indices = vec![0u32; indices.len()];
    let mut out_values = vec![T::default(); values.len()];
    for i in 0..indptr.len().saturating_sub(1) {
        for at in indptr[i]..indptr[i + 1] {
            let slot = &mut next[indices[at] as usize];
            out_indices[*slot] = i as u32;
            out_values[*slot] = values[at];
            *slot += 1;
        }
    }
    (counts, out_indices, out_values)
}

/// Chunks of rows (all with `n_cols` columns) stacked in order.
fn concat_rows(
    chunks: impl IntoIterator<Item = Result<SparseRows, Cancelled>>,
    n_cols: usize,
    n_rows: usize,
) -> Result<SparseRows, Cancelled> {
    let mut all = SparseRows {
        indptr: Vec::with_capacity(n_rows + 1),
        n_cols,
        ..Default::default()
    };
    all.indptr.push(0);
    for chunk in chunks {
        let chunk = chunk?;
        let base = all.indices.len();
        all.indptr
            .extend(chunk.indptr[1..].iter().map(|p| p + base));
        all.indices.extend_from_slice(&chunk.indices);
        all.values.extend_from_slice(&chunk.values);
    }
    Ok(all)
}

impl SparseRows {
    pub fn n_rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let range = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    /// The rows listed in `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> SparseRows {
        let mut out = SparseRows {
            indptr: Vec::with_capacity(rows.len() + 1),
            n_cols: self.n_cols,
            ..Default::default()
        };
        out.indptr.push(0);
        for &r in rows {
            let (idx, val) = self.row(r);
            out.indices.extend_from_slice(idx);
            out.values.extend_from_slice(val);
            out.indptr.push(out.indices.len());
        }
        out
    }

    /// `X · w + b` for every row.
    pub fn dot(&self, w: &[f64], b: f64) -> Vec<f64> {
        (0..self.n_rows())
            .into_par_iter()
            .with_min_len(1024)
            .map(|i| {
                let (idx, val) = self.row(i);
                b + gather_dot(idx, val, w)
            })
            .collect()
    }
}

/// `Σₖ dense[idx[k]]·val[k]`, summed in four interleaved partial sums: with
/// a single running sum every step waits for the previous add (the two
/// products of a logistic-regression iteration took about an eighth less
/// time with four).
pub(crate) fn gather_dot(idx: &[u32], val: &[f32], dense: &[f64]) -> f64 {
    let mut sums = [0.0f64; 4];
    let (idx4, idx_rest) = idx.split_at(idx.len() - idx.len() % 4);
    let (val4, val_rest) = val.split_at(idx4.len());
    for (i, v) in idx4.chunks_exact(4).zip(val4.chunks_exact(4)) {
        for k in 0..4 {
            sums[k] += dense[i[k] as usize] * f64::from(v[k]);
        }
    }
    let mut tail = 0.0;
    for (&i, &v) in idx_rest.iter().zip(val_rest) {
        tail += dense[i as usize] * f64::from(v);
    }
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + tail
}

/// Vocabulary settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VocabularyOptions {
    pub ngrams: Ngrams,
    /// Keep n-grams found in at least this many training texts.
    pub min_df: usize,
    /// Keep only the most frequent n-grams (by total count); `None` keeps all.
    pub max_features: Option<usize>,
    /// Longer texts are cut to this many characters before tokenising, so one
    /// pasted novel cannot dominate memory or time.
    pub max_chars: usize,
}

/// A fitted TF-IDF vectoriser: n-gram → feature index, and idf per feature.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Vectorizer {
    pub ngrams: Ngrams,
    pub max_chars: usize,
    /// Feature names, sorted (as scikit-learn orders them).
    pub features: Vec<String>,
    pub idf: Vec<f64>,
    #[serde(skip)]
    index: TermIds,
}

/// `text` cut to at most `max_chars` characters.
pub fn clip(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => &text[..byte],
        None => text,
    }
}

/// N-gram → id, with n-grams of up to 7 bytes (a word, or one or two
/// Chinese characters: most of them) keyed by their bytes packed in a `u64`
/// instead of a string: the key sits in the table itself, so a lookup does
/// not follow a pointer to compare strings.
#[derive(Clone, Debug, Default)]
struct TermIds {
    short: HashMap<u64, u32, FxBuildHasher>,
    long: HashMap<Box<str>, u32, FxBuildHasher>,
}

/// `term`'s bytes and length in one `u64`, when it has at most 7 bytes.
fn pack(term: &str) -> Option<u64> {
    let bytes = term.as_bytes();
    // Byte by byte rather than `copy_from_slice`: a copy of unknown length
    // is a call to `memcpy`, which costs more than the lookup's hashing.
    (bytes.len() <= 7).then(|| {
        bytes
            .iter()
            .enumerate()
            .fold((bytes.len() as u64) << 56, |key, (i, &b)| {
                key | u64::from(b) << (8 * i)
            })
    })
}

/// The term [`pack`] packed.
fn unpack(key: u64) -> Box<str> {
    let word = key.to_le_bytes();
    let len = usize::from(word[7]);
    // Packed from a `&str`, so its bytes are UTF-8.
    String::from_utf8_lossy(&word[..len]).into()
}

impl TermIds {
    fn get(&self, term: &str) -> Option<u32> {
        match pack(term) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(term).copied(),
        }
    }

    /// `term`'s id, or `new_id` after storing it; and whether it was new.
    fn get_or_insert(&mut self, term: &str, new_id: u32) -> (u32, bool) {
        let slot = match pack(term) {
            Some(key) => self.short.entry(key),
            None => {
                return match self.long.get(term) {
                    Some(&id) => (id, false),
                    None => {
                        self.long.insert(term.into(), new_id);
                        (new_id, true)
                    }
                }
            }
        };
        match slot {
            std::collections::hash_map::Entry::Occupied(e) => (*e.get(), false),
            std::collections::hash_map::Entry::Vacant(e) => (*e.insert(new_id), true),
        }
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// Add `other`'s terms (numbered `0..other.len()`), numbering the new
    /// ones on from `self.len()`; returns each of `other`'s ids' id here.
    fn absorb(&mut self, other: TermIds) -> Vec<u32> {
        let mut id_here = vec![0u32; other.len()];
        self.short.reserve(other.short.len());
        for (key, id) in other.short {
            let next = self.len() as u32;
            id_here[id as usize] = *self.short.entry(key).or_insert(next);
        }
        for (term, id) in other.long {
            let next = self.len() as u32;
            id_here[id as usize] = *self.long.entry(term).or_insert(next);
        }
        id_here
    }

    /// Every term, in the order of its id (ids `0..len()`).
    fn names(&self) -> Vec<String> {
        let mut names = vec![String::new(); self.len()];
        for (&key, &id) in &self.short {
            names[id as usize] = unpack(key).into();
        }
        for (term, &id) in &self.long {
            names[id as usize] = term.to_string();
        }
        names
    }

    /// Give every term id `new_id[id]`, dropping those mapped to `u32::MAX`.
    fn renumber(&mut self, new_id: &[u32]) {
        for table_id in self.short.values_mut().chain(self.long.values_mut()) {
            *table_id = new_id[*table_id as usize];
        }
        self.short.retain(|_, id| *id != u32::MAX);
        self.long.retain(|_, id| *id != u32::MAX);
    }
}

impl FromIterator<(Box<str>, u32)> for TermIds {
    fn from_iter<I: IntoIterator<Item = (Box<str>, u32)>>(terms: I) -> Self {
        let mut ids = TermIds::default();
        for (term, id) in terms {
            ids.get_or_insert(&term, id);
        }
        ids
    }
}

#[derive(Clone, Copy, Default)]
struct TermStat {
    df: u32,
    total: u64,
    last_doc: u32,
}

/// One chunk of texts tokenised once: its own n-gram ids, their counts,
/// and every text's n-grams as ids (so the rows are built without
/// tokenising the texts again).
#[derive(Default)]
struct ChunkTerms {
    ids_of: TermIds,
    stats: Vec<TermStat>,
    /// Each text's n-gram ids in order of occurrence, concatenated.
    ngrams: Vec<u32>,
    text_ends: Vec<usize>,
}

fn chunk_terms(
    texts: &[&str],
    options: &VocabularyOptions,
    cancel: &CancelToken,
) -> Result<ChunkTerms, Cancelled> {
    let mut chunk = ChunkTerms::default();
    let mut tokenizer = Tokenizer::default();
    for (doc, text) in texts.iter().enumerate() {
        if doc % 4096 == 0 {
            cancel.check()?;
        }
        let doc = doc as u32;
        let ChunkTerms {
            ids_of,
            stats,
            ngrams,
            ..
        } = &mut chunk;
        tokenizer.for_each_ngram(clip(text, options.max_chars), options.ngrams, |g, _, _| {
            let (id, new) = ids_of.get_or_insert(g, stats.len() as u32);
            if new {
                stats.push(TermStat {
                    df: 1,
                    total: 1,
                    last_doc: doc,
                });
            } else {
                let s = &mut stats[id as usize];
                s.total += 1;
                if s.last_doc != doc {
                    s.last_doc = doc;
                    s.df += 1;
                }
            }
            ngrams.push(id);
        });
        chunk.text_ends.push(chunk.ngrams.len());
    }
    Ok(chunk)
}

impl Vectorizer {
    /// Learn the vocabulary and idf from `texts`; returns the fitted vectoriser
    /// and the TF-IDF rows of the same texts. Each text is tokenised once.
    pub fn fit_transform(
        texts: &[&str],
        options: &VocabularyOptions,
        cancel: &CancelToken,
    ) -> Result<(Vectorizer, SparseRows), Cancelled> {
        // Count document and total frequencies per chunk in parallel, then
        // merge: `global[c][local id]` is chunk c's n-gram's index in `stats`.
        let chunk_len = texts
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .max(256);
        let mut chunks: Vec<ChunkTerms> = texts
            .par_chunks(chunk_len)
            .map(|chunk| chunk_terms(chunk, options, cancel))
            .collect::<Result<_, _>>()?;
        // Every chunk's n-grams into one table, which becomes the fitted
        // index once its ids are renumbered as features.
        let mut terms = TermIds::default();
        let mut stats: Vec<TermStat> = Vec::new();
        let mut global: Vec<Vec<u32>> = Vec::with_capacity(chunks.len());
        for chunk in &mut chunks {
            let map = terms.absorb(std::mem::take(&mut chunk.ids_of));
            stats.resize(terms.len(), TermStat::default());
            for (&g, s) in map.iter().zip(&chunk.stats) {
                let total = &mut stats[g as usize];
                total.df += s.df;
                total.total += s.total;
            }
            global.push(map);
        }
        let mut names = terms.names();
        cancel.check()?;
        let min_df = options.min_df.max(1) as u32;
        let mut kept: Vec<u32> = (0..stats.len() as u32)
            .filter(|&g| stats[g as usize].df >= min_df)
            .collect();
        if let Some(limit) = options.max_features {
            if kept.len() > limit {
                // Most frequent first; ties by the n-gram so the choice is stable.
                kept.sort_unstable_by(|&a, &b| {
                    let (a, b) = (a as usize, b as usize);
                    stats[b]
                        .total
                        .cmp(&stats[a].total)
                        .then_with(|| names[a].cmp(&names[b]))
                });
                kept.truncate(limit);
            }
        }
        kept.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        // Each chunk's local ids now map straight to features (u32::MAX: not kept).
        let mut feature_of = vec![u32::MAX; stats.len()];
        for (feature, &g) in kept.iter().enumerate() {
            feature_of[g as usize] = feature as u32;
        }
        for map in &mut global {
            for g in map.iter_mut() {
                *g = feature_of[*g as usize];
            }
        }
        terms.renumber(&feature_of);
        let n = texts.len() as f64;
        let idf = kept
            .iter()
            .map(|&g| ((1.0 + n) / (1.0 + f64::from(stats[g as usize].df))).ln() + 1.0)
            .collect();
        let features: Vec<String> = kept
            .iter()
            .map(|&g| std::mem::take(&mut names[g as usize]))
            .collect();
        drop(names);
        let vectorizer = Vectorizer {
            ngrams: options.ngrams,
            max_chars: options.max_chars,
            features,
            idf,
            index: terms,
        };
        cancel.check()?;
        let parts: Vec<SparseRows> = chunks
            .par_iter()
            .zip(&global)
            .map(|(chunk, map)| {
                let mut out = SparseRows {
                    indptr: vec![0],
                    n_cols: vectorizer.n_features(),
                    ..Default::default()
                };
                let mut scratch = Vec::new();
                let mut start = 0;
                for &end in &chunk.text_ends {
                    scratch.clear();
                    scratch.extend(
                        chunk.ngrams[start..end]
                            .iter()
                            .map(|&local| map[local as usize])
                            .filter(|&f| f != u32::MAX),
                    );
                    vectorizer.push_row(&mut scratch, &mut out);
                    start = end;
                }
                out
            })
            .collect();
        let rows = concat_rows(
            parts.into_iter().map(Ok),
            vectorizer.n_features(),
            texts.len(),
        )?;
        Ok((vectorizer, rows))
    }

    /// Rebuild the n-gram lookup (after deserialising).
    pub fn rebuild_index(&mut self) {
        self.index = self
            .features
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str().into(), i as u32))
            .collect();
    }

    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// TF-IDF rows of `texts`, computed in parallel.
    pub fn transform(&self, texts: &[&str], cancel: &CancelToken) -> Result<SparseRows, Cancelled> {
        let chunks: Vec<Result<SparseRows, Cancelled>> = texts
            .par_chunks(2048)
            .map(|chunk| {
                cancel.check()?;
                let mut tokenizer = Tokenizer::default();
                let mut scratch = Vec::new();
                let mut out = SparseRows {
                    indptr: vec![0],
                    n_cols: self.n_features(),
                    ..Default::default()
                };
                for text in chunk {
                    self.row_into(&mut tokenizer, &mut scratch, text, &mut out);
                }
                Ok(out)
            })
            .collect();
        concat_rows(chunks, self.n_features(), texts.len())
    }

    /// The sparse TF-IDF vector of one text, as (feature, value) pairs.
    pub fn transform_one(&self, text: &str) -> Vec<(u32, f32)> {
        let mut out = SparseRows {
            indptr: vec![0],
            n_cols: self.n_features(),
            ..Default::default()
        };
        self.row_into(&mut Tokenizer::default(), &mut Vec::new(), text, &mut out);
        out.indices.into_iter().zip(out.values).collect()
    }

    /// How much each word (or character) of `text` pushed a linear score
    /// `Σ weightⱼ·xⱼ`: every n-gram occurrence's share `weightⱼ·xⱼ / countⱼ` is
    /// split evenly over the units it spans. Returns (byte start, byte end,
    /// contribution) per unit that is part of some feature; the contributions
    /// add up to the score without its intercept.
    pub fn explain(&self, text: &str, weights: &[f64]) -> Vec<(usize, usize, f64)> {
        let vector: HashMap<u32, f32> = self.transform_one(text).into_iter().collect();
        let mut tokenizer = Tokenizer::default();
        let mut occurrences: Vec<(u32, usize, usize)> = Vec::new();
        tokenizer.for_each_ngram(clip(text, self.max_chars), self.ngrams, |g, first, last| {
            if let Some(j) = self.index.get(g) {
                occurrences.push((j, first, last));
            }
        });
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for &(j, _, _) in &occurrences {
            *counts.entry(j).or_default() += 1;
        }
        let mut per_unit: std::collections::BTreeMap<usize, f64> = Default::default();
        for &(j, first, last) in &occurrences {
            let value = f64::from(vector.get(&j).copied().unwrap_or(0.0));
            let share = weights[j as usize] * value / counts[&j] as f64 / (last - first + 1) as f64;
            for unit in first..=last {
                *per_unit.entry(unit).or_default() += share;
            }
        }
        per_unit
            .into_iter()
            .map(|(unit, c)| {
                let (start, end) = tokenizer.unit_span(unit);
                (start, end, c)
            })
            .collect()
    }

    fn row_into(
        &self,
        tokenizer: &mut Tokenizer,
        scratch: &mut Vec<u32>,
        text: &str,
        out: &mut SparseRows,
    ) {
        scratch.clear();
        tokenizer.for_each_ngram(clip(text, self.max_chars), self.ngrams, |g, _, _| {
            if let Some(j) = self.index.get(g) {
                scratch.push(j);
            }
        });
        self.push_row(scratch, out);
    }

    /// Append the TF-IDF row of a text whose n-grams are the features in
    /// `scratch` (one entry per occurrence; sorted here).
    fn push_row(&self, scratch: &mut [u32], out: &mut SparseRows) {
        scratch.sort_unstable();
        let start = out.values.len();
        let mut norm = 0.0f64;
        let mut i = 0;
        while i < scratch.len() {
            let j = scratch[i];
            let mut count = 0usize;
            while i < scratch.len() && scratch[i] == j {
                count += 1;
                i += 1;
            }
            let value = (1.0 + (count as f64).ln()) * self.idf[j as usize];
            norm += value * value;
            out.indices.push(j);
            out.values.push(value as f32);
        }
        if norm > 0.0 {
            let scale = 1.0 / norm.sqrt();
            for v in &mut out.values[start..] {
                *v = (f64::from(*v) * scale) as f32;
            }
        }
        out.indptr.push(out.values.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(ngrams: Ngrams) -> VocabularyOptions {
        VocabularyOptions {
            ngrams,
            min_df: 1,
            max_features: None,
            max_chars: 100_000,
        }
    }

    #[test]
    fn packed_and_string_keys_find_the_same_terms() {
        let terms = [
            "",
            "a",
            "好",
            "不好",
            "1234567",
            "12345678",
            "很不好",
            "ab",
            "ba",
        ];
        for t in terms {
            if let Some(key) = pack(t) {
                assert_eq!(&*unpack(key), t);
            }
        }
        // Up to 7 bytes packs; the length keeps "a" and "a\0" apart.
        assert!(pack("1234567").is_some() && pack("12345678").is_none());
        assert_ne!(pack("a"), pack("a\0"));
        let ids: TermIds = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (Box::from(*t), i as u32))
            .collect();
        for (i, t) in terms.iter().enumerate() {
            assert_eq!(ids.get(t), Some(i as u32), "{t}");
        }
        assert_eq!(ids.get("abc"), None);
        assert!(ids.names().iter().eq(terms.iter()));
        // Merging: a term already known keeps its id, new ones are numbered on.
        let long = "a term longer than seven bytes";
        let mut merged: TermIds = [(Box::from(long), 0), (Box::from("ab"), 1)]
            .into_iter()
            .collect();
        let map = merged.absorb(ids);
        let ab = terms.iter().position(|t| *t == "ab").unwrap();
        assert_eq!(map[ab], 1);
        assert_eq!(merged.len(), terms.len() + 1);
        for (i, t) in terms.iter().enumerate() {
            assert_eq!(merged.get(t), Some(map[i]), "{t}");
            assert!(map[i] == 1 || map[i] >= 2);
        }
        // Renumbering moves every id and drops the ones mapped to u32::MAX.
        let new_id: Vec<u32> = (0..merged.len() as u32)
            .map(|id| if id == 1 { u32::MAX } else { 100 + id })
            .collect();
        merged.renumber(&new_id);
        assert_eq!(merged.get("ab"), None);
        assert_eq!(merged.get(long), Some(100));
        assert_eq!(merged.len(), terms.len());
    }

    #[test]
    fn gather_dot_sums_every_entry_whatever_the_length() {
        let dense: Vec<f64> = (0..16).map(|j| f64::from(j) * 0.5 - 3.0).collect();
        for len in 0..11usize {
            let idx: Vec<u32> = (0..len as u32).map(|k| (k * 7 + 3) % 16).collect();
            let val: Vec<f32> = (0..len).map(|k| 1.0 + k as f32 * 0.25).collect();
            let naive: f64 = idx
                .iter()
                .zip(&val)
                .map(|(&j, &v)| dense[j as usize] * f64::from(v))
                .sum();
            assert!(
                (gather_dot(&idx, &val, &dense) - naive).abs() < 1e-12,
                "{len}"
            );
        }
    }

    #[test]
    fn weights_match_the_textbook_formula() {
        let texts = ["good good phone", "bad phone"];
        let (v, rows) = Vectorizer::fit_transform(
            &texts,
            &options(Ngrams::Word { min: 1, max: 1 }),
            &CancelToken::new(),
        )
        .unwrap();
        assert_eq!(v.features, vec!["bad", "good", "phone"]);
        // idf: good and bad appear in 1 of 2 documents, phone in 2.
        let idf_rare = (3.0f64 / 2.0).ln() + 1.0;
        assert!((v.idf[1] - idf_rare).abs() < 1e-12);
        assert!((v.idf[2] - 1.0).abs() < 1e-12);
        let good = (1.0 + 2f64.ln()) * idf_rare;
        let phone = 1.0;
        let norm = (good * good + phone * phone).sqrt();
        let (idx, val) = rows.row(0);
        assert_eq!(idx, &[1, 2]);
        assert!((f64::from(val[0]) - good / norm).abs() < 1e-6);
        assert!((f64::from(val[1]) - phone / norm).abs() < 1e-6);
    }

    #[test]
    fn min_df_and_max_features_prune_the_vocabulary() {
        let texts = ["a1 b2 c3", "a1 b2", "a1"];
        let mut o = options(Ngrams::Word { min: 1, max: 1 });
        o.min_df = 2;
        let (v, _) = Vectorizer::fit_transform(&texts, &o, &CancelToken::new()).unwrap();
        assert_eq!(v.features, vec!["a1", "b2"]);
        o.min_df = 1;
        o.max_features = Some(1);
        let (v, rows) = Vectorizer::fit_transform(&texts, &o, &CancelToken::new()).unwrap();
        assert_eq!(v.features, vec!["a1"]);
        assert_eq!(rows.nnz(), 3);
    }

    #[test]
    fn unknown_ngrams_are_ignored_and_contributions_add_up() {
        let texts = ["very good", "very bad"];
        let (v, _) =
            Vectorizer::fit_transform(&texts, &options(Ngrams::WORD_1_2), &CancelToken::new())
                .unwrap();
        let x = v.transform_one("good and unseen words");
        assert_eq!(x.len(), 1);
        assert!((x[0].1 - 1.0).abs() < 1e-6);
        let weights: Vec<f64> = (0..v.n_features()).map(|j| j as f64 - 2.0).collect();
        let text = "Very good, very";
        let parts = v.explain(text, &weights);
        let spans: Vec<&str> = parts.iter().map(|p| &text[p.0..p.1]).collect();
        assert_eq!(spans, vec!["Very", "good", "very"]);
        let score: f64 = v
            .transform_one(text)
            .iter()
            .map(|&(j, x)| weights[j as usize] * f64::from(x))
            .sum();
        let total: f64 = parts.iter().map(|p| p.2).sum();
        assert!((score - total).abs() < 1e-6, "{score} vs {total}");
    }

    #[test]
    fn rows_from_the_single_pass_equal_a_second_transform() {
        // Over 256 texts, so the counting runs in several chunks that must merge.
        let words = [
            "good", "bad", "phone", "很", "好", "battery", "screen", "差",
        ];
        let texts: Vec<String> = (0..1500usize)
            .map(|d| {
                (0..1 + d % 9)
                    .map(|w| words[(d * 7 + w * w * 3) % words.len()])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        for ngrams in [Ngrams::WORD_1_2, Ngrams::CHAR_1_2] {
            let mut o = options(ngrams);
            o.min_df = 3;
            o.max_features = Some(40);
            let cancel = CancelToken::new();
            let (v, rows) = Vectorizer::fit_transform(&texts, &o, &cancel).unwrap();
            assert_eq!(v.n_features(), 40);
            assert_eq!(rows, v.transform(&texts, &cancel).unwrap());
        }
    }

    #[test]
    fn long_texts_are_clipped() {
        assert_eq!(clip("好好学习", 2), "好好");
        assert_eq!(clip("abc", 10), "abc");
    }
}
