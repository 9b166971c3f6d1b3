//! L2-regularised logistic regression on sparse TF-IDF rows, fitted with L-BFGS.
//!
//! Our own implementation, not linfa-logistic: linfa's classifiers take dense
//! `ndarray` input only, and a dense copy of a realistic review corpus does not
//! fit in memory (50,218 reviews × 275,195 character n-grams would be 110 GB in
//! f64). Here every pass over the data is one sparse product, parallel over rows
//! (`X·w`) and over columns (`Xᵀ·r`, through a transposed copy), with every sum
//! taken in a fixed order so the same input gives the same bits.
//!
//! Objective (scikit-learn's, so C means the same thing):
//! `F(w, b) = 1/n Σᵢ log(1 + exp(−ỹᵢ (xᵢ·w + b))) + ‖w‖² / (2 C n)`, the intercept
//! unpenalised. Stops when the largest gradient component is ≤ `tol`, when an
//! iteration lowers F by less than 64 machine epsilons (relative), or after
//! `max_iter` iterations — scipy's L-BFGS-B criteria with scikit-learn's defaults.

use rayon::prelude::*;

use super::model::{sigmoid, LinearModel};
use super::tfidf::{gather_dot, transpose_rows, SparseRows};
use crate::task::{CancelToken, Cancelled};

/// Column-major copy of `x` (its transpose as rows), for `Xᵀ·r`.
fn transpose(x: &SparseRows) -> SparseRows {
    let (indptr, indices, values) = transpose_rows(&x.indptr, &x.indices, &x.values, x.n_cols);
    SparseRows {
        indptr,
        indices,
        values,
        n_cols: x.n_rows(),
    }
}

/// `x` with its columns renumbered by how many rows use them (most first,
/// ties by column), and each new column's old number. The rows keep their
/// entries in the old order: a row's sum does not need them sorted.
fn renumber_by_use(x: &SparseRows) -> (Vec<u32>, SparseRows) {
    let mut uses = vec![0u32; x.n_cols];
    for &j in &x.indices {
        uses[j as usize] += 1;
    }
    let mut order: Vec<u32> = (0..x.n_cols as u32).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(uses[j as usize]));
    // `uses` now becomes each column's new number.
    for (new, &old) in order.iter().enumerate() {
        uses[old as usize] = new as u32;
    }
    let renumbered = SparseRows {
        indptr: x.indptr.clone(),
        indices: x.indices.iter().map(|&j| uses[j as usize]).collect(),
        values: x.values.clone(),
        n_cols: x.n_cols,
    };
    (order, renumbered)
}

fn log1p_exp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsSettings {
    pub c: f64,
    pub max_iter: usize,
    pub tol: f64,
}

struct Problem<'a> {
    x: &'a SparseRows,
    xt: SparseRows,
    y: &'a [bool],
    inv_c_n: f64,
    inv_n: f64,
}

impl Problem<'_> {
    /// Mean log loss at margins `z` plus the penalty on `w`.
    fn objective_at(&self, z: &[f64], w: &[f64]) -> f64 {
        let losses: Vec<f64> = z
            .par_iter()
            .zip(self.y.par_iter())
            .with_min_len(4096)
            .map(|(&z, &y)| log1p_exp(z) - if y { z } else { 0.0 })
            .collect();
        let data_loss: f64 = losses.iter().sum::<f64>() * self.inv_n;
        let penalty: f64 = dot(w, w) * 0.5 * self.inv_c_n;
        data_loss + penalty
    }
}

