//! Results stay with the data they came from: each tab that trained on the
//! sample store says so plainly once another store is loaded (and can load
//! its file back or put the result away), the runs tables and comparisons
//! keep to the loaded file's runs, and the demo runs from any state and
//! gives the user's data and runs back. At 1280×800, the smallest window
//! the app is made for.
use std::path::{Path, PathBuf};

use crate::common;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use shoplens::demo::state::StepStatus;
use shoplens::demo::tour::TOUR;
use shoplens::ui::ShoplensApp;
use shoplens::workbench::{Command, JobKind};

const BANNER: &str = "This result was made on";

/// A second, smaller generated store (events, items, reviews) in `dir`.
fn second_store(dir: &Path) -> PathBuf {
    let params = shoplens::data::generate::GenerateParams {
        users: 400,
        items: 80,
        events: 12_000,
        seed: 5,
        out: dir.to_path_buf(),
        image_dir: None,
    };
    shoplens::data::generate::generate(&params, &|_, _| {}).expect("a generated store");
    dir.join("events.csv")
}

fn open(harness: &mut Harness<'static, ShoplensApp>, path: &Path) {
    harness
        .state_mut()
        .send(Command::OpenFile(path.to_path_buf()));
    let wanted = path.to_path_buf();
    common::step_until(harness, "the file to load", move |app| {
        app.bench().dataset().is_some_and(|d| d.path == wanted) && !app.is_busy()
    });
}

fn tab(harness: &mut Harness<'static, ShoplensApp>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(3);
}

fn train(harness: &mut Harness<'static, ShoplensApp>, kind: shoplens::runs::RunKind) {
    let before = harness.state().bench().runs().len();
    harness.get_by_label("Train").click();
    common::step_until(harness, "the run", move |app| {
        app.bench().runs().len() > before && !app.is_job_active(JobKind::Train(kind))
    });
}

fn banner_shown(harness: &Harness<'static, ShoplensApp>) -> bool {
    harness.query_by_label_contains(BANNER).is_some()
}

#[test]
fn each_tab_says_when_its_result_belongs_to_another_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let other = second_store(dir.path());
    let mut harness = common::sample_app(1280.0, 800.0);

    tab(&mut harness, "Recommend");
    train(&mut harness, shoplens::recsys::KIND);
    tab(&mut harness, "Predict");
    train(&mut harness, shoplens::predict::KIND);
    tab(&mut harness, "Explore / exploit");
    common::step_until(&mut harness, "the store's arms", |app| {
        !app.bandit_arms().is_empty()
    });
    train(&mut harness, shoplens::bandit::KIND);
    tab(&mut harness, "Sentiment");
    common::step_until(&mut harness, "the sample reviews", |app| {
        app.sentiment_columns().is_some() && !app.is_busy()
    });
    train(&mut harness, shoplens::text::KIND);
    for label in ["Recommend", "Predict", "Explore / exploit", "Sentiment"] {
        tab(&mut harness, label);
        assert!(!banner_shown(&harness), "{label}: same data, no banner");
    }

    open(&mut harness, &other);
    tab(&mut harness, "Recommend");
    assert!(banner_shown(&harness), "Recommend");
    harness.get_by_label_contains("sample_data/events.csv (60,000 rows)");
    // The recommender's runs table keeps to the loaded file.
    harness.get_by_label("also the 1 run(s) on other files");
    tab(&mut harness, "Predict");
    assert!(banner_shown(&harness), "Predict");
    tab(&mut harness, "Explore / exploit");
    assert!(banner_shown(&harness), "the race");
    tab(&mut harness, "Sentiment");
    // The tab reads the new store's own reviews.csv.
    common::step_until(&mut harness, "the new store's reviews", |app| {
        !app.is_busy()
    });
    assert!(
        banner_shown(&harness),
        "Sentiment: {:?} / {:?} / {:?}",
        harness.state().sentiment_message(),
        harness.state().sentiment_result().map(|r| r.data.clone()),
        shoplens::ui::sentiment_tab::review_source(harness.state().bench()).map(|d| d.path.clone())
    );

    // Put away: the result goes, its run stays.
    let runs = harness.state().bench().runs().len();
    harness.get_by_label("Put it away").click();
    harness.run_steps(3);
    assert!(harness.state().sentiment_result().is_none());
    assert!(!banner_shown(&harness));
    assert_eq!(harness.state().bench().runs().len(), runs);

    // Load it again: the sample store is back and the banner goes.
    tab(&mut harness, "Predict");
    harness
        .get_by_label_contains("Load sample_data/events.csv again")
        .click();
    let sample = common::sample_events();
    common::step_until(&mut harness, "the sample store again", move |app| {
        app.bench().dataset().is_some_and(|d| {
            std::fs::canonicalize(&d.path).ok() == std::fs::canonicalize(&sample).ok()
        }) && !app.is_busy()
    });
    harness.run_steps(3);
    assert!(
        !banner_shown(&harness),
        "the result is the loaded data's again"
    );
    assert!(harness.state().predict_result().is_some());
}

