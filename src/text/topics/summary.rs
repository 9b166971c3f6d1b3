//! From a fitted model's two matrices to what a merchant reads: each topic's
//! top words, coherence, share, its share per category, product and month,
//! and example reviews. The rules (dominant topic, ties, ordering) are in
//! the module above.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::coherence::topic_coherence;
use super::corpus::Corpus;
use super::{Assigned, TOP_WORDS};
use crate::data::columns::NO_TIME;
use crate::data::timestamp::civil_from_days;
use crate::text::reviews::Reviews;

/// A topic's share within one group (a category, a product, a month).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub name: String,
    /// Chosen reviews of the group.
    pub reviews: usize,
    /// Of which this topic's.
    pub in_topic: usize,
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    /// Top words with their weight in the topic, heaviest first.
    pub words: Vec<(String, f64)>,
    pub coherence: f64,
    /// Chosen reviews whose dominant topic this is.
    pub reviews: usize,
    pub share: f64,
    /// By category, highest share first (empty without a category column).
    pub categories: Vec<Share>,
    /// By product with at least [`MIN_PRODUCT_REVIEWS`] chosen reviews,
    /// highest share first.
    pub products: Vec<Share>,
    /// By month (`YYYY-MM`), in time order (empty without dates).
    pub months: Vec<Share>,
    /// Review indices of the heaviest examples.
    pub examples: Vec<usize>,
}

impl Topic {
    /// The label a topic is shown with: its first four words.
    pub fn label(&self) -> String {
        self.words
            .iter()
            .take(4)
            .map(|(w, _)| w.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// A product needs this many chosen reviews to be ranked by share (one
/// review out of one is not a pattern).
pub const MIN_PRODUCT_REVIEWS: usize = 2;
const EXAMPLES: usize = 3;

pub struct Summary {
    pub topics: Vec<Topic>,
    pub assigned: Vec<Assigned>,
    pub coherence: f64,
    pub no_topic_share: f64,
}

/// `YYYY-MM` of Unix seconds.
pub fn month_of(unix: i64) -> String {
    let (y, m, _) = civil_from_days(unix.div_euclid(86_400));
    format!("{y:04}-{m:02}")
}

/// The heaviest `n` indices of `weights`, ties to the lower index.
fn top_indices(weights: &[f64], n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..weights.len()).collect();
    idx.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(a.cmp(&b)));
    idx.truncate(n);
    idx
}

/// Shares of each topic within the groups `group_of` gives (None: no group).
fn shares_by(
    assigned: &[Assigned],
    k: usize,
    group_of: impl Fn(usize) -> Option<String>,
) -> Vec<Vec<Share>> {
    let mut totals: BTreeMap<String, (usize, Vec<usize>)> = BTreeMap::new();
    for a in assigned {
        let Some(group) = group_of(a.review) else {
            continue;
        };
        let entry = totals.entry(group).or_insert_with(|| (0, vec![0; k]));
        entry.0 += 1;
        if let Some(t) = a.topic {
            entry.1[t as usize] += 1;
        }
    }
    (0..k)
        .map(|t| {
            totals
                .iter()
                .map(|(name, (n, per))| Share {
                    name: name.clone(),
                    reviews: *n,
                    in_topic: per[t],
                    share: per[t] as f64 / *n as f64,
                })
                .collect()
        })
        .collect()
}

fn by_share(mut shares: Vec<Share>) -> Vec<Share> {
    shares.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then(b.reviews.cmp(&a.reviews))
            .then(a.name.cmp(&b.name))
    });
    shares
}

