//! The Predict tab on the sample store: train, read the evaluation and the
//! customer list, flip to churn, and a bad cutoff leaves the result shown.
use crate::common;

use egui_kittest::kittest::Queryable;
use shoplens::predict::task::Target;

#[test]
fn train_read_flip_to_churn_and_keep_the_result_on_a_bad_cutoff() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Predict").click();
    harness.run_steps(2);
    // The sample store spans 120 days: the window is sized to fit it.
    let window = harness
        .state()
        .predict_window()
        .expect("a window for the data");
    assert!((20..=40).contains(&window), "{window}");
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the model", |app| {
        app.predict_result().is_some() && !app.is_busy()
    });
    let r = harness.state().predict_result().unwrap();
    assert!(r.metrics.roc_auc > 0.6, "{}", r.metrics.roc_auc);
    assert!(
        !r.scored.is_empty()
            && r.scored
                .windows(2)
                .all(|w| w[0].probability >= w[1].probability)
    );
    harness.get_by_label_contains("The top 10% of scores hold");
    harness.get_by_label("recency rule");
    let runs = &harness.state().bench().runs().entries;
    assert_eq!(runs[0].record.kind, shoplens::predict::KIND);

    // Find the third customer by id and open their detail.
    let third = r.scored[2].customer.clone();
    harness.get_by_label("find customer").scroll_to_me();
    harness.run_steps(2);
    harness.get_by_label("find customer").focus();
    harness.run_steps(1);
    harness.get_by_label("find customer").type_text(&third);
    harness.run_steps(2);
    let first = &r.scored[0].customer;
    assert!(first.contains(&third) || harness.query_by_label(first).is_none());
    harness.get_by_label(&third).scroll_to_me();
    harness.run_steps(2);
    harness.get_by_label(&third).click();
    harness.run_steps(2);
    harness.get_by_label_contains(&format!("{third}: "));
    harness.get_by_label_contains("rank 3 of");
    harness.get_by_label("push");

    harness.get_by_label("slipping away (churn)").click();
    harness.run_steps(1);
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the churn model", |app| {
        app.predict_result()
            .is_some_and(|r| r.target == Target::Churn)
            && !app.is_busy()
    });
    let churn = harness.state().predict_result().unwrap();
    assert!((churn.test.positive_rate + r.test.positive_rate - 1.0).abs() < 1e-9);

    // A cutoff outside the data: a message, and the churn result stays.
    harness.state_mut().predict_settings_mut().cutoff = "2030-01-01".into();
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the failed run", |app| {
        app.bench().runs().len() == 3 && !app.is_busy()
    });
    assert!(harness
        .state()
        .predict_message()
        .unwrap_or_default()
        .contains("outside the data"));
    assert_eq!(
        harness.state().predict_result().unwrap().target,
        Target::Churn
    );
}