/// The margins `z = X·w + b` are the state: the gradient needs them, and
/// along a search line they move as `z + t·X·p`.
impl Smooth for Problem<'_> {
    type State = Vec<f64>;
    type Line = Vec<f64>;

    fn value(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let d = self.x.n_cols;
        let z = self.x.dot(&theta[..d], theta[d]);
        (self.objective_at(&z, &theta[..d]), z)
    }

    fn gradient(&self, theta: &[f64], z: &Vec<f64>) -> Vec<f64> {
        let d = self.x.n_cols;
        let w = &theta[..d];
        let residuals: Vec<f64> = z
            .par_iter()
            .zip(self.y.par_iter())
            .with_min_len(4096)
            .map(|(&z, &y)| sigmoid(z) - if y { 1.0 } else { 0.0 })
            .collect();
        // Room for the intercept's component, so pushing it does not copy.
        let mut grad: Vec<f64> = Vec::with_capacity(d + 1);
        grad.par_extend((0..d).into_par_iter().with_min_len(2048).map(|j| {
            let (rows, val) = self.xt.row(j);
            gather_dot(rows, val, &residuals) * self.inv_n + w[j] * self.inv_c_n
        }));
        grad.push(residuals.iter().sum::<f64>() * self.inv_n);
        grad
    }

    /// `X·p` (with the intercept's step): one pass over the data per line.
    fn line(&self, _theta: &[f64], _z: &Vec<f64>, direction: &[f64]) -> Vec<f64> {
        let d = self.x.n_cols;
        self.x.dot(&direction[..d], direction[d])
    }

    fn value_on_line(
        &self,
        xp: &Vec<f64>,
        z: &Vec<f64>,
        candidate: &[f64],
        step: f64,
    ) -> (f64, Vec<f64>) {
        let moved: Vec<f64> = z
            .par_iter()
            .zip(xp.par_iter())
            .with_min_len(4096)
            .map(|(z, p)| z + step * p)
            .collect();
        let d = self.x.n_cols;
        (self.objective_at(&moved, &candidate[..d]), moved)
    }
}

/// Sums over long vectors are kept in this many partial sums, so no add
/// waits for the previous one (4 cycles) and only memory bounds them.
const LANES: usize = 8;

/// `Σ a_i·b_i`, summed lane by lane (see [`LANES`]).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let split = n - n % LANES;
    let mut lanes = [0.0f64; LANES];
    for (a, b) in a[..split]
        .chunks_exact(LANES)
        .zip(b[..split].chunks_exact(LANES))
    {
        for k in 0..LANES {
            lanes[k] += a[k] * b[k];
        }
    }
    let tail: f64 = a[split..n]
        .iter()
        .zip(&b[split..n])
        .map(|(x, y)| x * y)
        .sum();
    lanes.iter().sum::<f64>() + tail
}

/// The largest `|v_i|` (exact in any order, so lane by lane too).
fn max_abs(v: &[f64]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .fold(0.0f64, |m, x| m.max(x.abs()));
    for chunk in chunks {
        for k in 0..LANES {
            lanes[k] = lanes[k].max(chunk[k].abs());
        }
    }
    lanes.iter().fold(tail, |m, &x| m.max(x))
}

/// `q += a·x`, then `Σ next_i·q_i` (0 without `next`) in the same pass: the
/// two-loop recursion alternates these, and its vectors (10 pairs of
/// hundreds of thousands of weights) do not fit in cache, so one pass
/// instead of two halves its memory traffic. The sum is taken as [`dot`]
/// takes it, so the same bits as the separate loops.
fn axpy_then_dot(q: &mut [f64], a: f64, x: &[f64], next: Option<&[f64]>) -> f64 {
    match next {
        Some(next) => {
            let n = q.len().min(x.len()).min(next.len());
            let split = n - n % LANES;
            let mut lanes = [0.0f64; LANES];
            for ((q, x), next) in q[..split]
                .chunks_exact_mut(LANES)
                .zip(x[..split].chunks_exact(LANES))
                .zip(next[..split].chunks_exact(LANES))
            {
                for k in 0..LANES {
                    q[k] += a * x[k];
                    lanes[k] += next[k] * q[k];
                }
            }
            let mut tail = 0.0;
            for ((qi, xi), ni) in q[split..n]
                .iter_mut()
                .zip(&x[split..n])
                .zip(&next[split..n])
            {
                *qi += a * xi;
                tail += ni * *qi;
            }
            lanes.iter().sum::<f64>() + tail
        }
        None => {
            for (qi, xi) in q.iter_mut().zip(x) {
                *qi += a * xi;
            }
            0.0
        }
    }
}

/// One L-BFGS correction pair with `yᵀs` and `yᵀy`, computed once when the
/// pair is made rather than on every iteration that uses it.
struct Correction {
    s: Vec<f64>,
    y: Vec<f64>,
    ys: f64,
    yy: f64,
}

