//! Drives the Recommend tab's session mode in the real app on the DIGINETICA
//! sample: the log opens in session mode, V-SKNN fits from the UI, the
//! explorer shows a test session's next items with the neighbour sessions
//! behind them, a click adds an item to the session, and the item view
//! lists what was viewed next.
use crate::common;

use egui_kittest::kittest::Queryable;
use shoplens::workbench::JobKind;

/// The app with the DIGINETICA sample loaded (None without ../shared).
fn diginetica_app() -> Option<egui_kittest::Harness<'static, shoplens::ui::ShoplensApp>> {
    let path = common::shared_data()?.join("diginetica-sample/sample_train-item-views.csv");
    let mut harness = egui_kittest::Harness::builder()
        .with_size(eframe::egui::vec2(1400.0, 1000.0))
        .build_eframe(|cc| {
            shoplens::ui::ShoplensApp::new(&cc.egui_ctx, Default::default(), Some(path))
        });
    common::step_until(&mut harness, "the DIGINETICA sample", |app| {
        app.bench().data().is_some() && !app.is_busy()
    });
    Some(harness)
}

#[test]
fn fit_vsknn_from_the_ui_and_explore_a_session() {
    let Some(mut harness) = diginetica_app() else {
        return;
    };
    harness.get_by_label("Recommend").click();
    harness.run_steps(2);
    assert!(
        harness.state().recommend_sessions_mode(),
        "a log whose sessions stand in for users opens in session mode"
    );
    harness.get_by_label("Session model");
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "V-SKNN to fit", |app| {
        !app.is_job_active(JobKind::Train(shoplens::session::KIND))
    });
    harness.get_by_label("Explore: V-SKNN (vector session kNN)");
    let t = harness.state().explored_session_model().expect("explored");
    assert_eq!(t.metrics.predictions, 102);
    // The first test session, one view in: its next items, with reasons.
    assert_eq!(harness.state().session_views(), t.data.test[0].items[..1]);
    harness.get_by_label("Recommended next");
    assert!(
        harness
            .query_all_by_label_contains("because a similar session")
            .count()
            > 0,
        "neighbour sessions explain the list"
    );
    harness
        .get_all_by_label_contains("Actually viewed next")
        .next()
        .expect("the true next view");
    // "+" on the first recommendation views it next: the session grows.
    let first = t.next_items_to_show(
        &t.data.test[0].items[..1],
        Some(t.data.test[0].times[1]),
        20,
    )[0]
    .item;
    harness
        .get_all_by_label("+")
        .nth(1)
        .expect("a + beside the first recommendation")
        .click();
    harness.run_steps(2);
    let views = harness.state().session_views();
    assert_eq!(views.len(), 2);
    assert_eq!(views[1], first);
    harness.get_by_label("Viewed so far (2)");
    // The item view: what training sessions viewed right after it.
    let label = t.item_label(first).to_owned();
    harness
        .get_all_by_label(&label)
        .next()
        .expect("the item")
        .click();
    harness.run_steps(2);
    harness
        .get_all_by_label_contains("views in training")
        .next()
        .expect("item view");
}

#[test]
fn train_sasrec_on_sessions_from_the_ui_with_its_curve_and_reasons() {
    let Some(mut harness) = diginetica_app() else {
        return;
    };
    harness.get_by_label("Recommend").click();
    harness.run_steps(2);
    harness.get_by_label("Session model").click();
    harness.run_steps(2);
    harness.get_by_label("SASRec (deep, on sessions)").click();
    harness.run_steps(2);
    // A deep model takes a seed; its hyperparameters come from the shared specs.
    harness.get_by_label("seed");
    harness
        .state_mut()
        .set_session_param("epochs", 15.into())
        .unwrap();
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "SASRec to train on sessions", |app| {
        !app.is_job_active(JobKind::Train(shoplens::session::KIND))
    });
    harness.run_steps(2);
    let t = harness.state().explored_session_model().expect("explored");
    assert_eq!(t.params.name(), "session-sasrec");
    assert_eq!(t.metrics.predictions, 102);
    // The curve of the run stays on screen, and the list is explained by
    // the views the network read.
    harness
        .get_all_by_label_contains("Training curves (")
        .next()
        .expect("the training curves");
    assert!(
        harness
            .query_all_by_label_contains("because you viewed")
            .count()
            > 0,
        "the views read explain the list"
    );
}
