//! Review sentiment: tokenisation (word and CJK character n-grams), TF-IDF,
//! logistic regression and naive Bayes, evaluation, explanations.

pub mod capability;
pub mod evaluate;
pub mod logreg;
pub mod model;
pub mod params;
pub mod reviews;
pub mod settings;
pub mod task;
pub mod tfidf;
pub mod tokenize;
pub mod topics;

use std::collections::HashMap;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::params::Checked;
use crate::task::{CancelToken, Cancelled, EpochEvent};
use evaluate::{binary_metrics, is_positive, mean_metrics, roc_curve, BinaryMetrics};
use model::{fit_naive_bayes, log_loss, LinearModel};
pub use params::{ClassifierKind, Evaluation, SentimentOptions, SentimentParams};

/// Sentiment runs, as records and workspaces name them.
pub const KIND: crate::runs::RunKind = crate::runs::RunKind::new("sentiment");
pub use reviews::{LabelSource, ReviewColumns, Reviews};
use tfidf::{SparseRows, Vectorizer, VocabularyOptions};
pub use tokenize::Ngrams;

/// Errors of the sentiment pipeline (the shared model-task error).
pub type SentimentError = crate::task::TaskError;

/// One evaluated review: index into [`Reviews`], true label, P(positive).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluated {
    pub review: usize,
    pub actual: bool,
    pub probability: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryScore {
    pub category: String,
    pub n: usize,
    pub accuracy: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductScore {
    pub product: String,
    pub reviews: usize,
    /// Share of its reviews the model calls positive (all reviews, labelled or not).
    pub predicted_positive_share: f64,
    pub predicted_negative: usize,
    /// Mean of the non-empty star ratings, when there is a rating column.
    pub average_stars: Option<f64>,
}

/// A finished run with the reviews it was trained on (what the Sentiment tab
/// shows, and what a workspace keeps).
pub struct SentimentResult {
    pub run: SentimentRun,
    pub reviews: Reviews,
    /// File name of the reviews.
    pub source: String,
    pub data: crate::runs::DataFingerprint,
    /// Product names from an `items.csv` beside the reviews, if any.
    pub catalogue: Option<crate::data::catalogue::Catalogue>,
}

/// A trained and evaluated sentiment classifier.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SentimentRun {
    pub params: SentimentParams,
    pub options: SentimentOptions,
    pub ngrams: Ngrams,
    pub vectorizer: Vectorizer,
    pub model: LinearModel,
    /// Hold-out metrics, or the mean over folds.
    pub metrics: BinaryMetrics,
    pub folds: Vec<BinaryMetrics>,
    /// Test reviews (hold-out) or every labelled review out of fold (k-fold).
    pub evaluated: Vec<Evaluated>,
    pub roc: Vec<[f64; 2]>,
    pub categories: Vec<CategoryScore>,
    pub top_positive: Vec<(String, f64)>,
    pub top_negative: Vec<(String, f64)>,
    pub products: Vec<ProductScore>,
    /// P(positive) of every review, from the model shown.
    pub probabilities: Vec<f64>,
    pub epochs: Vec<EpochEvent>,
    pub n_train: usize,
    pub n_test: usize,
    /// Vectorise + fit of the model shown (hold-out: on the training part).
    pub fit_secs: f64,
    pub notes: Vec<String>,
}

/// A piece of text and how much it pushed the score (log-odds).
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    pub start: usize,
    pub end: usize,
    pub weight: f64,
}

impl SentimentRun {
    /// P(positive) of a new text.
    pub fn predict(&self, text: &str) -> f64 {
        self.model.proba_of(&self.vectorizer.transform_one(text))
    }

    /// The words (or characters) of `text` that pushed its score, in order.
    pub fn explain(&self, text: &str) -> Vec<Contribution> {
        self.vectorizer
            .explain(text, &self.model.weights)
            .into_iter()
            .map(|(start, end, weight)| Contribution { start, end, weight })
            .collect()
    }
}

struct Fitted {
    vectorizer: Vectorizer,
    model: LinearModel,
    secs: f64,
    /// The reviews already vectorised (training and validation rows, by
    /// review index) and their rows, so scoring them again does not
    /// tokenise them again.
    vectorised: Vec<(Vec<usize>, SparseRows)>,
}

