//! What a user sets for a topics run — the method and its parameters, the
//! polarity, the columns — and how it becomes a [`TopicsRequest`] on the
//! reviews at hand (the loaded file when it has text, else the review file
//! opened beside it). The Topics tab edits it, `shoplens sentiment topics`
//! fills it from flags, and sweeps over k start from it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::task::{Classifier, TopicColumns, TopicsRequest};
use super::{TopicMethod, TopicOptions, TopicParams};
use crate::data::Dataset;
use crate::runs::capability::{Overrides, Settings, SweepAsk};
use crate::runs::sweep::{parse_list, SweepSpec};
use crate::runs::{DataContext, ModelEntry, SweepPlan};
use crate::text::settings::review_source;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicSettings {
    pub params: TopicParams,
    pub options: TopicOptions,
    /// The column choice, and the file it belongs to.
    pub columns: Option<TopicColumns>,
    pub columns_for: Option<PathBuf>,
}

impl TopicSettings {
    pub fn with_overrides(o: &Overrides) -> Self {
        let mut s = Self::default();
        s.options.seed = o.seed.unwrap_or(s.options.seed);
        s.options.threads = o.threads.unwrap_or(s.options.threads);
        s
    }

    /// The columns chosen for `ds`, or the ones its roles point at.
    pub fn columns_for(&self, ds: &Dataset) -> Result<TopicColumns, String> {
        match (&self.columns, &self.columns_for) {
            (Some(c), Some(path)) if *path == ds.path => Ok(c.clone()),
            _ => TopicColumns::from_roles(ds),
        }
    }

    /// A request for `params` on the reviews of `data`.
    pub fn request(
        &self,
        data: &DataContext,
        params: TopicParams,
    ) -> Result<TopicsRequest, String> {
        let Some(dataset) = review_source(data) else {
            // Name the file and its columns when one is loaded.
            let why = data
                .dataset
                .and_then(|ds| TopicColumns::from_roles(ds).err());
            return Err(why.unwrap_or_else(|| "No reviews loaded: open a file with a review text column (the Sentiment tab also finds reviews.csv beside the data).".into()));
        };
        self.request_on(dataset, params)
    }

    /// A request for `params` on `dataset`'s reviews.
    pub fn request_on(
        &self,
        dataset: Arc<Dataset>,
        params: TopicParams,
    ) -> Result<TopicsRequest, String> {
        Ok(TopicsRequest {
            columns: self.columns_for(&dataset)?,
            dataset,
            params,
            options: self.options.clone(),
            classifier: None,
        })
    }
}

/// The values of k a scan tries unless the user types others.
pub const SCAN_K: &str = "4,6,8,10,12";

impl TopicSettings {
    /// A sweep of these settings over `ks` ("4,6,8"): every other parameter
    /// as set, each k a run ranked by coherence. `classifier` splits
    /// unlabelled reviews, as a single run's does.
    pub fn scan_k(
        &self,
        data: &DataContext,
        ks: &str,
        classifier: Option<Classifier>,
    ) -> Result<SweepPlan, String> {
        let (_, values) = parse_list(&format!("k={ks}"))?;
        let spec = SweepSpec {
            lists: vec![("k".into(), values)],
            seed: self.options.seed,
            ..SweepSpec::default()
        };
        let mut request = self.request(data, self.params.clone())?;
        request.classifier = classifier;
        SweepPlan::expand(request, &spec)
    }
}

impl Settings for TopicSettings {
    fn overridden(model: &ModelEntry, overrides: &Overrides) -> Result<Self, String> {
        let mut s = Self::with_overrides(overrides);
        s.params.method = method_of(model)?;
        Ok(s)
    }

    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String> {
        let params = TopicParams {
            method: method_of(ask.model)?,
            ..self.params.clone()
        };
        SweepPlan::expand(self.request(ask.data, params)?, ask.spec)
    }
}

fn method_of(model: &ModelEntry) -> Result<TopicMethod, String> {
    TopicMethod::from_name(model.name)
        .ok_or_else(|| format!("'{}' is not a topic model", model.name))
}
