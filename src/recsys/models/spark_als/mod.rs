//! ALS on Apache Spark, a recommender model whose fit runs in the Spark
//! engine (`crate::spark`): find Spark, write the train split's events as a
//! hand-off, submit the job, follow it, read the factors back into an
//! [`Als`] under MLlib's convention, and say which engine trained it.
//! Progress: the hand-off is the first tenth, the job the next 85%, reading
//! the factors the rest.

pub mod from_file;
pub mod params;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::als::{Als, Convention};
use super::{Factors, FitContext, TrainEvents};
use crate::recsys::matrix::Csr;
use crate::recsys::params::TrainOptions;
use crate::runs::EngineRecord;
use crate::spark::environment::{self, Environment, SparkInstall};
use crate::spark::submit::JobStatus;
use crate::spark::{factors, handoff, submit};
use crate::task::{EpochEvent, TaskError};
pub use from_file::{SparkFileRequest, SparkFileRun};
pub use params::SparkAlsParams;

/// Train `params` on Spark from the split's `events`; `train` is its matrix
/// (for the factors' shape). The model, and the engine that trained it.
pub fn fit(
    params: &SparkAlsParams,
    train: &Csr,
    events: TrainEvents,
    options: &TrainOptions,
    ctx: &FitContext,
) -> Result<(Als, EngineRecord), TaskError> {
    let data = events.data;
    let progress = |f: f32, m: &str| (ctx.on_progress)(f, m);
    progress(0.0, "looking for Java and Spark");
    let install = environment::locate(&params.spark_submit, &Environment::from_process())?;
    environment::check_master(&params.master, environment::hadoop_conf_dir().as_deref())?;
    let work = WorkDir::create(&params.work_dir)?;
    let result = (|| {
        let start = Instant::now();
        let handoff = handoff::write(
            &work.path,
            handoff::Events {
                users: &data.users,
                items: &data.items,
                weights: &data.weights,
                times: data.times.as_deref(),
                held_out: events.is_test,
                user_labels: &data.user_labels,
                item_labels: &data.item_labels,
            },
            &handoff::JobParams {
                rank: params.factors,
                max_iter: params.iterations,
                reg_param: params.regularization,
                alpha: params.alpha,
                seed: options.seed as i64,
                blocks: params.blocks,
                implicit_prefs: true,
            },
            ctx.cancel,
            &|f, m| progress(0.1 * f, m),
        )?;
        let status = run_job(
            &install,
            params,
            &work.path,
            &handoff.spec,
            ctx.cancel,
            &|f, m| progress(0.1 + 0.85 * f, m),
        )?;
        progress(0.96, "reading the factors back");
        let users = factors::read(&handoff.user_factors, train.n_rows, params.factors)?;
        let items = factors::read(&handoff.item_factors, train.n_cols, params.factors)?;
        let model = Als::from_factors(
            Factors {
                dim: params.factors,
                users: users.values,
                items: items.values,
            },
            params.regularization,
            params.alpha,
            Convention::Mllib,
        );
        let wall_secs = start.elapsed().as_secs_f64();
        // MLlib reports no per-iteration loss: one point, the end, with
        // the validation metric of the factors that came back.
        (ctx.on_epoch)(EpochEvent {
            epoch: params.iterations,
            loss: f64::NAN,
            metric: ctx.validate.map(|v| v(&model)),
            secs: wall_secs,
        });
        let record = engine_record(&status, params, wall_secs, &work.path);
        Ok((model, record))
    })();
    work.finish(result.is_ok() || matches!(result, Err(TaskError::Cancelled)));
    result
}

/// Write the job script into `work` and run it on `spec` to its end;
/// `progress` sees the job's share done and its message.
fn run_job(
    install: &SparkInstall,
    params: &SparkAlsParams,
    work: &Path,
    spec: &Path,
    cancel: &crate::task::CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<JobStatus, TaskError> {
    let script = work.join(crate::spark::JOB_SCRIPT_NAME);
    std::fs::write(&script, crate::spark::JOB_SCRIPT)
        .map_err(|e| TaskError::Input(format!("{}: cannot write ({e})", script.display())))?;
    submit::run(
        &submit::Submission {
            install,
            master: &params.master,
            driver_memory: &params.driver_memory,
            script: &script,
            spec,
            log: &submit::log_path(work),
            // Two solves an iteration, and one more.
            expected_solves: 2 * params.iterations + 1,
        },
        cancel,
        &|s, waited| progress(s.fraction(), &s.message(&install.found_by, waited)),
    )
}

/// Which engine trained the run, as its record says.
fn engine_record(
    status: &JobStatus,
    params: &SparkAlsParams,
    wall_secs: f64,
    work: &Path,
) -> EngineRecord {
    EngineRecord {
        engine: "spark".into(),
        master: status
            .master
            .clone()
            .unwrap_or_else(|| params.master.clone()),
        version: status.spark_version.clone().unwrap_or_default(),
        application: status.application.clone().unwrap_or_default(),
        wall_secs,
        fit_secs: status.fit_secs,
        work_dir: work.display().to_string(),
    }
}

/// The run's own folder: inside the work folder the user gave (kept, so
/// the cluster's team finds the factors), or a temporary one (removed after
/// a run that succeeded or was cancelled; kept after a failure for its log).
struct WorkDir {
    path: PathBuf,
    temporary: bool,
}

static RUNS: AtomicU64 = AtomicU64::new(0);

impl WorkDir {
    fn create(given: &str) -> Result<WorkDir, TaskError> {
        let stamp = format!(
            "als-{}-{}-{}",
            crate::runs::now_unix(),
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        );
        let given = given.trim();
        let (base, temporary) = if given.is_empty() {
            (std::env::temp_dir().join("shoplens-spark"), true)
        } else {
            (PathBuf::from(given), false)
        };
        let path = absolute(&base.join(stamp));
        std::fs::create_dir_all(&path).map_err(|e| {
            TaskError::Input(format!(
                "cannot create the work folder {} ({e}); pick a folder you can write, which the cluster can read",
                path.display()
            ))
        })?;
        Ok(WorkDir { path, temporary })
    }

    fn finish(self, clean: bool) {
        if self.temporary && clean {
            if let Err(e) = std::fs::remove_dir_all(&self.path) {
                log::warn!("{}: cannot remove ({e})", self.path.display());
            }
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