/// Vectorise `train` and fit the chosen model; `validation` (rows by review
/// index) is scored every 5 iterations for the live curve.
fn fit_one(
    reviews: &Reviews,
    train: &[usize],
    validation: Option<&[usize]>,
    params: &SentimentParams,
    ngrams: Ngrams,
    cancel: &CancelToken,
    on_epoch: &mut dyn FnMut(EpochEvent),
) -> Result<Fitted, SentimentError> {
    let started = Instant::now();
    let texts: Vec<&str> = train.iter().map(|&i| reviews.texts[i].as_str()).collect();
    let y: Vec<bool> = train
        .iter()
        .map(|&i| reviews.labels[i] == Some(true))
        .collect();
    let options = VocabularyOptions {
        ngrams,
        min_df: params.min_df,
        max_features: params.max_features,
        max_chars: params.max_chars,
    };
    let (vectorizer, x) = Vectorizer::fit_transform(&texts, &options, cancel)?;
    if vectorizer.n_features() == 0 {
        return Err(SentimentError::Input(format!(
            "no n-gram occurs in at least {} training reviews, so there are no features; lower the minimum document frequency or choose other n-grams",
            params.min_df
        )));
    }
    let vectorise_secs = started.elapsed().as_secs_f64();
    // The validation rows are transformed outside the timed part.
    let validation_rows = validation;
    let validation = match validation {
        Some(rows) => {
            let t: Vec<&str> = rows.iter().map(|&i| reviews.texts[i].as_str()).collect();
            let yv: Vec<bool> = rows
                .iter()
                .map(|&i| reviews.labels[i] == Some(true))
                .collect();
            Some((vectorizer.transform(&t, cancel)?, yv))
        }
        None => None,
    };
    let fit_started = Instant::now();
    let accuracy_on = |m: &LinearModel, (xv, yv): &(SparseRows, Vec<bool>)| {
        let p = m.predict_proba(xv);
        let correct = p
            .iter()
            .zip(yv)
            .filter(|(&p, &y)| is_positive(p) == y)
            .count();
        correct as f64 / yv.len().max(1) as f64
    };
    let model = match params.model {
        ClassifierKind::LogisticRegression => {
            let settings = logreg::LbfgsSettings {
                c: params.c,
                max_iter: params.max_iter,
                tol: params.tol,
            };
            logreg::fit(&x, &y, &settings, cancel, &mut |iteration, loss, m| {
                let metric = validation
                    .as_ref()
                    .filter(|_| iteration % 5 == 0)
                    .map(|v| ("accuracy".to_owned(), accuracy_on(&m(), v)));
                on_epoch(EpochEvent {
                    epoch: iteration,
                    loss,
                    metric,
                    secs: vectorise_secs + fit_started.elapsed().as_secs_f64(),
                });
            })?
        }
        ClassifierKind::NaiveBayes => {
            let m = fit_naive_bayes(&x, &y, params.alpha);
            // Closed form: one pass, so the curve has a single point.
            on_epoch(EpochEvent {
                epoch: 1,
                loss: log_loss(&m, &x, &y),
                metric: validation
                    .as_ref()
                    .map(|v| ("accuracy".to_owned(), accuracy_on(&m, v))),
                secs: vectorise_secs + fit_started.elapsed().as_secs_f64(),
            });
            m
        }
    };
    let secs = vectorise_secs + fit_started.elapsed().as_secs_f64();
    let mut vectorised = vec![(train.to_vec(), x)];
    if let (Some(rows), Some((xv, _))) = (validation_rows, validation) {
        vectorised.push((rows.to_vec(), xv));
    }
    Ok(Fitted {
        vectorizer,
        model,
        secs,
        vectorised,
    })
}

/// The probability that each review of `rows` is positive. Reviews the fit
/// already vectorised are scored from their stored rows; only the others
/// are vectorised (the same rows either way).
fn predict_rows(
    fitted: &Fitted,
    reviews: &Reviews,
    rows: &[usize],
    cancel: &CancelToken,
) -> Result<Vec<f64>, Cancelled> {
    let mut wanted = vec![false; reviews.len()];
    for &i in rows {
        wanted[i] = true;
    }
    let mut probability: Vec<Option<f64>> = vec![None; reviews.len()];
    for (done, x) in &fitted.vectorised {
        if done.iter().any(|&i| wanted[i]) {
            for (&i, p) in done.iter().zip(fitted.model.predict_proba(x)) {
                probability[i] = Some(p);
            }
        }
    }
    let missing: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&i| probability[i].is_none())
        .collect();
    let texts: Vec<&str> = missing.iter().map(|&i| reviews.texts[i].as_str()).collect();
    let x = fitted.vectorizer.transform(&texts, cancel)?;
    for (&i, p) in missing.iter().zip(fitted.model.predict_proba(&x)) {
        probability[i] = Some(p);
    }
    Ok(rows
        .iter()
        .map(|&i| probability[i].unwrap_or(f64::NAN))
        .collect())
}