/// `−H·g` by the two-loop recursion over `history` (oldest first).
fn lbfgs_direction(g: &[f64], history: &std::collections::VecDeque<Correction>) -> Vec<f64> {
    let m = history.len();
    let mut q = g.to_vec();
    let mut alphas = vec![0.0; m];
    let Some(last) = history.back() else {
        let gamma = 1.0 / dot(g, g).sqrt().max(1e-12);
        return q.iter().map(|v| -(v * gamma)).collect();
    };
    // First loop, newest to oldest: alpha_k = rho_k sᵀq; q −= alpha_k y_k.
    let mut sq = dot(&history[m - 1].s, &q);
    for k in (0..m).rev() {
        alphas[k] = sq / history[k].ys;
        let next = k.checked_sub(1).map(|k| history[k].s.as_slice());
        sq = axpy_then_dot(&mut q, -alphas[k], &history[k].y, next);
    }
    let gamma = last.ys / last.yy;
    for v in &mut q {
        *v *= gamma;
    }
    // Second loop, oldest to newest: beta = rho_k yᵀq; q += (alpha_k − beta) s_k.
    let mut yq = dot(&history[0].y, &q);
    for k in 0..m {
        let beta = yq / history[k].ys;
        let next = history.get(k + 1).map(|c| c.y.as_slice());
        yq = axpy_then_dot(&mut q, alphas[k] - beta, &history[k].s, next);
    }
    for v in &mut q {
        *v = -*v;
    }
    q
}

/// Builds the model as it stands (a copy of every weight).
pub type ModelNow<'a> = dyn Fn() -> LinearModel + 'a;

/// Fit on rows `x` with labels `y`. `on_iteration(iteration, objective,
/// model)` runs after every iteration (the caller streams the loss curve
/// from it); `model()` builds the current model, a copy of every weight, so
/// it is a function the caller calls only when it needs the weights.
///
/// The fit works on a copy of `x` whose columns are renumbered by how many
/// rows use them, most used first, and maps the weights back at the end:
/// `X·p` reads one weight per stored value, and with the frequent n-grams'
/// weights side by side most of those reads hit the cache.
pub fn fit(
    x: &SparseRows,
    y: &[bool],
    settings: &LbfgsSettings,
    cancel: &CancelToken,
    on_iteration: &mut dyn FnMut(usize, f64, &ModelNow),
) -> Result<LinearModel, Cancelled> {
    let n = x.n_rows().max(1) as f64;
    let d = x.n_cols;
    let (order, renumbered) = renumber_by_use(x);
    let problem = Problem {
        x: &renumbered,
        xt: transpose(&renumbered),
        y,
        inv_c_n: 1.0 / (settings.c * n),
        inv_n: 1.0 / n,
    };
    let model_of = |theta: &[f64]| {
        let mut weights = vec![0.0; d];
        for (&j, &w) in order.iter().zip(theta) {
            weights[j as usize] = w;
        }
        LinearModel {
            weights,
            intercept: theta[d],
        }
    };
    let theta = minimise(
        &problem,
        vec![0.0; d + 1],
        settings,
        cancel,
        &mut |iteration, f, theta| on_iteration(iteration, f, &|| model_of(theta)),
    )?;
    Ok(model_of(&theta))
}

/// What [`minimise`] needs from an objective, split so the line search
/// pays only for what it uses: a trial step needs the value alone, and the
/// gradient is taken once, at the accepted step. `State` is what an
/// evaluation leaves behind for the gradient and for lines from that point;
/// `Line` is what one search direction precomputes (for a linear model,
/// `X·p`, after which every trial step costs O(n) instead of a pass over the
/// data).
pub trait Smooth {
    type State;
    type Line;
    /// The objective at `theta`.
    fn value(&self, theta: &[f64]) -> (f64, Self::State);
    /// Its gradient at `theta`, from the state evaluating there left.
    fn gradient(&self, theta: &[f64], state: &Self::State) -> Vec<f64>;
    /// Prepare trial steps from `theta` (with `state`) along `direction`.
    fn line(&self, theta: &[f64], state: &Self::State, direction: &[f64]) -> Self::Line;
    /// The objective at `candidate = theta + step·direction` on `line`.
    fn value_on_line(
        &self,
        line: &Self::Line,
        state: &Self::State,
        candidate: &[f64],
        step: f64,
    ) -> (f64, Self::State);
}

