//! Train/test splits that respect time.
//!
//! For every split a user's **relevant** items are their test items that are not
//! among their train items; users with no relevant item are not evaluated.
//!
//! Users with test items but **no training history** (new customers, e.g.
//! those who first appear after a temporal cut) are not among them: the
//! models know nothing of them, so they are kept apart as [`ColdUser`]s for
//! the fallback a shop would use (see [`super::cold`]). Their first test
//! interaction (by time, then item index) is their *arrival* — what a shop
//! knows when they come — and their other distinct test items are relevant.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::matrix::{Csr, Interactions};
use super::RecError;
use crate::data::timestamp::{format_day, format_iso, parse_iso};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Split {
    /// Each user's last interaction by (timestamp, then item index) is the test item.
    LeaveLastOut,
    /// Every interaction before the cut (unix seconds) trains, the rest tests.
    Temporal { cut: i64 },
    /// Per user, a seeded random 20% of their distinct items test (at least one
    /// when they have two or more).
    Random { seed: u64 },
}

impl Split {
    /// `leave-last-out`, `random`, or `temporal:YYYY-MM-DD`.
    pub fn parse(text: &str, seed: u64) -> Result<Split, String> {
        match text.trim() {
            "leave-last-out" => Ok(Split::LeaveLastOut),
            "random" => Ok(Split::Random { seed }),
            other => match other.strip_prefix("temporal:") {
                Some(date) => parse_iso(date)
                    .map(|cut| Split::Temporal { cut })
                    .ok_or_else(|| format!("'{date}' is not a date; write temporal:YYYY-MM-DD (or YYYY-MM-DDTHH:MM:SS)")),
                None => Err(format!(
                    "unknown split '{other}': use leave-last-out, random or temporal:YYYY-MM-DD"
                )),
            },
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Split::LeaveLastOut => "leave-last-out".into(),
            Split::Temporal { cut } if cut.rem_euclid(86_400) == 0 => {
                format!("temporal:{}", format_day(cut.div_euclid(86_400)))
            }
            // A cut within a day (a short log) shows its time.
            Split::Temporal { cut } => format!("temporal:{}", format_iso(*cut)),
            Split::Random { .. } => "random".into(),
        }
    }
}

pub struct TrainTest {
    /// users × items, weights summed.
    pub train: Csr,
    /// Relevant items per user with training history (sorted); empty for
    /// users not evaluated.
    pub relevant: Vec<Vec<u32>>,
    /// Users with test items and no training history, by user index.
    pub cold: Vec<ColdUser>,
    /// Which interactions (rows of the [`Interactions`]) are held out: the
    /// others are the train split, as events (ALS on Spark hands them off).
    pub is_test: Vec<bool>,
}

/// A customer with test interactions but no training history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColdUser {
    pub user: u32,
    /// The first item they touched in the test period.
    pub arrival: u32,
    /// Their other distinct test items (sorted).
    pub relevant: Vec<u32>,
}

impl TrainTest {
    pub fn users_evaluated(&self) -> usize {
        self.relevant.iter().filter(|r| !r.is_empty()).count()
    }
}

