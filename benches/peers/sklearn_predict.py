"""scikit-learn's HistGradientBoostingClassifier on the feature table
shoplens built (benches/predict.rs writes it), beside shoplens' trees.

Usage: python sklearn_predict.py TRAIN.csv TEST.csv
Both CSVs: one column per feature, then `label`. Defaults of scikit-learn
(learning_rate 0.1, max_iter 100, max_leaf_nodes 31, early stopping on a
10% validation split when there are more than 10,000 rows), random_state 0.
Prints `key value` lines: fit seconds, ROC AUC on TEST, peak memory.
"""
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score


def peak_rss_mb():
    try:  # VmHWM: on Linux ru_maxrss keeps the starting benchmark's peak across exec
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]

x_train, y_train = read(sys.argv[1])
x_test, y_test = read(sys.argv[2])
started = time.perf_counter()
model = HistGradientBoostingClassifier(random_state=0).fit(x_train, y_train)
fit_secs = time.perf_counter() - started
auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
print("rows", len(y_train))
print("fit_secs", fit_secs)
print("iterations", model.n_iter_)
print("roc_auc", auc)
print("peak_mb", peak_rss_mb())
