"""Optuna 5.0's TPE sampler time per trial on the space and synthetic
objective of benches/tpe_sampler.rs, to read beside it.

Usage: python tpe_sampler_time.py [trials=200]
"""

import math
import sys
import time

import optuna


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(multivariate=False, constant_liar=False, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        trial = study.ask()
        f = trial.suggest_int("factors", 8, 128, log=True)
        reg = trial.suggest_float("regularization", 1e-4, 1.0, log=True)
        alpha = trial.suggest_float("alpha", 0.1, 10.0, log=True)
        it = trial.suggest_int("iterations", 5, 30)
        times.append(1000 * (time.perf_counter() - started))
        value = (-(math.log(f) - math.log(48)) ** 2 - 0.3 * (math.log10(reg) + 2) ** 2
                 - 0.5 * (math.log10(alpha) - 0.5) ** 2 - 0.01 * (it - 15) ** 2)
        study.tell(trial, value)
    last = times[-10:]
    print(f"Optuna TPE, 4 parameters, {n} trials:")
    print(f"  mean time per trial        {sum(times) / n:.3f} ms")
    print(f"  trials {n - 9}..{n}: mean {sum(last) / len(last):.3f} ms, max {max(last):.3f} ms")
    print(f"  best synthetic value       {study.best_value:.4} (0 is the peak)")


if __name__ == "__main__":
    main()
