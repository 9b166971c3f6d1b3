//! Demo mode on the sample store: the tour runs to its end, each step
//! reaches its state through the same actions as a user's clicks, and the
//! presenter's keys move, pause and leave it.
use crate::common;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use shoplens::demo::state::StepStatus;
use shoplens::demo::tour::TOUR;

fn settle(harness: &mut egui_kittest::Harness<'static, shoplens::ui::ShoplensApp>, step: usize) {
    common::step_until(harness, &format!("tour step {}", step + 1), |app| {
        app.demo_step()
            .is_some_and(|(at, status)| at == step && !matches!(status, StepStatus::Working(_)))
    });
    let (_, status) = harness.state().demo_step().unwrap();
    assert!(
        matches!(status, StepStatus::Ready { .. }),
        "step {} ({}) did not get ready: {status:?}",
        step + 1,
        TOUR[step].caption
    );
    harness.get_by_label_contains(&format!(
        "{} / {} — {}",
        step + 1,
        TOUR.len(),
        TOUR[step].caption
    ));
}

#[test]
fn the_tour_runs_to_its_end_and_each_step_reaches_its_state() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    assert!(!harness.state().simple_mode());
    harness.get_by_label("Demo").click();
    harness.run_steps(2);
    assert!(
        harness.state().simple_mode(),
        "the tour shows the simple UI"
    );

    settle(&mut harness, 0);
    assert_eq!(harness.state().tab(), "data");
    assert!(harness.state().bench().dataset().is_some());

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 1);
    assert_eq!(harness.state().tab(), "recommend");
    let als = harness
        .state()
        .explored_recommender()
        .expect("a trained ALS");
    assert_eq!(
        als.params.kind(),
        shoplens::recsys::params::RecommenderKind::Als
    );
    assert!(!als.epochs.is_empty(), "the curve grew");
    // Simple mode: no threads or filters for the audience to read.
    assert!(harness.query_by_label("threads").is_none());
    assert!(harness.query_by_label("min items per user").is_none());

    harness.key_press(egui::Key::Space);
    settle(&mut harness, 2);
    let customer = harness
        .state()
        .explored_customer()
        .expect("a customer open");
    let label = &als.data.user_labels[customer as usize];
    harness.get_by_label_contains(&format!("Recommendations for {label}"));

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 3);
    assert_eq!(harness.state().tab(), "sentiment");
    assert!(harness.state().sentiment_result().is_some());
    harness.run_steps(3);
    assert!(harness
        .state()
        .tried_review()
        .is_some_and(|t| t.contains("质量很好")));
    harness.get_by_label_contains("Positive · P(positive) =");

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 4);
    assert_eq!(harness.state().tab(), "topics");
    assert!(
        harness.state().topics_result().is_some(),
        "the negative reviews' topics were found"
    );

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 5);
    assert!(!harness.state().scanned_ks().is_empty(), "k was scanned");

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 6);
    let race = harness.state().bandit_race().expect("a race");
    assert!(race.policies.len() >= 2);

    // Pause holds nothing back in manual mode, and resumes.
    harness.key_press(egui::Key::P);
    harness.run_steps(1);
    assert!(harness.state().demo_paused());
    harness.key_press(egui::Key::P);
    harness.run_steps(1);
    assert!(!harness.state().demo_paused());

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 7);
    assert!(harness.state().predict_result().is_some());

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 8);
    assert_eq!(harness.state().tab(), "runs");
    assert!(harness.state().overlaid_runs().len() >= 2);

    // ← goes back a step without training again.
    let runs = harness.state().bench().runs().len();
    harness.key_press(egui::Key::ArrowLeft);
    settle(&mut harness, 7);
    assert_eq!(harness.state().bench().runs().len(), runs);

    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness, 8);
    harness.key_press(egui::Key::ArrowRight);
    harness.run_steps(2);
    assert!(
        harness.state().demo_step().is_none(),
        "past the last step the tour ends"
    );
    assert!(
        !harness.state().simple_mode(),
        "the user's own mode is back"
    );
}

#[test]
fn escape_leaves_the_tour_and_the_view_menu_switches_theme_and_mode() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Demo").click();
    harness.run_steps(2);
    assert!(harness.state().demo_step().is_some());
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().demo_step().is_none());

    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness
        .get_by_label("Light, high contrast (projectors)")
        .click();
    harness.run_steps(1);
    assert!(harness.state().light_theme());
    harness.run_steps(2);
    if harness.query_by_label("Simple mode").is_none() {
        harness.get_by_label("View").click();
        harness.run_steps(2);
    }
    harness.get_by_label("Simple mode").click();
    harness.run_steps(2);
    assert!(harness.state().simple_mode());
}

#[test]
fn the_remembered_scale_and_view_come_back_at_start() {
    let state = shoplens::ui::PersistedState {
        zoom: 1.5,
        view: shoplens::ui::ViewSettings {
            simple: true,
            light: true,
        },
        ..Default::default()
    };
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 1000.0))
        .build_eframe(move |cc| {
            shoplens::ui::ShoplensApp::new(
                &cc.egui_ctx,
                state.clone(),
                Some(common::sample_events()),
            )
        });
    harness.run_steps(2);
    assert!((harness.ctx.zoom_factor() - 1.5).abs() < 1e-6);
    assert!(harness.state().simple_mode() && harness.state().light_theme());
    // Ctrl 0 is egui's reset of the scale.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num0);
    harness.run_steps(2);
    assert!((harness.ctx.zoom_factor() - 1.0).abs() < 1e-6);
}
