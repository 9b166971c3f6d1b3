//! Public store and review formats recognised with no flags: by their header, or
//! for headerless files by the shape of their values.

use super::roles::{normalise_name, Role};
use super::sniff::{is_number, CsvLayout, FileKind};

/// A recognised file layout and what its columns mean.
#[derive(Debug)]
pub struct KnownFormat {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: FileKind,
    /// Column names that identify the format when a header is present.
    pub header: &'static [&'static str],
    /// For headerless files: the column names to use and a test on sample rows.
    pub headerless: Option<Headerless>,
    pub separator: Option<u8>,
    /// `Some(None)` turns CSV quoting off.
    pub quote: Option<Option<u8>>,
    /// Roles fixed by the format (beat name aliases).
    pub roles: &'static [(Role, &'static str)],
    /// Columns always read as text (ids that are not numbers everywhere).
    pub text_columns: &'static [&'static str],
    /// Extra strings meaning "missing".
    pub null_values: &'static [&'static str],
    /// The event every row stands for when there is no event column.
    pub implicit_event: Option<super::events::EventKind>,
}

#[derive(Debug)]
pub struct Headerless {
    pub names: &'static [&'static str],
    pub separator: u8,
    pub signature: fn(&[Vec<String>]) -> bool,
}

const fn generic(name: &'static str, description: &'static str, kind: FileKind) -> KnownFormat {
    KnownFormat {
        name,
        description,
        kind,
        header: &[],
        headerless: None,
        separator: None,
        quote: None,
        roles: &[],
        text_columns: &[],
        null_values: &[],
        implicit_event: None,
    }
}

/// A research sequence file: space-separated integers, a user then items.
const fn sequence_format(name: &'static str, description: &'static str) -> KnownFormat {
    KnownFormat {
        separator: Some(b' '),
        quote: Some(None),
        roles: &[(Role::User, "user_id"), (Role::Item, "item_id")],
        text_columns: &["user_id", "item_id"],
        ..generic(name, description, FileKind::Delimited)
    }
}

pub static GENERIC_DELIMITED: KnownFormat =
    generic("csv", "delimited text (CSV/TSV)", FileKind::Delimited);
pub static GENERIC_JSON: KnownFormat = generic("jsonl", "JSON lines", FileKind::JsonLines);
pub static GENERIC_PARQUET: KnownFormat = generic("parquet", "Parquet", FileKind::Parquet);

fn column(rows: &[Vec<String>], j: usize) -> impl Iterator<Item = &str> {
    rows.iter().filter_map(move |r| r.get(j).map(|s| s.trim()))
}

