//! Searches (`sweep --search tpe|random`): seeded trials, the median pruner
//! on real curves, resuming a study from a workspace, and clear errors for
//! bad spaces. On MovieLens-100K when ../shared is here, else on the
//! sample store.

use crate::common;

use std::process::Command;

use serde_json::Value;

fn shoplens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args(args)
        .output()
        .expect("run shoplens")
}

fn json_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// MovieLens-100K, or the sample store without ../shared.
fn ratings() -> String {
    common::shared_data()
        .map(|d| d.join("movielens-100k/u.data"))
        .unwrap_or_else(common::sample_events)
        .display()
        .to_string()
}

const ALS_SPACE: [&str; 8] = [
    "--space",
    "factors=8..128:log:int",
    "--space",
    "regularization=1e-4..1:log",
    "--space",
    "alpha=0.1..10:log",
    "--space",
    "iterations=5..30:int",
];

fn als_search(data: &str, sampler: &str, trials: &str, seed: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "sweep",
        "--data",
        data,
        "--model",
        "als",
        "--split",
        "leave-last-out",
        "--k",
        "10",
        "--search",
        sampler,
        "--trials",
        trials,
        "--seed",
        seed,
        "--json",
    ];
    args.extend_from_slice(&ALS_SPACE);
    args.extend_from_slice(extra);
    json_of(&shoplens(&args))
}

fn trials(v: &Value) -> &Vec<Value> {
    v["trials"].as_array().expect("trials")
}

#[test]
fn tpe_search_is_seeded_prunes_by_the_median_and_reports_the_best() {
    let data = ratings();
    let a = als_search(&data, "tpe", "16", "3", &[]);
    let b = als_search(&data, "tpe", "16", "3", &[]);
    // Everything but the times.
    let untimed = |v: &Value| -> Vec<Value> {
        trials(v)
            .iter()
            .map(|t| {
                let mut t = t.clone();
                t["fit_secs"] = Value::Null;
                t
            })
            .collect()
    };
    assert_eq!(
        untimed(&a),
        untimed(&b),
        "the same seed gives the same trials"
    );
    let c = als_search(&data, "tpe", "16", "4", &[]);
    assert_ne!(trials(&a)[0]["params"], trials(&c)[0]["params"]);
    assert_eq!(a["search"], "tpe");
    assert_eq!(a["metric"], "ndcg@10");
    let rows = trials(&a);
    assert_eq!(rows.len(), 16);
    for (i, t) in rows.iter().enumerate() {
        assert_eq!(t["number"], i + 1);
        let p = &t["params"];
        let factors = p["factors"].as_u64().expect("whole factors");
        assert!((8..=128).contains(&factors), "{p}");
        let reg = p["regularization"].as_f64().unwrap();
        assert!((1e-4..=1.0).contains(&reg), "{p}");
        let it = p["iterations"].as_u64().unwrap();
        assert!((5..=30).contains(&it), "{p}");
        match t["state"].as_str().unwrap() {
            "done" => assert!(t["value"].as_f64().unwrap() > 0.0),
            "pruned" => {
                assert!(t["value"].is_null());
                assert!(t["note"].as_str().unwrap().contains("median"), "{t}");
                assert!(t["epochs"].as_u64().unwrap() >= 5, "pruned with its curve");
            }
            other => panic!("trial {i} {other}: {t}"),
        }
    }
    // The best is the highest finished value.
    let top = rows
        .iter()
        .filter_map(|t| t["value"].as_f64())
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(a["best"]["value"].as_f64(), Some(top));
    // Nothing is pruned before five trials finished.
    assert!(rows[..5].iter().all(|t| t["state"] == "done"));
    // Without pruning every trial runs to its end.
    let whole = als_search(&data, "random", "8", "3", &["--no-prune"]);
    assert!(trials(&whole).iter().all(|t| t["state"] == "done"));
}

