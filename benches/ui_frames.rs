//! Frame times of the real app while a model trains: ALS on a 2,000,000-event
//! generated store, or SASRec on a sequence file. The app is stepped
//! headless with egui_kittest as fast as a 60 Hz display would ask, and each
//! step (the whole egui frame) and the time inside our own `ui()` are
//! recorded.
//!
//! `cargo bench --bench ui_frames` (SHOPLENS_BENCH_EVENTS=N for another size);
//! `SHOPLENS_BENCH_MODEL=sasrec SHOPLENS_BENCH_DATA=../shared/data/amazon-games-sasrec/Video.txt.gz
//! cargo bench --bench ui_frames` for SASRec (3 epochs);
//! `SHOPLENS_BENCH_MODEL=search SHOPLENS_BENCH_DATA=../shared/data/movielens-100k/u.data
//! cargo bench --bench ui_frames` for the Runs tab's TPE search of ALS (its
//! default space, the study view growing live), measured for at most
//! SHOPLENS_BENCH_SECS seconds (default 120), then stopped.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use shoplens::recsys::params::RecommenderKind;
use shoplens::workbench::JobKind;

fn store() -> PathBuf {
    if let Ok(path) = std::env::var("SHOPLENS_BENCH_DATA") {
        return PathBuf::from(path);
    }
    common::generated_store(
        "shoplens-bench-ui",
        2_000_000,
        |events| (events / 50, 20_000),
        11,
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let path = store();
    let mut harness = egui_kittest::Harness::builder()
        .with_size(eframe::egui::vec2(1280.0, 800.0))
        .with_max_steps(100_000)
        .build_eframe(move |cc| {
            shoplens::ui::ShoplensApp::new(&cc.egui_ctx, Default::default(), Some(path.clone()))
        });
    let loading = Instant::now();
    while harness.state().is_busy() && loading.elapsed() < Duration::from_secs(600) {
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let rows = harness
        .state()
        .bench()
        .data()
        .map_or(0, |d| d.loaded.profile.rows);
    let mode = std::env::var("SHOPLENS_BENCH_MODEL").unwrap_or_default();
    let sasrec = mode == "sasrec";
    let search = mode == "search";
    let limit = std::env::var("SHOPLENS_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if search { 120.0 } else { 900.0 });
    // (From the Data tab: the Recommend tab has a "Runs" heading of its own.)
    harness
        .get_by_label(if search { "Runs" } else { "Recommend" })
        .click();
    harness.run_steps(3);
    if search {
        harness.get_by_label("Search").click();
        harness.run_steps(3);
    } else if sasrec {
        harness
            .state_mut()
            .set_recommend_model(RecommenderKind::SasRec);
        harness.run_steps(2);
        harness
            .state_mut()
            .set_recommend_param("epochs", 3.into())
            .expect("epochs");
    } else {
        harness
            .state_mut()
            .set_recommend_param("iterations", 15.into())
            .expect("iterations");
        harness.state_mut().recommend_options_mut().validate_every = 5;
    }
    let job = if search {
        harness.get_by_label("Start search").click();
        JobKind::Sweep
    } else {
        harness.get_by_label("Train").click();
        JobKind::Train(shoplens::recsys::KIND)
    };
    harness.step();
    let (mut steps, mut ours) = (Vec::new(), Vec::new());
    let training = Instant::now();
    while harness.state().is_job_active(job) && training.elapsed().as_secs_f64() < limit {
        let before = harness.state().frame_stats().frames;
        let t = Instant::now();
        harness.step();
        steps.push(t.elapsed().as_secs_f64() * 1e3);
        let stats = harness.state().frame_stats();
        if stats.frames > before {
            ours.push(stats.last_frame_secs * 1e3);
        }
        std::thread::sleep(Duration::from_millis(16));
    }
    let train_secs = training.elapsed().as_secs_f64();
    let runs = harness.state().bench().runs().len();
    if search {
        harness
            .state_mut()
            .send(shoplens::workbench::Command::Cancel(job));
        println!("search: {runs} trials in {train_secs:.1} s of measurement");
    }
    let epochs = harness
        .state()
        .bench()
        .runs()
        .entries
        .last()
        .map_or(0, |e| e.record.curve.len());
    steps.sort_by(f64::total_cmp);
    ours.sort_by(f64::total_cmp);
    println!(
        "model {}, rows {rows}",
        if sasrec {
            "SASRec"
        } else if search {
            "ALS, TPE search"
        } else {
            "ALS"
        }
    );
    println!("training_secs {train_secs:.2} ({epochs} epochs recorded)");
    println!("frames {}", steps.len());
    for (name, v) in [("step", &steps), ("our_ui", &ours)] {
        println!(
            "{name}_ms p50 {:.2} p99 {:.2} max {:.2}",
            percentile(v, 0.5),
            percentile(v, 0.99),
            v.last().copied().unwrap_or(f64::NAN)
        );
    }
}
