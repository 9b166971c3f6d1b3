//! Input variants: separators, quoting, BOM, CRLF, gzip, Parquet, JSON lines,
//! headerless files, timestamp forms, role overrides, cancel.

use crate::common;

use std::io::Write;

use common::{load, write_temp};
use shoplens::data::{load_and_profile, LoadError, LoadOptions, Role};
use shoplens::task::CancelToken;

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn separators_quotes_bom_and_crlf() {
    let d = dir();
    let csv = "\u{feff}customer_id;product_id;event_type;event_time\r\n\
               a;x;view;2024-01-01 10:00:00\r\n\
               a;\"y;z\";purchase;2024-01-01 10:05:00\r\n\
               b;x;addtocart;2024-01-02 09:00:00\r\n";
    let p = load(&write_temp(&d, "semi.csv", csv.as_bytes()))
        .unwrap()
        .profile;
    assert_eq!((p.rows, p.users, p.items), (3, Some(2), Some(2)));
    assert_eq!(p.events.get("cart"), Some(&1));
    assert_eq!(
        p.columns[0].name, "customer_id",
        "BOM stripped from the first header"
    );
    assert_eq!(p.time_max.as_deref(), Some("2024-01-02T09:00:00Z"));

    let pipe = "visitorid|itemid|timestamp\n1|10|1433221332117\n2|11|1433224214164\n";
    let p = load(&write_temp(&d, "pipe.txt", pipe.as_bytes()))
        .unwrap()
        .profile;
    assert_eq!(
        p.time_min.as_deref(),
        Some("2015-06-02T05:02:12Z"),
        "milliseconds recognised"
    );

    let tab = "user\titem\trating\n1\t2\t4.5\n";
    let p = load(&write_temp(&d, "tab.tsv", tab.as_bytes()))
        .unwrap()
        .profile;
    assert_eq!(p.ratings.unwrap().histogram, vec![(4.5, 1)]);
}

#[test]
fn us_dates_and_order_cleaning() {
    let d = dir();
    let csv = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
               536365,85123A,HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n\
               C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom\n\
               536380,22086,PAPER,2,12/1/2010 9:45,0,14527,United Kingdom\n\
               536381,22086,PAPER,2,12/1/2010 9:50,1.5,,United Kingdom\n";
    let p = load(&write_temp(&d, "retail.csv", csv.as_bytes()))
        .unwrap()
        .profile;
    assert_eq!(p.format, "uci-online-retail");
    let c = p.cleaning.unwrap();
    assert_eq!(
        (
            c.no_customer,
            c.quantity_not_positive,
            c.price_not_positive,
            c.cancelled_invoice
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(c.rows_after, 1);
    assert_eq!(p.time_min.as_deref(), Some("2010-12-01T08:26:00Z"));
    assert!((p.revenue.unwrap() - 15.3).abs() < 1e-9);

    let options = LoadOptions {
        keep_uncleaned: true,
        ..Default::default()
    };
    let path = d.path().join("retail.csv");
    let kept = load_and_profile(&path, &options, &CancelToken::new(), &|_, _| {})
        .unwrap()
        .profile;
    assert!(kept.cleaning.is_none());
}

#[test]
fn invoice_ids_that_turn_non_numeric_late_are_read_as_text() {
    let d = dir();
    let mut csv = String::from("order_id,user_id,item_id\n");
    for i in 0..20_000 {
        csv.push_str(&format!("{i},{},{}\n", i % 97, i % 13));
    }
    csv.push_str("C99999,1,1\n");
    let p = load(&write_temp(&d, "late.csv", csv.as_bytes()))
        .unwrap()
        .profile;
    assert_eq!(p.rows, 20_001);
    let order = p.columns.iter().find(|c| c.name == "order_id").unwrap();
    assert_eq!(order.dtype, "str");
}

#[test]
fn gzip_json_lines_and_parquet() {
    let d = dir();
    let jsonl = "{\"reviewerID\":\"A1\",\"asin\":\"B1\",\"overall\":5.0,\"reviewText\":\"great\",\"unixReviewTime\":1262304000}\n\
                 {\"reviewerID\":\"A2\",\"asin\":\"B1\",\"overall\":1.0,\"reviewText\":\"bad\",\"unixReviewTime\":1262390400}\n";
    let gz_path = d.path().join("reviews.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(jsonl.as_bytes()).unwrap();
    enc.finish().unwrap();
    let p = load(&gz_path).unwrap().profile;
    assert_eq!(
        (p.format.as_str(), p.rows, p.users, p.items),
        ("amazon-reviews", 2, Some(2), Some(1))
    );
    assert_eq!(p.time_min.as_deref(), Some("2010-01-01T00:00:00Z"));

    use polars::prelude::*;
    let mut df = df!("user_id" => [1i64, 2, 2], "item_id" => [5i64, 5, 6], "event" => ["view", "cart", "purchase"]).unwrap();
    let pq = d.path().join("events.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let p = load(&pq).unwrap().profile;
    assert_eq!(
        (p.format.as_str(), p.rows, p.users, p.items),
        ("parquet", 3, Some(2), Some(2))
    );
}

#[test]
fn forced_format_and_role_overrides() {
    let d = dir();
    let path = write_temp(
        &d,
        "x.txt",
        b"1,10,3,pv,1511544070\n2,11,3,buy,1511544071\n",
    );
    let options = LoadOptions {
        format: Some("taobao".into()),
        ..Default::default()
    };
    let p = load_and_profile(&path, &options, &CancelToken::new(), &|_, _| {})
        .unwrap()
        .profile;
    assert_eq!(p.events.get("purchase"), Some(&1));

    let path = write_temp(&d, "y.csv", b"a,b,c\nu1,i1,x\nu2,i1,y\n");
    let options = LoadOptions {
        roles: vec![
            (Role::User, Some("a".into())),
            (Role::Item, Some("b".into())),
        ],
        ..Default::default()
    };
    let p = load_and_profile(&path, &options, &CancelToken::new(), &|_, _| {})
        .unwrap()
        .profile;
    assert_eq!((p.users, p.items), (Some(2), Some(1)));
}

#[test]
fn cancel_stops_a_load() {
    let d = dir();
    let path = write_temp(&d, "z.csv", b"user_id,item_id\n1,2\n");
    let cancel = CancelToken::new();
    cancel.cancel();
    let err = load_and_profile(&path, &LoadOptions::default(), &cancel, &|_, _| {})
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::Cancelled));
}

#[test]
fn sample_store_is_recognised() {
    let p = load(&common::sample_events()).unwrap().profile;
    assert_eq!(p.format, "shoplens-events");
    assert!(p.rows >= 50_000);
    assert!(p.funnel.is_some());
}
