//! Session recommenders on the DIGINETICA sample, against session-rec: its
//! single-split protocol must leave exactly its counts, and every model's
//! HR@20 and MRR@20 expected over random tie orders must equal what
//! session-rec's own classes give on the same split (measured with
//! `benches/peers/session_rec.py`; SPop with its bestseller ties broken by
//! first appearance, as ours). Plus bad input, determinism, cancel, the
//! explorer's lists and reasons, and a workspace round trip.

use crate::common;
use shoplens::params::ModelKind;

use std::path::PathBuf;
use std::sync::Arc;

use shoplens::data::{Dataset, LoadOptions, Role};
use shoplens::params::Hyperparams;
use shoplens::runs::run;
use shoplens::runs::{RunHistory, RunStatus};
use shoplens::session::evaluate::{evaluate, SessionMetrics};
use shoplens::session::models::{Reason as ModelReason, Scratch, SessionModel};
use shoplens::session::params::{SessionKind, SessionParams, VsknnParams};
use shoplens::session::protocol::SessionProtocol;
use shoplens::session::task::{SessionOptions, SessionRequest};
use shoplens::session::{Reason, SessionTrained};
use shoplens::task::{CancelToken, Reporter};

fn diginetica() -> Option<PathBuf> {
    Some(common::shared_data()?.join("diginetica-sample/sample_train-item-views.csv"))
}

fn dataset(path: &std::path::Path, options: &LoadOptions) -> Arc<Dataset> {
    Arc::new(shoplens::data::load_dataset(path, options, &CancelToken::new(), &|_, _| {}).unwrap())
}

fn request(ds: &Arc<Dataset>, params: SessionParams) -> SessionRequest {
    SessionRequest {
        dataset: Arc::clone(ds),
        protocol: SessionProtocol::default(),
        params,
        options: SessionOptions {
            k: 20,
            ..Default::default()
        },
    }
}

fn fitted(
    ds: &Arc<Dataset>,
    params: SessionParams,
) -> (shoplens::runs::RunOutcome, Arc<SessionTrained>) {
    let outcome = run(&request(ds, params), &Reporter::silent(&CancelToken::new()));
    let Some(t) = outcome
        .model
        .as_ref()
        .and_then(|m| m.get::<shoplens::session::SessionTrained>())
    else {
        panic!("no model: {:?}", outcome.failure());
    };
    (outcome, t)
}

#[test]
fn diginetica_split_and_every_model_match_session_rec() {
    let Some(path) = diginetica() else { return };
    let ds = dataset(&path, &LoadOptions::default());
    // session-rec's figures on this split (HR@20, MRR@20, expected over
    // random tie orders), from its own classes.
    let expected = [
        (
            SessionKind::Vsknn,
            0.887_933_839_338_618_9,
            0.563_950_126_011_692_3,
        ),
        (
            SessionKind::Sknn,
            0.887_933_839_338_619_2,
            0.516_455_201_274_120_8,
        ),
        (
            SessionKind::Stan,
            0.887_933_839_338_618_8,
            0.558_149_472_416_921_1,
        ),
        (
            SessionKind::Ar,
            0.638_866_632_578_970_5,
            0.362_441_831_819_247_83,
        ),
        (
            SessionKind::Spop,
            0.592_691_622_103_387_4,
            0.501_212_483_382_820_9,
        ),
    ];
    for (kind, hr, mrr) in expected {
        let (outcome, t) = fitted(&ds, kind.defaults());
        let r = &t.data.report;
        assert_eq!(
            (
                r.train_views,
                r.train_sessions,
                r.test_sessions,
                r.predictions
            ),
            (1712, 478, 41, 102),
            "session-rec's counts"
        );
        assert_eq!(t.metrics.predictions, 102);
        let m = &outcome.record.metrics;
        assert!(
            (m["expected_hr@20"] - hr).abs() < 1e-9,
            "{kind:?} expected HR@20 {} vs session-rec {hr}",
            m["expected_hr@20"]
        );
        assert!(
            (m["expected_mrr@20"] - mrr).abs() < 1e-9,
            "{kind:?} expected MRR@20 {} vs session-rec {mrr}",
            m["expected_mrr@20"]
        );
        // Shown order: one list, so one rank per prediction; a point of HR
        // is 1/102. Within a few points of the expectation.
        assert!(
            (m["hr@20"] - hr).abs() < 0.05,
            "{kind:?} hr@20 {}",
            m["hr@20"]
        );
        assert!(m["mrr@20"] <= m["hr@20"]);
        assert_eq!(outcome.record.status, RunStatus::Done);
    }
}

