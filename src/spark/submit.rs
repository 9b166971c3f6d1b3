//! Running the job with `spark-submit` and following it: the job's
//! `SHOPLENS {json}` status lines (Spark's status tracker: stages, tasks,
//! ALS solves finished) become progress, everything else is the log —
//! written whole to `spark.log` in the work folder, its tail shown while it
//! runs. Cancel kills the application: spark-submit runs in its own process
//! group (the driver JVM and its Python), and the whole group is ended.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::environment::{SparkInstall, JAVA_HINT, SPARK_HINT};
use crate::task::{CancelToken, TaskError};

/// Log lines shown while the job runs.
pub const TAIL_LINES: usize = 6;
/// Log lines kept to explain a failure.
const KEPT_LINES: usize = 400;
/// How long a killed job may take to end before it is killed hard.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// What to run.
pub struct Submission<'a> {
    pub install: &'a SparkInstall,
    pub master: &'a str,
    /// `--driver-memory`; empty: Spark's default.
    pub driver_memory: &'a str,
    pub script: &'a Path,
    pub spec: &'a Path,
    pub log: &'a Path,
    /// ALS solves the job will run (two per iteration, and one more).
    pub expected_solves: usize,
}

/// What is known of the running job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobStatus {
    pub spark_version: Option<String>,
    pub master: Option<String>,
    pub application: Option<String>,
    pub ui: Option<String>,
    /// starting, reading, training, done.
    pub phase: String,
    /// ALS user and item solves finished.
    pub solves: usize,
    pub expected_solves: usize,
    /// The running stage: "aggregate at ALS.scala:1859, 1/2 tasks".
    pub stage: Option<String>,
    /// Seconds since the job started (its own clock).
    pub secs: f64,
    /// MLlib's fit, in seconds (when done).
    pub fit_secs: f64,
    pub done: bool,
    /// The job's own failure message, when it reported one.
    pub failed: Option<String>,
    /// The last log lines (not status lines).
    pub tail: VecDeque<String>,
}

impl JobStatus {
    /// Take one `SHOPLENS {json}` line; false when `line` is not one.
    pub fn apply(&mut self, line: &str) -> bool {
        let Some(json) = line.strip_prefix("SHOPLENS ") else {
            return false;
        };
        let Ok(v) = serde_json::from_str::<Value>(json) else {
            return false;
        };
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(s) = v.get("secs").and_then(Value::as_f64) {
            self.secs = s;
        }
        match v.get("event").and_then(Value::as_str) {
            Some("started") => {
                self.spark_version = text("spark_version");
                self.master = text("master");
                self.application = text("application");
                self.ui = text("ui");
                self.phase = "started".into();
            }
            Some("phase") => self.phase = text("name").unwrap_or_default(),
            Some("progress") => {
                if let Some(n) = v.get("solves").and_then(Value::as_u64) {
                    self.solves = self.solves.max(n as usize);
                }
                self.stage = v
                    .get("stages")
                    .and_then(Value::as_array)
                    .and_then(|s| s.first())
                    .map(|s| {
                        format!(
                            "stage {} {}, {}/{} tasks",
                            s.get("id").and_then(Value::as_u64).unwrap_or(0),
                            s.get("name").and_then(Value::as_str).unwrap_or("?"),
                            s.get("done").and_then(Value::as_u64).unwrap_or(0),
                            s.get("tasks").and_then(Value::as_u64).unwrap_or(0)
                        )
                    });
            }
            Some("done") => {
                self.done = true;
                self.phase = "done".into();
                self.stage = None;
                if let Some(n) = v.get("solves").and_then(Value::as_u64) {
                    self.solves = n as usize;
                }
                self.fit_secs = v.get("fit_secs").and_then(Value::as_f64).unwrap_or(0.0);
            }
            Some("failed") => self.failed = text("message"),
            _ => return false,
        }
        true
    }

