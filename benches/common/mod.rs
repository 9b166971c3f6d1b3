//! What the benchmarks share: this process's peak memory, and the `key value`
//! lines a benchmark's child process prints (each measurement runs in its
//! own process, so its peak memory is its own).
#![allow(dead_code)] // each benchmark uses its part

use std::path::PathBuf;
use std::process::Command;

/// Peak resident memory of this process so far (VmHWM), in MB; NaN where
/// /proc is not there.
pub fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Run `cmd` and read its `key value` lines; panics (naming `what`, with
/// the child's stderr) when it fails.
pub fn key_values(mut cmd: Command, what: &str) -> Vec<(String, String)> {
    let out = cmd.output().expect("spawn");
    if !out.status.success() {
        panic!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// The number under `key`, NaN when absent.
pub fn get(kv: &[(String, String)], key: &str) -> f64 {
    kv.iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// A generated store of `SHOPLENS_BENCH_EVENTS` events (else
/// `default_events`), made once in the temp folder as `{name}-{events}`,
/// with the customers and items `shape` gives for that many events.
pub fn generated_store(
    name: &str,
    default_events: usize,
    shape: impl Fn(usize) -> (usize, usize),
    seed: u64,
) -> PathBuf {
    let events: usize = std::env::var("SHOPLENS_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_events);
    let dir = std::env::temp_dir().join(format!("{name}-{events}"));
    let path = dir.join("events.csv");
    if !path.exists() {
        let start = std::time::Instant::now();
        let (users, items) = shape(events);
        let params = shoplens::data::generate::GenerateParams {
            users,
            items,
            events,
            seed,
            out: dir,
            image_dir: None,
        };
        shoplens::data::generate::generate(&params, &|_, _| {}).expect("generate");
        eprintln!(
            "generated {events} events in {:.1}s",
            start.elapsed().as_secs_f64()
        );
    }
    path
}

/// The load benchmark's store: 10,000,000 events (or
/// `SHOPLENS_BENCH_EVENTS`), a customer per 50 and an item per 200.
pub fn load_bench_store() -> PathBuf {
    generated_store(
        "shoplens-bench",
        10_000_000,
        |events| (events / 50, (events / 200).max(1000)),
        7,
    )
}
