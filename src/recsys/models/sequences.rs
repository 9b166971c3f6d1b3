//! What the sequential models (SASRec, GRU4Rec) learn from: each customer's
//! train items in time order, the newest one held out for validation and
//! early stopping, and the rank of a held-out item among every other item.
//!
//! Validation follows SASRec's protocol one step earlier than the test: a
//! customer with at least three train items has the last one as validation
//! target, and the items before it are what the model reads and learns
//! from. The final model reads every train item (the validation one too), as
//! SASRec's evaluation does.

use super::TrainEvents;

/// Each user's train items, oldest first: by timestamp when the data has
/// one, then by row order (a sequence file's order is its time order).
pub fn ordered_train_items(events: TrainEvents, n_users: usize) -> Vec<Vec<u32>> {
    let data = events.data;
    let mut rows: Vec<usize> = (0..data.len()).filter(|&r| !events.is_test[r]).collect();
    if let Some(times) = &data.times {
        // Stable: equal times keep the file's order.
        rows.sort_by_key(|&r| times[r]);
    }
    let mut out = vec![Vec::new(); n_users];
    for r in rows {
        out[data.users[r] as usize].push(data.items[r]);
    }
    out
}

pub use crate::neural::validation::{hold_out_last, ndcg_at, rank_of, spread, ValidationCase};
