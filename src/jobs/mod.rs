//! Background jobs: one [`JobRegistry`] runs every worker of the app. Work
//! runs on named threads and reports through a **bounded** channel per job;
//! the registry drains all of them once per frame under one time budget.
//!
//! - Progress and epochs are sent without blocking: when the channel is full
//!   the update is dropped (a newer one follows, and run records keep their
//!   full curve).
//! - Items (a sweep's finished runs) and the final outcome are sent blocking:
//!   they always arrive, in order.
//! - Cancel sets the job's token and keeps the job, *cancelling*, until the
//!   worker's final message arrives, so a cancelled training still reports
//!   its record with the partial curve.
//! - Starting a job under a key that already has one cancels the old one;
//!   its later messages are reported with `current: false`, so a stale result
//!   can be recorded but never shown as the latest.
//! - A task with a result before it ends (a race after each wave) reports it
//!   as a partial result; the registry keeps the latest for the tab.
//! - "Busy" is derived from the jobs still in the registry.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::task::{CancelToken, Cancelled, EpochEvent};
use crate::task::{Partial, Reporter, TaskError};

/// Capacity of a job's channel.
const CHANNEL_CAPACITY: usize = 64;

/// Monotonic id of a job within one registry.
pub type Generation = u64;

/// Wakes the thread that polls the registry (the UI's `request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// How a job ended.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    Failed(String),
    Cancelled,
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

impl From<TaskError> for JobFailure {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::Cancelled => JobFailure::Cancelled,
            other => JobFailure::Message(other.to_string()),
        }
    }
}

impl From<crate::data::LoadError> for JobFailure {
    fn from(e: crate::data::LoadError) -> Self {
        TaskError::from(e).into()
    }
}

enum Message<T> {
    Step {
        fraction: Option<f32>,
        message: String,
    },
    Epoch(EpochEvent),
    Partial(Partial),
    Item(T),
    Finished(Outcome<T>),
}

/// Handed to the worker closure: report progress, deliver items, check for
/// cancellation.
pub struct JobContext<T> {
    sender: SyncSender<Message<T>>,
    cancel: CancelToken,
    waker: Waker,
}

impl<T: Send> JobContext<T> {
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    pub fn check_cancelled(&self) -> Result<(), Cancelled> {
        self.cancel.check()
    }

    /// Non-blocking: a full channel drops this update (a newer one will follow).
    pub fn progress(&self, fraction: Option<f32>, message: impl Into<String>) {
        self.send_droppable(Message::Step {
            fraction,
            message: message.into(),
        });
    }

    pub fn epoch(&self, event: EpochEvent) {
        self.send_droppable(Message::Epoch(event));
    }

    /// A partial result that must arrive (e.g. one finished run of a sweep):
    /// waits while the channel is full. The live epochs start afresh after it.
    pub fn deliver(&self, item: T) {
        // Fails only when the registry is gone: nobody is interested any more.
        let _ = self.sender.send(Message::Item(item));
        (self.waker)();
    }

    /// Run `f` with a [`Reporter`] that forwards to this job.
    pub fn with_reporter<R>(&self, f: impl FnOnce(&Reporter) -> R) -> R
    where
        T: Send,
    {
        let progress = |fraction: Option<f32>, message: &str| self.progress(fraction, message);
        let epoch = |e: EpochEvent| self.epoch(e);
        let partial = |value: Partial| self.send_droppable(Message::Partial(value));
        f(&Reporter::new(&self.cancel, &progress, &epoch).with_partials(&partial))
    }

