//! The document-term matrices topic models fit: counts (LDA) and TF-IDF
//! (NMF), with scikit-learn's vocabulary rules so the two can be compared on
//! the same token lists.
//!
//! - Vocabulary: words found in at least `min_df` reviews and in at most
//!   `max_df` (a fraction) of them, as `CountVectorizer(min_df=5,
//!   max_df=0.5)` keeps them; sorted by code point.
//! - TF-IDF: `TfidfVectorizer(sublinear_tf=True)`: tf = 1 + ln(count),
//!   idf = ln((1 + n) / (1 + df)) + 1, rows scaled to unit L2 norm (a review
//!   with no vocabulary word stays a zero row).

use std::collections::HashMap;

use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

use crate::text::tfidf::transpose_rows;

/// Compressed sparse rows with `f64` values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Csr {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
    pub n_cols: usize,
}

impl Csr {
    pub fn n_rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let range = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    /// The transpose, also in rows (the columns of `self`).
    pub fn transpose(&self) -> Csr {
        let (indptr, indices, values) =
            transpose_rows(&self.indptr, &self.indices, &self.values, self.n_cols);
        Csr {
            indptr,
            indices,
            values,
            n_cols: self.n_rows(),
        }
    }

    /// `self · dense` for a row-major `dense` of `self.n_cols × k`: a
    /// row-major `n_rows × k`.
    pub fn times(&self, dense: &[f64], k: usize) -> Vec<f64> {
        let mut out = Vec::new();
        self.times_into(dense, k, &mut out);
        out
    }

    /// [`Csr::times`] into `out`, reusing its memory: a solver that
    /// multiplies every iteration then touches no fresh pages.
    pub fn times_into(&self, dense: &[f64], k: usize, out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.n_rows() * k, 0.0);
        out.par_chunks_mut(k * 64)
            .enumerate()
            .for_each(|(block, rows)| {
                for (r, row) in rows.chunks_exact_mut(k).enumerate() {
                    let (idx, val) = self.row(block * 64 + r);
                    for (&j, &v) in idx.iter().zip(val) {
                        let start = j as usize * k;
                        axpy(row, v, &dense[start..start + k]);
                    }
                }
            });
    }

    pub fn squared_norm(&self) -> f64 {
        self.values.iter().map(|v| v * v).sum()
    }

    /// Sum of all values.
    pub fn sum(&self) -> f64 {
        self.values.iter().sum()
    }
}

/// `y += a · x` (the same length), in blocks of 4 the compiler vectorises.
#[inline]
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    let mut ys = y.chunks_exact_mut(4);
    let mut xs = x.chunks_exact(4);
    for (y4, x4) in (&mut ys).zip(&mut xs) {
        y4[0] += a * x4[0];
        y4[1] += a * x4[1];
        y4[2] += a * x4[2];
        y4[3] += a * x4[3];
    }
    for (y, x) in ys.into_remainder().iter_mut().zip(xs.remainder()) {
        *y += a * x;
    }
}

/// Token lists turned into a vocabulary and a count matrix.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// Feature names, sorted.
    pub vocabulary: Vec<String>,
    /// Documents × vocabulary, word counts (one row per review, in order).
    pub counts: Csr,
    /// Reviews each word occurs in.
    pub df: Vec<u32>,
}

