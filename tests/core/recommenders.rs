//! Recommenders against implicit 0.7.3's numbers on MovieLens-100K, determinism,
//! explanations, export, and every bad-input case.

use crate::common;

use std::sync::Arc;

use shoplens::data::{load_dataset, EventWeights, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::recsys::matrix::{Interactions, MatrixOptions};
use shoplens::recsys::params::*;
use shoplens::recsys::split::Split;
use shoplens::recsys::{train_and_evaluate, RecError, Trained};
use shoplens::task::CancelToken;
use shoplens::task::Reporter;

fn interactions(path: &std::path::Path) -> Arc<Interactions> {
    let ds = load_dataset(
        path,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .unwrap();
    Arc::new(Interactions::from_dataset(&ds, &MatrixOptions::default()).unwrap())
}

fn train(
    data: Arc<Interactions>,
    params: ModelParams,
    options: &TrainOptions,
) -> Result<Trained, RecError> {
    train_and_evaluate(
        data,
        &Split::LeaveLastOut,
        &params.checked().map_err(RecError::Params)?,
        options,
        &Reporter::silent(&CancelToken::new()),
    )
}

/// implicit 0.7.3 on ML-100K, leave-last-out, k = 10 (HR@10, NDCG@10).
#[test]
fn movielens_matches_the_implicit_reference() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let data = interactions(&dir.join("movielens-100k/u.data"));
    assert_eq!(
        (data.n_users(), data.n_items(), data.len()),
        (943, 1682, 100_000)
    );
    let options = TrainOptions {
        validate_every: 0,
        ..Default::default()
    };
    let cases: Vec<(&str, ModelParams, f64, f64)> = vec![
        ("popular", ModelParams::Popular, 0.0498, 0.0253),
        (
            "itemknn cosine",
            ModelParams::ItemKnn(ItemKnnParams::default()),
            0.0615,
            0.0283,
        ),
        (
            "itemknn bm25",
            ModelParams::ItemKnn(ItemKnnParams {
                similarity: Similarity::Bm25,
                ..Default::default()
            }),
            0.0689,
            0.0340,
        ),
        (
            "als",
            ModelParams::Als(AlsParams::default()),
            0.0870,
            0.0405,
        ),
        ("bpr", ModelParams::Bpr(BprParams::default()), 0.090, 0.041),
    ];
    let mut report = Vec::new();
    for (name, params, hr, ndcg) in cases {
        let t = train(data.clone(), params, &options).unwrap();
        assert_eq!(t.metrics.users_evaluated, 943);
        report.push(format!(
            "{name}: HR@10 {:.4} (ref {hr}) NDCG@10 {:.4} (ref {ndcg})",
            t.metrics.hr, t.metrics.ndcg
        ));
        assert!((t.metrics.hr - hr).abs() <= 0.01, "{}", report.join("\n"));
    }
    eprintln!("{}", report.join("\n"));
}

/// A stated sample of customers is evaluated, said to be a sample, and
/// reproducible; asking for at least everyone evaluates everyone.
#[test]
fn evaluation_on_a_sample_of_customers_on_movielens() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let data = interactions(&dir.join("movielens-100k/u.data"));
    let run = |eval_users: usize, seed: u64| {
        let options = TrainOptions {
            validate_every: 0,
            eval_users,
            seed,
            ..Default::default()
        };
        train(
            data.clone(),
            ModelParams::ItemKnn(ItemKnnParams::default()),
            &options,
        )
        .unwrap()
        .metrics
    };
    let all = run(0, 42);
    assert_eq!((all.users_evaluated, all.users_sampled_from), (943, None));
    assert_eq!(run(943, 42), all);
    let sample = run(300, 42);
    assert_eq!(
        (sample.users_evaluated, sample.users_sampled_from),
        (300, Some(943))
    );
    assert_eq!(run(300, 42), sample);
    assert_ne!(run(300, 7).ndcg, sample.ndcg);
    // A third of the customers: the same model, so a nearby mean.
    assert!(
        (sample.hr - all.hr).abs() < 0.05,
        "{} vs {}",
        sample.hr,
        all.hr
    );
}

