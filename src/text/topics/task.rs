//! Topics' one entry point. A [`TopicsRequest`] (a review file with its
//! columns, the model's parameters, the polarity) goes through fingerprint →
//! reviews → chosen reviews → tokens, matrices, fit → summary → run record,
//! for the Topics tab, sweeps over k, `shoplens sentiment topics`,
//! `shoplens sweep` and the tests alike.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use super::{
    choose_reviews, find_topics, Polarity, Predicted, TopicOptions, TopicParams, TopicsRun,
};
use crate::data::catalogue::Catalogue;
use crate::data::{Dataset, Role};
use crate::runs::{DataFingerprint, Fitted, Fitting, Pipeline, RunHistory, RunRecord};
use crate::task::{Reporter, TaskError};
use crate::text::reviews::{LabelSource, ReadColumns, Reviews};
use crate::text::SentimentResult;

/// Which columns of a review file the topics read; only the text is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicColumns {
    pub text: String,
    pub label: Option<LabelSource>,
    pub category: Option<String>,
    pub product: Option<String>,
    pub time: Option<String>,
}

impl TopicColumns {
    /// The columns the loader's roles point at.
    pub fn from_roles(ds: &Dataset) -> Result<TopicColumns, String> {
        let text = ds.roles.get(Role::Text).ok_or_else(|| {
            format!(
                "{}: no text column was found (columns: {}). Choose the column that holds the review text.",
                ds.path.display(),
                ds.column_names().join(", ")
            )
        })?;
        let label = match (ds.roles.get(Role::Label), ds.roles.get(Role::Rating)) {
            (Some(label), _) => Some(LabelSource::Label {
                column: label.to_owned(),
            }),
            (None, Some(stars)) => Some(LabelSource::stars(stars)),
            (None, None) => None,
        };
        let role = |r: Role| ds.roles.get(r).map(str::to_owned);
        Ok(TopicColumns {
            text: text.to_owned(),
            label,
            category: role(Role::Category),
            product: role(Role::Item),
            time: role(Role::Timestamp),
        })
    }

    /// How the label tells polarity, for the record ("stars ≤ 2 in 'stars'").
    pub fn describe_label(&self) -> String {
        match &self.label {
            Some(LabelSource::Label { column }) => format!("the label column '{column}'"),
            Some(LabelSource::Rating {
                column,
                positive_min,
                negative_max,
            }) => format!(
                "the stars in '{column}' (≤ {negative_max} negative, ≥ {positive_min} positive)"
            ),
            None => "no label".into(),
        }
    }
}

/// Everything one topics run needs.
#[derive(Clone)]
pub struct TopicsRequest {
    pub dataset: Arc<Dataset>,
    pub columns: TopicColumns,
    pub params: TopicParams,
    pub options: TopicOptions,
    /// A sentiment classifier to split reviews without labels by polarity.
    pub classifier: Option<Classifier>,
}

/// A trained sentiment classifier, and its run.
#[derive(Clone)]
pub struct Classifier {
    pub run: u64,
    pub model: Arc<SentimentResult>,
}

impl Classifier {
    /// The newest sentiment run with a model.
    pub fn latest(history: &RunHistory) -> Option<Classifier> {
        history.entries.iter().rev().find_map(|e| {
            Some(Classifier {
                run: e.record.id,
                model: e.model_of::<SentimentResult>()?,
            })
        })
    }
}

/// The reviews read once for every fit of a sweep.
pub struct TopicInputs {
    pub reviews: Reviews,
    pub rows: Vec<usize>,
    pub chosen_by: String,
    pub source: String,
    pub catalogue: Option<Catalogue>,
}

/// A finished topics run with the reviews it was found in (what the Topics
/// tab shows, and what a workspace keeps).
pub struct TopicsResult {
    pub run: TopicsRun,
    pub reviews: Reviews,
    pub source: String,
    pub data: DataFingerprint,
}

