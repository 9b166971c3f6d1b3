#!/usr/bin/env bash
# A 10⁸-event store on one machine: generate it (about 5.5 GB of CSV), then
# time `shoplens profile` and `shoplens recommend` (item kNN and ALS, each
# evaluated on a stated random sample of customers) and record each
# process's peak memory two ways: the peak resident set from /usr/bin/time
# (which counts the memory-mapped CSV's pages, up to the file's size, that
# the kernel can drop and re-read) and the peak of anonymous memory alone,
# sampled every half second from /proc (what cannot be dropped).
#
# Usage: benches/scale_100m.sh [STORE_DIR] [EVAL_USERS]
#   STORE_DIR   where the store is or is generated (default: a temporary
#               folder, removed after); needs about 6 GB of disk
#   EVAL_USERS  customers evaluated, a seeded random sample (default 100000),
#               or `all` to evaluate every customer with a test item
# SHOPLENS_SCALE_STEPS picks the measurements (default: all four):
#   profile  itemknn  als  skip
# `skip` writes a copy of the store with three lines broken the way real
# exports break (a row cut short, a stray quote, a NUL byte), profiles it
# with --skip-bad-lines, and removes the copy.
# Needs a release build (cargo build --release) and 24 GB of memory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${SHOPLENS_BIN:-${CARGO_TARGET_DIR:-$here/../target}/release/shoplens}
store=${1:-}
sample=${2:-100000}
steps=${SHOPLENS_SCALE_STEPS:-profile itemknn als skip}
evaluate=(--eval-users "$sample")
[ "$sample" = all ] && evaluate=()
wanted() { [[ " $steps " == *" $1 "* ]]; }
if [ -z "$store" ]; then
  store=$(mktemp -d)
  trap 'rm -rf "$store"' EXIT
fi
events="$store/events.csv"
if [ ! -f "$events" ]; then
  /usr/bin/time -f "generate: wall %e s, peak RSS %M KB" "$bin" generate \
    --users 5000000 --items 200000 --events 100000000 --out "$store" >/dev/null
fi
ls -l "$events"
# Peak anonymous memory of process $1, sampled until it exits, into $2.
watch_memory() {
  local max=0 anon
  while anon=$(awk '/RssAnon/ {print $2}' "/proc/$1/status" 2>/dev/null) && [ -n "$anon" ]; do
    [ "$anon" -gt "$max" ] && max=$anon
    echo "$max" >"$2"
    sleep 0.5
  done
}
measure() {
  local name=$1
  shift
  local out err mem
  out=$(mktemp) err=$(mktemp) mem=$(mktemp)
  /usr/bin/time -v "$bin" "$@" --json >"$out" 2>"$err" &
  local timer=$!
  sleep 0.2
  local pid
  pid=$(pgrep -P "$timer" | head -1)
  watch_memory "$pid" "$mem" &
  wait "$timer"
  python3 - "$name" "$out" "$err" "$mem" <<'PY'
import json, re, sys
name, out, err, mem = sys.argv[1:]
out = json.load(open(out))
time = open(err).read()
h, m, s = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", time).groups()
wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time).group(1)) / 1048576
anon = int(open(mem).read().strip() or 0) / 1048576
steps = [f"{k} {v:.1f} s" for k, v in out.items() if k.endswith("_secs") and isinstance(v, (int, float))]
print(f"{name}: wall {wall:.1f} s; peak RSS {rss:.2f} GiB, of it anonymous {anon:.2f} GiB")
print("  " + "; ".join(steps))
skipped = out.get("skipped_lines")
if skipped:
    print(f"  skipped {skipped['count']} lines: "
          + "; ".join(f"line {s['line']}: {s['reason']}" for s in skipped["first"]))
if "metrics" in out:
    print(f"  {out.get('users_evaluated')} customers evaluated of {out.get('users_sampled_from')}; "
          + "  ".join(f"{k} {v:.4f}" for k, v in sorted(out["metrics"].items())))
PY
  rm -f "$out" "$err" "$mem"
}
if wanted profile; then
  measure profile profile "$events"
fi
if wanted itemknn; then
  measure "item kNN" recommend --data "$events" --model itemknn --split leave-last-out \
    --k 10 --threads 2 "${evaluate[@]}"
fi
if wanted als; then
  measure "ALS" recommend --data "$events" --model als --factors 64 --iterations 15 \
    --validate-every 0 --split leave-last-out --k 10 --threads 2 "${evaluate[@]}"
fi
if wanted skip; then
  damaged="$store/events_damaged.csv"
  # Lines 10,000,001, 50,000,001 and 90,000,001 of the file (data rows
  # 10⁷, 5·10⁷ and 9·10⁷): the last field cut off, a quote opened after
  # the third comma and never closed, a NUL byte inside the timestamp.
  perl -pe 'if ($. == 10000001) { s/,[^,\n]*$// }
            elsif ($. == 50000001) { s/^((?:[^,]*,){3})/$1"/ }
            elsif ($. == 90000001) { substr($_, 5, 0) = "\0" }' "$events" >"$damaged"
  measure "profile, broken lines skipped" profile "$damaged" --skip-bad-lines
  rm -f "$damaged"
fi
