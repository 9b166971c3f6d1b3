"""Context-aware off-policy evaluation beside obp 0.5.7, in one run.

For each behaviour policy's Open Bandit Dataset sample (`random/all`,
`bts/all`): rows in time order, the first half learns, the second half is
evaluated (obp's `obtain_batch_bandit_feedback(test_size=0.5,
is_timeseries_split=True)`). Two evaluation policies:
- most clicked per `user_feature_0`: for each value of it and each slot, the
  item with the most clicks in that slot in the learning half (ties: lowest
  item id), else the slot's most clicked item overall (ties: lowest id);
- uniform random.
The reward model for DM and DR is obp's `RegressionModel(len_list=3,
fitting_method='normal')` over scikit-learn's `LogisticRegression(C=100)`,
converged tightly, on [obp's one-hot user context, item one-hot], fitted and
predicted on the evaluated half (`n_folds=1`). With `--item-features`, the
item part is instead the items' features from `item_context.csv` (obp's
`action_context`), encoded as shoplens encodes them: numeric columns as they
are, text columns one-hot with the first sorted value dropped
(`pandas.get_dummies(drop_first=True)`); shoplens then runs with
`--item-features auto`.

shoplens runs the same evaluation (`bandit evaluate --policy most-clicked
--segment-col user_feature_0 --train-fraction 0.5 --reward-model logistic
--json`); the script prints both sides' IPW, SNIPW, DM and DR, their
relative differences, and each side's time for the logistic fits.

Usage (obp's environment, see ../shared/tools/setup-obp-env.sh):
  PYTHONPATH=$VENV/torchstub $VENV/bin/python obp_contextual.py \
      --shoplens BIN --data-dir ../shared/data/open-bandit-dataset-sample \
      [--policies random,bts] [--repeats 3] [--item-features] [--out result.json]
"""
import argparse
import json
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from obp.dataset import OpenBanditDataset
from obp.ope import (
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    OffPolicyEvaluation,
    RegressionModel,
    SelfNormalizedInverseProbabilityWeighting,
)
from sklearn.linear_model import LogisticRegression

SEGMENT = "user_feature_0"


def most_clicked_by_segment(train, seg_train, seg_test, n_actions, slots):
    """action_dist (n_test, n_actions, slots) of the per-segment policy."""
    action, position, reward = train["action"], train["position"], train["reward"]
    overall = np.zeros((slots, n_actions))
    np.add.at(overall, (position, action), reward)
    # np.argmax returns the first (lowest) index among ties; with no click
    # at all that is item 0, the lowest id.
    fallback = overall.argmax(axis=1)
    values = sorted(set(seg_train) | set(seg_test))
    chosen = {}
    for v in values:
        rows = seg_train == v
        clicks = np.zeros((slots, n_actions))
        np.add.at(clicks, (position[rows], action[rows]), reward[rows])
        chosen[v] = [int(clicks[s].argmax()) if clicks[s].max() > 0 else int(fallback[s])
                     for s in range(slots)]
    dist = np.zeros((len(seg_test), n_actions, slots))
    for i, v in enumerate(seg_test):
        for s in range(slots):
            dist[i, chosen[v][s], s] = 1.0
    return dist


def item_features(obd):
    """The items' features as shoplens encodes them, rows by item id."""
    items = obd.item_context.sort_values("item_id")
    features = items.drop(columns=[c for c in items.columns
                                   if c == "item_id" or c == "" or c.startswith("Unnamed:")])
    return pd.get_dummies(features, drop_first=True).to_numpy(dtype=float)


def obp_side(data_dir, behaviour, with_item_features):
    obd = OpenBanditDataset(behavior_policy=behaviour, campaign="all", data_path=Path(data_dir))
    action_context = item_features(obd) if with_item_features else None
    train, test = obd.obtain_batch_bandit_feedback(test_size=0.5, is_timeseries_split=True)
    n_train = train["n_rounds"]
    seg = obd.data[SEGMENT].values
    seg_train, seg_test = seg[:n_train], seg[n_train:]
    n_actions, slots = obd.n_actions, obd.len_list
    reg = RegressionModel(
        n_actions=n_actions,
        len_list=slots,
        base_model=LogisticRegression(C=100, tol=1e-10, max_iter=100_000),
        fitting_method="normal",
        action_context=action_context,
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = reg.fit_predict(
            context=test["context"],
            action=test["action"],
            reward=test["reward"],
            position=test["position"],
            n_folds=1,
        )
    fit_secs = time.perf_counter() - started
    ope = OffPolicyEvaluation(
        bandit_feedback=test,
        ope_estimators=[
            InverseProbabilityWeighting(),
            SelfNormalizedInverseProbabilityWeighting(),
            DirectMethod(),
            DoublyRobust(),
        ],
    )
    out = {"rounds": test["n_rounds"], "context_features": test["context"].shape[1],
           "item_features": None if action_context is None else action_context.shape[1],
           "logistic_fit_secs": fit_secs}
    policies = {
        "most-clicked": most_clicked_by_segment(train, seg_train, seg_test, n_actions, slots),
        "uniform": np.full((test["n_rounds"], n_actions, slots), 1.0 / n_actions),
    }
    for name, dist in policies.items():
        values = ope.estimate_policy_values(action_dist=dist, estimated_rewards_by_reg_model=q)
        out[name] = {k: float(values[k]) for k in ["ipw", "snipw", "dm", "dr"]}
    return out


def shoplens_side(binary, data_dir, behaviour, policy, with_item_features):
    cmd = [binary, "bandit", "evaluate", "--data", str(Path(data_dir) / behaviour / "all" / "all.csv"),
           "--policy", policy, "--segment-col", SEGMENT, "--train-fraction", "0.5",
           "--reward-model", "logistic", "--bootstrap", "10", "--json"]
    if with_item_features:
        cmd += ["--item-features", "auto"]
    started = time.perf_counter()
    result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    result["wall_secs"] = time.perf_counter() - started
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoplens", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--policies", default="random,bts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--item-features", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args()
    report = {}
    for behaviour in args.policies.split(","):
        runs = [obp_side(args.data_dir, behaviour, args.item_features) for _ in range(args.repeats)]
        peer = runs[0]
        peer["logistic_fit_secs"] = float(np.median([r["logistic_fit_secs"] for r in runs]))
        print(f"== {behaviour}/all: {peer['rounds']} evaluated rows, "
              f"{peer['context_features']} context features, "
              f"{peer['item_features'] or 'one-hot'} item features")
        print(f"  obp logistic fits {peer['logistic_fit_secs']:.3f} s (median of {args.repeats})")
        entry = {"obp": peer, "shoplens": {}}
        for policy in ["most-clicked", "uniform"]:
            ours = [shoplens_side(args.shoplens, args.data_dir, behaviour, policy, args.item_features)
                    for _ in range(args.repeats)]
            mine = ours[0]
            mine["reward_fit_secs"] = float(np.median([o.get("reward_fit_secs", np.nan) for o in ours]))
            entry["shoplens"][policy] = mine
            print(f"  {policy}: shoplens reward-model fit {mine['reward_fit_secs']:.3f} s")
            for key in ["ipw", "snipw", "dm", "dr"]:
                a, b = mine["metrics"][key], peer[policy][key]
                rel = abs(a - b) / abs(b) if b != 0 else abs(a - b)
                print(f"    {key:<6} shoplens {a:.10f}  obp {b:.10f}  |diff| {abs(a - b):.2e}  rel {rel:.2e}")
        report[behaviour] = entry
    if args.out:
        Path(args.out).write_text(
            json.dumps(report, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


if __name__ == "__main__":
    main()
