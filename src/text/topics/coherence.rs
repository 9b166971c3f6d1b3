//! Topic coherence: the mean normalised pointwise mutual information (NPMI,
//! Bouma 2009; as Röder et al. 2015 use it for topics) of a topic's top
//! words, counted over the reviews the model was fitted on.
//!
//! For words a and b, P(a) is the share of reviews containing a and P(a, b)
//! the share containing both; NPMI = ln(P(a,b) / (P(a) P(b))) / −ln P(a,b),
//! from −1 (never together) through 0 (independent) to 1 (always together).
//! A pair that never occurs together scores −1 (no smoothing). A topic's
//! coherence is the mean over all pairs of its top words; the model's is the
//! mean over topics.

use super::corpus::Csr;

/// Sorted review indices of every word (`xt` = the transposed counts).
fn postings(xt: &Csr, word: u32) -> &[u32] {
    xt.row(word as usize).0
}

fn together(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// NPMI of two words found in `na` and `nb` of `n` reviews, `nab` together.
pub fn npmi(na: usize, nb: usize, nab: usize, n: usize) -> f64 {
    if nab == 0 {
        return -1.0;
    }
    let n = n as f64;
    let (pa, pb, pab) = (na as f64 / n, nb as f64 / n, nab as f64 / n);
    if pab >= 1.0 {
        return 1.0;
    }
    (pab / (pa * pb)).ln() / -pab.ln()
}

/// The coherence of each topic (its top words as vocabulary indices).
pub fn topic_coherence(xt: &Csr, n_docs: usize, topics: &[Vec<u32>]) -> Vec<f64> {
    topics
        .iter()
        .map(|words| {
            let mut sum = 0.0;
            let mut pairs = 0;
            for (i, &a) in words.iter().enumerate() {
                for &b in &words[i + 1..] {
                    let (pa, pb) = (postings(xt, a), postings(xt, b));
                    sum += npmi(pa.len(), pb.len(), together(pa, pb), n_docs);
                    pairs += 1;
                }
            }
            if pairs == 0 {
                0.0
            } else {
                sum / pairs as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npmi_is_one_minus_one_and_zero_at_its_landmarks() {
        // Always together (each in half the reviews): 1.
        assert!((npmi(5, 5, 5, 10) - 1.0).abs() < 1e-12);
        // Never together: −1.
        assert_eq!(npmi(5, 5, 0, 10), -1.0);
        // Independent: P(a,b) = P(a)P(b) → 0.
        assert!(npmi(5, 4, 2, 10).abs() < 1e-12);
    }

    #[test]
    fn coherence_averages_pairs_over_the_review_postings() {
        // Reviews × words: word 0 and 1 always together, word 2 alone.
        let x = Csr {
            indptr: vec![0, 2, 4, 5, 5],
            indices: vec![0, 1, 0, 1, 2],
            values: vec![1.0; 5],
            n_cols: 3,
        };
        let xt = x.transpose();
        let c = topic_coherence(&xt, 4, &[vec![0, 1], vec![0, 1, 2]]);
        assert!((c[0] - 1.0).abs() < 1e-12);
        assert!((c[1] - (1.0 - 1.0 - 1.0) / 3.0).abs() < 1e-12);
    }
}