impl Corpus {
    /// Keep the words in at least `min_df` documents and at most
    /// `max_df · n` of them.
    pub fn build(docs: &[Vec<String>], min_df: usize, max_df: f64) -> Corpus {
        let n = docs.len();
        let mut df: HashMap<&str, (u32, usize), FxBuildHasher> = HashMap::default();
        for (d, doc) in docs.iter().enumerate() {
            for word in doc {
                let entry = df.entry(word.as_str()).or_insert((0, usize::MAX));
                if entry.1 != d {
                    entry.0 += 1;
                    entry.1 = d;
                }
            }
        }
        let max_count = max_df * n as f64;
        let mut vocabulary: Vec<&str> = df
            .iter()
            .filter(|(_, &(count, _))| count as usize >= min_df && f64::from(count) <= max_count)
            .map(|(w, _)| *w)
            .collect();
        vocabulary.sort_unstable();
        let index: HashMap<&str, u32, FxBuildHasher> = vocabulary
            .iter()
            .enumerate()
            .map(|(i, w)| (*w, i as u32))
            .collect();
        let mut counts = Csr {
            indptr: Vec::with_capacity(n + 1),
            n_cols: vocabulary.len(),
            ..Default::default()
        };
        counts.indptr.push(0);
        let mut row: Vec<u32> = Vec::new();
        for doc in docs {
            row.clear();
            row.extend(doc.iter().filter_map(|w| index.get(w.as_str()).copied()));
            row.sort_unstable();
            let mut k = 0;
            while k < row.len() {
                let j = row[k];
                let mut c = 0.0;
                while k < row.len() && row[k] == j {
                    c += 1.0;
                    k += 1;
                }
                counts.indices.push(j);
                counts.values.push(c);
            }
            counts.indptr.push(counts.indices.len());
        }
        let df = vocabulary.iter().map(|w| df[w].0).collect();
        Corpus {
            vocabulary: vocabulary.into_iter().map(str::to_owned).collect(),
            counts,
            df,
        }
    }

    pub fn n_docs(&self) -> usize {
        self.counts.n_rows()
    }

    /// Sublinear, smoothed, L2-normalised TF-IDF of the counts.
    pub fn tfidf(&self) -> Csr {
        let n = self.n_docs() as f64;
        let idf: Vec<f64> = self
            .df
            .iter()
            .map(|&d| ((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0)
            .collect();
        let mut x = self.counts.clone();
        for i in 0..x.n_rows() {
            let range = x.indptr[i]..x.indptr[i + 1];
            let mut norm = 0.0;
            for p in range.clone() {
                let v = (1.0 + x.values[p].ln()) * idf[x.indices[p] as usize];
                x.values[p] = v;
                norm += v * v;
            }
            let norm = norm.sqrt();
            if norm > 0.0 {
                for p in range {
                    x.values[p] /= norm;
                }
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(texts: &[&str]) -> Vec<Vec<String>> {
        texts
            .iter()
            .map(|t| t.split_whitespace().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn vocabulary_keeps_words_between_min_df_and_max_df_sorted() {
        let d = docs(&["a b c", "a b", "a d", "a b e"]);
        // a is in 4/4 documents (> 0.75), b in 3, c/d/e in 1.
        let c = Corpus::build(&d, 2, 0.75);
        assert_eq!(c.vocabulary, vec!["b"]);
        assert_eq!(c.counts.n_rows(), 4);
        assert_eq!(c.counts.row(2).0.len(), 0);
        let c = Corpus::build(&d, 1, 1.0);
        assert_eq!(c.vocabulary, vec!["a", "b", "c", "d", "e"]);
        assert_eq!(c.df, vec![4, 3, 1, 1, 1]);
    }

    #[test]
    fn tfidf_matches_scikit_learns_sublinear_smoothed_weights() {
        // TfidfVectorizer(sublinear_tf=True) on ["x x y", "y"]: x: tf 1+ln 2,
        // idf ln(3/2)+1; y: tf 1, idf 1.
        let c = Corpus::build(&docs(&["x x y", "y"]), 1, 1.0);
        let x = c.tfidf();
        let (wx, wy) = ((1.0 + 2f64.ln()) * ((1.5f64).ln() + 1.0), 1.0);
        let norm = (wx * wx + wy * wy).sqrt();
        let (_, row) = x.row(0);
        assert!((row[0] - wx / norm).abs() < 1e-12 && (row[1] - wy / norm).abs() < 1e-12);
        assert_eq!(x.row(1).1, &[1.0]);
    }

    #[test]
    fn transpose_and_product_agree_with_dense_arithmetic() {
        let c = Corpus::build(&docs(&["a b b", "b c", "a c c c"]), 1, 1.0);
        let t = c.counts.transpose();
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.row(1), (&[0u32, 1][..], &[2.0, 1.0][..]));
        // counts (3×3) · identity-ish dense (3×1 of ones) = row sums.
        assert_eq!(c.counts.times(&[1.0, 1.0, 1.0], 1), vec![3.0, 2.0, 4.0]);
    }
}