#[test]
fn the_demo_runs_after_other_files_and_gives_the_users_work_back() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let other = second_store(dir.path());
    let mut harness = common::sample_app(1280.0, 800.0);
    // Real use first: a run on the sample store, then another store, the
    // Recommend tab left in its Sessions mode and the bandit tab on the
    // logged-policy panel.
    tab(&mut harness, "Recommend");
    train(&mut harness, shoplens::recsys::KIND);
    open(&mut harness, &other);
    harness.get_by_label("Sessions").click();
    harness.run_steps(2);
    tab(&mut harness, "Explore / exploit");
    harness.get_by_label("Evaluate a logged policy").click();
    harness.run_steps(2);
    let runs_before = harness.state().bench().runs().len();

    harness.get_by_label("Demo").click();
    harness.run_steps(2);
    for (step, place) in TOUR.iter().enumerate() {
        common::step_until(&mut harness, &format!("tour step {}", step + 1), |app| {
            app.demo_step()
                .is_some_and(|(at, status)| at == step && !matches!(status, StepStatus::Working(_)))
        });
        let (_, status) = harness.state().demo_step().expect("in the tour");
        assert!(
            matches!(status, StepStatus::Ready { .. }),
            "step {} ({}) after real use: {status:?}",
            step + 1,
            place.caption
        );
        assert_eq!(harness.state().tab(), place.place);
        match step {
            1 => assert!(harness.state().explored_recommender().is_some()),
            4 => assert!(harness.state().topics_result().is_some()),
            5 => assert!(!harness.state().scanned_ks().is_empty()),
            6 => assert!(harness.state().bandit_race().is_some()),
            7 => assert!(harness.state().predict_result().is_some()),
            _ => {}
        }
        if step == 0 {
            assert!(
                harness.state().bench().runs().is_empty(),
                "the tour shows and compares only its own runs"
            );
            assert!(harness
                .state()
                .bench()
                .dataset()
                .is_some_and(|d| d.path.ends_with("sample_data/events.csv")));
        }
        harness.key_press(eframe::egui::Key::ArrowRight);
        harness.run_steps(2);
    }
    assert!(harness.state().demo_step().is_none(), "the tour ended");
    // The user's file, runs and modes are back.
    assert_eq!(
        harness.state().bench().dataset().map(|d| d.path.clone()),
        Some(other.clone())
    );
    assert_eq!(harness.state().bench().runs().len(), runs_before);
    harness.run_steps(1);
    assert!(
        harness
            .query_all_by_value(&other.display().to_string())
            .next()
            .is_some()
            && harness
                .query_all_by_role(eframe::egui::accesskit::Role::TextInput)
                .all(|n| !n
                    .value()
                    .unwrap_or_default()
                    .ends_with("sample_data/events.csv")),
        "the path box names the user's file again, not the tour's"
    );
    assert_eq!(harness.state().tab(), "bandit");
    assert!(
        harness.query_by_label("Load log").is_some(),
        "the logged-policy panel"
    );
    tab(&mut harness, "Recommend");
    assert!(harness.state().recommend_sessions_mode());
}
