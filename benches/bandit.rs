//! The bandit lab's two jobs, each in its own process so its peak memory is
//! its own:
//! 1. the race of 4 policies × 200 replications × 20,000 rounds (16 M
//!    decisions) on the arms 0.05…0.01, on 1 and on 2 threads;
//!    the same with three user segments that each prefer another arm,
//!    racing Thompson sampling, LinUCB, linear and logistic Thompson
//!    sampling;
//! 2. off-policy evaluation of the uniform policy on the Open Bandit
//!    Dataset's `bts/all` log (10,000 rounds) with 1,000 bootstrap
//!    resamples, beside obp 0.5.7's estimators on the same log and the same
//!    reward model (`benches/peers/obp_ope.py`), when an obp environment is
//!    there (`bash ../shared/tools/setup-obp-env.sh`; or `OBP_PYTHON`).
//!
//! `cargo bench --bench bandit`.

mod common;
use common::{get, key_values, peak_mb};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use shoplens::bandit::arms::{typed_arms, typed_segments};
use shoplens::bandit::log::BanditLog;
use shoplens::bandit::ope::evaluate;
use shoplens::bandit::params::{EvalPolicy, EvaluationParams, PolicyChoice, SimulationParams};
use shoplens::bandit::simulate::simulate;
use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::task::{CancelToken, Reporter};

/// A race of 16 M decisions: context-free arms 0.05…0.01 (`contextual`
/// false) or three user segments that each prefer another of three arms.
fn child_simulation(threads: usize, contextual: bool) {
    let (arms, segments) = if contextual {
        typed_segments("0.05,0.01,0.01;0.01,0.05,0.01;0.01,0.01,0.05", "").expect("segments")
    } else {
        (
            typed_arms("0.05,0.04,0.03,0.02,0.01").expect("arms"),
            Vec::new(),
        )
    };
    let names: &[&str] = if contextual {
        &["thompson", "linucb", "lints", "logistic-ts"]
    } else {
        &["uniform", "epsilon:0.1", "ucb1", "thompson"]
    };
    let policies: Vec<PolicyChoice> = names
        .iter()
        .map(|p| PolicyChoice::parse(p).expect("policy"))
        .collect();
    let params = SimulationParams {
        horizon: 20_000,
        replications: 200,
        threads,
        ..Default::default()
    }
    .checked()
    .expect("params");
    let cancel = CancelToken::new();
    let pool = shoplens::task::thread_pool(threads).expect("pool");
    let started = Instant::now();
    let r = pool
        .install(|| {
            simulate(
                &arms,
                &segments,
                &policies,
                &params,
                1,
                &Reporter::silent(&cancel),
            )
        })
        .expect("simulate");
    let secs = started.elapsed().as_secs_f64();
    println!("secs {secs}");
    println!("decisions {}", r.finished * r.horizon * r.policies.len());
    for p in &r.policies {
        println!("regret_{} {}", p.policy, p.mean_regret);
    }
    println!("peak_mb {}", peak_mb());
}

fn child_evaluation(path: &Path, policy: &str, threads: usize) {
    let cancel = CancelToken::new();
    let started = Instant::now();
    let ds = load_dataset(path, &LoadOptions::default(), &cancel, &|_, _| {}).expect("load");
    let log = BanditLog::from_dataset(&ds).expect("log");
    let load_secs = started.elapsed().as_secs_f64();
    let params = EvaluationParams {
        policy: match policy {
            "thompson" => EvalPolicy::Thompson,
            _ => EvalPolicy::Uniform,
        },
        train_fraction: if policy == "thompson" { 0.5 } else { 0.0 },
        bootstrap: 1000,
        ..Default::default()
    }
    .checked()
    .expect("params");
    let pool = shoplens::task::thread_pool(threads).expect("pool");
    let started = Instant::now();
    let r = pool
        .install(|| evaluate(&log, &params, 1, &Reporter::silent(&cancel)))
        .expect("evaluate");
    println!("load_secs {load_secs}");
    println!("secs {}", started.elapsed().as_secs_f64());
    println!("rounds {}", r.rounds);
    let e = &r.estimates;
    for (name, x) in [
        ("ipw", &e.ipw),
        ("snipw", &e.snipw),
        ("dm", &e.dm),
        ("dr", &e.dr),
    ] {
        println!("{name} {}", x.value);
        println!("{name}_lo {}", x.ci[0]);
        println!("{name}_hi {}", x.ci[1]);
    }
    println!("peak_mb {}", peak_mb());
}

fn run(args: &[&str]) -> Vec<(String, String)> {
    let exe = std::env::current_exe().expect("exe");
    let mut cmd = Command::new(exe);
    cmd.args(args);
    key_values(cmd, &format!("{args:?}"))
}