#[test]
fn same_seed_same_numbers() {
    let data = interactions(&common::sample_events());
    let als = ModelParams::Als(AlsParams {
        iterations: 5,
        factors: 16,
        ..Default::default()
    });
    let options = TrainOptions {
        validate_every: 2,
        ..Default::default()
    };
    let a = train(data.clone(), als.clone(), &options).unwrap();
    let b = train(data.clone(), als, &options).unwrap();
    assert_eq!(a.metrics, b.metrics);
    assert_eq!(
        a.epochs.iter().map(|e| e.loss).collect::<Vec<_>>(),
        b.epochs.iter().map(|e| e.loss).collect::<Vec<_>>()
    );
    assert!(
        a.epochs.iter().any(|e| e.metric.is_some()),
        "validation metric reported"
    );
    // ALS loss goes down.
    assert!(a.epochs.last().unwrap().loss < a.epochs[0].loss);

    let bpr = ModelParams::Bpr(BprParams {
        epochs: 5,
        factors: 16,
        ..Default::default()
    });
    let one_thread = TrainOptions {
        threads: 1,
        validate_every: 0,
        ..Default::default()
    };
    let a = train(data.clone(), bpr.clone(), &one_thread).unwrap();
    let b = train(data.clone(), bpr.clone(), &one_thread).unwrap();
    assert_eq!(a.metrics, b.metrics);
    let other_seed = TrainOptions {
        seed: 7,
        ..one_thread
    };
    let c = train(data, bpr, &other_seed).unwrap();
    assert_ne!(a.epochs[0].loss, c.epochs[0].loss);
}

#[test]
fn models_beat_popularity_on_the_sample_store() {
    let data = interactions(&common::sample_events());
    let options = TrainOptions {
        validate_every: 0,
        ..Default::default()
    };
    let pop = train(data.clone(), ModelParams::Popular, &options)
        .unwrap()
        .metrics;
    let knn = train(
        data.clone(),
        ModelParams::ItemKnn(Default::default()),
        &options,
    )
    .unwrap()
    .metrics;
    let als = train(data, ModelParams::Als(Default::default()), &options)
        .unwrap()
        .metrics;
    assert!(
        knn.ndcg > pop.ndcg,
        "knn {} vs popular {}",
        knn.ndcg,
        pop.ndcg
    );
    assert!(
        als.ndcg > pop.ndcg,
        "als {} vs popular {}",
        als.ndcg,
        pop.ndcg
    );
}

#[test]
fn explanations_add_up_and_export_writes_every_user() {
    let data = interactions(&common::sample_events());
    let options = TrainOptions {
        validate_every: 0,
        ..Default::default()
    };
    let t = train(
        data.clone(),
        ModelParams::ItemKnn(Default::default()),
        &options,
    )
    .unwrap();
    let recs = t.recommend(0, 5, usize::MAX);
    assert_eq!(recs.len(), 5);
    for r in &recs {
        let total: f32 = r.because.iter().map(|(_, c)| c).sum();
        assert!(
            (total - r.score).abs() < 1e-3 * r.score.abs().max(1.0),
            "{total} vs {}",
            r.score
        );
        assert!(
            !t.train.contains(0, r.item),
            "history items are not recommended"
        );
    }
    assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(!t.model.similar_items(recs[0].item, 5).is_empty());

    let als = train(
        data.clone(),
        ModelParams::Als(AlsParams {
            factors: 16,
            ..Default::default()
        }),
        &options,
    )
    .unwrap();
    let r = &als.recommend(3, 1, usize::MAX)[0];
    let total: f32 = r.because.iter().map(|(_, c)| c).sum();
    assert!(
        (total - r.score).abs() < 0.05 * r.score.abs().max(0.1),
        "ALS explanation {total} vs score {}",
        r.score
    );

    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("top.csv");
    let rows = t
        .export_top_k(&path, 3, None, &CancelToken::new(), &|_, _| {})
        .unwrap();
    assert_eq!(rows, data.n_users() * 3);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("user,rank,item,score,note\n"));
    assert_eq!(text.lines().count(), rows + 1);
}

