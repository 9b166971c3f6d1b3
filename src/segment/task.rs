//! Segments' entry points. [`Customers::build`] scores every customer (RFM,
//! engagement) once per loaded file; a [`KMeansRequest`] goes through
//! fingerprint → scaling → k-means → silhouette, map and profiles → run
//! record, for the Segments tab, the Runs tab's sweeps, `shoplens segment`,
//! `shoplens sweep --model kmeans` and the tests alike; [`scan`] fits a range
//! of k for the elbow and silhouette curves.

use std::sync::Arc;
use std::time::Instant;

use super::clusters::{
    fit_kmeans, pca_2d, profiles, scale, scan_k, silhouette, silhouette_sample, KMeansParams,
    ScanPoint,
};
use super::engagement::{engagement, Engagement};
use super::features::{customer_table, CustomerTable, Feature};
use super::rfm::{rfm, Rfm};
use super::SegmentFit;
use crate::data::catalogue::Catalogue;
use crate::data::Dataset;
use crate::params::Hyperparams;
use crate::runs::{DataFingerprint, Fitted, Fitting, Pipeline, RunRecord};
use crate::task::{EpochEvent, Partial, Reporter, TaskError};

/// Customers drawn on the map (a fixed seeded sample beyond this).
pub const MAP_POINTS: usize = 10_000;

/// Every customer of one loaded file with their features, RFM segment and
/// the file's engagement figures.
pub struct Customers {
    pub dataset: Arc<Dataset>,
    pub table: CustomerTable,
    pub rfm: Result<Rfm, String>,
    pub engagement: Result<Engagement, String>,
}

impl Customers {
    /// Score the customers of `dataset` (item categories from an
    /// `items.csv` beside it, when there is one).
    pub fn build(dataset: Arc<Dataset>, reporter: &Reporter) -> Result<Customers, TaskError> {
        reporter.progress(None, "scoring customers");
        let catalogue = Catalogue::beside(&dataset.path);
        let table = customer_table(&dataset, catalogue.as_ref(), None)?;
        reporter.check()?;
        let rfm = rfm(&table).map_err(|e| e.to_string());
        let engagement = engagement(&dataset).map_err(|e| e.to_string());
        Ok(Customers {
            dataset,
            table,
            rfm,
            engagement,
        })
    }

    /// Score `dataset`'s customers as side data: what k-means needs first
    /// (kept for the loaded file by the workbench).
    pub fn prepare(dataset: &Arc<Dataset>, reporter: &Reporter) -> Result<Partial, TaskError> {
        Ok(Arc::new(Customers::build(Arc::clone(dataset), reporter)?))
    }

    /// The features of `wanted` this data has, or (when none) its first three.
    pub fn usable(&self, wanted: &[Feature]) -> Vec<Feature> {
        let mut features: Vec<Feature> = wanted
            .iter()
            .copied()
            .filter(|f| self.table.get(*f).is_some())
            .collect();
        if features.is_empty() {
            features = self.table.available().into_iter().take(3).collect();
        }
        features
    }
}

/// Everything one k-means run needs.
#[derive(Clone)]
pub struct KMeansRequest {
    pub customers: Arc<Customers>,
    pub features: Vec<Feature>,
    pub params: KMeansParams,
}

impl Pipeline for KMeansRequest {
    // No inputs: the customer table is built once per file by
    // [`Customers::build`]; scaling depends on the parameters.
    crate::pipeline_items!(kind: super::KIND, params: KMeansParams, inputs: (), model: SegmentFit, dataset: customers.dataset);

    fn attempt(&self, data: DataFingerprint) -> RunRecord {
        attempt_record(&self.params, &self.features, data)
    }

    fn inputs(&self, _reporter: &Reporter) -> Result<(), TaskError> {
        Ok(())
    }

    fn fit(&self, f: &Fitting<Self>) -> Fitted<Self> {
        let table = &self.customers.table;
        f.reporter
            .progress(None, &format!("k-means with k = {}", f.params.k));
        let scaled = scale(table, &self.features, f.params)?;
        let started = Instant::now();
        let clustering = fit_kmeans(&scaled, f.params, f.reporter.cancel_token())?;
        let fit_secs = started.elapsed().as_secs_f64();
        f.reporter.progress(None, "silhouette and map");
        let sample = silhouette_sample(table.len(), f.params.seed);
        let silhouette = silhouette(&scaled.x, &clustering.labels, clustering.k, &sample);
        let projection = pca_2d(&scaled)?;
        let shown = map_sample(table.len(), f.params.seed);
        let map = shown
            .iter()
            .map(|&i| [projection[[i, 0]], projection[[i, 1]]])
            .collect();
        let fit = SegmentFit {
            features: self.features.clone(),
            params: (**f.params).clone(),
            profiles: profiles(table, &scaled, &clustering),
            clustering,
            silhouette,
            map,
            shown,
            fit_secs,
            data: f.data.clone(),
        };
        Ok((record(&fit), fit))
    }
}

/// Fit every k in `ks` on `features`; each point is reported as an epoch
/// (epoch = k, loss = inertia, metric = silhouette) as it arrives.
pub fn scan(
    customers: &Customers,
    features: &[Feature],
    params: &KMeansParams,
    ks: std::ops::RangeInclusive<usize>,
    reporter: &Reporter,
) -> Result<Vec<ScanPoint>, TaskError> {
    let params = params.clone().checked().map_err(TaskError::Params)?;
    let scaled = scale(&customers.table, features, &params)?;
    let (from, to) = (*ks.start(), *ks.end());
    scan_k(&scaled, ks, &params, reporter.cancel_token(), &|p| {
        reporter.progress(
            Some((p.k + 1 - from) as f32 / (to + 1 - from).max(1) as f32),
            &format!("k = {} done", p.k),
        );
        reporter.epoch(EpochEvent {
            epoch: p.k,
            loss: p.inertia,
            metric: Some(("silhouette".into(), p.silhouette)),
            secs: 0.0,
        });
    })
}

/// A k-means run before (or without) a result.
pub fn attempt_record(
    params: &KMeansParams,
    features: &[Feature],
    data: DataFingerprint,
) -> RunRecord {
    let mut r = RunRecord::for_params(
        super::KIND,
        "kmeans",
        params,
        params.seed,
        "silhouette on a seeded sample of ≤ 5,000 customers".into(),
        data,
    );
    r.params.insert(
        "features".into(),
        features
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join("+")
            .into(),
    );
    r
}

/// The record of a k-means run that finished.
pub fn record(fit: &SegmentFit) -> RunRecord {
    let mut r = attempt_record(&fit.params, &fit.features, fit.data.clone());
    r.metrics.insert("inertia".into(), fit.clustering.inertia);
    if fit.silhouette.is_finite() {
        r.metrics.insert("silhouette".into(), fit.silhouette);
    }
    r.metrics.insert(
        "smallest_cluster".into(),
        fit.clustering.sizes.iter().copied().min().unwrap_or(0) as f64,
    );
    r.fit_secs = fit.fit_secs;
    r
}

/// The customers drawn on the map: all, or a fixed seeded sample.
fn map_sample(n: usize, seed: u64) -> Vec<usize> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut rows: Vec<usize> = (0..n).collect();
    if n > MAP_POINTS {
        rows.shuffle(&mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(
            seed ^ 0x5eed,
        ));
        rows.truncate(MAP_POINTS);
        rows.sort_unstable();
    }
    rows
}
