//! V-SKNN at scale, side by side with session-rec.
//!
//! 1. A generated store with at least 1,000,000 training sessions after
//!    session-rec's filters (views only, last 7 days held out): shoplens's
//!    V-SKNN (DIGINETICA defaults) — load and split, index fit, next-item
//!    predictions per second on 2 threads over every test session, peak
//!    memory (its own process).
//! 2. session-rec's own V-SKNN on the same split (written as TSV), over the
//!    first `PEER_SESSIONS` test sessions — Python needs about a millisecond
//!    a prediction — with shoplens on the same sessions: throughput side by
//!    side and the expected HR@20 / MRR@20 of both.
//! 3. The DIGINETICA sample (when ../shared is present): every model's
//!    expected HR@20 / MRR@20 against session-rec's.
//!
//! The peer runs when SESSION_REC_DIR points at a checkout of
//! rn5l/session-rec and `python3 -c "import pandas, psutil, pympler"` works.
//!
//! `cargo bench --bench sessions`.

mod common;
use common::get;
use shoplens::params::ModelKind;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::session::log::SessionLog;
use shoplens::session::params::SessionKind;
use shoplens::session::protocol::{split, SessionData, SessionProtocol};
use shoplens::session::task::{fit_and_evaluate, SessionOptions};
use shoplens::task::{CancelToken, Reporter};

const THREADS: usize = 2;
const PEER_SESSIONS: usize = 1000;