    /// How far the job is, 0–1: start-up and reading a fifth, the ALS
    /// solves the rest.
    pub fn fraction(&self) -> f32 {
        if self.done {
            return 1.0;
        }
        match self.phase.as_str() {
            "" => 0.0,
            "started" => 0.08,
            "reading" => 0.12,
            // A raw file read by the job: numbering and splitting it.
            "splitting" => 0.15,
            "indexed" => 0.2,
            _ => {
                let solves = self.solves as f32 / self.expected_solves.max(1) as f32;
                0.2 + 0.8 * solves.min(1.0) * 0.97
            }
        }
    }

    /// One line for the progress bar.
    pub fn headline(&self, found_by: &str, waited: Duration) -> String {
        let Some(version) = &self.spark_version else {
            return format!(
                "starting Spark (spark-submit from {found_by}), {:.0} s",
                waited.as_secs_f64()
            );
        };
        let on = self.master.as_deref().unwrap_or("?");
        let mut s = format!("Spark {version} on {on}: {}", self.phase);
        if self.phase == "training" {
            s.push_str(&format!(
                ", ALS solve {} of {}",
                self.solves.min(self.expected_solves),
                self.expected_solves
            ));
        }
        if let Some(stage) = &self.stage {
            s.push_str(&format!(" · {stage}"));
        }
        s.push_str(&format!(" · {:.0} s", waited.as_secs_f64()));
        s
    }

    /// The headline, then the log tail, one line each (what the tab shows).
    pub fn message(&self, found_by: &str, waited: Duration) -> String {
        let mut s = self.headline(found_by, waited);
        for line in &self.tail {
            s.push('\n');
            s.push_str(line);
        }
        s
    }

    fn push_log(&mut self, line: &str) {
        let line = line.trim_end();
        if line.trim().is_empty() {
            return;
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.chars().take(240).collect());
    }
}

/// Run the job to its end; the status it ended with, or why it failed.
pub fn run(
    sub: &Submission,
    cancel: &CancelToken,
    on_status: &dyn Fn(&JobStatus, Duration),
) -> Result<JobStatus, TaskError> {
    let mut log = std::fs::File::create(sub.log)
        .map(std::io::BufWriter::new)
        .map_err(|e| {
            TaskError::Input(format!("{}: cannot write the log ({e})", sub.log.display()))
        })?;
    let mut command = Command::new(&sub.install.spark_submit);
    command
        .args(["--master", sub.master.trim()])
        .args(["--name", "shoplens ALS"])
        .args(["--conf", "spark.ui.showConsoleProgress=false"]);
    if !sub.driver_memory.trim().is_empty() {
        command.args(["--driver-memory", sub.driver_memory.trim()]);
    }
    command
        .arg(sub.script)
        .arg(sub.spec)
        .envs(sub.install.env())
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|e| {
        TaskError::Input(format!(
            "cannot start {} ({e}): {SPARK_HINT}",
            sub.install.spark_submit.display()
        ))
    })?;
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    let readers = [
        child.stdout.take().map(|s| read_lines(s, true, tx.clone())),
        child
            .stderr
            .take()
            .map(|s| read_lines(s, false, tx.clone())),
    ];
    drop(tx);
    let started = Instant::now();
    let mut status = JobStatus {
        expected_solves: sub.expected_solves,
        ..Default::default()
    };
    let mut kept: VecDeque<String> = VecDeque::new();
    let mut last_report = Instant::now() - Duration::from_secs(1);
    let mut take = |status: &mut JobStatus, from_stdout: bool, line: String| {
        let _ = writeln!(log, "{line}");
        if !(from_stdout && status.apply(&line)) {
            status.push_log(&line);
            if kept.len() == KEPT_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    };
    let exit = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok((from_stdout, line)) => take(&mut status, from_stdout, line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Both pipes closed: the job is ending.
                break wait(&mut child);
            }
        }
        if cancel.is_cancelled() {
            kill_group(&mut child);
            return Err(TaskError::Cancelled);
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            on_status(&status, started.elapsed());
            last_report = Instant::now();
        }
        if let Ok(Some(code)) = child.try_wait() {
            // Whatever is still in the pipes, for a moment.
            let until = Instant::now() + Duration::from_secs(2);
            while let Ok((from_stdout, line)) =
                rx.recv_timeout(until.saturating_duration_since(Instant::now()))
            {
                take(&mut status, from_stdout, line);
            }
            break Some(code);
        }
    };
    // Anything the job left behind in its group (daemons, a stuck JVM).
    end_group(&child);
    for r in readers.into_iter().flatten() {
        let _ = r.join();
    }
    on_status(&status, started.elapsed());
    let succeeded = exit.is_some_and(|c| c.success());
    if succeeded && status.done {
        return Ok(status);
    }
    Err(TaskError::Input(explain_failure(
        exit.and_then(|c| c.code()),
        &status,
        kept.make_contiguous(),
        sub.log,
    )))
}

