//! Segments: k-means fit time (k = 4, 10 inits, log1p + z-scored R, F, M) on
//! UCI Online Retail, shoplens against scikit-learn 1.9
//! (benches/segment_reference.py) side by side, interleaved over five rounds;
//! also the silhouette k scan 2..10 and the customer-table build.
//!
//! Run: `cargo bench --bench segments`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::segment::clusters::{fit_kmeans, scale, scan_k, KMeansParams};
use shoplens::segment::features::{customer_table, Feature};
use shoplens::task::CancelToken;

const ROUNDS: usize = 5;
const THREADS: usize = 2;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn sklearn(shared: &Path) -> Option<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/segment_reference.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(shared)
        .arg("1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", THREADS.to_string())
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
    serde_json::from_slice(&output.stdout).ok()
}

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let path = shared.join("uci-online-retail/OnlineRetail.csv.gz");
    if !path.exists() {
        eprintln!("SKIPPED: ../shared/data is absent");
        return;
    }
    let cancel = CancelToken::new();
    let ds = load_dataset(&path, &LoadOptions::default(), &cancel, &|_, _| {}).expect("load");
    let started = Instant::now();
    let table = customer_table(&ds, None, None).expect("customers");
    let table_secs = started.elapsed().as_secs_f64();
    let params = KMeansParams::default().checked().expect("params");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("pool");
    let (mut ours, mut theirs, mut inertia, mut sk_inertia) =
        (Vec::new(), Vec::new(), 0.0, f64::NAN);
    pool.install(|| {
        let scaled = scale(&table, &Feature::RFM, &params).expect("scale");
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let c = fit_kmeans(&scaled, &params, &cancel).expect("fit");
            ours.push(started.elapsed().as_secs_f64());
            inertia = c.inertia;
            if let Some(v) = sklearn(&shared) {
                if let Some(t) = v["fit_secs"][0].as_f64() {
                    theirs.push(t);
                }
                sk_inertia = v["inertia"].as_f64().unwrap_or(f64::NAN);
            }
        }
        let started = Instant::now();
        scan_k(&scaled, 2..=10, &params, &cancel, &|_| {}).expect("scan");
        println!(
            "UCI Online Retail: {} customers; customer table {table_secs:.3}s; k scan 2..10 with silhouettes {:.3}s",
            table.len(),
            started.elapsed().as_secs_f64()
        );
    });
    let (a, b) = (median(ours), median(theirs));
    println!(
        "k-means k=4, 10 inits, {THREADS} threads each, median of {ROUNDS} interleaved rounds: shoplens {a:.4}s (inertia {inertia:.2})   scikit-learn {b:.4}s (inertia {sk_inertia:.2})   ratio {:.2}; inertia difference {:+.3}%",
        a / b,
        (inertia - sk_inertia) / sk_inertia * 100.0
    );
}
