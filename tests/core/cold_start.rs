//! New customers and new baskets: on a temporal split, customers without
//! training history are kept out of the models' figures and scored by the
//! bestseller fallback; a basket a model never saw gets recommendations
//! without retraining.

use crate::common;

use std::sync::Arc;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::recsys::cold::Fallback;
use shoplens::recsys::matrix::{Interactions, MatrixOptions};
use shoplens::recsys::params::*;
use shoplens::recsys::split::Split;
use shoplens::recsys::{train_and_evaluate, ListSource, Trained};
use shoplens::task::{CancelToken, Reporter};

fn interactions(path: &std::path::Path) -> Interactions {
    let ds = load_dataset(
        path,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .unwrap();
    Interactions::from_dataset(&ds, &MatrixOptions::default()).unwrap()
}

fn train(data: Interactions, split: &Split, params: ModelParams) -> Trained {
    let options = TrainOptions {
        validate_every: 0,
        ..Default::default()
    };
    train_and_evaluate(
        Arc::new(data),
        split,
        &params.checked().unwrap(),
        &options,
        &Reporter::silent(&CancelToken::new()),
    )
    .unwrap()
}

/// `data` with only the rows `keep` says, users renumbered densely (labels
/// keep their order); the catalogue is left as it is.
fn only_rows(data: &Interactions, keep: &[bool]) -> Interactions {
    let mut used = vec![false; data.n_users()];
    for (r, &k) in keep.iter().enumerate() {
        if k {
            used[data.users[r] as usize] = true;
        }
    }
    let mut code = vec![u32::MAX; data.n_users()];
    let mut labels = Vec::new();
    for (u, &on) in used.iter().enumerate() {
        if on {
            code[u] = labels.len() as u32;
            labels.push(data.user_labels[u].clone());
        }
    }
    let rows: Vec<usize> = (0..data.len()).filter(|&r| keep[r]).collect();
    Interactions {
        users: rows.iter().map(|&r| code[data.users[r] as usize]).collect(),
        items: rows.iter().map(|&r| data.items[r]).collect(),
        weights: rows.iter().map(|&r| data.weights[r]).collect(),
        times: data
            .times
            .as_ref()
            .map(|t| rows.iter().map(|&r| t[r]).collect()),
        user_labels: labels,
        ..data.clone()
    }
}

#[test]
fn warm_figures_do_not_change_when_new_customers_join_the_test_period() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let full = interactions(&dir.join("uci-online-retail/OnlineRetail.csv.gz"));
    let split = Split::parse("temporal:2011-10-01", 0).unwrap();
    let Split::Temporal { cut } = split else {
        unreachable!()
    };
    let times = full.times.clone().unwrap();
    // Customers with a purchase before the cut have training history.
    let mut warm = vec![false; full.n_users()];
    for r in 0..full.len() {
        if times[r] < cut {
            warm[full.users[r] as usize] = true;
        }
    }
    // Items bought before the cut by anyone: the catalogue both runs share.
    let mut known = vec![false; full.n_items()];
    for r in 0..full.len() {
        if warm[full.users[r] as usize] {
            known[full.items[r] as usize] = true;
        }
    }
    let without: Vec<bool> = (0..full.len())
        .map(|r| warm[full.users[r] as usize] && known[full.items[r] as usize])
        .collect();
    let with: Vec<bool> = (0..full.len())
        .map(|r| known[full.items[r] as usize])
        .collect();
    let new_customers = (0..full.n_users()).filter(|&u| !warm[u]).count();
    assert!(
        new_customers > 400,
        "Online Retail has many customers who first buy after October: {new_customers}"
    );
    for params in [
        ModelParams::Popular,
        ModelParams::ItemKnn(ItemKnnParams::default()),
        ModelParams::Ease(EaseParams::default()),
    ] {
        let a = train(only_rows(&full, &without), &split, params.clone());
        let b = train(only_rows(&full, &with), &split, params.clone());
        // The sampled metrics draw each customer's negatives by their index
        // in the data, which the added customers shift: compare the rest.
        let full_ranking =
            |m: &shoplens::recsys::metrics::Metrics| shoplens::recsys::metrics::Metrics {
                sampled_hr: None,
                sampled_ndcg: None,
                ..m.clone()
            };
        assert_eq!(
            full_ranking(&a.metrics),
            full_ranking(&b.metrics),
            "{}: warm figures moved",
            params.name()
        );
        assert!(a.cold.is_none(), "no new customers without them");
        let cold = b.cold.as_ref().expect("new customers reported");
        assert!(cold.customers > 400, "{}", cold.customers);
        assert!(
            cold.metrics.users_evaluated > 100,
            "{}",
            cold.metrics.users_evaluated
        );
        assert_eq!(
            cold.fallback,
            Fallback::Bestsellers,
            "Online Retail has no categories"
        );
        assert!(cold.metrics.hr > 0.0);
        // Every new customer is shown the fallback, and the list says so.
        let user = b.cold_users[0].user;
        assert_eq!(
            b.source_of(user),
            ListSource::NewCustomer {
                fallback: Fallback::Bestsellers,
                category: None
            }
        );
        assert_eq!(b.source_of(user).note(), "new customer: bestsellers");
        let list = b.recommend(user, 10, 3);
        assert_eq!(list.len(), 10);
        assert!(list.iter().all(|r| r.item != b.cold_users[0].arrival));
    }
}

