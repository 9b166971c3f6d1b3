#!/usr/bin/env bash
# Where `shoplens recommend` spends its time on a large generated store: load,
# interaction matrix, split, fit, evaluation on every customer, and the
# process's peak memory, from the command's own JSON and /usr/bin/time.
#
# Usage: benches/scale_recommend.sh [EVENTS] [VALIDATE_EVERY] [OTHER_BIN]
#   EVENTS          events to generate (default 10000000: 500,000 customers,
#                   20,000 items, 525 MB of CSV)
#   VALIDATE_EVERY  validation during training every N iterations (default 5,
#                   the CLI's; 0 for the fit alone)
#   OTHER_BIN       a second shoplens binary (an older build) to run the same
#                   command with, one after the other, for a before/after
# Needs a release build (cargo build --release).
set -euo pipefail
events=${1:-10000000}
validate=${2:-5}
other=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
bin=${SHOPLENS_BIN:-${CARGO_TARGET_DIR:-$here/../target}/release/shoplens}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
users=$((events / 20))
"$bin" generate --users "$users" --items 20000 --events "$events" --out "$work/store" >/dev/null
run() {
  /usr/bin/time -v "$1" recommend --data "$work/store/events.csv" --model als \
    --factors 64 --iterations 15 --validate-every "$validate" \
    --split leave-last-out --k 10 --threads 2 --json >"$work/out.json" 2>"$work/time.txt"
  python3 - "$work/out.json" "$work/time.txt" "$1" <<'PY'
import json, re, sys
out = json.load(open(sys.argv[1]))
time = open(sys.argv[2]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", time)
h, m, s = wall.groups()
wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time).group(1)) / 1024
steps = ["load", "matrix", "split", "fit", "evaluate"]
print(sys.argv[3])
print("  " + "  ".join(f"{s} {out[s + '_secs']:.1f} s" if s + "_secs" in out else f"{s} -" for s in steps))
print(f"  wall {wall:.1f} s = {wall / out['fit_secs']:.2f}x the fit; peak RSS {rss:.0f} MB; "
      f"{out['users_evaluated']} customers evaluated")
print("  " + "  ".join(f"{k} {v:.10g}" for k, v in sorted(out["metrics"].items())))
PY
}
run "$bin"
if [ -n "$other" ]; then run "$other"; fi
