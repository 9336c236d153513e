#!/usr/bin/env bash
# 4 KiB random reads (fio, qd1 and qd16) of one 256 MiB file side by side: a local directory, the
# minimal libfuse passthrough (the FUSE ceiling) and an aisfs mount of a playground cluster (1 proxy
# + 3 targets). Prints "| label | qd1 IOPS | qd16 IOPS |" rows and the aisfs/passthrough ratios.
# Usage: [AIS_BUILD_DIR=...] [AIS_BENCH_SKIP_VERIFY=1] tests/bench/fuse_randread_bench.sh
#   AIS_BENCH_SKIP_VERIFY=1 reaches the targets: reads skip block verification (to measure it).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=${AIS_BENCH_DIR:-$REPO/../shared/bench}
RUNTIME=${BENCH_RUNTIME:-8}
# shellcheck source=tests/fuse/lib.sh
source "$REPO/tests/fuse/lib.sh"
require_built fuse_randread_bench --fuse
command -v fio >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y fio >/dev/null

mount_passthrough

cluster_up >/dev/null
ais bucket create ais://bench >/dev/null
mount_fs

head -c $((256 << 20)) /dev/urandom >"$WORK/src"
for d in "$WORK/local" "$WORK/pt_mnt" "$MNT/bench"; do cp "$WORK/src" "$d/big" || exit 1; done
sync
iops() {  # FILE QD
  fio --name=r --filename="$1" --rw=randread --bs=4k --iodepth="$2" --ioengine=libaio \
    --direct=0 --time_based --runtime="$RUNTIME" --ramp_time=1 --output-format=json 2>/dev/null |
    $PY -c 'import json,sys; print(int(json.load(sys.stdin)["jobs"][0]["read"]["iops"]))'
}
declare -A R
for label in local passthrough aisfs; do
  case $label in
    local) f=$WORK/local/big ;;
    passthrough) f=$WORK/pt_mnt/big ;;
    aisfs) f=$MNT/bench/big ;;
  esac
  cat "$f" >/dev/null  # warm: the figure is the read path, not the disk
  R[$label,1]=$(iops "$f" 1)
  R[$label,16]=$(iops "$f" 16)
done
echo "| 4 KiB random reads, ${RUNTIME}s (IOPS) | qd1 | qd16 |"
echo "|---|---|---|"
for label in local passthrough aisfs; do echo "| $label | ${R[$label,1]} | ${R[$label,16]} |"; done
awk -v a="${R[aisfs,1]}" -v b="${R[passthrough,1]}" -v c="${R[aisfs,16]}" -v d="${R[passthrough,16]}" \
  'BEGIN { printf "| aisfs/passthrough | %.2f | %.2f |\n", a / b, c / d }'
