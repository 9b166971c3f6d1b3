//! Drives the Topics tab of the real app on the sample store: its reviews
//! load by themselves, topics are found on a worker, a click on a topic
//! shows its details and lists its reviews, a rename is kept with the run
//! (and through a workspace), and a bad k is refused with a message while
//! the result stays.

use crate::common;

use egui_kittest::kittest::Queryable;
use shoplens::workbench::JobKind;

const FIT: JobKind = JobKind::Train(shoplens::text::topics::KIND);

#[test]
fn find_topics_in_the_sample_reviews_rename_one_and_list_its_reviews() {
    let mut harness = common::sample_app(1400.0, 1100.0);
    harness.get_by_label("Topics").click();
    common::step_until(&mut harness, "the sample reviews", |app| {
        !app.is_busy()
            && app
                .bench()
                .side::<shoplens::text::settings::ReviewsBeside>()
                .is_some()
    });
    harness.run_steps(2);
    harness.get_by_label_contains("reviews.csv");

    harness.get_by_label("Find topics").click();
    harness.run_steps(1);
    assert!(
        harness.state().is_job_active(FIT),
        "topics are found on a worker"
    );
    common::step_until(&mut harness, "finding topics", |app| {
        !app.is_job_active(FIT)
    });
    harness.run_steps(2);
    let result = harness.state().topics_result().expect("a result");
    assert_eq!(result.run.topics.len(), 8);
    assert!(
        result.run.chosen_by.contains("negative"),
        "{}",
        result.run.chosen_by
    );
    harness.get_by_label_contains("8 topics in");

    // The second topic's words select it; its reviews are listed.
    let second = result.run.topics[1].words[..6]
        .iter()
        .map(|(w, _)| w.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    harness.get_by_label(&second).click();
    harness.run_steps(2);
    assert_eq!(harness.state().topic_selected(), (1, false));
    harness.get_by_label_contains("Topic 2:");
    let reviews = result.run.topics[1].reviews;
    harness
        .get_by_label(&format!("List all {reviews} reviews"))
        .click();
    harness.run_steps(2);
    assert_eq!(harness.state().topic_selected(), (1, true));
    harness.get_by_label("Hide the list");

    // Rename a topic: the name is kept in the run record.
    let open_rename = |harness: &mut egui_kittest::Harness<'static, shoplens::ui::ShoplensApp>| {
        harness
            .get_all_by_label("Rename")
            .next()
            .expect("a Rename button")
            .click();
        harness.run_steps(2);
    };
    open_rename(&mut harness);
    harness.get_by_label("Save name").click();
    harness.run_steps(1);
    // An empty name leaves the words as the label.
    assert!(harness.state().topic_names().is_empty());
    open_rename(&mut harness);
    // The name field takes the focus when it opens.
    harness
        .get_all_by_role(eframe::egui::accesskit::Role::TextInput)
        .find(|node| node.is_focused())
        .expect("the focused name field")
        .type_text("broken products");
    harness.run_steps(1);
    harness.get_by_label("Save name").click();
    harness.run_steps(3);
    let names = harness.state().topic_names();
    let (key, name) = names.iter().next().expect("one topic named");
    assert_eq!((names.len(), name.as_str()), (1, "broken products"));
    assert!(harness
        .get_all_by_label_contains("broken products")
        .next()
        .is_some());
    let history = harness.state().bench().runs().clone();
    let reopened = common::through_workspace(&history);
    let run = reopened.entries.last().expect("the topics run");
    assert_eq!(
        run.record.labels.get(key),
        Some(name),
        "kept in the workspace"
    );

    // k = 1 is refused before any work; the result stays on screen.
    harness.state_mut().topics_params_mut().k = 1;
    harness.get_by_label("Find topics").click();
    harness.run_steps(2);
    let message = harness
        .state()
        .topics_message()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("k must be between 2"), "{message}");
    assert!(harness.state().topics_result().is_some());
}