fn check_classes(reviews: &Reviews, rows: &[usize], what: &str) -> Result<(), SentimentError> {
    let positive = rows
        .iter()
        .filter(|&&i| reviews.labels[i] == Some(true))
        .count();
    let negative = rows.len() - positive;
    if positive == 0 || negative == 0 {
        let (class, count) = if positive == 0 {
            ("negative", negative)
        } else {
            ("positive", positive)
        };
        return Err(SentimentError::Input(format!(
            "only one class: all {count} labelled reviews{what} are {class}; a classifier needs both positive and negative reviews"
        )));
    }
    Ok(())
}

/// Train, evaluate and explain a sentiment classifier on `reviews`.
pub fn train_sentiment(
    reviews: &Reviews,
    params: &Checked<SentimentParams>,
    options: &SentimentOptions,
    cancel: &CancelToken,
    progress: &(dyn Fn(f32, &str) + Sync),
    on_epoch: &(dyn Fn(EpochEvent) + Sync),
) -> Result<SentimentRun, SentimentError> {
    let params: &SentimentParams = params;
    if reviews.is_empty() {
        return Err(SentimentError::Input(format!(
            "every text is empty ({} rows), so there is nothing to learn from; choose the column that holds the review text",
            reviews.empty_texts
        )));
    }
    let labelled = reviews.labelled();
    check_classes(reviews, &labelled, "")?;
    let pool = crate::task::thread_pool(options.threads)?;
    let ngrams = params
        .ngrams
        .unwrap_or_else(|| tokenize::detect_ngrams(reviews.texts.iter().map(String::as_str)));
    let mut epochs = Vec::new();
    let mut record = |e: EpochEvent| {
        on_epoch(e.clone());
        epochs.push(e);
    };
    pool.install(|| -> Result<SentimentRun, SentimentError> {
        let mut folds = Vec::new();
        let (fitted, evaluated, n_train, n_test) = match options.evaluation {
            Evaluation::HoldOut => {
                let test: Vec<usize> = labelled.iter().copied().step_by(5).collect();
                let train: Vec<usize> = labelled
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| k % 5 != 0)
                    .map(|(_, &i)| i)
                    .collect();
                if train.is_empty() {
                    return Err(SentimentError::Input(format!(
                        "only {} labelled review(s): too few to hold out every fifth for testing",
                        labelled.len()
                    )));
                }
                check_classes(reviews, &train, " in the training part")?;
                progress(0.05, "vectorising and fitting");
                let fitted = fit_one(
                    reviews,
                    &train,
                    Some(&test),
                    params,
                    ngrams,
                    cancel,
                    &mut record,
                )?;
                progress(0.8, "scoring the test reviews");
                let p = predict_rows(&fitted, reviews, &test, cancel)?;
                let evaluated = test
                    .iter()
                    .zip(p)
                    .map(|(&i, probability)| Evaluated {
                        review: i,
                        actual: reviews.labels[i] == Some(true),
                        probability,
                    })
                    .collect::<Vec<_>>();
                (fitted, evaluated, train.len(), test.len())
            }
            Evaluation::KFold { k } => {
                if k < 2 || k > labelled.len() {
                    return Err(SentimentError::Input(format!(
                        "k-fold needs 2 ≤ k ≤ the number of labelled reviews ({}); got k = {k}",
                        labelled.len()
                    )));
                }
                // The model shown is fitted on every labelled review.
                progress(0.02, "fitting on all labelled reviews");
                let fitted = fit_one(
                    reviews,
                    &labelled,
                    None,
                    params,
                    ngrams,
                    cancel,
                    &mut record,
                )?;
                let mut order = labelled.clone();
                order.shuffle(&mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(
                    options.seed,
                ));
                let mut evaluated = Vec::with_capacity(labelled.len());
                for fold in 0..k {
                    progress(
                        0.1 + 0.8 * fold as f32 / k as f32,
                        &format!("fold {} of {k}", fold + 1),
                    );
                    let mut test: Vec<usize> =
                        order.iter().skip(fold).step_by(k).copied().collect();
                    test.sort_unstable();
                    let mut train: Vec<usize> = order
                        .iter()
                        .enumerate()
                        .filter(|(pos, _)| pos % k != fold)
                        .map(|(_, &i)| i)
                        .collect();
                    train.sort_unstable();
                    check_classes(reviews, &train, &format!(" outside fold {}", fold + 1))?;
                    let f = fit_one(reviews, &train, None, params, ngrams, cancel, &mut |_| {})?;
                    let p = predict_rows(&f, reviews, &test, cancel)?;
                    let actual: Vec<bool> = test
                        .iter()
                        .map(|&i| reviews.labels[i] == Some(true))
                        .collect();
                    folds.push(binary_metrics(&actual, &p));
                    evaluated.extend(test.iter().zip(&actual).zip(p).map(
                        |((&review, &actual), probability)| Evaluated {
                            review,
                            actual,
                            probability,
                        },
                    ));
                }
                evaluated.sort_by_key(|e| e.review);
                (fitted, evaluated, labelled.len(), labelled.len())
            }
        };
        let actual: Vec<bool> = evaluated.iter().map(|e| e.actual).collect();
        let proba: Vec<f64> = evaluated.iter().map(|e| e.probability).collect();
        let metrics = if folds.is_empty() {
            binary_metrics(&actual, &proba)
        } else {
            mean_metrics(&folds)
        };
        let roc = roc_curve(&actual, &proba);
        progress(0.92, "scoring every review");
        let all: Vec<usize> = (0..reviews.len()).collect();
        let probabilities = predict_rows(&fitted, reviews, &all, cancel)?;
        let names = |list: Vec<(u32, f64)>| {
            list.into_iter()
                .map(|(j, w)| (fitted.vectorizer.features[j as usize].clone(), w))
                .collect::<Vec<_>>()
        };
        let (top, bottom) = fitted.model.extremes(30);
        let notes = notes_for(reviews, params);
        Ok(SentimentRun {
            categories: category_scores(reviews, &evaluated),
            products: product_scores(reviews, &probabilities),
            top_positive: names(top),
            top_negative: names(bottom),
            params: params.clone(),
            options: options.clone(),
            ngrams,
            metrics,
            folds,
            evaluated,
            roc,
            probabilities,
            epochs: Vec::new(),
            n_train,
            n_test,
            fit_secs: fitted.secs,
            notes,
            vectorizer: fitted.vectorizer,
            model: fitted.model,
        })
    })
    .map(|mut run| {
        run.epochs = epochs;
        run
    })
}

