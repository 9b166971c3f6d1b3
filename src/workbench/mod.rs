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

pub use command::{Command, FileWork, RunRequest, SweepRequest};

use crate::data::{load_and_profile, load_dataset, profile, EventWeights, LoadOptions, Loaded};
use crate::data::{Dataset, Role};
use crate::display::display_name;
use crate::jobs::{JobContext, JobFailure, JobRegistry, Outcome, Update, Waker};
use crate::runs::{RunHistory, RunKind, RunOutcome};
use crate::segment::clusters::ScanPoint;
use crate::segment::task::Customers;
use crate::workspace::{DataSource, Workspace};

/// Rows of the data preview.
pub const PREVIEW_ROWS: usize = 12;
const MAX_RECENT: usize = 8;

/// What a job is for; at most one current job per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Loading or re-mapping the data file.
    Load,
    /// One training run started from a tab.
    Train(RunKind),
    Sweep,
    /// The Segments tab's customer table.
    Customers,
    /// The Sentiment tab's own review file.
    Reviews,
    /// The Segments tab's k scan.
    Scan,
    /// The Explore / exploit tab's off-policy evaluation.
    OffPolicy,
    /// The Explore / exploit tab's logged file.
    BanditLog,
    /// Arms from the loaded store.
    BanditArms,
    /// A CSV or PNG export.
    Export(ExportKind),
    OpenWorkspace,
    SaveWorkspace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportKind {
    Recommendations,
    Customers,
    File,
}

impl JobKind {
    /// What the status bar calls it.
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Load => "Loading data",
            JobKind::Train(RunKind::Recommender) => "Training a recommender",
            JobKind::Train(RunKind::Sentiment) => "Training a sentiment classifier",
            JobKind::Train(RunKind::Segments) => "Fitting k-means",
            JobKind::Train(RunKind::Sessions) => "Training a session recommender",
            JobKind::Train(RunKind::Bandit) => "Simulating bandit policies",
            JobKind::Train(RunKind::Predict) => "Training a purchase model",
            JobKind::OffPolicy => "Evaluating a policy off-policy",
            JobKind::BanditLog => "Loading the bandit log",
            JobKind::BanditArms => "Reading arms from the store",
            JobKind::Sweep => "Sweep",
            JobKind::Customers => "Scoring customers",
            JobKind::Reviews => "Loading reviews",
            JobKind::Scan => "Scanning k",
            JobKind::Export(_) => "Exporting",
            JobKind::OpenWorkspace => "Opening the workspace",
            JobKind::SaveWorkspace => "Saving the workspace",
        }
    }
}

