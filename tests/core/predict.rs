//! Purchase prediction's protocol on real order and event files.

use crate::common;

use shoplens::predict::activity::ActivityLog;
use shoplens::predict::features::{table_at, Feature};

fn unix(day: &str) -> i64 {
    let (y, rest) = day.split_at(4);
    let m: u32 = rest[1..3].parse().unwrap();
    let d: u32 = rest[4..6].parse().unwrap();
    shoplens::data::timestamp::days_from_civil(y.parse().unwrap(), m, d) * 86_400
}

#[test]
fn online_retail_population_and_labels_match_the_issue_s_protocol() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let path = dir.join("uci-online-retail/OnlineRetail.csv.gz");
    let loaded = common::load(&path).expect("load");
    let log = ActivityLog::from_dataset(&loaded.dataset).expect("log");
    assert!(!log.has_events && log.has_price);
    let test = table_at(&log, unix("2011-09-01"), 90).expect("test table");
    assert_eq!(test.len(), 3317);
    assert!(
        (test.positive_rate() - 0.562).abs() < 0.0005,
        "{}",
        test.positive_rate()
    );
    assert!(test.labelled);
    let train = table_at(&log, unix("2011-06-01"), 90).expect("train table");
    assert!(train.len() < test.len());
    // Features come from rows before the cutoff only.
    let recency = train
        .features
        .iter()
        .position(|f| *f == Feature::DaysSincePurchase)
        .unwrap();
    assert!((0..train.len()).all(|i| train.row(i)[recency] >= 0.0));
    // A window past the data's end leaves no labels (the list for action).
    let late = table_at(&log, log.last_time, 90).expect("late table");
    assert!(!late.labelled && late.positive_rate() == 0.0);
    // A cutoff outside the data says so.
    let e = table_at(&log, unix("2009-01-01"), 90).unwrap_err();
    assert!(e.to_string().contains("outside the data"), "{e}");
}

#[test]
fn taobao_event_log_features_include_views_and_carts() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let Some(path) = std::fs::read_dir(dir.join("taobao-userbehavior-sample"))
        .ok()
        .and_then(|d| {
            d.flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().contains(".csv"))
        })
    else {
        eprintln!("SKIPPED: no Taobao sample");
        return;
    };
    let loaded = common::load(&path).expect("load");
    let log = ActivityLog::from_dataset(&loaded.dataset).expect("log");
    assert!(log.has_events);
    let t = table_at(&log, unix("2017-12-02"), 2).expect("table");
    assert!(t.features.contains(&Feature::Carts7d) && t.features.contains(&Feature::OpenCarts));
    let rate = t.positive_rate();
    assert!(rate > 0.0 && rate < 0.5, "{rate}");
}

fn shoplens(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args(args)
        .output()
        .expect("run shoplens")
}