#[test]
fn same_request_gives_the_same_numbers_and_cancel_is_recorded() {
    let Some(path) = diginetica() else { return };
    let ds = dataset(&path, &LoadOptions::default());
    let params = SessionParams::Stan(Default::default());
    let (a, _) = fitted(&ds, params.clone());
    let (b, _) = fitted(&ds, params.clone());
    assert_eq!(a.record.metrics, b.record.metrics);
    let cancel = CancelToken::new();
    cancel.cancel();
    let outcome = run(&request(&ds, params), &Reporter::silent(&cancel));
    assert_eq!(outcome.record.status, RunStatus::Cancelled);
    assert!(outcome.model.is_none());
}

#[test]
fn explorer_lists_next_items_with_their_neighbour_sessions() {
    let Some(path) = diginetica() else { return };
    let ds = dataset(&path, &LoadOptions::default());
    let (_, t) = fitted(&ds, SessionParams::Vsknn(VsknnParams::default()));
    let s = &t.data.test[0];
    let list = t.next_items(&s.items[..1], Some(s.times[1]), 20);
    assert_eq!(list.len(), 20);
    assert!(list.windows(2).all(|w| w[0].score >= w[1].score));
    let first = &list[0];
    let Reason::Neighbour {
        session,
        contribution,
        ..
    } = first.reasons[0]
    else {
        panic!("V-SKNN explains by neighbour sessions: {:?}", first.reasons);
    };
    assert!(t.session_views(session).contains(&first.item));
    assert!(contribution > 0.0 && contribution <= first.score + 1e-12);
    // A built session of one popular item scores from its sessions too.
    let item = t.index.by_popularity[0];
    let built = t.next_items(&[item], None, 5);
    assert!(built.iter().any(|n| n.score > 0.0));
    // "Viewed next" lists what training sessions viewed right after an item.
    let next = t.viewed_next(item, 5);
    assert!(!next.is_empty());
    assert!(next.windows(2).all(|w| w[0].1 >= w[1].1));
}

#[test]
fn a_file_without_a_session_column_names_the_mapping() {
    let Some(path) = diginetica() else { return };
    let options = LoadOptions {
        roles: vec![(Role::Session, None)],
        ..Default::default()
    };
    let ds = dataset(&path, &options);
    let outcome = run(
        &request(&ds, SessionKind::Vsknn.defaults()),
        &Reporter::silent(&CancelToken::new()),
    );
    let message = outcome.failure().unwrap_or_default().to_owned();
    assert!(message.contains("no session column"), "{message}");
    assert!(message.contains("'session' role"), "{message}");
    assert!(message.contains("--session-col"), "{message}");
}

#[test]
fn a_split_without_test_sessions_says_which_filter_removed_them() {
    let dir = tempfile::tempdir().unwrap();
    // Train sessions see items a, b; the only recent session views c and d,
    // which training never saw.
    let mut csv = String::from("session_id,item_id,timestamp\n");
    for s in 0..6 {
        for item in ["a", "b", "a", "b"] {
            csv.push_str(&format!("{s},{item},2024-01-0{}\n", 1 + s % 2));
        }
    }
    csv.push_str(
        "9,c,2024-03-01\n9,d,2024-03-01\n9,c,2024-03-01\n9,d,2024-03-01\n9,c,2024-03-01\n",
    );
    let path = common::write_temp(&dir, "sessions.csv", csv.as_bytes());
    let ds = dataset(&path, &LoadOptions::default());
    let mut q = request(&ds, SessionKind::Ar.defaults());
    q.protocol.min_item_support = 1;
    let outcome = run(&q, &Reporter::silent(&CancelToken::new()));
    let message = outcome.failure().unwrap_or_default().to_owned();
    assert!(message.contains("leaves no test session"), "{message}");
    assert!(message.contains("unseen in training"), "{message}");
    // All sessions recent: nothing to train on, and the message says so.
    q.protocol.test_days = 1000.0;
    let message = run(&q, &Reporter::silent(&CancelToken::new()))
        .failure()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("none is left to train on"), "{message}");
}

