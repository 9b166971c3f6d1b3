//! What the UI (or a test) asks the workbench to do. Tabs build these and
//! return them; the app applies them at the end of the frame. Runs, sweeps
//! and side work carry their own work (helix's jobs: work plus what to do
//! with its result), so no command names a capability.

use std::path::PathBuf;
use std::sync::Arc;

use super::JobKind;
use crate::data::catalogue::Catalogue;
use crate::data::{Dataset, EventWeights, Role};
use crate::export::Pseudonymizer;
use crate::runs::{Pipeline, RunJob, SweepPlan};
use crate::task::{Partial, Reporter, TaskError};
use crate::workspace::DataSource;

/// One run of any capability, on the job it runs as.
#[derive(Clone)]
pub struct RunRequest {
    pub job: JobKind,
    /// What the status bar calls it (its capability's words unless set).
    pub label: Option<&'static str>,
    pub run: RunJob,
}

impl RunRequest {
    /// `request` as its capability's training job.
    pub fn new<P: Pipeline + 'static>(request: P) -> Self {
        Self {
            job: JobKind::Train(P::KIND),
            label: None,
            run: RunJob::new(request),
        }
    }

    /// `request` on a job of its own, beside the capability's training job
    /// (an off-policy evaluation runs while a race does).
    pub fn on(job: JobKind, label: &'static str, request: impl Pipeline + 'static) -> Self {
        Self {
            job,
            label: Some(label),
            run: RunJob::new(request),
        }
    }
}

/// What side work is given: the data loaded when it was started.
pub struct SideInput {
    pub dataset: Option<Arc<Dataset>>,
    pub catalogue: Option<Arc<Catalogue>>,
}

/// What becomes of side work's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Keep it beside the data (a review file, a bandit log), replacing the
    /// one of its type.
    Keep,
    /// Keep it as the loaded file's (the scored customers): it goes when
    /// another file loads, and is worked out once per file.
    KeepForData,
    /// Only hand it to the tabs (arms read from the store, a k scan).
    Announce,
}

pub type SideWork = Box<dyn FnOnce(&SideInput, &Reporter) -> Result<Partial, TaskError> + Send>;

/// Work a tab needs besides runs, and what becomes of its result.
pub struct SideJob {
    pub job: JobKind,
    /// What the status bar calls it.
    pub label: &'static str,
    pub then: Then,
    pub work: SideWork,
}

impl SideJob {
    pub fn new(
        job: JobKind,
        label: &'static str,
        then: Then,
        work: impl FnOnce(&SideInput, &Reporter) -> Result<Partial, TaskError> + Send + 'static,
    ) -> Self {
        Self {
            job,
            label,
            then,
            work: Box::new(work),
        }
    }

    /// What `kind`'s runs need worked out on the loaded file first, kept
    /// for that file.
    pub fn prepare(kind: crate::runs::RunKind, prepare: crate::runs::capability::Prepare) -> Self {
        Self::new(
            JobKind::Prepare(kind),
            "Preparing the data",
            Then::KeepForData,
            move |input, r| match &input.dataset {
                Some(dataset) => prepare(dataset, r),
                None => Err(TaskError::Input("no data is loaded".into())),
            },
        )
    }

    /// The same work, its result kept for the loaded file only: it goes
    /// when another file loads (the reviews found beside a store).
    pub fn for_loaded_file(mut self) -> Self {
        self.then = Then::KeepForData;
        self
    }

    /// Load a file to keep beside the data, as `wrap` makes of it.
    pub fn load_file(
        job: JobKind,
        path: PathBuf,
        wrap: impl FnOnce(Arc<Dataset>) -> Partial + Send + 'static,
    ) -> Self {
        Self::new(job, "Loading a file", Then::Keep, move |_, r| {
            let ds = crate::data::load_dataset(
                &path,
                &crate::data::LoadOptions::default(),
                r.cancel_token(),
                &r.fraction(),
            )?;
            Ok(wrap(Arc::new(ds)))
        })
    }
}

/// An export's work: given the workspace's pseudonymizer when asked for,
/// it writes its file and says what it wrote.
pub type ExportWork =
    Box<dyn FnOnce(Option<&Pseudonymizer>, &Reporter) -> Result<String, TaskError> + Send>;

pub struct ExportJob {
    pub job: JobKind,
    /// Replace customer ids with the workspace's pseudonyms.
    pub pseudonymise: bool,
    pub work: ExportWork,
}

impl ExportJob {
    pub fn new(
        job: JobKind,
        pseudonymise: bool,
        work: impl FnOnce(Option<&Pseudonymizer>, &Reporter) -> Result<String, TaskError>
            + Send
            + 'static,
    ) -> Self {
        Self {
            job,
            pseudonymise,
            work: Box::new(work),
        }
    }
}

#[must_use]
pub enum Command {
    /// Load a file on a worker; the current data stays until it has loaded.
    OpenFile(PathBuf),
    /// Load the file whose load just failed again, leaving out its
    /// malformed lines.
    LoadSkippingBadLines,
    /// Load a workspace's data source with its saved roles and weights.
    OpenSource(DataSource),
    /// Re-profile the loaded data with other column roles.
    Remap {
        roles: Vec<(Role, Option<String>)>,
        keep_uncleaned: bool,
    },
    SetEventWeights(EventWeights),
    /// Train one model; the run is recorded however it ends.
    Run(RunRequest),
    /// Train a model per setting; each run is recorded as it ends.
    Sweep(SweepPlan),
    /// Stop the job; a cancelled run is still recorded with its curve.
    Cancel(JobKind),
    /// Work a tab needs besides runs (a side file, the scored customers, a
    /// scan); its result comes back as [`super::Event::Ready`].
    Side(SideJob),
    /// Write a file (a list, a chart, a table) on a worker.
    Export(ExportJob),
    OpenWorkspace {
        path: PathBuf,
        load_data: bool,
    },
    SaveWorkspace(PathBuf),
    /// Forget the workspace and its runs (the loaded data stays).
    NewWorkspace,
    DeleteRuns(Vec<u64>),
    /// Name a part of a run's result (`key`, e.g. a topic's number); an
    /// empty name removes it.
    LabelRun {
        run: u64,
        key: String,
        name: String,
    },
}