impl Pipeline for TopicsRequest {
    crate::pipeline_items!(kind: super::KIND, params: TopicParams, inputs: TopicInputs, model: TopicsResult, dataset: dataset);

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        attempt_record(&self.params, &self.options, data)
    }

    fn inputs(&self, reporter: &Reporter) -> Result<TopicInputs, TaskError> {
        reporter.progress(None, "reading the reviews");
        let c = &self.columns;
        let mut reviews = Reviews::read(
            &self.dataset,
            &ReadColumns {
                text: &c.text,
                label: c.label.as_ref(),
                category: c.category.as_deref(),
                product: c.product.as_deref(),
                stars: None,
                time: c.time.as_deref(),
            },
        )?;
        let path = &self.dataset.path;
        let catalogue = Catalogue::beside(path);
        // Categories from the catalogue beside the file, when the reviews
        // name products but no category.
        if let (None, Some(products), Some(cat)) =
            (&reviews.categories, &reviews.products, &catalogue)
        {
            let found: Vec<String> = products
                .iter()
                .map(|p| {
                    cat.get(p)
                        .and_then(|i| i.category.clone())
                        .unwrap_or_default()
                })
                .collect();
            if found.iter().any(|c| !c.is_empty()) {
                reviews.categories = Some(found);
            }
        }
        // Products by name where the catalogue knows them ("Kettle · 1081").
        if let (Some(products), Some(cat)) = (&mut reviews.products, &catalogue) {
            for p in products.iter_mut() {
                if let Some(name) = cat
                    .get(p)
                    .and_then(|i| i.name.clone())
                    .filter(|n| !n.is_empty())
                {
                    *p = format!("{name} · {p}");
                }
            }
        }
        // Scored only when needed: labelled reviews split by their label.
        let unlabelled = reviews.labels.iter().all(Option::is_none);
        let probabilities: Option<Vec<f64>> = match &self.classifier {
            Some(cl) if unlabelled && self.options.polarity != Polarity::All => {
                reporter.progress(None, "scoring the reviews with the sentiment classifier");
                Some(
                    reviews
                        .texts
                        .par_iter()
                        .map(|t| cl.model.run.predict(t))
                        .collect(),
                )
            }
            _ => None,
        };
        let predicted = match (&probabilities, &self.classifier) {
            (Some(p), Some(cl)) => Some(Predicted {
                probabilities: p,
                by: format!("the sentiment classifier of run #{}", cl.run),
            }),
            _ => None,
        };
        let (rows, chosen_by) = choose_reviews(
            &reviews,
            self.options.polarity,
            predicted,
            &c.describe_label(),
        )?;
        Ok(TopicInputs {
            reviews,
            rows,
            chosen_by,
            source: crate::display::display_name(path),
            catalogue,
        })
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        let run = find_topics(
            &f.inputs.reviews,
            &f.inputs.rows,
            f.inputs.chosen_by.clone(),
            f.params,
            &self.options,
            f.reporter,
        )?;
        let record = record(&run, f.data.clone());
        let result = TopicsResult {
            run,
            reviews: f.inputs.reviews.clone(),
            source: f.inputs.source.clone(),
            data: f.data.clone(),
        };
        Ok((record, result))
    }
}

/// A topics run before (or without) a result.
pub fn attempt_record(
    params: &TopicParams,
    options: &TopicOptions,
    data: DataFingerprint,
) -> RunRecord {
    RunRecord::for_params(
        super::KIND,
        params.method.cli_name(),
        params,
        options.seed,
        format!(
            "{}; coherence: mean NPMI of the top 10 words",
            options.polarity.label()
        ),
        data,
    )
}

/// The record of a topics run that finished.
pub fn record(run: &TopicsRun, data: DataFingerprint) -> RunRecord {
    let mut r = attempt_record(&run.params, &run.options, data);
    r.metrics.insert("coherence".into(), run.coherence);
    if let Some(e) = run.relative_error {
        r.metrics.insert("relative_error".into(), e);
    }
    if let Some(p) = run.perplexity {
        r.metrics.insert("perplexity".into(), p);
    }
    r.metrics
        .insert("reviews".into(), run.assigned.len() as f64);
    r.metrics.insert("vocabulary".into(), run.vocabulary as f64);
    r.metrics
        .insert("no_topic_share".into(), run.no_topic_share);
    r.curve = run.epochs.clone();
    r.fit_secs = run.fit_secs;
    r.note = Some(run.chosen_by.clone());
    r
}
