//! RFM scores and the standard named segments.
//!
//! Each of recency, frequency and monetary gets a quintile score 1–5 from the
//! customer's average rank (ties share a score): score = 1 + ⌊5 · rank / n⌋,
//! rank 0-based; recency is ranked so the most recent customers score 5. FM is
//! the rounded-up mean of the F and M scores (F alone without prices). The
//! segment comes from R × FM:
//!
//! | FM \ R | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | 4–5 | Can't lose them | At risk | Loyal | Champions | Champions |
//! | 3 | At risk | At risk | Need attention | Loyal | Loyal |
//! | 2 | Lost | Hibernating | About to sleep | Potential loyalist | Potential loyalist |
//! | 1 | Lost | Hibernating | About to sleep | Promising | New |

use serde::{Deserialize, Serialize};

use super::features::{CustomerTable, Feature};
use super::SegmentError;

pub const SEGMENTS: [&str; 11] = [
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
];

/// Quintile scores 1–5 of `values` (higher value → higher score unless `reverse`).
pub fn quintile_scores(values: &[f64], reverse: bool) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut scores = vec![0u8; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // Average 0-based rank of the tie group.
        let rank = (i + j - 1) as f64 / 2.0;
        let score = (1.0 + (5.0 * rank / n as f64).floor()).clamp(1.0, 5.0) as u8;
        let score = if reverse { 6 - score } else { score };
        for &k in &order[i..j] {
            scores[k] = score;
        }
        i = j;
    }
    scores
}

pub fn segment_of(r: u8, fm: u8) -> &'static str {
    match (fm, r) {
        (4..=5, 1) => "Can't lose them",
        (4..=5, 2) => "At risk",
        (4..=5, 3) => "Loyal",
        (4..=5, _) => "Champions",
        (3, 1..=2) => "At risk",
        (3, 3) => "Need attention",
        (3, _) => "Loyal",
        (2, 1) => "Lost",
        (2, 2) => "Hibernating",
        (2, 3) => "About to sleep",
        (2, _) => "Potential loyalist",
        (_, 1) => "Lost",
        (_, 2) => "Hibernating",
        (_, 3) => "About to sleep",
        (_, 4) => "Promising",
        _ => "New",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    pub segment: String,
    pub size: usize,
    pub share: f64,
    pub revenue_share: f64,
    pub mean_recency: f64,
    pub mean_frequency: f64,
    pub mean_monetary: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rfm {
    pub r: Vec<u8>,
    pub f: Vec<u8>,
    pub m: Option<Vec<u8>>,
    pub segment: Vec<&'static str>,
    pub table: Vec<SegmentRow>,
}

pub fn rfm(table: &CustomerTable) -> Result<Rfm, SegmentError> {
    let recency = table.get(Feature::Recency).ok_or_else(|| {
        SegmentError::Input("RFM needs recency, which needs a timestamp column".into())
    })?;
    let frequency = table.get(Feature::Frequency).unwrap_or_default();
    let monetary = table.get(Feature::Monetary);
    let r = quintile_scores(recency, true);
    let f = quintile_scores(frequency, false);
    let m = monetary.map(|m| quintile_scores(m, false));
    let segment: Vec<&'static str> = (0..table.len())
        .map(|i| {
            let fm = match &m {
                Some(m) => (f[i] + m[i]).div_ceil(2),
                None => f[i],
            };
            segment_of(r[i], fm)
        })
        .collect();
    let n = table.len().max(1) as f64;
    let total_revenue: f64 = table.revenue.iter().sum();
    let rows = SEGMENTS
        .iter()
        .filter_map(|&name| {
            let members: Vec<usize> = (0..table.len()).filter(|&i| segment[i] == name).collect();
            if members.is_empty() {
                return None;
            }
            let mean =
                |v: &[f64]| members.iter().map(|&i| v[i]).sum::<f64>() / members.len() as f64;
            let revenue: f64 = members.iter().map(|&i| table.revenue[i]).sum();
            Some(SegmentRow {
                segment: name.to_owned(),
                size: members.len(),
                share: members.len() as f64 / n,
                revenue_share: if total_revenue > 0.0 {
                    revenue / total_revenue
                } else {
                    0.0
                },
                mean_recency: mean(recency),
                mean_frequency: mean(frequency),
                mean_monetary: monetary.map(mean),
            })
        })
        .collect();
    Ok(Rfm {
        r,
        f,
        m,
        segment,
        table: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_split_evenly_and_ties_share_a_score() {
        let v: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(
            quintile_scores(&v, false),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        assert_eq!(
            quintile_scores(&v, true),
            vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        );
        let tied = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let s = quintile_scores(&tied, false);
        assert!(s[..6].iter().all(|&x| x == s[0]), "{s:?}");
        assert_eq!(s[9], 5);
    }

    #[test]
    fn every_cell_of_the_grid_has_one_of_the_eleven_segments() {
        let mut seen = std::collections::HashSet::new();
        for r in 1..=5 {
            for fm in 1..=5 {
                let s = segment_of(r, fm);
                assert!(SEGMENTS.contains(&s));
                seen.insert(s);
            }
        }
        assert_eq!(seen.len(), 11);
        assert_eq!(segment_of(5, 5), "Champions");
        assert_eq!(segment_of(1, 1), "Lost");
        assert_eq!(segment_of(5, 1), "New");
    }
}