/// The loaded file with what the Data tab shows of it.
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
    Customers(Arc<Customers>),
    Reviews(Arc<Dataset>),
    BanditLog(Arc<Dataset>),
    Arms(Vec<crate::bandit::simulate::Arm>),
    Scan(Vec<ScanPoint>),
    Exported(String),
    Opened(Box<OpenedWorkspace>),
    Saved { path: PathBuf, bytes: u64 },
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
    Customers(Arc<Customers>),
    Reviews(Arc<Dataset>),
    /// The Explore / exploit tab's logged file arrived.
    BanditLog(Arc<Dataset>),
    /// Arms read from the store.
    Arms(Vec<crate::bandit::simulate::Arm>),
    Scanned(Vec<ScanPoint>),
    /// A job ended with a message for its tab (a failure, a finished sweep
    /// or export).
    Message {
        job: JobKind,
        text: String,
    },
    /// For the status line.
    Notice(String),
    /// For the error banner.
    Error(String),
    /// The run history was replaced or cleared.
    HistoryReplaced,
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
    /// The loaded file's customers, once scored (the Segments tab asks).
    customers: Option<Arc<Customers>>,
    /// The file whose customers were last asked for (a failure is not retried).
    customers_asked: Option<Arc<Dataset>>,
    /// A review file loaded for the Sentiment tab when the data has no text.
    reviews: Option<Arc<Dataset>>,
    /// A logged bandit file loaded for the Explore / exploit tab.
    bandit_log: Option<Arc<Dataset>>,
    runs: RunHistory,
    workspace: WorkspaceState,
    settings: Settings,
    jobs: JobRegistry<JobKind, JobOutput>,
    /// Whether the workspace being opened should also load its data.
    open_loads_data: bool,
    pending: Vec<Event>,
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
            customers: None,
            customers_asked: None,
            reviews: None,
            bandit_log: None,
            runs: RunHistory::default(),
            workspace: WorkspaceState {
                path: None,
                dirty: false,
                salt: crate::export::new_salt(),
            },
            settings,
            jobs: JobRegistry::new(waker),
            open_loads_data: false,
            pending: Vec::new(),
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

    /// The customers of the loaded file, when they were scored.
    pub fn customers(&self) -> Option<&Arc<Customers>> {
        self.customers
            .as_ref()
            .filter(|c| self.dataset().is_some_and(|d| Arc::ptr_eq(d, &c.dataset)))
    }

    /// The review file loaded beside the data, if any.
    pub fn reviews(&self) -> Option<&Arc<Dataset>> {
        self.reviews.as_ref()
    }

    /// The logged bandit file loaded beside the data, if any.
    pub fn bandit_log(&self) -> Option<&Arc<Dataset>> {
        self.bandit_log.as_ref()
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
    pub fn has_unsaved_runs(&self) -> bool {
        self.workspace.dirty && !self.runs.is_empty()
    }

    /// Do what `command` asks; problems come back as events from [`Self::poll`].
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::OpenFile(path) => self.load(path, LoadOptions::default()),
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
            Command::Sweep(request) => self.start_sweep(request),
            Command::Cancel(kind) => self.cancel(kind),
            Command::EnsureCustomers => self.ensure_customers(),
            Command::LoadReviews(path) => self.load_side_file(JobKind::Reviews, path),
            Command::LoadBanditLog(path) => self.load_side_file(JobKind::BanditLog, path),
            Command::BanditArms { unit, rate, top } => {
                let Some(data) = &self.data else { return };
                let dataset = Arc::clone(data.dataset());
                let catalogue = data.loaded.catalogue.clone();
                self.spawn(JobKind::BanditArms, "bandit arms", move |_| {
                    crate::bandit::arms::arms_from_store(
                        &dataset,
                        catalogue.as_deref(),
                        unit,
                        rate,
                        top,
                    )
                    .map(JobOutput::Arms)
                    .map_err(|e| JobFailure::Message(e.to_string()))
                })
            }
            Command::ScanK {
                customers,
                features,
                params,
                ks,
            } => self.spawn(JobKind::Scan, "scan k", move |job| {
                let points = job.with_reporter(|r| {
                    crate::segment::task::scan(&customers, &features, &params, ks, r)
                })?;
                Ok(JobOutput::Scan(points))
            }),
            Command::ExportRecommendations {
                trained,
                path,
                pseudonymise,
            } => {
                let pseudonym = self.pseudonymizer(pseudonymise);
                let kind = JobKind::Export(crate::workbench::ExportKind::Recommendations);
                self.spawn(kind, "export", move |job| {
                    let rows = job.with_reporter(|r| {
                        trained.export_top_k(
                            &path,
                            trained.options.k,
                            pseudonym.as_ref(),
                            r.cancel_token(),
                            &r.fraction(),
                        )
                    })?;
                    Ok(JobOutput::Exported(format!(
                        "Exported {rows} recommendations to {}",
                        path.display()
                    )))
                })
            }
            Command::ExportCustomers {
                customers,
                fit,
                path,
                pseudonymise,
            } => {
                let pseudonym = self.pseudonymizer(pseudonymise);
                self.spawn(
                    JobKind::Export(ExportKind::Customers),
                    "export",
                    move |_| {
                        let rows = crate::segment::export::write_customers(
                            &path,
                            &customers.table,
                            customers.rfm.as_ref().ok(),
                            Some(&fit.clustering.labels),
                            pseudonym.as_ref(),
                        )
                        .map_err(JobFailure::Message)?;
                        Ok(JobOutput::Exported(format!(
                            "Exported {rows} customers to {}",
                            path.display()
                        )))
                    },
                )
            }
            Command::WriteFile { name, work } => {
                self.spawn(JobKind::Export(ExportKind::File), &name, move |_| {
                    work().map(JobOutput::Exported).map_err(JobFailure::Message)
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
        }
    }

    /// The workspace's pseudonymizer, when exports should use one.
    fn pseudonymizer(&self, on: bool) -> Option<crate::export::Pseudonymizer> {
        on.then(|| crate::export::Pseudonymizer::new(&self.workspace.salt))
    }

    fn ensure_customers(&mut self) {
        let Some(dataset) = self.dataset().cloned() else {
            return;
        };
        let asked = self
            .customers_asked
            .as_ref()
            .is_some_and(|d| Arc::ptr_eq(d, &dataset));
        if self.customers().is_some() || asked {
            return;
        }
        self.customers_asked = Some(Arc::clone(&dataset));
        self.spawn(JobKind::Customers, "customers", |job| {
            let customers = job.with_reporter(|r| Customers::build(dataset, r))?;
            Ok(JobOutput::Customers(Arc::new(customers)))
        });
    }

    /// Stop a job. A training or sweep stays until its worker reports, so
    /// the cancelled run is recorded with its curve; anything else (a load,
    /// an export, a scan) is forgotten at once and its data stays as it was.
    fn cancel(&mut self, kind: JobKind) {
        match kind {
            JobKind::Train(_) | JobKind::Sweep => self.jobs.cancel(kind),
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
        self.spawn(JobKind::Load, "load", move |job| {
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
        let catalogue = data.loaded.catalogue.clone();
        self.spawn(JobKind::Load, "remap", move |job| {
            let mut remapped = dataset.with_roles(&roles)?;
            remapped.options.keep_uncleaned = keep_uncleaned;
            let profile =
                job.with_reporter(|r| profile(&remapped, r.cancel_token(), &r.fraction()))?;
            job.check_cancelled()?;
            Ok(JobOutput::Loaded(Box::new(LoadedData::new(Loaded {
                dataset: Arc::new(remapped),
                profile,
                catalogue,
            }))))
        });
    }

    /// Load a file a tab reads beside the data (reviews, a bandit log).
    fn load_side_file(&mut self, kind: JobKind, path: PathBuf) {
        self.spawn(kind, "load file", move |job| {
            let ds = Arc::new(job.with_reporter(|r| {
                load_dataset(
                    &path,
                    &LoadOptions::default(),
                    r.cancel_token(),
                    &r.fraction(),
                )
            })?);
            Ok(match kind {
                JobKind::BanditLog => JobOutput::BanditLog(ds),
                _ => JobOutput::Reviews(ds),
            })
        })
    }

    fn start_run(&mut self, request: RunRequest) {
        let kind = request.job();
        self.spawn(kind, "train", move |job| {
            let outcome = job.with_reporter(|r| match &request {
                RunRequest::Recommend(q) => crate::runs::run(q, r),
                RunRequest::Sentiment(q) => crate::runs::run(q, r),
                RunRequest::KMeans(q) => crate::runs::run(q, r),
                RunRequest::Session(q) => crate::runs::run(q, r),
                RunRequest::BanditSimulation(q) => crate::runs::run(q, r),
                RunRequest::BanditEvaluation(q) => crate::runs::run(q, r),
                RunRequest::Predict(q) => crate::runs::run(q, r),
            });
            Ok(JobOutput::Run(Box::new(outcome)))
        });
    }

    fn start_sweep(&mut self, request: SweepRequest) {
        let sweep_id = self.runs.new_sweep();
        self.spawn(JobKind::Sweep, "sweep", move |job| {
            let deliver = |_: usize, outcome: RunOutcome| {
                job.deliver(JobOutput::Run(Box::new(outcome)));
            };
            let done = job.with_reporter(|r| match &request {
                SweepRequest::Recommend(base, settings) => {
                    crate::runs::run_sweep(base, settings, sweep_id, r, &deliver)
                }
                SweepRequest::Sentiment(base, settings) => {
                    crate::runs::run_sweep(base, settings, sweep_id, r, &deliver)
                }
                SweepRequest::KMeans(base, settings) => {
                    crate::runs::run_sweep(base, settings, sweep_id, r, &deliver)
                }
                SweepRequest::Session(base, settings) => {
                    crate::runs::run_sweep(base, settings, sweep_id, r, &deliver)
                }
                SweepRequest::BanditSimulation(base, settings) => {
                    crate::runs::run_sweep(base, settings, sweep_id, r, &deliver)
                }
                SweepRequest::BanditEvaluation(base, settings) => {
                    crate::runs::run_sweep(base, settings, sweep_id, r, &deliver)
                }
                SweepRequest::Predict(base, settings) => {
                    crate::runs::run_sweep(base, settings, sweep_id, r, &deliver)
                }
            })?;
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
        self.spawn(JobKind::OpenWorkspace, "open workspace", move |_| {
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
        self.spawn(JobKind::SaveWorkspace, "save workspace", move |_| {
            let mut ws = Workspace {
                sources,
                pseudonym_salt: salt,
                ..Default::default()
            };
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
                            text: "Sweep cancelled; the runs that finished are kept".into(),
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
                self.customers = None;
                events.push(Event::DataLoaded);
            }
            JobOutput::Loaded(_) => {}
            JobOutput::Run(outcome) => {
                let id = self.record(*outcome);
                events.push(Event::RunRecorded { id, job, current });
            }
            JobOutput::Swept(n) => events.push(Event::Message {
                job,
                text: format!("Sweep finished: {n} runs"),
            }),
            JobOutput::Customers(c) if current => {
                self.customers = Some(Arc::clone(&c));
                events.push(Event::Customers(c));
            }
            JobOutput::Reviews(ds) if current => {
                self.reviews = Some(Arc::clone(&ds));
                events.push(Event::Reviews(ds));
            }
            JobOutput::BanditLog(ds) if current => {
                self.bandit_log = Some(Arc::clone(&ds));
                events.push(Event::BanditLog(ds));
            }
            JobOutput::Arms(arms) if current => events.push(Event::Arms(arms)),
            JobOutput::Scan(points) if current => events.push(Event::Scanned(points)),
            JobOutput::Customers(_)
            | JobOutput::Reviews(_)
            | JobOutput::BanditLog(_)
            | JobOutput::Arms(_)
            | JobOutput::Scan(_) => {}
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
            workspace.recommenders.len() + workspace.sentiments.len() + workspace.segments.len(),
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
}

#[cfg(test)]
mod tests;