    fn send_droppable(&self, message: Message<T>) {
        match self.sender.try_send(message) {
            Ok(()) => (self.waker)(),
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

struct Job<K, T> {
    key: K,
    generation: Generation,
    name: String,
    started: Instant,
    receiver: Receiver<Message<T>>,
    cancel: CancelToken,
    cancelling: bool,
    progress: Option<(Option<f32>, String)>,
    epochs: Vec<EpochEvent>,
    partial: Option<Partial>,
    finished: bool,
}

/// What a job reported, for the owner of the registry to act on.
#[derive(Debug)]
pub struct JobEvent<K, T> {
    pub key: K,
    pub generation: Generation,
    /// No newer job was started under the same key.
    pub current: bool,
    pub update: Update<T>,
}

#[derive(Debug)]
pub enum Update<T> {
    Item(T),
    Finished(Outcome<T>),
}

/// A running job as the status bar shows it.
pub struct JobInfo<'a, K> {
    pub key: K,
    pub name: &'a str,
    pub cancelling: bool,
    pub secs: f64,
    pub progress: Option<(Option<f32>, &'a str)>,
}

/// Every background job of one owner (the workbench), by key.
pub struct JobRegistry<K, T> {
    jobs: Vec<Job<K, T>>,
    next_generation: Generation,
    /// The generation last started under each key: only its reports are
    /// current, even after a newer job has finished and left `jobs`.
    latest: Vec<(K, Generation)>,
    waker: Waker,
    /// The job drained first next time, so no job starves under the budget.
    cursor: usize,
}

impl<K: Copy + PartialEq + std::fmt::Debug, T: Send + 'static> JobRegistry<K, T> {
    pub fn new(waker: Waker) -> Self {
        Self {
            jobs: Vec::new(),
            next_generation: 1,
            latest: Vec::new(),
            waker,
            cursor: 0,
        }
    }

    /// Run `work` on a new named thread as the current job of `key`; a job
    /// already running under `key` is cancelled (and still reports, as not
    /// current). The closure returns `Ok(value)` (also when it turned a
    /// cancel into a value of its own, such as a cancelled run record),
    /// `Err(JobFailure::Cancelled)`, or a message.
    pub fn start<F>(&mut self, key: K, name: &str, work: F) -> Result<Generation, String>
    where
        F: FnOnce(&JobContext<T>) -> Result<T, JobFailure> + Send + 'static,
    {
        self.cancel(key);
        let generation = self.next_generation;
        self.next_generation += 1;
        match self.latest.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = generation,
            None => self.latest.push((key, generation)),
        }
        let (sender, receiver) = sync_channel(CHANNEL_CAPACITY);
        let cancel = CancelToken::new();
        let context = JobContext {
            sender,
            cancel: cancel.clone(),
            waker: Arc::clone(&self.waker),
        };
        std::thread::Builder::new()
            .name(format!("shoplens-{name}"))
            .spawn(move || {
                let outcome =
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&context)))
                    {
                        Ok(Ok(value)) => Outcome::Done(value),
                        Ok(Err(JobFailure::Cancelled)) => Outcome::Cancelled,
                        Ok(Err(JobFailure::Message(message))) => Outcome::Failed(message),
                        Err(panic) => Outcome::Failed(format!(
                            "internal error (please report it): {}",
                            panic_message(&panic)
                        )),
                    };
                // What the job freed would stay resident in this thread's heap.
                crate::data::memory::release_freed();
                // Blocking: the final outcome must not be dropped.
                let _ = context.sender.send(Message::Finished(outcome));
                (context.waker)();
            })
            .map_err(|e| format!("could not start a worker thread: {e}"))?;
        self.jobs.push(Job {
            key,
            generation,
            name: name.to_owned(),
            started: Instant::now(),
            receiver,
            cancel,
            cancelling: false,
            progress: Some((Some(0.0), format!("{name}…"))),
            epochs: Vec::new(),
            partial: None,
            finished: false,
        });
        Ok(generation)
    }

    /// Ask the jobs of `key` to stop. They stay (cancelling) until their
    /// worker's final message arrives.
    pub fn cancel(&mut self, key: K) {
        for job in self.jobs.iter_mut().filter(|j| j.key == key) {
            job.cancel.cancel();
            job.cancelling = true;
        }
    }

    /// Stop the jobs of `key` and forget them now: for work whose result
    /// nobody wants once cancelled (a load, an export). Whatever the worker
    /// still sends is dropped.
    pub fn abandon(&mut self, key: K) {
        for job in self.jobs.iter().filter(|j| j.key == key) {
            job.cancel.cancel();
        }
        self.jobs.retain(|j| j.key != key);
    }

    /// Ask every job to stop (the app is closing).
    pub fn cancel_all(&mut self) {
        for job in &mut self.jobs {
            job.cancel.cancel();
            job.cancelling = true;
        }
    }

    fn current(&self, key: K) -> Option<&Job<K, T>> {
        self.jobs
            .iter()
            .filter(|j| j.key == key)
            .max_by_key(|j| j.generation)
    }

    /// A job of `key` runs and was not asked to stop.
    pub fn is_running(&self, key: K) -> bool {
        self.current(key).is_some_and(|j| !j.cancelling)
    }

    /// The current job of `key` was cancelled and has not reported back yet.
    pub fn is_cancelling(&self, key: K) -> bool {
        self.current(key).is_some_and(|j| j.cancelling)
    }

    /// Running or cancelling.
    pub fn is_active(&self, key: K) -> bool {
        self.current(key).is_some()
    }

    /// Any job at all, cancelling ones included.
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// The current job's latest progress (fraction, message).
    pub fn progress(&self, key: K) -> Option<(Option<f32>, &str)> {
        self.current(key)
            .and_then(|j| j.progress.as_ref())
            .map(|(f, m)| (*f, m.as_str()))
    }

    /// The current job's epochs since it started or delivered its last item.
    pub fn epochs(&self, key: K) -> &[EpochEvent] {
        self.current(key).map_or(&[], |j| j.epochs.as_slice())
    }

    /// The current job's latest result so far, when it is a `V`.
    pub fn partial<V: std::any::Any + Send + Sync>(&self, key: K) -> Option<Arc<V>> {
        let value = self.current(key)?.partial.clone()?;
        value.downcast::<V>().ok()
    }

    pub fn current_generation(&self, key: K) -> Option<Generation> {
        self.current(key).map(|j| j.generation)
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> impl Iterator<Item = JobInfo<'_, K>> {
        self.jobs.iter().map(|j| JobInfo {
            key: j.key,
            name: &j.name,
            cancelling: j.cancelling,
            secs: j.started.elapsed().as_secs_f64(),
            progress: j.progress.as_ref().map(|(f, m)| (*f, m.as_str())),
        })
    }

    /// Drain what every job sent, spending at most `budget` in all, and drop
    /// the jobs that finished.
    pub fn poll(&mut self, budget: Duration) -> Vec<JobEvent<K, T>> {
        let deadline = Instant::now() + budget;
        let mut raw = Vec::new();
        let n = self.jobs.len();
        for offset in 0..n {
            let i = (self.cursor + offset) % n;
            let job = &mut self.jobs[i];
            while !job.finished && Instant::now() <= deadline {
                match job.receiver.try_recv() {
                    Ok(Message::Step { fraction, message }) => {
                        job.progress = Some((fraction, message));
                    }
                    Ok(Message::Epoch(e)) => job.epochs.push(e),
                    Ok(Message::Partial(value)) => job.partial = Some(value),
                    Ok(Message::Item(item)) => {
                        job.epochs.clear();
                        raw.push((job.key, job.generation, Update::Item(item)));
                    }
                    Ok(Message::Finished(outcome)) => {
                        job.finished = true;
                        raw.push((job.key, job.generation, Update::Finished(outcome)));
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        job.finished = true;
                        raw.push((
                            job.key,
                            job.generation,
                            Update::Finished(Outcome::Failed(
                                "the worker stopped without a result".into(),
                            )),
                        ));
                    }
                }
            }
        }
        if n > 0 {
            self.cursor = (self.cursor + 1) % n;
        }
        let events = raw
            .into_iter()
            .map(|(key, generation, update)| JobEvent {
                key,
                generation,
                current: self
                    .latest
                    .iter()
                    .all(|&(k, latest)| k != key || latest <= generation),
                update,
            })
            .collect();
        self.jobs.retain(|j| !j.finished);
        events
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Key {
        A,
        B,
    }

    fn registry<T: Send + 'static>() -> JobRegistry<Key, T> {
        JobRegistry::new(Arc::new(|| {}))
    }

    /// Poll until the registry is idle; every event seen, in order.
    fn drain<T: Send + 'static>(r: &mut JobRegistry<Key, T>) -> Vec<JobEvent<Key, T>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut events = Vec::new();
        while r.is_busy() {
            assert!(Instant::now() < deadline, "jobs did not finish");
            events.extend(r.poll(Duration::from_millis(5)));
            std::thread::sleep(Duration::from_millis(1));
        }
        events
    }

    #[test]
    fn finished_job_delivers_its_value_and_leaves() {
        let mut r = registry::<u32>();
        r.start(Key::A, "answer", |_| Ok(42)).unwrap();
        assert!(r.is_running(Key::A) && r.is_busy());
        let events = drain(&mut r);
        assert!(matches!(
            events.as_slice(),
            [JobEvent {
                key: Key::A,
                current: true,
                update: Update::Finished(Outcome::Done(42)),
                ..
            }]
        ));
        assert!(!r.is_busy());
    }

    /// A superseded job still reports, but not as current — also when the
    /// newer job has finished (and left the registry) first.
    #[test]
    fn superseded_job_still_reports_but_not_as_current() {
        let mut r = registry::<&'static str>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        r.start(Key::A, "slow", move |_| {
            let _ = release_rx.recv_timeout(Duration::from_secs(5));
            Ok("stale")
        })
        .unwrap();
        r.start(Key::A, "fast", |_| Ok("fresh")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "the fast job did not finish");
            let events = r.poll(Duration::from_millis(5));
            if let Some(e) = events
                .iter()
                .find(|e| matches!(e.update, Update::Finished(Outcome::Done("fresh"))))
            {
                assert!(e.current);
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        release_tx.send(()).unwrap();
        let late = drain(&mut r);
        let stale = late
            .iter()
            .find(|e| matches!(e.update, Update::Finished(Outcome::Done("stale"))))
            .expect("the stale job still reports");
        assert!(!stale.current);
    }

    #[test]
    fn cancel_keeps_the_job_until_its_worker_reports_its_value() {
        let mut r = registry::<u64>();
        r.start(Key::A, "spin", |ctx| {
            let mut n = 0u64;
            while !ctx.cancel_token().is_cancelled() {
                n += 1;
                ctx.progress(None, format!("{n}"));
                std::thread::sleep(Duration::from_millis(1));
            }
            // A cancelled run still returns its (partial) record.
            Ok(n)
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        r.cancel(Key::A);
        assert!(r.is_cancelling(Key::A) && !r.is_running(Key::A) && r.is_busy());
        let events = drain(&mut r);
        assert!(matches!(
            events.last().map(|e| &e.update),
            Some(Update::Finished(Outcome::Done(n))) if *n > 0
        ));
    }

    #[test]
    fn a_closure_that_gives_up_on_cancel_ends_cancelled() {
        let mut r = registry::<()>();
        r.start(Key::A, "loop", |ctx| loop {
            ctx.check_cancelled()?;
            std::thread::sleep(Duration::from_millis(1));
        })
        .unwrap();
        r.cancel(Key::A);
        let events = drain(&mut r);
        assert!(matches!(
            events[0].update,
            Update::Finished(Outcome::Cancelled)
        ));
    }

    #[test]
    fn an_abandoned_job_is_gone_at_once_and_never_reports() {
        let mut r = registry::<u8>();
        r.start(Key::A, "slow", |ctx| {
            while !ctx.cancel_token().is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(1)
        })
        .unwrap();
        r.abandon(Key::A);
        assert!(!r.is_busy());
        std::thread::sleep(Duration::from_millis(20));
        assert!(r.poll(Duration::from_millis(5)).is_empty());
    }

    #[test]
    fn panic_in_worker_becomes_a_failure_not_a_crash() {
        let mut r = registry::<u8>();
        r.start(Key::A, "boom", |_| panic!("bad thing")).unwrap();
        match &drain(&mut r)[0].update {
            Update::Finished(Outcome::Failed(m)) => assert!(m.contains("bad thing")),
            other => panic!("expected failure, got {other:?}"),
        }
    }

    #[test]
    fn items_all_arrive_in_order_even_past_the_channel_capacity() {
        let mut r = registry::<usize>();
        r.start(Key::B, "items", |ctx| {
            for i in 0..(3 * CHANNEL_CAPACITY) {
                ctx.progress(None, "chatty");
                ctx.deliver(i);
            }
            Ok(usize::MAX)
        })
        .unwrap();
        let items: Vec<usize> = drain(&mut r)
            .into_iter()
            .filter_map(|e| match e.update {
                Update::Item(i) => Some(i),
                _ => None,
            })
            .collect();
        assert_eq!(items, (0..3 * CHANNEL_CAPACITY).collect::<Vec<_>>());
    }

    #[test]
    fn epochs_are_kept_per_job_and_restart_after_an_item() {
        let mut r = registry::<u8>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (end_tx, end_rx) = std::sync::mpsc::channel::<()>();
        r.start(Key::A, "curve", move |ctx| {
            for epoch in 1..=3 {
                ctx.epoch(EpochEvent {
                    epoch,
                    loss: 1.0,
                    metric: None,
                    secs: 0.0,
                });
            }
            let _ = go_rx.recv_timeout(Duration::from_secs(5));
            ctx.deliver(1);
            let _ = end_rx.recv_timeout(Duration::from_secs(5));
            Ok(0)
        })
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while r.epochs(Key::A).len() < 3 {
            assert!(Instant::now() < deadline, "epochs did not arrive");
            r.poll(Duration::from_millis(5));
        }
        assert!(r.epochs(Key::B).is_empty());
        go_tx.send(()).unwrap();
        loop {
            assert!(Instant::now() < deadline, "the item did not arrive");
            let events = r.poll(Duration::from_millis(5));
            if events.iter().any(|e| matches!(e.update, Update::Item(1))) {
                break;
            }
        }
        assert!(r.epochs(Key::A).is_empty(), "a new run starts a new curve");
        end_tx.send(()).unwrap();
        drain(&mut r);
    }

    #[test]
    fn one_budget_serves_every_job() {
        let mut r = registry::<u8>();
        r.start(Key::A, "a", |_| Ok(1)).unwrap();
        r.start(Key::B, "b", |_| Ok(2)).unwrap();
        let mut done: Vec<u8> = drain(&mut r)
            .into_iter()
            .filter_map(|e| match e.update {
                Update::Finished(Outcome::Done(v)) => Some(v),
                _ => None,
            })
            .collect();
        done.sort();
        assert_eq!(done, vec![1, 2]);
    }
}