#[test]
fn the_sample_store_falls_back_to_the_bestsellers_of_the_arrival_category() {
    let mut data = interactions(&common::sample_events());
    let catalogue = shoplens::data::catalogue::Catalogue::beside(&common::sample_events()).unwrap();
    data.fill_categories(&catalogue);
    assert!(!data.category_labels.is_empty(), "items.csv has categories");
    let split = Split::parse("temporal:2024-04-01", 0).unwrap();
    let t = train(data, &split, ModelParams::ItemKnn(ItemKnnParams::default()));
    let cold = t.cold.as_ref().expect("the store gains customers in April");
    assert_eq!(cold.fallback, Fallback::CategoryBestsellers);
    assert!(cold.metrics.users_evaluated > 0);
    assert_eq!(
        cold.metrics.users_evaluated, cold.bestsellers.users_evaluated,
        "both fallbacks are judged on the same customers"
    );
    let c = &t.cold_users[0];
    let category = t.data.category_of(c.arrival).unwrap().to_owned();
    assert_eq!(
        t.source_of(c.user).note(),
        format!("new customer: bestsellers in {category}")
    );
    let list = t.recommend(c.user, 5, 0);
    assert_eq!(
        t.data.category_of(list[0].item),
        Some(category.as_str()),
        "the arrival's category comes first"
    );
    // The export gives every new customer that fallback and says so.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("top.csv");
    t.export_top_k(&path, 5, None, &CancelToken::new(), &|_, _| {})
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("user,rank,item,score,note\n"));
    let label = &t.data.user_labels[c.user as usize];
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(&format!("{label},")))
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|l| l.ends_with(&format!("new customer: bestsellers in {category}"))));
}

#[test]
fn a_basket_gets_recommendations_without_retraining() {
    let data = interactions(&common::sample_events());
    let split = Split::LeaveLastOut;
    // Item kNN and EASE score a basket by their formula: a customer's own
    // history as a basket gives exactly their list.
    for params in [
        ModelParams::ItemKnn(ItemKnnParams::default()),
        ModelParams::Ease(EaseParams::default()),
    ] {
        let t = train(data.clone(), &split, params);
        let user = (0..t.train.n_rows as u32)
            .find(|&u| t.train.row_len(u as usize) >= 5)
            .unwrap();
        let (items, weights) = t.train.row(user as usize);
        let basket: Vec<(u32, f32)> = items.iter().copied().zip(weights.iter().copied()).collect();
        assert_eq!(t.recommend_basket(&basket, 10, 3), t.recommend(user, 10, 3));
    }
    // ALS folds a basket in with one least-squares solve: with the item
    // factors fixed, a trained customer's history gives (nearly) their own
    // scores when the solver ran to convergence.
    let als = train(
        data.clone(),
        &split,
        ModelParams::Als(AlsParams {
            cg_steps: 64,
            iterations: 10,
            ..Default::default()
        }),
    );
    let mut agree = 0;
    let mut users = 0;
    for user in (0..als.train.n_rows as u32)
        .filter(|&u| als.train.row_len(u as usize) >= 3)
        .take(40)
    {
        let (items, weights) = als.train.row(user as usize);
        let basket: Vec<(u32, f32)> = items.iter().copied().zip(weights.iter().copied()).collect();
        let folded: Vec<u32> = als
            .recommend_basket(&basket, 10, 0)
            .iter()
            .map(|r| r.item)
            .collect();
        let trained: Vec<u32> = als.recommend(user, 10, 0).iter().map(|r| r.item).collect();
        agree += folded.iter().filter(|i| trained.contains(i)).count();
        users += 1;
    }
    assert!(
        agree as f64 / (users * 10) as f64 > 0.9,
        "fold-in and training agree on {agree} of {} top-10 slots",
        users * 10
    );
    // A basket the model never saw: its items are not recommended back, and
    // each recommendation has its reasons among the basket's items.
    for params in [
        ModelParams::Als(AlsParams::default()),
        ModelParams::Bpr(BprParams {
            epochs: 20,
            ..Default::default()
        }),
    ] {
        let t = train(data.clone(), &split, params);
        let basket = vec![(3u32, 1.0), (17, 1.0), (42, 2.0)];
        let recs = t.recommend_basket(&basket, 10, 3);
        assert_eq!(recs.len(), 10);
        for r in &recs {
            assert!(![3, 17, 42].contains(&r.item));
            assert!(r.because.iter().all(|(i, _)| [3, 17, 42].contains(i)));
        }
    }
}

#[test]
fn recommend_cli_takes_a_basket() {
    let sample = common::sample_events();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args([
            "recommend",
            "--data",
            sample.to_str().unwrap(),
            "--model",
            "itemknn",
            "--basket",
            "1000,1001",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["basket"]["items"], serde_json::json!(["1000", "1001"]));
    let recs = v["basket"]["recommendations"].as_array().unwrap();
    assert_eq!(recs.len(), 10);
    assert!(recs.iter().all(|r| r["item"] != "1000"
        && r["item"] != "1001"
        && !r["because"].as_array().unwrap().is_empty()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args([
            "recommend",
            "--data",
            sample.to_str().unwrap(),
            "--model",
            "popular",
            "--basket",
            "1000,nope",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope") && err.contains("not in the training data"),
        "{err}"
    );
}
