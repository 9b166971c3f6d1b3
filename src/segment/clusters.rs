//! k-means customer clusters (linfa-clustering), k selection, profiles and a
//! 2-D PCA map (linfa-reduction).
//!
//! - Scaling (default): log1p of each feature, then z-score with the
//!   *population* standard deviation (divide by n), as scikit-learn's
//!   `StandardScaler`.
//! - k-means++ seeding; `n_init` runs, run r seeded with `seed + r`; the run with
//!   the lowest inertia wins. A run stops when the centroids' total squared
//!   shift is ≤ 1e-4 × the mean feature variance (scikit-learn's default) or
//!   after `max_iter` iterations. Inertia is the textbook sum over customers of the
//!   squared Euclidean distance to their final centroid (scikit-learn's
//!   `inertia_`), recomputed from the final centroids.
//! - Silhouette: mean over a fixed seeded sample of at most 5,000 customers of
//!   (b − a) / max(a, b), a = mean distance to the other members of its own
//!   cluster, b = lowest mean distance to another cluster, both within the
//!   sample; 0 for a customer alone in its cluster (scikit-learn's convention).

use linfa::prelude::*;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_reduction::Pca;
use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::features::{CustomerTable, Feature};
use super::SegmentError;
use crate::params::{slider, Checked, Hyperparams, ParamKind, ParamSpec};
use crate::task::CancelToken;

pub const SILHOUETTE_SAMPLE: usize = 5_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KMeansParams {
    pub k: usize,
    pub n_init: usize,
    pub max_iter: u64,
    pub seed: u64,
    pub log1p: bool,
    pub zscore: bool,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self {
            k: 4,
            n_init: 10,
            max_iter: 300,
            seed: 42,
            log1p: true,
            zscore: true,
        }
    }
}

const KMEANS_SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "k",
        "k",
        "Number of clusters; the elbow and silhouette curves help choose",
        ParamKind::Int { min: 2, max: None },
        slider(2.0, 20.0),
    )
    .sweep("3,4,5"),
    ParamSpec::new(
        "n_init",
        "inits",
        "k-means runs from different k-means++ seeds; the lowest inertia wins",
        ParamKind::Int { min: 1, max: None },
        slider(1.0, 50.0),
    ),
    ParamSpec::new(
        "max_iter",
        "max iterations",
        "Lloyd iterations per run at most",
        ParamKind::Int { min: 1, max: None },
        slider(1.0, 1000.0),
    )
    .advanced(),
    ParamSpec::new(
        "log1p",
        "log1p",
        "Compress long tails (a few huge spenders) before scaling",
        ParamKind::Bool,
        None,
    ),
    ParamSpec::new(
        "zscore",
        "z-score",
        "Give every feature mean 0 and (population) standard deviation 1",
        ParamKind::Bool,
        None,
    ),
];

impl Hyperparams for KMeansParams {
    fn specs(&self) -> &'static [ParamSpec] {
        KMEANS_SPECS
    }

    fn title(&self) -> &'static str {
        "k-means"
    }
}

