"""Off-policy learning beside obp 0.5.7, in one run.

For each behaviour policy's Open Bandit Dataset sample (`random/all`,
`bts/all`): rows in time order, the first half learns, the second half is
evaluated (obp's `obtain_batch_bandit_feedback(test_size=0.5,
is_timeseries_split=True)`).

The policy is obp's `IPWLearner(len_list=3)` over scikit-learn's
`LogisticRegression` (C = 1, obp's default classifier), fitted on the first
half's one-hot user context with the logged item as label and reward ÷
propensity as sample weight, one classifier per slot; it shows the most
probable item of each slot (logits within 1e-4 of the best are a tie, sent
to the lower item, as shoplens does). Two fits are run: scikit-learn's defaults
(tol 1e-4, max_iter 100, as obp builds it) and converged tightly (tol 1e-10),
which is what shoplens does. The learnt policy is estimated on the second
half with IPW, SNIPW, DM and DR, the reward model being obp's
`RegressionModel(fitting_method='normal')` over `LogisticRegression(C=100)`
(`n_folds=1`), as in obp_contextual.py.

shoplens runs `bandit learn --data LOG --train-fraction 0.5
--reward-model logistic --json`; the script prints both sides' estimates,
their relative differences, each side's share of rows per learnt item, and
the time of each side's learner fit (obp) or whole command (shoplens).

Usage (obp's environment, see ../shared/tools/setup-obp-env.sh):
  PYTHONPATH=$VENV/torchstub $VENV/bin/python obp_learn.py \
      --shoplens BIN --data-dir ../shared/data/open-bandit-dataset-sample \
      [--policies random,bts] [--out result.json]
"""
import argparse
import json
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
from obp.dataset import OpenBanditDataset
from obp.ope import (
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    OffPolicyEvaluation,
    RegressionModel,
    SelfNormalizedInverseProbabilityWeighting,
)
from obp.policy import IPWLearner
from sklearn.linear_model import LogisticRegression


def obp_side(data_dir, behaviour, tight):
    obd = OpenBanditDataset(behavior_policy=behaviour, campaign="all", data_path=Path(data_dir))
    train, test = obd.obtain_batch_bandit_feedback(test_size=0.5, is_timeseries_split=True)
    n_actions, slots = obd.n_actions, obd.len_list
    classifier = (LogisticRegression(C=1.0, tol=1e-10, max_iter=100_000, random_state=12345)
                  if tight else LogisticRegression(random_state=12345))
    learner = IPWLearner(n_actions=n_actions, len_list=slots, base_classifier=classifier)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learner.fit(context=train["context"], action=train["action"], reward=train["reward"],
                    pscore=train["pscore"], position=train["position"])
    fit_secs = time.perf_counter() - started
    dist = learner.predict(context=test["context"])
    # Items clicked in rows with the same (or symmetric) context have equal
    # logits at the optimum; scikit-learn's argmax then follows the solver's
    # last digits (differences of 1e-7 to 2e-6). shoplens sends logits within
    # 1e-4 of the best to the lower item; the same rule on obp's fit:
    tied = np.zeros_like(dist)
    for s, clf in enumerate(learner.base_classifier_list):
        z = clf.decision_function(test["context"])
        best = (z >= z.max(axis=1, keepdims=True) - 1e-4).argmax(axis=1)
        tied[np.arange(len(z)), clf.classes_[best], s] = 1.0
    changed = float((tied != dist).any(axis=(1, 2)).mean())
    reg = RegressionModel(
        n_actions=n_actions,
        len_list=slots,
        base_model=LogisticRegression(C=100, tol=1e-10, max_iter=100_000),
        fitting_method="normal",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = reg.fit_predict(context=test["context"], action=test["action"], reward=test["reward"],
                            position=test["position"], n_folds=1)
    ope = OffPolicyEvaluation(
        bandit_feedback=test,
        ope_estimators=[InverseProbabilityWeighting(), SelfNormalizedInverseProbabilityWeighting(),
                        DirectMethod(), DoublyRobust()],
    )
    raw = ope.estimate_policy_values(action_dist=dist, estimated_rewards_by_reg_model=q)
    dist = tied
    values = ope.estimate_policy_values(action_dist=dist, estimated_rewards_by_reg_model=q)
    shares = [{int(a): float(dist[:, a, s].mean()) for a in np.flatnonzero(dist[:, :, s].sum(0))}
              for s in range(slots)]
    return {"metrics": {k: float(values[k]) for k in ["ipw", "snipw", "dm", "dr"]},
            "untied_metrics": {k: float(raw[k]) for k in ["ipw", "snipw", "dm", "dr"]},
            "rows_changed_by_tie_rule": changed,
            "learner_fit_secs": fit_secs, "shares": shares,
            "train_clicks": float(train["reward"].sum()), "rounds": test["n_rounds"]}


def shoplens_side(binary, data_dir, behaviour):
    cmd = [binary, "bandit", "learn", "--data", str(Path(data_dir) / behaviour / "all" / "all.csv"),
           "--train-fraction", "0.5", "--reward-model", "logistic", "--bootstrap", "100", "--json"]
    started = time.perf_counter()
    result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    result["wall_secs"] = time.perf_counter() - started
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoplens", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--policies", default="random,bts")
    parser.add_argument("--out")
    args = parser.parse_args()
    report = {}
    for behaviour in args.policies.split(","):
        default, tight = obp_side(args.data_dir, behaviour, False), obp_side(args.data_dir, behaviour, True)
        mine = shoplens_side(args.shoplens, args.data_dir, behaviour)
        print(f"== {behaviour}/all: {tight['rounds']} evaluated rows, "
              f"{tight['train_clicks']:.0f} clicks to learn from")
        print(f"  obp learner fit: {default['learner_fit_secs']:.3f} s (defaults), "
              f"{tight['learner_fit_secs']:.3f} s (tight); shoplens whole command {mine['wall_secs']:.3f} s")
        print(f"  the tie rule changes obp's choice on {tight['rows_changed_by_tie_rule']:.2%} (tight) "
              f"and {default['rows_changed_by_tie_rule']:.2%} (defaults) of the evaluated rows")
        for key in ["ipw", "snipw", "dm", "dr"]:
            a, b, c = mine["metrics"][key], tight["metrics"][key], default["metrics"][key]
            rel = abs(a - b) / abs(b) if b != 0 else abs(a - b)
            print(f"    {key:<6} shoplens {a:.10f}  obp tight {b:.10f} (rel {rel:.2e})  obp defaults {c:.10f}"
                  f"  obp without the tie rule {tight['untied_metrics'][key]:.10f}")
        for s, (ours, theirs) in enumerate(zip(mine["top_items"], tight["shares"])):
            print(f"    slot {s + 1}: shoplens {[(i, round(p, 4)) for i, p in ours if p > 0]}")
            print(f"            obp      {sorted(((i, round(p, 4)) for i, p in theirs.items()), key=lambda x: -x[1])}")
        print(f"  {mine['comparison']}")
        report[behaviour] = {"obp_tight": tight, "obp_defaults": default, "shoplens": mine}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
