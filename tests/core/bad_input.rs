//! Each kind of bad file gets its own clear message naming the file and, where it
//! applies, the line and column — never a panic.

use crate::common;

use common::{load, write_temp};
use shoplens::data::LoadError;

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn missing_file() {
    let err = load(std::path::Path::new("/no/such/file.csv"))
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::NotFound { .. }), "{err}");
    assert!(err
        .to_string()
        .contains("/no/such/file.csv: file not found"));
}

#[test]
fn empty_file() {
    let d = dir();
    let err = load(&write_temp(&d, "empty.csv", b"")).err().unwrap();
    assert!(matches!(err, LoadError::Empty { .. }), "{err}");
    let err = load(&write_temp(&d, "blank.csv", b"\n\n  \n"))
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::Empty { .. }), "{err}");
}

#[test]
fn header_only() {
    let d = dir();
    let err = load(&write_temp(
        &d,
        "header.csv",
        b"user_id,item_id,timestamp\n",
    ))
    .err()
    .unwrap();
    assert!(matches!(err, LoadError::HeaderOnly { .. }), "{err}");
    assert!(err.to_string().contains("header line but no data rows"));
}

#[test]
fn binary_garbage() {
    let d = dir();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let err = load(&write_temp(&d, "garbage.csv", &garbage))
        .err()
        .unwrap();
    assert!(
        matches!(err, LoadError::Binary { .. } | LoadError::NotUtf8 { .. }),
        "{err}"
    );
    let err = load(&write_temp(&d, "book.xlsx", b"PK\x03\x04rest-of-zip"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("Excel"), "{err}");
}

#[test]
fn non_utf8_names_line_and_column() {
    let d = dir();
    // Latin-1 "Misérables" on line 3.
    let err = load(&write_temp(
        &d,
        "latin1.csv",
        b"user_id,item_id,title\n1,2,ok\n3,4,Mis\xe9rables\n",
    ))
    .err()
    .unwrap();
    match err {
        LoadError::NotUtf8 {
            line, column, byte, ..
        } => assert_eq!((line, column, byte), (3, 8, 0xE9)),
        other => panic!("expected NotUtf8, got {other}"),
    }
    let err = load(&write_temp(&d, "utf16.csv", b"\xff\xfeu\0s\0"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("UTF-16"), "{err}");
}

#[test]
fn ragged_rows_say_which_line() {
    let d = dir();
    let err = load(&write_temp(
        &d,
        "ragged.csv",
        b"user_id,item_id,rating\n1,2,5\n1,3,4\n2,2\n2,3,1\n",
    ))
    .err()
    .unwrap();
    match &err {
        LoadError::Ragged {
            line,
            expected,
            found,
            ..
        } => assert_eq!((*line, *expected, *found), (4, 3, 2)),
        other => panic!("expected Ragged, got {other}"),
    }
    assert!(err
        .to_string()
        .contains("line 4 has 2 fields but the header has 3"));
    let err = load(&write_temp(
        &d,
        "long_row.csv",
        b"user_id,item_id\n1,2\n1,2,3,4\n",
    ))
    .err()
    .unwrap();
    assert!(
        matches!(
            err,
            LoadError::Ragged {
                line: 3,
                found: 4,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn no_user_or_item_column() {
    let d = dir();
    let err = load(&write_temp(
        &d,
        "weather.csv",
        b"temperature,humidity\n21,40\n22,41\n",
    ))
    .err()
    .unwrap();
    assert!(matches!(err, LoadError::MissingRole { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("temperature, humidity") && message.contains("--user-col"),
        "{message}"
    );
}

#[test]
fn non_numeric_rating() {
    let d = dir();
    let err = load(&write_temp(
        &d,
        "ratings.csv",
        b"user_id,item_id,rating\n1,2,5\n1,3,four\n",
    ))
    .err()
    .unwrap();
    match &err {
        LoadError::BadValue {
            line,
            column,
            value,
            ..
        } => {
            assert_eq!(
                (*line, column.as_str(), value.as_str()),
                (3, "rating", "four")
            )
        }
        other => panic!("expected BadValue, got {other}"),
    }
    assert!(err.to_string().contains("is not a number (rating)"));
}

#[test]
fn unparseable_timestamps() {
    let d = dir();
    let err = load(&write_temp(
        &d,
        "times.csv",
        b"user_id,item_id,timestamp\n1,2,2024-01-01 10:00:00\n1,3,yesterday\n",
    ))
    .err()
    .unwrap();
    match &err {
        LoadError::BadValue {
            line,
            column,
            value,
            ..
        } => {
            assert_eq!(
                (*line, column.as_str(), value.as_str()),
                (3, "timestamp", "yesterday")
            )
        }
        other => panic!("expected BadValue, got {other}"),
    }
    assert!(err.to_string().contains("is not a timestamp"));
}

#[test]
fn a_single_100_mb_line() {
    let d = dir();
    let path = d.path().join("one_line.csv");
    let line = vec![b'x'; 100 * 1024 * 1024];
    std::fs::write(&path, &line).unwrap();
    let err = load(&path).err().unwrap();
    match &err {
        LoadError::LineTooLong { line, bytes, .. } => {
            assert_eq!((*line, *bytes), (1, 100 * 1024 * 1024))
        }
        other => panic!("expected LineTooLong, got {other}"),
    }
    assert!(err.to_string().contains("line 1 is 104.9 MB long"), "{err}");
}

#[test]
fn a_huge_line_after_the_header() {
    let d = dir();
    let mut content = b"user_id,item_id\n1,2\n".to_vec();
    content.extend(std::iter::repeat_n(b'7', 20 * 1024 * 1024));
    content.extend(b",3\n4,5\n");
    let err = load(&write_temp(&d, "huge_row.csv", &content))
        .err()
        .unwrap();
    assert!(
        matches!(err, LoadError::LineTooLong { line: 3, .. }),
        "{err}"
    );
}

#[test]
fn broken_json_lines_name_the_line() {
    let d = dir();
    let err = load(&write_temp(
        &d,
        "reviews.jsonl",
        b"{\"user\":\"a\",\"item\":\"b\"}\n{\"user\":\"c\",\"item\":\n",
    ))
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("line 2 is not a JSON object"),
        "{err}"
    );
}

#[test]
fn damaged_gzip() {
    let d = dir();
    let err = load(&write_temp(
        &d,
        "events.csv.gz",
        b"\x1f\x8b\x08\x00garbage-not-deflate",
    ))
    .err()
    .unwrap();
    assert!(err.to_string().contains("gzip data is damaged"), "{err}");
}

#[test]
fn unknown_column_override_and_unknown_format() {
    use shoplens::data::{load_and_profile, LoadOptions, Role};
    use shoplens::task::CancelToken;
    let d = dir();
    let path = write_temp(&d, "ok.csv", b"user_id,item_id\n1,2\n");
    let options = LoadOptions {
        roles: vec![(Role::User, Some("customer".into()))],
        ..Default::default()
    };
    let err = load_and_profile(&path, &options, &CancelToken::new(), &|_, _| {})
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("no column named 'customer'"),
        "{err}"
    );
    let options = LoadOptions {
        format: Some("excel".into()),
        ..Default::default()
    };
    let err = load_and_profile(&path, &options, &CancelToken::new(), &|_, _| {})
        .err()
        .unwrap();
    assert!(err.to_string().contains("unknown format 'excel'"), "{err}");
}
