//! ALS on Spark end to end on MovieLens-100K: shoplens writes the hand-off,
//! `spark-submit --master local[2]` trains MLlib's implicit ALS, the
//! factors come back and shoplens' evaluator judges them on shoplens'
//! split. Needs Java and Spark (`pip install pyspark numpy`, or
//! SPARK_HOME); without them the test says so and skips, unless
//! `SHOPLENS_REQUIRE_SPARK=1` (set by `.ci/run` where Java is present).

use crate::common;

use std::sync::{Arc, Mutex};

use shoplens::recsys::params::{ModelParams, SparkAlsParams, TrainOptions};
use shoplens::recsys::split::Split;
use shoplens::recsys::task::RecommendRequest;
use shoplens::runs::run;
use shoplens::runs::{RunHistory, RunStatus};
use shoplens::spark::environment::{locate, Environment};
use shoplens::task::{CancelToken, EpochEvent, Reporter};

/// Whether Spark can run here; skips with the reason (or fails when CI
/// requires Spark).
fn spark_ready() -> bool {
    match locate("", &Environment::from_process()) {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var_os("SHOPLENS_REQUIRE_SPARK").is_none(),
                "SHOPLENS_REQUIRE_SPARK is set but Spark cannot run: {e}"
            );
            eprintln!("SKIPPED: ALS on Spark end to end: {e}");
            false
        }
    }
}

/// A recommender request whose model is ALS on Spark.
fn request(data: Arc<shoplens::data::Dataset>, work_dir: &std::path::Path) -> RecommendRequest {
    RecommendRequest {
        dataset: data,
        matrix: Default::default(),
        split: Split::LeaveLastOut,
        params: ModelParams::SparkAls(SparkAlsParams {
            factors: 16,
            iterations: 5,
            blocks: 2,
            master: "local[2]".into(),
            work_dir: work_dir.display().to_string(),
            driver_memory: "1g".into(),
            ..Default::default()
        }),
        options: TrainOptions {
            seed: 42,
            k: 10,
            validate_every: 0,
            ..Default::default()
        },
    }
}

#[test]
fn als_on_spark_trains_movielens_and_comes_back_as_a_run_like_the_others() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    if !spark_ready() {
        return;
    }
    let loaded = common::load(&shared.join("movielens-100k/u.data")).expect("MovieLens loads");
    let dataset = loaded.dataset;
    let work = tempfile::tempdir().expect("a temporary folder");
    let req = request(Arc::clone(&dataset), work.path());

    let messages = Mutex::new(Vec::<(Option<f32>, String)>::new());
    let progress = |f: Option<f32>, m: &str| {
        if let Ok(mut list) = messages.lock() {
            list.push((f, m.to_owned()));
        }
    };
    let epoch = |_: EpochEvent| {};
    let cancel = CancelToken::new();
    let outcome = run(&req, &Reporter::new(&cancel, &progress, &epoch));
    assert_eq!(
        outcome.record.status,
        RunStatus::Done,
        "{:?}",
        outcome.failure()
    );
    let Some(t) = outcome
        .model
        .as_ref()
        .and_then(|m| m.get::<shoplens::recsys::Trained>())
    else {
        panic!("no model");
    };

    // Recorded like any recommender run, with the engine that trained it.
    assert_eq!(outcome.record.model, "spark-als");
    let engine = outcome
        .record
        .engine
        .clone()
        .expect("the engine is recorded");
    assert_eq!(engine.engine, "spark");
    assert_eq!(engine.master, "local[2]");
    assert!(!engine.version.is_empty() && !engine.application.is_empty());
    assert!(engine.wall_secs > engine.fit_secs && engine.fit_secs > 0.0);
    assert_eq!(outcome.record.params["master"], "local[2]");

    // The hand-off and the job's outputs stay in the work folder given.
    let run_dir = std::path::PathBuf::from(&engine.work_dir);
    assert!(run_dir.starts_with(work.path()));
    for part in ["job.json", "users.parquet", "items.parquet", "spark.log"] {
        assert!(run_dir.join(part).is_file(), "{part} is missing");
    }
    assert!(
        run_dir.join("train/day=1997-09-20").is_dir(),
        "day partitions"
    );
    assert!(run_dir.join("user_factors").is_dir() && run_dir.join("item_factors").is_dir());

    // Progress came from Spark's status: ALS solves counted, with a log tail.
    let messages = messages.into_inner().unwrap_or_default();
    assert!(
        messages.iter().any(|(_, m)| m.contains("ALS solve")),
        "no solve count in {:?}",
        messages.iter().map(|(_, m)| m).collect::<Vec<_>>()
    );
    assert!(
        messages.iter().any(|(_, m)| m.lines().count() > 1),
        "no log tail"
    );

    // The factors mean something: better than the bestsellers on the same split.
    let popular = run(
        &RecommendRequest {
            params: ModelParams::Popular,
            ..req.clone()
        },
        &Reporter::silent(&cancel),
    );
    let hr = |r: &shoplens::runs::RunRecord| r.metrics["hr@10"];
    assert!(
        hr(&outcome.record) > hr(&popular.record),
        "Spark ALS hr@10 {} vs popular {}",
        hr(&outcome.record),
        hr(&popular.record)
    );
    assert_eq!(t.metrics.users_evaluated, 943);

    // Reasons under MLlib's convention: customers are solved last, so a
    // score is exactly the sum of its history items' contributions
    // (confidence 1 + alpha·r, penalty regParam × the customer's items).
    for user in [0u32, 41, 500] {
        let row = t.train.row(user as usize);
        let recs = t.recommend(user, 3, 3);
        assert_eq!(recs.len(), 3);
        for rec in &recs {
            assert!(!rec.because.is_empty(), "a reason for every item");
            let all = t.model.explain(user, row, rec.item, usize::MAX);
            let total: f32 = all.iter().map(|(_, c)| c).sum();
            assert!(
                (total - rec.score).abs() <= 1e-3 * rec.score.abs().max(1.0),
                "user {user} item {}: contributions sum to {total}, score {}",
                rec.item,
                rec.score
            );
        }
    }

    // Saved in a workspace and opened again: the engine and the lists stay.
    let mut history = RunHistory::default();
    history.push(outcome.record.clone(), outcome.model.clone());
    let restored = common::through_workspace(&history);
    let entry = &restored.entries[0];
    assert_eq!(entry.record.engine.as_ref(), Some(&engine));
    let Some(back) = entry
        .model
        .as_ref()
        .and_then(|m| m.get::<shoplens::recsys::Trained>())
    else {
        panic!("the model did not come back");
    };
    assert_eq!(back.recommend(41, 10, 0), t.recommend(41, 10, 0));
    assert_eq!(back.engine.as_ref(), Some(&engine));
}