/// A function that returns its value and gradient together, evaluated
/// afresh at every trial step.
pub struct ValueAndGradient<F>(pub F);

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Smooth for ValueAndGradient<F> {
    /// The gradient, computed with the value.
    type State = Vec<f64>;
    type Line = ();

    fn value(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        (self.0)(theta)
    }

    fn gradient(&self, _theta: &[f64], gradient: &Vec<f64>) -> Vec<f64> {
        gradient.clone()
    }

    fn line(&self, _theta: &[f64], _gradient: &Vec<f64>, _direction: &[f64]) {}

    fn value_on_line(
        &self,
        _line: &(),
        _gradient: &Vec<f64>,
        candidate: &[f64],
        _step: f64,
    ) -> (f64, Vec<f64>) {
        (self.0)(candidate)
    }
}

/// `theta + step·direction`.
fn step_along(theta: &[f64], direction: &[f64], step: f64) -> Vec<f64> {
    theta
        .iter()
        .zip(direction)
        .map(|(t, p)| t + step * p)
        .collect()
}

/// Minimise a smooth objective with L-BFGS (10 pairs of history, Armijo
/// backtracking) from `theta`. Stops on `settings.tol` (largest gradient
/// component), on a relative decrease under 64 machine epsilons, or after
/// `max_iter` iterations; `settings.c` is not used here.
pub fn minimise<S: Smooth>(
    objective: &S,
    mut theta: Vec<f64>,
    settings: &LbfgsSettings,
    cancel: &CancelToken,
    on_iteration: &mut dyn FnMut(usize, f64, &[f64]),
) -> Result<Vec<f64>, Cancelled> {
    let (mut f, mut state) = objective.value(&theta);
    let mut g = objective.gradient(&theta, &state);
    const HISTORY: usize = 10;
    let mut history: std::collections::VecDeque<Correction> = Default::default();
    for iteration in 1..=settings.max_iter {
        if max_abs(&g) <= settings.tol {
            break;
        }
        cancel.check()?;
        let direction = lbfgs_direction(&g, &history);
        let mut slope = dot(&g, &direction);
        let direction = if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from −g.
            history.clear();
            slope = -dot(&g, &g);
            g.iter().map(|v| -v).collect()
        } else {
            direction
        };
        // Backtracking line search with the Armijo condition.
        let line = objective.line(&theta, &state, &direction);
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..50 {
            let candidate = step_along(&theta, &direction, step);
            let (f_new, state_new) = objective.value_on_line(&line, &state, &candidate, step);
            if f_new.is_finite() && f_new <= f + 1e-4 * step * slope {
                accepted = Some((candidate, f_new, state_new));
                break;
            }
            step *= 0.5;
        }
        let Some((new_theta, f_new, state_new)) = accepted else {
            break; // no decrease possible at machine precision: converged
        };
        let g_new = objective.gradient(&new_theta, &state_new);
        let s: Vec<f64> = new_theta.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let (ys, yy) = (dot(&y, &s), dot(&y, &y));
        if ys > 1e-10 * yy {
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back(Correction { s, y, ys, yy });
        }
        let relative_decrease = (f - f_new) / f.abs().max(f_new.abs()).max(1.0);
        theta = new_theta;
        f = f_new;
        g = g_new;
        state = state_new;
        on_iteration(iteration, f, &theta);
        if relative_decrease <= 64.0 * f64::EPSILON {
            break;
        }
    }
    Ok(theta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[(u32, f32)]], n_cols: usize) -> SparseRows {
        let mut x = SparseRows {
            indptr: vec![0],
            n_cols,
            ..Default::default()
        };
        for row in data {
            for &(j, v) in *row {
                x.indices.push(j);
                x.values.push(v);
            }
            x.indptr.push(x.indices.len());
        }
        x
    }

    fn eval(p: &Problem, theta: &[f64]) -> (f64, Vec<f64>) {
        let (f, z) = p.value(theta);
        (f, p.gradient(theta, &z))
    }

    #[test]
    fn gradient_matches_finite_differences_and_line_steps_match_fresh_evaluations() {
        let x = rows(
            &[&[(0, 1.0), (2, 0.5)], &[(1, 1.0)], &[(0, 0.3), (1, 0.7)]],
            3,
        );
        let y = [true, false, true];
        let p = Problem {
            x: &x,
            xt: transpose(&x),
            y: &y,
            inv_c_n: 1.0 / (2.0 * 3.0),
            inv_n: 1.0 / 3.0,
        };
        let theta = [0.3, -0.2, 0.1, 0.05];
        let (_, g) = eval(&p, &theta);
        for k in 0..theta.len() {
            let mut a = theta;
            let mut b = theta;
            a[k] += 1e-6;
            b[k] -= 1e-6;
            let numeric = (eval(&p, &a).0 - eval(&p, &b).0) / 2e-6;
            assert!(
                (numeric - g[k]).abs() < 1e-6,
                "component {k}: {numeric} vs {}",
                g[k]
            );
        }
        // A trial step priced on the line equals a fresh evaluation there.
        let direction = [-1.0, 0.5, 2.0, 0.25];
        let (_, z) = p.value(&theta);
        let line = p.line(&theta, &z, &direction);
        for step in [1.0, 0.5, 0.125] {
            let candidate = step_along(&theta, &direction, step);
            let (on_line, moved) = p.value_on_line(&line, &z, &candidate, step);
            let (direct, fresh) = p.value(&candidate);
            assert!((on_line - direct).abs() < 1e-12, "{on_line} vs {direct}");
            for (a, b) in moved.iter().zip(&fresh) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn separable_words_get_weights_of_the_right_sign_and_the_fit_converges() {
        // Feature 0 marks positives, feature 1 negatives, feature 2 is noise.
        let x = rows(
            &[
                &[(0, 1.0)],
                &[(0, 0.8), (2, 0.6)],
                &[(1, 1.0)],
                &[(1, 0.8), (2, 0.6)],
            ],
            3,
        );
        let y = [true, true, false, false];
        let settings = LbfgsSettings {
            c: 1.0,
            max_iter: 200,
            tol: 1e-8,
        };
        let mut losses = Vec::new();
        let model = fit(&x, &y, &settings, &CancelToken::new(), &mut |_, f, _| {
            losses.push(f)
        })
        .unwrap();
        assert!(model.weights[0] > 0.5 && model.weights[1] < -0.5);
        assert!(model.weights[2].abs() < 1e-6);
        assert!(losses.windows(2).all(|w| w[1] <= w[0]), "{losses:?}");
        // Stationarity: the regularised optimum has (nearly) zero gradient.
        let p = Problem {
            x: &x,
            xt: transpose(&x),
            y: &y,
            inv_c_n: 1.0 / 4.0,
            inv_n: 1.0 / 4.0,
        };
        let mut theta = model.weights.clone();
        theta.push(model.intercept);
        assert!(eval(&p, &theta).1.iter().all(|v| v.abs() < 1e-6));
    }

    #[test]
    fn renumbering_columns_by_use_gives_the_same_weights_in_the_original_order() {
        // Column 2 is used by four rows, column 1 by three, column 0 by two.
        let x = rows(
            &[
                &[(0, 1.0), (2, 0.5)],
                &[(1, 0.7), (2, 0.2)],
                &[(2, 1.0)],
                &[(1, 0.4), (2, 0.9)],
                &[(0, 0.3), (1, 0.6)],
            ],
            3,
        );
        let y = [true, false, true, false, true];
        let (order, renumbered) = renumber_by_use(&x);
        assert_eq!(order, vec![2, 1, 0]);
        let xt = transpose(&renumbered);
        let plain_xt = transpose(&x);
        for (new, &old) in order.iter().enumerate() {
            assert_eq!(xt.row(new), plain_xt.row(old as usize));
        }
        let settings = LbfgsSettings {
            c: 1.0,
            max_iter: 200,
            tol: 1e-10,
        };
        let model = fit(&x, &y, &settings, &CancelToken::new(), &mut |_, _, _| {}).unwrap();
        let plain = Problem {
            x: &x,
            xt: plain_xt,
            y: &y,
            inv_c_n: 1.0 / 5.0,
            inv_n: 1.0 / 5.0,
        };
        let theta = minimise(
            &plain,
            vec![0.0; 4],
            &settings,
            &CancelToken::new(),
            &mut |_, _, _| {},
        )
        .unwrap();
        for (a, b) in model.weights.iter().chain([&model.intercept]).zip(&theta) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert!(model.weights.iter().any(|w| w.abs() > 0.1));
    }

    #[test]
    fn a_cancelled_fit_stops() {
        let x = rows(&[&[(0, 1.0)], &[(1, 1.0)]], 2);
        let cancel = CancelToken::new();
        cancel.cancel();
        let settings = LbfgsSettings {
            c: 1.0,
            max_iter: 10,
            tol: 1e-8,
        };
        assert!(fit(&x, &[true, false], &settings, &cancel, &mut |_, _, _| {}).is_err());
    }
}
