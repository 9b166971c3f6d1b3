//! Drives the real app headless with egui_kittest: it opens on the sample store,
//! loads a second file through the same code path the Open dialog uses, then a
//! bad file whose error shows while the previous profile stays on screen.

use crate::common;

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use shoplens::ui::ShoplensApp;
use shoplens::workbench::Command;

fn wait_until_idle(harness: &mut Harness<'_, ShoplensApp>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.state().is_busy() {
        assert!(Instant::now() < deadline, "load did not finish");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(3);
}

/// The app, opened on the sample store and idle.
fn app_on_the_sample_store() -> Harness<'static, ShoplensApp> {
    let mut harness = Harness::builder()
        .with_size(eframe::egui::vec2(1280.0, 900.0))
        .build_eframe(|cc| {
            ShoplensApp::new(
                &cc.egui_ctx,
                Default::default(),
                Some(common::sample_events()),
            )
        });
    wait_until_idle(&mut harness);
    harness
}

#[test]
fn open_sample_then_second_file_then_bad_file() {
    let mut harness = app_on_the_sample_store();
    let sample_rows = harness
        .state()
        .bench()
        .data()
        .expect("sample loaded")
        .loaded
        .profile
        .rows;
    let sample_label = format!("{} rows", shoplens::display::thousands(sample_rows));
    harness.get_by_label(&sample_label);
    harness.get_by_label_contains("shoplens-events");

    // A second file, through the same entry point as File → Open / drag-and-drop.
    let d = tempfile::tempdir().unwrap();
    let second = common::write_temp(
        &d,
        "second.csv",
        b"visitorid,itemid,event,timestamp\n1,10,view,1433221332117\n1,11,addtocart,1433221332118\n2,10,transaction,1433221332119\n",
    );
    harness.state_mut().send(Command::OpenFile(second));
    wait_until_idle(&mut harness);
    harness.get_by_label("3 rows");
    harness.get_by_label("2 users");
    assert!(
        harness.query_by_label(&sample_label).is_none(),
        "the second file replaced the sample"
    );

    // A bad file: the error is shown and the second file's profile is still there.
    let bad = common::write_temp(&d, "bad.csv", b"user_id,item_id\n1,2\n3\n");
    harness.state_mut().send(Command::OpenFile(bad));
    wait_until_idle(&mut harness);
    harness.get_by_label_contains("line 3 has 1 fields but the header has 2");
    harness.get_by_label("3 rows");
    harness.get_by_label_contains("still shown");

    // Dismiss clears the banner.
    harness.get_by_label("Dismiss").click();
    harness.run_steps(2);
    assert!(harness
        .query_by_label_contains("line 3 has 1 fields")
        .is_none());
}

#[test]
fn a_file_with_broken_lines_opens_with_them_skipped_when_the_user_says_so() {
    let mut harness = app_on_the_sample_store();
    let d = tempfile::tempdir().unwrap();
    // Line 3 is cut short, line 5 has a field too many.
    let broken = common::write_temp(
        &d,
        "broken.csv",
        b"user_id,item_id,event_type,timestamp\n1,10,view,2024-01-01 10:00:00\n1,11\n2,10,view,2024-01-01 11:00:00\n2,12,view,2024-01-01 12:00:00,extra\n3,12,purchase,2024-01-01 13:00:00\n",
    );
    harness.state_mut().send(Command::OpenFile(broken));
    wait_until_idle(&mut harness);
    harness.get_by_label_contains("line 3 has 2 fields but the header has 4");
    harness
        .get_by_label("Skip malformed lines and load again")
        .click();
    harness.run_steps(1);
    wait_until_idle(&mut harness);
    assert!(harness.state().error().is_none());
    let data = harness.state().bench().data().expect("loaded");
    assert_eq!(data.dataset().df.height(), 3);
    assert!(data.dataset().options.skip_bad_lines);
    harness.get_by_label_contains(
        "2 malformed lines skipped: line 3 (2 fields, expected 4), line 5 (5 fields, expected 4)",
    );
    harness.get_by_label("Lines left out");
}

#[test]
fn cancel_keeps_the_current_data() {
    let mut harness = app_on_the_sample_store();
    harness
        .state_mut()
        .send(Command::OpenFile(common::sample_events()));
    harness.step();
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert!(!harness.state().is_busy());
    assert!(harness.state().bench().data().is_some());
    assert!(harness.state().error().is_none());
}

#[test]
fn mapping_panel_remaps_roles() {
    let d = tempfile::tempdir().unwrap();
    let path = common::write_temp(
        &d,
        "m.csv",
        b"user_id,item_id,shop\n1,10,a\n2,10,b\n3,11,b\n",
    );
    let mut harness = Harness::builder()
        .with_size(eframe::egui::vec2(1280.0, 900.0))
        .build_eframe(|cc| ShoplensApp::new(&cc.egui_ctx, Default::default(), Some(path)));
    wait_until_idle(&mut harness);
    harness.get_by_label("2 items");
    // Use "shop" as the item column, as a user would in the mapping panel.
    harness
        .state_mut()
        .set_draft_role(shoplens::data::Role::Item, Some("shop"));
    harness.run_steps(2);
    harness.get_by_label("Apply mapping").click();
    harness.step();
    wait_until_idle(&mut harness);
    harness.get_by_label("2 items");
    let ds = harness.state().bench().dataset().unwrap();
    assert_eq!(ds.roles.get(shoplens::data::Role::Item), Some("shop"));
}
