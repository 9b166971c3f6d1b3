//! Sentiment classifiers on real review data against scikit-learn's figures
//! (benches/sentiment_reference.py), and every bad input the issue lists.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::task::CancelToken;
use shoplens::text::{
    train_sentiment, ClassifierKind, Evaluation, ReviewColumns, Reviews, SentimentOptions,
    SentimentParams, SentimentRun,
};

fn reviews_of(paths: &[PathBuf]) -> Result<Reviews, String> {
    let mut parts = Vec::new();
    for path in paths {
        let ds = load_dataset(
            path,
            &LoadOptions::default(),
            &CancelToken::new(),
            &|_, _| {},
        )
        .map_err(|e| e.to_string())?;
        let columns = ReviewColumns::from_roles(&ds).map_err(|e| e.to_string())?;
        parts.push(Reviews::from_dataset(&ds, &columns).map_err(|e| e.to_string())?);
    }
    Ok(Reviews::concat(parts))
}

fn train(reviews: &Reviews, model: ClassifierKind) -> Result<SentimentRun, String> {
    let params = SentimentParams {
        model,
        c: 10.0,
        ..Default::default()
    };
    let options = SentimentOptions {
        threads: 2,
        ..Default::default()
    };
    train_sentiment(
        reviews,
        &params.checked().map_err(|e| format!("{e:?}"))?,
        &options,
        &CancelToken::new(),
        &|_, _| {},
        &|_| {},
    )
    .map_err(|e| e.to_string())
}

fn uci_files(shared: &Path) -> Vec<PathBuf> {
    ["amazon_cells_labelled", "imdb_labelled", "yelp_labelled"]
        .iter()
        .map(|f| shared.join(format!("uci-sentiment-labelled-sentences/{f}.txt")))
        .collect()
}

#[test]
fn uci_sentences_match_scikit_learn_within_one_point() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let reviews = reviews_of(&uci_files(&shared)).unwrap();
    assert_eq!(reviews.len(), 3_000);
    let lr = train(&reviews, ClassifierKind::LogisticRegression).unwrap();
    // scikit-learn 1.9: 2,400 train / 600 test, 21,059 word 1–2 grams.
    assert_eq!((lr.n_train, lr.n_test), (2_400, 600));
    assert_eq!(lr.vectorizer.n_features(), 21_059);
    assert_eq!(lr.ngrams.to_string(), "word:1-2");
    assert!(
        (lr.metrics.accuracy - 0.852).abs() <= 0.01,
        "LR accuracy {}",
        lr.metrics.accuracy
    );
    let nb = train(&reviews, ClassifierKind::NaiveBayes).unwrap();
    assert!(
        (nb.metrics.accuracy - 0.832).abs() <= 0.01,
        "NB accuracy {}",
        nb.metrics.accuracy
    );
    // The learned words make sense and the live box agrees.
    let negative: Vec<&str> = lr
        .top_negative
        .iter()
        .take(10)
        .map(|(w, _)| w.as_str())
        .collect();
    assert!(
        negative.contains(&"bad") || negative.contains(&"not"),
        "{negative:?}"
    );
    assert!(lr.predict("This phone is great, I love it") > 0.5);
    assert!(lr.predict("Terrible quality, it broke after a day") < 0.5);
    // Deterministic: the same settings give the same numbers.
    let again = train(&reviews, ClassifierKind::LogisticRegression).unwrap();
    assert_eq!(lr.evaluated, again.evaluated);
}

#[test]
fn chinese_shopping_reviews_match_scikit_learn_within_one_point() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let path = shared.join("online-shopping-10-cats/online_shopping_10_cats.csv");
    let reviews = reviews_of(&[path]).unwrap();
    // 62,774 records, one empty review.
    assert_eq!((reviews.len(), reviews.empty_texts), (62_773, 1));
    assert!(
        !reviews.texts.iter().any(|t| t.contains('\u{feff}')),
        "U+FEFF stripped"
    );
    let lr = train(&reviews, ClassifierKind::LogisticRegression).unwrap();
    assert_eq!(lr.ngrams.to_string(), "char:1-2", "Chinese detected");
    assert_eq!((lr.n_train, lr.n_test), (50_218, 12_555));
    assert_eq!(lr.vectorizer.n_features(), 275_195);
    assert!(
        (lr.metrics.accuracy - 0.9365).abs() <= 0.01,
        "LR accuracy {}",
        lr.metrics.accuracy
    );
    assert_eq!(lr.categories.len(), 10, "per-category accuracy");
    assert!(lr.categories.iter().all(|c| c.accuracy > 0.8));
    let nb = train(&reviews, ClassifierKind::NaiveBayes).unwrap();
    assert!(
        (nb.metrics.accuracy - 0.916).abs() <= 0.01,
        "NB accuracy {}",
        nb.metrics.accuracy
    );
    assert!(lr.predict("质量很好，非常满意") > 0.5);
    assert!(lr.predict("太差了，再也不买") < 0.5);
}

