//! What the neighbourhood models look training sessions up in: each
//! session's views and distinct items, its time, and each item's sessions.
//!
//! Sessions are indexed by recency — ordered by the time of their last view
//! (ties in log order) — so "the most recent of these sessions", session-rec's
//! sampling rule, is "the largest indices".

use super::protocol::Session;

/// Compressed rows: `values[offsets[r]..offsets[r + 1]]` is row `r`.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    offsets: Vec<usize>,
    values: Vec<u32>,
}

impl Rows {
    fn from_rows<'a>(rows: impl Iterator<Item = &'a [u32]>) -> Self {
        let mut out = Rows {
            offsets: vec![0],
            values: Vec::new(),
        };
        for r in rows {
            out.values.extend_from_slice(r);
            out.offsets.push(out.values.len());
        }
        out
    }

    pub fn row(&self, r: usize) -> &[u32] {
        &self.values[self.offsets[r]..self.offsets[r + 1]]
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Where row `r` lies in [`values`](Self::values).
    pub fn range(&self, r: usize) -> std::ops::Range<usize> {
        self.offsets[r]..self.offsets[r + 1]
    }

    /// Every row's values, end to end.
    pub fn values(&self) -> &[u32] {
        &self.values
    }

    pub fn row_len(&self, r: usize) -> usize {
        self.offsets[r + 1] - self.offsets[r]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn memory_bytes(&self) -> usize {
        self.offsets.len() * 8 + self.values.len() * 4
    }
}

/// The training sessions, by recency index.
#[derive(Clone, Debug, Default)]
pub struct SessionIndex {
    /// Each session's views in time order (repeats kept).
    pub views: Rows,
    /// Each session's distinct items, ascending.
    pub sets: Rows,
    /// The time of each session's last view (ascending with the index).
    pub times: Vec<f64>,
    /// Position of each session in the training data (for its label).
    pub original: Vec<u32>,
    /// Each item's sessions, ascending (most recent last).
    pub item_sessions: Rows,
    /// Views of each item in training.
    pub item_views: Vec<u32>,
    /// Items ranked by training views (most first, ties by index): the
    /// order tied scores are shown in.
    pub popularity_rank: Vec<u32>,
    /// Items in that order.
    pub by_popularity: Vec<u32>,
}

impl SessionIndex {
    pub fn build(train: &[Session], n_items: usize) -> Self {
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.sort_by(|&a, &b| {
            train[a]
                .last_time()
                .total_cmp(&train[b].last_time())
                .then(a.cmp(&b))
        });
        let views = Rows::from_rows(order.iter().map(|&s| train[s].items.as_slice()));
        let mut set_rows: Vec<Vec<u32>> = Vec::with_capacity(order.len());
        let mut item_views = vec![0u32; n_items];
        for &s in &order {
            let mut set = train[s].items.clone();
            for &i in &set {
                item_views[i as usize] += 1;
            }
            set.sort_unstable();
            set.dedup();
            set_rows.push(set);
        }
        let mut per_item: Vec<Vec<u32>> = vec![Vec::new(); n_items];
        for (s, set) in set_rows.iter().enumerate() {
            for &i in set {
                per_item[i as usize].push(s as u32);
            }
        }
        let mut by_pop: Vec<u32> = (0..n_items as u32).collect();
        by_pop.sort_by(|&a, &b| {
            item_views[b as usize]
                .cmp(&item_views[a as usize])
                .then(a.cmp(&b))
        });
        let mut popularity_rank = vec![0u32; n_items];
        for (rank, &i) in by_pop.iter().enumerate() {
            popularity_rank[i as usize] = rank as u32;
        }
        SessionIndex {
            views,
            sets: Rows::from_rows(set_rows.iter().map(Vec::as_slice)),
            times: order.iter().map(|&s| train[s].last_time()).collect(),
            original: order.iter().map(|&s| s as u32).collect(),
            item_sessions: Rows::from_rows(per_item.iter().map(Vec::as_slice)),
            item_views,
            popularity_rank,
            by_popularity: by_pop,
        }
    }

    pub fn n_sessions(&self) -> usize {
        self.times.len()
    }

    pub fn n_items(&self) -> usize {
        self.item_views.len()
    }

    /// Whether session `s` has item `i`.
    pub fn contains(&self, s: usize, i: u32) -> bool {
        self.sets.row(s).binary_search(&i).is_ok()
    }

    pub fn memory_bytes(&self) -> usize {
        self.views.memory_bytes()
            + self.sets.memory_bytes()
            + self.item_sessions.memory_bytes()
            + self.times.len() * 12
            + self.item_views.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[u32], last: f64) -> Session {
        Session {
            label: String::new(),
            items: items.to_vec(),
            times: vec![last; items.len()],
        }
    }

    #[test]
    fn sessions_are_indexed_by_recency_and_items_by_popularity() {
        let train = [s(&[0, 1, 1], 5.0), s(&[2, 1], 1.0), s(&[0, 2], 5.0)];
        let x = SessionIndex::build(&train, 3);
        assert_eq!(x.original, [1, 0, 2], "oldest first; ties in log order");
        assert_eq!(x.views.row(1), &[0, 1, 1]);
        assert_eq!(x.sets.row(1), &[0, 1]);
        assert_eq!(x.item_sessions.row(1), &[0, 1]);
        assert_eq!(x.item_views, [2, 3, 2]);
        assert_eq!(x.popularity_rank, [1, 0, 2]);
        assert_eq!(x.by_popularity, [1, 0, 2]);
        assert!(x.contains(2, 2) && !x.contains(2, 1));
    }
}
