//! The TPE sampler's own time per trial: proposing trial n of a study of
//! the ALS space (factors 8..128 log int, regularization 1e-4..1
//! log, alpha 0.1..10 log, iterations 5..30 int) given n − 1 earlier trials
//! on a synthetic objective, for n up to 200. What a search waits for
//! between two trials, minus the model. Also the random-forest importance
//! the study view fits once per new trial.
//!
//! `cargo bench --bench tpe_sampler` (set SHOPLENS_BENCH_TRIALS for more).

use std::collections::BTreeMap;
use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use shoplens::runs::search::importance::importance;
use shoplens::runs::search::{tpe, Dimension, Trial, TrialState};

fn main() {
    let n: usize = std::env::var("SHOPLENS_BENCH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let space: Vec<Dimension> = [
        "factors=8..128:log:int",
        "regularization=1e-4..1:log",
        "alpha=0.1..10:log",
        "iterations=5..30:int",
    ]
    .iter()
    .map(|s| Dimension::parse(s).expect("space"))
    .collect();
    // A smooth objective with its peak inside the space.
    let objective = |p: &BTreeMap<String, serde_json::Value>| {
        let f = |k: &str| p[k].as_f64().unwrap_or(0.0);
        -(f("factors").ln() - 48f64.ln()).powi(2)
            - 0.3 * (f("regularization").log10() + 2.0).powi(2)
            - 0.5 * (f("alpha").log10() - 0.5).powi(2)
            - 0.01 * (f("iterations") - 15.0).powi(2)
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut trials: Vec<Trial> = Vec::new();
    let mut times = Vec::with_capacity(n);
    for number in 0..n {
        let started = Instant::now();
        let judged: Vec<&Trial> = trials.iter().collect();
        let params: BTreeMap<String, serde_json::Value> = space
            .iter()
            .map(|d| {
                let v = if judged.len() < tpe::N_STARTUP_TRIALS {
                    d.random(&mut rng)
                } else {
                    tpe::sample(d, &judged, &mut rng)
                };
                (d.name.clone(), v)
            })
            .collect();
        times.push(started.elapsed().as_secs_f64() * 1e3);
        let value = objective(&params);
        trials.push(Trial {
            number,
            state: TrialState::Done,
            value: Some(value),
            params,
            steps: Vec::new(),
            run: None,
        });
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    let last = &times[n.saturating_sub(10)..];
    println!("TPE sampler, 4 parameters, {n} trials:");
    println!("  mean time per trial        {:.3} ms", mean(&times));
    println!(
        "  trials {}..{}: mean {:.3} ms, max {:.3} ms",
        n - last.len() + 1,
        n,
        mean(last),
        last.iter().copied().fold(0.0, f64::max)
    );
    let best = trials
        .iter()
        .filter_map(|t| t.value)
        .fold(f64::NEG_INFINITY, f64::max);
    println!("  best synthetic value       {best:.4} (0 is the peak)");
    let started = Instant::now();
    let imp = importance(&space, &trials, 0);
    println!(
        "  random-forest importance over {n} trials: {:.1} ms ({})",
        started.elapsed().as_secs_f64() * 1e3,
        imp.iter()
            .map(|(p, s)| format!("{p} {s:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(peak) = shoplens::task::peak_memory_mb() {
        println!("  peak memory {peak:.0} MB");
    }
}
