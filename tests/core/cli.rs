//! The CLI: `profile --json` prints exactly one JSON object; errors exit non-zero
//! with one readable line; `generate` writes a store with real structure.

use crate::common;

use std::collections::HashMap;
use std::process::Command;

fn shoplens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args(args)
        .output()
        .expect("run shoplens")
}

#[test]
fn profile_json_has_the_documented_fields() {
    let sample = common::sample_events();
    let out = shoplens(&["profile", sample.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "exactly one JSON object");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["format"], "shoplens-events");
    for key in [
        "rows", "users", "items", "events", "time_min", "time_max", "columns",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let column = &v["columns"][0];
    for key in ["name", "role", "dtype", "nulls"] {
        assert!(column.get(key).is_some(), "column missing {key}");
    }
    assert!(v["time_min"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn profile_table_and_role_flags() {
    let d = tempfile::tempdir().unwrap();
    let path = common::write_temp(&d, "odd.csv", b"who,what\nann,tea\nbob,tea\n");
    let out = shoplens(&[
        "profile",
        path.to_str().unwrap(),
        "--user-col",
        "who",
        "--item-col",
        "what",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("users            2") && stdout.contains("items            1"),
        "{stdout}"
    );
}

#[test]
fn errors_are_one_line_on_stderr_with_non_zero_exit() {
    let d = tempfile::tempdir().unwrap();
    let path = common::write_temp(&d, "ragged.csv", b"user_id,item_id\n1,2\n3\n");
    let out = shoplens(&["profile", path.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ragged.csv") && stderr.contains("line 3"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn generate_writes_a_structured_store() {
    let d = tempfile::tempdir().unwrap();
    let out_dir = d.path().join("store");
    let out = shoplens(&[
        "generate",
        "--users",
        "800",
        "--items",
        "200",
        "--events",
        "40000",
        "--seed",
        "3",
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["events.csv", "items.csv", "reviews.csv"] {
        assert!(out_dir.join(f).exists(), "{f}");
    }
    assert!(out_dir.join("images/item_1000.png").exists());

    // Deterministic: the same seed gives the same bytes.
    let again = d.path().join("again");
    let out = shoplens(&[
        "generate",
        "--users",
        "800",
        "--items",
        "200",
        "--events",
        "40000",
        "--seed",
        "3",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(out_dir.join("events.csv")).unwrap(),
        std::fs::read(again.join("events.csv")).unwrap()
    );

    let loaded = common::load(&out_dir.join("events.csv")).unwrap();
    let p = &loaded.profile;
    assert_eq!(p.rows, 40_000);
    // Power-law popularity: the top 10% of items take well over 10% of events.
    let per_item = p.per_item.as_ref().unwrap();
    assert!(
        per_item.max as f64 > 8.0 * per_item.median as f64,
        "{per_item:?}"
    );
    let top: u64 = p.top_items.iter().take(20).map(|t| t.count).sum();
    assert!(top as f64 > 0.3 * 40_000.0, "top 20 of 200 items: {top}");
    // Sessions go view → cart → purchase.
    let f = p.funnel.as_ref().unwrap();
    assert!(f.steps.iter().all(|s| s.users > 0));
    assert!(p.events["view"] > p.events["cart"] && p.events["cart"] > p.events["purchase"]);

    // Review wording mostly agrees with the stars; both languages present.
    let reviews = std::fs::read_to_string(out_dir.join("reviews.csv")).unwrap();
    let mut by_stars: HashMap<&str, (usize, usize)> = HashMap::new();
    let (mut en, mut zh) = (0, 0);
    for line in reviews.lines().skip(1) {
        let fields: Vec<&str> = line.splitn(6, ',').collect();
        let (stars, lang, text) = (fields[3], fields[4], fields[5]);
        if lang == "zh" {
            zh += 1
        } else {
            en += 1
        }
        let positive = [
            "love",
            "great",
            "Excellent",
            "happy",
            "Fantastic",
            "Beautiful",
            "Perfect",
            "Superb",
            "good",
            "很好",
            "满意",
            "喜欢",
            "好评",
            "不错",
            "推荐",
        ]
        .iter()
        .any(|w| text.contains(w));
        let e = by_stars.entry(stars).or_default();
        e.0 += usize::from(positive);
        e.1 += 1;
    }
    assert!(en > 0 && zh > 0);
    let share = |s: &str| by_stars.get(s).map_or(0.0, |(p, n)| *p as f64 / *n as f64);
    // 85% of reviews are worded clearly; 12% are mixed and 3% contradict their stars.
    assert!(share("5") > 0.7 && share("1") < 0.2, "{by_stars:?}");
}

#[test]
fn generate_rejects_bad_parameters() {
    let out = shoplens(&["generate", "--users", "0", "--out", "/tmp/x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--users must be at least 1"));
}

/// `spark als` refuses a master spark-submit would not take before loading
/// anything, and a missing Spark (or Java) is one line saying what to install.
#[test]
fn spark_als_errors_say_what_to_write_or_install() {
    let sample = common::sample_events();
    let data = sample.to_str().unwrap();
    let out = shoplens(&["spark", "als", "--data", data, "--master", "cluster"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("master") && err.contains("local[2]"), "{err}");
    let out = shoplens(&[
        "spark",
        "als",
        "--data",
        data,
        "--spark-submit",
        "/nonexistent/spark-submit",
        "--json",
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no JSON for a failed run");
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{err}");
    assert!(
        last.contains("openjdk-17-jre-headless") || last.contains("pip install pyspark"),
        "{last}"
    );
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// Sweeping ε from the CLI switches the policy to ε-greedy (the parameter
/// only applies when policy = epsilon), as the Runs tab does: three values,
/// three different estimates. It used to give three identical uniform runs.
#[test]
fn cli_sweep_of_epsilon_evaluates_the_epsilon_policy() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let log = shared.join("open-bandit-dataset-sample/bts/all/all.csv");
    let out = shoplens(&[
        "sweep",
        "--data",
        log.to_str().unwrap(),
        "--model",
        "bandit-ope",
        "--grid",
        "epsilon=0.05,0.5,0.95",
        "--json",
    ]);
    let v = json_of(&out);
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3);
    let mut ipw: Vec<f64> = runs
        .iter()
        .map(|r| {
            assert_eq!(r["params"]["policy"], "epsilon", "{r}");
            r["metrics"]["ipw"].as_f64().expect("ipw")
        })
        .collect();
    ipw.sort_by(f64::total_cmp);
    ipw.dedup();
    assert_eq!(ipw.len(), 3, "each ε gives its own estimate: {ipw:?}");
}

/// `sweep --eval-users` evaluates every run on the same stated sample of
/// customers, and each run's record says so.
#[test]
fn cli_sweep_evaluates_recommenders_on_a_stated_sample() {
    let sample = common::sample_events();
    let v = json_of(&shoplens(&[
        "sweep",
        "--data",
        sample.to_str().unwrap(),
        "--model",
        "itemknn",
        "--grid",
        "neighbors=10,50",
        "--eval-users",
        "250",
        "--json",
    ]));
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    for r in runs {
        assert_eq!(r["metrics"]["users"].as_f64(), Some(250.0), "{r}");
        assert!(
            r["metrics"]["users_sampled_from"].as_f64() > Some(250.0),
            "{r}"
        );
    }
}

/// `predict` on the built-in sample store works with no flags and uses the
/// window the core fits to the data (the Predict tab's), not a fixed 90 days.
#[test]
fn cli_predict_on_the_sample_store_uses_the_fitted_window() {
    use shoplens::predict::settings::PredictSettings;
    use shoplens::predict::task::PredictResult;
    use shoplens::runs::{DataContext, SideData};

    let sample = common::sample_events();
    let v = json_of(&shoplens(&[
        "predict",
        "--data",
        sample.to_str().unwrap(),
        "--json",
    ]));
    let dataset = std::sync::Arc::new(common::load(&sample).expect("sample").dataset);
    let side = SideData::default();
    let data = DataContext::with_default_weights(Some(&dataset), &side);
    let settings = PredictSettings::default();
    let request = settings
        .request(&data, settings.params.clone())
        .expect("request");
    let outcome = shoplens::runs::run(
        &request,
        &shoplens::task::Reporter::silent(&shoplens::task::CancelToken::new()),
    );
    let r = outcome.expect_model::<PredictResult>().expect("a result");
    assert!(
        r.window_days < 90,
        "the sample spans ~4 months: {}",
        r.window_days
    );
    assert_eq!(v["window_days"], r.window_days);
    assert_eq!(
        v["cutoff"],
        shoplens::predict::features::day_label(r.cutoff)
    );
    assert_eq!(v["metrics"]["roc_auc"].as_f64(), Some(r.metrics.roc_auc));
}

/// `recommend` takes k, seed, threads and validation from the core's
/// defaults: validation every 5 epochs, as in the Recommend tab.
#[test]
fn cli_recommend_defaults_are_the_cores() {
    let defaults = shoplens::recsys::params::TrainOptions::default();
    let sample = common::sample_events();
    let v = json_of(&shoplens(&[
        "recommend",
        "--data",
        sample.to_str().unwrap(),
        "--model",
        "bpr",
        "--json",
    ]));
    assert_eq!(v["k"], defaults.k);
    assert_eq!(v["seed"], defaults.seed);
    assert_eq!(v["threads"], defaults.threads);
    let validated: Vec<u64> = v["epochs"]
        .as_array()
        .expect("epochs")
        .iter()
        .filter(|e| !e["metric"].is_null())
        .map(|e| e["epoch"].as_u64().expect("epoch"))
        .collect();
    assert_eq!(defaults.validate_every, 5);
    assert_eq!(validated.first(), Some(&5), "validated at {validated:?}");
    assert!(validated.iter().all(|e| e % 5 == 0), "{validated:?}");
}

/// `recommend --json` says where its time went, step by step, and the
/// steps add up to no more than the command's own wall time.
#[test]
fn cli_recommend_reports_each_steps_time_and_peak_memory() {
    let sample = common::sample_events();
    let started = std::time::Instant::now();
    let v = json_of(&shoplens(&[
        "recommend",
        "--data",
        sample.to_str().unwrap(),
        "--model",
        "als",
        "--json",
    ]));
    let wall = started.elapsed().as_secs_f64();
    let steps = ["load", "matrix", "split", "fit", "evaluate"];
    let secs: Vec<f64> = steps
        .iter()
        .map(|s| {
            v[format!("{s}_secs")]
                .as_f64()
                .unwrap_or_else(|| panic!("{s}_secs missing from {v}"))
        })
        .collect();
    assert!(secs.iter().all(|&t| t >= 0.0), "{secs:?}");
    assert!(
        secs[3] > 0.0 && secs[4] > 0.0,
        "fit and evaluate take time: {secs:?}"
    );
    assert!(secs.iter().sum::<f64>() <= wall, "{secs:?} over {wall} s");
    assert_eq!(v["fit_secs"].as_f64(), Some(secs[3]));
    assert!(
        v["peak_memory_mb"].as_f64().is_some_and(|mb| mb > 1.0),
        "{v}"
    );
}

/// docs/cli.md is the CLI's own help: a flag added, renamed or re-defaulted
/// without regenerating it fails here.
#[test]
fn cli_reference_in_docs_matches_the_commands() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let now = shoplens::cli::reference_markdown();
    if std::env::var_os("SHOPLENS_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &now).expect("write docs/cli.md");
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == now,
        "docs/cli.md is out of date: run SHOPLENS_UPDATE_DOCS=1 cargo test --test core cli_reference"
    );
}

#[test]
fn a_memory_budget_refuses_a_file_before_reading_it_and_names_the_spark_way() {
    let sample = common::sample_events();
    let out = shoplens(&["profile", sample.to_str().unwrap(), "--max-memory", "1MB"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1.0 MB is free for it") && stderr.contains("spark als --read-in-spark"),
        "{stderr}"
    );
    let out = shoplens(&["profile", sample.to_str().unwrap(), "--max-memory", "lots"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("like 8GB or 500MB"));
    // --read-in-spark splits leave-last-out only, and says so before Spark starts.
    let out = shoplens(&[
        "spark",
        "als",
        "--data",
        sample.to_str().unwrap(),
        "--read-in-spark",
        "--split",
        "random",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("drop --split"));
}