#[test]
fn a_spark_submit_that_fails_gives_a_failed_run_with_the_reason_and_the_log() {
    let Some(java) = Environment::from_process().on_path("java") else {
        eprintln!("SKIPPED: no java on the PATH, so the failing-job check did not run");
        return;
    };
    let _ = java;
    let dir = tempfile::tempdir().expect("a temporary folder");
    // A stand-in spark-submit that fails as a job without numpy does.
    let fake = dir.path().join("spark-submit");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'numpy'\" >&2\nexit 1\n",
    )
    .expect("write the stand-in");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let loaded = common::load(&common::sample_events()).expect("the sample store loads");
    let mut req = request(loaded.dataset, dir.path());
    if let ModelParams::SparkAls(p) = &mut req.params {
        p.spark_submit = fake.display().to_string();
    }
    let outcome = run(&req, &Reporter::silent(&CancelToken::new()));
    let message = outcome.failure().expect("the run failed").to_owned();
    assert!(message.contains("pip install numpy"), "{message}");
    assert!(message.contains("spark.log"), "{message}");
    assert!(matches!(outcome.record.status, RunStatus::Failed(_)));
    assert!(outcome.model.is_none());
}

#[test]
fn cancel_ends_the_spark_application() {
    let Some(_) = Environment::from_process().on_path("java") else {
        eprintln!("SKIPPED: no java on the PATH, so the cancel check did not run");
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    // A stand-in that would run for a minute, and a child of its own, as
    // spark-submit's JVM and Python are; cancel must end both.
    let pid_file = dir.path().join("child.pid");
    let fake = dir.path().join("spark-submit");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nsleep 60 &\necho $! > {}\necho started >&2\nwait\n",
            pid_file.display()
        ),
    )
    .expect("write the stand-in");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let loaded = common::load(&common::sample_events()).expect("the sample store loads");
    let mut req = request(loaded.dataset, dir.path());
    if let ModelParams::SparkAls(p) = &mut req.params {
        p.spark_submit = fake.display().to_string();
    }
    let cancel = CancelToken::new();
    let started = std::time::Instant::now();
    let outcome = std::thread::scope(|s| {
        let worker = s.spawn(|| run(&req, &Reporter::silent(&cancel)));
        while !pid_file.exists() && started.elapsed().as_secs() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        cancel.cancel();
        worker.join().expect("the worker ends")
    });
    assert_eq!(outcome.record.status, RunStatus::Cancelled);
    assert!(
        started.elapsed().as_secs() < 30,
        "cancel took {:?}",
        started.elapsed()
    );
    let child: i32 = std::fs::read_to_string(&pid_file)
        .expect("the stand-in started its child")
        .trim()
        .parse()
        .expect("a pid");
    // The child is gone (or a zombie about to be reaped by init). A SIGKILL
    // takes effect when the process is next scheduled, so allow it a moment.
    let alive = |state: &str| {
        state
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    };
    let stat = || std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
    let waited = std::time::Instant::now();
    let mut state = stat();
    while alive(&state) && waited.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        state = stat();
    }
    assert!(
        !alive(&state),
        "the job's child {child} still runs: {state}"
    );
}

