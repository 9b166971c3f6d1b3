//! Most popular: every user gets the items most users interacted with.

use super::{top_n, FitContext, Model, ModelSnapshot};
use crate::recsys::matrix::Csr;
use crate::recsys::RecError;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Popular {
    /// Distinct train users per item.
    pub counts: Vec<f32>,
}

impl Popular {
    pub fn fit(train: &Csr, ctx: &FitContext) -> Result<Self, RecError> {
        ctx.check()?;
        let counts = train.col_counts().into_iter().map(|c| c as f32).collect();
        Ok(Self { counts })
    }
}

impl Model for Popular {
    fn snapshot(&self) -> ModelSnapshot {
        ModelSnapshot::Popular(self.clone())
    }

    fn scores(&self, _user: u32, _row: (&[u32], &[f32]), out: &mut [f32]) {
        out.copy_from_slice(&self.counts);
    }

    /// Popularity has no notion of similarity: the most popular other items.
    fn similar_items(&self, item: u32, n: usize) -> Vec<(u32, f32)> {
        let pairs = (0..self.counts.len() as u32)
            .filter(|&j| j != item)
            .map(|j| (j, self.counts[j as usize]))
            .collect();
        top_n(pairs, n)
    }

    fn explain(
        &self,
        _user: u32,
        _row: (&[u32], &[f32]),
        _item: u32,
        _n: usize,
    ) -> Vec<(u32, f32)> {
        Vec::new()
    }
}