fn notes_for(reviews: &Reviews, params: &SentimentParams) -> Vec<String> {
    let mut notes = Vec::new();
    if reviews.empty_texts > 0 {
        let rows = crate::display::count(reviews.empty_texts, "row", "rows");
        let verb = if reviews.empty_texts == 1 {
            "was"
        } else {
            "were"
        };
        notes.push(format!("{rows} with an empty text {verb} left out"));
    }
    let unlabelled = reviews.labels.iter().filter(|l| l.is_none()).count();
    if unlabelled > 0 {
        notes.push(format!(
            "{} without a label (or with a middle star rating) not used for training or evaluation, but scored",
            crate::display::count(unlabelled, "review", "reviews")
        ));
    }
    let clipped = reviews
        .texts
        .iter()
        .filter(|t| t.len() > params.max_chars && t.chars().nth(params.max_chars).is_some())
        .count();
    if clipped > 0 {
        notes.push(format!(
            "{} longer than {} characters cut to that length for their features",
            crate::display::count(clipped, "review", "reviews"),
            params.max_chars
        ));
    }
    notes
}

fn category_scores(reviews: &Reviews, evaluated: &[Evaluated]) -> Vec<CategoryScore> {
    let Some(categories) = &reviews.categories else {
        return Vec::new();
    };
    let mut by: HashMap<&str, (usize, usize)> = HashMap::new();
    for e in evaluated {
        let entry = by.entry(categories[e.review].as_str()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(is_positive(e.probability) == e.actual);
    }
    let mut out: Vec<CategoryScore> = by
        .into_iter()
        .map(|(category, (n, correct))| CategoryScore {
            category: category.to_owned(),
            n,
            accuracy: correct as f64 / n as f64,
        })
        .collect();
    out.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.category.cmp(&b.category)));
    out
}

