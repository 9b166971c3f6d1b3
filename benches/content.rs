//! Content similarity of a 50,000-item catalogue: the items.csv of a
//! generated store (name, category, price), TF-IDF of the names (words and
//! bigrams) plus category and price band, then every item's 20 most similar
//! items on 2 threads. Reports build and all-pairs times, throughput and
//! peak memory.
//!
//! `cargo bench --bench content`.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use shoplens::data::catalogue::Catalogue;
use shoplens::data::{load_dataset, LoadOptions};
use shoplens::recsys::content::{ContentIndex, ItemAttributes};
use shoplens::recsys::matrix::Interactions;
use shoplens::task::CancelToken;

const ITEMS: usize = 50_000;
const K: usize = 20;

fn catalogue_file() -> PathBuf {
    let dir = std::env::temp_dir().join("shoplens-bench-content");
    let path = dir.join("items.csv");
    if !path.exists() {
        let params = shoplens::data::generate::GenerateParams {
            users: 2_000,
            items: ITEMS,
            events: 50_000,
            seed: 3,
            out: dir,
            image_dir: None,
        };
        shoplens::data::generate::generate(&params, &|_, _| {}).expect("generate");
    }
    path
}

fn main() {
    let path = catalogue_file();
    let cancel = CancelToken::new();
    let ds = load_dataset(&path, &LoadOptions::default(), &cancel, &|_, _| {}).expect("load");
    let catalogue = Catalogue::load(&path).expect("catalogue");
    let mut labels: Vec<String> = catalogue.items.keys().cloned().collect();
    labels.sort();
    let mut data = Interactions {
        item_labels: labels,
        ..Default::default()
    };
    data.fill_categories(&catalogue);
    let attributes = ItemAttributes::from_dataset(&ds, &data).expect("attributes");
    let pool = shoplens::task::thread_pool(2).expect("pool");
    let started = Instant::now();
    let index = pool
        .install(|| ContentIndex::build(&data, &attributes, &cancel))
        .expect("build")
        .expect("content");
    let build_secs = started.elapsed().as_secs_f64();
    let build_peak = common::peak_mb();
    let started = Instant::now();
    let all = pool
        .install(|| index.all_similar(K, &cancel))
        .expect("similar");
    let all_secs = started.elapsed().as_secs_f64();
    let with_neighbours = all.iter().filter(|v| !v.is_empty()).count();
    println!(
        "{} items ({} features): vectors {build_secs:.2} s; top-{K} similar items of every item {all_secs:.2} s on 2 threads ({:.0} items/s); {with_neighbours} items have neighbours; peak {build_peak:.0} MB after the vectors, {:.0} MB at the end",
        index.n_items(),
        index.features.len(),
        index.n_items() as f64 / all_secs.max(1e-9),
        common::peak_mb()
    );
}
