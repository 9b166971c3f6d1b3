#!/usr/bin/env python3
"""shoplens' own ALS vs ALS on Spark, side by side in one run.

    python3 benches/spark_scale.py SHOPLENS_BINARY DATA_FILE [--master local[2]]
        [--factors 64] [--iterations 10] [--split leave-last-out] [--driver-memory 4g]

Runs `shoplens recommend --model als` and `shoplens spark als` on the same
file, split, k (10), factors, iterations and seed, and prints for each: wall
time, peak memory of the whole process tree (shoplens plus, for Spark, the
driver JVM and its Python, sampled every 0.2 s from /proc), and HR@10 and
NDCG@10 from shoplens' evaluator. Both runs read the file themselves, so the
wall times include loading it. Linux only (/proc).
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time


def tree_rss_kb(root):
    """Resident memory of `root` and all its descendants, in kB."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def measure(cmd):
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.time() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return json.loads(out), wall, peak[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shoplens")
    ap.add_argument("data")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--split", default="leave-last-out")
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    common = [
        "--data", a.data, "--factors", str(a.factors), "--iterations", str(a.iterations),
        "--split", a.split, "--k", "10", "--seed", "42", "--threads", str(a.threads), "--json",
    ]
    rows = []
    own, wall, peak = measure([a.shoplens, "recommend", "--model", "als", *common])
    rows.append(("shoplens ALS (implicit's convention)", own, wall, peak, own["fit_secs"]))
    spark, wall, peak = measure(
        [a.shoplens, "spark", "als", "--master", a.master, "--driver-memory", a.driver_memory, *common]
    )
    rows.append(
        (f"ALS on Spark {spark['spark_version']} {spark['master']} (MLlib)", spark, wall, peak,
         spark["spark"]["fit_secs"])
    )
    print(f"data {a.data}: {own['users']} customers, {own['items']} items, "
          f"{own['train_interactions']} train pairs; split {own['split']}; "
          f"{own['users_evaluated']} customers evaluated; factors {a.factors}, iterations {a.iterations}")
    print("| engine | wall s (load + fit + evaluate) | fit s | peak memory MB (process tree) | HR@10 | NDCG@10 |")
    print("|---|---|---|---|---|---|")
    for name, r, wall, peak, fit in rows:
        m = r["metrics"]
        print(f"| {name} | {wall:.1f} | {fit:.1f} | {peak / 1024:.0f} | {m['hr@10']:.4f} | {m['ndcg@10']:.4f} |")
    print(json.dumps({"own": rows[0][1]["metrics"], "spark": rows[1][1]["metrics"],
                      "spark_engine": rows[1][1]["spark"]}))


if __name__ == "__main__":
    main()
