"""shoplens' topic models side by side with scikit-learn's, in one run.

shoplens runs first (`shoplens sentiment topics --json --tokens-out`),
which also writes the token lists of the reviews it chose (jieba words of
2+ characters for Chinese, stop words removed). scikit-learn then fits
the *same* token lists with the same vocabulary rules and weighting:

- vocabulary: `CountVectorizer(analyzer=<the tokens>, min_df=5, max_df=0.5)`;
- NMF: `TfidfTransformer(sublinear_tf=True)` then
  `NMF(n_components=k, solver='cd', init='nndsvda', max_iter=400,
  random_state=seed)`;
- LDA: `LatentDirichletAllocation(n_components=k,
  learning_method='online', random_state=seed)` on the counts (its other
  defaults: 10 passes, batches of 128, decay 0.7, offset 10).

Both sides are scored by one Python function: the mean NPMI of each
topic's top 10 words over the reviews' document co-occurrence (a pair
never seen together scores -1), and, as a check, shoplens' own coherence
is printed beside the one computed here from its words. Also printed:
NMF's relative error ||X - WH||_F / ||X||_F, LDA's perplexity on the
reviews (`lda.perplexity(X)`), and each fit's own time (shoplens reports
its fit time, matrices built; scikit-learn's is timed around `fit`).
LDA's perplexity depends on the random start more than on the
implementation (the two sides draw from different generators), so
`--lda-seeds 0,1,2,3` also fits both sides once per listed seed and
compares the mean perplexity over seeds.

Each side fits `--repeats` times (default 3) and the median fit time is
reported, since one fit of under a second is at the mercy of a noisy
machine; shoplens' repeats must give the same topics (it is seeded).
Both run with one thread here (`--threads 1`, and scikit-learn's
defaults are single-threaded for these solvers; BLAS threads are set
to 1 too).

Usage: python sklearn_topics.py --shoplens BIN --data FILE [--k 8]
       [--polarity negative] [--seed 0] [--methods nmf,lda]
       [--threads 1] [--repeats 3] [--lda-seeds 0,1,2,3]
       [--out results.json]
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from sklearn.decomposition import NMF, LatentDirichletAllocation  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer  # noqa: E402


def npmi_coherence(binary_csc, vocab_index, topics):
    """Mean over topics of the mean NPMI over pairs of top words."""
    n = binary_csc.shape[0]
    per_topic = []
    for words in topics:
        ids = [vocab_index[w] for w in words if w in vocab_index]
        docs = [set(binary_csc.indices[binary_csc.indptr[j]:binary_csc.indptr[j + 1]]) for j in ids]
        scores = []
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                na, nb = len(docs[a]), len(docs[b])
                nab = len(docs[a] & docs[b])
                if nab == 0:
                    scores.append(-1.0)
                    continue
                pa, pb, pab = na / n, nb / n, nab / n
                scores.append(1.0 if pab >= 1.0 else np.log(pab / (pa * pb)) / -np.log(pab))
        per_topic.append(float(np.mean(scores)) if scores else 0.0)
    return float(np.mean(per_topic)), per_topic


def top_words(components, vocab, n=10):
    out = []
    for row in components:
        # Heaviest first, ties to the lower vocabulary index (as shoplens).
        order = np.lexsort((np.arange(len(row)), -row))[:n]
        out.append([vocab[j] for j in order])
    return out


def relative_error(x, w, h):
    """||X - WH||_F / ||X||_F without forming WH:
    ||X - WH||^2 = ||X||^2 - 2 tr(W^T X H^T) + tr((W^T W)(H H^T))."""
    x = sp.csr_matrix(x)
    xn2 = float(x.multiply(x).sum())
    cross = float(np.sum(w * (x @ h.T)))
    quad = float(np.sum((w.T @ w) * (h @ h.T)))
    return float(np.sqrt(max(xn2 - 2 * cross + quad, 0.0)) / np.sqrt(xn2))


def run_shoplens(args, method, tokens_path):
    cmd = [
        args.shoplens, "sentiment", "topics", "--data", args.data,
        "--polarity", args.polarity, "--method", method, "--k", str(args.k),
        "--seed", str(args.seed), "--threads", str(args.threads), "--json",
        "--tokens-out", tokens_path,
    ]
    started = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - started
    result = json.loads(out)
    result["wall_secs"] = wall
    return result


def run_shoplens_repeated(args, method, tokens_path):
    """Run shoplens `--repeats` times; the first run's result with the
    median fit time, after checking every run found the same topics."""
    runs = [run_shoplens(args, method, tokens_path) for _ in range(args.repeats)]
    first = runs[0]
    for r in runs[1:]:
        if [t["words"] for t in r["topics"]] != [t["words"] for t in first["topics"]]:
            raise SystemExit("shoplens found different topics with the same seed")
    first["fit_secs"] = float(np.median([r["fit_secs"] for r in runs]))
    first["wall_secs"] = float(np.median([r["wall_secs"] for r in runs]))
    return first


def timed_fits(repeats, make, fit):
    """Fit a fresh model `repeats` times; the last model and the median time."""
    times = []
    for _ in range(repeats):
        model = make()
        started = time.perf_counter()
        out = fit(model)
        times.append(time.perf_counter() - started)
    return model, out, float(np.median(times))


def lda_over_seeds(args, counts, tmp):
    """Perplexity of both sides at each of `--lda-seeds`, and the means."""
    seeds = [int(v) for v in args.lda_seeds.split(",") if v.strip()]
    rows = []
    for seed in seeds:
        ours = run_shoplens(argparse.Namespace(**{**vars(args), "seed": seed}), "lda",
                            os.path.join(tmp, "tokens-seed.txt"))
        model = LatentDirichletAllocation(n_components=args.k, learning_method="online",
                                          random_state=seed)
        started = time.perf_counter()
        model.fit(counts)
        secs = time.perf_counter() - started
        theirs = float(model.perplexity(counts))
        rows.append({"seed": seed, "shoplens": ours["perplexity"], "sklearn": theirs,
                     "shoplens_fit_secs": ours["fit_secs"], "sklearn_fit_secs": secs})
        print(f"  seed {seed}: perplexity shoplens {ours['perplexity']:.1f}  sklearn {theirs:.1f}"
              f"  fit {ours['fit_secs']:.2f}s vs {secs:.2f}s", flush=True)
    mean_ours = float(np.mean([r["shoplens"] for r in rows]))
    mean_theirs = float(np.mean([r["sklearn"] for r in rows]))
    print(f"  mean over seeds: shoplens {mean_ours:.1f}  sklearn {mean_theirs:.1f}  "
          f"ratio {mean_ours / mean_theirs:.4f}")
    return {"per_seed": rows, "shoplens_mean": mean_ours, "sklearn_mean": mean_theirs}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shoplens", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--polarity", default="negative")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--methods", default="nmf,lda")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--lda-seeds", default="")
    p.add_argument("--out")
    args = p.parse_args()

    results = {"data": args.data, "k": args.k, "polarity": args.polarity, "seed": args.seed,
               "repeats": args.repeats, "threads": args.threads, "sklearn": sklearn.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods.split(","):
            tokens_path = os.path.join(tmp, f"tokens-{method}.txt")
            ours = run_shoplens_repeated(args, method, tokens_path)
            with open(tokens_path, encoding="utf-8") as f:
                docs = [line.rstrip("\n") for line in f]
            cv = CountVectorizer(analyzer=lambda s: s.split(" ") if s else [], min_df=5, max_df=0.5)
            counts = cv.fit_transform(docs)
            vocab = cv.get_feature_names_out()
            vocab_index = {w: i for i, w in enumerate(vocab)}
            binary = (counts > 0).astype(np.int8).tocsc()
            if method == "nmf":
                x = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
                model, w, secs = timed_fits(
                    args.repeats,
                    lambda: NMF(n_components=args.k, solver="cd", init="nndsvda", max_iter=400,
                                random_state=args.seed),
                    lambda m: m.fit_transform(x))
                theirs_quality = {"relative_error": relative_error(x, w, model.components_),
                                  "iterations": int(model.n_iter_)}
                ours_quality = {"relative_error": ours["relative_error"], "iterations": ours["iterations"]}
            else:
                model, _, secs = timed_fits(
                    args.repeats,
                    lambda: LatentDirichletAllocation(n_components=args.k,
                                                      learning_method="online",
                                                      random_state=args.seed),
                    lambda m: m.fit(counts))
                theirs_quality = {"perplexity": float(model.perplexity(counts))}
                ours_quality = {"perplexity": ours["perplexity"]}
            their_topics = top_words(model.components_, vocab)
            our_topics = [t["words"] for t in ours["topics"]]
            their_coh, _ = npmi_coherence(binary, vocab_index, their_topics)
            our_coh, _ = npmi_coherence(binary, vocab_index, our_topics)
            row = {
                "reviews": counts.shape[0],
                "vocabulary": len(vocab),
                "shoplens_vocabulary": ours["vocabulary"],
                "shoplens": {"coherence": our_coh, "own_coherence": ours["coherence"],
                             "fit_secs": ours["fit_secs"], "wall_secs": ours["wall_secs"],
                             **ours_quality, "topics": our_topics},
                "sklearn": {"coherence": their_coh, "fit_secs": secs, **theirs_quality,
                            "topics": their_topics},
            }
            results[method] = row
            print(f"== {method.upper()} on {row['reviews']} {args.polarity} reviews of "
                  f"{os.path.basename(args.data)}, vocabulary {row['vocabulary']} "
                  f"(shoplens {row['shoplens_vocabulary']})")
            for side in ("shoplens", "sklearn"):
                r = row[side]
                q = ", ".join(f"{k} {v:.6g}" for k, v in r.items()
                              if k in ("relative_error", "perplexity", "iterations"))
                print(f"  {side:9s} coherence {r['coherence']:.4f}  fit {r['fit_secs']:.2f}s  {q}")
            print(f"  shoplens' own coherence {ours['coherence']:.4f}; time ratio "
                  f"{ours['fit_secs'] / secs:.3f}")
            for i, (a, b) in enumerate(zip(our_topics, their_topics)):
                print(f"  {i + 1}. shoplens: {' '.join(a)}")
                print(f"     sklearn:  {' '.join(b)}")
            if method == "lda" and args.lda_seeds:
                row["seeds"] = lda_over_seeds(args, counts, tmp)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(results, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
