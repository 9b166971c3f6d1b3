//! Purchase prediction on a generated store with 100,000+ customers: the
//! activity log, the two feature tables (learn at T − W, judge at T) and
//! forust-ml's trees, in a child process for its own peak memory; then
//! scikit-learn's HistGradientBoostingClassifier on the same feature tables
//! (written as CSV, `benches/peers/sklearn_predict.py`) when a Python with
//! scikit-learn is there (`python3`, or `SKLEARN_PYTHON`, or the obp
//! environment of `../shared/tools/setup-obp-env.sh`).
//!
//! `cargo bench --bench predict`.

mod common;
use common::{get, key_values, peak_mb};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::predict::activity::ActivityLog;
use shoplens::predict::evaluate::roc_auc;
use shoplens::predict::features::{table_at, Table};
use shoplens::predict::model::{Fitted, PredictModel, PredictParams};
use shoplens::task::{CancelToken, Reporter};

const WINDOW: u32 = 30;

fn generated_store() -> PathBuf {
    let dir = std::env::temp_dir().join("shoplens-bench-predict");
    let path = dir.join("events.csv");
    if !path.exists() {
        let params = shoplens::data::generate::GenerateParams {
            users: 150_000,
            items: 5_000,
            events: 4_000_000,
            seed: 5,
            out: dir,
            image_dir: None,
        };
        shoplens::data::generate::generate(&params, &|_, _| {}).expect("generate");
    }
    path
}

fn write_table(t: &Table, path: &Path) {
    let mut out = String::new();
    let names: Vec<&str> = t.features.iter().map(|f| f.name()).collect();
    out.push_str(&names.join(","));
    out.push_str(",label\n");
    for i in 0..t.len() {
        let row: Vec<String> = t.row(i).iter().map(|v| v.to_string()).collect();
        out.push_str(&row.join(","));
        out.push_str(&format!(",{}\n", t.y[i]));
    }
    std::fs::write(path, out).expect("write table");
}

fn child(path: &Path, dir: &Path) {
    let cancel = CancelToken::new();
    let ds = load_dataset(path, &LoadOptions::default(), &cancel, &|_, _| {}).expect("load");
    let started = Instant::now();
    let log = ActivityLog::from_dataset(&ds).expect("log");
    let day = 86_400;
    let end = (log.last_time + day).div_euclid(day) * day;
    let test_at = end - i64::from(WINDOW) * day;
    let train_at = test_at - i64::from(WINDOW) * day;
    let train = table_at(&log, train_at, WINDOW).expect("train");
    let test = table_at(&log, test_at, WINDOW).expect("test");
    let feature_secs = started.elapsed().as_secs_f64();
    let params = PredictParams {
        model: PredictModel::Gbm,
        learning_rate: 0.1,
        iterations: 100,
        max_depth: 5,
        early_stopping: 10,
        ..Default::default()
    };
    let f = train.features.len();
    // The last tenth of the training customers for early stopping, as
    // scikit-learn holds out 10%.
    let held = train.len() / 10;
    let cut = (train.len() - held) * f;
    let started = Instant::now();
    let model = Fitted::fit(
        &train.x[..cut],
        &train.y[..train.len() - held],
        f,
        Some((&train.x[cut..], &train.y[train.len() - held..])),
        &params,
        1,
        &Reporter::silent(&cancel),
    )
    .expect("fit");
    let fit_secs = started.elapsed().as_secs_f64();
    let auc = roc_auc(&model.predict(&test.x, f), &test.y);
    println!("customers_train {}", train.len());
    println!("customers_test {}", test.len());
    println!("features {f}");
    println!("positive_rate {}", test.positive_rate());
    println!("feature_secs {feature_secs}");
    println!("fit_secs {fit_secs}");
    println!("roc_auc {auc}");
    println!("peak_mb {}", peak_mb());
    write_table(&train, &dir.join("train.csv"));
    write_table(&test, &dir.join("test.csv"));
}

fn sklearn_python() -> Option<PathBuf> {
    let works = |p: &Path| {
        Command::new(p)
            .args(["-c", "import sklearn"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("SKLEARN_PYTHON") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from("python3"));
    if let Ok(home) = std::env::var("HOME") {
        candidates.push(PathBuf::from(home).join(".cache/obp-venv/bin/python"));
    }
    candidates.into_iter().find(|p| works(p))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]), Path::new(&args[i + 2]));
        return;
    }
    let store = generated_store();
    let dir = std::env::temp_dir().join("shoplens-bench-predict");
    let exe = std::env::current_exe().expect("exe");
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(&store).arg(&dir);
    let ours = key_values(cmd, "shoplens");
    println!(
        "generated store: {:.0} customers learnt on, {:.0} judged ({:.1}% buy in the {WINDOW}-day window), {:.0} features",
        get(&ours, "customers_train"),
        get(&ours, "customers_test"),
        get(&ours, "positive_rate") * 100.0,
        get(&ours, "features"),
    );
    println!(
        "  shoplens: features {:.2} s, forust-ml trees (lr 0.1, ≤100 trees, depth 5, early stopping 10) {:.2} s, ROC AUC {:.4}, peak {:.0} MB",
        get(&ours, "feature_secs"),
        get(&ours, "fit_secs"),
        get(&ours, "roc_auc"),
        get(&ours, "peak_mb"),
    );
    let Some(python) = sklearn_python() else {
        println!("SKIPPED scikit-learn: no Python with scikit-learn (set SKLEARN_PYTHON)");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/sklearn_predict.py");
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .arg(dir.join("train.csv"))
        .arg(dir.join("test.csv"));
    let theirs = key_values(cmd, "scikit-learn");
    println!(
        "  scikit-learn HistGradientBoostingClassifier (defaults): fit {:.2} s ({:.0} iterations), ROC AUC {:.4}, peak {:.0} MB",
        get(&theirs, "fit_secs"),
        get(&theirs, "iterations"),
        get(&theirs, "roc_auc"),
        get(&theirs, "peak_mb"),
    );
}