fn read_lines(
    stream: impl std::io::Read + Send + 'static,
    stdout: bool,
    tx: mpsc::Sender<(bool, String)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
            buf.clear();
            if tx.send((stdout, line)).is_err() {
                return;
            }
        }
    })
}

fn wait(child: &mut Child) -> Option<std::process::ExitStatus> {
    child.wait().ok()
}

/// End spark-submit's process group: TERM, then KILL after the grace.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let group = child.id() as i32;
        // SAFETY: kill(2) with a negative pid signals that process group;
        // it has no memory effects.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let until = Instant::now() + KILL_GRACE;
        while Instant::now() < until {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // SAFETY: as above.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        // kill(2) returns before the signal is acted on, so a JVM or Python
        // child may still be running for a moment; report the run as ended
        // only once the group is empty (or, bounded, its members are dying).
        wait_for_empty_group(group, Duration::from_secs(2));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Poll until no process is left in `group` or `limit` has passed. Children
/// reparented to init may linger as zombies, which still count; hence the
/// bound.
#[cfg(unix)]
fn wait_for_empty_group(group: i32, limit: Duration) {
    let until = Instant::now() + limit;
    // SAFETY: signal 0 only checks that the group exists; nothing is sent.
    while unsafe { libc::kill(-group, 0) } == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn end_group(child: &Child) {
    #[cfg(unix)]
    // SAFETY: kill(2) on our own child's process group; no memory effects.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// What went wrong, what to do about it, and where the whole log is.
pub fn explain_failure(
    code: Option<i32>,
    status: &JobStatus,
    lines: &[String],
    log: &Path,
) -> String {
    let has = |needle: &str| {
        lines.iter().any(|l| l.contains(needle))
            || status.failed.as_deref().is_some_and(|f| f.contains(needle))
    };
    let why = if has("No module named 'numpy'") {
        "the Python that runs the job lacks numpy, which MLlib needs: pip install numpy (into the same Python as pyspark)".to_owned()
    } else if has("No module named 'pyspark'") {
        format!("the Python that runs the job cannot import pyspark: {SPARK_HINT}")
    } else if has("UnsupportedClassVersionError") || has("class file version") {
        format!("this Spark needs a newer Java than the one found: {JAVA_HINT}")
    } else if has("JAVA_HOME is not set") || has("java: not found") {
        format!("spark-submit did not find Java: {JAVA_HINT}")
    } else if has("All masters are unresponsive") || has("Failed to connect to master") {
        "the Spark master did not answer: check that the cluster is up and the spark:// address is right, or use local[2]".to_owned()
    } else if has("HADOOP_CONF_DIR or YARN_CONF_DIR") {
        "master yarn needs HADOOP_CONF_DIR (or YARN_CONF_DIR) set to the cluster's configuration folder".to_owned()
    } else if has("OutOfMemoryError") || has("Java heap space") {
        "Spark ran out of memory: raise the driver memory (the advanced parameter driver_memory, e.g. 8g) or use a cluster".to_owned()
    } else if has("No space left on device") {
        "Spark ran out of disk for its scratch files (shuffles and spills, under SPARK_LOCAL_DIRS, else /tmp): free space there, or set SPARK_LOCAL_DIRS to a bigger disk; more data or more iterations need more".to_owned()
    } else if has("Path does not exist") || has("FileNotFoundException") {
        "Spark could not read the hand-off: on a cluster the work folder must be one every node can read (a shared mount at the same path)".to_owned()
    } else if let Some(message) = &status.failed {
        format!("the job reported: {message}")
    } else {
        let last = lines
            .iter()
            .rev()
            .find(|l| l.contains("Error") || l.contains("Exception") || l.contains("ERROR"))
            .or_else(|| lines.last())
            .map_or("no output", String::as_str);
        format!("its last words: {}", last.trim())
    };
    let ended = match code {
        Some(c) => format!("exit code {c}"),
        None => "killed".to_owned(),
    };
    format!(
        "the Spark job failed ({ended}): {why}. The whole log is {}",
        log.display()
    )
}

/// Where the log of a job in `dir` goes.
pub fn log_path(dir: &Path) -> PathBuf {
    dir.join("spark.log")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_become_phases_solves_and_stages() {
        let mut s = JobStatus {
            expected_solves: 21,
            ..Default::default()
        };
        assert!(!s.apply("26/12/02 INFO SparkContext: Running Spark"));
        assert!(s.apply(r#"SHOPLENS {"spark_version": "4.0.1", "master": "local[2]", "application": "local-1", "secs": 7.6, "event": "started"}"#));
        assert_eq!(s.spark_version.as_deref(), Some("4.0.1"));
        assert!(s.apply(r#"SHOPLENS {"name": "training", "secs": 14.0, "event": "phase"}"#));
        assert!(s.apply(r#"SHOPLENS {"stages": [{"id": 23, "name": "aggregate at ALS.scala:1859", "tasks": 2, "done": 1}], "solves": 7, "secs": 25.9, "event": "progress"}"#));
        assert_eq!(s.solves, 7);
        let headline = s.headline("PATH", Duration::from_secs(26));
        assert!(headline.contains("ALS solve 7 of 21"), "{headline}");
        assert!(
            headline.contains("aggregate at ALS.scala:1859, 1/2 tasks"),
            "{headline}"
        );
        let f = s.fraction();
        assert!(f > 0.2 && f < 0.5, "{f}");
        assert!(s.apply(
            r#"SHOPLENS {"rank": 8, "solves": 21, "fit_secs": 23.6, "secs": 37.7, "event": "done"}"#
        ));
        assert!(s.done);
        assert_eq!(s.fraction(), 1.0);
        assert_eq!(s.fit_secs, 23.6);
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        let mut s = JobStatus::default();
        for i in 0..10 {
            s.push_log(&format!("line {i}"));
        }
        s.push_log("   ");
        assert_eq!(s.tail.len(), TAIL_LINES);
        assert_eq!(s.tail.back().map(String::as_str), Some("line 9"));
        assert!(s.message("PATH", Duration::ZERO).ends_with("line 9"));
    }

    #[test]
    fn failures_name_the_fix() {
        let log = Path::new("/tmp/w/spark.log");
        let numpy = explain_failure(
            Some(1),
            &JobStatus::default(),
            &["ModuleNotFoundError: No module named 'numpy'".into()],
            log,
        );
        assert!(numpy.contains("pip install numpy"), "{numpy}");
        assert!(numpy.contains("/tmp/w/spark.log"), "{numpy}");
        let oom = explain_failure(
            Some(1),
            &JobStatus::default(),
            &["java.lang.OutOfMemoryError: Java heap space".into()],
            log,
        );
        assert!(oom.contains("driver memory"), "{oom}");
        let disk = explain_failure(
            Some(1),
            &JobStatus {
                failed: Some("Py4JJavaError: An error occurred while calling o84998.fit.".into()),
                ..Default::default()
            },
            &["java.io.IOException: No space left on device".into()],
            log,
        );
        assert!(disk.contains("SPARK_LOCAL_DIRS"), "{disk}");
        let own = explain_failure(
            Some(1),
            &JobStatus {
                failed: Some("IllegalArgumentException: rank must be positive".into()),
                ..Default::default()
            },
            &[],
            log,
        );
        assert!(own.contains("rank must be positive"), "{own}");
        let last = explain_failure(Some(3), &JobStatus::default(), &["boom".into()], log);
        assert!(
            last.contains("exit code 3") && last.contains("boom"),
            "{last}"
        );
    }
}