/// The scaled feature matrix and how it was scaled (to map centroids back).
#[derive(Clone, Debug)]
pub struct Scaled {
    pub features: Vec<Feature>,
    pub x: Array2<f64>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// Scale the chosen features; constant features are refused (they cannot
/// separate anyone and would divide by zero).
pub fn scale(
    table: &CustomerTable,
    features: &[Feature],
    params: &KMeansParams,
) -> Result<Scaled, SegmentError> {
    if features.is_empty() {
        return Err(SegmentError::Input(
            "choose at least one feature to cluster on".into(),
        ));
    }
    let n = table.len();
    let mut x = Array2::<f64>::zeros((n, features.len()));
    let mut mean = Vec::new();
    let mut std = Vec::new();
    for (j, &f) in features.iter().enumerate() {
        let column = table.get(f).ok_or_else(|| {
            SegmentError::Input(format!(
                "feature '{}' is not available in this data (available: {})",
                f.name(),
                table
                    .available()
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let values: Vec<f64> = column
            .iter()
            .map(|&v| {
                let v = if v.is_finite() { v } else { 0.0 };
                if params.log1p {
                    // Refunds can make spend negative; log1p needs v > −1.
                    v.max(0.0).ln_1p()
                } else {
                    v
                }
            })
            .collect();
        let m = values.iter().sum::<f64>() / n.max(1) as f64;
        let sd = (values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n.max(1) as f64).sqrt();
        if sd <= 1e-12 * m.abs().max(1.0) {
            return Err(SegmentError::Input(format!(
                "feature '{}' is the same for every customer ({}), so it cannot separate them; remove it from the features",
                f.name(),
                column.first().copied().unwrap_or_default()
            )));
        }
        let (shift, divide) = if params.zscore { (m, sd) } else { (0.0, 1.0) };
        for (i, v) in values.iter().enumerate() {
            x[[i, j]] = (v - shift) / divide;
        }
        mean.push(shift);
        std.push(divide);
    }
    Ok(Scaled {
        features: features.to_vec(),
        x,
        mean,
        std,
    })
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Clustering {
    pub k: usize,
    pub labels: Vec<usize>,
    /// Centroids in the scaled space.
    #[serde(with = "array2")]
    pub centroids: Array2<f64>,
    pub inertia: f64,
    pub sizes: Vec<usize>,
}

/// `Array2<f64>` as `{rows, cols, data}` (ndarray's own serde support is a
/// feature we do not otherwise need).
mod array2 {
    use ndarray::Array2;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Flat {
        rows: usize,
        cols: usize,
        data: Vec<f64>,
    }

    pub fn serialize<S: Serializer>(a: &Array2<f64>, s: S) -> Result<S::Ok, S::Error> {
        Flat {
            rows: a.nrows(),
            cols: a.ncols(),
            data: a.iter().copied().collect(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array2<f64>, D::Error> {
        let f = Flat::deserialize(d)?;
        Array2::from_shape_vec((f.rows, f.cols), f.data).map_err(serde::de::Error::custom)
    }
}

fn squared_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Lloyd iterations from `centroids` until the total squared centroid shift is
/// ≤ `shift_tolerance` or `max_iter` iterations; then the final assignment.
/// A cluster that loses all its members keeps its previous centroid.
fn lloyd(x: &Array2<f64>, mut centroids: Array2<f64>, max_iter: u64, shift_tolerance: f64) -> Run {
    let (n, d) = x.dim();
    let k = centroids.nrows();
    let rows: Vec<f64> = x.iter().copied().collect(); // row-major, contiguous
    let nearest = |row: &[f64], c: &[f64]| -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (j, centre) in c.chunks_exact(d).enumerate() {
            let dist: f64 = row.iter().zip(centre).map(|(a, b)| (a - b) * (a - b)).sum();
            if dist < best.1 {
                best = (j, dist);
            }
        }
        best
    };
    let mut c: Vec<f64> = centroids.iter().copied().collect();
    let mut sums = vec![0.0f64; k * d];
    let mut counts = vec![0usize; k];
    for _ in 0..max_iter {
        sums.iter_mut().for_each(|v| *v = 0.0);
        counts.iter_mut().for_each(|v| *v = 0);
        for row in rows.chunks_exact(d) {
            let (j, _) = nearest(row, &c);
            counts[j] += 1;
            for (s, v) in sums[j * d..(j + 1) * d].iter_mut().zip(row) {
                *s += v;
            }
        }
        let mut shift = 0.0;
        for j in 0..k {
            if counts[j] == 0 {
                continue;
            }
            for t in 0..d {
                let new = sums[j * d + t] / counts[j] as f64;
                shift += (new - c[j * d + t]) * (new - c[j * d + t]);
                c[j * d + t] = new;
            }
        }
        if shift <= shift_tolerance {
            break;
        }
    }
    let mut labels = Vec::with_capacity(n);
    let mut inertia = 0.0;
    for row in rows.chunks_exact(d) {
        let (j, dist) = nearest(row, &c);
        labels.push(j);
        inertia += dist;
    }
    for (dst, src) in centroids.iter_mut().zip(&c) {
        *dst = *src;
    }
    (centroids, labels, inertia)
}

/// One k-means run: centroids, labels, inertia.
type Run = (Array2<f64>, Vec<usize>, f64);

/// k-means with `n_init` seeded k-means++ runs (cancellable between runs).
pub fn fit_kmeans(
    scaled: &Scaled,
    params: &Checked<KMeansParams>,
    cancel: &CancelToken,
) -> Result<Clustering, SegmentError> {
    let n = scaled.x.nrows();
    if n < params.k {
        return Err(SegmentError::Input(format!(
            "only {n} customers for k = {} clusters; choose k ≤ {n}",
            params.k
        )));
    }
    let dataset = DatasetBase::from(scaled.x.clone());
    // scikit-learn's stopping rule: the centroids' total squared shift ≤ 1e-4 ×
    // the mean feature variance (linfa compares the shift's norm, hence √).
    let mean_variance = scaled
        .x
        .var_axis(Axis(0), 0.0)
        .mean()
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    let tolerance = (1e-4 * mean_variance).sqrt();
    // The runs are independent (run r is seeded with seed + r), so they run in
    // parallel; the lowest inertia wins, ties to the earlier run: deterministic.
    let runs: Vec<Result<Run, SegmentError>> = (0..params.n_init)
        .into_par_iter()
        .map(|run| {
            cancel.check()?;
            let rng =
                rand_xoshiro::Xoshiro256Plus::seed_from_u64(params.seed.wrapping_add(run as u64));
            // linfa-clustering seeds the run (k-means++) and takes the first
            // step; the remaining Lloyd iterations run in `lloyd` below, a tight
            // loop over contiguous rows: linfa's per-row ndarray updates made
            // the whole fit 1.3× slower than scikit-learn's on Online Retail.
            let seeded = KMeans::params_with_rng(params.k, rng)
                .n_runs(1)
                .max_n_iterations(1)
                .tolerance(tolerance)
                .init_method(KMeansInit::KMeansPlusPlus)
                .fit(&dataset)
                .map_err(|e| SegmentError::Input(format!("k-means failed: {e}")))?;
            let (centroids, labels, inertia) = lloyd(
                &scaled.x,
                seeded.centroids().clone(),
                params.max_iter.saturating_sub(1),
                tolerance * tolerance,
            );
            Ok((centroids, labels, inertia))
        })
        .collect();
    let mut best: Option<Run> = None;
    for run in runs {
        let run = run?;
        if best.as_ref().is_none_or(|b| run.2 < b.2) {
            best = Some(run);
        }
    }
    let Some((centroids, labels, inertia)) = best else {
        return Err(SegmentError::Input("k-means produced no result".into()));
    };
    let mut sizes = vec![0usize; params.k];
    for &l in &labels {
        sizes[l] += 1;
    }
    Ok(Clustering {
        k: params.k,
        labels,
        centroids,
        inertia,
        sizes,
    })
}

/// The fixed sample the silhouette is computed on (same for every k).
pub fn silhouette_sample(n: usize, seed: u64) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n).collect();
    if n > SILHOUETTE_SAMPLE {
        rows.shuffle(&mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed));
        rows.truncate(SILHOUETTE_SAMPLE);
        rows.sort_unstable();
    }
    rows
}

/// Mean silhouette of `sample` rows under `labels` (see the module docs).
pub fn silhouette(x: &Array2<f64>, labels: &[usize], k: usize, sample: &[usize]) -> f64 {
    let mut sizes = vec![0usize; k];
    for &i in sample {
        sizes[labels[i]] += 1;
    }
    let scores: Vec<f64> = sample
        .par_iter()
        .map(|&i| {
            let own = labels[i];
            if sizes[own] <= 1 {
                return 0.0;
            }
            let mut sums = vec![0.0f64; k];
            let row = x.row(i);
            for &j in sample {
                if j != i {
                    sums[labels[j]] += squared_distance(row, x.row(j)).sqrt();
                }
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && sizes[c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if !b.is_finite() {
                return 0.0;
            }
            let denominator = a.max(b);
            if denominator > 0.0 {
                (b - a) / denominator
            } else {
                0.0
            }
        })
        .collect();
    scores.iter().sum::<f64>() / scores.len().max(1) as f64
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanPoint {
    pub k: usize,
    pub inertia: f64,
    pub silhouette: f64,
}

/// Fit every k in `ks`; `on_point` sees each result as it arrives.
pub fn scan_k(
    scaled: &Scaled,
    ks: std::ops::RangeInclusive<usize>,
    params: &Checked<KMeansParams>,
    cancel: &CancelToken,
    on_point: &dyn Fn(ScanPoint),
) -> Result<Vec<ScanPoint>, SegmentError> {
    let sample = silhouette_sample(scaled.x.nrows(), params.seed);
    let mut points = Vec::new();
    for k in ks {
        if k > scaled.x.nrows() {
            break;
        }
        let p = KMeansParams {
            k,
            ..(**params).clone()
        }
        .checked()
        .map_err(SegmentError::Params)?;
        let c = fit_kmeans(scaled, &p, cancel)?;
        let point = ScanPoint {
            k,
            inertia: c.inertia,
            silhouette: silhouette(&scaled.x, &c.labels, k, &sample),
        };
        on_point(point);
        points.push(point);
    }
    Ok(points)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterProfile {
    pub cluster: usize,
    pub size: usize,
    pub share: f64,
    /// Mean of every clustered feature in original units, in feature order.
    pub means: Vec<(Feature, f64)>,
    pub description: String,
}

/// Per-cluster means in original units and a plain-words description from the
/// centroid's standardised coordinates (beyond ±0.25 sd counts as high/low).
pub fn profiles(
    table: &CustomerTable,
    scaled: &Scaled,
    clustering: &Clustering,
) -> Vec<ClusterProfile> {
    let n = table.len().max(1) as f64;
    (0..clustering.k)
        .map(|c| {
            let members: Vec<usize> = (0..table.len())
                .filter(|&i| clustering.labels[i] == c)
                .collect();
            let means = scaled
                .features
                .iter()
                .map(|&f| {
                    let v = table.get(f).unwrap_or_default();
                    let m =
                        members.iter().map(|&i| v[i]).sum::<f64>() / members.len().max(1) as f64;
                    (f, m)
                })
                .collect();
            // Mean of the member's scaled values per feature (a z-score when scaled).
            let z: Vec<f64> = (0..scaled.features.len())
                .map(|j| {
                    members.iter().map(|&i| scaled.x[[i, j]]).sum::<f64>()
                        / members.len().max(1) as f64
                })
                .collect();
            ClusterProfile {
                cluster: c,
                size: members.len(),
                share: members.len() as f64 / n,
                means,
                description: describe(&scaled.features, &z),
            }
        })
        .collect()
}

fn describe(features: &[Feature], z: &[f64]) -> String {
    let words = |f: Feature| -> (&'static str, &'static str) {
        match f {
            Feature::Recency => ("lapsed", "recent"),
            Feature::Frequency => ("frequent", "one-off"),
            Feature::Monetary => ("high spend", "low spend"),
            Feature::Views => ("many views", "few views"),
            Feature::Carts => ("many carts", "few carts"),
            Feature::Purchases => ("many purchases", "few purchases"),
            Feature::ConversionRate => ("converts well", "rarely converts"),
            Feature::ActiveDays => ("often active", "seldom active"),
            Feature::Categories => ("broad tastes", "narrow tastes"),
            Feature::AverageBasket => ("big baskets", "small baskets"),
        }
    };
    let parts: Vec<&str> = features
        .iter()
        .zip(z)
        .filter_map(|(&f, &z)| {
            let (high, low) = words(f);
            if z > 0.25 {
                Some(high)
            } else if z < -0.25 {
                Some(low)
            } else {
                None
            }
        })
        .collect();
    if parts.is_empty() {
        "average on every feature".into()
    } else {
        parts.join(", ")
    }
}

/// First two principal components of the scaled features (a single feature
/// is shown against zero).
pub fn pca_2d(scaled: &Scaled) -> Result<Array2<f64>, SegmentError> {
    let d = scaled.x.ncols();
    if d < 2 {
        let mut out = Array2::zeros((scaled.x.nrows(), 2));
        out.column_mut(0).assign(&scaled.x.column(0));
        return Ok(out);
    }
    let dataset = DatasetBase::from(scaled.x.clone());
    let pca = Pca::params(2)
        .fit(&dataset)
        .map_err(|e| SegmentError::Input(format!("PCA failed: {e}")))?;
    Ok(pca.predict(&scaled.x))
}

/// Centroids mapped back to the original units (inverse of the scaling).
pub fn centroid_means(scaled: &Scaled, clustering: &Clustering, log1p: bool) -> Array2<f64> {
    let mut out = clustering.centroids.clone();
    for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
        col.mapv_inplace(|z| {
            let v = z * scaled.std[j] + scaled.mean[j];
            if log1p {
                v.exp_m1()
            } else {
                v
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: Vec<(Feature, Vec<f64>)>) -> CustomerTable {
        let n = columns[0].1.len();
        CustomerTable {
            ids: (0..n).map(|i| i.to_string()).collect(),
            revenue: vec![0.0; n],
            columns,
            ..Default::default()
        }
    }

    #[test]
    fn scaling_uses_log1p_and_the_population_sd() {
        let t = table(vec![(Feature::Frequency, vec![0.0, (1f64).exp_m1()])]);
        let s = scale(&t, &[Feature::Frequency], &KMeansParams::default()).unwrap();
        // log1p → 0 and 1; mean 0.5, population sd 0.5 → −1, +1.
        assert!((s.x[[0, 0]] + 1.0).abs() < 1e-12 && (s.x[[1, 0]] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn constant_features_are_refused() {
        let t = table(vec![(Feature::Frequency, vec![3.0; 5])]);
        let e = scale(&t, &[Feature::Frequency], &KMeansParams::default()).unwrap_err();
        assert!(e.to_string().contains("same for every customer"), "{e}");
    }

    #[test]
    fn two_obvious_groups_are_found_with_a_high_silhouette() {
        let mut f = Vec::new();
        let mut m = Vec::new();
        for i in 0..40 {
            let big = i % 2 == 0;
            f.push(if big {
                50.0 + i as f64
            } else {
                1.0 + (i % 3) as f64
            });
            m.push(if big {
                5_000.0 + i as f64
            } else {
                10.0 + i as f64
            });
        }
        let t = table(vec![(Feature::Frequency, f), (Feature::Monetary, m)]);
        let params = KMeansParams {
            k: 2,
            ..Default::default()
        }
        .checked()
        .unwrap();
        let s = scale(&t, &[Feature::Frequency, Feature::Monetary], &params).unwrap();
        let c = fit_kmeans(&s, &params, &CancelToken::new()).unwrap();
        assert_eq!(c.sizes.iter().sum::<usize>(), 40);
        assert!(c.labels.iter().step_by(2).all(|&l| l == c.labels[0]));
        assert!(c
            .labels
            .iter()
            .skip(1)
            .step_by(2)
            .all(|&l| l != c.labels[0]));
        let sample = silhouette_sample(40, 1);
        assert!(silhouette(&s.x, &c.labels, 2, &sample) > 0.8);
        let p = profiles(&t, &s, &c);
        let big = &p[c.labels[0]];
        assert!(
            big.description.contains("frequent") && big.description.contains("high spend"),
            "{}",
            big.description
        );
        // Same seed, same result.
        let again = fit_kmeans(&s, &params, &CancelToken::new()).unwrap();
        assert_eq!(again.labels, c.labels);
        assert_eq!(again.inertia, c.inertia);
    }

    #[test]
    fn silhouette_matches_a_hand_computed_case() {
        // Points 0, 1 in cluster 0; 4 in cluster 1 (alone → 0).
        let x = Array2::from_shape_vec((3, 1), vec![0.0, 1.0, 4.0]).unwrap();
        let s = silhouette(&x, &[0, 0, 1], 2, &[0, 1, 2]);
        // s0: a=1, b=4 → 0.75; s1: a=1, b=3 → 2/3; s2 = 0.
        assert!((s - (0.75 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }
}