fn product_scores(reviews: &Reviews, probabilities: &[f64]) -> Vec<ProductScore> {
    let Some(products) = &reviews.products else {
        return Vec::new();
    };
    #[derive(Default)]
    struct Acc {
        n: usize,
        positive: usize,
        stars: f64,
        rated: usize,
    }
    let mut by: HashMap<&str, Acc> = HashMap::new();
    for (i, product) in products.iter().enumerate() {
        let acc = by.entry(product.as_str()).or_default();
        acc.n += 1;
        acc.positive += usize::from(is_positive(probabilities[i]));
        if let Some(s) = reviews
            .stars
            .as_ref()
            .map(|s| s[i])
            .filter(|s| s.is_finite())
        {
            acc.stars += s;
            acc.rated += 1;
        }
    }
    let mut out: Vec<ProductScore> = by
        .into_iter()
        .map(|(product, a)| ProductScore {
            product: product.to_owned(),
            reviews: a.n,
            predicted_positive_share: a.positive as f64 / a.n as f64,
            predicted_negative: a.n - a.positive,
            average_stars: (a.rated > 0).then(|| a.stars / a.rated as f64),
        })
        .collect();
    // Most negative reviews first: where a merchant should look.
    out.sort_by(|a, b| {
        b.predicted_negative
            .cmp(&a.predicted_negative)
            .then_with(|| a.product.cmp(&b.product))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Hyperparams;

    fn reviews(texts: &[&str], labels: &[Option<bool>]) -> Reviews {
        Reviews {
            texts: texts.iter().map(|t| t.to_string()).collect(),
            labels: labels.to_vec(),
            lines: (2..).take(texts.len()).collect(),
            ..Default::default()
        }
    }

    fn toy() -> Reviews {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40 {
            if i % 2 == 0 {
                texts.push(format!("great product, love it {i}"));
                labels.push(Some(true));
            } else {
                texts.push(format!("terrible, broke quickly {i}"));
                labels.push(Some(false));
            }
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        reviews(&refs, &labels)
    }

    /// A default classifier trained on `r` with no reports.
    fn trained(r: &Reviews) -> Result<SentimentRun, SentimentError> {
        let params = SentimentParams::default().checked().unwrap();
        let options = SentimentOptions::default();
        train_sentiment(
            r,
            &params,
            &options,
            &CancelToken::new(),
            &|_, _| {},
            &|_| {},
        )
    }

    #[test]
    fn holdout_uses_every_fifth_labelled_review_and_separates_a_clear_signal() {
        let r = toy();
        let run = trained(&r).unwrap();
        assert_eq!((run.n_train, run.n_test), (32, 8));
        assert!(run.evaluated.iter().all(|e| e.review % 5 == 0));
        assert_eq!(run.metrics.accuracy, 1.0);
        assert!(run.predict("I love it, great") > 0.5);
        assert!(run.predict("terrible, it broke") < 0.5);
        assert!(!run.epochs.is_empty());
        let words: Vec<&str> = run.top_positive.iter().map(|(w, _)| w.as_str()).collect();
        assert!(words.contains(&"great") || words.contains(&"love"));
    }

    #[test]
    fn kfold_scores_every_labelled_review_once_and_is_seeded() {
        let r = toy();
        let options = SentimentOptions {
            evaluation: Evaluation::KFold { k: 4 },
            ..Default::default()
        };
        let params = SentimentParams {
            model: ClassifierKind::NaiveBayes,
            ..Default::default()
        }
        .checked()
        .unwrap();
        let run = |o: &SentimentOptions| {
            train_sentiment(&r, &params, o, &CancelToken::new(), &|_, _| {}, &|_| {}).unwrap()
        };
        let a = run(&options);
        assert_eq!(a.folds.len(), 4);
        assert_eq!(a.evaluated.len(), 40);
        let reviews_seen: Vec<usize> = a.evaluated.iter().map(|e| e.review).collect();
        assert_eq!(reviews_seen, (0..40).collect::<Vec<_>>());
        let b = run(&options);
        assert_eq!(a.evaluated, b.evaluated);
    }

    #[test]
    fn one_class_and_bad_params_are_refused_with_reasons() {
        let r = reviews(&["good", "fine", "nice"], &[Some(true); 3]);
        let err = trained(&r).err().unwrap();
        assert!(err.to_string().contains("only one class"), "{err}");
        let params = SentimentParams {
            c: -1.0,
            alpha: 0.0,
            ..Default::default()
        };
        let Err(errors) = params.check() else {
            panic!("negative C accepted")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["c", "alpha"]);
    }
}