#[test]
fn session_models_survive_a_workspace_round_trip() {
    let Some(path) = diginetica() else { return };
    let ds = dataset(&path, &LoadOptions::default());
    let (outcome, t) = fitted(&ds, SessionKind::Stan.defaults());
    let mut history = RunHistory::default();
    history.push(outcome.record.clone(), outcome.model.clone());
    let restored = common::through_workspace(&history);
    let Some(back) = restored.entries[0]
        .model
        .as_ref()
        .and_then(|m| m.get::<shoplens::session::SessionTrained>())
    else {
        panic!("the session model was not restored");
    };
    let s = &t.data.test[3];
    let before = t.next_items(&s.items[..2], Some(s.times[2]), 10);
    let after = back.next_items(&s.items[..2], Some(s.times[2]), 10);
    assert_eq!(
        before.iter().map(|n| (n.item, n.score)).collect::<Vec<_>>(),
        after.iter().map(|n| (n.item, n.score)).collect::<Vec<_>>()
    );
    assert_eq!(back.params.json(), t.params.json());
}

fn shoplens(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args(args)
        .output()
        .expect("run shoplens")
}

/// The JSON a `--json` command prints; it must succeed.
fn shoplens_json(args: &[&str]) -> serde_json::Value {
    let out = shoplens(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cli_recommend_runs_session_models_with_the_documented_fields() {
    let Some(path) = diginetica() else { return };
    let file = path.to_str().unwrap();
    let v = shoplens_json(&[
        "recommend",
        "--model",
        "vsknn",
        "--data",
        file,
        "--split",
        "last-days:7",
        "--k",
        "20",
        "--json",
    ]);
    assert_eq!(v["model"], "vsknn");
    assert_eq!(v["predictions"], 102);
    assert_eq!(v["train_sessions"], 478);
    assert_eq!(v["test_sessions"], 41);
    assert_eq!(v["params"]["neighbors"], 1500);
    let hr = v["metrics"]["hr@20"].as_f64().unwrap();
    let mrr = v["metrics"]["mrr@20"].as_f64().unwrap();
    assert!(
        (0.8..=1.0).contains(&hr) && (0.4..=hr).contains(&mrr),
        "{hr} {mrr}"
    );
    // A customer split is refused for a session model, naming the right one.
    let out = shoplens(&[
        "recommend",
        "--model",
        "stan",
        "--data",
        file,
        "--split",
        "leave-last-out",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("last-days:N"));
    // The split flag is optional: last-days:7 by default.
    let v = shoplens_json(&["recommend", "--model", "ar", "--data", file, "--json"]);
    assert_eq!(v["split"], "last-days:7");
    assert!(v["metrics"].get("mrr@20").is_some());
}

#[test]
fn cli_sweeps_a_session_model_ranked_by_mrr() {
    let Some(path) = diginetica() else { return };
    let v = shoplens_json(&[
        "sweep",
        "--data",
        path.to_str().unwrap(),
        "--model",
        "stan",
        "--grid",
        "lambda_spw=0.5,5",
        "--grid",
        "neighbours=100,500",
        "--json",
    ]);
    assert_eq!(v["metric"], "mrr@20");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    let mrr: Vec<f64> = runs
        .iter()
        .map(|r| r["metrics"]["mrr@20"].as_f64().unwrap())
        .collect();
    assert!(
        mrr.windows(2).all(|w| w[0] >= w[1]),
        "ranked best first: {mrr:?}"
    );
}

/// SASRec with few epochs and the paper's dense-data dropout, for the
/// tests: the DIGINETICA sample trains an epoch in well under a tenth of a
/// second.
fn quick_sasrec(epochs: usize) -> SessionParams {
    let mut p = SessionKind::Sasrec.defaults();
    p.set("epochs", &epochs.into()).unwrap();
    p.set("patience", &5.into()).unwrap();
    // 478 training sessions: too few for the default dropout (0.5, for
    // large sparse logs) to learn in 40 epochs.
    p.set("dropout", &0.2.into()).unwrap();
    p
}

#[test]
fn deep_session_models_learn_the_next_view_and_explain_it() {
    let Some(path) = diginetica() else { return };
    let ds = dataset(&path, &LoadOptions::default());
    let (spop, _) = fitted(&ds, SessionKind::Spop.defaults());
    let (outcome, t) = fitted(&ds, quick_sasrec(40));
    let m = &outcome.record.metrics;
    // Same split and evaluation as the kNN models (102 predictions).
    assert_eq!(t.metrics.predictions, 102);
    // Trained: well above what it scores with no training, and above
    // session popularity (0.598 HR@20 on this split).
    assert!(
        m["hr@20"] > spop.record.metrics["hr@20"],
        "SASRec hr@20 {} vs SPop {}",
        m["hr@20"],
        spop.record.metrics["hr@20"]
    );
    let curve = &outcome.record.curve;
    assert!(!curve.is_empty() && curve.len() <= 40);
    assert!(curve.last().unwrap().loss < curve[0].loss, "the loss falls");
    assert!(
        curve.iter().all(|e| e.metric.is_some()),
        "validated every epoch"
    );
    let note = outcome.record.note.clone().unwrap_or_default();
    assert!(
        note.contains("full softmax") && note.contains("seed 42"),
        "{note}"
    );
    assert_eq!(outcome.record.seed, 42);
    // A session is read at once, and the reasons are the views it read.
    let s = &t.data.test[0];
    let list = t.next_items(&s.items[..2], None, 5);
    assert_eq!(list.len(), 5);
    let total: f64 = list.iter().map(|n| n.score).sum();
    assert!(total > 0.0 && total <= 1.0 + 1e-9, "softmax probabilities");
    let explained = list.iter().flat_map(|n| &n.reasons).any(|r| {
        matches!(r, Reason::Influence { item, lift } if s.items[..2].contains(item) && *lift > 0.0)
    });
    assert!(explained, "some item is explained by a view read: {list:?}");
}

#[test]
fn deep_session_models_score_a_sessions_prefixes_in_batches_as_one_at_a_time() {
    let Some(path) = diginetica() else { return };
    let ds = dataset(&path, &LoadOptions::default());
    for kind in [SessionKind::Sasrec, SessionKind::Gru4rec] {
        let mut params = kind.defaults();
        params.set("epochs", &2.into()).unwrap();
        let (_, t) = fitted(&ds, params);
        let n_items = t.index.n_items();
        let (mut alone, mut batched) = (
            Scratch::new(n_items, t.index.n_sessions()),
            Scratch::new(n_items, t.index.n_sessions()),
        );
        // Every test session, and one of 150 views (the test sessions
        // strung together), longer than a batch and than the network reads.
        let long: Vec<u32> = t
            .data
            .test
            .iter()
            .flat_map(|s| s.items.clone())
            .take(150)
            .collect();
        let mut sessions: Vec<(Vec<u32>, Vec<f64>)> = t
            .data
            .test
            .iter()
            .map(|s| (s.items.clone(), s.times.clone()))
            .collect();
        sessions.push((long.clone(), vec![0.0; long.len()]));
        let mut compared = 0;
        for (items, times) in &sessions {
            t.model
                .score_prefixes(items, times, &mut batched, &mut |pos, scored| {
                    t.model.score(&items[..pos], times[pos], &mut alone);
                    assert_eq!(scored.touched.len(), n_items, "every item scored");
                    // The network works in f32, and a batch sums in another order.
                    for (a, b) in alone.scores.iter().zip(&scored.scores) {
                        assert!((a - b).abs() <= 1e-5 * a.abs(), "{kind:?}: {a} vs {b}");
                    }
                    compared += 1;
                });
        }
        assert_eq!(compared, t.metrics.predictions + long.len() - 1, "{kind:?}");
        // And the evaluation's numbers are those of scoring one at a time.
        let one_at_a_time = evaluate(
            &OneAtATime(t.model.as_ref()),
            &t.index,
            &t.data,
            t.metrics.k,
            &Reporter::silent(&CancelToken::new()),
        )
        .unwrap();
        let without_speed = |m: &SessionMetrics| SessionMetrics {
            predictions_per_sec: 0.0,
            ..m.clone()
        };
        assert_eq!(
            without_speed(&one_at_a_time),
            without_speed(&t.metrics),
            "{kind:?}"
        );
    }
}

/// A model scored through its `score` alone (the trait's own
/// `score_prefixes`).
struct OneAtATime<'a>(&'a dyn SessionModel);

impl SessionModel for OneAtATime<'_> {
    fn score(&self, prefix: &[u32], now: f64, scratch: &mut Scratch) {
        self.0.score(prefix, now, scratch);
    }

    fn reasons(
        &self,
        prefix: &[u32],
        item: u32,
        scratch: &Scratch,
        limit: usize,
    ) -> Vec<ModelReason> {
        self.0.reasons(prefix, item, scratch, limit)
    }
}

#[test]
fn deep_session_models_repeat_with_a_seed_and_keep_their_weights() {
    let Some(path) = diginetica() else { return };
    let ds = dataset(&path, &LoadOptions::default());
    let mut gru = SessionKind::Gru4rec.defaults();
    gru.set("epochs", &3.into()).unwrap();
    let (a, t) = fitted(&ds, gru.clone());
    let (b, _) = fitted(&ds, gru);
    assert_eq!(
        a.record.metrics, b.record.metrics,
        "same seed, same numbers"
    );
    assert_eq!(
        a.record.curve.iter().map(|e| e.loss).collect::<Vec<_>>(),
        b.record.curve.iter().map(|e| e.loss).collect::<Vec<_>>()
    );
    let mut history = RunHistory::default();
    history.push(a.record.clone(), a.model.clone());
    let restored = common::through_workspace(&history);
    let back = restored.entries[0]
        .model
        .as_ref()
        .and_then(|m| m.get::<SessionTrained>())
        .expect("the GRU4Rec session model is restored from its weights");
    let s = &t.data.test[0];
    let scores = |m: &SessionTrained| {
        m.next_items(&s.items[..2], None, 10)
            .iter()
            .map(|n| (n.item, n.score))
            .collect::<Vec<_>>()
    };
    assert_eq!(scores(&back), scores(&t));
    assert_eq!(back.metrics, t.metrics);
}

#[test]
fn cli_trains_a_deep_session_model_with_its_curve_and_patience() {
    let Some(path) = diginetica() else { return };
    let file = path.to_str().unwrap();
    let v = shoplens_json(&[
        "recommend",
        "--model",
        "session-gru4rec",
        "--data",
        file,
        "--epochs",
        "4",
        "--patience",
        "2",
        "--seed",
        "7",
        "--json",
    ]);
    assert_eq!(v["model"], "session-gru4rec");
    // --patience reaches the model's own early stopping.
    assert_eq!(v["params"]["patience"], 2);
    assert_eq!(v["params"]["epochs"], 4);
    assert_eq!(v["seed"], 7);
    let epochs = v["epochs"].as_array().unwrap();
    assert!((1..=4).contains(&epochs.len()));
    assert!(v["seconds_per_epoch"].as_f64().unwrap() > 0.0);
    assert!(v["best_epoch"].as_u64().is_some_and(|e| e >= 1));
    assert!(v["note"].as_str().unwrap().contains("GRU4Rec trained with"));
    assert_eq!(v["predictions"], 102);
}