/// ALS on Spark from `file` as a file too big to open would be run (500 of
/// its customers to evaluate, drawn with seed 42), and its result.
fn run_from_file(
    file: &std::path::Path,
    load: shoplens::data::LoadOptions,
    data: &Arc<shoplens::data::Dataset>,
    work_dir: &std::path::Path,
) -> (
    shoplens::runs::RunOutcome,
    Arc<shoplens::recsys::models::spark_als::SparkFileRun>,
) {
    use shoplens::recsys::models::spark_als::{SparkFileRequest, SparkFileRun};
    let ModelParams::SparkAls(params) = request(Arc::clone(data), work_dir).params else {
        unreachable!()
    };
    let request = SparkFileRequest {
        file: file.to_path_buf(),
        load,
        weights: Default::default(),
        params,
        options: TrainOptions {
            seed: 42,
            k: 10,
            eval_users: 500,
            ..Default::default()
        },
    };
    let cancel = CancelToken::new();
    let outcome = run(&request, &Reporter::silent(&cancel));
    assert_eq!(
        outcome.record.status,
        RunStatus::Done,
        "{:?}",
        outcome.failure()
    );
    let Some(result) = outcome.model::<SparkFileRun>() else {
        panic!("no result");
    };
    (outcome, result)
}

/// A file too big to open here is read by Spark itself: the job's own
/// reading, numbering and leave-last-out split of the REES46 sample must
/// count what shoplens' loader and split count, and its factors are ranked
/// by shoplens' evaluator for a stated sample of customers.
#[test]
fn spark_reads_a_raw_file_itself_and_counts_what_shoplens_counts() {
    use shoplens::recsys::matrix::{Interactions, MatrixOptions};

    if !spark_ready() {
        return;
    }
    // The sample damaged the way real exports are, four lines of it
    // skipped: Spark must leave out the lines shoplens' loader leaves out.
    let damaged = tempfile::tempdir().expect("a temporary folder");
    let Some((file, rows)) = super::bad_input::damaged_rees46(&damaged) else {
        return;
    };
    let load = shoplens::data::LoadOptions {
        skip_bad_lines: true,
        ..Default::default()
    };
    let loaded = shoplens::data::load_and_profile(&file, &load, &CancelToken::new(), &|_, _| {})
        .expect("the damaged REES46 sample loads without its broken lines");
    let here = Interactions::from_dataset(&loaded.dataset, &MatrixOptions::default())
        .expect("interactions");
    let split = shoplens::recsys::split::split(&here, &Split::LeaveLastOut).expect("a split");
    let work = tempfile::tempdir().expect("a temporary folder");
    let (outcome, result) = run_from_file(&file, load, &loaded.dataset, work.path());
    let s = &result.summary;
    assert_eq!(s.records, rows - 4);
    assert_eq!(
        outcome.record.data.skipped_lines.first,
        loaded.profile.skipped_lines.first
    );
    assert!(
        !outcome
            .record
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("Spark kept"),
        "{:?}",
        outcome.record.note
    );
    assert_eq!(
        (s.users, s.items, s.events),
        (here.n_users(), here.n_items(), here.len())
    );
    assert_eq!(s.relevant_users, split.users_evaluated());
    assert!(s.relevant_users > 500, "{}", s.relevant_users);
    assert_eq!(s.evaluated_users, 500);
    assert_eq!(result.metrics.users_evaluated, 500);
    assert_eq!(result.metrics.users_sampled_from, Some(s.relevant_users));
    let hr = outcome.record.metrics["hr@10"];
    assert!(hr > 0.0 && hr < 1.0, "hr@10 {hr}");
    assert_eq!(outcome.record.model, "spark-als");
    assert!(outcome.record.data.file == file && !outcome.record.data.hash.is_empty());
    for part in ["users", "items", "user_factors", "item_factors", "eval"] {
        assert!(result.work_dir.join(part).is_dir(), "{part} is missing");
    }
    assert!(result.work_dir.starts_with(work.path()));
}