pub fn split(data: &Interactions, how: &Split) -> Result<TrainTest, RecError> {
    let n = data.len();
    let mut is_test = vec![false; n];
    match how {
        Split::LeaveLastOut => {
            let times = data.times.as_ref();
            let mut last: Vec<Option<usize>> = vec![None; data.n_users()];
            for r in 0..n {
                let u = data.users[r] as usize;
                // Without timestamps the file's order is the time order (as in
                // SASRec's sequence files): the user's last row is held out.
                let key = |x: usize| (times.map_or(x as i64, |t| t[x]), data.items[x]);
                match last[u] {
                    Some(prev) if key(prev) >= key(r) => {}
                    _ => last[u] = Some(r),
                }
            }
            for r in last.into_iter().flatten() {
                is_test[r] = true;
            }
        }
        Split::Temporal { cut } => {
            let Some(times) = data.times.as_ref() else {
                return Err(RecError::Input(
                    "a temporal split needs a timestamp column; assign one in the Data tab or use leave-last-out/random".into(),
                ));
            };
            for r in 0..n {
                is_test[r] = times[r] >= *cut;
            }
            if !is_test.iter().any(|t| *t) || is_test.iter().all(|t| *t) {
                return Err(RecError::Input(format!(
                    "the temporal cut {} leaves {} empty; pick a date inside the data's time range",
                    format_day(cut.div_euclid(86_400)),
                    if is_test.iter().any(|t| *t) {
                        "the training set"
                    } else {
                        "the test set"
                    }
                )));
            }
        }
        Split::Random { seed } => {
            let mut per_user: Vec<Vec<u32>> = vec![Vec::new(); data.n_users()];
            for r in 0..n {
                per_user[data.users[r] as usize].push(data.items[r]);
            }
            let mut test_items: Vec<Vec<u32>> = Vec::with_capacity(per_user.len());
            for (u, items) in per_user.iter_mut().enumerate() {
                items.sort_unstable();
                items.dedup();
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(
                    seed ^ (u as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                items.shuffle(&mut rng);
                let take = if items.len() >= 2 {
                    ((items.len() as f64 * 0.2).round() as usize).max(1)
                } else {
                    0
                };
                let mut chosen = items[..take].to_vec();
                chosen.sort_unstable();
                test_items.push(chosen);
            }
            for r in 0..n {
                is_test[r] = test_items[data.users[r] as usize]
                    .binary_search(&data.items[r])
                    .is_ok();
            }
        }
    }
    let train = data.matrix_of((0..n).filter(|&r| !is_test[r]));
    let mut relevant: Vec<Vec<u32>> = vec![Vec::new(); data.n_users()];
    // Cold users' first test interaction by (time, item), and their items.
    let mut arrival: Vec<Option<(i64, u32)>> = vec![None; data.n_users()];
    for r in (0..n).filter(|&r| is_test[r]) {
        let (u, i) = (data.users[r] as usize, data.items[r]);
        if train.row_len(u) == 0 {
            let key = (data.times.as_ref().map_or(0, |t| t[r]), i);
            if arrival[u].is_none_or(|a| key < a) {
                arrival[u] = Some(key);
            }
            relevant[u].push(i);
        } else if !train.contains(u, i) {
            relevant[u].push(i);
        }
    }
    for r in relevant.iter_mut() {
        r.sort_unstable();
        r.dedup();
    }
    let mut cold = Vec::new();
    for (u, first) in arrival.iter().enumerate() {
        let Some((_, item)) = first else { continue };
        let mut items = std::mem::take(&mut relevant[u]);
        items.retain(|i| i != item);
        cold.push(ColdUser {
            user: u as u32,
            arrival: *item,
            relevant: items,
        });
    }
    Ok(TrainTest {
        train,
        relevant,
        cold,
        is_test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Interactions {
        Interactions {
            users: vec![0, 0, 0, 1, 1],
            items: vec![0, 1, 2, 2, 0],
            weights: vec![1.0; 5],
            times: Some(vec![10, 30, 30, 5, 50]),
            user_labels: vec!["a".into(), "b".into()],
            item_labels: vec!["x".into(), "y".into(), "z".into()],
            ..Default::default()
        }
    }

    #[test]
    fn leave_last_out_breaks_time_ties_by_item() {
        let tt = split(&data(), &Split::LeaveLastOut).unwrap();
        // user a: items 1 and 2 both at t=30 → the larger item index (2) is last.
        assert_eq!(tt.relevant[0], vec![2]);
        assert_eq!(tt.relevant[1], vec![0]);
        assert_eq!(tt.train.row(0).0, &[0, 1]);
    }

    #[test]
    fn leave_last_out_without_times_holds_out_the_last_row() {
        let mut d = data();
        d.times = None;
        d.items[1] = 2;
        d.items[2] = 1;
        let tt = split(&d, &Split::LeaveLastOut).unwrap();
        // Rows in file order: a's last row is item 1 (not the largest id, 2).
        assert_eq!(tt.relevant[0], vec![1]);
        assert_eq!(tt.train.row(0).0, &[0, 2]);
    }

    #[test]
    fn temporal_cut_and_relevance_excludes_train_items() {
        let mut d = data();
        d.items[4] = 2; // user b sees item 2 again after the cut
        let tt = split(&d, &Split::Temporal { cut: 20 }).unwrap();
        assert_eq!(tt.relevant[0], vec![1, 2]);
        assert!(
            tt.relevant[1].is_empty(),
            "item 2 was already in b's train row"
        );
        assert_eq!(tt.users_evaluated(), 1);
    }

    #[test]
    fn users_without_training_history_are_cold_with_an_arrival_item() {
        // User c (index 2) first appears after the cut: items 1 (t=40) then 0 and 2 (t=60).
        let mut d = data();
        d.users.extend([2, 2, 2]);
        d.items.extend([0, 1, 2]);
        d.weights.extend([1.0; 3]);
        d.times.as_mut().unwrap().extend([60, 40, 60]);
        d.user_labels.push("c".into());
        let tt = split(&d, &Split::Temporal { cut: 20 }).unwrap();
        assert!(tt.relevant[2].is_empty(), "not among the warm users");
        assert_eq!(
            tt.users_evaluated(),
            2,
            "a and b are warm and evaluated, c is not"
        );
        assert_eq!(
            tt.cold,
            vec![ColdUser {
                user: 2,
                arrival: 1,
                relevant: vec![0, 2]
            }]
        );
    }

    #[test]
    fn random_split_is_seeded() {
        let a = split(&data(), &Split::Random { seed: 1 }).unwrap();
        let b = split(&data(), &Split::Random { seed: 1 }).unwrap();
        assert_eq!(a.relevant, b.relevant);
        assert_eq!(a.relevant[0].len(), 1);
    }

    #[test]
    fn parse_splits() {
        assert_eq!(Split::parse("leave-last-out", 0), Ok(Split::LeaveLastOut));
        assert_eq!(
            Split::parse("temporal:2019-10-01", 0),
            Ok(Split::Temporal { cut: 1_569_888_000 })
        );
        assert!(Split::parse("temporal:soon", 0).is_err());
    }
}
