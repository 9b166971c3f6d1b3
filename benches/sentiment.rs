//! Sentiment: vectorise + fit time of shoplens against scikit-learn 1.9
//! (benches/sentiment_reference.py) on the two reference corpora, side by side,
//! interleaved over three rounds (this machine's timings swing ±20–30%).
//! scikit-learn runs when `python3 -c "import sklearn"` works, otherwise its
//! column is skipped; ../shared/data must be present.
//!
//! Run: `cargo bench --bench sentiment`. `SHOPLENS_BENCH_ONLY=logreg` (or
//! `nb`) times only that classifier, on both sides.

use std::path::{Path, PathBuf};
use std::process::Command;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::task::CancelToken;
use shoplens::text::{
    train_sentiment, ClassifierKind, ReviewColumns, Reviews, SentimentOptions, SentimentParams,
};

const ROUNDS: usize = 3;

/// (dataset, model, threads), seconds per round, accuracy of the last round.
type Timings<'a> = ((&'a str, &'a str, usize), Vec<f64>, f64);

fn reviews_of(paths: &[PathBuf]) -> Reviews {
    let parts = paths
        .iter()
        .map(|p| {
            let ds = load_dataset(p, &LoadOptions::default(), &CancelToken::new(), &|_, _| {})
                .expect("load");
            let columns = ReviewColumns::from_roles(&ds).expect("columns");
            Reviews::from_dataset(&ds, &columns).expect("reviews")
        })
        .collect();
    Reviews::concat(parts)
}

/// (accuracy, vectorise + fit seconds) of one shoplens run.
fn ours(reviews: &Reviews, model: ClassifierKind, threads: usize) -> (f64, f64) {
    let params = SentimentParams {
        model,
        c: 10.0,
        ..Default::default()
    };
    let options = SentimentOptions {
        threads,
        ..Default::default()
    };
    let run = train_sentiment(
        reviews,
        &params.checked().expect("params"),
        &options,
        &CancelToken::new(),
        &|_, _| {},
        &|_| {},
    )
    .expect("train");
    (run.metrics.accuracy, run.fit_secs)
}

/// scikit-learn's lines: dataset, model, accuracy, fit_secs.
fn sklearn(shared: &Path) -> Option<Vec<serde_json::Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sentiment_reference.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(shared)
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "scikit-learn skipped: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    )
}

/// Classifiers to time: `SHOPLENS_BENCH_ONLY` (comma-separated), or both.
fn wanted(model: &str) -> bool {
    std::env::var("SHOPLENS_BENCH_ONLY")
        .unwrap_or_else(|_| "logreg,nb".into())
        .split(',')
        .any(|m| m.trim() == model)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !shared.is_dir() {
        eprintln!("SKIPPED: ../shared/data is absent");
        return;
    }
    let uci: Vec<PathBuf> = ["amazon_cells_labelled", "imdb_labelled", "yelp_labelled"]
        .iter()
        .map(|f| shared.join(format!("uci-sentiment-labelled-sentences/{f}.txt")))
        .collect();
    let corpora = [
        ("uci-sentences", reviews_of(&uci)),
        (
            "online_shopping_10_cats",
            reviews_of(&[shared.join("online-shopping-10-cats/online_shopping_10_cats.csv")]),
        ),
    ];
    let models = [
        (ClassifierKind::LogisticRegression, "logreg"),
        (ClassifierKind::NaiveBayes, "nb"),
    ];
    // (dataset, model, threads) → seconds per round; accuracy of the last round.
    let mut mine: Vec<Timings> = Vec::new();
    let mut theirs: Vec<serde_json::Value> = Vec::new();
    for round in 0..ROUNDS {
        for (name, reviews) in &corpora {
            for (kind, model) in models.into_iter().filter(|m| wanted(m.1)) {
                for threads in [1, 2] {
                    let (accuracy, secs) = ours(reviews, kind, threads);
                    match mine.iter_mut().find(|m| m.0 == (*name, model, threads)) {
                        Some(m) => {
                            m.1.push(secs);
                            m.2 = accuracy;
                        }
                        None => mine.push(((name, model, threads), vec![secs], accuracy)),
                    }
                }
            }
        }
        if let Some(lines) = sklearn(&shared) {
            theirs.extend(lines);
        }
        eprintln!("round {} of {ROUNDS} done", round + 1);
    }
    println!("vectorise + fit, median of {ROUNDS} interleaved rounds (C = 10; NB alpha = 1; scikit-learn single-threaded, OPENBLAS_NUM_THREADS=1)");
    for ((name, model, threads), secs, accuracy) in &mine {
        let sk: Vec<&serde_json::Value> = theirs
            .iter()
            .filter(|v| v["dataset"] == *name && v["model"] == *model)
            .collect();
        let sk_secs = median(
            sk.iter()
                .filter_map(|v| v["fit_secs"].as_array()?.first()?.as_f64())
                .collect(),
        );
        let sk_acc = sk
            .first()
            .and_then(|v| v["accuracy"].as_f64())
            .unwrap_or(f64::NAN);
        let ours_secs = median(secs.clone());
        println!(
            "  {name:<24} {model:<6} {threads} thr  shoplens {ours_secs:>7.3}s acc {accuracy:.4}   scikit-learn {sk_secs:>7.3}s acc {sk_acc:.4}   ratio {:.2}",
            ours_secs / sk_secs
        );
    }
    let sk_rss = theirs
        .iter()
        .filter_map(|v| v["peak_rss_mb"].as_f64())
        .fold(f64::NAN, f64::max);
    println!(
        "peak RSS: shoplens bench process {:.0} MB (both corpora loaded, all runs); scikit-learn process {sk_rss:.0} MB",
        peak_rss_mb()
    );
}
