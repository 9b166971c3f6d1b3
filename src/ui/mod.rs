//! The eframe app. It only draws and dispatches: loading and profiling run in
//! [`crate::jobs`] workers; results arrive through a bounded channel drained each
//! frame under a small time budget.

mod data_tab;
pub mod exporter;
mod plots;
pub mod recommend_tab;
pub mod runs_tab;
pub mod segments_tab;
mod sentiment_results;
pub mod sentiment_tab;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::data::{load_and_profile, profile, EventWeights, LoadOptions, Loaded, Role};
use crate::jobs::{JobFailure, JobSlot, Outcome};
use crate::runs::RunHistory;
use crate::workspace::{DataSource, Workspace};

/// How long one frame may spend draining worker messages.
const POLL_BUDGET: Duration = Duration::from_millis(2);
const MAX_RECENT: usize = 8;

/// Settings that survive a restart (eframe persistence).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    pub recent_files: Vec<PathBuf>,
    pub event_weights: EventWeights,
    pub tab: Tab,
    /// Reopened at start (its runs and models, and its data when no file was
    /// given on the command line).
    pub last_workspace: Option<PathBuf>,
}

impl Default for PersistedState {
    fn default() -> Self {
        Self {
            recent_files: Vec::new(),
            event_weights: EventWeights::default(),
            tab: Tab::Data,
            last_workspace: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    Data,
    Recommend,
    Sentiment,
    Segments,
    Runs,
}

/// What is loaded and shown, plus the mapping panel's draft.
pub struct LoadedView {
    pub loaded: Loaded,
    /// First rows as text, for the preview grid.
    pub preview: Vec<Vec<String>>,
    pub column_names: Vec<String>,
    /// Role → column chosen in the mapping panel (applied with "Apply mapping").
    pub draft_roles: Vec<(Role, Option<String>)>,
    pub draft_keep_uncleaned: bool,
}

impl LoadedView {
    fn new(loaded: Loaded) -> Self {
        let ds = &loaded.dataset;
        let column_names = ds.column_names();
        let head = ds.df.head(Some(PREVIEW_ROWS));
        let preview = (0..head.height())
            .map(|row| {
                head.columns()
                    .iter()
                    .map(|c| match c.get(row) {
                        Ok(v) if v.is_null() => String::new(),
                        Ok(polars::prelude::AnyValue::String(s)) => s.to_owned(),
                        Ok(v) => v.to_string(),
                        Err(_) => String::new(),
                    })
                    .collect()
            })
            .collect();
        let draft_roles = Role::ALL
            .iter()
            .map(|r| (*r, ds.roles.get(*r).map(str::to_owned)))
            .collect();
        let draft_keep_uncleaned = ds.options.keep_uncleaned;
        Self {
            loaded,
            preview,
            column_names,
            draft_roles,
            draft_keep_uncleaned,
        }
    }
}

pub const PREVIEW_ROWS: usize = 12;

pub const PSEUDONYM_TIP: &str = "Customer ids become c_ + 16 hex digits of HMAC-SHA256 keyed with this workspace's secret salt: the same customer gets the same pseudonym in every export from the workspace, and nobody without the salt can map them back";

/// Worst time spent inside our own `ui()` while a job ran (for the benchmark note).
#[derive(Clone, Copy, Debug, Default)]
pub struct FrameStats {
    pub frames: u64,
    pub max_frame_secs: f64,
    pub total_frame_secs: f64,
}

pub struct ShoplensApp {
    pub state: PersistedState,
    pub data_job: JobSlot<Loaded>,
    pub view: Option<LoadedView>,
    /// The last error, shown in a banner until dismissed or replaced.
    pub error: Option<String>,
    /// What the current job is doing, for the status bar.
    pub job_label: String,
    pub path_input: String,
    file_dialog: Option<Receiver<Option<PathBuf>>>,
    pub frame_stats_while_loading: FrameStats,
    pub recommend: recommend_tab::RecommendState,
    pub sentiment: sentiment_tab::SentimentState,
    pub segments: segments_tab::SegmentsState,
    pub runs_tab: runs_tab::RunsState,
    /// Every run of the session and of the open workspace.
    pub runs: RunHistory,
    pub exporter: exporter::Exporter,
    /// The open `.shoplens` file, if any.
    pub workspace_path: Option<PathBuf>,
    /// Runs added or removed since the workspace was opened or saved.
    pub workspace_dirty: bool,
    /// Salt of pseudonymised exports (kept in the workspace).
    pub salt: String,
    pub workspace_job: JobSlot<OpenedWorkspace>,
    pub save_job: JobSlot<(PathBuf, u64)>,
    workspace_dialog: Option<(WorkspaceDialog, Receiver<Option<PathBuf>>)>,
    /// Whether the workspace being opened should also load its data.
    workspace_job_loads_data: bool,
    /// Asking whether to drop unsaved runs.
    pub unsaved_prompt: Option<Unsaved>,
    /// The user agreed to quit without saving.
    quit_confirmed: bool,
    /// The last workspace or export outcome, for the status bar.
    pub notice: Option<String>,
    ctx: egui::Context,
}

/// A workspace read on a worker, models restored.
pub struct OpenedWorkspace {
    pub path: PathBuf,
    pub workspace: Workspace,
    pub history: RunHistory,
    pub warnings: Vec<String>,
}

/// An action that would drop runs not saved yet, waiting for the user's say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsaved {
    OpenWorkspace,
    NewWorkspace,
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WorkspaceDialog {
    Open,
    Save,
}

/// The sample store shipped in `sample_data/` (next to the executable's crate, or
/// the working directory).
pub fn sample_store_path() -> PathBuf {
    let candidates = [
        PathBuf::from("sample_data/events.csv"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/events.csv"),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| candidates[1].clone())
}

impl ShoplensApp {
    /// The app with `initial` (or the sample store) loading in the background.
    pub fn new(ctx: &egui::Context, state: PersistedState, initial: Option<PathBuf>) -> Self {
        install_fonts(ctx);
        let mut app = Self {
            state,
            data_job: JobSlot::default(),
            view: None,
            error: None,
            job_label: String::new(),
            path_input: String::new(),
            file_dialog: None,
            frame_stats_while_loading: FrameStats::default(),
            recommend: Default::default(),
            sentiment: Default::default(),
            segments: Default::default(),
            runs_tab: Default::default(),
            runs: RunHistory::default(),
            exporter: Default::default(),
            workspace_path: None,
            workspace_dirty: false,
            salt: crate::export::new_salt(),
            workspace_job: JobSlot::default(),
            save_job: JobSlot::default(),
            workspace_dialog: None,
            workspace_job_loads_data: false,
            unsaved_prompt: None,
            quit_confirmed: false,
            notice: None,
            ctx: ctx.clone(),
        };
        let last = app.state.last_workspace.clone().filter(|p| p.exists());
        // A workspace given on the command line opens like File > Open workspace.
        let (initial, last) = match initial {
            Some(p)
                if p.extension()
                    .is_some_and(|e| e == crate::workspace::EXTENSION) =>
            {
                (None, Some(p))
            }
            other => (other, last),
        };
        match (&initial, last) {
            // The last workspace brings its own data back.
            (None, Some(ws)) => app.open_workspace(ws, true),
            (_, last) => {
                app.open_path(initial.unwrap_or_else(sample_store_path));
                if let Some(ws) = last {
                    app.open_workspace(ws, false);
                }
            }
        }
        app
    }

    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        initial: Option<PathBuf>,
    ) -> Self {
        let state = cc
            .storage
            .and_then(|s| eframe::get_value::<PersistedState>(s, eframe::APP_KEY))
            .unwrap_or_default();
        Self::new(&cc.egui_ctx, state, initial)
    }

    /// Load a file on a worker. The File dialog, drag-and-drop, the path box and
    /// the recent-files menu all come here. The current data stays until the new
    /// file has loaded; a failure leaves it untouched.
    pub fn open_path(&mut self, path: PathBuf) {
        self.load(path, LoadOptions::default());
    }

    /// Load a data source of a workspace: the file with its saved column
    /// roles, cleaning and event weights.
    pub fn open_source(&mut self, source: &DataSource) {
        self.state.event_weights = source.event_weights.clone();
        self.load(source.path.clone(), source.options.clone());
    }

    fn load(&mut self, path: PathBuf, options: LoadOptions) {
        self.path_input = path.display().to_string();
        self.job_label = format!("Loading {}", display_name(&path));
        let ctx = self.ctx.clone();
        let started = self.data_job.start("load", move |job| {
            let report = |fraction: f32, message: &str| {
                job.progress(Some(fraction), message);
                ctx.request_repaint();
            };
            let loaded = load_and_profile(&path, &options, job.cancel_token(), &report)?;
            ctx.request_repaint();
            Ok(loaded)
        });
        if let Err(e) = started {
            self.error = Some(e);
        }
        self.frame_stats_while_loading = FrameStats::default();
    }

    /// Read a `.shoplens` workspace on a worker. When it arrives its runs
    /// replace the session's, and with `load_data` its first data source is
    /// loaded. A damaged or newer file is reported and left untouched.
    pub fn open_workspace(&mut self, path: PathBuf, load_data: bool) {
        self.notice = Some(format!("Opening {}…", display_name(&path)));
        self.workspace_job_loads_data = load_data;
        let ctx = self.ctx.clone();
        let started = self.workspace_job.start("open workspace", move |_| {
            let workspace =
                Workspace::open(&path).map_err(|e| JobFailure::Message(e.to_string()))?;
            let (history, warnings) = workspace.history();
            ctx.request_repaint();
            Ok(OpenedWorkspace {
                path,
                workspace,
                history,
                warnings,
            })
        });
        if let Err(e) = started {
            self.error = Some(e);
        }
    }

    /// The data sources to save: the loaded file with every role as mapped now.
    fn current_sources(&self) -> Vec<DataSource> {
        let Some(view) = &self.view else {
            return Vec::new();
        };
        let ds = &view.loaded.dataset;
        let mut options = ds.options.clone();
        options.roles = Role::ALL
            .iter()
            .map(|r| (*r, ds.roles.get(*r).map(str::to_owned)))
            .collect();
        vec![DataSource {
            path: std::fs::canonicalize(&ds.path).unwrap_or_else(|_| ds.path.clone()),
            options,
            event_weights: self.state.event_weights.clone(),
        }]
    }

    /// Save the workspace to `path` on a worker (atomic write).
    pub fn save_workspace_to(&mut self, path: PathBuf) {
        let history = self.runs.clone();
        let sources = self.current_sources();
        let salt = self.salt.clone();
        let ctx = self.ctx.clone();
        self.notice = Some(format!("Saving {}…", display_name(&path)));
        let started = self.save_job.start("save workspace", move |_| {
            let mut ws = Workspace {
                sources,
                pseudonym_salt: salt,
                ..Default::default()
            };
            ws.put_history(&history);
            let bytes = ws
                .save(&path)
                .map_err(|e| JobFailure::Message(e.to_string()))?;
            ctx.request_repaint();
            Ok((path, bytes))
        });
        if let Err(e) = started {
            self.error = Some(e);
        }
    }

    /// Save to the open workspace, or ask where.
    pub fn save_workspace(&mut self) {
        match self.workspace_path.clone() {
            Some(path) => self.save_workspace_to(path),
            None => self.show_workspace_dialog(WorkspaceDialog::Save),
        }
    }

    /// Runs that a new or opened workspace would drop.
    pub fn has_unsaved_runs(&self) -> bool {
        self.workspace_dirty && !self.runs.is_empty()
    }

    /// Do `action`, or first ask when it would drop unsaved runs.
    pub fn guard_unsaved(&mut self, action: Unsaved) {
        if self.has_unsaved_runs() {
            self.unsaved_prompt = Some(action);
        } else {
            self.proceed(action);
        }
    }

    fn proceed(&mut self, action: Unsaved) {
        match action {
            Unsaved::OpenWorkspace => self.show_workspace_dialog(WorkspaceDialog::Open),
            Unsaved::NewWorkspace => self.new_workspace(),
            Unsaved::Quit => {
                self.quit_confirmed = true;
                self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    fn unsaved_prompt_ui(&mut self, ctx: &egui::Context) {
        let Some(action) = self.unsaved_prompt else {
            return;
        };
        let modal = egui::Modal::new(egui::Id::unique("unsaved_runs")).show(ctx, |ui| {
            ui.set_width(380.0);
            ui.heading("Unsaved runs");
            ui.label(format!(
                "{} runs (and their models) are not saved in a workspace yet. {} would drop them.",
                self.runs.len(),
                match action {
                    Unsaved::OpenWorkspace => "Opening another workspace",
                    Unsaved::NewWorkspace => "Starting a new workspace",
                    Unsaved::Quit => "Quitting",
                }
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Save workspace").clicked() {
                    self.unsaved_prompt = None;
                    self.save_workspace();
                }
                if ui.button("Discard them").clicked() {
                    self.unsaved_prompt = None;
                    self.workspace_dirty = false;
                    self.proceed(action);
                }
                if ui.button("Cancel").clicked() {
                    self.unsaved_prompt = None;
                }
            });
        });
        if modal.should_close() {
            self.unsaved_prompt = None;
        }
    }

    /// Forget the workspace and its runs (the loaded data stays).
    pub fn new_workspace(&mut self) {
        self.runs = RunHistory::default();
        self.runs_tab.selected.clear();
        self.workspace_path = None;
        self.workspace_dirty = false;
        self.state.last_workspace = None;
        self.salt = crate::export::new_salt();
        self.notice = Some("New workspace".into());
    }

    fn show_workspace_dialog(&mut self, kind: WorkspaceDialog) {
        if self.workspace_dialog.is_some() {
            return;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("shoplens-workspace-dialog".into())
            .spawn(move || {
                let dialog = rfd::FileDialog::new()
                    .add_filter("shoplens workspace", &[crate::workspace::EXTENSION]);
                let picked = match kind {
                    WorkspaceDialog::Open => dialog.set_title("Open workspace").pick_file(),
                    WorkspaceDialog::Save => dialog
                        .set_title("Save workspace")
                        .set_file_name("workspace.shoplens")
                        .save_file(),
                };
                let _ = tx.send(picked);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.workspace_dialog = Some((kind, rx)),
            Err(e) => self.error = Some(format!("could not open the file dialog: {e}")),
        }
    }

    /// Move finished runs from the tabs into the history; act on workspace
    /// jobs and dialogs.
    fn poll_runs_and_workspace(&mut self) {
        let mut added = false;
        for (record, model) in self.recommend.finished_runs.drain(..) {
            self.runs.push(record, model);
            added = true;
        }
        for (record, model) in self.sentiment.finished_runs.drain(..) {
            self.runs.push(record, model);
            added = true;
        }
        for (record, model) in self.segments.finished_runs.drain(..) {
            self.runs.push(record, model);
            added = true;
        }
        for (record, model) in self.runs_tab.finished_runs.drain(..) {
            // Sweep runs are overlaid as they arrive.
            let id = self.runs.push(record, model);
            self.runs_tab.selected.insert(id);
            added = true;
        }
        self.workspace_dirty |= added;
        if let (_, Some((_, outcome))) = self.workspace_job.poll(POLL_BUDGET) {
            let load_data = self.workspace_job_loads_data;
            match outcome {
                Outcome::Done(opened) => {
                    self.runs = opened.history;
                    self.runs_tab.selected.clear();
                    if !opened.workspace.pseudonym_salt.is_empty() {
                        self.salt = opened.workspace.pseudonym_salt.clone();
                    }
                    self.state.last_workspace = Some(opened.path.clone());
                    self.notice = Some(format!(
                        "Opened {}: {} runs, {} models{}",
                        display_name(&opened.path),
                        opened.workspace.runs.len(),
                        opened.workspace.recommenders.len(),
                        if opened.warnings.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", opened.warnings.join("; "))
                        }
                    ));
                    self.workspace_path = Some(opened.path.clone());
                    self.workspace_dirty = false;
                    match opened.workspace.sources.first() {
                        Some(source) if load_data => {
                            let mut source = source.clone();
                            source.path = opened.workspace.resolve(&opened.path, &source.path);
                            if source.path.exists() {
                                self.open_source(&source);
                            } else {
                                self.error = Some(format!(
                                    "{}: the workspace's data file was not found; its runs and models are here, and the sample store is loaded instead. Open the data file to train on it again.",
                                    source.path.display()
                                ));
                                self.open_path(sample_store_path());
                            }
                        }
                        None if load_data => self.open_path(sample_store_path()),
                        _ => {}
                    }
                }
                Outcome::Failed(m) => {
                    self.notice = None;
                    self.error = Some(m);
                    if load_data && self.view.is_none() && !self.data_job.is_running() {
                        self.open_path(sample_store_path());
                    }
                }
                Outcome::Cancelled => {}
            }
        }
        if let (_, Some((_, outcome))) = self.save_job.poll(POLL_BUDGET) {
            match outcome {
                Outcome::Done((path, bytes)) => {
                    self.notice = Some(format!(
                        "Saved {} ({} runs, {:.1} MB)",
                        display_name(&path),
                        self.runs.len(),
                        bytes as f64 / 1e6
                    ));
                    self.state.last_workspace = Some(path.clone());
                    self.workspace_path = Some(path);
                    self.workspace_dirty = false;
                }
                Outcome::Failed(m) => {
                    self.notice = None;
                    self.error = Some(m);
                }
                Outcome::Cancelled => {}
            }
        }
        if let Some((kind, rx)) = &self.workspace_dialog {
            let kind = *kind;
            match rx.try_recv() {
                Ok(Some(path)) => {
                    self.workspace_dialog = None;
                    match kind {
                        WorkspaceDialog::Open => self.open_workspace(path, true),
                        WorkspaceDialog::Save => {
                            let path = if path.extension().is_none() {
                                path.with_extension(crate::workspace::EXTENSION)
                            } else {
                                path
                            };
                            self.save_workspace_to(path)
                        }
                    }
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.workspace_dialog = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        self.exporter.update(&self.ctx);
        if let Some(result) = self.exporter.message.take() {
            match result {
                Ok(m) => self.notice = Some(m),
                Err(m) => self.error = Some(m),
            }
        }
    }

    /// Re-profile the loaded data with the mapping panel's roles, on a worker.
    pub fn apply_mapping(&mut self) {
        let Some(view) = &self.view else { return };
        let dataset = Arc::clone(&view.loaded.dataset);
        let overrides = view.draft_roles.clone();
        let keep_uncleaned = view.draft_keep_uncleaned;
        let catalogue = view.loaded.catalogue.clone();
        self.job_label = "Applying column mapping".into();
        let ctx = self.ctx.clone();
        let started = self.data_job.start("remap", move |job| {
            let mut remapped = dataset.with_roles(&overrides)?;
            remapped.options.keep_uncleaned = keep_uncleaned;
            let report = |fraction: f32, message: &str| {
                job.progress(Some(fraction), message);
                ctx.request_repaint();
            };
            let profile =
                profile(&remapped, job.cancel_token(), &report).map_err(JobFailure::from)?;
            ctx.request_repaint();
            Ok(Loaded {
                dataset: Arc::new(remapped),
                profile,
                catalogue,
            })
        });
        if let Err(e) = started {
            self.error = Some(e);
        }
    }

    pub fn cancel_job(&mut self) {
        self.data_job.cancel();
        self.job_label.clear();
    }

    pub fn is_busy(&self) -> bool {
        self.data_job.is_running()
    }

    /// Drain worker messages; stale generations never get here (see `JobSlot`).
    pub fn poll_jobs(&mut self) {
        let (_, finished) = self.data_job.poll(POLL_BUDGET);
        if let Some((_, outcome)) = finished {
            self.job_label.clear();
            match outcome {
                Outcome::Done(loaded) => {
                    let path = loaded.dataset.path.clone();
                    if loaded.dataset.options.roles.is_empty() {
                        self.remember_recent(path);
                    }
                    self.view = Some(LoadedView::new(loaded));
                    self.error = None;
                }
                Outcome::Failed(message) => self.error = Some(message),
                Outcome::Cancelled => {}
            }
        }
        // A file dialog answered?
        if let Some(rx) = &self.file_dialog {
            match rx.try_recv() {
                Ok(Some(path)) => {
                    self.file_dialog = None;
                    self.open_path(path);
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.file_dialog = None,
                Err(TryRecvError::Empty) => {}
            }
        }
    }

    fn remember_recent(&mut self, path: PathBuf) {
        self.state.recent_files.retain(|p| p != &path);
        self.state.recent_files.insert(0, path);
        self.state.recent_files.truncate(MAX_RECENT);
    }

    /// Native dialog on its own thread (a synchronous dialog would block the UI).
    fn show_open_dialog(&mut self) {
        if self.file_dialog.is_some() {
            return;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("shoplens-file-dialog".into())
            .spawn(move || {
                let picked = rfd::FileDialog::new()
                    .set_title("Open store data")
                    .add_filter(
                        "Store data",
                        &[
                            "csv", "tsv", "txt", "gz", "json", "jsonl", "parquet", "data",
                        ],
                    )
                    .add_filter("All files", &["*"])
                    .pick_file();
                let _ = tx.send(picked);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.file_dialog = Some(rx),
            Err(e) => self.error = Some(format!("could not open the file dialog: {e}")),
        }
    }

    fn handle_shortcuts_and_drops(&mut self, ctx: &egui::Context) {
        let open = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            self.show_open_dialog();
        }
        let save = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::S);
        if ctx.input_mut(|i| i.consume_shortcut(&save)) {
            self.save_workspace();
        }
        let dropped: Option<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().find_map(|f| {
                let path = f.path();
                (!path.as_os_str().is_empty()).then(|| path.to_path_buf())
            })
        });
        if let Some(path) = dropped {
            self.open_path(path);
        }
    }

    fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(egui::Button::new("Open…").shortcut_text("Ctrl+O"))
                    .clicked()
                {
                    self.show_open_dialog();
                    ui.close();
                }
                if ui.button("Open sample store").clicked() {
                    self.open_path(sample_store_path());
                    ui.close();
                }
                if !self.state.recent_files.is_empty() {
                    ui.separator();
                    ui.label("Recent");
                    let recent = self.state.recent_files.clone();
                    for path in recent {
                        if ui
                            .button(display_name(&path))
                            .on_hover_text(path.display().to_string())
                            .clicked()
                        {
                            self.open_path(path);
                            ui.close();
                        }
                    }
                }
                ui.separator();
                if ui.button("New workspace").clicked() {
                    self.guard_unsaved(Unsaved::NewWorkspace);
                    ui.close();
                }
                if ui
                    .button("Open workspace…")
                    .on_hover_text("A .shoplens file: data sources with their column mapping, every run and the trained models")
                    .clicked()
                {
                    self.guard_unsaved(Unsaved::OpenWorkspace);
                    ui.close();
                }
                if ui
                    .add(egui::Button::new("Save workspace").shortcut_text("Ctrl+S"))
                    .clicked()
                {
                    self.save_workspace();
                    ui.close();
                }
                if ui.button("Save workspace as…").clicked() {
                    self.show_workspace_dialog(WorkspaceDialog::Save);
                    ui.close();
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    ui.close();
                }
            });
            ui.separator();
            ui.label("Path:");
            let response = ui.add(
                egui::TextEdit::singleline(&mut self.path_input)
                    .desired_width(420.0)
                    .hint_text("type or paste a file path, then Enter"),
            );
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Open path").clicked() || enter {
                let typed = self.path_input.trim().to_owned();
                if !typed.is_empty() {
                    self.open_path(PathBuf::from(typed));
                }
            }
        });
    }

    fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if self.data_job.is_running() {
                ui.spinner();
                let (fraction, message) = self
                    .data_job
                    .last_progress
                    .clone()
                    .unwrap_or((None, String::new()));
                ui.label(&self.job_label);
                let bar = egui::ProgressBar::new(fraction.unwrap_or(0.0))
                    .desired_width(260.0)
                    .show_percentage()
                    .text(message);
                ui.add(bar);
                if ui.button("Cancel").clicked() {
                    self.cancel_job();
                }
            } else if let Some(view) = &self.view {
                let p = &view.loaded.profile;
                ui.label(format!(
                    "{} · loaded in {:.2}s, profiled in {:.2}s",
                    display_name(&view.loaded.dataset.path),
                    p.load_secs,
                    p.profile_secs
                ));
            } else {
                ui.label("No data loaded: File > Open…, Ctrl+O, or drop a file onto the window.");
            }
            ui.separator();
            let workspace = match &self.workspace_path {
                Some(p) => format!(
                    "Workspace {}{}",
                    display_name(p),
                    if self.workspace_dirty {
                        " (unsaved runs)"
                    } else {
                        ""
                    }
                ),
                None => format!("No workspace · {} runs", self.runs.len()),
            };
            ui.label(workspace);
            if self.workspace_job.is_running() || self.save_job.is_running() {
                ui.spinner();
            }
            if let Some(notice) = &self.notice {
                ui.separator();
                ui.label(notice);
            }
        });
    }

    fn error_banner_ui(&mut self, ui: &mut egui::Ui) {
        let Some(message) = self.error.clone() else {
            return;
        };
        egui::Frame::new()
            .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
            .stroke(egui::Stroke::new(1.0, ui.visuals().error_fg_color))
            .inner_margin(8.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(ui.visuals().error_fg_color, "Error:");
                    ui.label(egui::RichText::new(&message).strong());
                    if self.view.is_some() {
                        ui.label("The data loaded before is still shown.");
                    }
                    if ui.small_button("Dismiss").clicked() {
                        self.error = None;
                    }
                });
            });
        ui.add_space(6.0);
    }
}

