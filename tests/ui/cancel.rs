//! Cancel from a tab ends the training on its worker and still records the
//! run, as cancelled and with the curve it had so far, in the Runs tab.
use crate::common;

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use shoplens::runs::{RunKind, RunStatus};
use shoplens::ui::ShoplensApp;
use shoplens::workbench::JobKind;

/// Step until the job has reported `epochs` points of its curve.
fn wait_for_epochs(harness: &mut Harness<'_, ShoplensApp>, job: JobKind, epochs: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while harness.state().bench().jobs().epochs(job).len() < epochs {
        assert!(
            harness.state().is_job_active(job),
            "the job ended before it could be cancelled"
        );
        assert!(Instant::now() < deadline, "no epochs arrived");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Click Cancel, wait for the worker, and check the Runs tab shows one
/// cancelled run of `kind` with a non-empty curve.
fn cancel_and_find_the_run(harness: &mut Harness<'_, ShoplensApp>, kind: RunKind) {
    let job = JobKind::Train(kind);
    harness.get_by_label("Cancel").click();
    harness.run_steps(1);
    common::step_until(harness, "the cancelled run", |app| !app.is_job_active(job));
    let runs = &harness.state().bench().runs().entries;
    assert_eq!(runs.len(), 1, "the cancelled run is recorded");
    let record = &runs[0].record;
    assert_eq!(record.kind, kind);
    assert_eq!(record.status, RunStatus::Cancelled);
    assert!(!record.curve.is_empty(), "it keeps its partial curve");
    assert!(runs[0].model.is_none());
    harness.get_by_label_contains("Training cancelled after");
    // The tab button (the Recommend tab also has a "Runs" heading).
    harness
        .get_all_by_label("Runs")
        .next()
        .expect("the Runs tab")
        .click();
    harness.run_steps(3);
    assert_eq!(harness.state().tab(), "runs");
    harness.get_by_label("#1");
    harness.get_by_label("cancelled");
}

#[test]
fn cancelling_a_recommender_records_it_with_its_curve() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Recommend").click();
    harness.run_steps(2);
    // Far more iterations than the test waits for.
    harness
        .state_mut()
        .set_recommend_param("iterations", 10_000.into())
        .unwrap();
    harness.state_mut().recommend_options_mut().validate_every = 1;
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    wait_for_epochs(&mut harness, JobKind::Train(shoplens::recsys::KIND), 2);
    cancel_and_find_the_run(&mut harness, shoplens::recsys::KIND);
    let curve = &harness.state().bench().runs().entries[0].record.curve;
    assert!(curve.len() < 10_000, "stopped early: {}", curve.len());
    // Another file: the cancelled run's curve and note were about the last
    // one, so the Recommend tab drops them.
    assert!(!harness.state().recommend_curve().is_empty());
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "user,item\n1,10\n1,11\n2,10\n2,12\n3,11\n").unwrap();
    harness
        .state_mut()
        .send(shoplens::workbench::Command::OpenFile(other.clone()));
    common::step_until(&mut harness, "the other file", move |app| {
        app.bench().dataset().is_some_and(|d| d.path == other) && !app.is_busy()
    });
    assert!(harness.state().recommend_curve().is_empty());
    assert!(harness.state().recommend_message().is_none());
}

#[test]
fn cancelling_a_sentiment_fit_records_it_with_its_curve() {
    let mut harness = common::sample_app(1400.0, 1100.0);
    harness.get_by_label("Sentiment").click();
    common::step_until(&mut harness, "the sample reviews", |app| {
        app.sentiment_has_own_reviews() && !app.is_busy()
    });
    // A long fit: ten folds, a tight tolerance, many iterations.
    {
        let p = harness.state_mut().sentiment_params_mut();
        p.c = 1000.0;
        p.tol = 1e-14;
        p.max_iter = 100_000;
    }
    harness.state_mut().set_sentiment_folds(10);
    harness.run_steps(2);
    harness.get_by_label("Train").hover();
    harness.run_steps(1);
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    wait_for_epochs(&mut harness, JobKind::Train(shoplens::text::KIND), 1);
    cancel_and_find_the_run(&mut harness, shoplens::text::KIND);
}
