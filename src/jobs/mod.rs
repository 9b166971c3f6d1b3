//! Background jobs: work runs on named worker threads and reports back through a
//! **bounded** channel that the UI drains without blocking.
//!
//! Every job carries a [`Generation`]. Starting a new job in a [`JobSlot`] cancels
//! the previous one and bumps the generation, so a late result from a cancelled or
//! superseded job is recognised as stale and dropped instead of overwriting newer
//! results.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Capacity of a job's event channel. Progress events beyond it are dropped (the
/// next one supersedes them anyway); the final result is always delivered.
const CHANNEL_CAPACITY: usize = 64;

/// Monotonic id of a job within one [`JobSlot`].
pub type Generation = u64;

/// Shared flag a worker polls to stop early.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
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

/// The job stopped because its cancel token was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// One point of a training curve, streamed while a model fits.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochEvent {
    pub epoch: usize,
    pub loss: f64,
    /// Validation metric name and value, reported every few epochs.
    pub metric: Option<(String, f64)>,
    pub secs: f64,
}

/// What a worker reports while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Fraction done in `0..=1` (or `None` when unknown) and what is happening.
    Step {
        fraction: Option<f32>,
        message: String,
    },
    Epoch(EpochEvent),
}

/// How a job ended.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    Failed(String),
    Cancelled,
}

#[derive(Debug)]
enum Message<T> {
    Progress(Progress),
    Finished(Outcome<T>),
}

/// Handed to the worker closure: report progress and check for cancellation.
pub struct JobContext<T> {
    sender: SyncSender<Message<T>>,
    cancel: CancelToken,
}

impl<T> JobContext<T> {
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    pub fn check_cancelled(&self) -> Result<(), Cancelled> {
        self.cancel.check()
    }

    /// Non-blocking: a full channel drops this update (a newer one will follow).
    pub fn progress(&self, fraction: Option<f32>, message: impl Into<String>) {
        self.send_progress(Progress::Step {
            fraction,
            message: message.into(),
        });
    }

    pub fn epoch(&self, event: EpochEvent) {
        self.send_progress(Progress::Epoch(event));
    }

    fn send_progress(&self, progress: Progress) {
        match self.sender.try_send(Message::Progress(progress)) {
            Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// A progress callback usable by core functions that know nothing of jobs.
    pub fn reporter(&self) -> impl Fn(f32, &str) + '_ {
        move |fraction, message| self.progress(Some(fraction), message)
    }
}

/// A running job as seen from the thread that started it.
pub struct JobHandle<T> {
    pub generation: Generation,
    pub name: String,
    pub started: Instant,
    receiver: Receiver<Message<T>>,
    cancel: CancelToken,
    finished: bool,
}

/// An event drained from a job, tagged with the job's generation.
#[derive(Debug)]
pub enum JobEvent<T> {
    Progress(Progress),
    Finished(Outcome<T>),
}

impl<T: Send + 'static> JobHandle<T> {
    /// Run `work` on a new named thread. The closure returns `Ok(value)`,
    /// `Err(JobFailure::Cancelled)` when it noticed a cancel, or a message.
    pub fn spawn<F>(name: &str, generation: Generation, work: F) -> std::io::Result<Self>
    where
        F: FnOnce(&JobContext<T>) -> Result<T, JobFailure> + Send + 'static,
    {
        let (sender, receiver) = sync_channel(CHANNEL_CAPACITY);
        let cancel = CancelToken::new();
        let context = JobContext {
            sender,
            cancel: cancel.clone(),
        };
        std::thread::Builder::new()
            .name(format!("shoplens-{name}"))
            .spawn(move || {
                let outcome =
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&context)))
                    {
                        Ok(Ok(value)) if !context.cancel.is_cancelled() => Outcome::Done(value),
                        Ok(Ok(_)) | Ok(Err(JobFailure::Cancelled)) => Outcome::Cancelled,
                        Ok(Err(JobFailure::Message(message))) => Outcome::Failed(message),
                        Err(panic) => Outcome::Failed(format!(
                            "internal error (please report it): {}",
                            panic_message(&panic)
                        )),
                    };
                // Blocking send: the final outcome must not be dropped. It only fails
                // when the receiver is gone, i.e. nobody is interested any more.
                let _ = context.sender.send(Message::Finished(outcome));
            })?;
        Ok(Self {
            generation,
            name: name.to_owned(),
            started: Instant::now(),
            receiver,
            cancel,
            finished: false,
        })
    }

    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Drain what has arrived, stopping after `budget` so a chatty worker cannot
    /// stall a frame.
    pub fn drain(&mut self, budget: Duration) -> Vec<JobEvent<T>> {
        let start = Instant::now();
        let mut events = Vec::new();
        while !self.finished && start.elapsed() <= budget {
            match self.receiver.try_recv() {
                Ok(Message::Progress(p)) => events.push(JobEvent::Progress(p)),
                Ok(Message::Finished(outcome)) => {
                    self.finished = true;
                    events.push(JobEvent::Finished(outcome));
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.finished = true;
                    events.push(JobEvent::Finished(Outcome::Failed(
                        "the worker stopped without a result".into(),
                    )));
                }
            }
        }
        events
    }

    /// Block until the job ends (CLI and tests), forwarding progress to `on_progress`.
    pub fn wait(mut self, mut on_progress: impl FnMut(Progress)) -> Outcome<T> {
        loop {
            match self.receiver.recv() {
                Ok(Message::Progress(p)) => on_progress(p),
                Ok(Message::Finished(outcome)) => {
                    self.finished = true;
                    return outcome;
                }
                Err(_) => return Outcome::Failed("the worker stopped without a result".into()),
            }
        }
    }
}

