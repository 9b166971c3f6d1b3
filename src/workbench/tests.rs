//! The workbench driven headless, as the UI drives it: commands in, events
//! out, on the sample store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::recsys::params::{AlsParams, ModelParams, TrainOptions};
use crate::recsys::split::Split;
use crate::recsys::task::RecommendRequest;
use crate::runs::RunStatus;

fn bench() -> Workbench {
    Workbench::new(Settings::default(), Arc::new(|| {}))
}

/// Poll until the workbench is idle; every event seen.
fn settle(bench: &mut Workbench) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut events = Vec::new();
    loop {
        events.extend(bench.poll(Duration::from_millis(5)));
        if !bench.is_busy() {
            events.extend(bench.poll(Duration::from_millis(5)));
            return events;
        }
        assert!(Instant::now() < deadline, "the workbench did not settle");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn loaded() -> Workbench {
    let mut b = bench();
    b.apply(Command::OpenFile(sample_store_path()));
    let events = settle(&mut b);
    assert!(events.iter().any(|e| matches!(e, Event::DataLoaded)));
    b
}

fn als_request(b: &Workbench, iterations: usize) -> RunRequest {
    RunRequest::new(RecommendRequest {
        dataset: Arc::clone(b.dataset().expect("data")),
        matrix: Default::default(),
        split: Split::LeaveLastOut,
        params: ModelParams::Als(AlsParams {
            iterations,
            ..Default::default()
        }),
        options: TrainOptions {
            validate_every: 1,
            ..Default::default()
        },
    })
}

#[test]
fn a_cancelled_training_is_recorded_with_its_partial_curve() {
    let mut b = loaded();
    b.apply(Command::Run(als_request(&b, 10_000)));
    let job = JobKind::Train(crate::recsys::KIND);
    let deadline = Instant::now() + Duration::from_secs(60);
    while b.jobs().epochs(job).len() < 2 {
        assert!(Instant::now() < deadline, "no epochs arrived");
        b.poll(Duration::from_millis(5));
        std::thread::sleep(Duration::from_millis(2));
    }
    b.apply(Command::Cancel(job));
    assert!(b.jobs().is_cancelling(job), "kept until the worker reports");
    let events = settle(&mut b);
    let Some(id) = events.iter().find_map(|e| match e {
        Event::RunRecorded {
            id, current: true, ..
        } => Some(*id),
        _ => None,
    }) else {
        panic!("no run recorded");
    };
    let record = &b.runs().get(id).expect("in the history").record;
    assert_eq!(record.status, RunStatus::Cancelled);
    assert!(
        record.curve.len() >= 2,
        "partial curve: {}",
        record.curve.len()
    );
    assert!(record.curve.len() < 10_000);
    assert!(b.has_unsaved_runs());
}

#[test]
fn a_newer_load_wins_and_a_bad_file_keeps_the_data() {
    let mut b = bench();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.csv");
    std::fs::write(&small, "user_id,item_id\n1,2\n2,3\n").unwrap();
    b.apply(Command::OpenFile(sample_store_path()));
    b.apply(Command::OpenFile(small.clone()));
    settle(&mut b);
    assert_eq!(
        b.dataset().unwrap().path,
        small,
        "the stale load was dropped"
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "user_id,item_id\n1,2\n3\n").unwrap();
    b.apply(Command::OpenFile(bad));
    let events = settle(&mut b);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Error(m) if m.contains("line 3"))));
    assert_eq!(b.dataset().unwrap().path, small, "the data stays");
}

#[test]
fn a_kmeans_sweep_records_one_run_per_k() {
    let mut b = loaded();
    let cancel = crate::task::CancelToken::new();
    let customers = Arc::new(
        crate::segment::task::Customers::build(
            Arc::clone(b.dataset().unwrap()),
            &crate::task::Reporter::silent(&cancel),
        )
        .unwrap(),
    );
    let base = crate::segment::task::KMeansRequest {
        customers,
        features: crate::segment::features::Feature::RFM.to_vec(),
        params: Default::default(),
    };
    let settings = [3, 4]
        .iter()
        .map(|&k| crate::segment::clusters::KMeansParams {
            k,
            ..Default::default()
        })
        .collect();
    b.apply(Command::Sweep(crate::runs::SweepPlan::new(base, settings)));
    let events = settle(&mut b);
    let runs: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::RunRecorded {
                id,
                job: JobKind::Sweep,
                ..
            } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(runs.len(), 2);
    for id in runs {
        let r = &b.runs().get(id).unwrap().record;
        assert!(r.metrics.contains_key("silhouette") && r.metrics.contains_key("inertia"));
        assert_eq!(r.sweep, Some(1));
    }
    assert!(events.iter().any(
        |e| matches!(e, Event::Message { job: JobKind::Sweep, text } if text == "Sweep finished: 2 runs")
    ));
}

#[test]
fn workspace_save_new_and_open_bring_the_runs_back() {
    let mut b = loaded();
    b.apply(Command::Run(als_request(&b, 3)));
    settle(&mut b);
    assert_eq!(b.runs().len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.shoplens");
    b.apply(Command::SaveWorkspace(path.clone()));
    settle(&mut b);
    assert!(!b.has_unsaved_runs());
    assert_eq!(b.workspace().path.as_ref(), Some(&path));
    let salt = b.workspace().salt.clone();
    b.apply(Command::NewWorkspace);
    assert!(b.runs().is_empty());
    assert_ne!(b.workspace().salt, salt, "a new workspace gets a new salt");
    b.apply(Command::OpenWorkspace {
        path,
        load_data: false,
    });
    let events = settle(&mut b);
    assert!(events.iter().any(|e| matches!(e, Event::HistoryReplaced)));
    assert_eq!(b.runs().len(), 1);
    assert!(b.runs().entries[0].model.is_some());
    assert_eq!(
        b.workspace().salt,
        salt,
        "the salt comes back with the workspace"
    );
}