/// The obp environment's Python and its torch stand-in, when set up.
fn obp_python() -> Option<(PathBuf, Option<PathBuf>)> {
    if let Ok(p) = std::env::var("OBP_PYTHON") {
        return Some((
            PathBuf::from(p),
            std::env::var("OBP_PYTHONPATH").ok().map(PathBuf::from),
        ));
    }
    let venv = PathBuf::from(std::env::var("HOME").ok()?).join(".cache/obp-venv");
    let python = venv.join("bin/python");
    python
        .exists()
        .then(|| (python, Some(venv.join("torchstub"))))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let threads: usize = args[i + 2].parse().expect("threads");
        match args[i + 1].as_str() {
            "sim" => child_simulation(threads, false),
            "ctx" => child_simulation(threads, true),
            _ => child_evaluation(Path::new(&args[i + 3]), &args[i + 4], threads),
        }
        return;
    }
    println!("1. Simulation: 4 policies × 200 replications × 20,000 rounds, arms 0.05…0.01");
    for threads in ["1", "2"] {
        let kv = run(&["--child", "sim", threads]);
        let secs = get(&kv, "secs");
        println!(
            "  shoplens, {threads} thread(s): {:.2} s = {:.1} M decisions/s, peak {:.0} MB; regret at T: uniform {:.1}, ε-greedy {:.1}, UCB1 {:.1}, Thompson {:.1}",
            secs,
            get(&kv, "decisions") / secs / 1e6,
            get(&kv, "peak_mb"),
            get(&kv, "regret_uniform"),
            get(&kv, "regret_epsilon:0.1"),
            get(&kv, "regret_ucb1"),
            get(&kv, "regret_thompson"),
        );
    }
    println!("1b. Contextual simulation: 4 policies × 200 replications × 20,000 rounds, three segments each preferring another of three arms (0.05 vs 0.01)");
    for threads in ["1", "2"] {
        let kv = run(&["--child", "ctx", threads]);
        let secs = get(&kv, "secs");
        println!(
            "  shoplens, {threads} thread(s): {:.2} s = {:.1} M decisions/s, peak {:.0} MB; regret at T: Thompson {:.1}, LinUCB {:.1}, linear TS {:.1}, logistic TS {:.1}",
            secs,
            get(&kv, "decisions") / secs / 1e6,
            get(&kv, "peak_mb"),
            get(&kv, "regret_thompson"),
            get(&kv, "regret_linucb"),
            get(&kv, "regret_lints"),
            get(&kv, "regret_logistic-ts"),
        );
    }
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/open-bandit-dataset-sample");
    let log = dir.join("bts/all/all.csv");
    if !log.exists() {
        println!("SKIPPED off-policy evaluation: {} is absent", log.display());
        return;
    }
    println!("2. Off-policy evaluation on bts/all (10,000 rounds), 1,000 bootstrap resamples");
    let log_s = log.to_string_lossy().into_owned();
    for (policy, what) in [
        ("uniform", "uniform policy, every row"),
        (
            "thompson",
            "Thompson sampling learnt on the first half, estimated on the second",
        ),
    ] {
        for threads in ["1", "2"] {
            let kv = run(&["--child", "ope", threads, &log_s, policy]);
            println!(
                "  shoplens {what}, {threads} thread(s): {:.3} s (load {:.2} s), peak {:.0} MB; IPW {:.7} [{:.7}, {:.7}], SNIPW {:.7}, DM {:.7}, DR {:.7} [{:.7}, {:.7}]",
                get(&kv, "secs"),
                get(&kv, "load_secs"),
                get(&kv, "peak_mb"),
                get(&kv, "ipw"),
                get(&kv, "ipw_lo"),
                get(&kv, "ipw_hi"),
                get(&kv, "snipw"),
                get(&kv, "dm"),
                get(&kv, "dr"),
                get(&kv, "dr_lo"),
                get(&kv, "dr_hi"),
            );
        }
    }
    let Some((python, path)) = obp_python() else {
        println!("SKIPPED obp: no obp environment (bash ../shared/tools/setup-obp-env.sh, or set OBP_PYTHON)");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/obp_ope.py");
    let mut cmd = Command::new(python);
    cmd.arg(script).arg(&dir).args(["bts", "1000", "1"]);
    if let Some(p) = path {
        cmd.env("PYTHONPATH", p);
    }
    let kv = key_values(cmd, "obp");
    println!(
        "  obp 0.5.7 uniform policy: point estimates {:.3} s, 1,000-sample intervals {:.3} s (load {:.2} s), peak {:.0} MB; IPW {:.7} [{:.7}, {:.7}], SNIPW {:.7}, DM {:.7}, DR {:.7} [{:.7}, {:.7}]",
        get(&kv, "point_secs"),
        get(&kv, "bootstrap_secs"),
        get(&kv, "load_secs"),
        get(&kv, "peak_mb"),
        get(&kv, "ipw"),
        get(&kv, "ipw_lo"),
        get(&kv, "ipw_hi"),
        get(&kv, "snipw"),
        get(&kv, "dm"),
        get(&kv, "dr"),
        get(&kv, "dr_lo"),
        get(&kv, "dr_hi"),
    );
}
