//! What the UI (or a test) asks the workbench to do. Tabs build these and
//! return them; the app applies them at the end of the frame.

use std::path::PathBuf;
use std::sync::Arc;

use crate::bandit::arms::{ArmRate, ArmUnit};
use crate::bandit::params::{EvaluationParams, SimulationParams};
use crate::bandit::task::{EvaluationRequest, SimulationRequest};
use crate::data::{EventWeights, Role};
use crate::recsys::params::ModelParams;
use crate::recsys::task::RecommendRequest;
use crate::recsys::Trained;
use crate::runs::RunKind;
use crate::segment::clusters::KMeansParams;
use crate::segment::features::Feature;
use crate::segment::task::{Customers, KMeansRequest};
use crate::segment::SegmentFit;
use crate::session::params::SessionParams;
use crate::session::task::SessionRequest;
use crate::text::params::SentimentParams;
use crate::text::task::SentimentRequest;
use crate::workspace::DataSource;

/// One run of any capability.
#[derive(Clone)]
pub enum RunRequest {
    Recommend(RecommendRequest),
    Sentiment(SentimentRequest),
    KMeans(KMeansRequest),
    Session(SessionRequest),
    BanditSimulation(SimulationRequest),
    BanditEvaluation(EvaluationRequest),
    Predict(crate::predict::task::PredictRequest),
}

impl RunRequest {
    pub fn kind(&self) -> RunKind {
        match self {
            RunRequest::Recommend(_) => RunKind::Recommender,
            RunRequest::Sentiment(_) => RunKind::Sentiment,
            RunRequest::KMeans(_) => RunKind::Segments,
            RunRequest::Session(_) => RunKind::Sessions,
            RunRequest::BanditSimulation(_) | RunRequest::BanditEvaluation(_) => RunKind::Bandit,
            RunRequest::Predict(_) => RunKind::Predict,
        }
    }

    /// The job it runs as: a simulation and an evaluation may run side by side.
    pub fn job(&self) -> super::JobKind {
        match self {
            RunRequest::BanditEvaluation(_) => super::JobKind::OffPolicy,
            other => super::JobKind::Train(other.kind()),
        }
    }
}

/// A request and the hyperparameter settings to run it with, one by one.
#[derive(Clone)]
pub enum SweepRequest {
    Recommend(RecommendRequest, Vec<ModelParams>),
    Sentiment(SentimentRequest, Vec<SentimentParams>),
    KMeans(KMeansRequest, Vec<KMeansParams>),
    Session(SessionRequest, Vec<SessionParams>),
    BanditSimulation(SimulationRequest, Vec<SimulationParams>),
    BanditEvaluation(EvaluationRequest, Vec<EvaluationParams>),
    Predict(
        crate::predict::task::PredictRequest,
        Vec<crate::predict::model::PredictParams>,
    ),
}

impl SweepRequest {
    pub fn len(&self) -> usize {
        match self {
            SweepRequest::Recommend(_, s) => s.len(),
            SweepRequest::Sentiment(_, s) => s.len(),
            SweepRequest::KMeans(_, s) => s.len(),
            SweepRequest::Session(_, s) => s.len(),
            SweepRequest::BanditSimulation(_, s) => s.len(),
            SweepRequest::BanditEvaluation(_, s) => s.len(),
            SweepRequest::Predict(_, s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Work that only writes a file and reports a sentence (chart and table
/// exports encoded off the UI thread).
pub type FileWork = Box<dyn FnOnce() -> Result<String, String> + Send>;

#[must_use]
pub enum Command {
    /// Load a file on a worker; the current data stays until it has loaded.
    OpenFile(PathBuf),
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
    Sweep(SweepRequest),
    /// Stop the job; a cancelled run is still recorded with its curve.
    Cancel(crate::workbench::JobKind),
    /// Score the loaded file's customers (what k-means clusters), unless
    /// they are there or were already asked for this file.
    EnsureCustomers,
    /// Load a review file for the Sentiment tab.
    LoadReviews(PathBuf),
    /// Load a logged bandit file for the Explore / exploit tab.
    LoadBanditLog(PathBuf),
    /// The loaded store's `top` most viewed items or categories as arms.
    BanditArms {
        unit: ArmUnit,
        rate: ArmRate,
        top: usize,
    },
    /// Fit k = from..=to for the elbow and silhouette curves.
    ScanK {
        customers: Arc<Customers>,
        features: Vec<Feature>,
        params: KMeansParams,
        ks: std::ops::RangeInclusive<usize>,
    },
    /// Every customer's top-k, pseudonymised with the workspace's salt when asked.
    ExportRecommendations {
        trained: Arc<Trained>,
        path: PathBuf,
        pseudonymise: bool,
    },
    /// Every customer with features, RFM segment and cluster.
    ExportCustomers {
        customers: Arc<Customers>,
        fit: Arc<SegmentFit>,
        path: PathBuf,
        pseudonymise: bool,
    },
    /// Write a chart or table the UI prepared.
    WriteFile {
        name: String,
        work: FileWork,
    },
    OpenWorkspace {
        path: PathBuf,
        load_data: bool,
    },
    SaveWorkspace(PathBuf),
    /// Forget the workspace and its runs (the loaded data stays).
    NewWorkspace,
    DeleteRuns(Vec<u64>),
}
