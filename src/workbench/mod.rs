//! The headless workbench: the loaded data, the run history, the workspace
//! (its file, whether runs are unsaved, the pseudonym salt; open, save,
//! new), and the one job registry that runs every worker. The UI sends it
//! [`Command`]s and draws what it holds; [`Workbench::poll`] turns what the
//! workers reported into state and into [`Event`]s the tabs react to. It
//! knows nothing of egui, so tests drive it without a window.

mod command;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use command::{Command, ExportJob, ExportWork, RunRequest, SideInput, SideJob, SideWork, Then};

use crate::data::{load_and_profile, profile, EventWeights, LoadOptions, Loaded};
use crate::data::{Dataset, Role};
use crate::display::display_name;
use crate::jobs::{JobContext, JobFailure, JobRegistry, Outcome, Update, Waker};
use crate::runs::{DataContext, RunHistory, RunKind, RunOutcome, SideData, SweepPlan};
use crate::task::Partial;
use crate::workspace::{DataSource, Workspace};

/// Rows of the data preview.
pub const PREVIEW_ROWS: usize = 12;
const MAX_RECENT: usize = 8;

/// What a job is for; at most one current job per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Loading or re-mapping the data file.
    Load,
    /// One training run of a capability (or another lane of its own).
    Train(RunKind),
    Sweep,
    /// Work a tab needs besides runs, by name (`reviews`, `scan`, …).
    Side(&'static str),
    /// What a capability's runs need worked out on the loaded file first
    /// (the scored customers of k-means).
    Prepare(RunKind),
    /// Writing a file, by what it writes.
    Export(&'static str),
    OpenWorkspace,
    SaveWorkspace,
}

impl JobKind {
    /// Jobs whose cancel is reported back (a run is recorded with its
    /// curve); others are forgotten at once.
    fn records_cancel(self) -> bool {
        matches!(self, JobKind::Train(_) | JobKind::Sweep)
    }
}

/// The loaded file with what the Data tab shows of it.
#[derive(Clone)]
pub struct LoadedData {
    pub loaded: Loaded,
    /// First rows as text, for the preview grid.
    pub preview: Vec<Vec<String>>,
    pub column_names: Vec<String>,
}

impl LoadedData {
    pub fn new(loaded: Loaded) -> Self {
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
        Self {
            loaded,
            preview,
            column_names,
        }
    }

    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.loaded.dataset
    }
}

/// A workspace read on a worker, models restored.
pub struct OpenedWorkspace {
    pub path: PathBuf,
    pub workspace: Workspace,
    pub history: RunHistory,
    pub warnings: Vec<String>,
}

/// What a job hands back.
pub enum JobOutput {
    Loaded(Box<LoadedData>),
    Run(Box<RunOutcome>),
    Swept(usize),
    /// A search's study, as it starts.
    Study(Box<crate::runs::search::Study>),
    /// Side work's result, what becomes of it, and the data it was
    /// worked out for.
    Side {
        value: Partial,
        then: Then,
        data: Option<Arc<Dataset>>,
    },
    Exported(String),
    Opened(Box<OpenedWorkspace>),
    Saved {
        path: PathBuf,
        bytes: u64,
    },
}

/// What changed, for the tabs to react to.
#[derive(Clone)]
pub enum Event {
    /// New data replaced the old.
    DataLoaded,
    /// A run ended and is in the history. `current`: no newer job of its kind
    /// was started since (a stale run is recorded, not shown).
    RunRecorded {
        id: u64,
        job: JobKind,
        current: bool,
    },
    /// Side work finished: its result (kept beside the data as well when
    /// it asked to be).
    Ready { job: JobKind, value: Partial },
    /// A job ended with a message for its tab (a failure, a finished sweep
    /// or export).
    Message { job: JobKind, text: String },
    /// For the status line.
    Notice(String),
    /// For the error banner.
    Error(String),
    /// The run history was replaced or cleared.
    HistoryReplaced,
}

impl Event {
    /// The value side work `job` finished with, when this is it and it is a `T`.
    pub fn ready<T: std::any::Any + Send + Sync>(&self, job: JobKind) -> Option<Arc<T>> {
        match self {
            Event::Ready { job: j, value } if *j == job => Arc::clone(value).downcast::<T>().ok(),
            _ => None,
        }
    }
}

