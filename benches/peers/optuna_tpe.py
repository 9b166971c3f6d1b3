"""shoplens' TPE and random search side by side with Optuna 5.0's TPE.

Each search gets the same space and the same objective: shoplens' own
main metric for one setting, read from `shoplens recommend --json` or
`shoplens sentiment --json`, so only the samplers differ. Optuna runs
`TPESampler(multivariate=False, constant_liar=False, seed=s)` with its
defaults; shoplens runs `shoplens sweep --search tpe|random --seed s
--no-prune` (pruning off on both sides: Optuna's objective here reports
no intermediate values). The model's own seed is the search seed on both
sides.

Prints, per method, the best value so far after each trial, averaged
over the seeds; the mean best at the end; and the sampler's own time per
trial (Optuna: wall time of `study.ask()`; shoplens: see
`benches/tpe_sampler.rs`).

Usage: python optuna_tpe.py --shoplens BIN --task als|sentiment --data FILE
       [--seeds 10] [--trials 30] [--out results.json]
"""

import argparse
import json
import subprocess
import sys
import time

import optuna

SPACES = {
    "als": [
        ("factors", "int", 8, 128, True),
        ("regularization", "float", 1e-4, 1.0, True),
        ("alpha", "float", 0.1, 10.0, True),
        ("iterations", "int", 5, 30, False),
    ],
    "sentiment": [
        ("c", "float", 0.01, 100.0, True),
        ("min_df", "int", 1, 5, False),
    ],
}


def space_args(task):
    out = []
    for name, kind, low, high, log in SPACES[task]:
        flags = (":log" if log else "") + (":int" if kind == "int" else "")
        out += ["--space", f"{name}={low}..{high}{flags}"]
    return out


def base_command(args, command):
    if args.task == "als":
        return [args.shoplens, command, "--data", args.data, "--model", "als",
                "--split", "leave-last-out", "--k", "10"]
    return [args.shoplens, command, "--data", args.data, "--model", "logreg"] \
        if command == "sweep" else [args.shoplens, "sentiment", "--data", args.data]


def metric_name(task):
    return "ndcg@10" if task == "als" else "accuracy"


def evaluate(args, params, seed):
    """shoplens' metric for one setting (what every Optuna trial optimises)."""
    cmd = base_command(args, "recommend") + ["--seed", str(seed), "--json"]
    for name, value in params.items():
        cmd += [f"--{name.replace('_', '-')}", str(value)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["metrics"][metric_name(args.task)]


def optuna_run(args, seed):
    sampler = optuna.samplers.TPESampler(multivariate=False, constant_liar=False, seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    values, ask_secs = [], 0.0
    for _ in range(args.trials):
        started = time.perf_counter()
        trial = study.ask()
        params = {}
        for name, kind, low, high, log in SPACES[args.task]:
            if kind == "int":
                params[name] = trial.suggest_int(name, low, high, log=log)
            else:
                params[name] = trial.suggest_float(name, low, high, log=log)
        ask_secs += time.perf_counter() - started
        value = evaluate(args, params, seed)
        study.tell(trial, value)
        values.append(value)
    return values, ask_secs / args.trials


def shoplens_run(args, seed, sampler):
    cmd = base_command(args, "sweep") + [
        "--search", sampler, "--trials", str(args.trials), "--seed", str(seed),
        "--no-prune", "--json"] + space_args(args.task)
    out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    trials = sorted(out["trials"], key=lambda t: t["number"])
    return [t["value"] for t in trials], trials


def best_so_far(values):
    out, best = [], float("-inf")
    for v in values:
        if v is not None:
            best = max(best, v)
        out.append(best)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoplens", required=True)
    parser.add_argument("--task", choices=sorted(SPACES), required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--out")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    curves = {"shoplens-tpe": [], "optuna-tpe": [], "shoplens-random": []}
    ask = []
    for seed in range(args.seeds):
        values, trials = shoplens_run(args, seed, "tpe")
        if seed == 0:
            # The two sides must score a setting alike.
            again = evaluate(args, trials[0]["params"], seed)
            assert abs(again - values[0]) < 1e-12, (again, values[0])
        curves["shoplens-tpe"].append(best_so_far(values))
        curves["shoplens-random"].append(best_so_far(shoplens_run(args, seed, "random")[0]))
        values, secs = optuna_run(args, seed)
        curves["optuna-tpe"].append(best_so_far(values))
        ask.append(secs)
        print(f"seed {seed}: " + ", ".join(f"{m} {c[-1][-1]:.4f}" for m, c in curves.items()),
              file=sys.stderr, flush=True)

    def mean_curve(rows):
        return [sum(r[i] for r in rows) / len(rows) for i in range(args.trials)]

    summary = {m: mean_curve(rows) for m, rows in curves.items()}
    checkpoints = [i for i in (1, 5, 10, 15, 20, 25, 30, 50, 100) if i <= args.trials]
    print(f"{args.task}: mean best {metric_name(args.task)} over {args.seeds} seeds after n trials")
    print("| method | " + " | ".join(str(i) for i in checkpoints) + " |")
    print("|---|" + "---|" * len(checkpoints))
    for m, curve in summary.items():
        print(f"| {m} | " + " | ".join(f"{curve[i - 1]:.4f}" for i in checkpoints) + " |")
    print(f"Optuna's ask() per trial: {1000 * sum(ask) / len(ask):.2f} ms")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"task": args.task, "curves": curves, "mean": summary,
                       "optuna_ask_ms": 1000 * sum(ask) / len(ask)}, f)


if __name__ == "__main__":
    main()
