//! What a user sets for a sentiment run — the classifier and its
//! hyperparameters, the n-grams, the evaluation, the review columns — and
//! how it becomes a [`SentimentRequest`] on the reviews at hand (the loaded
//! file when it has text, else a review file opened beside it). The
//! Sentiment tab edits it, `shoplens sentiment` fills it from flags, and
//! sweeps start from it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::task::{ReviewFile, SentimentRequest};
use super::{Evaluation, Ngrams, ReviewColumns, SentimentOptions, SentimentParams};
use crate::data::{Dataset, Role};
use crate::runs::capability::{Overrides, Settings, SweepAsk};
use crate::runs::DataContext;
use crate::runs::{ModelEntry, SweepPlan};

/// A review file opened beside the loaded data (kept in the workbench's
/// side data), for when the data itself has no text.
pub struct ReviewsBeside(pub Arc<Dataset>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NgramChoice {
    Auto,
    Word,
    Char,
}

/// A sentiment run's settings, apart from the reviews.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SentimentSettings {
    pub params: SentimentParams,
    pub options: SentimentOptions,
    pub ngram_choice: NgramChoice,
    pub ngram_min: usize,
    pub ngram_max: usize,
    pub k_folds: usize,
    pub use_kfold: bool,
    /// The column choice, and the file it belongs to.
    pub columns: Option<ReviewColumns>,
    pub columns_for: Option<PathBuf>,
}

impl Default for SentimentSettings {
    fn default() -> Self {
        Self {
            params: SentimentParams::default(),
            options: SentimentOptions::default(),
            ngram_choice: NgramChoice::Auto,
            ngram_min: 1,
            ngram_max: 2,
            k_folds: 5,
            use_kfold: false,
            columns: None,
            columns_for: None,
        }
    }
}

fn has_text(ds: &Dataset) -> bool {
    ds.roles.get(Role::Text).is_some()
}

/// The reviews a sentiment run works on: the loaded file when it has a text
/// column, else the review file opened beside it.
pub fn review_source(data: &DataContext) -> Option<Arc<Dataset>> {
    match data.dataset {
        Some(ds) if has_text(ds) => Some(Arc::clone(ds)),
        _ => data.side::<ReviewsBeside>().map(|r| Arc::clone(&r.0)),
    }
}

impl SentimentSettings {
    /// The defaults with a command line's `overrides`.
    pub fn with_overrides(o: &Overrides) -> Self {
        let mut s = Self::default();
        s.options.seed = o.seed.unwrap_or(s.options.seed);
        s.options.threads = o.threads.unwrap_or(s.options.threads);
        if let Some(k) = o.folds {
            (s.use_kfold, s.k_folds) = (true, k);
        }
        s
    }

    /// The columns chosen for `ds`, when they were chosen for it.
    pub fn columns_of(&self, ds: &Dataset) -> Option<ReviewColumns> {
        (self.columns_for.as_deref() == Some(ds.path.as_path()))
            .then(|| self.columns.clone())
            .flatten()
    }

    /// The parameters as set (sweeps start from them).
    pub fn current_params(&self) -> SentimentParams {
        let mut params = self.params.clone();
        params.ngrams = self.ngrams();
        params
    }

    /// Evaluation, seed and threads as set.
    pub fn current_options(&self) -> SentimentOptions {
        let mut options = self.options.clone();
        options.evaluation = if self.use_kfold {
            Evaluation::KFold { k: self.k_folds }
        } else {
            Evaluation::HoldOut
        };
        options
    }

    fn ngrams(&self) -> Option<Ngrams> {
        let (min, max) = (self.ngram_min, self.ngram_max);
        match self.ngram_choice {
            NgramChoice::Auto => None,
            NgramChoice::Word => Some(Ngrams::Word { min, max }),
            NgramChoice::Char => Some(Ngrams::Char { min, max }),
        }
    }

    /// Take `params` as set elsewhere (flags, a sweep's setting), their
    /// n-grams included.
    pub fn set_params(&mut self, params: SentimentParams) {
        match params.ngrams {
            None => self.ngram_choice = NgramChoice::Auto,
            Some(Ngrams::Word { min, max }) => {
                (self.ngram_choice, self.ngram_min, self.ngram_max) = (NgramChoice::Word, min, max)
            }
            Some(Ngrams::Char { min, max }) => {
                (self.ngram_choice, self.ngram_min, self.ngram_max) = (NgramChoice::Char, min, max)
            }
        }
        self.params = params;
    }

    /// Set the n-grams from their written form: `auto`, `word:1-2`, `char:1-3`.
    pub fn set_ngrams(&mut self, text: &str) -> Result<(), String> {
        let ngrams = match text.trim() {
            "auto" => None,
            other => Some(Ngrams::parse(other)?),
        };
        self.set_params(SentimentParams {
            ngrams,
            ..self.params.clone()
        });
        Ok(())
    }

    /// Keep the column choice when `ds` is the file it was made for; else
    /// guess anew. Why no columns could be guessed, when that happened now.
    pub fn sync_columns(&mut self, ds: &Dataset) -> Option<String> {
        if self.columns_for.as_deref() == Some(ds.path.as_path()) && self.columns.is_some() {
            return None;
        }
        self.columns_for = Some(ds.path.clone());
        match ReviewColumns::from_roles(ds) {
            Ok(c) => {
                self.columns = Some(c);
                None
            }
            Err(e) => {
                self.columns = None;
                Some(e.to_string())
            }
        }
    }

    /// A request for `params` on the reviews of `data` (see
    /// [`review_source`]) with these columns and evaluation.
    pub fn request(
        &self,
        data: &DataContext,
        params: SentimentParams,
    ) -> Result<SentimentRequest, String> {
        let Some(dataset) = review_source(data) else {
            return Err("No reviews loaded: open the Sentiment tab (it finds reviews.csv beside the data) or open a review file.".into());
        };
        self.request_on(dataset, params)
    }

    /// A request for `params` on `dataset`'s reviews.
    pub fn request_on(
        &self,
        dataset: Arc<Dataset>,
        params: SentimentParams,
    ) -> Result<SentimentRequest, String> {
        let columns = match self.columns_of(&dataset) {
            Some(c) => c,
            None => ReviewColumns::from_roles(&dataset).map_err(|e| e.to_string())?,
        };
        Ok(SentimentRequest {
            file: ReviewFile { dataset, columns },
            more: Vec::new(),
            params,
            options: self.current_options(),
        })
    }
}

impl Settings for SentimentSettings {
    fn overridden(model: &ModelEntry, overrides: &Overrides) -> Result<Self, String> {
        let mut s = Self::with_overrides(overrides);
        s.params.model = kind_of(model)?;
        Ok(s)
    }

    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String> {
        let (model, data, spec) = (ask.model, ask.data, ask.spec);
        let params = SentimentParams {
            model: kind_of(model)?,
            ..self.current_params()
        };
        SweepPlan::expand(self.request(data, params)?, spec)
    }
}

fn kind_of(model: &ModelEntry) -> Result<super::ClassifierKind, String> {
    super::ClassifierKind::from_name(model.name)
        .ok_or_else(|| format!("'{}' is not a sentiment classifier", model.name))
}
