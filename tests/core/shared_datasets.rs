//! Every dataset in ../shared/data loads with no flags, is recognised, and has the
//! exact row, user and item counts its SOURCE.md states.

use crate::common;

use common::{load, shared_data};

struct Expect {
    file: &'static str,
    format: &'static str,
    rows: u64,
    users: Option<u64>,
    items: Option<u64>,
}

const EXPECTED: &[Expect] = &[
    Expect {
        file: "movielens-100k/u.data",
        format: "movielens",
        rows: 100_000,
        users: Some(943),
        items: Some(1_682),
    },
    Expect {
        file: "taobao-userbehavior-sample/UserBehavior_head.csv",
        format: "taobao",
        rows: 84_287,
        users: Some(814),
        items: Some(55_233),
    },
    Expect {
        file: "rees46-ecommerce-behavior-sample/2019-Oct_head.csv",
        format: "rees46",
        rows: 17_424,
        users: Some(4_501),
        items: Some(6_489),
    },
    // Sessions stand in for users (most views are anonymous): 2,986 sessions.
    Expect {
        file: "diginetica-sample/sample_train-item-views.csv",
        format: "diginetica",
        rows: 12_391,
        users: Some(2_986),
        items: Some(7_139),
    },
    Expect {
        file: "uci-online-retail/OnlineRetail.csv.gz",
        format: "uci-online-retail",
        rows: 541_909,
        users: Some(4_372),
        items: Some(4_070),
    },
    Expect {
        file: "uci-online-retail-ii-2009-2010/online_retail_II_2009-2010.csv.gz",
        format: "uci-online-retail-ii",
        rows: 525_461,
        users: Some(4_383),
        items: Some(4_632),
    },
    Expect {
        file: "amazon-fashion-5core/AMAZON_FASHION_5.json.gz",
        format: "amazon-reviews",
        rows: 3_176,
        users: Some(406),
        items: Some(31),
    },
    // Items are the 16 product variants.
    Expect {
        file: "amazon-alexa-reviews/amazon_alexa.tsv",
        format: "amazon-alexa",
        rows: 3_150,
        users: None,
        items: Some(16),
    },
    Expect {
        file: "uci-sentiment-labelled-sentences/amazon_cells_labelled.txt",
        format: "uci-sentences",
        rows: 1_000,
        users: None,
        items: None,
    },
    Expect {
        file: "uci-sentiment-labelled-sentences/imdb_labelled.txt",
        format: "uci-sentences",
        rows: 1_000,
        users: None,
        items: None,
    },
    Expect {
        file: "uci-sentiment-labelled-sentences/yelp_labelled.txt",
        format: "uci-sentences",
        rows: 1_000,
        users: None,
        items: None,
    },
    Expect {
        file: "online-shopping-10-cats/online_shopping_10_cats.csv",
        format: "chinese-reviews-categories",
        rows: 62_774,
        users: None,
        items: None,
    },
    Expect {
        file: "chnsenticorp-htl-all/ChnSentiCorp_htl_all.csv",
        format: "chinese-reviews",
        rows: 7_766,
        users: None,
        items: None,
    },
    // Research sequence files: SASRec's Games (`user item` per line) and
    // S3-Rec's Beauty (`user item item …` per line).
    Expect {
        file: "amazon-games-sasrec/Video.txt.gz",
        format: "sasrec-pairs",
        rows: 287_107,
        users: Some(31_013),
        items: Some(23_715),
    },
    Expect {
        file: "amazon-beauty-s3rec/Beauty.txt",
        format: "item-sequences",
        rows: 198_502,
        users: Some(22_363),
        items: Some(12_101),
    },
    Expect {
        file: "waimai-10k/waimai_10k.csv",
        format: "chinese-reviews",
        rows: 11_987,
        users: None,
        items: None,
    },
];