fn predict_json(args: &[&str]) -> serde_json::Value {
    let out = shoplens(&[&["predict"][..], args, &["--json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn online_retail_models_beat_the_recency_rule_as_scikit_learn_does() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let path = dir.join("uci-online-retail/OnlineRetail.csv.gz");
    let p = path.to_str().unwrap();
    let protocol = [
        "--data",
        p,
        "--train-cutoff",
        "2011-06-01",
        "--cutoff",
        "2011-09-01",
        "--window",
        "90",
    ];
    let lr = predict_json(&[&protocol[..], &["--model", "logreg"]].concat());
    let gbm = predict_json(&[&protocol[..], &["--model", "gbm"]].concat());
    for v in [&lr, &gbm] {
        assert_eq!(v["test"]["customers"], 3317);
        assert_eq!(v["cutoff"], "2011-09-01");
        assert_eq!(v["train_cutoff"], "2011-06-01");
        let rule = v["baselines"]["recency_rule_roc_auc"].as_f64().unwrap();
        // scikit-learn's recency rule on this protocol: 0.684.
        assert!((rule - 0.684).abs() < 0.002, "{rule}");
        let auc = v["metrics"]["roc_auc"].as_f64().unwrap();
        assert!(auc > rule, "{auc} vs {rule}");
        for m in ["pr_auc", "log_loss", "brier", "lift_at_10pct"] {
            assert!(v["metrics"][m].is_number(), "{m}");
        }
        assert!(!v["importance"].as_array().unwrap().is_empty());
    }
    let best = lr["metrics"]["roc_auc"]
        .as_f64()
        .unwrap()
        .max(gbm["metrics"]["roc_auc"].as_f64().unwrap());
    assert!(best >= 0.73, "{best}");
    // The same seed gives the same numbers.
    let again = predict_json(&[&protocol[..], &["--model", "gbm"]].concat());
    assert_eq!(again["metrics"], gbm["metrics"]);
    // Churn is the complement: the same ranking turned over.
    let churn =
        predict_json(&[&protocol[..], &["--model", "logreg", "--target", "churn"]].concat());
    assert!((churn["test"]["positive_rate"].as_f64().unwrap() - 0.438).abs() < 0.0005);
    assert!(churn["metrics"]["roc_auc"].as_f64().unwrap() > 0.73);
}

#[test]
fn the_taobao_event_log_runs_end_to_end() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let path = dir.join("taobao-userbehavior-sample/UserBehavior_head.csv");
    if !path.exists() {
        eprintln!("SKIPPED: {} is absent", path.display());
        return;
    }
    let v = predict_json(&[
        "--data",
        path.to_str().unwrap(),
        "--cutoff",
        "2017-12-02",
        "--window",
        "2",
    ]);
    let features: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(
        features.contains(&"carts_7d") && features.contains(&"days_since_visit"),
        "{features:?}"
    );
    assert!(v["metrics"]["roc_auc"].as_f64().unwrap() > 0.5);
}

#[test]
fn bad_protocols_get_a_clear_message() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let retail = dir.join("uci-online-retail/OnlineRetail.csv.gz");
    let p = retail.to_str().unwrap();
    for (args, says) in [
        (
            vec!["--data", p, "--cutoff", "2015-01-01"],
            "outside the data",
        ),
        (
            vec!["--data", p, "--cutoff", "2011-11-01", "--window", "90"],
            "runs past the data's end",
        ),
        (vec!["--data", p, "--cutoff", "2011-13-01"], "YYYY-MM-DD"),
    ] {
        let out = shoplens(&[&["predict"][..], &args].concat());
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let tmp = tempfile::tempdir().unwrap();
    // Nobody buys: an event log of views only.
    let views = common::write_temp(
        &tmp,
        "views.csv",
        b"event_time,event_type,user_id,item_id\n2024-01-01 10:00:00,view,1,5\n2024-02-01 10:00:00,view,2,6\n",
    );
    let out = shoplens(&["predict", "--data", views.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no purchases"));
    // Everyone buys again: one class only.
    let mut body = String::from("event_time,event_type,user_id,item_id\n");
    for day in 1..=28 {
        for u in 1..=3 {
            body.push_str(&format!("2024-01-{day:02} 10:00:00,purchase,{u},7\n"));
        }
    }
    let same = common::write_temp(&tmp, "same.csv", body.as_bytes());
    let out = shoplens(&["predict", "--data", same.to_str().unwrap(), "--window", "7"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("same label"), "{err}");
}

#[test]
fn a_prediction_run_survives_a_workspace_round_trip() {
    use shoplens::predict::model::{PredictModel, PredictParams};
    use shoplens::predict::task::{PredictRequest, PredictResult, Target};
    use shoplens::runs::run;
    use shoplens::runs::{RunHistory, RunModel};
    let cancel = shoplens::task::CancelToken::new();
    let ds = shoplens::data::load_dataset(
        &common::sample_events(),
        &shoplens::data::LoadOptions::default(),
        &cancel,
        &|_, _| {},
    )
    .expect("load");
    let request = PredictRequest {
        dataset: std::sync::Arc::new(ds),
        target: Target::Repurchase,
        cutoff: None,
        train_cutoff: None,
        window_days: Some(28),
        params: PredictParams {
            model: PredictModel::Gbm,
            iterations: 40,
            ..Default::default()
        },
        seed: 3,
    };
    let outcome = run(&request, &shoplens::task::Reporter::silent(&cancel));
    assert!(outcome.failure().is_none(), "{:?}", outcome.failure());
    let mut history = RunHistory::default();
    history.push(outcome.record.clone(), outcome.model.clone());
    let restored = common::through_workspace(&history);
    let model = |m: &Option<RunModel>| m.as_ref().and_then(|m| m.get::<PredictResult>());
    let (Some(back), Some(before)) = (model(&restored.entries[0].model), model(&outcome.model))
    else {
        panic!("the prediction was not restored");
    };
    assert_eq!(back.metrics, before.metrics);
    assert_eq!(back.scored, before.scored);
    // The restored trees score as the fitted ones did.
    let f = before.features.len();
    let rows = &before.test_scores;
    let x: Vec<f64> = vec![0.0; f * 3];
    assert_eq!(back.model.predict(&x, f), before.model.predict(&x, f));
    assert!(!rows.is_empty());
    // A customer's detail: every feature, and the same after the round trip.
    let detail = before.detail(0).expect("the first customer's detail");
    assert_eq!(detail.len(), f);
    assert_eq!(back.detail(0), Some(detail));
}

#[test]
fn a_customer_s_detail_adds_up_to_the_probability_and_holds_the_top_reasons() {
    use shoplens::predict::model::{Fitted, PredictModel, PredictParams};
    use shoplens::predict::task::{PredictRequest, Target};
    use shoplens::runs::run;
    let Some(dir) = common::shared_data() else {
        return;
    };
    let loaded = common::load(&dir.join("uci-online-retail/OnlineRetail.csv.gz")).expect("load");
    let cancel = shoplens::task::CancelToken::new();
    let request = PredictRequest {
        dataset: loaded.dataset,
        target: Target::Repurchase,
        cutoff: Some(unix("2011-09-01")),
        train_cutoff: Some(unix("2011-06-01")),
        window_days: Some(90),
        params: PredictParams {
            model: PredictModel::Logreg,
            ..Default::default()
        },
        seed: 1,
    };
    let outcome = run(&request, &shoplens::task::Reporter::silent(&cancel));
    let Some(r) = outcome.model::<shoplens::predict::task::PredictResult>() else {
        panic!("{:?}", outcome.failure());
    };
    let Fitted::Logreg { w, .. } = &r.model else {
        panic!("not a logistic regression");
    };
    for rank in [0, r.scored.len() / 2, r.scored.len() - 1] {
        let detail = r.detail(rank).unwrap();
        let logit = w[0] + detail.iter().map(|d| d.2).sum::<f64>();
        let p = 1.0 / (1.0 + (-logit).exp());
        assert!((p - r.scored[rank].probability).abs() < 1e-9, "rank {rank}");
        // Strongest first, and the top reasons are the strongest upward pushes.
        assert!(detail.windows(2).all(|d| d[0].2.abs() >= d[1].2.abs()));
        let mut up: Vec<_> = detail.iter().filter(|d| d.2 > 0.0).copied().collect();
        up.truncate(3);
        assert_eq!(r.scored[rank].reasons, up, "rank {rank}");
    }
}
