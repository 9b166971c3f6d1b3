//! Drives the Sentiment tab of the real app: the sample store's reviews load by
//! themselves, training runs on a worker while the curve grows, a typed review
//! is scored live, confusion-matrix cells list their reviews, and a failed run
//! leaves the previous result on screen.

mod common;

use egui_kittest::kittest::Queryable;
use shoplens::text::LabelSource;

#[test]
fn train_on_the_sample_reviews_and_try_a_sentence() {
    let mut harness = common::sample_app(1400.0, 1100.0);

    harness.get_by_label("Sentiment").click();
    common::step_until(&mut harness, "the sample reviews", |app| {
        app.sentiment.own_source.is_some()
    });
    harness.get_by_label_contains("reviews.csv");
    let columns = harness
        .state()
        .sentiment
        .columns
        .clone()
        .expect("columns guessed");
    assert_eq!(columns.text, "review");
    assert!(
        matches!(columns.label, LabelSource::Rating { .. }),
        "stars become labels"
    );

    harness.get_by_label("Train").click();
    harness.run_steps(1);
    assert!(
        harness.state().sentiment.job.is_running(),
        "training runs on a worker"
    );
    common::step_until(&mut harness, "training", |app| {
        !app.sentiment.job.is_running()
    });
    assert!(
        harness.state().sentiment.live_epochs.len() > 3,
        "loss curve has points"
    );
    harness.get_by_label_contains("Training curve (");
    let result = harness.state().sentiment.result.clone().expect("a result");
    assert!(result.run.metrics.accuracy > 0.9);

    // Type a clearly positive review into the try-it box.
    let try_it = harness.get_by_label("Try it");
    try_it.click();
    harness.run_steps(1);
    harness
        .get_by_label("Try it")
        .type_text("Absolutely love this, excellent quality and works perfectly");
    harness.run_steps(3);
    harness.get_by_label_contains("Positive · P(positive) =");
    harness.get_by_label_contains("pushed positive: ");
    // A different sentence re-scores at once.
    harness.state_mut().sentiment.try_text = "Terrible quality, it broke after two days".into();
    harness.run_steps(2);
    harness.get_by_label_contains("Negative · P(positive) =");
    harness.state_mut().sentiment.try_text =
        "Absolutely love this, excellent quality and works perfectly".into();
    harness.run_steps(2);

    // A confusion-matrix cell lists its reviews.
    harness
        .get_all_by_label_contains("correct")
        .next()
        .expect("cell")
        .click();
    harness.run_steps(3);
    harness.get_by_label_contains("reviews actually negative, predicted negative");

    // A failing run (a label column that is not binary) keeps the result.
    harness
        .state_mut()
        .sentiment
        .columns
        .as_mut()
        .unwrap()
        .label = LabelSource::Label {
        column: "review_time".into(),
    };
    // Move there first, as a user's pointer would (a click from far away in
    // the same frame is not seen as a click by egui here).
    harness.get_by_label("Train").hover();
    harness.run_steps(1);
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "the failing run", |app| {
        app.sentiment.message.is_some()
    });
    let message = harness
        .state()
        .sentiment
        .message
        .clone()
        .unwrap_or_default();
    assert!(message.contains("binary label"), "{message}");
    assert!(
        harness.state().sentiment.result.is_some(),
        "previous result kept"
    );
    harness.get_by_label_contains("Positive · P(positive) =");
}