#[test]
fn a_study_saved_in_a_workspace_resumes_where_it_stopped() {
    use shoplens::registry;
    use shoplens::runs::search::{trials_of, SearchSpec, TrialState};
    use shoplens::runs::sweep::SweepSpec;
    use shoplens::runs::{DataContext, SettingsBoard, SideData};
    use shoplens::task::{CancelToken, Reporter};
    use shoplens::workspace::Workspace;
    use std::sync::{Arc, Mutex};

    let data = common::sample_events();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("study.shoplens");
    let ws_arg = ws.display().to_string();
    let data_arg = data.display().to_string();
    let first = als_search(&data_arg, "tpe", "12", "9", &["--workspace", &ws_arg]);
    let saved = Workspace::open(&ws).unwrap();
    assert_eq!(saved.studies.len(), 1);
    let study = saved.studies[0].clone();
    assert_eq!(study.model, "als");
    assert_eq!(study.space.len(), 4);
    let (history, _) = saved.history();
    let model = registry::sweep_model("als").unwrap();
    let earlier = trials_of(&history.sweep_records(study.id), &model.capability.metric);
    assert_eq!(earlier.len(), 12);
    assert_eq!(
        earlier
            .iter()
            .filter(|t| t.state == TrialState::Done)
            .count(),
        trials(&first)
            .iter()
            .filter(|t| t["state"] == "done")
            .count()
    );

    // Resume for 4 more trials in the core, as the Runs tab does.
    let dataset = Arc::new(common::load(&data).unwrap().dataset);
    let side = SideData::default();
    let weights = Default::default();
    let context = DataContext {
        dataset: Some(&dataset),
        event_weights: &weights,
        side: &side,
    };
    let spec = SweepSpec {
        seed: study.seed,
        search: Some(SearchSpec {
            space: study.space.clone(),
            trials: 4,
            resume: Some((study.id, earlier.clone())),
            ..Default::default()
        }),
        ..Default::default()
    };
    let plan = registry::plan_sweep(&model, &SettingsBoard::new(), &context, &spec).unwrap();
    assert_eq!(plan.resumes(), Some(study.id));
    let cancel = CancelToken::new();
    let runs = Mutex::new(Vec::new());
    plan.run(study.id, &Reporter::silent(&cancel), &|_, o| {
        runs.lock().unwrap().push(o.record)
    })
    .unwrap();
    let resumed = runs.into_inner().unwrap();
    assert_eq!(resumed.len(), 4);
    assert!(resumed.iter().all(|r| r.sweep == Some(study.id)));

    // The same 16 trials as one uninterrupted search of 16.
    let whole = als_search(&data_arg, "tpe", "16", "9", &[]);
    let expected: Vec<&Value> = trials(&whole)[12..].iter().map(|t| &t["params"]).collect();
    for (record, want) in resumed.iter().zip(expected) {
        for (name, value) in want.as_object().unwrap() {
            assert_eq!(&record.params[name], value, "{name}");
        }
    }
}

#[test]
fn bad_spaces_get_clear_errors() {
    let data = common::sample_events().display().to_string();
    let fails = |space: &[&str], want: &str| {
        let mut args = vec![
            "sweep", "--data", &data, "--model", "als", "--search", "tpe", "--trials", "3",
        ];
        args.extend_from_slice(space);
        let out = shoplens(&args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{space:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    };
    fails(&["--space", "flavour=1..2"], "has no parameter 'flavour'");
    fails(&["--space", "alpha=10..1"], "above the high end");
    fails(&["--space", "alpha="], "empty");
    fails(&["--space", "factors=2.2..2.8"], "no whole number");
    fails(&["--space", "factors=0..8"], "not a valid value");
    fails(&[], "needs the space to search");
}

#[test]
fn sentiment_search_tunes_c_and_min_df_on_the_uci_sentences() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let file = shared.join("uci-sentiment-labelled-sentences/yelp_labelled.txt");
    let data = file.display().to_string();
    let v = json_of(&shoplens(&[
        "sweep",
        "--data",
        &data,
        "--model",
        "logreg",
        "--search",
        "tpe",
        "--trials",
        "15",
        "--seed",
        "1",
        "--space",
        "c=0.01..100:log",
        "--space",
        "min_df=1..5:int",
        "--json",
    ]));
    assert_eq!(v["metric"], "accuracy");
    let rows = trials(&v);
    assert_eq!(rows.len(), 15);
    // Logistic regression reports its hold-out accuracy every 5 iterations,
    // so weak settings can be pruned.
    let best = v["best"]["value"].as_f64().unwrap();
    assert!(best > 0.75, "{best}");
}
