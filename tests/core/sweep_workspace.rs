//! Sweeps, run records and `.shoplens` workspaces: a 2×2 ALS sweep ranked by
//! NDCG, a workspace round trip that keeps runs and models (identical
//! recommendations after reload), and damaged or newer files refused and left
//! untouched.

use crate::common;

use std::process::Command;
use std::sync::Arc;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::recsys::matrix::{Interactions, MatrixOptions};
use shoplens::recsys::params::*;
use shoplens::recsys::split::Split;
use shoplens::recsys::task::{record, RecommendRequest};
use shoplens::recsys::{train_and_evaluate, Trained};
use shoplens::runs::sweep::{expand, parse_list, SweepSpec};
use shoplens::runs::{fingerprint, run_sweep, RunHistory, RunModel, RunRecord, RunStatus};
use shoplens::task::CancelToken;
use shoplens::task::Reporter;
use shoplens::workspace::{Workspace, WorkspaceError};

fn shoplens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args(args)
        .output()
        .expect("run shoplens")
}

fn sample() -> (Arc<shoplens::data::Dataset>, Arc<Interactions>) {
    let ds = load_dataset(
        &common::sample_events(),
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .unwrap();
    let data = Interactions::from_dataset(&ds, &MatrixOptions::default()).unwrap();
    (Arc::new(ds), Arc::new(data))
}

#[test]
fn cli_two_by_two_als_sweep_is_ranked_by_ndcg() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("tuning.shoplens");
    let sample = common::sample_events();
    let out = shoplens(&[
        "sweep",
        "--data",
        sample.to_str().unwrap(),
        "--model",
        "als",
        "--grid",
        "factors=8,32",
        "--grid",
        "regularization=0.01,1",
        "--iterations",
        "8",
        "--workspace",
        ws.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    let ndcg: Vec<f64> = runs
        .iter()
        .map(|r| r["metrics"]["ndcg@10"].as_f64().unwrap())
        .collect();
    assert!(
        ndcg.windows(2).all(|w| w[0] >= w[1]),
        "ranked best first: {ndcg:?}"
    );
    let mut combos: Vec<(u64, f64)> = runs
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "done");
            for key in ["params", "metrics", "fit_secs", "status"] {
                assert!(r.get(key).is_some(), "missing {key}");
            }
            (
                r["params"]["factors"].as_u64().unwrap(),
                r["params"]["regularization"].as_f64().unwrap(),
            )
        })
        .collect();
    combos.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(combos, vec![(8, 0.01), (8, 1.0), (32, 0.01), (32, 1.0)]);
    let ranks: Vec<u64> = runs.iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, vec![1, 2, 3, 4]);

    // The workspace now holds the four runs with their models; a second sweep appends.
    let saved = Workspace::open(&ws).unwrap();
    assert_eq!(saved.runs.len(), 4);
    let models: shoplens::recsys::saved::Section = saved
        .section(shoplens::recsys::KIND)
        .expect("the recommenders' section");
    assert_eq!(models.recommenders.len(), 4);
    assert_eq!(models.train_sets.len(), 1, "one shared train matrix");
    assert_eq!(saved.sources.len(), 1);
    let out = shoplens(&[
        "sweep",
        "--data",
        sample.to_str().unwrap(),
        "--model",
        "itemknn",
        "--grid",
        "neighbors=5,50",
        "--workspace",
        ws.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = Workspace::open(&ws).unwrap();
    assert_eq!(saved.runs.len(), 6);
    let ids: Vec<u64> = saved.runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(saved.runs[4].sweep, Some(2));
}

#[test]
fn cli_sweep_refuses_bad_specs_and_damaged_workspaces() {
    let dir = tempfile::tempdir().unwrap();
    let sample = common::sample_events();
    let data = sample.to_str().unwrap();
    let out = shoplens(&[
        "sweep", "--data", data, "--model", "als", "--grid", "nope=1,2",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no parameter 'nope'") && err.contains("factors"),
        "{err}"
    );
    let out = shoplens(&[
        "sweep",
        "--data",
        data,
        "--model",
        "als",
        "--range",
        "alpha=1..5",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("random search"));

    let bad = common::write_temp(
        &dir,
        "bad.shoplens",
        b"SHOPLENS-WORKSPACE 1\n\x1f\x8bgarbage",
    );
    let before = std::fs::read(&bad).unwrap();
    let out = shoplens(&[
        "sweep",
        "--data",
        data,
        "--model",
        "popular",
        "--random",
        "1",
        "--range",
        "k=1..2",
        "--workspace",
        bad.to_str().unwrap(),
    ]);
    // `k` is not a model parameter: the spec is refused before the workspace.
    assert!(!out.status.success());
    let out = shoplens(&[
        "sweep",
        "--data",
        data,
        "--model",
        "als",
        "--grid",
        "factors=4",
        "--iterations",
        "2",
        "--workspace",
        bad.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("damaged") && err.contains("bad.shoplens"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&bad).unwrap(),
        before,
        "damaged workspace untouched"
    );
}

/// A sweep request on `ds` with leave-last-out and default options.
fn request(ds: Arc<shoplens::data::Dataset>, params: ModelParams) -> RecommendRequest {
    RecommendRequest {
        dataset: ds,
        matrix: MatrixOptions::default(),
        split: Split::LeaveLastOut,
        params,
        options: TrainOptions::default(),
    }
}

#[test]
fn sweep_core_reports_live_and_cancel_keeps_finished_runs() {
    let (ds, _) = sample();
    let base = ModelParams::Als(AlsParams {
        iterations: 4,
        ..Default::default()
    });
    let spec = SweepSpec {
        lists: vec![parse_list("factors=4,8,16").unwrap()],
        ..Default::default()
    };
    let settings = expand(&base, &spec).unwrap();
    let cancel = CancelToken::new();
    let finished = std::sync::Mutex::new(Vec::new());
    let epochs = std::sync::atomic::AtomicUsize::new(0);
    let count = |_: shoplens::task::EpochEvent| {
        epochs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    run_sweep(
        &request(ds, base),
        &settings,
        1,
        &Reporter::silent(&cancel).with_epochs(&count),
        &|index, outcome| {
            finished
                .lock()
                .unwrap()
                .push((index, outcome.record.status == RunStatus::Done));
            if index == 1 {
                cancel.cancel(); // stop after the second run
            }
        },
    )
    .unwrap();
    assert_eq!(*finished.lock().unwrap(), vec![(0, true), (1, true)]);
    assert_eq!(epochs.into_inner(), 8, "4 epochs per finished run, live");
}

#[test]
fn workspace_round_trip_keeps_runs_and_models() {
    let (ds, data) = sample();
    let print = fingerprint(&ds);
    assert_eq!(print.rows, ds.df.height());
    assert_eq!(print.hash.len(), 32);
    let mut history = RunHistory::default();
    let options = TrainOptions {
        validate_every: 2,
        ..Default::default()
    };
    let models = [
        ModelParams::Popular,
        ModelParams::ItemKnn(ItemKnnParams::default()),
        ModelParams::ItemKnn(ItemKnnParams {
            similarity: Similarity::Bm25,
            ..Default::default()
        }),
        ModelParams::Als(AlsParams {
            iterations: 5,
            ..Default::default()
        }),
        ModelParams::Bpr(BprParams {
            epochs: 5,
            ..Default::default()
        }),
        ModelParams::Ease(EaseParams::default()),
    ];
    for params in &models {
        let t = train_and_evaluate(
            Arc::clone(&data),
            &Split::LeaveLastOut,
            &params.clone().checked().unwrap(),
            &options,
            &Reporter::silent(&CancelToken::new()),
        )
        .unwrap();
        let record = record(&t, print.clone());
        history.push(record, Some(RunModel::new(Arc::new(t))));
    }
    let mut failed = RunRecord::new(shoplens::recsys::KIND, "als", print.clone());
    failed.status = RunStatus::Failed("factors must be between 1 and 1024".into());
    history.push(failed, None);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.shoplens");
    let mut ws = Workspace::default();
    ws.put_history(&history);
    let models: shoplens::recsys::saved::Section = ws
        .section(shoplens::recsys::KIND)
        .expect("the recommenders' section");
    assert_eq!(
        models.train_sets.len(),
        1,
        "the six models share one train set"
    );
    ws.save(&path).unwrap();
    let reopened = Workspace::open(&path).unwrap();
    assert_eq!(reopened, ws);
    let (restored, warnings) = reopened.history();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(restored.len(), history.len());
    for (a, b) in history.entries.iter().zip(&restored.entries) {
        assert_eq!(a.record, b.record);
        let trained = |m: &Option<RunModel>| m.as_ref().and_then(|m| m.get::<Trained>());
        match (trained(&a.model), trained(&b.model)) {
            (Some(x), Some(y)) => {
                assert_eq!(x.metrics, y.metrics);
                assert_eq!(x.epochs, y.epochs);
                for user in [0u32, 1, 17, 250, (x.train.n_rows - 1) as u32] {
                    assert_eq!(
                        x.recommend(user, 10, 3),
                        y.recommend(user, 10, 3),
                        "{} user {user}",
                        a.record.model
                    );
                }
                assert_eq!(x.model.similar_items(3, 5), y.model.similar_items(3, 5));
                assert_eq!(x.data.user_labels, y.data.user_labels);
            }
            (None, None) => {}
            _ => panic!("model lost for run {}", a.record.id),
        }
    }
    // The export of a reloaded model is byte-identical too.
    let trained = |m: &Option<RunModel>| m.as_ref().and_then(|m| m.get::<Trained>());
    let (Some(x), Some(y)) = (
        trained(&history.entries[3].model),
        trained(&restored.entries[3].model),
    ) else {
        panic!("ALS model missing");
    };
    let (ea, eb) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    x.export_top_k(&ea, 10, None, &CancelToken::new(), &|_, _| {})
        .unwrap();
    y.export_top_k(&eb, 10, None, &CancelToken::new(), &|_, _| {})
        .unwrap();
    assert_eq!(std::fs::read(&ea).unwrap(), std::fs::read(&eb).unwrap());
}

#[test]
fn damaged_or_newer_workspaces_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.shoplens");
    Workspace::default().save(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    // Truncated halfway, a flipped byte in the compressed body, a newer
    // version, and a file that is not a workspace at all.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.shoplens", bytes[..bytes.len() / 2].to_vec()),
        ("flipped.shoplens", {
            let mut b = bytes.clone();
            let i = b.len() - 6;
            b[i] ^= 0xff;
            b
        }),
        ("newer.shoplens", {
            let newer = shoplens::workspace::WORKSPACE_VERSION + 1;
            let mut b = format!("SHOPLENS-WORKSPACE {newer}\n").into_bytes();
            b.extend_from_slice(&bytes[21..]);
            b
        }),
        (
            "events.shoplens",
            std::fs::read(common::sample_events()).unwrap(),
        ),
    ];
    for (name, content) in cases {
        let path = common::write_temp(&dir, name, &content);
        let err = Workspace::open(&path).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(name), "{text}");
        assert!(
            text.contains("unchanged") || text.contains("cannot read"),
            "{text}"
        );
        match name {
            "newer.shoplens" => assert!(matches!(
                err,
                WorkspaceError::TooNew { found, .. } if found == shoplens::workspace::WORKSPACE_VERSION + 1
            )),
            "events.shoplens" => assert!(matches!(err, WorkspaceError::NotAWorkspace { .. })),
            _ => assert!(
                matches!(err, WorkspaceError::Corrupt { .. }),
                "{name}: {text}"
            ),
        }
        assert_eq!(std::fs::read(&path).unwrap(), content, "{name} modified");
    }
}

#[test]
fn movielens_sweep_on_real_data() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let ds = load_dataset(
        &dir.join("movielens-100k/u.data"),
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .unwrap();
    let base = ModelParams::ItemKnn(ItemKnnParams::default());
    let spec = SweepSpec {
        lists: vec![
            parse_list("similarity=cosine,bm25").unwrap(),
            parse_list("neighbors=100").unwrap(),
        ],
        ..Default::default()
    };
    let settings = expand(&base, &spec).unwrap();
    let hr = std::sync::Mutex::new(Vec::new());
    run_sweep(
        &request(Arc::new(ds), base),
        &settings,
        1,
        &Reporter::silent(&CancelToken::new()),
        &|_, outcome| {
            if let Some(t) = outcome.model::<Trained>() {
                hr.lock().unwrap().push(t.metrics.hr);
            }
        },
    )
    .unwrap();
    // The implicit 0.7.3 references (issue 3): cosine 0.0615, BM25 0.0689.
    let hr = hr.into_inner().unwrap();
    assert!((hr[0] - 0.0615).abs() <= 0.01, "{hr:?}");
    assert!((hr[1] - 0.0689).abs() <= 0.01, "{hr:?}");
}

#[test]
fn workspace_keeps_sentiment_classifiers() {
    use shoplens::text::{
        train_sentiment, ReviewColumns, Reviews, SentimentOptions, SentimentParams, SentimentResult,
    };
    // The sample store's reviews, and the UCI sentences when ../shared is here.
    let mut files = vec![common::sample_events().with_file_name("reviews.csv")];
    if let Some(shared) = common::shared_data() {
        files.push(shared.join("uci-sentiment-labelled-sentences/yelp_labelled.txt"));
    }
    for file in files {
        let ds = load_dataset(
            &file,
            &LoadOptions::default(),
            &CancelToken::new(),
            &|_, _| {},
        )
        .unwrap();
        let columns = ReviewColumns::from_roles(&ds).unwrap();
        let reviews = Reviews::from_dataset(&ds, &columns).unwrap();
        let run = train_sentiment(
            &reviews,
            &SentimentParams::default().checked().unwrap(),
            &SentimentOptions::default(),
            &CancelToken::new(),
            &|_, _| {},
            &|_| {},
        )
        .unwrap();
        let print = fingerprint(&ds);
        let record = shoplens::text::task::record(&run, print.clone());
        assert_eq!(
            shoplens::registry::main_metric(&record).unwrap().1,
            run.metrics.accuracy
        );
        let result = Arc::new(SentimentResult {
            run,
            reviews,
            source: "reviews".into(),
            data: print,
            catalogue: None,
        });
        let mut history = RunHistory::default();
        history.push(record, Some(RunModel::new(Arc::clone(&result))));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.shoplens");
        let mut ws = Workspace::default();
        ws.put_history(&history);
        ws.save(&path).unwrap();
        let (restored, warnings) = Workspace::open(&path).unwrap().history();
        assert!(warnings.is_empty());
        let Some(back) = restored.entries[0]
            .model
            .as_ref()
            .and_then(|m| m.get::<shoplens::text::SentimentResult>())
        else {
            panic!("classifier lost");
        };
        for text in [
            "Great quality, arrived fast, would buy again",
            "Terrible. Broke after a day and support never answered",
            "ok",
        ] {
            assert_eq!(back.run.predict(text), result.run.predict(text), "{text}");
            assert_eq!(back.run.explain(text), result.run.explain(text));
        }
        assert_eq!(back.run.metrics, result.run.metrics);
        assert_eq!(back.reviews, result.reviews);
    }
}

#[test]
fn workspace_keeps_kmeans_clusterings() {
    use shoplens::segment::clusters::{fit_kmeans, profiles, scale, KMeansParams};
    use shoplens::segment::features::{customer_table, Feature};
    use shoplens::segment::SegmentFit;
    let (ds, _) = sample();
    let table = customer_table(&ds, None, None).unwrap();
    let params = KMeansParams::default();
    let scaled = scale(&table, &Feature::RFM, &params).unwrap();
    let clustering = fit_kmeans(
        &scaled,
        &params.clone().checked().unwrap(),
        &CancelToken::new(),
    )
    .unwrap();
    let fit = SegmentFit {
        features: Feature::RFM.to_vec(),
        params: params.clone(),
        profiles: profiles(&table, &scaled, &clustering),
        clustering,
        silhouette: 0.4,
        map: vec![[0.0, 1.0]],
        shown: vec![0],
        fit_secs: 0.01,
        data: fingerprint(&ds),
    };
    let record = shoplens::segment::task::record(&fit);
    assert_eq!(record.params["features"], "recency+frequency+monetary");
    let mut history = RunHistory::default();
    history.push(record, Some(RunModel::new(Arc::new(fit.clone()))));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.shoplens");
    let mut ws = Workspace::default();
    ws.put_history(&history);
    ws.save(&path).unwrap();
    let (restored, _) = Workspace::open(&path).unwrap().history();
    let Some(back) = restored.entries[0]
        .model
        .as_ref()
        .and_then(|m| m.get::<shoplens::segment::SegmentFit>())
    else {
        panic!("clustering lost");
    };
    assert_eq!(back.clustering.labels, fit.clustering.labels);
    assert_eq!(back.clustering.centroids, fit.clustering.centroids);
    assert_eq!(back.profiles, fit.profiles);
    assert_eq!(restored.entries[0].record, history.entries[0].record);
}

#[test]
fn early_stopping_ends_a_run_and_keeps_its_model() {
    let (ds, data) = sample();
    let options = TrainOptions {
        validate_every: 5,
        patience: 2,
        threads: 1,
        ..Default::default()
    };
    let t = train_and_evaluate(
        data,
        &Split::LeaveLastOut,
        &ModelParams::Bpr(BprParams::default()).checked().unwrap(),
        &options,
        &Reporter::silent(&CancelToken::new()),
    )
    .unwrap();
    let stopped = t
        .stopped_early
        .expect("BPR plateaus well before 100 epochs here");
    assert!(stopped < 100);
    assert_eq!(t.epochs.len(), stopped, "no epoch after the stop");
    // The last two validations did not beat the best one before them.
    let validations: Vec<f64> = t
        .epochs
        .iter()
        .filter_map(|e| e.metric.as_ref().map(|m| m.1))
        .collect();
    let n = validations.len();
    let best_before = validations[..n - 2]
        .iter()
        .cloned()
        .fold(f64::MIN, f64::max);
    assert!(validations[n - 2..].iter().all(|v| *v <= best_before));
    let record = record(&t, fingerprint(&ds));
    assert_eq!(
        record.note.as_deref(),
        Some(format!("stopped early at epoch {stopped}").as_str())
    );
}

#[test]
fn sentiment_sweep_on_real_sentences() {
    use shoplens::text::task::{ReviewFile, SentimentRequest};
    use shoplens::text::{ReviewColumns, SentimentOptions, SentimentParams};
    let Some(shared) = common::shared_data() else {
        return;
    };
    let mut files: Vec<ReviewFile> = ["amazon_cells_labelled", "imdb_labelled", "yelp_labelled"]
        .iter()
        .map(|f| {
            let path = shared.join(format!("uci-sentiment-labelled-sentences/{f}.txt"));
            let ds = load_dataset(
                &path,
                &LoadOptions::default(),
                &CancelToken::new(),
                &|_, _| {},
            )
            .unwrap();
            let columns = ReviewColumns::from_roles(&ds).unwrap();
            ReviewFile {
                dataset: Arc::new(ds),
                columns,
            }
        })
        .collect();
    let first = files.remove(0);
    let spec = SweepSpec {
        lists: vec![parse_list("c=0.1,1,10").unwrap()],
        ..Default::default()
    };
    let settings = expand(&SentimentParams::default(), &spec).unwrap();
    let accuracy = std::sync::Mutex::new(Vec::new());
    let epochs = std::sync::atomic::AtomicUsize::new(0);
    let base = SentimentRequest {
        file: first,
        more: files,
        params: SentimentParams::default(),
        options: SentimentOptions {
            threads: 2,
            ..Default::default()
        },
    };
    let count = |_: shoplens::task::EpochEvent| {
        epochs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    run_sweep(
        &base,
        &settings,
        1,
        &Reporter::silent(&CancelToken::new()).with_epochs(&count),
        &|_, outcome| {
            let Some(r) = outcome
                .model
                .as_ref()
                .and_then(|m| m.get::<shoplens::text::SentimentResult>())
            else {
                panic!("{:?}", outcome.record.status);
            };
            accuracy
                .lock()
                .unwrap()
                .push((r.run.params.c, r.run.metrics.accuracy));
        },
    )
    .unwrap();
    let accuracy = accuracy.into_inner().unwrap();
    assert_eq!(
        accuracy.iter().map(|a| a.0).collect::<Vec<_>>(),
        vec![0.1, 1.0, 10.0]
    );
    // C = 10 is the setting scikit-learn 1.9 scores 0.8517 on (issue 4's reference).
    assert!((accuracy[2].1 - 0.8517).abs() <= 0.01, "{accuracy:?}");
    // Strong regularisation (C = 0.1) does worse on these 2,400 sentences.
    assert!(accuracy[0].1 < accuracy[2].1, "{accuracy:?}");
    assert!(epochs.into_inner() > 3, "curves streamed live");
}

/// `shoplens sweep … --json` on the sample store, parsed.
fn sweep_json(args: &[&str]) -> serde_json::Value {
    let sample = common::sample_events();
    let mut all = vec!["sweep", "--data", sample.to_str().unwrap()];
    all.extend_from_slice(args);
    all.push("--json");
    let out = shoplens(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sweep_takes_the_short_names_recommend_uses_as_flags() {
    let v = sweep_json(&[
        "--model",
        "als",
        "--grid",
        "reg=0.01,0.1",
        "--iterations",
        "3",
    ]);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let mut regs: Vec<f64> = runs
        .iter()
        .map(|r| r["params"]["regularization"].as_f64().unwrap())
        .collect();
    regs.sort_by(f64::total_cmp);
    assert_eq!(regs, vec![0.01, 0.1]);
    assert!(runs.iter().all(|r| r["params"]["iterations"] == 3));
    // The same parameter twice under both names is refused.
    let sample = common::sample_events();
    let out = shoplens(&[
        "sweep",
        "--data",
        sample.to_str().unwrap(),
        "--model",
        "bpr",
        "--grid",
        "lr=0.01,0.1",
        "--grid",
        "learning_rate=0.2",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("swept twice"));
}

#[test]
fn kmeans_sweeps_one_run_per_k_with_inertia_and_silhouette() {
    let v = sweep_json(&["--model", "kmeans", "--grid", "k=3,4,5"]);
    assert_eq!(v["model"], "kmeans");
    assert_eq!(v["metric"], "silhouette");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let mut ks: Vec<u64> = runs
        .iter()
        .map(|r| r["params"]["k"].as_u64().unwrap())
        .collect();
    ks.sort_unstable();
    assert_eq!(ks, vec![3, 4, 5]);
    for r in runs {
        assert_eq!(r["status"], "done");
        assert!(r["metrics"]["inertia"].as_f64().unwrap() > 0.0);
        let s = r["metrics"]["silhouette"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&s), "{s}");
        assert_eq!(r["params"]["features"], "recency+frequency+monetary");
    }
    let silhouettes: Vec<f64> = runs
        .iter()
        .map(|r| r["metrics"]["silhouette"].as_f64().unwrap())
        .collect();
    assert!(
        silhouettes.windows(2).all(|w| w[0] >= w[1]),
        "ranked best first"
    );
    // Inertia falls as k grows (more centroids fit the same customers closer).
    let mut by_k: Vec<(u64, f64)> = runs
        .iter()
        .map(|r| {
            (
                r["params"]["k"].as_u64().unwrap(),
                r["metrics"]["inertia"].as_f64().unwrap(),
            )
        })
        .collect();
    by_k.sort_by_key(|p| p.0);
    assert!(by_k.windows(2).all(|w| w[1].1 < w[0].1), "{by_k:?}");
}

#[test]
fn sentiment_sweeps_from_the_cli_on_the_sample_reviews() {
    let reviews = common::sample_events().with_file_name("reviews.csv");
    let out = shoplens(&[
        "sweep",
        "--data",
        reviews.to_str().unwrap(),
        "--model",
        "nb",
        "--grid",
        "alpha=0.1,1",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs
        .iter()
        .all(|r| r["metrics"]["accuracy"].as_f64().unwrap() > 0.8));
}
