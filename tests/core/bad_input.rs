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

/// The REES46 sample damaged the way real exports are: a row cut short
/// (file line 101), a stray quote (line 2001), a NUL byte (line 9001) and
/// a last line cut off mid-row. Returns the damaged file and the number of
/// rows the original has.
pub(crate) fn damaged_rees46(dir: &tempfile::TempDir) -> Option<(std::path::PathBuf, usize)> {
    let original =
        common::shared_data()?.join("rees46-ecommerce-behavior-sample/2019-Oct_head.csv");
    let text = std::fs::read_to_string(&original).expect("read the REES46 sample");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let rows = lines.len() - 1;
    // Lines are 1-based in messages; lines[0] is the header (line 1).
    let cut = |l: &str| l[..l.rfind(',').expect("a comma")].to_owned();
    lines[100] = cut(&lines[100]);
    let third_comma = lines[2000].match_indices(',').nth(2).expect("fields").0;
    lines[2000].insert(third_comma + 1, '"');
    lines[9000].insert(5, '\0');
    let last = lines.len() - 1;
    lines[last] = cut(&cut(&lines[last]));
    let path = dir.path().join("2019-Oct_damaged.csv");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write the damaged file");
    Some((path, rows))
}

#[test]
fn a_real_export_with_broken_lines_opens_when_asked_to_skip_them() {
    let d = dir();
    let Some((path, rows)) = damaged_rees46(&d) else {
        return;
    };
    // By default the first broken line refuses the file, and says how to
    // read it anyway.
    let err = load(&path).err().expect("refused");
    assert!(matches!(err, LoadError::Ragged { line: 101, .. }), "{err}");
    assert!(err.to_string().contains("--skip-bad-lines"), "{err}");
    let options = shoplens::data::LoadOptions {
        skip_bad_lines: true,
        ..Default::default()
    };
    let loaded = shoplens::data::load_and_profile(
        &path,
        &options,
        &shoplens::task::CancelToken::new(),
        &|_, _| {},
    )
    .expect("loads without the broken lines");
    let ds = &loaded.dataset;
    assert_eq!(ds.df.height(), rows - 4);
    let skipped = &loaded.profile.skipped_lines;
    assert_eq!(skipped.count, 4);
    let lines: Vec<u64> = skipped.first.iter().map(|s| s.line).collect();
    assert_eq!(lines, [101, 2001, 9001, rows as u64 + 1]);
    let reasons: Vec<&str> = skipped.first.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "8 fields, expected 9",
            "an unclosed quote",
            "a NUL byte",
            "7 fields, expected 9"
        ]
    );
    // Rows keep their own line numbers: row 99 was on line 102.
    assert_eq!(ds.line_of_row(98), 100);
    assert_eq!(ds.line_of_row(99), 102);
    assert_eq!(ds.line_of_row(1998), 2002);
    // The CLI says the same, in the profile and in a run's record.
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoplens"))
            .args(args)
            .output()
            .expect("run shoplens");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        (json, stderr)
    };
    let file = path.to_str().unwrap();
    let (profile, _) = cli(&["profile", file, "--skip-bad-lines", "--json"]);
    assert_eq!(profile["skipped_lines"]["count"], 4);
    assert_eq!(profile["skipped_lines"]["first"][1]["line"], 2001);
    let (run, stderr) = cli(&[
        "recommend",
        "--data",
        file,
        "--skip-bad-lines",
        "--model",
        "popular",
        "--json",
    ]);
    assert_eq!(run["data"]["skipped_lines"]["count"], 4, "{run}");
    assert!(
        stderr.contains("4 malformed lines skipped: line 101 (8 fields, expected 9)"),
        "{stderr}"
    );
}

/// A file too big to open is checked record by record before Spark reads
/// it, with a load's rules: the same lines refuse it, or are skipped with
/// the same reasons, and the good records are the rows a load keeps.
#[test]
fn a_file_too_big_to_open_is_checked_line_by_line_as_a_load_checks_it() {
    use shoplens::data::file_check::check_file;
    use shoplens::task::CancelToken;
    let d = dir();
    let Some((path, rows)) = damaged_rees46(&d) else {
        return;
    };
    let check = |file: &std::path::Path, skip: bool| {
        check_file(
            file,
            (b',', Some(b'"')),
            skip,
            &CancelToken::new(),
            &|_, _| {},
        )
    };
    let err = check(&path, false).expect_err("refused");
    let message = err.to_string();
    assert!(
        message.contains("line 101 is malformed (8 fields, expected 9)")
            && message.contains(shoplens::data::error::SKIP_HINT),
        "{message}"
    );
    let found = check(&path, true).expect("checked");
    let options = shoplens::data::LoadOptions {
        skip_bad_lines: true,
        ..Default::default()
    };
    let loaded = shoplens::data::load_and_profile(&path, &options, &CancelToken::new(), &|_, _| {})
        .expect("loads without the broken lines");
    assert_eq!(found.records, (rows - 4) as u64);
    assert_eq!(found.records, loaded.dataset.df.height() as u64);
    assert_eq!(found.skipped.count, loaded.profile.skipped_lines.count);
    assert_eq!(found.skipped.first, loaded.profile.skipped_lines.first);
    assert!(!found.multi_line);
    // The same file gzipped (as exports are shipped) is decompressed as it
    // is checked, and the check finds the same.
    let gzipped = d.path().join("2019-Oct_damaged.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gzipped).expect("create the gzip file"),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut encoder, &std::fs::read(&path).expect("read"))
        .expect("compress");
    encoder.finish().expect("finish the gzip file");
    assert_eq!(check(&gzipped, true).expect("checked"), found);
    let gzip_err = check(&gzipped, false).expect_err("refused").to_string();
    assert!(
        gzip_err.contains("line 101 is malformed (8 fields, expected 9)")
            && gzip_err.contains("2019-Oct_damaged.csv.gz"),
        "{gzip_err}"
    );
    // A quoted newline in a good record is reported (Spark must then read
    // records across lines); a blank line is not a record.
    let quoted = write_temp(
        &d,
        "quoted.csv",
        b"user,item,note\n1,2,\"two\nlines\"\n\n3,4,plain\n",
    );
    let found = check(&quoted, false).expect("a good file");
    assert_eq!((found.records, found.multi_line), (2, true));
    assert!(found.skipped.is_empty());
}
