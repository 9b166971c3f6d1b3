//! `.shoplens` workspaces: the data sources (with their column mappings),
//! every run record and the trained models, in one versioned file. Each
//! capability saves and restores its own models (through the core
//! registry), as one section under its kind's name.
//!
//! Layout: a text header line `SHOPLENS-WORKSPACE <version>\n`, then the
//! workspace as gzip-compressed JSON. The header lets a newer file be refused
//! with a clear message before any parsing. Writes go to a temporary file in
//! the same folder, are flushed to disk, then renamed over the target, so a
//! crash or full disk never leaves a half-written workspace; a file that
//! cannot be read is reported and left exactly as it was. Version 1 kept
//! each capability's models in top-level fields of their own; they are read
//! as that capability's section.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::{EventWeights, LoadOptions};
use crate::runs::search::Study;
use crate::runs::{RunHistory, RunKind, RunOutcome, RunRecord};

/// The version this build writes, and the newest it reads.
pub const WORKSPACE_VERSION: u32 = 2;
const MAGIC: &str = "SHOPLENS-WORKSPACE";
pub const EXTENSION: &str = "shoplens";

/// A file the app reads data from, with how it was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    pub path: PathBuf,
    /// Format, column roles and cleaning as the user left them.
    pub options: LoadOptions,
    pub event_weights: EventWeights,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Workspace {
    pub sources: Vec<DataSource>,
    pub runs: Vec<RunRecord>,
    /// Each capability's saved models, under its kind's name.
    pub models: BTreeMap<String, Value>,
    /// The searches' studies (their trials are among `runs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub studies: Vec<crate::runs::search::Study>,
    /// Salt of the pseudonymised exports, kept so the same customer gets the
    /// same pseudonym in every export from this workspace.
    pub pseudonym_salt: String,
    /// A version-1 file's per-capability fields (read, never written).
    #[serde(flatten, skip_serializing)]
    legacy: serde_json::Map<String, Value>,
}

/// Why a workspace could not be opened or saved. The file is never modified.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WorkspaceError {
    #[error("{path}: cannot read it ({message})")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path} is not a shoplens workspace (it does not start with the '{MAGIC}' header); it was left unchanged")]
    NotAWorkspace { path: PathBuf },
    #[error("{path} was saved by a newer shoplens (workspace version {found}; this version reads up to {WORKSPACE_VERSION}). Update shoplens to open it; the file was left unchanged")]
    TooNew { path: PathBuf, found: u32 },
    #[error("{path} is damaged and cannot be opened ({message}); it was left unchanged")]
    Corrupt { path: PathBuf, message: String },
    #[error("{path}: cannot save ({message}); any previous file there was left unchanged")]
    Write { path: PathBuf, message: String },
}

impl Workspace {
    /// An empty workspace of `sources`, its exports pseudonymised with `salt`.
    pub fn new(sources: Vec<DataSource>, salt: String) -> Self {
        Self {
            sources,
            pseudonym_salt: salt,
            ..Default::default()
        }
    }

