"""scikit-learn reference for shoplens' customer segments (issue 5).

Computes R, F, M per customer from UCI Online Retail independently of shoplens
(cleaning: customer present, quantity > 0, price > 0, invoice not starting
with 'C'; recency = whole days from the last purchase to the last timestamp
+ 1 day; frequency = distinct invoices; monetary = sum of quantity x price),
scales log1p + StandardScaler, and fits KMeans(k=4, n_init=10) several times.
Prints one JSON line. Usage: python3 segment_reference.py SHARED_DATA_DIR [ROUNDS]
"""
import csv
import gzip
import json
import resource
import sys
import time
from datetime import datetime, timezone

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler


def peak_rss_mb():
    try:  # VmHWM: on Linux ru_maxrss keeps the starting benchmark's peak across exec
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rfm(path):
    last, invoices, spend = {}, {}, {}
    max_ts = None
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            customer = row["CustomerID"].strip()
            if not customer:
                continue
            quantity, price = float(row["Quantity"]), float(row["UnitPrice"])
            invoice = row["InvoiceNo"]
            if quantity <= 0 or price <= 0 or invoice.startswith("C"):
                continue
            ts = datetime.strptime(row["InvoiceDate"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
            max_ts = ts if max_ts is None else max(max_ts, ts)
            last[customer] = max(last.get(customer, ts), ts)
            invoices.setdefault(customer, set()).add(invoice)
            spend[customer] = spend.get(customer, 0.0) + quantity * price
    reference = max_ts + 86400
    customers = sorted(last)
    x = np.array([
        [(reference - last[c]) // 86400, len(invoices[c]), spend[c]] for c in customers
    ])
    return customers, x


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    customers, raw = rfm(f"{root}/uci-online-retail/OnlineRetail.csv.gz")
    scaled = StandardScaler().fit_transform(np.log1p(raw))
    times, best = [], None
    for r in range(rounds):
        start = time.perf_counter()
        model = KMeans(n_clusters=4, n_init=10, random_state=r).fit(scaled)
        times.append(time.perf_counter() - start)
        if best is None or model.inertia_ < best.inertia_:
            best = model
    profiles = []
    for c in range(4):
        members = raw[best.labels_ == c]
        profiles.append({
            "size": int(len(members)),
            "recency": float(members[:, 0].mean()),
            "frequency": float(members[:, 1].mean()),
            "monetary": float(members[:, 2].mean()),
        })
    profiles.sort(key=lambda p: -p["size"])
    print(json.dumps({
        "customers": len(customers),
        "inertia": float(best.inertia_),
        "fit_secs": [round(t, 4) for t in times],
        "profiles": profiles,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }))
