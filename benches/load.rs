//! Load benchmark: a generated store of 10,000,000 events (override with
//! SHOPLENS_BENCH_EVENTS), read by polars' own CSV reader and by shoplens'
//! loader, then profiled; peak memory of each in its own process; and the UI's
//! frame time while the file loads in the background.
//!
//! Run: `cargo bench --bench load`. Each measurement runs in a child process of
//! this binary so that its peak RSS (VmHWM) is its own.

mod common;
use common::get;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use polars::prelude::*;
use shoplens::data::{load_dataset, profile, LoadOptions};
use shoplens::task::CancelToken;

/// Child mode: one measurement, printed as `key value` lines.
fn child(mode: &str, path: &Path) {
    let start = Instant::now();
    match mode {
        "polars" => {
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(path.to_path_buf()))
                .and_then(|r| r.finish())
                .expect("polars read");
            let secs = start.elapsed().as_secs_f64();
            println!("rows {}", df.height());
            println!("secs {secs}");
            println!("df_mb {}", df.estimated_size() as f64 / 1e6);
        }
        "shoplens" => {
            let ds = load_dataset(
                path,
                &LoadOptions::default(),
                &CancelToken::new(),
                &|_, _| {},
            )
            .expect("load");
            let load_secs = start.elapsed().as_secs_f64();
            let p = profile(&ds, &CancelToken::new(), &|_, _| {}).expect("profile");
            println!("rows {}", ds.df.height());
            println!("secs {load_secs}");
            println!("profile_secs {}", p.profile_secs);
            println!("df_mb {}", ds.df.estimated_size() as f64 / 1e6);
        }
        "ui" => ui_frames(path),
        other => panic!("unknown mode {other}"),
    }
    println!("peak_mb {}", common::peak_mb());
}

/// Step the real app (headless, egui_kittest) while it loads the file and time
/// each frame of our own UI code.
fn ui_frames(path: &Path) {
    // Start on the small sample store (the builder steps the app until it
    // settles), then open the big file the way File > Open does and time frames.
    let mut harness = egui_kittest::Harness::builder()
        .with_size(eframe::egui::vec2(1280.0, 800.0))
        .with_max_steps(10_000)
        .build_eframe(|cc| shoplens::ui::ShoplensApp::new(&cc.egui_ctx, Default::default(), None));
    let settle = Instant::now();
    while harness.state().is_busy() && settle.elapsed() < Duration::from_secs(60) {
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness
        .state_mut()
        .send(shoplens::workbench::Command::OpenFile(path.to_path_buf()));
    let mut frame_secs = Vec::new();
    let start = Instant::now();
    while harness.state().is_busy() && start.elapsed() < Duration::from_secs(600) {
        let t = Instant::now();
        harness.step();
        frame_secs.push(t.elapsed().as_secs_f64());
        std::thread::sleep(Duration::from_millis(16));
    }
    harness.run_steps(2);
    frame_secs.sort_by(f64::total_cmp);
    let n = frame_secs.len().max(1);
    println!("frames {}", frame_secs.len());
    println!("load_secs {}", start.elapsed().as_secs_f64());
    println!(
        "frame_p50_ms {}",
        1e3 * frame_secs.get(n / 2).copied().unwrap_or(0.0)
    );
    println!(
        "frame_p99_ms {}",
        1e3 * frame_secs.get(n * 99 / 100).copied().unwrap_or(0.0)
    );
    println!(
        "frame_max_ms {}",
        1e3 * frame_secs.last().copied().unwrap_or(0.0)
    );
    println!(
        "loaded {}",
        harness
            .state()
            .bench()
            .data()
            .map_or(0, |v| v.loaded.profile.rows)
    );
}

fn run_child(mode: &str, path: &Path) -> Vec<(String, String)> {
    let exe = std::env::current_exe().expect("exe");
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(mode).arg(path);
    common::key_values(cmd, mode)
}

fn main() {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .try_init();
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let path = common::load_bench_store();
    let size_mb = std::fs::metadata(&path)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(f64::NAN);
    println!("file {} ({size_mb:.0} MB)", path.display());
    // Alternate the two readers over several rounds and compare medians: this
    // machine's timings swing by ±30% between identical runs.
    let rounds = 5;
    let (mut polars_secs, mut ours_secs, mut profile_secs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut polars_peak, mut ours_peak, mut df_mb, mut rows) = (0.0f64, 0.0f64, 0.0, 0.0);
    for round in 0..rounds {
        let p = run_child("polars", &path);
        let s = run_child("shoplens", &path);
        println!(
            "round {round}: polars CsvReader {:.2}s | shoplens load {:.2}s + profile {:.2}s",
            get(&p, "secs"),
            get(&s, "secs"),
            get(&s, "profile_secs")
        );
        polars_secs.push(get(&p, "secs"));
        ours_secs.push(get(&s, "secs"));
        profile_secs.push(get(&s, "profile_secs"));
        polars_peak = polars_peak.max(get(&p, "peak_mb"));
        ours_peak = ours_peak.max(get(&s, "peak_mb"));
        df_mb = get(&s, "df_mb");
        rows = get(&s, "rows");
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (p, o, pr) = (
        median(&mut polars_secs),
        median(&mut ours_secs),
        median(&mut profile_secs),
    );
    println!(
        "median of {rounds}: polars CsvReader {p:.2}s ({:.1} M rows/s, peak {polars_peak:.0} MB) | shoplens load {o:.2}s ({:.1} M rows/s, {:.2}x polars) + profile {pr:.2}s; peak {ours_peak:.0} MB = {:.2}x its DataFrame ({df_mb:.0} MB)",
        rows / p / 1e6,
        rows / o / 1e6,
        o / p,
        ours_peak / df_mb
    );
    let ui = run_child("ui", &path);
    println!(
        "ui while loading ({:.1}s in the app): {} frames, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; rows shown {}",
        get(&ui, "load_secs"),
        get(&ui, "frames"),
        get(&ui, "frame_p50_ms"),
        get(&ui, "frame_p99_ms"),
        get(&ui, "frame_max_ms"),
        get(&ui, "loaded")
    );
}