fn all_int(rows: &[Vec<String>], j: usize) -> bool {
    column(rows, j).all(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

fn movielens_signature(rows: &[Vec<String>]) -> bool {
    rows.iter().all(|r| r.len() == 4)
        && (0..4).all(|j| all_int(rows, j))
        && column(rows, 2).all(|v| matches!(v, "1" | "2" | "3" | "4" | "5"))
        && column(rows, 3).all(|v| v.len() >= 9)
}

fn taobao_signature(rows: &[Vec<String>]) -> bool {
    rows.iter().all(|r| r.len() == 5)
        && [0, 1, 2, 4].iter().all(|&j| all_int(rows, j))
        && column(rows, 3).all(|v| matches!(v, "pv" | "buy" | "cart" | "fav"))
}

fn sentences_signature(rows: &[Vec<String>]) -> bool {
    rows.iter().all(|r| r.len() == 2)
        && column(rows, 1).all(|v| v == "0" || v == "1")
        && column(rows, 0).all(|v| !is_number(v))
}

pub static KNOWN_FORMATS: &[KnownFormat] = &[
    KnownFormat {
        name: "open-bandit",
        description: "Open Bandit Dataset log (item shown, slot, click, logging propensity)",
        kind: FileKind::Delimited,
        // Identifying columns; the file has user features and affinities too.
        header: &[
            "timestamp",
            "item_id",
            "position",
            "click",
            "propensity_score",
        ],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Item, "item_id"),
            (Role::Timestamp, "timestamp"),
            (Role::Position, "position"),
            (Role::Reward, "click"),
            (Role::Propensity, "propensity_score"),
        ],
        text_columns: &[],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "movielens",
        description: "MovieLens u.data (user, item, rating, unix time; tab, no header)",
        kind: FileKind::Delimited,
        header: &[],
        headerless: Some(Headerless {
            names: &["user_id", "item_id", "rating", "timestamp"],
            separator: b'\t',
            signature: movielens_signature,
        }),
        separator: Some(b'\t'),
        quote: None,
        roles: &[
            (Role::User, "user_id"),
            (Role::Item, "item_id"),
            (Role::Rating, "rating"),
            (Role::Timestamp, "timestamp"),
        ],
        text_columns: &[],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "taobao",
        description:
            "Taobao UserBehavior (user, item, category, pv/cart/fav/buy, unix time; no header)",
        kind: FileKind::Delimited,
        header: &[],
        headerless: Some(Headerless {
            names: &[
                "user_id",
                "item_id",
                "category_id",
                "behavior_type",
                "timestamp",
            ],
            separator: b',',
            signature: taobao_signature,
        }),
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::User, "user_id"),
            (Role::Item, "item_id"),
            (Role::Category, "category_id"),
            (Role::Event, "behavior_type"),
            (Role::Timestamp, "timestamp"),
        ],
        text_columns: &[],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "uci-sentences",
        description: "UCI sentiment labelled sentences (text<TAB>0/1, no header, no quoting)",
        kind: FileKind::Delimited,
        header: &[],
        headerless: Some(Headerless {
            names: &["text", "label"],
            separator: b'\t',
            signature: sentences_signature,
        }),
        separator: Some(b'\t'),
        quote: Some(None),
        roles: &[(Role::Text, "text"), (Role::Label, "label")],
        text_columns: &["text"],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "rees46",
        description: "REES46 multi-category store events",
        kind: FileKind::Delimited,
        header: &[
            "event_time",
            "event_type",
            "product_id",
            "category_id",
            "category_code",
            "brand",
            "price",
            "user_id",
            "user_session",
        ],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Timestamp, "event_time"),
            (Role::Event, "event_type"),
            (Role::Item, "product_id"),
            (Role::Category, "category_id"),
            (Role::Price, "price"),
            (Role::User, "user_id"),
            (Role::Session, "user_session"),
        ],
        text_columns: &["category_code", "brand", "user_session"],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "retailrocket",
        description: "RetailRocket events (timestamp ms, visitorid, event, itemid, transactionid)",
        kind: FileKind::Delimited,
        header: &["timestamp", "visitorid", "event", "itemid", "transactionid"],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Timestamp, "timestamp"),
            (Role::User, "visitorid"),
            (Role::Event, "event"),
            (Role::Item, "itemid"),
            (Role::Order, "transactionid"),
        ],
        text_columns: &[],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "uci-online-retail",
        description: "UCI Online Retail invoices (cleaned by default)",
        kind: FileKind::Delimited,
        header: &[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Order, "InvoiceNo"),
            (Role::Item, "StockCode"),
            (Role::Quantity, "Quantity"),
            (Role::Timestamp, "InvoiceDate"),
            (Role::Price, "UnitPrice"),
            (Role::User, "CustomerID"),
        ],
        text_columns: &["InvoiceNo", "StockCode", "Description", "Country"],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "uci-online-retail-ii",
        description: "UCI Online Retail II invoices (cleaned by default)",
        kind: FileKind::Delimited,
        header: &[
            "Invoice",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "Price",
            "Customer ID",
            "Country",
        ],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Order, "Invoice"),
            (Role::Item, "StockCode"),
            (Role::Quantity, "Quantity"),
            (Role::Timestamp, "InvoiceDate"),
            (Role::Price, "Price"),
            (Role::User, "Customer ID"),
        ],
        text_columns: &["Invoice", "StockCode", "Description", "Country"],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "diginetica",
        description: "DIGINETICA item views (sessions stand in for users; ';')",
        kind: FileKind::Delimited,
        header: &["session_id", "user_id", "item_id", "timeframe", "eventdate"],
        headerless: None,
        separator: Some(b';'),
        quote: None,
        // Most views are anonymous (user_id NA): the session is the user.
        roles: &[
            (Role::User, "session_id"),
            (Role::Session, "session_id"),
            (Role::Item, "item_id"),
            (Role::Timestamp, "eventdate"),
            (Role::Offset, "timeframe"),
        ],
        text_columns: &[],
        null_values: &["NA"],
        implicit_event: Some(super::events::EventKind::View),
    },
    KnownFormat {
        name: "amazon-reviews",
        description: "Amazon review data (JSON lines: reviewerID, asin, overall, reviewText)",
        kind: FileKind::JsonLines,
        header: &["reviewerID", "asin", "overall"],
        headerless: None,
        separator: None,
        quote: None,
        roles: &[
            (Role::User, "reviewerID"),
            (Role::Item, "asin"),
            (Role::Rating, "overall"),
            (Role::Text, "reviewText"),
            (Role::Timestamp, "unixReviewTime"),
        ],
        text_columns: &[],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "chinese-reviews",
        description: "Chinese review sentiment CSV (label, review)",
        kind: FileKind::Delimited,
        header: &["label", "review"],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[(Role::Label, "label"), (Role::Text, "review")],
        text_columns: &["review"],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "chinese-reviews-categories",
        description: "Chinese review sentiment CSV with categories (cat, label, review)",
        kind: FileKind::Delimited,
        header: &["cat", "label", "review"],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Category, "cat"),
            (Role::Label, "label"),
            (Role::Text, "review"),
        ],
        text_columns: &["cat", "review"],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "amazon-alexa",
        description:
            "Amazon Alexa reviews TSV (rating, date, variation, verified_reviews, feedback)",
        kind: FileKind::Delimited,
        header: &[
            "rating",
            "date",
            "variation",
            "verified_reviews",
            "feedback",
        ],
        headerless: None,
        separator: Some(b'\t'),
        quote: None,
        roles: &[
            (Role::Rating, "rating"),
            (Role::Timestamp, "date"),
            (Role::Item, "variation"),
            (Role::Text, "verified_reviews"),
            (Role::Label, "feedback"),
        ],
        text_columns: &["verified_reviews", "variation"],
        null_values: &[],
        implicit_event: None,
    },
    // Read by `sequences`, not the CSV reader: listed here for their names,
    // descriptions and roles (and `--format`).
    sequence_format(
        "sasrec-pairs",
        "next-item sequences: `user item` per line in time order (SASRec's data files)",
    ),
    sequence_format(
        "item-sequences",
        "next-item sequences: `user item item …` per line in time order (S3-Rec's Amazon files)",
    ),
    KnownFormat {
        name: "shoplens-events",
        description: "shoplens generated store events",
        kind: FileKind::Delimited,
        header: &[
            "event_time",
            "event_type",
            "user_id",
            "item_id",
            "session_id",
            "price",
            "quantity",
        ],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Timestamp, "event_time"),
            (Role::Event, "event_type"),
            (Role::User, "user_id"),
            (Role::Item, "item_id"),
            (Role::Session, "session_id"),
            (Role::Price, "price"),
            (Role::Quantity, "quantity"),
        ],
        text_columns: &[],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "shoplens-reviews",
        description: "shoplens generated store reviews",
        kind: FileKind::Delimited,
        header: &[
            "review_time",
            "user_id",
            "item_id",
            "stars",
            "lang",
            "review",
        ],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Timestamp, "review_time"),
            (Role::User, "user_id"),
            (Role::Item, "item_id"),
            (Role::Rating, "stars"),
            (Role::Text, "review"),
        ],
        text_columns: &["review", "lang"],
        null_values: &[],
        implicit_event: None,
    },
    KnownFormat {
        name: "shoplens-items",
        description: "shoplens generated catalogue",
        kind: FileKind::Delimited,
        header: &["item_id", "name", "category", "price", "image"],
        headerless: None,
        separator: Some(b','),
        quote: None,
        roles: &[
            (Role::Item, "item_id"),
            (Role::Category, "category"),
            (Role::Price, "price"),
        ],
        text_columns: &["name", "category", "image"],
        null_values: &[],
        implicit_event: None,
    },
];

