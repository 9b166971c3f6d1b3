//! Session popularity (session-rec's `SessionPop`): the `top_n` most viewed
//! training items score views/(views + 1) (ties by first appearance), and
//! every item adds how often the current session has viewed it — so the
//! session's own items come first, then the bestsellers.

use super::{Reason, Scratch, SessionModel};
use crate::session::index::SessionIndex;
use crate::session::params::SpopParams;

pub struct SessionPopular {
    /// (item, views/(views + 1)), most viewed first.
    top: Vec<(u32, f64)>,
    views: Vec<u32>,
}

impl SessionPopular {
    pub fn fit(index: &SessionIndex, p: &SpopParams) -> Self {
        let top = index
            .by_popularity
            .iter()
            .take(p.top_n)
            .map(|&i| {
                let v = f64::from(index.item_views[i as usize]);
                (i, v / (v + 1.0))
            })
            .collect();
        SessionPopular {
            top,
            views: index.item_views.clone(),
        }
    }
}

impl SessionModel for SessionPopular {
    fn score(&self, prefix: &[u32], _now: f64, scratch: &mut Scratch) {
        scratch.clear();
        for &(i, s) in &self.top {
            scratch.add(i, s);
        }
        for &i in prefix {
            scratch.add(i, 1.0);
        }
    }

    fn reasons(&self, prefix: &[u32], item: u32, _: &Scratch, _: usize) -> Vec<Reason> {
        let mut out = Vec::new();
        let count = prefix.iter().filter(|&&i| i == item).count() as u32;
        if count > 0 {
            out.push(Reason::InSession { count });
        }
        if self.top.iter().any(|&(i, _)| i == item) {
            out.push(Reason::Popular {
                views: self.views[item as usize],
            });
        }
        out
    }
}
