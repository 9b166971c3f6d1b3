"""scikit-learn reference for shoplens' sentiment classifiers (issue 4).

Same split as shoplens: after dropping empty texts, rows whose 0-based index
% 5 == 0 are test. Prints one JSON line per (dataset, model) with accuracy and
the time of vectorise + fit. Usage: python3 sentiment_reference.py SHARED_DATA_DIR
"""
import json
import os
import resource
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.naive_bayes import MultinomialNB


def peak_rss_mb():
    try:  # VmHWM: on Linux ru_maxrss keeps the starting benchmark's peak across exec
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def uci(root):
    texts, labels = [], []
    for name in ["amazon_cells_labelled", "imdb_labelled", "yelp_labelled"]:
        with open(f"{root}/uci-sentiment-labelled-sentences/{name}.txt", encoding="utf-8", newline="\n") as f:
            for line in f.read().split("\n"):
                if not line:
                    continue
                text, label = line.rsplit("\t", 1)
                texts.append(text)
                labels.append(int(label))
    return texts, labels


def shopping(root):
    import csv

    texts, labels = [], []
    with open(f"{root}/online-shopping-10-cats/online_shopping_10_cats.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["review"].replace("\ufeff", "")
            if not text.strip():
                continue
            texts.append(text)
            labels.append(int(row["label"]))
    return texts, labels


def run(name, texts, labels, vectorizer_args, rounds):
    y = np.array(labels)
    test = np.arange(len(texts)) % 5 == 0
    train_texts = [t for t, is_test in zip(texts, test) if not is_test]
    test_texts = [t for t, is_test in zip(texts, test) if is_test]
    only = os.environ.get("SHOPLENS_BENCH_ONLY", "logreg,nb").split(",")
    for model_name in [m for m in ["logreg", "nb"] if m in only]:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            vec = TfidfVectorizer(sublinear_tf=True, **vectorizer_args)
            x_train = vec.fit_transform(train_texts)
            if model_name == "logreg":
                model = LogisticRegression(C=10, max_iter=1000)
            else:
                model = MultinomialNB(alpha=1.0)
            model.fit(x_train, y[~test])
            times.append(time.perf_counter() - start)
        x_test = vec.transform(test_texts)
        pred = model.predict(x_test)
        proba = model.predict_proba(x_test)[:, 1]
        print(json.dumps({
            "dataset": name,
            "model": model_name,
            "n_train": int((~test).sum()),
            "n_test": int(test.sum()),
            "n_features": len(vec.vocabulary_),
            "accuracy": round(float(accuracy_score(y[test], pred)), 4),
            "auc": round(float(roc_auc_score(y[test], proba)), 4),
            "fit_secs": [round(t, 3) for t in times],
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }), flush=True)


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    texts, labels = uci(root)
    run("uci-sentences", texts, labels, {"ngram_range": (1, 2)}, rounds)
    texts, labels = shopping(root)
    run("online_shopping_10_cats", texts, labels, {"analyzer": "char", "ngram_range": (1, 2)}, rounds)
