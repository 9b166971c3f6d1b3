//! Latent Dirichlet allocation by online variational Bayes (Hoffman, Blei &
//! Bach, NIPS 2010), step for step as scikit-learn's
//! `LatentDirichletAllocation(learning_method='online')`:
//!
//! - topic-word parameters λ start from Gamma(100, 1/100), drawn from numpy's
//!   `RandomState(seed)` stream as scikit-learn draws them; priors α = η = 1/k
//!   unless given;
//! - each pass goes through the documents in file order in mini-batches of
//!   `batch_size`; per document, γ starts from Gamma(100, 1/100) and is
//!   iterated (at most 100 times, until its mean absolute change is below
//!   0.001); the batch's sufficient statistics update λ with weight
//!   ρ = (τ₀ + t)^(−κ) (τ₀ = 10, κ = 0.7) scaled by n / batch size;
//! - perplexity is exp(−bound / word count), the bound being the evidence
//!   lower bound with γ re-estimated from a flat start (scikit-learn's
//!   `perplexity`).
//!
//! The documents of a mini-batch are estimated in parallel from starts
//! drawn beforehand in document order, and their statistics are added in
//! document order: the same seed gives the same topics on any number of
//! threads, and the same as scikit-learn's with `n_jobs=1`.

use rayon::prelude::*;

use super::corpus::Csr;
use super::legacy_random::LegacyRandom;
use crate::task::{CancelToken, TaskError};

/// Added to φ's normaliser so an all-zero row cannot divide by zero.
const EPS: f64 = f64::EPSILON;

#[derive(Clone, Debug, PartialEq)]
pub struct LdaSettings {
    pub k: usize,
    /// Passes over the data.
    pub max_iter: usize,
    pub batch_size: usize,
    pub learning_decay: f64,
    pub learning_offset: f64,
    pub max_doc_update_iter: usize,
    pub mean_change_tol: f64,
    pub seed: u64,
}

impl LdaSettings {
    pub fn new(k: usize, seed: u64) -> Self {
        Self {
            k,
            max_iter: 10,
            batch_size: 128,
            learning_decay: 0.7,
            learning_offset: 10.0,
            max_doc_update_iter: 100,
            mean_change_tol: 1e-3,
            seed,
        }
    }
}

pub struct LdaFit {
    /// k × vocabulary, row-major: λ (unnormalised topic-word weights).
    pub components: Vec<f64>,
    /// Documents × k, row-major: each row sums to 1 (uniform for an empty one).
    pub doc_topic: Vec<f64>,
    /// Documents × k, row-major: γ, the unnormalised document-topic
    /// parameters (α plus the expected words from each topic).
    pub doc_gamma: Vec<f64>,
    pub k: usize,
    pub perplexity: f64,
}

/// ψ(x), the digamma function: recurrence up to 6, then the asymptotic series.
pub fn digamma(mut x: f64) -> f64 {
    if x <= 1e-6 {
        // ψ(x) ≈ −1/x − γ near zero.
        return -1.0 / x - 0.577_215_664_901_532_9;
    }
    let mut result = 0.0;
    while x < 6.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / x;
    result += x.ln() - 0.5 * r;
    let r2 = r * r;
    result - r2 * (1.0 / 12.0 - r2 * (1.0 / 120.0 - r2 * (1.0 / 252.0)))
}

/// exp(E[log θ]) of each row of a row-major `rows × cols` Dirichlet parameter.
fn exp_dirichlet_expectation(param: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; param.len()];
    for (row, o) in param.chunks(cols).zip(out.chunks_mut(cols)) {
        let psi_total = digamma(row.iter().sum());
        o.par_chunks_mut(4096)
            .zip(row.par_chunks(4096))
            .for_each(|(o, p)| {
                for (o, &p) in o.iter_mut().zip(p) {
                    *o = (digamma(p) - psi_total).exp();
                }
            });
    }
    out
}

