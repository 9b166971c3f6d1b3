//! Drives the Segments tab of the real app: RFM segments appear for the sample
//! store, a k scan runs on a worker with its curves, picking k = 4 fits four
//! clusters with a profile row each, and a cluster lists its customers.
use crate::common;

use egui_kittest::kittest::Queryable;
use shoplens::workbench::JobKind;

#[test]
fn scan_k_pick_four_and_read_the_profiles() {
    let mut harness = common::sample_app(1400.0, 1200.0);
    harness.get_by_label("Segments").click();
    common::step_until(&mut harness, "the customer table", |app| {
        app.customers_ready()
    });
    harness.get_by_label("RFM segments");
    harness.get_by_label("Champions");

    harness.get_by_label("Scan k").hover();
    harness.run_steps(1);
    harness.get_by_label("Scan k").click();
    harness.run_steps(1);
    assert!(
        harness.state().is_job_active(JobKind::Side("scan")),
        "the scan runs on a worker"
    );
    common::step_until(&mut harness, "the k scan", |app| {
        !app.is_job_active(JobKind::Side("scan"))
    });
    assert_eq!(harness.state().scanned_ks().len(), 9, "k = 2..10");
    harness.get_by_label("k scan (9 values of k)");

    let pick = harness.get_by_label_contains("k = 4");
    pick.hover();
    harness.run_steps(1);
    harness.get_by_label_contains("k = 4").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "the k-means fit", |app| {
        app.segment_fit().is_some() && !app.is_job_active(JobKind::Train(shoplens::segment::KIND))
    });
    assert_eq!(harness.state().kmeans_k(), 4);
    // One profile row per cluster (the map's legend repeats the names).
    for c in 1..=4 {
        assert!(
            harness.query_all_by_label(&format!("Cluster {c}")).count() >= 1,
            "row {c}"
        );
    }
    assert_eq!(harness.query_all_by_label("Cluster 5").count(), 0);
    assert_eq!(harness.state().segment_fit().unwrap().profiles.len(), 4);
    harness.get_by_label_contains("Clusters (k = 4");

    // A cluster lists its customers.
    harness
        .get_all_by_label("Cluster 1")
        .next()
        .unwrap()
        .click();
    harness.run_steps(2);
    harness.get_by_label_contains("Cluster 1: ");
}