/// Every format name accepted by `--format`.
pub fn format_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = KNOWN_FORMATS.iter().map(|f| f.name).collect();
    names.extend([
        GENERIC_DELIMITED.name,
        GENERIC_JSON.name,
        GENERIC_PARQUET.name,
    ]);
    names
}

pub fn by_name(name: &str) -> Option<&'static KnownFormat> {
    KNOWN_FORMATS
        .iter()
        .chain([&GENERIC_DELIMITED, &GENERIC_JSON, &GENERIC_PARQUET])
        .find(|f| f.name.eq_ignore_ascii_case(name))
}

/// The format whose header names are exactly `columns` (ignoring case and
/// punctuation), or whose identifying names are all present for JSON.
pub fn by_columns(kind: FileKind, columns: &[String]) -> Option<&'static KnownFormat> {
    let have: Vec<String> = columns.iter().map(|c| normalise_name(c)).collect();
    KNOWN_FORMATS.iter().find(|f| {
        if f.header.is_empty() {
            return false;
        }
        let want: Vec<String> = f.header.iter().map(|c| normalise_name(c)).collect();
        let all_present = want.iter().all(|w| have.contains(w));
        match kind {
            FileKind::JsonLines | FileKind::Parquet => all_present,
            // The Open Bandit log carries any number of feature columns.
            FileKind::Delimited => {
                all_present && (want.len() == have.len() || f.name == "open-bandit")
            }
        }
    })
}

