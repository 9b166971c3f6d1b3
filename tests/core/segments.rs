//! Customer segments on real orders against scikit-learn's k-means
//! (benches/segment_reference.py), RFM, engagement, the CLI, and bad input.

use crate::common;

use std::path::Path;
use std::process::Command;

use shoplens::data::{load_dataset, LoadOptions};
use shoplens::params::Hyperparams;
use shoplens::segment::clusters::{fit_kmeans, profiles, scale, scan_k, KMeansParams};
use shoplens::segment::engagement::engagement;
use shoplens::segment::features::{customer_table, CustomerTable, Feature};
use shoplens::segment::rfm::{rfm, SEGMENTS};
use shoplens::task::CancelToken;

fn table_of(path: &Path) -> Result<CustomerTable, String> {
    let ds = load_dataset(
        path,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .map_err(|e| e.to_string())?;
    customer_table(&ds, None, None).map_err(|e| e.to_string())
}

/// scikit-learn 1.9 KMeans(n_clusters=4, n_init=10) on log1p + StandardScaler
/// R, F, M of the cleaned UCI Online Retail, best of seeds 0–2
/// (`python3 benches/segment_reference.py ../shared/data 3`): inertia and the
/// clusters' sizes and mean R / F / M, largest first.
const SKLEARN_INERTIA: f64 = 3938.0776;
const SKLEARN_PROFILES: [(usize, f64, f64, f64); 4] = [
    (1589, 185.01, 1.320, 347.61),
    (1178, 69.93, 4.110, 1802.04),
    (850, 19.31, 2.064, 531.81),
    (721, 12.00, 13.645, 8022.48),
];

#[test]
fn online_retail_kmeans_matches_scikit_learn() {
    let Some(shared) = common::shared_data() else {
        return;
    };
    let table = table_of(&shared.join("uci-online-retail/OnlineRetail.csv.gz")).unwrap();
    // The foundation's cleaning keeps 4,338 customers.
    assert_eq!(table.len(), 4_338);
    let f = table.get(Feature::Frequency).unwrap();
    let m = table.get(Feature::Monetary).unwrap();
    let r = table.get(Feature::Recency).unwrap();
    assert!(f.iter().all(|&x| x >= 1.0) && r.iter().all(|&x| x >= 0.0));
    let revenue: f64 = m.iter().sum();
    assert!(
        (revenue - 8_911_407.9).abs() < 1.0,
        "cleaned revenue {revenue}"
    );

    let params = KMeansParams::default().checked().unwrap();
    assert_eq!((params.k, params.n_init), (4, 10));
    let scaled = scale(&table, &Feature::RFM, &params).unwrap();
    let c = fit_kmeans(&scaled, &params, &CancelToken::new()).unwrap();
    let diff = (c.inertia - SKLEARN_INERTIA) / SKLEARN_INERTIA;
    assert!(
        diff.abs() < 0.005,
        "inertia {} vs {SKLEARN_INERTIA}",
        c.inertia
    );
    let mut p = profiles(&table, &scaled, &c);
    p.sort_by_key(|x| std::cmp::Reverse(x.size));
    for (ours, theirs) in p.iter().zip(SKLEARN_PROFILES) {
        let close = |a: f64, b: f64| (a - b).abs() <= 0.05 * b.abs();
        assert!(
            ours.size.abs_diff(theirs.0) <= 45,
            "sizes {} vs {}",
            ours.size,
            theirs.0
        );
        assert!(
            close(ours.means[0].1, theirs.1),
            "recency {} vs {}",
            ours.means[0].1,
            theirs.1
        );
        assert!(
            close(ours.means[1].1, theirs.2),
            "frequency {} vs {}",
            ours.means[1].1,
            theirs.2
        );
        assert!(
            close(ours.means[2].1, theirs.3),
            "monetary {} vs {}",
            ours.means[2].1,
            theirs.3
        );
    }
    // Deterministic with the seed.
    let again = fit_kmeans(&scaled, &params, &CancelToken::new()).unwrap();
    assert_eq!(again.labels, c.labels);

    // RFM covers every customer once; Champions bring the most revenue.
    let segments = rfm(&table).unwrap();
    assert_eq!(segments.table.iter().map(|s| s.size).sum::<usize>(), 4_338);
    let share: f64 = segments.table.iter().map(|s| s.revenue_share).sum();
    assert!((share - 1.0).abs() < 1e-9);
    assert_eq!(segments.table[0].segment, "Champions");
    assert!(segments
        .table
        .iter()
        .all(|s| SEGMENTS.contains(&s.segment.as_str())));
    let champions = &segments.table[0];
    assert!(champions.revenue_share > 0.5, "{}", champions.revenue_share);

    // The k scan: inertia falls as k grows.
    let scan = scan_k(&scaled, 2..=5, &params, &CancelToken::new(), &|_| {}).unwrap();
    assert_eq!(scan.len(), 4);
    assert!(scan.windows(2).all(|w| w[1].inertia < w[0].inertia));
    assert!(scan
        .iter()
        .all(|p| p.silhouette > 0.2 && p.silhouette < 1.0));
}

#[test]
fn event_data_has_behaviour_features_and_engagement() {
    let sample = common::sample_events();
    let ds = load_dataset(
        &sample,
        &LoadOptions::default(),
        &CancelToken::new(),
        &|_, _| {},
    )
    .unwrap();
    let catalogue = shoplens::data::catalogue::Catalogue::beside(&sample);
    let table = customer_table(&ds, catalogue.as_ref(), None).unwrap();
    for f in Feature::ALL {
        assert!(table.get(f).is_some(), "{} missing", f.name());
    }
    let purchases = table.get(Feature::Purchases).unwrap();
    assert_eq!(
        purchases.iter().sum::<f64>(),
        2_396.0,
        "every purchase counted"
    );
    let e = engagement(&ds).unwrap();
    assert!(!e.daily_active.is_empty() && !e.weekly_active.is_empty());
    let first = &e.cohorts[0];
    assert!(
        (first.retention[0] - 1.0).abs() < 1e-12,
        "everyone is active in their first week"
    );
    assert!(first.retention[1..].iter().all(|&r| r < 1.0));
    assert!(e.weekly_active.iter().all(|(_, u)| *u <= 2_000));
}

fn temp(content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_temp(&dir, "orders.csv", content.as_bytes());
    (dir, path)
}

#[test]
fn no_purchases_is_refused_with_a_reason() {
    let (_d, path) = temp("user_id,item_id,event_type,event_time\n1,10,view,2024-01-01 10:00:00\n2,11,view,2024-01-02 10:00:00\n");
    let e = table_of(&path).unwrap_err();
    assert!(e.contains("no purchases"), "{e}");
}

#[test]
fn no_price_means_no_monetary_and_segments_on_r_and_f() {
    let mut content = String::from("user_id,item_id,event_type,event_time\n");
    for u in 0..30 {
        for k in 0..(1 + u % 4) {
            content.push_str(&format!(
                "{u},{k},purchase,2024-01-{:02} 10:00:00\n",
                1 + (u + k * 7) % 28
            ));
        }
    }
    let (_d, path) = temp(&content);
    let table = table_of(&path).unwrap();
    assert!(table.get(Feature::Monetary).is_none());
    assert!(
        table.notes.iter().any(|n| n.contains("no price column")),
        "{:?}",
        table.notes
    );
    let params = KMeansParams {
        k: 3,
        ..Default::default()
    }
    .checked()
    .unwrap();
    let e = scale(&table, &Feature::RFM, &params).unwrap_err();
    assert!(e.to_string().contains("'monetary' is not available"), "{e}");
    let scaled = scale(&table, &[Feature::Recency, Feature::Frequency], &params).unwrap();
    assert_eq!(
        fit_kmeans(&scaled, &params, &CancelToken::new()).unwrap().k,
        3
    );
    let segments = rfm(&table).unwrap();
    assert!(segments.m.is_none());
}

#[test]
fn fewer_customers_than_k_and_constant_features_are_refused() {
    let (_d, path) = temp(
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,1,2024-01-01 10:00:00,2.0,7\n2,A,1,2024-01-05 10:00:00,2.0,8\n",
    );
    let table = table_of(&path).unwrap();
    assert_eq!(table.len(), 2);
    // Both customers bought once: frequency is constant.
    let e = scale(&table, &[Feature::Frequency], &KMeansParams::default()).unwrap_err();
    assert!(e.to_string().contains("same for every customer"), "{e}");
    let scaled = scale(&table, &[Feature::Recency], &KMeansParams::default()).unwrap();
    let e = fit_kmeans(
        &scaled,
        &KMeansParams::default().checked().unwrap(),
        &CancelToken::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("only 2 customers for k = 4"), "{e}");
}

#[test]
fn cli_segment_prints_one_json_object_and_exports() {
    let sample = common::sample_events();
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("segments.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args([
            "segment",
            "--data",
            sample.to_str().unwrap(),
            "--k",
            "4",
            "--scan",
            "2..5",
            "--rfm",
            "--seed",
            "7",
            "--json",
            "--export",
            export.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["k"], 4);
    for key in [
        "inertia",
        "silhouette",
        "sizes",
        "profiles",
        "fit_secs",
        "scan",
        "rfm",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["sizes"].as_array().unwrap().len(), 4);
    assert_eq!(v["scan"].as_array().unwrap().len(), 4);
    let profile = &v["profiles"][0];
    for key in ["recency", "frequency", "monetary"] {
        assert!(profile[key].is_number(), "profile {key}");
    }
    let csv = std::fs::read_to_string(&export).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("customer,") && header.ends_with("rfm_segment,cluster"),
        "{header}"
    );
    assert_eq!(
        csv.lines().count(),
        1 + v["customers"].as_u64().unwrap() as usize
    );
    // A bad k is one readable line.
    let out = Command::new(env!("CARGO_BIN_EXE_shoplens"))
        .args(["segment", "--data", sample.to_str().unwrap(), "--k", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("k must be at least 2"));
}