/// Summarise a model: `topic_words` is k × vocabulary, `doc_weights` is
/// one row of k per chosen review (`rows`), unnormalised — NMF's W, LDA's
/// γ — so a review's weight says how strongly it is about its topic (a
/// one-word review is 100% one topic but weighs little) and the examples
/// are the reviews that are most about it.
pub fn summarise(
    reviews: &Reviews,
    rows: &[usize],
    corpus: &Corpus,
    topic_words: &[f64],
    doc_weights: &[f64],
    k: usize,
) -> Summary {
    let m = corpus.vocabulary.len();
    // Dominant topic of each review, in the model's numbering.
    let dominant: Vec<Option<(usize, f64)>> = rows
        .iter()
        .enumerate()
        .map(|(d, _)| {
            if corpus.counts.row(d).0.is_empty() {
                return None;
            }
            let w = &doc_weights[d * k..(d + 1) * k];
            let best = top_indices(w, 1)[0];
            (w[best] > 0.0).then(|| (best, w[best]))
        })
        .collect();
    let mut counts = vec![0usize; k];
    for (t, _) in dominant.iter().flatten() {
        counts[*t] += 1;
    }
    // Number topics by share, largest first (ties: the model's order).
    let order: Vec<usize> = {
        let c: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        top_indices(&c, k)
    };
    let mut renumber = vec![0u16; k];
    for (new, &old) in order.iter().enumerate() {
        renumber[old] = new as u16;
    }
    let assigned: Vec<Assigned> = rows
        .iter()
        .zip(&dominant)
        .map(|(&review, d)| Assigned {
            review,
            topic: d.map(|(t, _)| renumber[t]),
            weight: d.map_or(0.0, |(_, w)| w as f32),
        })
        .collect();
    let top_words: Vec<Vec<usize>> = order
        .iter()
        .map(|&t| top_indices(&topic_words[t * m..(t + 1) * m], TOP_WORDS.min(m)))
        .collect();
    let xt = corpus.counts.transpose();
    let word_ids: Vec<Vec<u32>> = top_words
        .iter()
        .map(|w| w.iter().map(|&j| j as u32).collect())
        .collect();
    let coherence = topic_coherence(&xt, corpus.n_docs(), &word_ids);
    let n = rows.len().max(1) as f64;
    let categories = reviews
        .categories
        .as_ref()
        .map(|c| shares_by(&assigned, k, |r| Some(c[r].clone())));
    let products = reviews
        .products
        .as_ref()
        .map(|p| shares_by(&assigned, k, |r| Some(p[r].clone())));
    let months = reviews.times.as_ref().map(|times| {
        shares_by(&assigned, k, |r| {
            (times[r] != NO_TIME).then(|| month_of(times[r]))
        })
    });
    let topics = order
        .iter()
        .enumerate()
        .map(|(new, &old)| {
            let mine: Vec<&Assigned> = assigned
                .iter()
                .filter(|a| a.topic == Some(new as u16))
                .collect();
            let weights: Vec<f64> = mine.iter().map(|a| f64::from(a.weight)).collect();
            let examples = top_indices(&weights, EXAMPLES)
                .into_iter()
                .map(|i| mine[i].review)
                .collect();
            Topic {
                words: top_words[new]
                    .iter()
                    .map(|&j| (corpus.vocabulary[j].clone(), topic_words[old * m + j]))
                    .collect(),
                coherence: coherence[new],
                reviews: counts[old],
                share: counts[old] as f64 / n,
                categories: categories
                    .as_ref()
                    .map_or_else(Vec::new, |c| by_share(c[new].clone())),
                products: products.as_ref().map_or_else(Vec::new, |p| {
                    by_share(
                        p[new]
                            .iter()
                            .filter(|s| s.reviews >= MIN_PRODUCT_REVIEWS)
                            .cloned()
                            .collect(),
                    )
                }),
                months: months.as_ref().map_or_else(Vec::new, |m| m[new].clone()),
                examples,
            }
        })
        .collect();
    let assigned_count: usize = counts.iter().sum();
    Summary {
        topics,
        assigned,
        coherence: coherence.iter().sum::<f64>() / k.max(1) as f64,
        no_topic_share: (rows.len() - assigned_count) as f64 / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_calendar_months_in_utc() {
        assert_eq!(month_of(0), "1970-01");
        // 2024-01-31 23:59:59 and 2024-02-01 00:00:00.
        assert_eq!(month_of(1_706_745_599), "2024-01");
        assert_eq!(month_of(1_706_745_600), "2024-02");
    }

    #[test]
    fn reviews_go_to_their_dominant_topic_and_topics_are_numbered_by_share() {
        let docs: Vec<Vec<String>> = ["a b", "a b", "c d", "a c", ""]
            .iter()
            .map(|t| t.split_whitespace().map(str::to_owned).collect())
            .collect();
        let corpus = Corpus::build(&docs, 1, 1.0);
        let reviews = Reviews {
            texts: vec!["x".into(); 5],
            labels: vec![None; 5],
            categories: Some(vec![
                "A".into(),
                "A".into(),
                "B".into(),
                "B".into(),
                "B".into(),
            ]),
            lines: (2..7).collect(),
            ..Default::default()
        };
        // Topic 0 = {c, d}, topic 1 = {a, b}; review 3 ties → topic 0.
        let topic_words = [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        let doc_weights = [0.0, 1.0, 0.1, 0.9, 1.0, 0.0, 0.5, 0.5, 0.0, 0.0];
        let s = summarise(
            &reviews,
            &[0, 1, 2, 3, 4],
            &corpus,
            &topic_words,
            &doc_weights,
            2,
        );
        // {a, b} has 2 reviews, {c, d} 2 (reviews 2 and 3): a tie keeps
        // the model's order, so {c, d} is topic 1 (number 0).
        assert_eq!(s.topics[0].words[0].0, "c");
        assert_eq!(s.topics[0].reviews, 2);
        assert_eq!(s.topics[1].reviews, 2);
        assert!((s.no_topic_share - 0.2).abs() < 1e-12);
        assert_eq!(s.assigned[4].topic, None);
        // Category B: 3 chosen reviews, 2 in topic {c, d}.
        let b = &s.topics[0].categories[0];
        assert_eq!((b.name.as_str(), b.reviews, b.in_topic), ("B", 3, 2));
        assert_eq!(s.topics[1].examples, vec![0, 1]);
    }
}
