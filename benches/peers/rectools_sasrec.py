"""RecTools' SASRec (PyTorch, CPU) on a SASRec-format sequence file, with the
split and metrics of `shoplens recommend --model sasrec --split leave-last-out`.

Usage: python3 rectools_sasrec.py SEQUENCES EPOCHS THREADS [LOSS]
SEQUENCES has `user item` per line in time order (gzip allowed), as
../shared/data/amazon-games-sasrec/Video.txt.gz. LOSS is RecTools' name:
sampled_softmax (default; shoplens' auto above 5,000 items) or softmax.

Protocol: each user's last item is the test item, the rest train; the model
trains EPOCHS epochs with shoplens' SASRec defaults (d 64, 2 blocks, 1 head,
L 50, dropout 0.2, Adam 1e-3, batch 128, 256 negatives); then every item is
ranked for every user, the user's train items filtered, and HR@10 / NDCG@10
are the mean over users (one relevant item: NDCG = 1 / log2(rank + 1)).
Prints one JSON object: seconds per epoch (median and mean of the timed
epochs), fit and recommend seconds, metrics, peak RSS.
"""
import gzip
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import torch
from lightning_fabric import seed_everything
from pytorch_lightning import Callback, Trainer
from rectools import Columns
from rectools.dataset import Dataset
from rectools.models import SASRecModel


def peak_rss_mb():
    try:  # VmHWM: on Linux ru_maxrss keeps the starting benchmark's peak across exec
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Module-level: RecTools copies the trainer (and its callbacks) before fitting.
EPOCH_SECS = []


class EpochTimer(Callback):
    started = 0.0

    def on_train_epoch_start(self, trainer, pl_module):
        EpochTimer.started = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module):
        EPOCH_SECS.append(time.perf_counter() - EpochTimer.started)


def read_sequences(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        pairs = [line.split() for line in f if line.strip()]
    df = pd.DataFrame(pairs, columns=[Columns.User, Columns.Item])
    # The file's order is the time order: a row's position is its time.
    df[Columns.Datetime] = pd.to_datetime(np.arange(len(df)), unit="s")
    df[Columns.Weight] = 1.0
    return df


def main():
    path, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    loss = sys.argv[4] if len(sys.argv) > 4 else "sampled_softmax"
    torch.set_num_threads(threads)
    seed_everything(42, workers=True)
    df = read_sequences(path)
    last = df.groupby(Columns.User, sort=False).tail(1)
    train = df.drop(last.index)
    dataset = Dataset.construct(train)
    timer = EpochTimer()

    def trainer():
        return Trainer(
            max_epochs=epochs,
            accelerator="cpu",
            devices=1,
            deterministic=True,
            enable_progress_bar=False,
            enable_model_summary=False,
            enable_checkpointing=False,
            logger=False,
            callbacks=[timer],
        )

    model = SASRecModel(
        n_factors=64,
        n_blocks=2,
        n_heads=1,
        session_max_len=50,
        dropout_rate=0.2,
        lr=1e-3,
        batch_size=128,
        epochs=epochs,
        loss=loss,
        n_negatives=256,
        use_key_padding_mask=True,
        get_trainer_func=trainer,
        recommend_n_threads=threads,
    )
    start = time.perf_counter()
    model.fit(dataset)
    fit_secs = time.perf_counter() - start

    start = time.perf_counter()
    users = last[Columns.User].unique()
    # RecTools' SASRec skips users with fewer than two train items (as
    # "cold"); they count as misses here, while shoplens reads their one item.
    recs = model.recommend(
        users=users, dataset=dataset, k=10, filter_viewed=True, on_unsupported_targets="warn"
    )
    recommend_secs = time.perf_counter() - start
    recommended = int(recs[Columns.User].nunique())
    recs = recs.merge(last[[Columns.User, Columns.Item]], on=[Columns.User, Columns.Item])
    ranks = recs[Columns.Rank].to_numpy()
    n = len(users)
    secs = EPOCH_SECS
    print(json.dumps({
        "peer": "rectools SASRecModel",
        "loss": loss,
        "users": n,
        "users_recommended": recommended,
        "items": int(dataset.item_id_map.size),
        "epochs": len(secs),
        "seconds_per_epoch_median": float(np.median(secs)) if secs else None,
        "seconds_per_epoch_mean": float(np.mean(secs)) if secs else None,
        "fit_secs": fit_secs,
        "recommend_secs": recommend_secs,
        "hr@10": len(ranks) / n,
        "ndcg@10": float(np.sum(1.0 / np.log2(ranks + 1)) / n),
        "threads": threads,
        "peak_rss_mb": peak_rss_mb(),
    }))


if __name__ == "__main__":
    main()