    /// Write atomically: temporary file beside `path`, fsync, rename.
    /// Returns the bytes written.
    pub fn save(&self, path: &Path) -> Result<u64, WorkspaceError> {
        let err = |e: &dyn std::fmt::Display| WorkspaceError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let tmp = temp_path(path);
        let result = (|| -> Result<u64, WorkspaceError> {
            let file = std::fs::File::create(&tmp).map_err(|e| err(&e))?;
            let mut out = std::io::BufWriter::new(file);
            writeln!(out, "{MAGIC} {WORKSPACE_VERSION}").map_err(|e| err(&e))?;
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            serde_json::to_writer(&mut gz, self).map_err(|e| err(&e))?;
            let out = gz.finish().map_err(|e| err(&e))?;
            let file = out.into_inner().map_err(|e| err(&e.error()))?;
            file.sync_all().map_err(|e| err(&e))?;
            Ok(file.metadata().map(|m| m.len()).unwrap_or(0))
        })();
        match result {
            Ok(bytes) => {
                std::fs::rename(&tmp, path).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    err(&e)
                })?;
                Ok(bytes)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Read a workspace; every failure names the file and leaves it alone.
    pub fn open(path: &Path) -> Result<Workspace, WorkspaceError> {
        let file = std::fs::File::open(path).map_err(|e| WorkspaceError::Unreadable {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut reader = BufReader::new(file);
        let mut header = Vec::new();
        // The header is short: read at most 64 bytes looking for it.
        (&mut reader)
            .take(64)
            .read_until(b'\n', &mut header)
            .map_err(|e| WorkspaceError::Unreadable {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let header = String::from_utf8_lossy(&header);
        let Some(version) = header
            .trim_end()
            .strip_prefix(MAGIC)
            .and_then(|rest| rest.trim().parse::<u32>().ok())
        else {
            return Err(WorkspaceError::NotAWorkspace {
                path: path.to_path_buf(),
            });
        };
        if version > WORKSPACE_VERSION {
            return Err(WorkspaceError::TooNew {
                path: path.to_path_buf(),
                found: version,
            });
        }
        let gz = flate2::read::GzDecoder::new(reader);
        let ws: Workspace =
            serde_json::from_reader(BufReader::new(gz)).map_err(|e| WorkspaceError::Corrupt {
                path: path.to_path_buf(),
                message: if e.is_io() {
                    format!("the compressed data is broken: {e}")
                } else {
                    e.to_string()
                },
            })?;
        Ok(ws)
    }

    /// Store the run history: the records, and each capability's models
    /// as its section. A section that cannot be written is left out (its
    /// runs stay) and logged.
    pub fn put_history(&mut self, history: &RunHistory) {
        self.runs = history.entries.iter().map(|e| e.record.clone()).collect();
        self.studies = history.studies.clone();
        self.legacy.clear();
        self.models = crate::registry::save_models(history).unwrap_or_else(|e| {
            log::warn!("the trained models could not be saved: {e}");
            BTreeMap::new()
        });
    }

    /// The run history with every saved model restored. A model that cannot
    /// be restored is dropped (its run stays) and said in the warnings.
    pub fn history(&self) -> (RunHistory, Vec<String>) {
        let restored = crate::registry::restore_models(&self.models, &self.legacy, &self.runs);
        let mut models: BTreeMap<u64, crate::runs::RunModel> =
            restored.models.into_iter().collect();
        let mut history = RunHistory::default();
        history.studies = self.studies.clone();
        for record in &self.runs {
            history.entries.push(crate::runs::RunEntry {
                model: models.remove(&record.id),
                record: record.clone(),
            });
        }
        (history, restored.warnings)
    }

    /// A capability's section as saved (for tests and tools), from either
    /// version's layout.
    pub fn section<T: DeserializeOwned>(&self, kind: RunKind) -> Option<T> {
        let value = match self.models.get(kind.name()) {
            Some(v) => v.clone(),
            None => Value::Object(
                crate::registry::capability(kind)?
                    .legacy_fields
                    .iter()
                    .filter_map(|f| Some(((*f).to_owned(), self.legacy.get(*f)?.clone())))
                    .collect(),
            ),
        };
        serde_json::from_value(value).ok()
    }

    /// Where a data source is: absolute paths as saved, relative ones (from
    /// older files or hand edits) beside the workspace file.
    pub fn resolve(&self, workspace_path: &Path, source: &Path) -> PathBuf {
        if source.is_absolute() {
            return source.to_path_buf();
        }
        workspace_path
            .parent()
            .map(|dir| dir.join(source))
            .unwrap_or_else(|| source.to_path_buf())
    }

    /// Add `runs` (with their models) to the saved history as one new sweep,
    /// and their data source when it is not there yet.
    pub fn append(&mut self, runs: Vec<RunOutcome>, source: DataSource, study: Option<Study>) {
        let (mut saved, _) = self.history();
        let sweep = saved.new_sweep();
        if let Some(study) = study {
            saved.put_study(Study { id: sweep, ..study });
        }
        for run in runs {
            let mut record = run.record;
            record.sweep = Some(sweep);
            saved.push(record, run.model);
        }
        self.put_history(&saved);
        if !self.sources.contains(&source) {
            self.sources.push(source);
        }
    }

    /// Open `path` if it exists, or start an empty workspace if it does not.
    /// Any other failure (unreadable, damaged, newer) is an error.
    pub fn open_or_new(path: &Path) -> Result<Workspace, WorkspaceError> {
        if path.exists() {
            Workspace::open(path)
        } else {
            Ok(Workspace::default())
        }
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workspace".into());
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_version_and_damage_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.shoplens");
        let ws = Workspace {
            pseudonym_salt: "s".into(),
            ..Default::default()
        };
        ws.save(&p).unwrap();
        assert_eq!(Workspace::open(&p).unwrap(), ws);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");

        std::fs::write(&p, b"hello").unwrap();
        assert!(matches!(
            Workspace::open(&p),
            Err(WorkspaceError::NotAWorkspace { .. })
        ));
        std::fs::write(&p, format!("{MAGIC} 99\n")).unwrap();
        assert!(matches!(
            Workspace::open(&p),
            Err(WorkspaceError::TooNew { found: 99, .. })
        ));
        std::fs::write(&p, format!("{MAGIC} 1\nnot gzip")).unwrap();
        let e = Workspace::open(&p).unwrap_err();
        assert!(matches!(e, WorkspaceError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("left unchanged"));
    }
}