/// Recognise a delimited file from its sniffed layout.
pub fn detect_delimited(layout: &CsvLayout) -> &'static KnownFormat {
    if layout.has_header {
        return by_columns(FileKind::Delimited, &layout.first_record).unwrap_or(&GENERIC_DELIMITED);
    }
    let mut rows = vec![layout.first_record.clone()];
    rows.extend(layout.sample.iter().cloned());
    KNOWN_FORMATS
        .iter()
        .find(|f| {
            f.headerless
                .as_ref()
                .is_some_and(|h| h.separator == layout.separator && (h.signature)(&rows))
        })
        .unwrap_or(&GENERIC_DELIMITED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::sniff::sniff_layout;
    use std::path::Path;

    fn detect(text: &str) -> &'static str {
        detect_delimited(&sniff_layout(Path::new("x"), text.as_bytes()).unwrap()).name
    }

    #[test]
    fn headerless_formats_by_content() {
        assert_eq!(
            detect("196\t242\t3\t881250949\n186\t302\t3\t891717742\n"),
            "movielens"
        );
        assert_eq!(
            detect("1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n"),
            "taobao"
        );
        assert_eq!(
            detect("Good case, \"Excellent\" value.\t1\nGreat for the jawbone.\t1\nBad.\t0\n"),
            "uci-sentences"
        );
    }

    #[test]
    fn header_formats_by_names() {
        assert_eq!(detect("timestamp,visitorid,event,itemid,transactionid\n1433221332117,257597,view,355908,\n"), "retailrocket");
        assert_eq!(detect("label,review\n1,很好\n"), "chinese-reviews");
        assert_eq!(detect("a,b\n1,2\n"), "csv");
    }

    #[test]
    fn every_format_name_resolves() {
        for name in format_names() {
            assert!(by_name(name).is_some(), "{name}");
        }
    }
}
