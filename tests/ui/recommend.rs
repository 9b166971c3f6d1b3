//! Drives the Recommend tab of the real app: train ALS on the sample store from
//! the UI, watch the loss curve gain points, pick a customer and see their
//! recommendations.
use crate::common;

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use shoplens::recsys::params::RecommenderKind;
use shoplens::workbench::JobKind;

const TRAIN: JobKind = JobKind::Train(shoplens::recsys::KIND);

#[test]
fn train_als_from_the_ui_and_explore_a_customer() {
    let mut harness = common::sample_app(1400.0, 1000.0);

    harness.get_by_label("Recommend").click();
    harness.run_steps(2);
    harness.get_by_label("Model");
    assert_eq!(
        harness.state().recommend_model(),
        RecommenderKind::Als,
        "ALS is the default model"
    );
    // Fewer iterations keep the test quick; validation every epoch shows the metric curve.
    harness
        .state_mut()
        .set_recommend_param("iterations", 6.into())
        .unwrap();
    harness.state_mut().recommend_options_mut().validate_every = 1;
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    assert!(
        harness.state().is_job_active(TRAIN),
        "training runs on a worker"
    );

    // The loss curve gains points while training runs.
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while harness.state().is_job_active(TRAIN) {
        assert!(Instant::now() < deadline, "training did not finish");
        harness.step();
        let n = harness.state().recommend_curve().len();
        if seen.last() != Some(&n) {
            seen.push(n);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_steps(3);
    assert_eq!(harness.state().recommend_curve().len(), 6);
    assert!(seen.len() >= 2, "curve grew in steps: {seen:?}");
    harness.get_by_label_contains("Training curves (6 epochs, ");
    harness.get_by_label("Explore: ALS (implicit)");
    assert!(harness.state().explored_recommender().is_some());

    // Pick a customer by typing their id and clicking the match.
    let trained = harness.state().explored_recommender().unwrap();
    let user = trained.data.user_labels[0].clone();
    assert_eq!(common::open_first_customer(&mut harness), user);
    let k = trained.options.k;
    assert_eq!(
        harness.query_all_by_label_contains("because of").count(),
        k,
        "one reason per recommendation"
    );
    harness
        .get_all_by_label_contains("1. ")
        .next()
        .expect("first recommendation");
    harness.get_by_label_contains(&format!("History of {user}"));
}

/// Pick SASRec in the model list, train it on a worker with its curves
/// growing, and explore a customer: the sequence in reading order, and
/// recommendations with the items that raised their scores.
#[test]
fn train_sasrec_from_the_ui_and_read_a_customers_sequence() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Recommend").click();
    harness.run_steps(2);
    // The model list is labelled by its heading.
    harness.get_by_label("Model").hover();
    harness.run_steps(1);
    harness.get_by_label("Model").click();
    harness.run_steps(3);
    harness.get_by_label("SASRec (deep, sequential)").click();
    harness.run_steps(2);
    assert_eq!(harness.state().recommend_model(), RecommenderKind::SasRec);
    assert!(harness.query_all_by_label("sequence length L").count() >= 1);
    harness
        .state_mut()
        .set_recommend_param("epochs", 3.into())
        .unwrap();
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    assert!(
        harness.state().is_job_active(TRAIN),
        "training runs on a worker"
    );
    common::step_until(&mut harness, "SASRec training", |app| {
        !app.is_job_active(TRAIN)
    });
    let curve = harness.state().recommend_curve().to_vec();
    assert_eq!(curve.len(), 3);
    assert!(curve
        .iter()
        .all(|e| e.metric.as_ref().is_some_and(|(n, _)| n == "val ndcg@10")));
    harness.get_by_label_contains("Training curves (3 epochs, ");
    harness.get_by_label("Explore: SASRec (deep, sequential)");

    let trained = harness.state().explored_recommender().unwrap();
    let user = trained.data.user_labels[0].clone();
    assert_eq!(common::open_first_customer(&mut harness), user);
    harness.get_by_label_contains("In the order the model reads them");
    assert!(
        harness.query_all_by_label_contains("because of").count() > 0,
        "recommendations say which items raised them"
    );
}

/// Ticking the sample box proposes a sample; a run on it says in the runs
/// table that its metrics come from a sample of the test customers.
#[test]
fn evaluate_on_a_sample_of_customers_from_the_ui() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Recommend").click();
    harness.run_steps(2);
    harness
        .state_mut()
        .set_recommend_model(RecommenderKind::ItemKnn);
    harness.run_steps(2);
    assert_eq!(harness.state_mut().recommend_options_mut().eval_users, 0);
    harness
        .get_by_label("evaluate on a random sample of customers")
        .click();
    harness.run_steps(2);
    assert_eq!(
        harness.state_mut().recommend_options_mut().eval_users,
        100_000
    );
    harness.get_by_label("evaluate on a random sample of");
    // The sample store has fewer customers than that: a smaller sample.
    harness.state_mut().recommend_options_mut().eval_users = 300;
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "item kNN to train", |app| {
        !app.is_job_active(TRAIN)
    });
    let trained = harness.state().explored_recommender().unwrap();
    assert_eq!(trained.metrics.users_evaluated, 300);
    let of = trained.metrics.users_sampled_from.unwrap();
    assert!(of > 300, "{of}");
    harness.get_by_label(&format!("300 of {of}"));
}
