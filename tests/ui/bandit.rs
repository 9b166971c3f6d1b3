//! The Explore / exploit tab driven like a merchant would: arms from the
//! sample store's most viewed items, a race run and cancelled, and an
//! off-policy estimate on the Open Bandit log.
use crate::common;
use shoplens::bandit::params::{EvalPolicy, RewardModelKind};

use egui_kittest::kittest::Queryable;
use shoplens::runs::RunStatus;
use shoplens::workbench::JobKind;

#[test]
fn a_race_on_the_store_s_top_items_runs_and_is_recorded() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Explore / exploit").click();
    common::step_until(&mut harness, "the store's arms", |app| {
        app.bandit_arms().len() == 8
    });
    let arms = harness.state().bandit_arms();
    assert!(arms.iter().all(|a| (0.0..=1.0).contains(&a.rate)));
    assert!(arms.iter().any(|a| a.rate > 0.0), "{arms:?}");
    {
        let s = harness.state_mut().bandit_settings_mut();
        s.params.horizon = 2000;
        s.params.replications = 20;
    }
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the race", |app| {
        app.bandit_race().is_some() && !app.is_busy()
    });
    let race = harness.state().bandit_race().unwrap();
    assert_eq!(race.finished, 20);
    assert_eq!(
        race.policies.len(),
        3,
        "ε-greedy, UCB1, Thompson ticked by default"
    );
    harness.get_by_label_contains("lost least");
    let runs = &harness.state().bench().runs().entries;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].record.kind, shoplens::bandit::KIND);
    assert_eq!(runs[0].record.status, RunStatus::Done);

    // A long race, cancelled: its finished replications are kept.
    {
        let s = harness.state_mut().bandit_settings_mut();
        s.params.horizon = 200_000;
        s.params.replications = 2000;
    }
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    let job = JobKind::Train(shoplens::bandit::KIND);
    common::step_until(&mut harness, "a few replications", |app| {
        !app.bench().jobs().epochs(job).is_empty() || !app.is_job_active(job)
    });
    harness.get_by_label("Cancel").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "the cancelled race", |app| {
        !app.is_job_active(job)
    });
    let runs = &harness.state().bench().runs().entries;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].record.status, RunStatus::Cancelled);
    let kept = harness.state().bandit_race().unwrap();
    assert!(
        kept.finished > 0 && kept.finished < 2000,
        "{}",
        kept.finished
    );
    assert!(harness
        .state()
        .bandit_message()
        .unwrap_or_default()
        .contains("Cancelled after"));
}

#[test]
fn a_race_per_user_segment_shows_each_segment_s_regret() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Explore / exploit").click();
    harness.run_steps(2);
    harness.get_by_label("per user segment").click();
    harness.run_steps(1);
    harness.get_by_label("LinUCB").click();
    harness.run_steps(1);
    {
        let s = harness.state_mut().bandit_settings_mut();
        assert!(s.per_segment && !s.from_store);
        s.params.horizon = 3000;
        s.params.replications = 10;
    }
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the race", |app| {
        app.bandit_race().is_some() && !app.is_busy()
    });
    let race = harness.state().bandit_race().unwrap();
    assert_eq!(race.segments.len(), 3);
    let regret = |name: &str| {
        race.policies
            .iter()
            .find(|p| p.policy == name)
            .map(|p| p.mean_regret)
            .unwrap()
    };
    assert!(regret("linucb") < regret("thompson"));
    harness.get_by_label("Regret at T by user segment");
    harness.get_by_label_contains("LinUCB lost least");
}

#[test]
fn a_race_per_user_segment_reads_its_rates_from_the_loaded_log() {
    let Some(log) = open_bandit_log() else {
        return;
    };
    let mut harness = log_opened_in_the_tab(&log);
    harness.get_by_label("Race strategies").click();
    harness.run_steps(2);
    harness.get_by_label("per user segment").click();
    harness.run_steps(1);
    harness.get_by_label("from the loaded data").click();
    common::step_until(&mut harness, "the log's segments", |app| {
        !app.bandit_settings().log_segments.is_empty() && !app.is_busy()
    });
    let read = harness.state().bandit_settings().log_segments.len();
    assert!(read >= 2);
    assert_eq!(
        harness.state().bandit_settings().segment_col,
        "user_feature_0"
    );
    harness.run_steps(1);
    harness.get_by_label("split on");
    {
        let s = harness.state_mut().bandit_settings_mut();
        s.params.horizon = 1000;
        s.params.replications = 5;
    }
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the race", |app| {
        app.bandit_race().is_some() && !app.is_busy()
    });
    let race = harness.state().bandit_race().unwrap();
    assert_eq!(race.segments.len(), read);
    assert!(race.segments[0].label.starts_with("user_feature_0 = "));
    harness.get_by_label("Regret at T by user segment");
}

/// The Open Bandit sample log, or `None` (said on stderr) when it is absent.
fn open_bandit_log() -> Option<std::path::PathBuf> {
    let log = common::shared_data()?.join("open-bandit-dataset-sample/bts/all/all.csv");
    if !log.exists() {
        eprintln!("SKIPPED: {} is absent", log.display());
        return None;
    }
    Some(log)
}

