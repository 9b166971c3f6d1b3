//! EASE's closed form side by side with numpy: the same Gram matrix
//! `XᵀX + λI` of the same train split, inverted by shoplens (faer: blocked
//! Cholesky and triangular solves) and by numpy (`np.linalg.inv`, LAPACK
//! LU through OpenBLAS), each turned into `B`. Times, peak memory (each in
//! its own process) and the largest difference between the two `B`s.
//!
//! `cargo bench --bench ease`. Data: UCI Online Retail from ../shared/data
//! (skipped when absent) and a generated store with 20,000 items (shoplens
//! only, unless SHOPLENS_BENCH_NUMPY_20K=1: numpy takes many minutes there).
//! numpy runs when `python3 -c "import numpy"` works.

mod common;
use common::get;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::recsys::matrix::{Csr, Interactions, MatrixOptions};
use shoplens::recsys::models::{fit, FitContext, ModelSnapshot};
use shoplens::recsys::params::{EaseParams, ModelParams, TrainOptions};
use shoplens::recsys::split::{split, Split};
use shoplens::task::CancelToken;

const LAMBDA: f32 = 250.0;

fn train_of(path: &Path) -> Csr {
    let ds = load_dataset(
        path,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .expect("load");
    let data =
        Arc::new(Interactions::from_dataset(&ds, &MatrixOptions::default()).expect("matrix"));
    split(&data, &Split::LeaveLastOut).expect("split").train
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

/// In a child process: fit EASE with `threads`, print seconds and peak memory,
/// and write the Gram matrix and `B` for numpy when `dump` is set.
fn child(path: &Path, threads: usize, dump: Option<&Path>) {
    let train = train_of(path);
    let cancel = CancelToken::new();
    let pool = shoplens::task::thread_pool(threads).expect("pool");
    let ctx = FitContext::quiet(&cancel, &pool);
    let params = ModelParams::Ease(EaseParams {
        lambda: LAMBDA,
        max_items: 50_000,
    })
    .checked()
    .expect("params");
    let before = common::peak_mb();
    let start = Instant::now();
    let model = fit(&params, &train, &TrainOptions::default(), &ctx)
        .expect("fit")
        .model;
    let secs = start.elapsed().as_secs_f64();
    println!("items {}", train.n_cols);
    println!("secs {secs}");
    println!("peak_mb {}", common::peak_mb());
    println!("peak_before_mb {before}");
    if let (Some(dir), ModelSnapshot::Ease(ease)) = (dump, model.snapshot()) {
        let n = train.n_cols;
        let mut g = vec![0f64; n * n];
        for u in 0..train.n_rows {
            let (c, v) = train.row(u);
            for (a, &i) in c.iter().enumerate() {
                for (b, &j) in c.iter().enumerate() {
                    g[i as usize * n + j as usize] += f64::from(v[a]) * f64::from(v[b]);
                }
            }
        }
        for d in 0..n {
            g[d * n + d] += f64::from(LAMBDA);
        }
        let bytes: Vec<u8> = g.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(dir.join("gram.f64"), bytes).expect("write gram");
        let bytes: Vec<u8> = ease
            .weights()
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        std::fs::write(dir.join("b.f32"), bytes).expect("write b");
    }
}

const NUMPY: &str = r#"
import sys, time
import numpy as np
d, n = sys.argv[1], int(sys.argv[2])
G = np.fromfile(d + "/gram.f64", dtype=np.float64).reshape(n, n)
t = time.perf_counter()
P = np.linalg.inv(G)
B = P / (-np.diag(P))
np.fill_diagonal(B, 0.0)
secs = time.perf_counter() - t
ours = np.fromfile(d + "/b.f32", dtype=np.float32).reshape(n, n)
print("secs", secs)
# VmHWM, not ru_maxrss, which on Linux keeps this benchmark's own peak across exec.
print("peak_mb", next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024)
print("max_abs_diff", float(np.abs(B - ours).max()))
print("max_abs_b", float(np.abs(B).max()))
"#;

fn run(args: &[&str], threads: Option<&str>) -> Vec<(String, String)> {
    let (exe, rest) = args.split_first().expect("args");
    let mut cmd = Command::new(exe);
    cmd.args(rest);
    if let Some(t) = threads {
        cmd.env("OPENBLAS_NUM_THREADS", t).env("OMP_NUM_THREADS", t);
    }
    common::key_values(cmd, &format!("{args:?}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let dump = args.get(i + 3).map(PathBuf::from);
        child(
            Path::new(&args[i + 1]),
            args[i + 2].parse().expect("threads"),
            dump.as_deref(),
        );
        return;
    }
    let numpy = Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !numpy {
        eprintln!("SKIPPED numpy: `pip install numpy` to run the side-by-side check");
    }
    let exe = std::env::current_exe().expect("exe");
    let exe = exe.to_string_lossy().into_owned();
    let retail = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/uci-online-retail/OnlineRetail.csv.gz");
    let mut datasets = Vec::new();
    if retail.exists() {
        datasets.push(("uci-online-retail", retail, numpy));
    } else {
        eprintln!("SKIPPED Online Retail: ../shared/data is absent");
    }
    let numpy_20k = numpy && std::env::var("SHOPLENS_BENCH_NUMPY_20K").is_ok();
    datasets.push(("generated-20000-items", generated_store(), numpy_20k));
    for (name, path, with_numpy) in datasets {
        let dir = tempfile_dir(name);
        let p = path.to_string_lossy().into_owned();
        let d = dir.to_string_lossy().into_owned();
        // Interleaved rounds: this machine's timings swing ±20–30%.
        let rounds = if with_numpy { 3 } else { 1 };
        let (mut one, mut two, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
        let (mut items, mut peak_one, mut peak_two, mut peak_np, mut diff, mut scale) =
            (0.0, 0.0f64, 0.0f64, 0.0f64, f64::NAN, f64::NAN);
        for round in 0..rounds {
            let dump = (round == 0 && with_numpy).then_some(d.as_str());
            let mut a = vec![exe.as_str(), "--child", p.as_str(), "1"];
            a.extend(dump);
            let r1 = run(&a, None);
            let r2 = run(&[exe.as_str(), "--child", p.as_str(), "2"], None);
            items = get(&r1, "items");
            one.push(get(&r1, "secs"));
            two.push(get(&r2, "secs"));
            peak_one = peak_one.max(get(&r1, "peak_mb"));
            peak_two = peak_two.max(get(&r2, "peak_mb"));
            if with_numpy {
                let n = format!("{items}");
                let r = run(&["python3", "-c", NUMPY, d.as_str(), n.as_str()], Some("1"));
                theirs.push(get(&r, "secs"));
                peak_np = peak_np.max(get(&r, "peak_mb"));
                diff = get(&r, "max_abs_diff");
                scale = get(&r, "max_abs_b");
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        println!("{name}: {items} items, λ = {LAMBDA}, median of {rounds} interleaved rounds");
        println!(
            "  shoplens 1 thread  {:.2} s, peak {:.0} MB (EASE fit: Gram, Cholesky, inverse, B)",
            median(&mut one),
            peak_one
        );
        println!(
            "  shoplens 2 threads {:.2} s, peak {:.0} MB",
            median(&mut two),
            peak_two
        );
        if with_numpy {
            println!(
                "  numpy 1 thread     {:.2} s, peak {:.0} MB (inv + B on the same Gram matrix)",
                median(&mut theirs),
                peak_np
            );
            println!("  largest |B_numpy − B_shoplens| {diff:.2e} (largest |B| {scale:.3})");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shoplens-bench-ease-{name}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