#[test]
fn every_shared_dataset_loads_with_its_documented_counts() {
    let Some(dir) = shared_data() else { return };
    let mut failures = Vec::new();
    for e in EXPECTED {
        let path = dir.join(e.file);
        match load(&path) {
            Ok(loaded) => {
                let p = &loaded.profile;
                let got = (p.format.as_str(), p.rows, p.users, p.items);
                let want = (e.format, e.rows, e.users, e.items);
                if got != want {
                    failures.push(format!("{}: got {got:?}, want {want:?}", e.file));
                }
            }
            Err(err) => failures.push(format!("{}: {err}", e.file)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn event_vocabularies_are_normalised() {
    let Some(dir) = shared_data() else { return };
    let taobao = load(&dir.join("taobao-userbehavior-sample/UserBehavior_head.csv"))
        .unwrap()
        .profile;
    let events: Vec<(&str, u64)> = taobao
        .events
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        events,
        vec![
            ("cart", 4_494),
            ("favourite", 2_351),
            ("purchase", 1_749),
            ("view", 75_693)
        ]
    );
    assert_eq!(taobao.raw_events.get("pv"), Some(&75_693));

    let rees = load(&dir.join("rees46-ecommerce-behavior-sample/2019-Oct_head.csv"))
        .unwrap()
        .profile;
    assert_eq!(rees.events.get("view"), Some(&17_045));
    assert_eq!(rees.events.get("purchase"), Some(&214));
    assert_eq!(rees.events.get("cart"), Some(&165));
    assert_eq!(rees.time_min.as_deref(), Some("2019-10-01T00:00:00Z"));
    assert_eq!(rees.time_max.as_deref(), Some("2019-10-01T02:49:59Z"));
    let funnel = rees.funnel.expect("funnel");
    assert_eq!(funnel.steps[0].event, "view");
    assert!(funnel.steps[1].users <= funnel.steps[0].users);
}

#[test]
fn movielens_times_and_ratings_match_source() {
    let Some(dir) = shared_data() else { return };
    let p = load(&dir.join("movielens-100k/u.data")).unwrap().profile;
    assert_eq!(p.time_min.as_deref(), Some("1997-09-20T03:05:10Z"));
    assert_eq!(p.time_max.as_deref(), Some("1998-04-22T23:10:38Z"));
    let ratings = p.ratings.expect("ratings");
    let counts: Vec<u64> = ratings.histogram.iter().map(|(_, c)| *c).collect();
    assert_eq!(counts, vec![6_110, 11_370, 27_145, 34_174, 21_201]);
    assert!((p.density.unwrap() - 100_000.0 / (943.0 * 1682.0)).abs() < 1e-9);
}

#[test]
fn online_retail_is_cleaned_by_default() {
    let Some(dir) = shared_data() else { return };
    let p = load(&dir.join("uci-online-retail/OnlineRetail.csv.gz"))
        .unwrap()
        .profile;
    let c = p.cleaning.expect("cleaning report");
    assert_eq!(c.rows_before, 541_909);
    assert_eq!(c.no_customer, 135_080);
    assert_eq!(c.cancelled_invoice, 9_288);
    assert_eq!(c.quantity_not_positive, 10_624);
    // The well-known cleaned figures: 397,884 rows, 4,338 customers, 3,665 items.
    assert_eq!(
        (c.rows_after, c.users_after, c.items_after),
        (397_884, 4_338, 3_665)
    );
    assert_eq!(p.events.get("purchase"), Some(&397_884));
    assert!(p.revenue.unwrap() > 8_000_000.0);
}

#[test]
fn review_files_have_text_labels_and_ratings() {
    let Some(dir) = shared_data() else { return };
    let sentences = load(&dir.join("uci-sentiment-labelled-sentences/imdb_labelled.txt"))
        .unwrap()
        .profile;
    let labels = sentences.labels.expect("labels");
    assert_eq!((labels.get("0"), labels.get("1")), (Some(&500), Some(&500)));
    let shopping = load(&dir.join("online-shopping-10-cats/online_shopping_10_cats.csv"))
        .unwrap()
        .profile;
    let labels = shopping.labels.expect("labels");
    assert_eq!(
        (labels.get("1"), labels.get("0")),
        (Some(&31_728), Some(&31_046))
    );
    assert_eq!(shopping.reviews, Some(62_773), "one review is empty");
    let alexa = load(&dir.join("amazon-alexa-reviews/amazon_alexa.tsv"))
        .unwrap()
        .profile;
    let stars: Vec<u64> = alexa
        .ratings
        .expect("ratings")
        .histogram
        .iter()
        .map(|(_, c)| *c)
        .collect();
    assert_eq!(stars, vec![161, 96, 152, 455, 2_286]);
    let fashion = load(&dir.join("amazon-fashion-5core/AMAZON_FASHION_5.json.gz"))
        .unwrap()
        .profile;
    assert_eq!(fashion.reviews, Some(3_176 - 16));
    assert_eq!(fashion.time_min.as_deref(), Some("2009-12-25T00:00:00Z"));
}