/// The sample store's app with `log` opened beside it in the evaluation
/// panel, as a user would: tab, panel, path, Load log.
fn log_opened_in_the_tab(
    log: &std::path::Path,
) -> egui_kittest::Harness<'static, shoplens::ui::ShoplensApp> {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Explore / exploit").click();
    harness.run_steps(2);
    harness.get_by_label("Evaluate a logged policy").click();
    harness.run_steps(2);
    harness
        .state_mut()
        .set_bandit_log_path(&log.display().to_string());
    harness.run_steps(1);
    harness.get_by_label("Load log").click();
    common::step_until(&mut harness, "the log", |app| {
        app.bench()
            .side::<shoplens::bandit::settings::LoggedFile>()
            .is_some()
            && !app.is_busy()
    });
    harness
}

#[test]
fn the_open_bandit_log_is_evaluated_from_the_tab() {
    let Some(log) = open_bandit_log() else {
        return;
    };
    let mut harness = log_opened_in_the_tab(&log);
    // The store stays loaded beside the log.
    assert!(harness
        .state()
        .bench()
        .dataset()
        .is_some_and(|d| d.path.ends_with("events.csv")));
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the estimate", |app| {
        app.bandit_estimate().is_some() && !app.is_busy()
    });
    let r = harness.state().bandit_estimate().unwrap();
    assert!((r.estimates.ipw.value - 0.0023596).abs() < 5e-8);
    harness.get_by_label_contains("DR estimate");
}

#[test]
fn a_per_segment_policy_is_judged_with_the_logistic_reward_model() {
    let Some(log) = open_bandit_log() else {
        return;
    };
    let mut harness = log_opened_in_the_tab(&log);
    {
        let p = &mut harness.state_mut().bandit_evaluation_mut().params;
        p.policy = EvalPolicy::MostClicked;
        p.train_fraction = 0.5;
        p.reward_model = RewardModelKind::Logistic;
        p.bootstrap = 50;
    }
    harness.run_steps(2);
    // The context the model will learn from is listed before the run.
    harness.get_by_label_contains("learns from user_feature_0");
    // The segment column is picked from the log's columns.
    harness.get_by_label("segment column").click();
    harness.run_steps(2);
    harness.get_by_label("user_feature_0").click();
    harness.run_steps(2);
    assert_eq!(
        harness
            .state_mut()
            .bandit_evaluation_mut()
            .params
            .segment_col,
        "user_feature_0"
    );
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the estimate", |app| {
        app.bandit_estimate().is_some() && !app.is_busy()
    });
    let r = harness.state().bandit_estimate().unwrap();
    assert_eq!(r.reward_model, "logistic");
    assert_eq!(r.segment_items.len(), 3);
    // obp 0.5.7's IPW for this policy on the second half (tests/core).
    assert!((r.estimates.ipw.value - 0.0012960923).abs() < 1e-9);
    harness.get_by_label("Items per user_feature_0 value");
}

#[test]
fn a_policy_learnt_off_policy_is_shown_beside_uniform_and_the_logged_one() {
    let Some(log) = open_bandit_log() else {
        return;
    };
    let mut harness = log_opened_in_the_tab(&log);
    {
        let p = &mut harness.state_mut().bandit_evaluation_mut().params;
        p.train_fraction = 0.5;
        p.reward_model = RewardModelKind::Logistic;
        p.bootstrap = 50;
    }
    harness.run_steps(2);
    harness.get_by_label("policy").click();
    harness.run_steps(2);
    harness
        .get_by_label("learnt: IPW learner on the context")
        .click();
    harness.run_steps(2);
    assert_eq!(
        harness.state_mut().bandit_evaluation_mut().params.policy,
        EvalPolicy::IpwLearner
    );
    // The learner's context is listed before the run.
    harness.get_by_label_contains("learns from user_feature_0");
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the learnt policy's estimate", |app| {
        app.bandit_estimate().is_some() && !app.is_busy()
    });
    let r = harness.state().bandit_estimate().unwrap();
    // obp 0.5.7's IPW of its IPW learner on this log (tests/core).
    assert!((r.estimates.ipw.value - 0.0030217178).abs() < 1e-9);
    assert!(r.uniform.is_some());
    harness.get_by_label("uniform random (DR)");
    harness.get_by_label("The learnt policy's items per slot (share of the evaluated rows)");
    harness.get_by_label_contains("No evidence that it is better or worse than uniform random");
}

#[test]
fn context_columns_are_ticked_in_a_menu_of_the_logs_user_columns() {
    let Some(log) = open_bandit_log() else {
        return;
    };
    let mut harness = log_opened_in_the_tab(&log);
    harness
        .state_mut()
        .bandit_evaluation_mut()
        .params
        .reward_model = RewardModelKind::Logistic;
    // Open the menu and untick the first user feature (auto shows them
    // ticked), a frame or two after each click.
    for label in ["auto", "user_feature_0"] {
        harness.run_steps(2);
        harness.get_by_label(label).click();
    }
    harness.run_steps(2);
    let params = &harness.state_mut().bandit_evaluation_mut().params;
    let spec = params.context_cols.clone();
    assert_eq!(spec, "user_feature_1,user_feature_2,user_feature_3");
    harness.get_by_label_contains("learns from user_feature_1, user_feature_2, user_feature_3");
}

