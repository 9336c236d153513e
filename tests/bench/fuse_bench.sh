#!/usr/bin/env bash
# Side-by-side run of ../shared/bench/fs-workloads.sh (quick mode by default) on a local
# directory, the minimal libfuse passthrough (the FUSE ceiling of this machine) and an aisfs mount
# of a playground cluster (1 proxy + 3 targets on loopback); prints the figures and the ratios.
# Usage: tests/bench/fuse_bench.sh [QUICK=1]      (root; needs fio, rsync, python3, cc, fuse3)
# FS_WORKLOADS=tests/bench/fs_workloads_smoke.sh swaps in the smoke stand-in (CI).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=${AIS_BENCH_DIR:-$REPO/../shared/bench}
WORKLOADS=${FS_WORKLOADS:-$BENCH/fs-workloads.sh}
QUICK=${1:-1}
# shellcheck source=tests/fuse/lib.sh
source "$REPO/tests/fuse/lib.sh"
require_built fuse_bench --fuse

mount_passthrough

cluster_up >/dev/null
ais bucket create ais://bench >/dev/null
mount_fs

OUT=$WORK/figures
bash "$WORKLOADS" "$WORK/local/run" local "$QUICK" | tee -a "$OUT"
bash "$WORKLOADS" "$WORK/pt_mnt/run" passthrough "$QUICK" | tee -a "$OUT"
bash "$WORKLOADS" "$MNT/bench/run" aisfs "$QUICK" | tee -a "$OUT"

echo
$PY "$REPO/tests/bench/side_by_side.py" "$OUT"
