//! Sweeps planned once in the core: settings expanded from lists and
//! ranges, checked before anything runs, conditional parameters swept under
//! the value they need, fixed parameters held, runs ranked.

use serde_json::Value;
use shoplens::recsys::params::{AlsParams, ModelParams};
use shoplens::runs::sweep::{expand, parse_list, parse_range, rank, Range, SweepSpec};
use shoplens::runs::RunRecord;

#[test]
fn parses_lists_and_ranges() {
    let (n, v) = parse_list("factors=16, 32,64").unwrap();
    assert_eq!(n, "factors");
    assert_eq!(v, vec![Value::from(16), Value::from(32), Value::from(64)]);
    let (_, v) = parse_list("similarity=cosine,bm25").unwrap();
    assert_eq!(v[1], Value::from("bm25"));
    let (n, r) = parse_range("regularization=0.001..0.1:log").unwrap();
    assert_eq!(n, "regularization");
    assert_eq!(
        r,
        Range {
            lo: 0.001,
            hi: 0.1,
            log: true
        }
    );
    assert!(parse_range("reg=0..1:log").is_err());
    assert!(parse_range("reg=2..1").is_err());
    assert!(parse_list("=1,2").is_err());
    assert!(parse_list("factors").is_err());
}

#[test]
fn grid_runs_every_combination_first_list_slowest() {
    let base = ModelParams::Als(AlsParams::default());
    let spec = SweepSpec {
        lists: vec![
            parse_list("factors=8,16").unwrap(),
            parse_list("regularization=0.01,0.1").unwrap(),
        ],
        ..Default::default()
    };
    let runs = expand(&base, &spec).unwrap();
    let pairs: Vec<(usize, f32)> = runs
        .iter()
        .map(|p| match p {
            ModelParams::Als(a) => (a.factors, a.regularization),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(pairs, vec![(8, 0.01), (8, 0.1), (16, 0.01), (16, 0.1)]);
}

#[test]
fn random_search_is_seeded_rounds_integers_and_stays_in_range() {
    let base = ModelParams::Als(AlsParams::default());
    let spec = SweepSpec {
        ranges: vec![
            parse_range("factors=4..64").unwrap(),
            parse_range("regularization=0.001..0.1:log").unwrap(),
        ],
        random: Some(20),
        ..Default::default()
    };
    let a = expand(&base, &spec).unwrap();
    assert_eq!(a, expand(&base, &spec).unwrap());
    for p in &a {
        let ModelParams::Als(p) = p else { panic!() };
        assert!((4..=64).contains(&p.factors));
        assert!((0.001..=0.1).contains(&p.regularization));
    }
    let other = expand(
        &base,
        &SweepSpec {
            seed: 7,
            ..spec.clone()
        },
    )
    .unwrap();
    assert_ne!(a, other);
}

#[test]
fn bad_sweeps_are_refused_with_a_reason() {
    let base = ModelParams::Als(AlsParams::default());
    let err = |spec: SweepSpec| expand(&base, &spec).unwrap_err();
    let list = |s: &str| parse_list(s).unwrap();
    assert!(err(SweepSpec::default()).contains("at least one"));
    assert!(err(SweepSpec {
        lists: vec![list("nope=1,2")],
        ..Default::default()
    })
    .contains("no parameter 'nope'"));
    assert!(err(SweepSpec {
        lists: vec![list("factors=0,8")],
        ..Default::default()
    })
    .contains("factors must be between"));
    assert!(err(SweepSpec {
        lists: vec![list("factors=1,2,3,4,5,6,7,8")],
        cap: 4,
        ..Default::default()
    })
    .contains("above the cap"));
    assert!(err(SweepSpec {
        ranges: vec![parse_range("alpha=1..2").unwrap()],
        ..Default::default()
    })
    .contains("random search"));
    assert!(err(SweepSpec {
        lists: vec![list("alpha=1,2"), list("alpha=3")],
        ..Default::default()
    })
    .contains("twice"));
    assert!(err(SweepSpec {
        lists: vec![list("factors=cosine")],
        ..Default::default()
    })
    .contains("not accepted"));
    assert!(err(SweepSpec {
        lists: vec![list("reg=0.1"), list("regularization=0.2")],
        ..Default::default()
    })
    .contains("twice"));
}

#[test]
fn short_names_sweep_like_long_ones() {
    let base = ModelParams::Als(AlsParams::default());
    let short = SweepSpec {
        lists: vec![parse_list("reg=0.01,0.1").unwrap()],
        ..Default::default()
    };
    let long = SweepSpec {
        lists: vec![parse_list("regularization=0.01,0.1").unwrap()],
        ..Default::default()
    };
    assert_eq!(
        expand(&base, &short).unwrap(),
        expand(&base, &long).unwrap()
    );
}

#[test]
fn ranking_puts_the_best_first_and_unfinished_runs_last() {
    let record = |m: Option<f64>| {
        let mut r = RunRecord::new(shoplens::recsys::KIND, "als", Default::default());
        if let Some(v) = m {
            r.metrics.insert("ndcg@10".into(), v);
        }
        r
    };
    let rows = vec![
        record(Some(0.1)),
        record(None),
        record(Some(0.3)),
        record(Some(0.1)),
    ];
    assert_eq!(rank(&rows, "ndcg@10"), vec![2, 0, 3, 1]);
}