fn err(data: Arc<Interactions>, params: ModelParams, options: &TrainOptions) -> String {
    match train(data, params, options) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn tiny(users: &[u32], items: &[u32]) -> Arc<Interactions> {
    let n_users = users.iter().max().map_or(0, |m| m + 1) as usize;
    let n_items = items.iter().max().map_or(0, |m| m + 1) as usize;
    Arc::new(Interactions {
        users: users.to_vec(),
        items: items.to_vec(),
        weights: vec![1.0; users.len()],
        times: Some((0..users.len() as i64).collect()),
        user_labels: (0..n_users).map(|u| format!("u{u}")).collect(),
        item_labels: (0..n_items).map(|i| format!("i{i}")).collect(),
        ..Default::default()
    })
}

#[test]
fn bad_input_gets_clear_errors() {
    let options = TrainOptions::default();
    let m = err(tiny(&[0, 0, 0], &[0, 1, 2]), ModelParams::Popular, &options);
    assert!(m.contains("at least 2 users"), "{m}");
    let m = err(tiny(&[0, 1, 2], &[0, 0, 0]), ModelParams::Popular, &options);
    assert!(m.contains("at least 2 items"), "{m}");
    let big_k = TrainOptions {
        k: 50,
        ..Default::default()
    };
    let m = err(
        tiny(&[0, 0, 1, 1], &[0, 1, 1, 2]),
        ModelParams::Popular,
        &big_k,
    );
    assert!(m.contains("k = 50") && m.contains("3 items"), "{m}");
    let mut nan = (*tiny(&[0, 0, 1, 1], &[0, 1, 1, 2])).clone();
    nan.weights[1] = f32::NAN;
    let m = err(
        Arc::new(nan),
        ModelParams::Popular,
        &TrainOptions {
            k: 2,
            ..Default::default()
        },
    );
    assert!(m.contains("NaN"), "{m}");
    let bad = ModelParams::Als(AlsParams {
        factors: 0,
        regularization: -0.1,
        ..Default::default()
    });
    let m = err(
        tiny(&[0, 0, 1, 1], &[0, 1, 1, 2]),
        bad,
        &TrainOptions {
            k: 2,
            ..Default::default()
        },
    );
    assert!(
        m.contains("factors must be between 1 and 1024")
            && m.contains("regularization must be a number ≥ 0"),
        "{m}"
    );
    let ease = ModelParams::Ease(EaseParams {
        max_items: 2,
        ..Default::default()
    });
    let m = err(
        tiny(&[0, 0, 1, 1], &[0, 1, 1, 2]),
        ease,
        &TrainOptions {
            k: 2,
            ..Default::default()
        },
    );
    assert!(m.contains("EASE") && m.contains("3 items"), "{m}");
}

#[test]
fn files_without_users_or_items_and_nan_event_weights() {
    let d = tempfile::tempdir().unwrap();
    let reviews = common::write_temp(&d, "r.csv", b"label,review\n1,good\n0,bad\n");
    let ds = load_dataset(
        &reviews,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .unwrap();
    let e = Interactions::from_dataset(&ds, &MatrixOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no user column"), "{e}");
    let events = common::sample_events();
    let ds = load_dataset(
        &events,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .unwrap();
    let options = MatrixOptions {
        weights: EventWeights {
            view: f32::NAN,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = Interactions::from_dataset(&ds, &options)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'view'"), "{e}");
}

#[test]
fn cancel_stops_training() {
    let data = interactions(&common::sample_events());
    let cancel = CancelToken::new();
    cancel.cancel();
    let r = train_and_evaluate(
        data,
        &Split::LeaveLastOut,
        &ModelParams::Als(Default::default()).checked().unwrap(),
        &TrainOptions::default(),
        &Reporter::silent(&cancel),
    );
    assert!(matches!(r, Err(RecError::Cancelled)));
}

#[test]
fn splits_on_real_data() {
    let data = interactions(&common::sample_events());
    let options = TrainOptions {
        validate_every: 0,
        ..Default::default()
    };
    for split in [
        Split::Random { seed: 3 },
        Split::parse("temporal:2024-04-01", 0).unwrap(),
    ] {
        let t = train_and_evaluate(
            data.clone(),
            &split,
            &ModelParams::Popular.checked().unwrap(),
            &options,
            &Reporter::silent(&CancelToken::new()),
        )
        .unwrap();
        assert!(t.metrics.users_evaluated > 100, "{split:?}");
    }
    let early = Split::parse("temporal:2020-01-01", 0).unwrap();
    let e = train_and_evaluate(
        data,
        &early,
        &ModelParams::Popular.checked().unwrap(),
        &options,
        &Reporter::silent(&CancelToken::new()),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("training set"), "{e}");
}

/// SASRec's Amazon Games file, or `None` (with a message) without it.
fn games() -> Option<Arc<Interactions>> {
    let path = common::shared_data()?.join("amazon-games-sasrec/Video.txt.gz");
    if !path.exists() {
        eprintln!("SKIPPED: {} is absent", path.display());
        return None;
    }
    Some(interactions(&path))
}

/// SASRec's Games file has no timestamps: its order is the time order, so
/// leave-last-out holds out each user's last line, as SASRec's split does.
/// Popularity there is exact to check: HR@10 0.0214, NDCG@10 0.0123 over
/// 30,901 + 112 users (every user with a training item is evaluated).
#[test]
fn sasrec_games_holds_out_each_users_last_item() {
    let Some(data) = games() else {
        return;
    };
    let tt = shoplens::recsys::split::split(&data, &Split::LeaveLastOut).unwrap();
    // User 1's lines end with item 18970 (checked in the file).
    let user = data.user_labels.iter().position(|u| u == "1").unwrap();
    let held: Vec<&str> = tt.relevant[user]
        .iter()
        .map(|&i| data.item_labels[i as usize].as_str())
        .collect();
    assert_eq!(held, ["19263"]);
    let pop = train(
        data,
        ModelParams::Popular,
        &TrainOptions {
            validate_every: 0,
            ..Default::default()
        },
    )
    .unwrap()
    .metrics;
    assert!((pop.hr - 0.0214).abs() < 5e-5, "HR@10 {}", pop.hr);
    assert!((pop.ndcg - 0.0123).abs() < 5e-5, "NDCG@10 {}", pop.ndcg);
}

/// `t`'s split evaluated with `score` filling whole rows of scores (no
/// sparse path), on 2 threads: the reference the faster paths must equal.
fn evaluate_by_full_scan(
    t: &Trained,
    score: &(dyn Fn(&[usize], &mut [f32]) + Sync),
) -> shoplens::recsys::metrics::Metrics {
    use shoplens::recsys::metrics::{evaluate_rankings, self_information, Ranking};
    let users: Vec<usize> = (0..t.relevant.len())
        .filter(|&u| !t.relevant[u].is_empty())
        .collect();
    let log_pop = self_information(&t.train);
    let pool = shoplens::task::thread_pool(2).unwrap();
    evaluate_rankings(
        &Ranking {
            users: &users,
            n_items: t.train.n_cols,
            score,
            sparse: None,
            factors: None,
            excluded: &|u| t.train.row(u).0,
            relevant: &|u| &t.relevant[u],
            k: t.options.k,
            log_pop: &log_pop,
        },
        &pool,
        &CancelToken::new(),
        &|_| {},
    )
    .unwrap()
}

/// ALS and BPR rank Amazon Games' 23,715 items a tile of items at a time
/// (more than 16,384 items: whole rows would make blocks under 256
/// customers); every metric equals the full scan of whole rows to the bit,
/// and the export's lists, ranked the same way, are the explorer's.
#[test]
fn factor_models_ranked_a_tile_at_a_time_equal_the_full_scan() {
    let Some(data) = games() else {
        return;
    };
    let options = TrainOptions {
        validate_every: 0,
        ..Default::default()
    };
    let als = AlsParams {
        iterations: 3,
        ..Default::default()
    };
    let bpr = BprParams {
        epochs: 3,
        ..Default::default()
    };
    for params in [ModelParams::Als(als), ModelParams::Bpr(bpr)] {
        let t = train(Arc::clone(&data), params, &options).unwrap();
        let factors = t.model.factors().expect("a factor model");
        assert!(shoplens::recsys::dense_rank::ranks_tiled(
            factors,
            t.train.n_cols
        ));
        let score = |block: &[usize], out: &mut [f32]| {
            let block: Vec<u32> = block.iter().map(|&u| u as u32).collect();
            t.model.score_block(&block, &t.train, out);
        };
        let full = evaluate_by_full_scan(&t, &score);
        assert_eq!(t.metrics, full, "{}", t.params.name());
        assert!(t.metrics.sampled_hr.is_some() && t.metrics.users_evaluated > 30_000);
        assert_export_is_the_explorers(&t, &format!("tiled-{}", t.params.name()));
    }
}

/// Item kNN's evaluation ranks each customer from the items their history's
/// neighbours touch (a row of +0s elsewhere) instead of scanning the whole
/// catalogue; on ML-100K (and on a sparse 10-neighbour model, where many
/// customers have fewer than k items above 0) every metric equals the full
/// scan's to the last bit, and the export's lists are the explorer's.
#[test]
fn item_knn_evaluation_from_touched_items_equals_the_full_scan() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let data = interactions(&dir.join("movielens-100k/u.data"));
    for neighbors in [100, 10] {
        let params = ModelParams::ItemKnn(ItemKnnParams {
            neighbors,
            ..Default::default()
        });
        let t = train(data.clone(), params, &TrainOptions::default()).unwrap();
        let model = &t.model;
        let score = |block: &[usize], out: &mut [f32]| {
            let block: Vec<u32> = block.iter().map(|&u| u as u32).collect();
            model.score_block(&block, &t.train, out);
        };
        let full_scan = evaluate_by_full_scan(&t, &score);
        assert_eq!(t.metrics, full_scan, "{neighbors} neighbours");
        assert!(
            t.metrics.hr > 0.05,
            "{neighbors} neighbours: {:?}",
            t.metrics
        );
        assert_export_is_the_explorers(&t, &format!("itemknn-{neighbors}"));
    }
}

/// Evaluation scores customers a block at a time with one matrix product;
/// on ML-100K its metrics are those of scoring one customer at a time with
/// plain dot products and ranking each list alone, and the export writes
/// the explorer's lists.
#[test]
fn block_scoring_gives_the_metrics_and_lists_of_one_customer_at_a_time() {
    use shoplens::recsys::metrics::per_user;
    use shoplens::recsys::models::{linalg::dot, ModelSnapshot};
    let Some(dir) = common::shared_data() else {
        return;
    };
    let data = interactions(&dir.join("movielens-100k/u.data"));
    let options = TrainOptions {
        validate_every: 0,
        ..Default::default()
    };
    let t = train(data, ModelParams::Als(AlsParams::default()), &options).unwrap();
    let ModelSnapshot::Als(als) = t.model.snapshot() else {
        panic!("an ALS model");
    };
    let f = &als.factors;
    let one_at_a_time = |u: usize, out: &mut [f32]| {
        for (i, o) in out.iter_mut().enumerate() {
            *o = dot(f.user(u), f.item(i));
        }
    };
    let score = per_user(&one_at_a_time, t.train.n_cols);
    let plain = evaluate_by_full_scan(&t, &score);
    let block = &t.metrics;
    assert_eq!(block.users_evaluated, plain.users_evaluated);
    for (name, a) in block.to_map() {
        let b = plain.get(&name).unwrap();
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1e-3),
            "{name}: {a} vs {b}"
        );
    }
    assert_export_is_the_explorers(&t, "block");
}

/// The export's top 5 of a few ML-100K customers are the explorer's, item
/// for item and score for score.
fn assert_export_is_the_explorers(t: &Trained, tag: &str) {
    let out = std::env::temp_dir().join(format!("shoplens-{tag}-{}.csv", std::process::id()));
    t.export_top_k(&out, 5, None, &CancelToken::new(), &|_, _| {})
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let written: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(written.len(), t.train.n_rows * 5);
    for u in [0usize, 1, 100, 942] {
        let want: Vec<String> = t
            .recommend(u as u32, 5, 0)
            .iter()
            .map(|r| format!("{},{}", t.data.item_labels[r.item as usize], r.score))
            .collect();
        let got: Vec<String> = written[u * 5..u * 5 + 5]
            .iter()
            .map(|l| l.split(',').skip(2).take(2).collect::<Vec<_>>().join(","))
            .collect();
        assert_eq!(got, want, "{tag}: user {u}");
    }
}
