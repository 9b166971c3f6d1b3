//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use shoplens::data::{load_and_profile, LoadError, LoadOptions, Loaded};
use shoplens::jobs::CancelToken;

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
