//! Drives the Sentiment tab of the real app: the sample store's reviews load by
//! themselves, training runs on a worker while the curve grows, a typed review
//! is scored live, confusion-matrix cells list their reviews, and a failed run
//! leaves the previous result on screen.

use crate::common;

use egui_kittest::kittest::Queryable;
use shoplens::text::LabelSource;
use shoplens::workbench::JobKind;

const TRAIN: JobKind = JobKind::Train(shoplens::text::KIND);

#[test]
fn train_on_the_sample_reviews_and_try_a_sentence() {
    let mut harness = common::sample_app(1400.0, 1100.0);

    harness.get_by_label("Sentiment").click();
    common::step_until(&mut harness, "the sample reviews", |app| {
        app.sentiment_has_own_reviews()
    });
    harness.get_by_label_contains("reviews.csv");
    let columns = harness
        .state()
        .sentiment_columns()
        .expect("columns guessed");
    assert_eq!(columns.text, "review");
    assert!(
        matches!(columns.label, LabelSource::Rating { .. }),
        "stars become labels"
    );

    harness.get_by_label("Train").click();
    harness.run_steps(1);
    assert!(
        harness.state().is_job_active(TRAIN),
        "training runs on a worker"
    );
    common::step_until(&mut harness, "training", |app| !app.is_job_active(TRAIN));
    assert!(
        harness.state().sentiment_curve().len() > 3,
        "loss curve has points"
    );
    harness.get_by_label_contains("Training curve (");
    let result = harness.state().sentiment_result().expect("a result");
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
    harness
        .state_mut()
        .set_try_text("Terrible quality, it broke after two days");
    harness.run_steps(2);
    harness.get_by_label_contains("Negative · P(positive) =");
    harness
        .state_mut()
        .set_try_text("Absolutely love this, excellent quality and works perfectly");
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
    let mut broken = columns.clone();
    broken.label = LabelSource::Label {
        column: "review_time".into(),
    };
    harness.state_mut().set_sentiment_columns(broken);
    // Move there first, as a user's pointer would (a click from far away in
    // the same frame is not seen as a click by egui here).
    harness.get_by_label("Train").hover();
    harness.run_steps(1);
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "the failing run", |app| {
        app.sentiment_message().is_some()
    });
    let message = harness
        .state()
        .sentiment_message()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("binary label"), "{message}");
    assert!(
        harness.state().sentiment_result().is_some(),
        "previous result kept"
    );
    harness.get_by_label_contains("Positive · P(positive) =");
}
