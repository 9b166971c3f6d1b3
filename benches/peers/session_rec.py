"""The session-rec peer for benches/sessions.rs and the tests' reference
figures: session-rec's own model classes (VMContextKNN, ContextKNN, STAN,
AssociationRules, SessionPop), fed either by its single-split preprocessing
of DIGINETICA (TYPE 2, re-typed here for pandas 2/3) or by a split that
shoplens wrote, and evaluated by its `evaluate_sessions` loop (predict the
next view at every position, all training items as candidates).

Needs a checkout of https://github.com/rn5l/session-rec in SESSION_REC_DIR
and `pip install numpy pandas psutil pympler`.

  python3 session_rec.py diginetica FILE [--models vsknn,stan,...]
  python3 session_rec.py split TRAIN.tsv TEST.tsv [--models vsknn] [--max-test-sessions N]

Prints one JSON line per model: predictions, HR@20 and MRR@20 in pandas'
sort order and as the expectation over random orders of tied scores, fit
and prediction seconds, and peak memory.
"""

import argparse
import json
import os
import resource
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd


def peak_rss_mb():
    try:  # VmHWM: on Linux ru_maxrss keeps the starting benchmark's peak across exec
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if not hasattr(np, "in1d"):  # removed in numpy 2.4; session-rec calls it
    np.in1d = np.isin
if not hasattr(time, "clock"):  # removed in Python 3.8; session-rec calls it
    time.clock = time.process_time

sys.path.insert(0, os.environ.get("SESSION_REC_DIR", "."))

K = 20


def models():
    from algorithms.baselines.ar import AssociationRules
    from algorithms.baselines.spop import SessionPop
    from algorithms.knn.sknn import ContextKNN
    from algorithms.knn.stan import STAN
    from algorithms.knn.vsknn import VMContextKNN

    # session-rec's DIGINETICA single-split configurations.
    return {
        "vsknn": lambda: VMContextKNN(k=1500, sample_size=10000, weighting="quadratic",
                                      weighting_score="linear", idf_weighting=10),
        "sknn": lambda: ContextKNN(k=50, sample_size=500, similarity="cosine"),
        "stan": lambda: STAN(k=500, sample_size=5000, lambda_spw=1.25, lambda_snh=80, lambda_inh=5),
        "ar": lambda: AssociationRules(),
        "spop": lambda: SessionPop(),
    }


def diginetica_split(path, days=7, min_support=5, min_length=2):
    data = pd.read_csv(path, sep=";", usecols=[0, 2, 3, 4],
                       dtype={0: np.int32, 1: np.int64, 2: np.int64, 3: str})
    data.columns = ["SessionId", "ItemId", "Time", "Date"]
    data = data[["SessionId", "Time", "ItemId", "Date"]].copy()
    data["Time"] = data.Time.fillna(0).astype(np.int64)
    stamp = data.Date.apply(lambda x: datetime.strptime(x, "%Y-%m-%d").timestamp())
    data["Time"] = data["Time"] / 1000 + stamp
    data = data.sort_values(["SessionId", "Time"])
    lengths = data.groupby("SessionId").size()
    data = data[np.isin(data.SessionId, lengths[lengths >= min_length].index)].copy()
    data["ItemSupport"] = data.groupby("ItemId")["ItemId"].transform("count")
    data = data[data.ItemSupport >= min_support]
    lengths = data.groupby("SessionId").size()
    data = data[np.isin(data.SessionId, lengths[lengths >= min_length].index)]
    test_from = datetime.fromtimestamp(data.Time.max(), timezone.utc) - timedelta(days=days)
    ends = data.groupby("SessionId").Time.max()
    train = data[np.isin(data.SessionId, ends[ends <= test_from.timestamp()].index)]
    lengths = train.groupby("SessionId").size()
    train = train[np.isin(train.SessionId, lengths[lengths >= 2].index)]
    test = data[np.isin(data.SessionId, ends[ends > test_from.timestamp()].index)]
    test = test[np.isin(test.ItemId, train.ItemId)]
    lengths = test.groupby("SessionId").size()
    test = test[np.isin(test.SessionId, lengths[lengths >= 2].index)]
    return train, test


def evaluate(name, pr, train, test):
    test = test.sort_values(["SessionId", "Time"], kind="stable")
    items = train.ItemId.unique()
    position = {item: i for i, item in enumerate(items)}
    hr = mrr = ehr = emrr = 0.0
    n = 0
    prev_sid, prev_iid = None, None
    started = time.time()
    for sid, iid, ts in zip(test.SessionId.values, test.ItemId.values, test.Time.values):
        if sid != prev_sid:
            prev_sid = sid
        else:
            if name == "spop":
                preds = pr.predict_next(sid, prev_iid, items)
            else:
                preds = pr.predict_next(sid, prev_iid, items, timestamp=ts)
            preds = preds.copy()
            preds[np.isnan(preds)] = 0
            scores = preds.values
            target = scores[position[iid]]
            above = int((scores > target).sum())
            tied = int((scores == target).sum())
            for rank in range(above + 1, min(above + tied, K) + 1):
                ehr += 1 / tied
                emrr += 1 / (tied * rank)
            top = list(preds.sort_values(ascending=False).index[:K])
            if iid in top:
                hr += 1
                mrr += 1 / (top.index(iid) + 1)
            n += 1
        prev_iid = iid
    secs = time.time() - started
    return n, hr, mrr, ehr, emrr, secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["diginetica", "split"])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--models", default="vsknn,sknn,stan,ar,spop")
    ap.add_argument("--max-test-sessions", type=int, default=0)
    args = ap.parse_args()
    if args.mode == "diginetica":
        train, test = diginetica_split(args.files[0])
    else:
        read = lambda f: pd.read_csv(f, sep="\t", dtype={"SessionId": np.int64, "ItemId": np.int64, "Time": np.float64})
        train, test = read(args.files[0]), read(args.files[1])
    if args.max_test_sessions:
        keep = test.SessionId.drop_duplicates().values[: args.max_test_sessions]
        test = test[np.isin(test.SessionId, keep)]
    counts = {"train_views": len(train), "train_sessions": int(train.SessionId.nunique()),
              "test_views": len(test), "test_sessions": int(test.SessionId.nunique())}
    print(json.dumps(counts), flush=True)
    build = models()
    for name in args.models.split(","):
        pr = build[name]()
        started = time.time()
        pr.fit(train.copy())
        fit_secs = time.time() - started
        n, hr, mrr, ehr, emrr, secs = evaluate(name, pr, train, test)
        print(json.dumps({
            "model": name, "predictions": n,
            f"hr@{K}": hr / max(n, 1), f"mrr@{K}": mrr / max(n, 1),
            f"expected_hr@{K}": ehr / max(n, 1), f"expected_mrr@{K}": emrr / max(n, 1),
            "fit_secs": fit_secs, "predict_secs": secs,
            "predictions_per_sec": n / max(secs, 1e-9),
            "peak_mb": peak_rss_mb(),
        }), flush=True)


if __name__ == "__main__":
    main()