/// Settings that outlive a session (the UI persists them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub event_weights: EventWeights,
    pub recent_files: Vec<PathBuf>,
    /// Reopened at start (its runs and models, and its data when no file was
    /// given on the command line).
    pub last_workspace: Option<PathBuf>,
}

/// The open `.shoplens` file, and what is not saved in it yet.
pub struct WorkspaceState {
    pub path: Option<PathBuf>,
    /// Runs added or removed since the workspace was opened or saved.
    pub dirty: bool,
    /// Salt of pseudonymised exports (kept in the workspace).
    pub salt: String,
}

pub struct Workbench {
    data: Option<LoadedData>,
    /// What was read or worked out beside the data (a review file, a bandit
    /// log, the scored customers).
    side: SideData,
    /// Side work asked for the loaded file (a failure is not retried).
    side_asked: Vec<JobKind>,
    runs: RunHistory,
    workspace: WorkspaceState,
    settings: Settings,
    jobs: JobRegistry<JobKind, JobOutput>,
    /// Whether the workspace being opened should also load its data.
    open_loads_data: bool,
    /// Whether the last sweep started is a search (for its messages).
    searching: bool,
    pending: Vec<Event>,
    /// The file (and options) of the load under way, then of the last load
    /// that failed, so it can be tried again skipping malformed lines.
    loading: Option<(PathBuf, LoadOptions)>,
    failed_load: Option<(PathBuf, LoadOptions)>,
}

/// The sample store shipped in `sample_data/` (in the working directory, or
/// beside the crate).
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

impl Workbench {
    /// An empty workbench; `waker` is called whenever a worker reports.
    pub fn new(settings: Settings, waker: Waker) -> Self {
        Self {
            data: None,
            side: SideData::default(),
            side_asked: Vec::new(),
            runs: RunHistory::default(),
            workspace: WorkspaceState {
                path: None,
                dirty: false,
                salt: crate::export::new_salt(),
            },
            settings,
            jobs: JobRegistry::new(waker),
            open_loads_data: false,
            searching: false,
            pending: Vec::new(),
            loading: None,
            failed_load: None,
        }
    }

    /// Open what the app starts with: a workspace given (or the last one,
    /// which brings its data back), else `initial` or the sample store.
    pub fn start(&mut self, initial: Option<PathBuf>) {
        let last = self.settings.last_workspace.clone().filter(|p| p.exists());
        let (initial, last) = match initial {
            Some(p)
                if p.extension()
                    .is_some_and(|e| e == crate::workspace::EXTENSION) =>
            {
                (None, Some(p))
            }
            other => (other, last),
        };
        match (initial, last) {
            (None, Some(ws)) => self.open_workspace(ws, true),
            (initial, last) => {
                self.load(
                    initial.unwrap_or_else(sample_store_path),
                    LoadOptions::default(),
                );
                if let Some(ws) = last {
                    self.open_workspace(ws, false);
                }
            }
        }
    }

    pub fn data(&self) -> Option<&LoadedData> {
        self.data.as_ref()
    }

    pub fn dataset(&self) -> Option<&Arc<Dataset>> {
        self.data.as_ref().map(LoadedData::dataset)
    }

