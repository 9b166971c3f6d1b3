"""Times implicit 0.7.3 (CPU) on a train matrix written by benches/recommenders.rs.

Usage: python3 implicit_reference.py TRAIN_CSV THREADS [MODELS]
MODELS is a comma-separated subset of als,bpr,itemknn (all by default).
TRAIN_CSV has lines `user,item,weight` (dense 0-based ids). Prints one JSON object.
Run with OPENBLAS_NUM_THREADS=1, as implicit recommends.
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from implicit.nearest_neighbours import BM25Recommender, CosineRecommender


def main():
    path, threads = sys.argv[1], int(sys.argv[2])
    models = set((sys.argv[3] if len(sys.argv) > 3 else "als,bpr,itemknn").split(","))
    data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    users, items, weights = data[:, 0].astype(np.int32), data[:, 1].astype(np.int32), data[:, 2]
    m = sp.csr_matrix((weights.astype(np.float32), (users, items)))
    out = {"users": m.shape[0], "items": m.shape[1], "nnz": int(m.nnz)}

    if "als" in models:
        time_als(m, threads, out)

    def best_of_3(make):
        best = float("inf")
        for _ in range(3):
            model = make()
            start = time.perf_counter()
            model.fit(m, show_progress=False)
            best = min(best, time.perf_counter() - start)
        return best

    if "bpr" in models:
        out["bpr_secs_per_epoch"] = best_of_3(lambda: BayesianPersonalizedRanking(
            factors=64, learning_rate=0.05, regularization=0.01, iterations=20,
            num_threads=threads, random_state=42)) / 20
    if "itemknn" in models:
        out["itemknn_cosine_fit_secs"] = best_of_3(
            lambda: CosineRecommender(K=100, num_threads=threads))
        out["itemknn_bm25_fit_secs"] = best_of_3(
            lambda: BM25Recommender(K=100, num_threads=threads))
    print(json.dumps(out))


def time_als(m, threads, out):
    als = AlternatingLeastSquares(factors=64, regularization=0.05, alpha=1.0, iterations=15,
                                  num_threads=threads, random_state=42)
    times = []
    last = [time.perf_counter()]

    def callback(iteration, elapsed, loss):
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    als.fit_callback = callback
    start = time.perf_counter()
    last[0] = start
    als.fit(m, show_progress=False)
    out["als_fit_secs"] = time.perf_counter() - start
    out["als_secs_per_iteration"] = float(np.median(times))


if __name__ == "__main__":
    main()