impl eframe::App for ShoplensApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let frame_start = Instant::now();
        let ctx = ui.ctx().clone();
        self.poll_jobs();
        // Closing the window with unsaved runs asks first.
        if ctx.input(|i| i.viewport().close_requested())
            && self.has_unsaved_runs()
            && !self.quit_confirmed
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.unsaved_prompt = Some(Unsaved::Quit);
        }
        self.unsaved_prompt_ui(&ctx);
        self.recommend.salt.clone_from(&self.salt);
        self.segments.salt.clone_from(&self.salt);
        self.handle_shortcuts_and_drops(&ctx);

        egui::Panel::top("menu").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            self.error_banner_ui(ui);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.state.tab, Tab::Data, "Data");
                ui.selectable_value(&mut self.state.tab, Tab::Recommend, "Recommend");
                ui.selectable_value(&mut self.state.tab, Tab::Sentiment, "Sentiment");
                ui.selectable_value(&mut self.state.tab, Tab::Segments, "Segments");
                ui.selectable_value(&mut self.state.tab, Tab::Runs, "Runs");
            });
            ui.separator();
            match self.state.tab {
                Tab::Data => data_tab::data_tab_ui(self, ui),
                Tab::Recommend => {
                    let dataset = self.view.as_ref().map(|v| Arc::clone(&v.loaded.dataset));
                    let catalogue = self.view.as_ref().and_then(|v| v.loaded.catalogue.clone());
                    recommend_tab::recommend_tab_ui(
                        &mut self.recommend,
                        dataset,
                        catalogue,
                        &self.state.event_weights,
                        ui,
                    );
                }
                Tab::Sentiment => {
                    let dataset = self.view.as_ref().map(|v| Arc::clone(&v.loaded.dataset));
                    sentiment_tab::sentiment_tab_ui(&mut self.sentiment, dataset, ui);
                }
                Tab::Segments => {
                    let dataset = self.view.as_ref().map(|v| Arc::clone(&v.loaded.dataset));
                    let funnel = self
                        .view
                        .as_ref()
                        .and_then(|v| v.loaded.profile.funnel.clone());
                    segments_tab::segments_tab_ui(&mut self.segments, dataset, funnel.as_ref(), ui);
                }
                Tab::Runs => {
                    let dataset = self.view.as_ref().map(|v| Arc::clone(&v.loaded.dataset));
                    let sources = runs_tab::SweepSources {
                        recommend: &self.recommend,
                        sentiment: &self.sentiment,
                        reviews: self.sentiment.source(dataset.as_ref()),
                        dataset,
                        weights: &self.state.event_weights,
                    };
                    let action =
                        runs_tab::runs_tab_ui(&mut self.runs_tab, &mut self.runs, &sources, ui);
                    match action {
                        Some(runs_tab::RunsAction::Explore(t)) => {
                            self.recommend.live_epochs = t.epochs.clone();
                            self.recommend.explored = Some(t);
                            self.recommend.selected_user = None;
                            self.recommend.selected_item = None;
                            self.state.tab = Tab::Recommend;
                        }
                        Some(runs_tab::RunsAction::ExploreSegments(fit)) => {
                            self.segments.show_fit(fit);
                            self.state.tab = Tab::Segments;
                        }
                        Some(runs_tab::RunsAction::ExploreSentiment(r)) => {
                            self.sentiment.show(r);
                            self.state.tab = Tab::Sentiment;
                        }
                        None => {}
                    }
                }
            }
        });

        if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop_overlay"),
            ));
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop the file to open it",
                egui::FontId::proportional(28.0),
                egui::Color32::WHITE,
            );
        }

        if self.state.tab != Tab::Recommend {
            self.recommend.poll();
        }
        if self.state.tab != Tab::Sentiment {
            self.sentiment.poll();
        }
        if self.state.tab != Tab::Segments {
            self.segments.poll();
        }
        if self.state.tab != Tab::Runs {
            self.runs_tab.poll();
        }
        self.poll_runs_and_workspace();
        if self.recommend.job.is_running()
            || self.recommend.export_job.is_running()
            || self.sentiment.is_busy()
            || self.segments.is_busy()
            || self.runs_tab.is_busy()
            || self.workspace_job.is_running()
            || self.save_job.is_running()
            || self.workspace_dialog.is_some()
            || self.exporter.is_busy()
        {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        if self.is_busy() {
            let secs = frame_start.elapsed().as_secs_f64();
            let stats = &mut self.frame_stats_while_loading;
            stats.frames += 1;
            stats.total_frame_secs += secs;
            stats.max_frame_secs = stats.max_frame_secs.max(secs);
            // Keep the progress bar moving even between worker messages.
            ctx.request_repaint_after(Duration::from_millis(50));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
    }
}

pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Chinese/Japanese glyphs: Droid Sans Fallback (Apache 2.0, licence beside
/// it in assets/fonts/), bundled so review text renders on every machine.
const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Add the CJK font as a fallback after egui's own fonts.
fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "cjk".into(),
        Arc::new(egui::FontData::from_static(CJK_FONT)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
}

/// Start the native window. Returns the process exit code.
pub fn run_gui(initial: Option<PathBuf>) -> i32 {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("shoplens")
        .with_inner_size([1280.0, 820.0])
        .with_min_inner_size([800.0, 500.0])
        .with_drag_and_drop(true);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => log::warn!("app icon: {e}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    let result = eframe::run_native(
        "shoplens",
        options,
        Box::new(move |cc| Ok(Box::new(ShoplensApp::from_creation_context(cc, initial)))),
    );
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: could not open the window ({e}). On a machine without a display, use the CLI: shoplens --help");
            1
        }
    }
}