    /// What was read or worked out beside the data, when there is a `T`.
    pub fn side<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.side.get::<T>()
    }

    /// What requests are built on: the loaded data, the event weights and
    /// the side data.
    pub fn data_context(&self) -> DataContext<'_> {
        DataContext {
            dataset: self.dataset(),
            event_weights: &self.settings.event_weights,
            side: &self.side,
        }
    }

    pub fn runs(&self) -> &RunHistory {
        &self.runs
    }

    pub fn workspace(&self) -> &WorkspaceState {
        &self.workspace
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn jobs(&self) -> &JobRegistry<JobKind, JobOutput> {
        &self.jobs
    }

    /// Any job running or cancelling.
    pub fn is_busy(&self) -> bool {
        self.jobs.is_busy()
    }

    /// Runs that a new or opened workspace would drop.
    /// The file of the last load that failed, when it was not already
    /// skipping malformed lines (so it can be tried again that way).
    pub fn retry_skipping_bad_lines(&self) -> Option<&Path> {
        self.failed_load
            .as_ref()
            .filter(|(_, o)| !o.skip_bad_lines)
            .map(|(p, _)| p.as_path())
    }

    /// The file and options of the last load that failed (a file refused
    /// for memory can still go to Spark unread).
    pub fn failed_load(&self) -> Option<(&Path, &LoadOptions)> {
        self.failed_load.as_ref().map(|(p, o)| (p.as_path(), o))
    }

    pub fn has_unsaved_runs(&self) -> bool {
        self.workspace.dirty && !self.runs.is_empty()
    }

    /// Do what `command` asks; problems come back as events from [`Self::poll`].
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::OpenFile(path) => self.load(path, LoadOptions::default()),
            Command::LoadSkippingBadLines => {
                if let Some((path, mut options)) = self.failed_load.take() {
                    options.skip_bad_lines = true;
                    self.load(path, options);
                }
            }
            Command::OpenSource(source) => {
                self.settings.event_weights = source.event_weights.clone();
                self.load(source.path, source.options);
            }
            Command::Remap {
                roles,
                keep_uncleaned,
            } => self.remap(roles, keep_uncleaned),
            Command::SetEventWeights(w) => self.settings.event_weights = w,
            Command::Run(request) => self.start_run(request),
            Command::Sweep(plan) => self.start_sweep(plan),
            Command::Cancel(kind) => self.cancel(kind),
            Command::Side(job) => self.start_side(job),
            Command::Export(export) => {
                let pseudonym = export
                    .pseudonymise
                    .then(|| crate::export::Pseudonymizer::new(&self.workspace.salt));
                let work = export.work;
                self.spawn(export.job, "Exporting", move |job| {
                    let text = job.with_reporter(|r| work(pseudonym.as_ref(), r))?;
                    Ok(JobOutput::Exported(text))
                })
            }
            Command::OpenWorkspace { path, load_data } => self.open_workspace(path, load_data),
            Command::SaveWorkspace(path) => self.save_workspace(path),
            Command::NewWorkspace => self.new_workspace(),
            Command::DeleteRuns(ids) => {
                for id in ids {
                    self.runs.remove(id);
                }
                self.workspace.dirty = true;
            }
            Command::LabelRun { run, key, name } => {
                if self.runs.label(run, key, name.trim()) {
                    self.workspace.dirty = true;
                }
            }
        }
    }

    /// Start side work on the loaded data; work kept for the loaded file is
    /// started once per file.
    fn start_side(&mut self, side: SideJob) {
        if side.then == Then::KeepForData {
            if self.data.is_none() || self.side_asked.contains(&side.job) {
                return;
            }
            self.side_asked.push(side.job);
        }
        let input = SideInput {
            dataset: self.dataset().cloned(),
            catalogue: self.data.as_ref().and_then(|d| d.loaded.catalogue.clone()),
        };
        let (then, work) = (side.then, side.work);
        self.spawn(side.job, side.label, move |job| {
            let value = job.with_reporter(|r| work(&input, r))?;
            Ok(JobOutput::Side {
                value,
                then,
                data: input.dataset,
            })
        });
    }

    /// Stop a job. A training or sweep stays until its worker reports, so
    /// the cancelled run is recorded with its curve; anything else (a load,
    /// an export, a scan) is forgotten at once and its data stays as it was.
    fn cancel(&mut self, kind: JobKind) {
        match kind {
            k if k.records_cancel() => self.jobs.cancel(kind),
            _ => {
                if matches!(kind, JobKind::Export(_)) && self.jobs.is_active(kind) {
                    self.pending.push(Event::Message {
                        job: kind,
                        text: "Export cancelled".into(),
                    });
                }
                self.jobs.abandon(kind);
            }
        }
    }

    fn spawn<F>(&mut self, kind: JobKind, name: &str, work: F)
    where
        F: FnOnce(&JobContext<JobOutput>) -> Result<JobOutput, JobFailure> + Send + 'static,
    {
        if let Err(e) = self.jobs.start(kind, name, work) {
            self.pending.push(Event::Error(e));
        }
    }

    fn load(&mut self, path: PathBuf, options: LoadOptions) {
        self.loading = Some((path.clone(), options.clone()));
        self.spawn(JobKind::Load, "Loading data", move |job| {
            let loaded = job.with_reporter(|r| {
                load_and_profile(&path, &options, r.cancel_token(), &r.fraction())
            })?;
            // A cancel that came too late to stop the load still keeps the old data.
            job.check_cancelled()?;
            Ok(JobOutput::Loaded(Box::new(LoadedData::new(loaded))))
        });
    }

    fn remap(&mut self, roles: Vec<(Role, Option<String>)>, keep_uncleaned: bool) {
        let Some(data) = &self.data else { return };
        let dataset = Arc::clone(data.dataset());
        self.spawn(JobKind::Load, "Loading data", move |job| {
            let mut remapped = dataset.with_roles(&roles)?;
            remapped.options.keep_uncleaned = keep_uncleaned;
            let profile =
                job.with_reporter(|r| profile(&remapped, r.cancel_token(), &r.fraction()))?;
            job.check_cancelled()?;
            Ok(JobOutput::Loaded(Box::new(LoadedData::new(Loaded::new(
                remapped, profile,
            )))))
        });
    }

    fn start_run(&mut self, request: RunRequest) {
        let label = request
            .label
            .unwrap_or_else(|| crate::registry::training_label(request.run.kind()));
        let run = request.run;
        self.spawn(request.job, label, move |job| {
            let outcome = job.with_reporter(|r| run.run(r));
            Ok(JobOutput::Run(Box::new(outcome)))
        });
    }

    fn start_sweep(&mut self, plan: SweepPlan) {
        let sweep_id = plan.resumes().unwrap_or_else(|| self.runs.new_sweep());
        self.searching = plan.is_search();
        let label = if self.searching { "Search" } else { "Sweep" };
        self.spawn(JobKind::Sweep, label, move |job| {
            if let Some(study) = plan.study(sweep_id) {
                job.deliver(JobOutput::Study(Box::new(study)));
            }
            let deliver = |_: usize, outcome: RunOutcome| {
                job.deliver(JobOutput::Run(Box::new(outcome)));
            };
            let done = job.with_reporter(|r| plan.run(sweep_id, r, &deliver))?;
            // The finished runs were delivered; say it ended by a cancel.
            job.check_cancelled()?;
            Ok(JobOutput::Swept(done))
        });
    }

    /// Read a `.shoplens` workspace on a worker. When it arrives its runs
    /// replace the session's, and with `load_data` its first data source is
    /// loaded. A damaged or newer file is reported and left untouched.
    pub fn open_workspace(&mut self, path: PathBuf, load_data: bool) {
        self.pending
            .push(Event::Notice(format!("Opening {}…", display_name(&path))));
        self.open_loads_data = load_data;
        self.spawn(JobKind::OpenWorkspace, "Opening the workspace", move |_| {
            let workspace =
                Workspace::open(&path).map_err(|e| JobFailure::Message(e.to_string()))?;
            let (history, warnings) = workspace.history();
            Ok(JobOutput::Opened(Box::new(OpenedWorkspace {
                path,
                workspace,
                history,
                warnings,
            })))
        });
    }

    /// The data sources to save: the loaded file with every role as mapped now.
    fn current_sources(&self) -> Vec<DataSource> {
        let Some(ds) = self.dataset() else {
            return Vec::new();
        };
        let mut options = ds.options.clone();
        options.roles = Role::ALL
            .iter()
            .map(|r| (*r, ds.roles.get(*r).map(str::to_owned)))
            .collect();
        vec![DataSource {
            path: std::fs::canonicalize(&ds.path).unwrap_or_else(|_| ds.path.clone()),
            options,
            event_weights: self.settings.event_weights.clone(),
        }]
    }

    /// Save the workspace to `path` on a worker (atomic write).
    pub fn save_workspace(&mut self, path: PathBuf) {
        let history = self.runs.clone();
        let sources = self.current_sources();
        let salt = self.workspace.salt.clone();
        self.pending
            .push(Event::Notice(format!("Saving {}…", display_name(&path))));
        self.spawn(JobKind::SaveWorkspace, "Saving the workspace", move |_| {
            let mut ws = Workspace::new(sources, salt);
            ws.put_history(&history);
            let bytes = ws
                .save(&path)
                .map_err(|e| JobFailure::Message(e.to_string()))?;
            Ok(JobOutput::Saved { path, bytes })
        });
    }

    /// Forget the workspace and its runs (the loaded data stays).
    pub fn new_workspace(&mut self) {
        self.runs = RunHistory::default();
        self.workspace = WorkspaceState {
            path: None,
            dirty: false,
            salt: crate::export::new_salt(),
        };
        self.settings.last_workspace = None;
        self.pending.push(Event::HistoryReplaced);
        self.pending.push(Event::Notice("New workspace".into()));
    }

    /// The user chose to drop the unsaved runs.
    pub fn discard_unsaved(&mut self) {
        self.workspace.dirty = false;
    }

    /// Add a run to the history (from a job, or a caller that trained it);
    /// returns its id.
    pub fn record(&mut self, outcome: RunOutcome) -> u64 {
        self.workspace.dirty = true;
        self.runs.push(outcome.record, outcome.model)
    }

    /// Drain the workers within `budget`, apply what they finished, and say
    /// what changed.
    pub fn poll(&mut self, budget: Duration) -> Vec<Event> {
        let mut events = std::mem::take(&mut self.pending);
        for e in self.jobs.poll(budget) {
            let (job, current) = (e.key, e.current);
            match e.update {
                Update::Item(output) | Update::Finished(Outcome::Done(output)) => {
                    self.finished(job, current, output, &mut events)
                }
                Update::Finished(Outcome::Failed(message)) => match job {
                    JobKind::Load | JobKind::OpenWorkspace | JobKind::SaveWorkspace => {
                        if job == JobKind::Load {
                            self.failed_load = self.loading.take();
                        }
                        if job == JobKind::OpenWorkspace
                            && self.open_loads_data
                            && self.data.is_none()
                            && !self.jobs.is_active(JobKind::Load)
                        {
                            self.load(sample_store_path(), LoadOptions::default());
                        }
                        events.push(Event::Error(message));
                    }
                    _ if current => events.push(Event::Message { job, text: message }),
                    _ => {}
                },
                Update::Finished(Outcome::Cancelled) => {
                    if job == JobKind::Sweep {
                        events.push(Event::Message {
                            job,
                            text: if self.searching {
                                "Search stopped; its trials are kept and it can be resumed"
                            } else {
                                "Sweep cancelled; the runs that finished are kept"
                            }
                            .into(),
                        });
                    }
                }
            }
        }
        events.append(&mut self.pending);
        events
    }

    fn finished(
        &mut self,
        job: JobKind,
        current: bool,
        output: JobOutput,
        events: &mut Vec<Event>,
    ) {
        match output {
            JobOutput::Loaded(data) if current => {
                let path = data.dataset().path.clone();
                if data.dataset().options.roles.is_empty() {
                    self.remember_recent(path);
                }
                self.data = Some(*data);
                (self.loading, self.failed_load) = (None, None);
                self.side.clear_derived();
                self.side_asked.clear();
                events.push(Event::DataLoaded);
            }
            JobOutput::Loaded(_) => {}
            JobOutput::Run(outcome) => {
                let id = self.record(*outcome);
                events.push(Event::RunRecorded { id, job, current });
            }
            JobOutput::Study(study) => {
                self.workspace.dirty = true;
                self.runs.put_study(*study);
            }
            JobOutput::Swept(n) => events.push(Event::Message {
                job,
                text: if self.searching {
                    format!("Search finished: {}", crate::display::count_of(n, "trials"))
                } else {
                    format!("Sweep finished: {n} runs")
                },
            }),
            JobOutput::Side { value, then, data } if current => {
                let for_loaded = match (&data, self.dataset()) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                };
                match then {
                    Then::Keep => self.side.put(Arc::clone(&value), false),
                    // Worked out for a file that is no longer loaded.
                    Then::KeepForData if !for_loaded => return,
                    Then::KeepForData => self.side.put(Arc::clone(&value), true),
                    Then::Announce => {}
                }
                events.push(Event::Ready { job, value });
            }
            JobOutput::Side { .. } => {}
            JobOutput::Exported(message) => events.push(Event::Message { job, text: message }),
            JobOutput::Opened(opened) => self.opened(*opened, events),
            JobOutput::Saved { path, bytes } => {
                events.push(Event::Notice(format!(
                    "Saved {} ({} runs, {:.1} MB)",
                    display_name(&path),
                    self.runs.len(),
                    bytes as f64 / 1e6
                )));
                self.settings.last_workspace = Some(path.clone());
                self.workspace.path = Some(path);
                self.workspace.dirty = false;
            }
        }
    }

    fn opened(&mut self, opened: OpenedWorkspace, events: &mut Vec<Event>) {
        let OpenedWorkspace {
            path,
            workspace,
            history,
            warnings,
        } = opened;
        self.runs = history;
        if !workspace.pseudonym_salt.is_empty() {
            self.workspace.salt = workspace.pseudonym_salt.clone();
        }
        self.settings.last_workspace = Some(path.clone());
        events.push(Event::HistoryReplaced);
        events.push(Event::Notice(format!(
            "Opened {}: {} runs, {} models{}",
            display_name(&path),
            workspace.runs.len(),
            self.runs
                .entries
                .iter()
                .filter(|e| e.model.is_some())
                .count(),
            if warnings.is_empty() {
                String::new()
            } else {
                format!(" ({})", warnings.join("; "))
            }
        )));
        self.workspace.path = Some(path.clone());
        self.workspace.dirty = false;
        if !self.open_loads_data {
            return;
        }
        match workspace.sources.first() {
            Some(source) => {
                let mut source = source.clone();
                source.path = workspace.resolve(&path, &source.path);
                if source.path.exists() {
                    self.apply(Command::OpenSource(source));
                } else {
                    events.push(Event::Error(format!(
                        "{}: the workspace's data file was not found; its runs and models are here, and the sample store is loaded instead. Open the data file to train on it again.",
                        source.path.display()
                    )));
                    self.load(sample_store_path(), LoadOptions::default());
                }
            }
            None => self.load(sample_store_path(), LoadOptions::default()),
        }
    }

    fn remember_recent(&mut self, path: PathBuf) {
        let recent = &mut self.settings.recent_files;
        recent.retain(|p| p != &path);
        recent.insert(0, path);
        recent.truncate(MAX_RECENT);
    }

    /// Stop every job (the app is closing).
    pub fn cancel_all(&mut self) {
        self.jobs.cancel_all();
    }

    /// The user's state, to give back after the demo: the loaded data, what
    /// was read beside it, the runs and whether they were saved.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            data: self.data.clone(),
            side: self.side.clone(),
            side_asked: self.side_asked.clone(),
            runs: self.runs.clone(),
            dirty: self.workspace.dirty,
        }
    }

    /// Keep the user's state aside for a tour and start it with no runs, so
    /// the tour shows and compares only its own; [`restore`](Self::restore)
    /// gives everything back.
    pub fn set_aside(&mut self) -> Snapshot {
        let snapshot = self.snapshot();
        self.runs = crate::runs::RunHistory::default();
        snapshot
    }

    /// Put back a [`snapshot`](Self::snapshot), stopping whatever runs (its
    /// results belong to the state being left).
    pub fn restore(&mut self, snapshot: Snapshot) {
        self.jobs.cancel_all();
        self.data = snapshot.data;
        self.side = snapshot.side;
        self.side_asked = snapshot.side_asked;
        self.runs = snapshot.runs;
        self.workspace.dirty = snapshot.dirty;
    }

    /// Tell the tabs again that the loaded data is new (tabs made after it
    /// loaded, such as the demo's, read it then).
    pub fn announce_data(&mut self) {
        if self.data.is_some() {
            self.pending.push(Event::DataLoaded);
        }
    }
}

/// What [`Workbench::snapshot`] keeps.
pub struct Snapshot {
    data: Option<LoadedData>,
    side: SideData,
    side_asked: Vec<JobKind>,
    runs: RunHistory,
    dirty: bool,
}

#[cfg(test)]
mod tests;
