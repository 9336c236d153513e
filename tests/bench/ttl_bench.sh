#!/usr/bin/env bash
# aisfs with two attribute/listing TTLs side by side: one playground cluster (1 proxy + 3 targets
# on loopback), two mounts of it (TTL A and TTL B), a workload run on each in turn, ROUNDS times
# (A B A B ...: a noisy machine hits both alike); prints every figure and a table of the medians
# with the ratio B/A. WORKLOAD: `small` (tests/bench/small_files_workload.py, ~1 min a run) or
# `fs` (the quick mode of ../shared/bench/fs-workloads.sh, ~12 min a run here).
# Usage: tests/bench/ttl_bench.sh [ROUNDS=3] [TTL_A=5] [TTL_B=1] [WORKLOAD=small]  (root, fuse3)
# FILES=N: files (and samples) of the small workload (default 2000; the smoke test uses 40).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=${AIS_BENCH_DIR:-$REPO/../shared/bench}
ROUNDS=${1:-3}
TTL_A=${2:-5}
TTL_B=${3:-1}
WORKLOAD=${4:-small}
# shellcheck source=tests/fuse/lib.sh
source "$REPO/tests/fuse/lib.sh"
require_built ttl_bench --fuse

cluster_up >/dev/null
ais bucket create ais://ttlbench >/dev/null
mount_fs --attr-ttl "$TTL_A" --list-ttl "$TTL_A"
MNT_B=$WORK/mnt_b
mkdir -p "$MNT_B"
AISFS_LOG=$WORK/aisfs_b.log timeout 30 "$AISFS" --spool-dir "$WORK/spool" \
  --attr-ttl "$TTL_B" --list-ttl "$TTL_B" "$AIS_ENDPOINT" "$MNT_B" || exit 1

OUT=$WORK/figures
run() { # DIR LABEL
  if [[ $WORKLOAD == fs ]]; then
    bash "$BENCH/fs-workloads.sh" "$1" "$2" 1
  else
    $PY "$REPO/tests/bench/small_files_workload.py" "$1" "$2" "${FILES:-2000}"
  fi
}
for round in $(seq 1 "$ROUNDS"); do
  run "$MNT/ttlbench/a$round" "ttl_$TTL_A" | tee -a "$OUT"
  run "$MNT_B/ttlbench/b$round" "ttl_$TTL_B" | tee -a "$OUT"
done

echo
$PY - "$OUT" "ttl_$TTL_A" "ttl_$TTL_B" <<'PYEOF'
import sys, collections, statistics
v = collections.defaultdict(lambda: collections.defaultdict(list)); units = {}; order = []
a, b = sys.argv[2], sys.argv[3]
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) != 4: continue
    label, fig, val, unit = p
    v[fig][label].append(float(val)); units[fig] = unit
    if fig not in order: order.append(fig)
print(f"| figure (median) | {a} | {b} | {b}/{a} |")
print("|---|---|---|---|")
for f in order:
    x, y = (statistics.median(v[f][k]) if v[f][k] else None for k in (a, b))
    r = f"{y / x:.2f}" if x and y is not None else "-"
    print(f"| {f} ({units[f]}) | {x:g} | {y:g} | {r} |")
PYEOF