/// One document's variational step: γ, exp(E[log θ]) and φ's normaliser.
struct DocEstimate {
    gamma: Vec<f64>,
    exp_theta: Vec<f64>,
    norm_phi: Vec<f64>,
}

/// The topic-word weights of the document's words, topic by topic.
fn gather(exp_beta: &[f64], m: usize, k: usize, ids: &[u32]) -> Vec<f64> {
    let mut out = Vec::with_capacity(k * ids.len());
    for t in 0..k {
        let row = &exp_beta[t * m..(t + 1) * m];
        out.extend(ids.iter().map(|&j| row[j as usize]));
    }
    out
}

fn estimate_doc(
    cnts: &[f64],
    beta_d: &[f64],
    k: usize,
    alpha: f64,
    start: Option<&[f64]>,
    settings: &LdaSettings,
) -> DocEstimate {
    let len = cnts.len();
    let mut gamma: Vec<f64> = match start {
        Some(start) => start.to_vec(),
        None => vec![1.0; k],
    };
    let psi_total = digamma(gamma.iter().sum());
    let mut exp_theta: Vec<f64> = gamma
        .iter()
        .map(|&g| (digamma(g) - psi_total).exp())
        .collect();
    let mut norm_phi = vec![0.0; len];
    let normalise = |exp_theta: &[f64], norm_phi: &mut [f64]| {
        norm_phi.iter_mut().for_each(|v| *v = EPS);
        for t in 0..k {
            let e = exp_theta[t];
            for (v, &b) in norm_phi.iter_mut().zip(&beta_d[t * len..(t + 1) * len]) {
                *v += e * b;
            }
        }
    };
    let mut ratio = vec![0.0; len];
    for _ in 0..settings.max_doc_update_iter {
        normalise(&exp_theta, &mut norm_phi);
        for ((r, &c), &n) in ratio.iter_mut().zip(cnts).zip(&norm_phi) {
            *r = c / n;
        }
        let mut change = 0.0;
        let mut total = 0.0;
        for t in 0..k {
            let dot: f64 = ratio
                .iter()
                .zip(&beta_d[t * len..(t + 1) * len])
                .map(|(r, b)| r * b)
                .sum();
            let new = exp_theta[t] * dot + alpha;
            change += (new - gamma[t]).abs();
            gamma[t] = new;
            total += new;
        }
        let psi_total = digamma(total);
        for t in 0..k {
            exp_theta[t] = (digamma(gamma[t]) - psi_total).exp();
        }
        if change / (k as f64) < settings.mean_change_tol {
            break;
        }
    }
    normalise(&exp_theta, &mut norm_phi);
    DocEstimate {
        gamma,
        exp_theta,
        norm_phi,
    }
}

/// γ for every document from a flat start (scikit-learn's transform).
fn infer_all(x: &Csr, exp_beta: &[f64], alpha: f64, settings: &LdaSettings) -> Vec<Vec<f64>> {
    let (m, k) = (x.n_cols, settings.k);
    (0..x.n_rows())
        .into_par_iter()
        .with_min_len(64)
        .map(|d| {
            let (ids, cnts) = x.row(d);
            let beta_d = gather(exp_beta, m, k, ids);
            estimate_doc(cnts, &beta_d, k, alpha, None, settings).gamma
        })
        .collect()
}

fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Σ (prior − q)·E[log θ] + Σ (lnΓ(q) − lnΓ(prior)) + Σ_rows (lnΓ(prior·size) − lnΓ(Σ q)).
fn dirichlet_terms(prior: f64, q: &[f64], cols: usize) -> f64 {
    q.par_chunks(cols)
        .map(|row| {
            let total: f64 = row.iter().sum();
            let psi_total = digamma(total);
            let mut s = 0.0;
            for &v in row {
                s += (prior - v) * (digamma(v) - psi_total) + ln_gamma(v) - ln_gamma(prior);
            }
            s + ln_gamma(prior * cols as f64) - ln_gamma(total)
        })
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// Perplexity of `x` under λ with document parameters `gammas`.
fn perplexity(x: &Csr, lambda: &[f64], gammas: &[Vec<f64>], alpha: f64, eta: f64, k: usize) -> f64 {
    let m = x.n_cols;
    // E[log β] per topic.
    let mut elog_beta = vec![0.0; lambda.len()];
    for (row, o) in lambda.chunks(m).zip(elog_beta.chunks_mut(m)) {
        let psi_total = digamma(row.iter().sum());
        for (o, &l) in o.iter_mut().zip(row) {
            *o = digamma(l) - psi_total;
        }
    }
    let words: f64 = (0..x.n_rows())
        .into_par_iter()
        .with_min_len(64)
        .map(|d| {
            let (ids, cnts) = x.row(d);
            let g = &gammas[d];
            let psi_total = digamma(g.iter().sum());
            let elog_theta: Vec<f64> = g.iter().map(|&v| digamma(v) - psi_total).collect();
            ids.iter()
                .zip(cnts)
                .map(|(&j, &c)| {
                    let terms = (0..k).map(|t| elog_theta[t] + elog_beta[t * m + j as usize]);
                    let max = terms.clone().fold(f64::NEG_INFINITY, f64::max);
                    c * (max + terms.map(|v| (v - max).exp()).sum::<f64>().ln())
                })
                .sum::<f64>()
        })
        .collect::<Vec<f64>>()
        .iter()
        .sum();
    let flat: Vec<f64> = gammas.iter().flatten().copied().collect();
    let bound = words + dirichlet_terms(alpha, &flat, k) + dirichlet_terms(eta, lambda, m);
    (-bound / x.sum()).exp()
}

/// Fit LDA on the count matrix `x`; `on_pass(pass, fraction done)` after
/// every mini-batch.
pub fn fit_lda(
    x: &Csr,
    settings: &LdaSettings,
    cancel: &CancelToken,
    on_batch: &mut dyn FnMut(usize, f64),
) -> Result<LdaFit, TaskError> {
    let (n, m, k) = (x.n_rows(), x.n_cols, settings.k);
    let prior = 1.0 / k as f64;
    let (alpha, eta) = (prior, prior);
    let mut rng = LegacyRandom::new(settings.seed);
    let mut lambda: Vec<f64> = (0..k * m).map(|_| rng.gamma(100.0, 0.01)).collect();
    let mut exp_beta = exp_dirichlet_expectation(&lambda, m);
    let batch_size = settings.batch_size.max(1);
    let batches = n.div_ceil(batch_size).max(1);
    let mut update_count = 1.0;
    let mut sstats = vec![0.0; k * m];
    for pass in 0..settings.max_iter {
        for (b, start) in (0..n).step_by(batch_size).enumerate() {
            cancel.check()?;
            let end = (start + batch_size).min(n);
            // The batch's γ starts, drawn in document order from the one
            // stream (as scikit-learn draws them) before the parallel part.
            let starts: Vec<f64> = (0..(end - start) * k)
                .map(|_| rng.gamma(100.0, 0.01))
                .collect();
            let estimates: Vec<(usize, Vec<f64>)> = (start..end)
                .into_par_iter()
                .map(|d| {
                    let (ids, cnts) = x.row(d);
                    let beta_d = gather(&exp_beta, m, k, ids);
                    let e = estimate_doc(
                        cnts,
                        &beta_d,
                        k,
                        alpha,
                        Some(&starts[(d - start) * k..(d - start + 1) * k]),
                        settings,
                    );
                    // φ-weighted counts: exp θ_t · c_j / norm_j (times β later).
                    let mut stats = Vec::with_capacity(k * ids.len());
                    for t in 0..k {
                        stats.extend(
                            cnts.iter()
                                .zip(&e.norm_phi)
                                .map(|(c, nphi)| e.exp_theta[t] * c / nphi),
                        );
                    }
                    (d, stats)
                })
                .collect();
            sstats.iter_mut().for_each(|v| *v = 0.0);
            for (d, stats) in &estimates {
                let ids = x.row(*d).0;
                for t in 0..k {
                    let row = &mut sstats[t * m..(t + 1) * m];
                    for (&j, &s) in ids.iter().zip(&stats[t * ids.len()..(t + 1) * ids.len()]) {
                        row[j as usize] += s;
                    }
                }
            }
            let weight = (settings.learning_offset + update_count).powf(-settings.learning_decay);
            let doc_ratio = n as f64 / (end - start) as f64;
            lambda
                .par_chunks_mut(4096)
                .zip(sstats.par_chunks(4096))
                .zip(exp_beta.par_chunks(4096))
                .for_each(|((l, s), e)| {
                    for ((l, &s), &e) in l.iter_mut().zip(s).zip(e) {
                        *l = *l * (1.0 - weight) + weight * (eta + doc_ratio * s * e);
                    }
                });
            exp_beta = exp_dirichlet_expectation(&lambda, m);
            update_count += 1.0;
            on_batch(
                pass,
                (pass * batches + b + 1) as f64 / (settings.max_iter * batches) as f64,
            );
        }
    }
    cancel.check()?;
    let gammas = infer_all(x, &exp_beta, alpha, settings);
    let perplexity = perplexity(x, &lambda, &gammas, alpha, eta, k);
    if !perplexity.is_finite() {
        return Err(TaskError::Input(format!(
            "LDA diverged: the perplexity is {perplexity}"
        )));
    }
    let mut doc_topic = Vec::with_capacity(n * k);
    for (d, g) in gammas.iter().enumerate() {
        let empty = x.row(d).0.is_empty();
        let total: f64 = g.iter().sum();
        doc_topic.extend(
            g.iter()
                .map(|v| if empty { 1.0 / k as f64 } else { v / total }),
        );
    }
    Ok(LdaFit {
        components: lambda,
        doc_topic,
        doc_gamma: gammas.into_iter().flatten().collect(),
        k,
        perplexity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_matches_known_values() {
        // The series stops at the x⁻⁶ term (as scikit-learn's): error < 1e-8.
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-8);
        assert!((digamma(0.5) - (-1.963_510_026_021_423_5)).abs() < 1e-8);
        assert!((digamma(10.0) - 2.251_752_589_066_721).abs() < 1e-8);
    }

    /// Two vocabularies that never meet: words 0–4 and words 5–9.
    fn two_themes() -> Csr {
        let mut x = Csr {
            indptr: vec![0],
            n_cols: 10,
            ..Default::default()
        };
        for d in 0..200 {
            let base = if d % 2 == 0 { 0 } else { 5 };
            for j in 0..5 {
                x.indices.push((base + j) as u32);
                x.values.push(((d + j) % 3 + 1) as f64);
            }
            x.indptr.push(x.indices.len());
        }
        x
    }

    #[test]
    fn separates_two_disjoint_themes_and_repeats_with_the_seed() {
        let x = two_themes();
        let settings = LdaSettings::new(2, 11);
        let cancel = CancelToken::new();
        let fit = fit_lda(&x, &settings, &cancel, &mut |_, _| {}).unwrap();
        // Each document is almost all one topic, and the two halves differ.
        let top = |d: usize| usize::from(fit.doc_topic[d * 2 + 1] > fit.doc_topic[d * 2]);
        assert!(fit.doc_topic[0].max(fit.doc_topic[1]) > 0.9);
        assert_ne!(top(0), top(1));
        assert!((0..200).all(|d| top(d) == top(d % 2)));
        // Perplexity close to the 5 equally likely words of a theme.
        assert!(
            fit.perplexity > 4.0 && fit.perplexity < 6.5,
            "{}",
            fit.perplexity
        );
        let again = fit_lda(&x, &settings, &cancel, &mut |_, _| {}).unwrap();
        assert_eq!(fit.components, again.components);
    }
}
