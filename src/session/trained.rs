//! A fitted and evaluated session model, with what the explorer shows.

use std::sync::{Arc, Mutex};

use super::evaluate::SessionMetrics;
use super::index::SessionIndex;
pub use super::models::Reason;
use super::models::{top_k, Scratch, SessionModel};
use super::params::SessionParams;
use super::protocol::SessionData;
use super::task::SessionOptions;

/// One recommended next item and why.
#[derive(Clone, Debug, PartialEq)]
pub struct NextItem {
    pub item: u32,
    pub score: f64,
    pub reasons: Vec<Reason>,
}

pub struct SessionTrained {
    pub params: SessionParams,
    pub options: SessionOptions,
    pub data: Arc<SessionData>,
    pub index: Arc<SessionIndex>,
    pub model: Box<dyn SessionModel>,
    pub metrics: SessionMetrics,
    pub fit_secs: f64,
    pub eval_secs: f64,
    /// Per item: the items viewed right after it in training, with counts,
    /// most frequent first (ties by index).
    pub viewed_next: Vec<Vec<(u32, u32)>>,
    /// Working memory for the explorer's one-off lists.
    scratch: Mutex<Option<Scratch>>,
}

impl SessionTrained {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        params: SessionParams,
        options: SessionOptions,
        data: Arc<SessionData>,
        index: Arc<SessionIndex>,
        model: Box<dyn SessionModel>,
        metrics: SessionMetrics,
        fit_secs: f64,
        eval_secs: f64,
    ) -> Self {
        let viewed_next = transitions(&data);
        SessionTrained {
            params,
            options,
            data,
            index,
            model,
            metrics,
            fit_secs,
            eval_secs,
            viewed_next,
            scratch: Mutex::new(None),
        }
    }

    pub fn item_label(&self, item: u32) -> &str {
        self.data
            .item_labels
            .get(item as usize)
            .map_or("?", String::as_str)
    }

    /// The label of training session `s` (an index of [`SessionIndex`]).
    pub fn session_label(&self, s: u32) -> &str {
        self.index
            .original
            .get(s as usize)
            .and_then(|&o| self.data.train.get(o as usize))
            .map_or("?", |t| t.label.as_str())
    }

    /// Training session `s`'s views.
    pub fn session_views(&self, s: u32) -> &[u32] {
        if (s as usize) < self.index.n_sessions() {
            self.index.views.row(s as usize)
        } else {
            &[]
        }
    }

    /// The latest view of the data: the time a built session is scored at.
    pub fn latest_time(&self) -> f64 {
        self.data.report.cut + self.data.protocol.test_days * 86_400.0
    }

    /// The top `k` next items after `prefix` (at `now`, default the latest
    /// view of the data), each with up to 3 reasons.
    pub fn next_items(&self, prefix: &[u32], now: Option<f64>, k: usize) -> Vec<NextItem> {
        let prefix: Vec<u32> = prefix
            .iter()
            .copied()
            .filter(|&i| (i as usize) < self.index.n_items())
            .collect();
        let Ok(mut guard) = self.scratch.lock() else {
            return Vec::new();
        };
        let scratch = guard
            .get_or_insert_with(|| Scratch::new(self.index.n_items(), self.index.n_sessions()));
        self.model
            .score(&prefix, now.unwrap_or_else(|| self.latest_time()), scratch);
        top_k(scratch, &self.index, k)
            .into_iter()
            .map(|(item, score)| {
                let mut reasons = if score == 0.0 {
                    Vec::new()
                } else {
                    self.model.reasons(&prefix, item, scratch, 3)
                };
                if reasons.is_empty() && score == 0.0 {
                    reasons.push(Reason::Filler);
                }
                NextItem {
                    item,
                    score,
                    reasons,
                }
            })
            .collect()
    }

    /// The explorer's list: [`next_items`](Self::next_items) without the
    /// item in view (a shopper looking at it needs no link to it). The
    /// evaluation keeps session-rec's protocol, which ranks it like any other.
    pub fn next_items_to_show(&self, prefix: &[u32], now: Option<f64>, k: usize) -> Vec<NextItem> {
        let mut list = self.next_items(prefix, now, k + 1);
        if let Some(&viewing) = prefix.last() {
            list.retain(|n| n.item != viewing);
        }
        list.truncate(k);
        list
    }

    /// What training sessions viewed right after `item`.
    pub fn viewed_next(&self, item: u32, limit: usize) -> &[(u32, u32)] {
        self.viewed_next
            .get(item as usize)
            .map_or(&[], |v| &v[..v.len().min(limit)])
    }
}

fn transitions(data: &SessionData) -> Vec<Vec<(u32, u32)>> {
    let mut counts: Vec<rustc_hash::FxHashMap<u32, u32>> = vec![Default::default(); data.n_items()];
    for s in &data.train {
        for w in s.items.windows(2) {
            if w[0] != w[1] {
                *counts[w[0] as usize].entry(w[1]).or_insert(0) += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|m| {
            let mut v: Vec<(u32, u32)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        })
        .collect()
}