#[test]
fn star_ratings_become_labels_and_products_are_scored() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    // Amazon Fashion: overall stars, products by asin.
    let reviews =
        reviews_of(&[shared.join("amazon-fashion-5core/AMAZON_FASHION_5.json.gz")]).unwrap();
    let positives = reviews.labels.iter().filter(|l| **l == Some(true)).count();
    let middle = reviews.labels.iter().filter(|l| l.is_none()).count();
    assert!(
        positives > 0 && middle > 0,
        "stars ≥ 4 positive, 3 left out"
    );
    let run = train(&reviews, ClassifierKind::LogisticRegression).unwrap();
    assert_eq!(run.products.len(), 31, "31 products (asin)");
    let total: usize = run.products.iter().map(|p| p.reviews).sum();
    assert_eq!(total, reviews.len(), "every review counted once");
    assert!(run.products.iter().all(|p| p.average_stars.is_some()));
    assert!(run
        .products
        .windows(2)
        .all(|w| w[0].predicted_negative >= w[1].predicted_negative));
    assert!(run.metrics.accuracy > 0.8, "{}", run.metrics.accuracy);
}

#[test]
fn kfold_cross_validation_on_real_sentences() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let reviews = reviews_of(&uci_files(&shared)[..1]).unwrap();
    let options = SentimentOptions {
        evaluation: Evaluation::KFold { k: 5 },
        threads: 2,
        ..Default::default()
    };
    let run = train_sentiment(
        &reviews,
        &SentimentParams::default().checked().unwrap(),
        &options,
        &CancelToken::new(),
        &|_, _| {},
        &|_| {},
    )
    .unwrap();
    assert_eq!(run.folds.len(), 5);
    assert_eq!(
        run.evaluated.len(),
        1_000,
        "every review scored out of fold"
    );
    let mean = run.folds.iter().map(|f| f.accuracy).sum::<f64>() / 5.0;
    assert!((run.metrics.accuracy - mean).abs() < 1e-12);
    assert!(run.metrics.accuracy > 0.7, "{}", run.metrics.accuracy);
}

// ---- bad input -----------------------------------------------------------

fn temp_reviews(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_temp(&dir, "reviews.csv", content);
    (dir, path)
}

fn error_of(content: &[u8]) -> String {
    let (_dir, path) = temp_reviews(content);
    match reviews_of(&[path]).and_then(|r| train(&r, ClassifierKind::LogisticRegression)) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

#[test]
fn empty_texts_are_refused_with_a_reason() {
    let e = error_of(b"label,review\n1,\n0,  \n1,\n");
    assert!(e.contains("every text is empty"), "{e}");
}

#[test]
fn a_single_class_is_refused() {
    let e = error_of(b"label,review\n1,good\n1,great\n1,fine\n");
    assert!(
        e.contains("only one class") && e.contains("positive"),
        "{e}"
    );
}

#[test]
fn non_binary_labels_name_the_line_and_value() {
    let e = error_of(b"label,review\n1,good\n0,bad\n3,meh\n");
    assert!(
        e.contains("line 4") && e.contains("'3'") && e.contains("binary label"),
        "{e}"
    );
}

#[test]
fn invalid_utf8_names_the_line_and_column() {
    let e = error_of(b"label,review\n1,good\n0,caf\xe9 was bad\n");
    assert!(e.contains("line 3") && e.contains("UTF-8"), "{e}");
}

#[test]
fn a_one_megabyte_review_is_used_and_reported() {
    let mut content = b"label,review\n".to_vec();
    for i in 0..40 {
        let text = if i % 2 == 0 {
            "great product love it"
        } else {
            "bad product broke"
        };
        content.extend_from_slice(format!("{},{text} {i}\n", (i + 1) % 2).as_bytes());
    }
    content.extend_from_slice(b"1,");
    for _ in 0..(1 << 20) / 8 {
        content.extend_from_slice(b"awesome ");
    }
    content.extend_from_slice(b"\n");
    let (_dir, path) = temp_reviews(&content);
    let reviews = reviews_of(&[path]).unwrap();
    assert_eq!(reviews.len(), 41);
    let run = train(&reviews, ClassifierKind::LogisticRegression).unwrap();
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("1 review longer than 100000")),
        "{:?}",
        run.notes
    );
    assert!(run.probabilities.len() == 41);
}

#[test]
fn cli_sentiment_prints_one_json_object_and_predicts() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/reviews.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args([
            "sentiment",
            "--data",
            sample.to_str().unwrap(),
            "--model",
            "nb",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["model"], "nb");
    for key in ["accuracy", "precision", "recall", "f1_macro", "auc"] {
        assert!(v["metrics"][key].is_number(), "metrics.{key}");
    }
    for key in ["params", "n_train", "n_test", "n_features", "fit_secs"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args([
            "sentiment",
            "--data",
            sample.to_str().unwrap(),
            "--predict",
            "Absolutely love it, works perfectly",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: f64 = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(p > 0.5 && p <= 1.0, "{p}");
    // A bad flag value is one readable error line.
    let out = Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args(["sentiment", "--data", sample.to_str().unwrap(), "--c", "-1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("c must be a number > 0"), "{err}");
}

#[test]
fn cancelling_mid_fit_stops_with_cancelled() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let reviews = reviews_of(&uci_files(&shared)).unwrap();
    let cancel = CancelToken::new();
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let result = train_sentiment(
        &reviews,
        &SentimentParams::default().checked().unwrap(),
        &SentimentOptions::default(),
        &cancel,
        &|_, _| {},
        &|_| {
            if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2 {
                cancel.cancel();
            }
        },
    );
    assert!(matches!(
        result,
        Err(shoplens::text::SentimentError::Cancelled)
    ));
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "stopped at the next iteration"
    );
}
