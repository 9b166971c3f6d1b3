//! Association rules (session-rec's `AssociationRules`): every pair of views
//! in a training session counts once in each direction (an item viewed twice
//! pairs with itself), each item keeps its `pruning` most frequent partners
//! (ties in the order the pairs were first seen, as Python's
//! `Counter.most_common`; 0 keeps all), and the next item is scored by how
//! often it was paired with the session's last view.

use rustc_hash::FxHashMap;

use super::{Reason, Scratch, SessionModel};
use crate::session::params::ArParams;
use crate::session::protocol::Session;

pub struct AssociationRules {
    /// Per item: (partner, count), most frequent first.
    rules: Vec<Vec<(u32, u32)>>,
}

impl AssociationRules {
    pub fn fit(train: &[Session], n_items: usize, p: &ArParams) -> Self {
        // (count, order of first sighting) per partner.
        let mut counts: Vec<FxHashMap<u32, (u32, u32)>> = vec![FxHashMap::default(); n_items];
        let mut bump = |a: u32, b: u32| {
            let map = &mut counts[a as usize];
            let next = map.len() as u32;
            map.entry(b).or_insert((0, next)).0 += 1;
        };
        for s in train {
            for (j, &item) in s.items.iter().enumerate() {
                for &earlier in &s.items[..j] {
                    // session-rec inserts rules[earlier][item] first.
                    bump(earlier, item);
                    bump(item, earlier);
                }
            }
        }
        let rules = counts
            .into_iter()
            .map(|map| {
                let mut v: Vec<(u32, u32, u32)> =
                    map.into_iter().map(|(b, (c, o))| (b, c, o)).collect();
                v.sort_by(|x, y| y.1.cmp(&x.1).then(x.2.cmp(&y.2)));
                let keep = if p.pruning == 0 {
                    v.len()
                } else {
                    p.pruning.min(v.len())
                };
                v.truncate(keep);
                v.into_iter().map(|(b, c, _)| (b, c)).collect()
            })
            .collect();
        AssociationRules { rules }
    }

    pub fn partners(&self, item: u32) -> &[(u32, u32)] {
        self.rules.get(item as usize).map_or(&[], Vec::as_slice)
    }
}

impl SessionModel for AssociationRules {
    fn score(&self, prefix: &[u32], _now: f64, scratch: &mut Scratch) {
        scratch.clear();
        let Some(&last) = prefix.last() else { return };
        for &(b, c) in self.partners(last) {
            scratch.set(b, f64::from(c));
        }
    }

    fn reasons(&self, prefix: &[u32], item: u32, _: &Scratch, _: usize) -> Vec<Reason> {
        let Some(&last) = prefix.last() else {
            return Vec::new();
        };
        self.partners(last)
            .iter()
            .find(|(b, _)| *b == item)
            .map(|&(_, count)| Reason::CoViewed { with: last, count })
            .into_iter()
            .collect()
    }

    fn memory_bytes(&self) -> usize {
        self.rules.iter().map(|r| r.len() * 8 + 24).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[u32]) -> Session {
        Session {
            label: String::new(),
            items: items.to_vec(),
            times: vec![0.0; items.len()],
        }
    }

    #[test]
    fn pairs_count_both_ways_and_pruning_keeps_first_seen_ties() {
        let train = [s(&[0, 1, 2]), s(&[0, 0, 2])];
        let ar = AssociationRules::fit(&train, 3, &ArParams { pruning: 0 });
        // 0 pairs with 2 three times (once, then twice: 0 was viewed twice),
        // with itself twice (one repeat, counted both ways), with 1 once.
        assert_eq!(ar.partners(0), &[(2, 3), (0, 2), (1, 1)]);
        let pruned = AssociationRules::fit(&train, 3, &ArParams { pruning: 1 });
        assert_eq!(pruned.partners(1), &[(0, 1)]);
    }
}
