#!/usr/bin/env bash
# SASRec in shoplens and in RecTools (PyTorch) on the same file, split,
# hyperparameters (RecTools' dropout, 0.2, on both) and threads, one after
# the other in one run: seconds per epoch, HR@10 / NDCG@10 (every item
# ranked, history filtered), peak RSS.
#
# Usage: benches/peers/sasrec_side_by_side.sh SEQUENCES EPOCHS [LOSS]
#   SEQUENCES  e.g. ../shared/data/amazon-games-sasrec/Video.txt.gz
#   EPOCHS     epochs each side trains (no early stopping)
#   LOSS       sampled (default) or softmax
# Needs a release build (cargo build --release) and a Python with torch and
# rectools: PYTHON=/path/to/python (default: ~/.cache/shoplens-torch-venv).
set -euo pipefail
data=$1
epochs=$2
loss=${3:-sampled}
threads=2
here=$(cd "$(dirname "$0")" && pwd)
bin=${SHOPLENS_BIN:-${CARGO_TARGET_DIR:-$here/../../target}/release/shoplens}
python=${PYTHON:-$HOME/.cache/shoplens-torch-venv/bin/python}
case $loss in
  sampled) peer_loss=sampled_softmax ;;
  softmax) peer_loss=softmax ;;
  *) echo "LOSS is sampled or softmax, not $loss" >&2; exit 2 ;;
esac
out=$(mktemp -d)

echo "== shoplens SASRec ($loss, $epochs epochs, $threads threads)" >&2
CANDLE_NUM_THREADS=$threads /usr/bin/time -v "$bin" recommend --data "$data" \
  --model sasrec --split leave-last-out --k 10 --threads $threads \
  --epochs "$epochs" --patience 0 --loss "$loss" --dropout 0.2 --json \
  >"$out/shoplens.json" 2>"$out/shoplens.time"
python3 - "$out/shoplens.json" "$out/shoplens.time" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
secs = [e["secs"] for e in d["epochs"]]
per = [b - a for a, b in zip([0] + secs, secs)]
per.sort()
print(json.dumps({"side": "shoplens", "epochs": len(per),
  "seconds_per_epoch_median": per[len(per) // 2], "fit_secs": d["fit_secs"],
  "hr@10": d["metrics"]["hr@10"], "ndcg@10": d["metrics"]["ndcg@10"],
  "peak_rss_mb": rss, "note": d["note"]}))
EOF

echo "== RecTools SASRec ($peer_loss, $epochs epochs, $threads threads)" >&2
OMP_NUM_THREADS=$threads "$python" "$here/rectools_sasrec.py" "$data" "$epochs" $threads "$peer_loss" 2>"$out/rectools.log"
rm -rf "$out"
