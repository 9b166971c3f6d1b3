//! Training speed side by side with implicit 0.7.3 (2 threads each): ALS time
//! per iteration, BPR time per epoch, item-kNN fit time — on MovieLens-100K
//! (when ../shared is present) and on a generated store with ≥ 1,000,000
//! interactions. implicit runs when `python3 -c "import implicit"` works
//! (OPENBLAS_NUM_THREADS=1), otherwise its column is skipped.
//!
//! Run: `cargo bench --bench recommenders`. `SHOPLENS_BENCH_ONLY=itemknn`
//! (or `als`, `bpr`, comma-separated) times only those models, on both sides.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::recsys::matrix::{Interactions, MatrixOptions};
use shoplens::recsys::models::{fit, FitContext};
use shoplens::recsys::params::*;
use shoplens::recsys::split::{split, Split};
use shoplens::task::thread_pool;
use shoplens::task::CancelToken;

const THREADS: usize = 2;

/// Models to time: `SHOPLENS_BENCH_ONLY` (comma-separated), or all of them.
fn only() -> String {
    std::env::var("SHOPLENS_BENCH_ONLY").unwrap_or_else(|_| "als,bpr,itemknn".into())
}

fn wanted(model: &str) -> bool {
    only().split(',').any(|m| m.trim() == model)
}

fn interactions(path: &Path) -> Arc<Interactions> {
    let ds = load_dataset(
        path,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .expect("load");
    Arc::new(Interactions::from_dataset(&ds, &MatrixOptions::default()).expect("matrix"))
}

fn generated_store() -> PathBuf {
    let dir = std::env::temp_dir().join("shoplens-bench-recsys");
    let path = dir.join("events.csv");
    if !path.exists() {
        let params = shoplens::data::generate::GenerateParams {
            users: 40_000,
            items: 20_000,
            events: 2_000_000,
            seed: 11,
            out: dir,
            image_dir: None,
        };
        shoplens::data::generate::generate(&params, &|_, _| {}).expect("generate");
    }
    path
}

fn ours(name: &str, data: &Interactions) -> serde_json::Value {
    let tt = split(data, &Split::LeaveLastOut).expect("split");
    let train = &tt.train;
    let pool = thread_pool(THREADS).expect("pool");
    let cancel = CancelToken::new();
    let times = std::sync::Mutex::new(Vec::new());
    let on_epoch = |e: shoplens::task::EpochEvent| times.lock().unwrap().push(e.secs);
    let ctx = FitContext {
        on_epoch: &on_epoch,
        ..FitContext::quiet(&cancel, &pool)
    };
    let options = TrainOptions {
        threads: THREADS,
        validate_every: 0,
        ..Default::default()
    };
    let mut out = serde_json::json!({"data": name, "users": train.n_rows, "items": train.n_cols, "nnz": train.nnz()});

    // ALS twice: without the per-iteration loss (the same work as implicit's
    // default) and with it (what the app plots).
    let als_runs: &[(&str, bool)] = if wanted("als") {
        &[("", false), ("_with_loss", true)]
    } else {
        &[]
    };
    for &(suffix, track_loss) in als_runs {
        let als = ModelParams::Als(AlsParams {
            track_loss,
            ..Default::default()
        })
        .checked()
        .expect("params");
        let start = Instant::now();
        fit(&als, train, &options, &ctx).expect("als");
        let total = start.elapsed().as_secs_f64();
        let cumulative = std::mem::take(&mut *times.lock().unwrap());
        let mut per_iteration: Vec<f64> = cumulative.windows(2).map(|w| w[1] - w[0]).collect();
        per_iteration.insert(0, cumulative[0]);
        per_iteration.sort_by(f64::total_cmp);
        out[format!("als_fit_secs{suffix}")] = total.into();
        out[format!("als_secs_per_iteration{suffix}")] =
            per_iteration[per_iteration.len() / 2].into();
    }

    // Best of 3 (the first run pays for page faults and cold caches).
    let best_of_3 = |f: &dyn Fn()| {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let bpr = ModelParams::Bpr(BprParams {
        epochs: 20,
        ..Default::default()
    })
    .checked()
    .expect("params");
    if wanted("bpr") {
        out["bpr_secs_per_epoch"] =
            (best_of_3(&|| drop(fit(&bpr, train, &options, &ctx).expect("bpr"))) / 20.0).into();
    }
    let knn_runs: &[(&str, Similarity)] = if wanted("itemknn") {
        &[("cosine", Similarity::Cosine), ("bm25", Similarity::Bm25)]
    } else {
        &[]
    };
    for &(label, similarity) in knn_runs {
        let knn = ModelParams::ItemKnn(ItemKnnParams {
            similarity,
            ..Default::default()
        })
        .checked()
        .expect("params");
        out[format!("itemknn_{label}_fit_secs")] =
            best_of_3(&|| drop(fit(&knn, train, &options, &ctx).expect("knn"))).into();
    }
    // Write the same train matrix for implicit.
    let csv = std::env::temp_dir().join(format!("shoplens-train-{name}.csv"));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv"));
    for u in 0..train.n_rows {
        let (items, weights) = train.row(u);
        for (i, x) in items.iter().zip(weights) {
            writeln!(w, "{u},{i},{x}").expect("write");
        }
    }
    w.flush().expect("flush");
    out["train_csv"] = csv.display().to_string().into();
    out
}

fn implicit(train_csv: &str) -> Option<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/implicit_reference.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(train_csv)
        .arg(THREADS.to_string())
        .arg(only())
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "implicit skipped: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

fn main() {
    let mut datasets: Vec<(String, Arc<Interactions>)> = Vec::new();
    let ml = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/movielens-100k/u.data");
    if ml.exists() {
        datasets.push(("movielens-100k".into(), interactions(&ml)));
    } else {
        eprintln!("SKIPPED MovieLens-100K: ../shared/data is absent");
    }
    datasets.push((
        "generated-2M-events".into(),
        interactions(&generated_store()),
    ));
    let keys = [
        "als_secs_per_iteration",
        "als_secs_per_iteration_with_loss",
        "bpr_secs_per_epoch",
        "itemknn_cosine_fit_secs",
        "itemknn_bm25_fit_secs",
    ];
    // Interleave three rounds (ours, implicit, ours, …) and compare medians:
    // this machine's timings swing by ±20–30% between identical runs.
    const ROUNDS: usize = 3;
    for (name, data) in datasets {
        let mut mine: Vec<serde_json::Value> = Vec::new();
        let mut theirs: Vec<serde_json::Value> = Vec::new();
        for _ in 0..ROUNDS {
            let ours = ours(&name, &data);
            if let Some(t) = implicit(ours["train_csv"].as_str().unwrap_or_default()) {
                theirs.push(t);
            }
            mine.push(ours);
        }
        println!(
            "{name}: {} users × {} items, {} train interactions, {THREADS} threads each, median of {ROUNDS} interleaved rounds",
            mine[0]["users"], mine[0]["items"], mine[0]["nnz"]
        );
        let median = |runs: &[serde_json::Value], key: &str| {
            let mut v: Vec<f64> = runs.iter().filter_map(|r| r[key].as_f64()).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        };
        for key in keys {
            let Some(a) = median(&mine, key) else {
                continue;
            };
            match median(&theirs, key) {
                Some(b) => println!(
                    "  {key:<26} shoplens {a:>9.4}s   implicit {b:>9.4}s   ratio {:.2}",
                    a / b
                ),
                None => println!("  {key:<26} shoplens {a:>9.4}s   implicit (not run)"),
            }
        }
    }
}
