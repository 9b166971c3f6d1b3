//! The check of every line of a file too big to open (what runs before
//! Spark reads a raw file), on a generated store of 10,000,000 events
//! (override with SHOPLENS_BENCH_EVENTS): the plain CSV, walked in place,
//! and the same file gzipped, decompressed as it is walked. The peer for the
//! gzip file is `gzip -dc FILE > /dev/null`, the cost of decompressing
//! alone. Each measurement runs in its own process (peak memory its own),
//! three alternated rounds, medians.
//!
//! Run: `cargo bench --bench file_check`.

mod common;
use common::get;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use shoplens::data::file_check::check_file;
use shoplens::task::CancelToken;

/// The load benchmark's generated store and a gzip copy of it beside it,
/// made once.
fn bench_files() -> (PathBuf, PathBuf) {
    let plain = common::load_bench_store();
    let gzipped = plain.with_extension("csv.gz");
    if !gzipped.exists() {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "gzip -6 -c '{}' > '{}'",
                plain.display(),
                gzipped.display()
            ))
            .status()
            .expect("run gzip");
        assert!(status.success(), "gzip failed");
    }
    (plain, gzipped)
}

/// Child mode: one check, printed as `key value` lines.
fn child(path: &Path) {
    let start = Instant::now();
    let found = check_file(
        path,
        (b',', Some(b'"')),
        false,
        &CancelToken::new(),
        &|_, _| {},
    )
    .expect("a good file");
    println!("secs {}", start.elapsed().as_secs_f64());
    println!("records {}", found.records);
    println!("peak_mb {}", common::peak_mb());
}

fn check(path: &Path) -> Vec<(String, String)> {
    let mut cmd = Command::new(std::env::current_exe().expect("exe"));
    cmd.arg("--child").arg(path);
    common::key_values(cmd, "check")
}

/// Seconds `gzip -dc` takes to decompress `path` to nowhere.
fn gunzip_secs(path: &Path) -> f64 {
    let start = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -dc '{}' > /dev/null", path.display()))
        .status()
        .expect("run gzip");
    assert!(status.success(), "gzip -dc failed");
    start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]));
        return;
    }
    let (plain, gzipped) = bench_files();
    let mb = |p: &Path| std::fs::metadata(p).map_or(f64::NAN, |m| m.len() as f64 / 1e6);
    println!(
        "{} ({:.0} MB) and {} ({:.0} MB)",
        plain.display(),
        mb(&plain),
        gzipped.display(),
        mb(&gzipped)
    );
    let (mut plain_secs, mut gz_secs, mut peer_secs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut plain_peak, mut gz_peak, mut records) = (0f64, 0f64, 0.0);
    for round in 0..3 {
        let p = check(&plain);
        let g = check(&gzipped);
        let z = gunzip_secs(&gzipped);
        println!(
            "round {round}: plain {:.2} s | gzip {:.2} s | gzip -dc {z:.2} s",
            get(&p, "secs"),
            get(&g, "secs")
        );
        assert_eq!(get(&p, "records"), get(&g, "records"));
        records = get(&g, "records");
        plain_secs.push(get(&p, "secs"));
        gz_secs.push(get(&g, "secs"));
        peer_secs.push(z);
        plain_peak = plain_peak.max(get(&p, "peak_mb"));
        gz_peak = gz_peak.max(get(&g, "peak_mb"));
    }
    let (p, g, z) = (median(plain_secs), median(gz_secs), median(peer_secs));
    println!(
        "median of 3, {records} records: plain {p:.2} s ({:.0} MB/s, peak {plain_peak:.0} MB) | gzip {g:.2} s ({:.0} MB/s of text, peak {gz_peak:.0} MB) = {:.2}x gzip -dc ({z:.2} s)",
        mb(&plain) / p,
        mb(&plain) / g,
        g / z
    );
}
