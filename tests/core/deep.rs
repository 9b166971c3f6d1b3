//! The deep sequential recommenders on real sequences (MovieLens-100K, and
//! the first customers of S3-Rec's Amazon Beauty file): they learn, beat
//! popularity, report their curves and sampled metrics, repeat themselves
//! with one seed, and come back from a workspace snapshot without
//! retraining.

use crate::common;

use std::sync::Arc;

use shoplens::params::Hyperparams;
use shoplens::recsys::matrix::{Interactions, MatrixOptions};
use shoplens::recsys::models::sequential::{Gru4RecParams, SasRecParams};
use shoplens::recsys::params::*;
use shoplens::recsys::split::Split;
use shoplens::recsys::{train_and_evaluate, Trained};
use shoplens::task::{CancelToken, Reporter};

/// The first `customers` lines of Beauty (one customer's items per line,
/// oldest first), or `None` without `../shared`.
fn beauty_head(customers: usize) -> Option<(tempfile::TempDir, Arc<Interactions>)> {
    let dir = common::shared_data()?;
    let path = dir.join("amazon-beauty-s3rec/Beauty.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("SKIPPED: {} is absent", path.display());
        return None;
    };
    let head: String = text
        .lines()
        .take(customers)
        .map(|l| format!("{l}\n"))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let file = common::write_temp(&tmp, "beauty_head.txt", head.as_bytes());
    let ds = common::load(&file).unwrap().dataset;
    let data = Interactions::from_dataset(&ds, &MatrixOptions::default()).unwrap();
    Some((tmp, Arc::new(data)))
}

fn train(data: &Arc<Interactions>, params: ModelParams, threads: usize) -> Trained {
    train_and_evaluate(
        data.clone(),
        &Split::LeaveLastOut,
        &params.checked().unwrap(),
        &TrainOptions {
            threads,
            validate_every: 0,
            ..Default::default()
        },
        &Reporter::silent(&CancelToken::new()),
    )
    .unwrap()
}

fn sasrec(epochs: usize) -> ModelParams {
    ModelParams::SasRec(SasRecParams {
        epochs,
        ..Default::default()
    })
}

/// MovieLens-100K (943 customers with long, dense histories, timestamps).
fn movielens() -> Option<Arc<Interactions>> {
    let dir = common::shared_data()?;
    let ds = common::load(&dir.join("movielens-100k/u.data"))
        .unwrap()
        .dataset;
    Some(Arc::new(
        Interactions::from_dataset(&ds, &MatrixOptions::default()).unwrap(),
    ))
}

/// Both deep models with their default settings (only fewer epochs) learn
/// MovieLens-100K's sequences past popularity; the curve, the sampled
/// metrics and the run's note say what happened.
#[test]
fn deep_models_learn_real_sequences_and_beat_popularity() {
    let Some(data) = movielens() else {
        return;
    };
    let pop = train(&data, ModelParams::Popular, 2).metrics;
    let gru = ModelParams::Gru4Rec(Gru4RecParams {
        epochs: 6,
        ..Default::default()
    });
    for (params, epochs, loss) in [
        (sasrec(12), 12, "full softmax"),
        (gru, 6, "sampled softmax"),
    ] {
        let name = params.name();
        let t = train(&data, params, 2);
        let curve = &t.epochs;
        assert_eq!(curve.len(), epochs, "{name}");
        assert!(
            curve[epochs - 1].loss < curve[0].loss,
            "{name}: the loss falls: {curve:?}"
        );
        let (metric, first) = curve[0].metric.clone().expect("validated every epoch");
        assert_eq!(metric, "val ndcg@10");
        assert!(
            curve[epochs - 1].metric.as_ref().unwrap().1 > first,
            "{name}: {curve:?}"
        );
        assert!(
            t.metrics.ndcg > pop.ndcg,
            "{name} NDCG@10 {} vs popularity {}",
            t.metrics.ndcg,
            pop.ndcg
        );
        let map = t.metrics.to_map();
        let sampled = map["sampled100_ndcg@10"];
        assert!(
            sampled > t.metrics.ndcg && sampled <= 1.0,
            "{name}: {map:?}"
        );
        let note = t.model.training_note().unwrap();
        assert!(note.contains(loss), "{name}: {note}");
    }
}

#[test]
fn sasrec_repeats_itself_and_restores_from_a_snapshot() {
    let Some((_tmp, data)) = beauty_head(1500) else {
        return;
    };
    let gru = || {
        ModelParams::Gru4Rec(Gru4RecParams {
            epochs: 1,
            ..Default::default()
        })
    };
    let curve = |t: &Trained| {
        t.epochs
            .iter()
            .map(|e| (e.loss, e.metric.clone()))
            .collect::<Vec<_>>()
    };
    for params in [gru(), sasrec(2)] {
        let one = train(&data, params.clone(), 1);
        let two = train(&data, params, 1);
        assert_eq!(
            one.metrics, two.metrics,
            "same seed, one thread: same numbers"
        );
        assert_eq!(curve(&one), curve(&two));
        assert!(one.model.snapshot().restore(&one.train).is_ok());
    }
    let one = train(&data, sasrec(2), 1);

    // Through a workspace's JSON and back, then restored without retraining.
    let json = serde_json::to_string(&one.model.snapshot()).unwrap();
    let snapshot: shoplens::recsys::models::ModelSnapshot = serde_json::from_str(&json).unwrap();
    let restored = snapshot.restore(&one.train).unwrap();
    let user = (0..one.train.n_rows)
        .find(|&u| one.train.row_len(u) >= 3)
        .unwrap();
    let row = one.train.row(user);
    let (mut a, mut b) = (vec![0f32; one.train.n_cols], vec![0f32; one.train.n_cols]);
    one.model.scores(user as u32, row, &mut a);
    restored.scores(user as u32, row, &mut b);
    assert_eq!(a, b);
    // A typed basket is read at once, and the reasons are items it read.
    let basket = [row.0[0], row.0[1]];
    restored.basket_scores((&basket, &[1.0, 1.0]), &mut b);
    assert!(b.iter().all(|s| s.is_finite()) && b.iter().any(|&s| s != 0.0));
    let best = (0..b.len()).max_by(|&x, &y| b[x].total_cmp(&b[y])).unwrap() as u32;
    let reasons = restored.explain(u32::MAX, (&basket, &[1.0, 1.0]), best, 5);
    assert!(
        !reasons.is_empty() && reasons.iter().all(|(i, _)| basket.contains(i)),
        "{reasons:?}"
    );
    // A snapshot of other data is refused.
    let other = shoplens::recsys::matrix::Csr::from_triplets(3, 3, Vec::new());
    assert!(one.model.snapshot().restore(&other).is_err());
}
