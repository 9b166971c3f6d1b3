//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use shoplens::data::{load_and_profile, LoadError, LoadOptions, Loaded};
use shoplens::task::CancelToken;

/// `../shared/data` beside the repository, or `None` (tests then skip with a message).
pub fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared/data is absent, so the real-dataset checks did not run");
        None
    }
}

pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    load_and_profile(
        path,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
}

pub fn sample_events() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/events.csv")
}

/// Write `content` to a file named `name` in a fresh temporary folder.
pub fn write_temp(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}

/// Step the real app until `done` holds (panics after 120 s naming `what`).
pub fn step_until(
    harness: &mut egui_kittest::Harness<'_, shoplens::ui::ShoplensApp>,
    what: &str,
    done: impl Fn(&shoplens::ui::ShoplensApp) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !done(harness.state()) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run_steps(2);
}

/// The real app of `width` × `height` points on the sample store, loaded.
pub fn sample_app(
    width: f32,
    height: f32,
) -> egui_kittest::Harness<'static, shoplens::ui::ShoplensApp> {
    let mut harness = egui_kittest::Harness::builder()
        .with_size(eframe::egui::vec2(width, height))
        .build_eframe(|cc| {
            shoplens::ui::ShoplensApp::new(&cc.egui_ctx, Default::default(), Some(sample_events()))
        });
    step_until(&mut harness, "the sample store", |app| {
        app.bench().data().is_some() && !app.is_busy()
    });
    harness
}

/// `history` saved to a workspace file and opened again, as a user's
/// File › Save and Open do (no warnings allowed).
pub fn through_workspace(history: &shoplens::runs::RunHistory) -> shoplens::runs::RunHistory {
    let mut ws = shoplens::workspace::Workspace::default();
    ws.put_history(history);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("w.shoplens");
    ws.save(&file).expect("save the workspace");
    let (restored, warnings) = shoplens::workspace::Workspace::open(&file)
        .expect("open the workspace")
        .history();
    assert!(warnings.is_empty(), "{warnings:?}");
    restored
}

/// In the Recommend explorer, type the first customer's id, click the
/// match and wait for their list; returns their id.
pub fn open_first_customer(
    harness: &mut egui_kittest::Harness<'_, shoplens::ui::ShoplensApp>,
) -> String {
    use egui_kittest::kittest::Queryable;
    let trained = harness
        .state()
        .explored_recommender()
        .expect("a trained recommender");
    let user = trained.data.user_labels[0].clone();
    harness.state_mut().set_customer_query(&user);
    harness.run_steps(2);
    harness
        .get_all_by_label(&user)
        .next()
        .expect("user match")
        .click();
    harness.run_steps(3);
    harness.get_by_label(&format!("Recommendations for {user}"));
    user
}
