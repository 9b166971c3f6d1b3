//! Drives the Runs tab of the real app: a 3-run ALS sweep from the UI fills
//! the runs table with 3 rows as the runs arrive; the workspace saves and
//! reopens with the runs and models, and a damaged workspace leaves the
//! session as it was.

use crate::common;

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use shoplens::ui::ShoplensApp;
use shoplens::workbench::{Command, JobKind};

fn app() -> Harness<'static, ShoplensApp> {
    common::sample_app(1400.0, 1000.0)
}

#[test]
fn three_run_sweep_from_the_ui_fills_the_runs_table() {
    let mut harness = app();
    harness.get_by_label("Runs").click();
    harness.run_steps(2);
    harness.get_by_label_contains("No runs yet");
    // Short runs keep the test quick: the sweep starts from the Recommend tab's settings.
    harness
        .state_mut()
        .set_recommend_param("iterations", 4.into())
        .unwrap();
    harness.state_mut().recommend_options_mut().validate_every = 1;
    // The default draft sweeps factors over three values.
    harness.get_by_label("3 runs planned");
    harness.get_by_label("Run sweep").click();
    harness.run_steps(1);
    assert!(
        harness.state().is_job_active(JobKind::Sweep),
        "the sweep runs on a worker"
    );

    let mut counts = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while harness.state().is_job_active(JobKind::Sweep) {
        assert!(Instant::now() < deadline, "the sweep did not finish");
        harness.step();
        let n = harness.state().bench().runs().len();
        if counts.last() != Some(&n) {
            counts.push(n);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_steps(3);
    assert_eq!(harness.state().bench().runs().len(), 3);
    for id in 1..=3 {
        harness.get_by_label(&format!("#{id}"));
    }
    assert!(harness.query_by_label("#4").is_none(), "exactly 3 rows");
    harness.get_by_label("Sweep finished: 3 runs");
    let factors: Vec<f64> = harness
        .state()
        .bench()
        .runs()
        .entries
        .iter()
        .map(|e| e.record.param_value("factors").unwrap())
        .collect();
    assert_eq!(factors, vec![16.0, 32.0, 64.0]);
    // Runs arrived one by one (the table grew while the sweep ran) and are overlaid.
    assert!(counts.len() >= 3, "runs arrived live: {counts:?}");
    assert_eq!(harness.state().overlaid_runs().len(), 3);
    harness.get_by_label_contains("Parallel coordinates");
    harness.get_by_label("Parameter importance");

    // New workspace with unsaved runs asks first; Cancel keeps them.
    assert!(harness.state().bench().has_unsaved_runs());
    harness
        .state_mut()
        .guard_unsaved(shoplens::ui::Unsaved::NewWorkspace);
    harness.run_steps(2);
    harness.get_by_label("Unsaved runs");
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert_eq!(harness.state().bench().runs().len(), 3);
    assert!(harness.query_by_label("Unsaved runs").is_none());

    // Save, start afresh, reopen: the runs and their models come back.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ui.shoplens");
    harness
        .state_mut()
        .send(Command::SaveWorkspace(path.clone()));
    common::step_until(&mut harness, "the save", |app| {
        !app.is_job_active(JobKind::SaveWorkspace)
    });
    assert!(path.exists());
    assert!(!harness.state().bench().workspace().dirty);
    harness.state_mut().send(Command::NewWorkspace);
    harness.run_steps(2);
    assert!(harness.state().bench().runs().is_empty());
    harness.state_mut().send(Command::OpenWorkspace {
        path: path.clone(),
        load_data: false,
    });
    common::step_until(&mut harness, "the workspace", |app| {
        !app.is_job_active(JobKind::OpenWorkspace)
    });
    assert_eq!(harness.state().bench().runs().len(), 3);
    assert!(harness
        .state()
        .bench()
        .runs()
        .entries
        .iter()
        .all(|e| e.model.is_some()));
    harness.get_by_label("#3");
    // Explore a reloaded model: it opens in the Recommend tab.
    harness.get_all_by_label("Explore").next().unwrap().click();
    harness.run_steps(3);
    assert!(harness.state().explored_recommender().is_some());

    // A damaged workspace is refused; the runs on screen stay.
    let bad = common::write_temp(&dir, "bad.shoplens", b"SHOPLENS-WORKSPACE 1\nbroken");
    harness.state_mut().send(Command::OpenWorkspace {
        path: bad.clone(),
        load_data: false,
    });
    common::step_until(&mut harness, "the refusal", |app| {
        !app.is_job_active(JobKind::OpenWorkspace)
    });
    let error = harness.state().error().unwrap_or_default().to_owned();
    assert!(error.contains("damaged"), "{error}");
    assert_eq!(harness.state().bench().runs().len(), 3);
    assert_eq!(
        std::fs::read(&bad).unwrap(),
        b"SHOPLENS-WORKSPACE 1\nbroken"
    );
}

#[test]
fn sentiment_sweep_from_the_ui_and_explore_a_classifier() {
    let mut harness = app();
    // The Sentiment tab finds the sample store's reviews.csv by itself.
    harness.get_by_label("Sentiment").click();
    common::step_until(&mut harness, "the sample reviews", |app| {
        app.sentiment_has_own_reviews() && !app.is_busy()
    });
    harness.get_by_label("Runs").click();
    harness.run_steps(2);
    // Open the model combo (it shows the current choice) and pick naive Bayes.
    harness.get_by_label("model").hover();
    harness.run_steps(1);
    harness.get_by_label("model").click();
    harness.run_steps(3);
    harness.get_by_label("Sentiment: naive Bayes").click();
    harness.run_steps(2);
    assert_eq!(harness.state().sweep_axes()[0], "alpha");
    harness.get_by_label("3 runs planned");
    harness.get_by_label("Run sweep").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "the sentiment sweep", |app| {
        !app.is_job_active(JobKind::Sweep) && app.bench().runs().len() == 3
    });
    for e in &harness.state().bench().runs().entries {
        assert_eq!(e.record.kind, shoplens::text::KIND);
        assert_eq!(e.record.model, "nb");
        assert!(e.record.metrics["accuracy"] > 0.8, "{:?}", e.record.metrics);
    }
    harness.get_by_label("#3");
    harness.get_all_by_label("Explore").next().unwrap().click();
    harness.run_steps(3);
    assert!(harness.state().sentiment_result().is_some());
    assert_eq!(harness.state().tab(), "sentiment");
}

#[test]
fn a_tpe_search_from_the_runs_tab_grows_a_study_that_can_be_stopped_and_resumed() {
    let mut harness = app();
    harness
        .state_mut()
        .set_recommend_param("iterations", 6.into())
        .unwrap();
    harness.state_mut().recommend_options_mut().validate_every = 1;
    harness.get_by_label("Runs").click();
    harness.run_steps(2);
    harness.get_by_label("Search").click();
    harness.run_steps(2);
    // The space comes from the specs: ALS's simple parameters are ticked.
    harness.get_by_label("factors");
    harness.get_by_label("TPE");
    harness.get_by_label("up to 30 trials");
    harness.get_by_label("Start search").click();
    harness.run_steps(1);
    assert!(harness.state().is_job_active(JobKind::Sweep));
    // Let it run a few trials, then stop it.
    let deadline = Instant::now() + Duration::from_secs(120);
    while harness.state().bench().runs().len() < 3 {
        assert!(Instant::now() < deadline, "no trials arrived");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.get_by_label_contains("Study #1");
    harness.get_by_label("Optimisation history");
    harness.get_by_label("Stop search").click();
    while harness.state().is_job_active(JobKind::Sweep) {
        assert!(Instant::now() < deadline, "the search did not stop");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_steps(3);
    harness.get_by_label_contains("Search stopped");
    let before = harness.state().bench().runs().len();
    assert_eq!(harness.state().bench().runs().studies.len(), 1);
    // Resume: the form continues study #1, whose new trials join it.
    harness.get_by_label("Resume").click();
    harness.run_steps(2);
    harness.get_by_label_contains("continues study #1");
    harness.get_by_label("Resume search").click();
    harness.run_steps(1);
    while harness.state().bench().runs().len() < before + 2 {
        assert!(
            Instant::now() < deadline,
            "the resumed search gave no trials"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.get_by_label("Stop search").click();
    while harness.state().is_job_active(JobKind::Sweep) {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let runs = harness.state().bench().runs();
    assert_eq!(runs.studies.len(), 1, "resumed, not a new study");
    assert!(runs.entries.iter().all(|e| e.record.sweep == Some(1)));
    // It survives a workspace round trip.
    let reopened = common::through_workspace(runs);
    assert_eq!(reopened.studies.len(), 1);
    assert_eq!(reopened.sweep_records(1).len(), runs.entries.len());
}
