//! Optuna's `MedianPruner` with its defaults (`n_startup_trials=5`,
//! `n_warmup_steps=0`, `interval_steps=1`, `n_min_trials=1`): at every step
//! a trial reports (an epoch with a validation metric), it is stopped when
//! its best value so far is worse than the median of the values finished
//! trials reported at that same step. Nothing is pruned before five trials
//! have finished, nor at a step no finished trial reached. Higher is better.

use super::{Trial, TrialState};

/// Finished trials needed before anything is pruned.
pub const N_STARTUP_TRIALS: usize = 5;

/// Whether a trial that has reported `steps` (epoch, value) so far should
/// stop, given the study's other `trials`; with the median it fell below.
pub fn should_prune(trials: &[Trial], steps: &[(usize, f64)]) -> Option<f64> {
    let done: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.state == TrialState::Done)
        .collect();
    if done.len() < N_STARTUP_TRIALS {
        return None;
    }
    let &(step, _) = steps.last()?;
    let best = steps
        .iter()
        .map(|s| s.1)
        .filter(|v| !v.is_nan())
        .fold(f64::NAN, f64::max);
    if best.is_nan() {
        // Every value so far is NaN: the trial is diverging.
        return Some(f64::NAN);
    }
    let at_step: Vec<f64> = done
        .iter()
        .filter_map(|t| t.steps.iter().find(|s| s.0 == step).map(|s| s.1))
        .filter(|v| !v.is_nan())
        .collect();
    let median = median(at_step)?;
    (best < median).then_some(median)
}

/// The median with linear interpolation (numpy's `percentile(…, 50)`).
fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn done(number: usize, curve: &[f64]) -> Trial {
        Trial {
            number,
            state: TrialState::Done,
            value: curve.last().copied(),
            params: BTreeMap::new(),
            steps: curve.iter().enumerate().map(|(i, v)| (i + 1, *v)).collect(),
            run: None,
        }
    }

    #[test]
    fn prunes_below_the_median_of_finished_trials_at_the_same_step() {
        let trials: Vec<Trial> = (0..5)
            .map(|i| done(i, &[0.1 * i as f64, 0.2 * i as f64]))
            .collect();
        // Step 1 values 0, .1, .2, .3, .4: median 0.2.
        assert_eq!(should_prune(&trials, &[(1, 0.15)]), Some(0.2));
        assert_eq!(should_prune(&trials, &[(1, 0.25)]), None);
        // The best so far counts, not the last value (step 2's median is 0.4).
        assert_eq!(should_prune(&trials, &[(1, 0.45), (2, 0.0)]), None);
        assert_eq!(should_prune(&trials, &[(1, 0.25), (2, 0.0)]), Some(0.4));
        // No finished trial reached step 3: nothing to compare with.
        assert_eq!(should_prune(&trials, &[(3, 0.0)]), None);
        // Fewer than five finished trials: never.
        assert_eq!(should_prune(&trials[..4], &[(1, 0.0)]), None);
        assert!(should_prune(&trials, &[(1, f64::NAN)]).is_some_and(f64::is_nan));
    }
}