/// An order export shipped gzipped, read by Spark itself: shoplens checks
/// its lines as it decompresses them, and Spark cleans the order lines as a
/// load cleans them (no customer, a quantity or price not above 0, a
/// cancelled invoice), so it trains on the events shoplens trains on and
/// evaluates the customers shoplens' split evaluates.
#[test]
fn spark_cleans_a_gzipped_order_export_as_a_load_does() {
    use shoplens::recsys::matrix::{Interactions, MatrixOptions};

    if !spark_ready() {
        return;
    }
    let Some(data) = common::shared_data() else {
        return;
    };
    // Its invoice times as the UCI original shows them (`12/1/2010 8:26`):
    // Spark must read them as shoplens does, or it holds out other events.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("OnlineRetail-us-times.csv.gz");
    write_with_us_times(&data.join("uci-online-retail/OnlineRetail.csv.gz"), &file);
    let load = shoplens::data::LoadOptions::default();
    let loaded = shoplens::data::load_and_profile(&file, &load, &CancelToken::new(), &|_, _| {})
        .expect("Online Retail loads");
    let cleaning = loaded
        .profile
        .cleaning
        .clone()
        .expect("cleaned as order lines");
    assert!(cleaning.cancelled_invoice > 0 && cleaning.dropped() > 0);
    let here = Interactions::from_dataset(&loaded.dataset, &MatrixOptions::default())
        .expect("interactions");
    let split = shoplens::recsys::split::split(&here, &Split::LeaveLastOut).expect("a split");
    let distinct = |ids: &[u32]| ids.iter().collect::<std::collections::BTreeSet<_>>().len();
    let work = tempfile::tempdir().expect("a temporary folder");
    let (outcome, result) = run_from_file(&file, load, &loaded.dataset, work.path());
    let s = &result.summary;
    assert_eq!(s.records as u64, cleaning.rows_before);
    assert_eq!(s.events, here.len());
    assert_eq!(
        (s.users, s.items),
        (distinct(&here.users), distinct(&here.items))
    );
    assert_eq!(s.relevant_users, split.users_evaluated());
    assert_eq!(result.metrics.users_evaluated, 500);
    let note = outcome.record.note.as_deref().unwrap_or_default();
    assert!(
        note.contains("order lines cleaned") && !note.contains("Spark kept"),
        "{note}"
    );
}

/// `from` (gzip CSV with `YYYY-MM-DD HH:MM:00` times) written to `to`, gzip,
/// with each time as `M/D/YYYY H:MM`.
fn write_with_us_times(from: &std::path::Path, to: &std::path::Path) {
    use std::io::{BufRead, Write};
    let input = std::fs::File::open(from).expect("open Online Retail");
    let lines = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(input)).lines();
    let output = std::fs::File::create(to).expect("create the copy");
    let mut out =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(output), flate2::Compression::fast());
    let mut changed = 0;
    for line in lines {
        let line = line.expect("a line of Online Retail");
        let us = us_time(&line);
        changed += usize::from(us.is_some());
        writeln!(out, "{}", us.unwrap_or(line)).expect("write the copy");
    }
    out.finish().expect("finish the copy");
    assert!(changed > 500_000, "{changed} times rewritten");
}

/// `line` with its first `,YYYY-MM-DD HH:MM:00,` field as `,M/D/YYYY H:MM,`.
fn us_time(line: &str) -> Option<String> {
    let b = line.as_bytes();
    let shape = b",dddd-dd-dd dd:dd:00,";
    let at = (0..b.len().checked_sub(shape.len())? + 1).find(|&i| {
        shape.iter().zip(&b[i..]).all(|(&s, &c)| {
            if s == b'd' {
                c.is_ascii_digit()
            } else {
                s == c
            }
        })
    })?;
    let field = &line[at + 1..at + shape.len() - 1];
    let number = |r: std::ops::Range<usize>| field[r].parse::<u32>().ok();
    let (y, m, d) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (h, min) = (number(11..13)?, &field[14..16]);
    Some(format!(
        "{},{m}/{d}/{y} {h}:{min},{}",
        &line[..at],
        &line[at + shape.len()..]
    ))
}