#[test]
fn an_epsilon_sweep_from_the_runs_tab_opens_in_the_bandit_tab() {
    let mut harness = common::sample_app(1400.0, 1000.0);
    harness.get_by_label("Explore / exploit").click();
    common::step_until(&mut harness, "the store's arms", |app| {
        app.bandit_arms().len() == 8
    });
    {
        let s = harness.state_mut().bandit_settings_mut();
        s.params.horizon = 1000;
        s.params.replications = 10;
    }
    harness.get_by_label("Runs").click();
    harness.run_steps(2);
    harness.get_by_label("model").hover();
    harness.run_steps(1);
    harness.get_by_label("model").click();
    harness.run_steps(3);
    // The bandit models are at the end of a list longer than the popup:
    // scroll it down as a user would.
    for _ in 0..5 {
        harness
            .get_by_label("Sessions: SASRec (deep, on sessions)")
            .scroll_down();
        harness.run_steps(1);
    }
    harness.get_by_label("Bandit: simulation").click();
    harness.run_steps(2);
    assert_eq!(harness.state().sweep_axes()[0], "epsilon");
    harness.get_by_label("4 runs planned");
    harness.get_by_label("Run sweep").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "the ε sweep", |app| {
        !app.is_job_active(JobKind::Sweep) && app.bench().runs().len() == 4
    });
    let runs = &harness.state().bench().runs().entries;
    let eps: Vec<_> = runs
        .iter()
        .map(|e| e.record.params["epsilon"].clone())
        .collect();
    assert_eq!(eps, [0.01, 0.05, 0.1, 0.2].map(serde_json::Value::from));
    for e in runs {
        assert_eq!(e.record.kind, shoplens::bandit::KIND);
        // Only ε-greedy races when ε is swept.
        let policies = e.record.params["policies"].as_str().unwrap_or_default();
        assert!(
            policies.starts_with("epsilon:") && !policies.contains(','),
            "{policies}"
        );
        assert!(shoplens::registry::main_metric(&e.record).is_some());
    }
    harness.get_all_by_label("Explore").next().unwrap().click();
    harness.run_steps(3);
    assert_eq!(harness.state().tab(), "bandit");
    assert!(harness.state().bandit_race().is_some());
}

#[test]
fn an_open_bandit_log_opened_as_the_data_is_evaluated_without_a_stale_data_banner() {
    let Some(log) = open_bandit_log() else {
        return;
    };
    let mut harness = common::sample_app(1280.0, 800.0);
    harness
        .state_mut()
        .send(shoplens::workbench::Command::OpenFile(log.clone()));
    common::step_until(&mut harness, "the log to load", |app| {
        app.bench().dataset().is_some_and(|d| d.path == log) && !app.is_busy()
    });
    harness.get_by_label("Explore / exploit").click();
    harness.run_steps(3);
    // A log has nothing to race on: the tab opens on its evaluation.
    assert!(harness.query_by_label("Load log").is_some());
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the estimate", |app| {
        app.bandit_estimate().is_some() && !app.is_busy()
    });
    harness.run_steps(2);
    harness.get_by_label_contains("DR estimate");
    assert!(
        harness
            .query_by_label_contains("not on the data loaded now")
            .is_none(),
        "an estimate made on the loaded log must not be called another file's"
    );
}

#[test]
fn item_features_beside_the_log_are_picked_and_named_in_the_result() {
    let Some(log) = open_bandit_log() else {
        return;
    };
    let mut harness = log_opened_in_the_tab(&log);
    {
        let p = &mut harness.state_mut().bandit_evaluation_mut().params;
        p.train_fraction = 0.5;
        p.reward_model = RewardModelKind::Logistic;
        p.bootstrap = 20;
    }
    harness.run_steps(2);
    harness.get_by_label("item_context.csv").click();
    harness.run_steps(2);
    assert_eq!(
        harness
            .state_mut()
            .bandit_evaluation_mut()
            .params
            .item_features,
        "auto"
    );
    harness.get_by_label_contains("items' features from");
    harness.get_by_label("Train").click();
    common::step_until(&mut harness, "the estimate on item features", |app| {
        app.bandit_estimate().is_some() && !app.is_busy()
    });
    let r = harness.state().bandit_estimate().unwrap();
    assert_eq!(r.item_features.as_ref().map(|(_, width)| *width), Some(38));
    harness.get_by_label_contains("38 item features from");
    // A file that is not there is said before the run.
    harness.get_by_label("a file…").click();
    harness.run_steps(2);
    harness
        .state_mut()
        .bandit_evaluation_mut()
        .params
        .item_features = "items.csv".into();
    harness.run_steps(2);
    harness.get_by_label_contains("items.csv: no such file");
}
