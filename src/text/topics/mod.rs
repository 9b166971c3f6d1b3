//! What reviews are about: topic models (NMF on TF-IDF, online LDA on
//! counts) over the reviews of a chosen polarity, with each topic's words,
//! share, coherence, share per category, product and month, and examples.
//!
//! Shares: every chosen review goes to its *dominant* topic (largest
//! weight in W for NMF, in γ — the unnormalised document-topic
//! distribution — for LDA; ties to the lower topic). A review with no vocabulary word has no
//! topic; a topic's share is its reviews over all chosen reviews, so the
//! shares plus the "no topic" share sum to 1. Topics are numbered by share,
//! largest first; top words by weight, ties by the word's place in the
//! sorted vocabulary.

pub mod capability;
pub mod coherence;
pub mod corpus;
pub mod lda;
mod legacy_random;
pub mod listing;
pub mod nmf;
pub mod params;
pub mod settings;
pub mod stopwords;
pub mod summary;
pub mod svd;
pub mod task;
pub mod tokens;

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::params::Checked;
use crate::task::{EpochEvent, Reporter, TaskError};
use crate::text::reviews::Reviews;
use corpus::Corpus;
pub use params::{Polarity, TopicMethod, TopicOptions, TopicParams};
pub use summary::{Share, Topic};
use tokens::{parse_stop_words, DocTokenizer, Language};

/// Topic runs, as records and workspaces name them.
pub const KIND: crate::runs::RunKind = crate::runs::RunKind::new("topics");

/// Top words shown per topic (and used for coherence).
pub const TOP_WORDS: usize = 10;

/// A review's topic and its weight in it: NMF's W entry, or LDA's γ (the
/// expected number of the review's words drawn from the topic, plus α).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assigned {
    /// Index into the reviews.
    pub review: usize,
    /// 0-based topic number (in share order); `None`: no vocabulary word.
    pub topic: Option<u16>,
    pub weight: f32,
}

/// A fitted and summarised topic model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TopicsRun {
    pub params: TopicParams,
    pub options: TopicOptions,
    pub language: Language,
    /// How the chosen reviews were told apart ("label column 'label' = 0").
    pub chosen_by: String,
    pub topics: Vec<Topic>,
    /// Every chosen review, in file order.
    pub assigned: Vec<Assigned>,
    pub vocabulary: usize,
    /// Mean NPMI of the topics' top words.
    pub coherence: f64,
    /// NMF: ‖X − WH‖ / ‖X‖.
    pub relative_error: Option<f64>,
    /// LDA: perplexity of the reviews it was fitted on.
    pub perplexity: Option<f64>,
    pub iterations: usize,
    pub tokenize_secs: f64,
    /// The model's fit alone (the matrices built).
    pub fit_secs: f64,
    pub epochs: Vec<EpochEvent>,
    /// Share of chosen reviews with no vocabulary word.
    pub no_topic_share: f64,
}

impl TopicsRun {
    pub fn tokenizer(&self) -> DocTokenizer {
        DocTokenizer::new(self.language, &parse_stop_words(&self.params.stop_words))
    }

    /// Byte spans of `topic`'s top words in `text`.
    pub fn highlights(&self, text: &str, topic: usize) -> Vec<(usize, usize)> {
        let Some(t) = self.topics.get(topic) else {
            return Vec::new();
        };
        self.tokenizer()
            .tokens(text)
            .into_iter()
            .filter(|tok| t.words.iter().any(|(w, _)| *w == tok.word))
            .map(|tok| (tok.start, tok.end))
            .collect()
    }

    /// The reviews whose dominant topic is `topic`, heaviest first.
    pub fn reviews_of(&self, topic: usize) -> Vec<Assigned> {
        let mut out: Vec<Assigned> = self
            .assigned
            .iter()
            .filter(|a| a.topic == Some(topic as u16))
            .copied()
            .collect();
        out.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.review.cmp(&b.review)));
        out
    }
}

/// P(positive) of every review from a sentiment classifier, and which one
/// (for the record), used to split reviews that carry no label.
pub struct Predicted<'a> {
    pub probabilities: &'a [f64],
    pub by: String,
}

/// The reviews of `polarity` (indices), and how they were told apart. A
/// label (or star rating) decides when the reviews have one; else the
/// classifier's prediction (positive when P(positive) > 0.5, as the
/// Sentiment tab's metrics count it).
pub fn choose_reviews(
    reviews: &Reviews,
    polarity: Polarity,
    predicted: Option<Predicted>,
    label_name: &str,
) -> Result<(Vec<usize>, String), TaskError> {
    let all: Vec<usize> = (0..reviews.len()).collect();
    let want = match polarity {
        Polarity::All => return Ok((all, "all reviews".into())),
        Polarity::Positive => true,
        Polarity::Negative => false,
    };
    if reviews.labels.iter().any(Option::is_some) {
        let rows = all
            .into_iter()
            .filter(|&i| reviews.labels[i] == Some(want))
            .collect();
        return Ok((rows, format!("{} by {label_name}", polarity.label())));
    }
    match predicted {
        Some(p) if p.probabilities.len() == reviews.len() => {
            let rows = all
                .into_iter()
                .filter(|&i| (p.probabilities[i] > 0.5) == want)
                .collect();
            Ok((rows, format!("{} as {} predicts them", polarity.label(), p.by)))
        }
        _ => Err(TaskError::Input(format!(
            "the reviews have no label or star rating, so {} cannot be told apart; choose all reviews, choose a label or rating column, or train a sentiment classifier first (its predictions then split the reviews)",
            polarity.label()
        ))),
    }
}

