//! What every model task shares, whichever capability it belongs to: the
//! cancel token it polls, the [`Reporter`] it tells its progress and epochs
//! to, the [`TaskError`] it fails with, and the worker thread pool it
//! computes on. Nothing here knows about jobs, runs or the UI.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::params::ParamError;

/// Shared flag a worker polls to stop early. A [`child`](Self::child)
/// token also stops when its parent does, and can be stopped alone (one
/// trial of a search, pruned while the search goes on).
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
    parents: Vec<Arc<AtomicBool>>,
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// A token cancelled by `cancel()` on it or on this one.
    pub fn child(&self) -> Self {
        let mut parents = self.parents.clone();
        parents.push(Arc::clone(&self.flag));
        Self {
            flag: Arc::default(),
            parents,
        }
    }

    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || self.parents.iter().any(|p| p.load(Ordering::Relaxed))
    }

    /// `Err(Cancelled)` once cancel was requested: use with `?` inside loops.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The task stopped because its cancel token was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// One point of a training curve (kept in run records and workspaces).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochEvent {
    pub epoch: usize,
    /// NaN when the model reports none (JSON writes it as null, read back as NaN).
    #[serde(deserialize_with = "nan_when_null")]
    pub loss: f64,
    /// Validation metric name and value, reported every few epochs.
    pub metric: Option<(String, f64)>,
    pub secs: f64,
}

/// A number, or NaN for the null that JSON writes for NaN.
fn nan_when_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Why a model task did not produce a result: bad input with a message the
/// user can act on, invalid parameters (one entry per field), or cancelled.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskError {
    Input(String),
    Params(Vec<ParamError>),
    Cancelled,
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskError::Input(m) => f.write_str(m),
            TaskError::Params(errors) => {
                write!(f, "invalid parameters: {}", crate::params::joined(errors))
            }
            TaskError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for TaskError {}

impl From<Cancelled> for TaskError {
    fn from(_: Cancelled) -> Self {
        TaskError::Cancelled
    }
}

fn ignore_progress(_: Option<f32>, _: &str) {}
fn ignore_epoch(_: EpochEvent) {}
fn ignore_partial(_: Partial) {}

/// A result so far of a task that has one before it ends (a race after
/// each wave of replications): the job keeps the latest for its tab.
pub type Partial = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// What a running task reports to, and is stopped by. The job that runs it
/// forwards the reports to the UI; the CLI prints them; tests ignore them.
#[derive(Clone, Copy)]
pub struct Reporter<'a> {
    cancel: &'a CancelToken,
    progress: &'a (dyn Fn(Option<f32>, &str) + Sync),
    epoch: &'a (dyn Fn(EpochEvent) + Sync),
    partial: &'a (dyn Fn(Partial) + Sync),
}

impl<'a> Reporter<'a> {
    pub fn new(
        cancel: &'a CancelToken,
        progress: &'a (dyn Fn(Option<f32>, &str) + Sync),
        epoch: &'a (dyn Fn(EpochEvent) + Sync),
    ) -> Self {
        Self {
            cancel,
            progress,
            epoch,
            partial: &ignore_partial,
        }
    }

    /// Reports go nowhere; only `cancel` stops the task.
    pub fn silent(cancel: &'a CancelToken) -> Self {
        Self::new(cancel, &ignore_progress, &ignore_epoch)
    }

    /// The same reporter with epochs going to `epoch` instead.
    pub fn with_epochs(self, epoch: &'a (dyn Fn(EpochEvent) + Sync)) -> Self {
        Self { epoch, ..self }
    }

    /// The same reporter stopped by `cancel` instead.
    pub fn with_cancel(self, cancel: &'a CancelToken) -> Self {
        Self { cancel, ..self }
    }

    /// The same reporter with results so far going to `partial`.
    pub fn with_partials(self, partial: &'a (dyn Fn(Partial) + Sync)) -> Self {
        Self { partial, ..self }
    }

    pub fn cancel_token(&self) -> &'a CancelToken {
        self.cancel
    }

    pub fn check(&self) -> Result<(), Cancelled> {
        self.cancel.check()
    }

    /// Fraction done in `0..=1` (or `None` when unknown) and what is happening.
    pub fn progress(&self, fraction: Option<f32>, message: &str) {
        (self.progress)(fraction, message);
    }

    /// The progress callback of loaders that always know their fraction.
    pub fn fraction(&self) -> impl Fn(f32, &str) + Sync + 'a {
        let progress = self.progress;
        move |fraction, message| progress(Some(fraction), message)
    }

    pub fn epoch(&self, event: EpochEvent) {
        (self.epoch)(event);
    }

    /// The result so far (the latest replaces the one before).
    pub fn partial(&self, value: Partial) {
        (self.partial)(value);
    }

    /// The epoch callback, for model code that takes one.
    pub fn epoch_sink(&self) -> &'a (dyn Fn(EpochEvent) + Sync) {
        self.epoch
    }
}

/// Worker threads a task uses unless told otherwise.
pub const DEFAULT_THREADS: usize = 2;

/// A pool of `threads` named worker threads for one task's parallel work.
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, TaskError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("shoplens-train-{i}"))
        .build()
        .map_err(|e| TaskError::Input(format!("could not start worker threads: {e}")))
}

/// Peak resident memory of this process so far (Linux's VmHWM), in MB;
/// `None` where the system does not say.
pub fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporter_forwards_progress_and_epochs_and_sees_cancel() {
        let cancel = CancelToken::new();
        let seen = std::sync::Mutex::new(Vec::new());
        let progress = |f: Option<f32>, m: &str| seen.lock().unwrap().push(format!("{f:?} {m}"));
        let epochs = std::sync::Mutex::new(0);
        let epoch = |_: EpochEvent| *epochs.lock().unwrap() += 1;
        let r = Reporter::new(&cancel, &progress, &epoch);
        r.progress(None, "a");
        r.fraction()(0.5, "b");
        r.epoch(EpochEvent {
            epoch: 1,
            loss: 0.0,
            metric: None,
            secs: 0.0,
        });
        assert_eq!(*seen.lock().unwrap(), vec!["None a", "Some(0.5) b"]);
        assert_eq!(*epochs.lock().unwrap(), 1);
        assert!(r.check().is_ok());
        cancel.cancel();
        assert_eq!(r.check(), Err(Cancelled));
    }
}