/// Why a job closure did not produce a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    Cancelled,
    Message(String),
}

impl From<Cancelled> for JobFailure {
    fn from(_: Cancelled) -> Self {
        JobFailure::Cancelled
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// At most one job of a kind at a time. Starting a new one cancels the old one;
/// events of anything but the current generation never reach the caller.
pub struct JobSlot<T> {
    next_generation: Generation,
    current: Option<JobHandle<T>>,
    /// Latest progress of the current job, for a progress bar.
    pub last_progress: Option<(Option<f32>, String)>,
}

impl<T> Default for JobSlot<T> {
    fn default() -> Self {
        Self {
            next_generation: 1,
            current: None,
            last_progress: None,
        }
    }
}

impl<T: Send + 'static> JobSlot<T> {
    /// Cancel whatever runs and start `work` as the new current job.
    pub fn start<F>(&mut self, name: &str, work: F) -> Result<Generation, String>
    where
        F: FnOnce(&JobContext<T>) -> Result<T, JobFailure> + Send + 'static,
    {
        self.cancel();
        let generation = self.next_generation;
        self.next_generation += 1;
        let handle = JobHandle::spawn(name, generation, work)
            .map_err(|e| format!("could not start a worker thread: {e}"))?;
        self.current = Some(handle);
        self.last_progress = Some((Some(0.0), format!("{name}…")));
        Ok(generation)
    }

    /// Request cancellation and forget the job: anything it still sends is stale.
    pub fn cancel(&mut self) {
        if let Some(job) = self.current.take() {
            job.cancel();
        }
        self.last_progress = None;
    }

    pub fn is_running(&self) -> bool {
        self.current.is_some()
    }

    pub fn current_generation(&self) -> Option<Generation> {
        self.current.as_ref().map(|j| j.generation)
    }

    pub fn current_name(&self) -> Option<&str> {
        self.current.as_ref().map(|j| j.name.as_str())
    }

    /// Drain the current job's events within `budget`. Returns the epochs seen and
    /// the outcome once the job finished (the slot is then empty again).
    pub fn poll(
        &mut self,
        budget: Duration,
    ) -> (Vec<EpochEvent>, Option<(Generation, Outcome<T>)>) {
        let Some(job) = self.current.as_mut() else {
            return (Vec::new(), None);
        };
        let generation = job.generation;
        let mut epochs = Vec::new();
        let mut finished = None;
        for event in job.drain(budget) {
            match event {
                JobEvent::Progress(Progress::Step { fraction, message }) => {
                    self.last_progress = Some((fraction, message));
                }
                JobEvent::Progress(Progress::Epoch(e)) => epochs.push(e),
                JobEvent::Finished(outcome) => finished = Some((generation, outcome)),
            }
        }
        if finished.is_some() {
            self.current = None;
            self.last_progress = None;
        }
        (epochs, finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for<T: Send + 'static>(slot: &mut JobSlot<T>) -> (Generation, Outcome<T>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let (_, Some(done)) = slot.poll(Duration::from_millis(5)) {
                return done;
            }
            assert!(Instant::now() < deadline, "job did not finish");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn finished_job_delivers_its_value() {
        let mut slot = JobSlot::<u32>::default();
        slot.start("answer", |_| Ok(42)).unwrap();
        let (generation, outcome) = wait_for(&mut slot);
        assert_eq!(generation, 1);
        assert!(matches!(outcome, Outcome::Done(42)));
        assert!(!slot.is_running());
    }

    #[test]
    fn superseded_job_never_reaches_the_caller() {
        let mut slot = JobSlot::<&'static str>::default();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        slot.start("slow", move |_| {
            let _ = release_rx.recv_timeout(Duration::from_secs(5));
            Ok("stale")
        })
        .unwrap();
        slot.start("fast", |_| Ok("fresh")).unwrap();
        release_tx.send(()).unwrap();
        let (generation, outcome) = wait_for(&mut slot);
        assert_eq!(generation, 2);
        assert!(matches!(outcome, Outcome::Done("fresh")));
    }

    #[test]
    fn cancel_token_stops_a_loop() {
        let mut slot = JobSlot::<u64>::default();
        slot.start("spin", |ctx| {
            let mut n = 0u64;
            loop {
                ctx.check_cancelled()?;
                n += 1;
                ctx.progress(None, format!("{n}"));
                std::thread::sleep(Duration::from_millis(1));
            }
        })
        .unwrap();
        let handle = slot.current.take().unwrap();
        handle.cancel();
        let outcome = handle.wait(|_| {});
        assert!(matches!(outcome, Outcome::Cancelled));
    }

    #[test]
    fn panic_in_worker_becomes_a_failure_not_a_crash() {
        let mut slot = JobSlot::<u8>::default();
        slot.start("boom", |_| panic!("bad thing")).unwrap();
        let (_, outcome) = wait_for(&mut slot);
        match outcome {
            Outcome::Failed(m) => assert!(m.contains("bad thing")),
            other => panic!("expected failure, got {other:?}"),
        }
    }

    #[test]
    fn progress_never_blocks_a_worker_when_nobody_reads() {
        let handle = JobHandle::<u32>::spawn("chatty", 1, |ctx| {
            for i in 0..10_000 {
                ctx.progress(Some(i as f32 / 10_000.0), "working");
            }
            Ok(7)
        })
        .unwrap();
        let mut seen = 0;
        let outcome = handle.wait(|_| seen += 1);
        assert!(matches!(outcome, Outcome::Done(7)));
        assert!(seen <= 10_000);
    }
}