/// Tokenise, build the matrices, fit, and summarise. `rows` are the chosen
/// reviews (see [`choose_reviews`]).
pub fn find_topics(
    reviews: &Reviews,
    rows: &[usize],
    chosen_by: String,
    params: &Checked<TopicParams>,
    options: &TopicOptions,
    reporter: &Reporter,
) -> Result<TopicsRun, TaskError> {
    let (cancel, progress, on_epoch) = (
        reporter.cancel_token(),
        reporter.fraction(),
        reporter.epoch_sink(),
    );
    let k = params.k;
    if rows.len() < k {
        return Err(TaskError::Input(format!(
            "only {} {} to find {k} topics in; choose fewer topics (k < {}) or other reviews",
            rows.len(),
            options.polarity.label(),
            rows.len().max(2)
        )));
    }
    progress(0.0, "splitting the reviews into words");
    let started = Instant::now();
    let language = Language::detect(rows.iter().map(|&i| reviews.texts[i].as_str()));
    let tokenizer = DocTokenizer::new(language, &parse_stop_words(&params.stop_words));
    let docs: Vec<Vec<String>> = rows
        .par_iter()
        .with_min_len(64)
        .map(|&i| tokenizer.words(&reviews.texts[i]))
        .collect();
    cancel.check()?;
    let corpus = Corpus::build(&docs, params.min_df, params.max_df);
    let tokenize_secs = started.elapsed().as_secs_f64();
    if corpus.vocabulary.len() < 2 {
        return Err(TaskError::Input(format!(
            "only {} word(s) occur in at least {} and at most {:.0}% of the {} {}; lower the minimum reviews per word or raise the maximum share",
            corpus.vocabulary.len(),
            params.min_df,
            params.max_df * 100.0,
            rows.len(),
            options.polarity.label()
        )));
    }
    // The matrix NMF factorises is built before the clock starts, as
    // scikit-learn's fit receives it ready.
    let tfidf = (params.method == TopicMethod::Nmf).then(|| corpus.tfidf());
    let fit_started = Instant::now();
    let epoch_started = Instant::now();
    let mut epochs = Vec::new();
    let mut emit = |epoch: usize, loss: f64| {
        let event = EpochEvent {
            epoch,
            loss,
            metric: None,
            secs: epoch_started.elapsed().as_secs_f64(),
        };
        on_epoch(event.clone());
        epochs.push(event);
    };
    let (topic_words, doc_weights, relative_error, perplexity, iterations) = match params.method {
        TopicMethod::Nmf => {
            let x = tfidf.unwrap_or_else(|| corpus.tfidf());
            progress(0.05, "factorising the TF-IDF matrix");
            let fit = nmf::fit_nmf(
                &x,
                k,
                params.max_iter,
                params.tol,
                options.seed,
                cancel,
                &mut |iteration, error| {
                    emit(iteration, error);
                    let done = iteration as f32 / params.max_iter as f32;
                    progress(0.05 + 0.9 * done, &format!("NMF iteration {iteration}"));
                },
            )?;
            (fit.h, fit.w, Some(fit.relative_error), None, fit.iterations)
        }
        TopicMethod::Lda => {
            let settings = lda::LdaSettings {
                max_iter: params.passes,
                batch_size: params.batch_size,
                learning_decay: params.learning_decay,
                ..lda::LdaSettings::new(k, options.seed)
            };
            let mut last_pass = usize::MAX;
            let fit = lda::fit_lda(&corpus.counts, &settings, cancel, &mut |pass, done| {
                if pass != last_pass {
                    last_pass = pass;
                    progress(
                        0.05 + 0.9 * done as f32,
                        &format!("LDA pass {} of {}", pass + 1, settings.max_iter),
                    );
                }
            })?;
            emit(params.passes, fit.perplexity);
            (
                fit.components,
                fit.doc_gamma,
                None,
                Some(fit.perplexity),
                params.passes,
            )
        }
    };
    let fit_secs = fit_started.elapsed().as_secs_f64();
    progress(0.97, "summarising the topics");
    let summary = summary::summarise(reviews, rows, &corpus, &topic_words, &doc_weights, k);
    Ok(TopicsRun {
        params: (**params).clone(),
        options: options.clone(),
        language,
        chosen_by,
        coherence: summary.coherence,
        topics: summary.topics,
        assigned: summary.assigned,
        no_topic_share: summary.no_topic_share,
        vocabulary: corpus.vocabulary.len(),
        relative_error,
        perplexity,
        iterations,
        tokenize_secs,
        fit_secs,
        epochs,
    })
}