fn generated_store() -> PathBuf {
    let dir = std::env::temp_dir().join("shoplens-bench-sessions");
    let path = dir.join("events.csv");
    if !path.exists() {
        let started = Instant::now();
        let params = shoplens::data::generate::GenerateParams {
            users: 300_000,
            items: 20_000,
            events: 6_400_000,
            seed: 5,
            out: dir,
            image_dir: None,
        };
        shoplens::data::generate::generate(&params, &|_, _| {}).expect("generate");
        eprintln!(
            "generated {} in {:.0} s",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
    path
}

/// The split of `path` (session-rec's protocol, 7 test days).
fn sessions_of(path: &Path) -> (SessionData, f64) {
    let started = Instant::now();
    let ds = load_dataset(
        path,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .expect("load");
    let log = SessionLog::from_dataset(&ds).expect("sessions");
    let data = split(&log, &SessionProtocol::default()).expect("split");
    (data, started.elapsed().as_secs_f64())
}

/// `data` with only its first `n` test sessions.
fn first_test_sessions(mut data: SessionData, n: usize) -> SessionData {
    data.test.truncate(n);
    data.report.test_sessions = data.test.len();
    data.report.test_views = data.test.iter().map(|s| s.items.len()).sum();
    data.report.predictions = data.report.test_views - data.report.test_sessions;
    data
}

fn write_tsv(path: &Path, data: &SessionData, sessions: &[shoplens::session::protocol::Session]) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create tsv"));
    writeln!(w, "SessionId\tItemId\tTime").expect("write");
    for s in sessions {
        for (&i, &t) in s.items.iter().zip(&s.times) {
            writeln!(w, "{}\t{}\t{t}", s.label, data.item_labels[i as usize]).expect("write");
        }
    }
}

/// In a child process: split, fit, evaluate; print `key value` lines.
fn child(path: &Path, kind: &str, max_sessions: usize, dump: Option<&Path>) {
    let (data, split_secs) = sessions_of(path);
    if let Some(dir) = dump {
        write_tsv(&dir.join("train.tsv"), &data, &data.train);
        let n = max_sessions.min(data.test.len());
        write_tsv(&dir.join("test.tsv"), &data, &data.test[..n]);
    }
    let data = if max_sessions > 0 {
        first_test_sessions(data, max_sessions)
    } else {
        data
    };
    let r = &data.report;
    println!("train_sessions {}", r.train_sessions);
    println!("train_views {}", r.train_views);
    println!("test_sessions {}", r.test_sessions);
    println!("items {}", data.n_items());
    println!("split_secs {split_secs}");
    let kind = SessionKind::from_name(kind).expect("model");
    let params = kind.defaults().checked().expect("params");
    let pool = shoplens::task::thread_pool(THREADS).expect("pool");
    let cancel = CancelToken::new();
    let t = pool
        .install(|| {
            fit_and_evaluate(
                &params,
                &Arc::new(data),
                &SessionOptions {
                    k: 20,
                    ..Default::default()
                },
                &Reporter::silent(&cancel),
            )
        })
        .expect("fit");
    println!("fit_secs {}", t.fit_secs);
    println!("eval_secs {}", t.eval_secs);
    println!("predictions {}", t.metrics.predictions);
    println!("predictions_per_sec {}", t.metrics.predictions_per_sec);
    println!("expected_hr {}", t.metrics.expected_hr);
    println!("expected_mrr {}", t.metrics.expected_mrr);
    println!("hr {}", t.metrics.hr);
    println!("mrr {}", t.metrics.mrr);
    println!("index_mb {}", t.index.memory_bytes() as f64 / 1e6);
    println!("peak_mb {}", common::peak_mb());
}

fn run(args: &[&str]) -> Vec<(String, String)> {
    let (exe, rest) = args.split_first().expect("args");
    let mut cmd = Command::new(exe);
    cmd.args(rest);
    common::key_values(cmd, &format!("{args:?}"))
}

/// session-rec's JSON lines, or why it did not run.
fn peer(args: &[&str]) -> Result<Vec<serde_json::Value>, String> {
    let Ok(dir) = std::env::var("SESSION_REC_DIR") else {
        return Err("SESSION_REC_DIR is not set (a checkout of rn5l/session-rec)".into());
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/session_rec.py");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .env("SESSION_REC_DIR", dir)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("failed")
            .to_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let dump = args.get(i + 4).map(PathBuf::from);
        child(
            Path::new(&args[i + 1]),
            &args[i + 2],
            args[i + 3].parse().expect("max sessions"),
            dump.as_deref(),
        );
        return;
    }
    let exe = std::env::current_exe().expect("exe");
    let exe = exe.to_string_lossy().into_owned();

    // 1. The whole generated store.
    let store = generated_store();
    let p = store.to_string_lossy().into_owned();
    let full = run(&[&exe, "--child", &p, "vsknn", "0"]);
    println!(
        "generated store: {:.0} train sessions ({:.0} views), {:.0} test sessions, {:.0} items; load + filters + split {:.1} s",
        get(&full, "train_sessions"),
        get(&full, "train_views"),
        get(&full, "test_sessions"),
        get(&full, "items"),
        get(&full, "split_secs"),
    );
    println!(
        "  shoplens V-SKNN, {THREADS} threads: fit (index) {:.2} s, {:.0} predictions in {:.1} s = {:.0} predictions/s; index {:.0} MB, peak {:.0} MB; expected HR@20 {:.4}, MRR@20 {:.4}",
        get(&full, "fit_secs"),
        get(&full, "predictions"),
        get(&full, "eval_secs"),
        get(&full, "predictions_per_sec"),
        get(&full, "index_mb"),
        get(&full, "peak_mb"),
        get(&full, "expected_hr"),
        get(&full, "expected_mrr"),
    );

    // 2. The first test sessions, beside session-rec.
    let dir = std::env::temp_dir().join("shoplens-bench-sessions");
    let d = dir.to_string_lossy().into_owned();
    let n = PEER_SESSIONS.to_string();
    let ours = run(&[&exe, "--child", &p, "vsknn", &n, &d]);
    let train = dir.join("train.tsv").to_string_lossy().into_owned();
    let test = dir.join("test.tsv").to_string_lossy().into_owned();
    println!(
        "  first {n} test sessions ({:.0} predictions): shoplens {:.0} predictions/s, expected HR@20 {:.6}, MRR@20 {:.6}",
        get(&ours, "predictions"),
        get(&ours, "predictions_per_sec"),
        get(&ours, "expected_hr"),
        get(&ours, "expected_mrr"),
    );
    match peer(&["split", &train, &test, "--models", "vsknn"]) {
        Ok(lines) => {
            for v in lines.iter().filter(|v| v.get("model").is_some()) {
                println!(
                    "  session-rec V-SKNN (1 thread): fit {:.1} s, {} predictions = {:.0} predictions/s, peak {:.0} MB; expected HR@20 {:.6}, MRR@20 {:.6}",
                    v["fit_secs"].as_f64().unwrap_or(f64::NAN),
                    v["predictions"],
                    v["predictions_per_sec"].as_f64().unwrap_or(f64::NAN),
                    v["peak_mb"].as_f64().unwrap_or(f64::NAN),
                    v["expected_hr@20"].as_f64().unwrap_or(f64::NAN),
                    v["expected_mrr@20"].as_f64().unwrap_or(f64::NAN),
                );
            }
        }
        Err(why) => eprintln!("SKIPPED session-rec on the generated store: {why}"),
    }

    // 3. DIGINETICA, every model.
    let digi = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/diginetica-sample/sample_train-item-views.csv");
    if !digi.exists() {
        eprintln!("SKIPPED DIGINETICA: ../shared/data is absent");
        return;
    }
    let g = digi.to_string_lossy().into_owned();
    let theirs = peer(&["diginetica", &g]).unwrap_or_else(|why| {
        eprintln!("SKIPPED session-rec on DIGINETICA: {why}");
        Vec::new()
    });
    println!("DIGINETICA sample (expected HR@20 / MRR@20 over random tie orders):");
    for kind in SessionKind::ALL {
        let o = run(&[&exe, "--child", &g, kind.name(), "0"]);
        let peer = theirs.iter().find(|v| v["model"] == kind.name());
        println!(
            "  {:<6} shoplens {:.6} / {:.6} ({:.0} predictions/s){}",
            kind.name(),
            get(&o, "expected_hr"),
            get(&o, "expected_mrr"),
            get(&o, "predictions_per_sec"),
            peer.map_or(String::new(), |v| format!(
                "   session-rec {:.6} / {:.6} ({:.0} predictions/s)",
                v["expected_hr@20"].as_f64().unwrap_or(f64::NAN),
                v["expected_mrr@20"].as_f64().unwrap_or(f64::NAN),
                v["predictions_per_sec"].as_f64().unwrap_or(f64::NAN),
            )),
        );
    }
}
