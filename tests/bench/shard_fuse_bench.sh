#!/usr/bin/env bash
# Samples read through aisfs (-o shards=dirs) side by side in one run: the same SAMPLES files of
# SIZE_KB KiB read once each, in one random order, by THREADS readers, (1) from a local directory
# (the page-cache reference), (2) as loose objects, (3) as members of SHARDS TAR shards and (4) as
# members of SHARDS TGZ shards (GNU tar and gzip), all on one playground (1 proxy + 3 targets).
# Every read is compared with the source. Prints "| layout | samples/s | MiB/s | vs loose |" rows.
# Usage: [SAMPLES=10000] [SIZE_KB=16] [SHARDS=10] [THREADS=4] tests/bench/shard_fuse_bench.sh
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SAMPLES=${SAMPLES:-10000}
SIZE_KB=${SIZE_KB:-16}
SHARDS=${SHARDS:-10}
THREADS=${THREADS:-4}
# shellcheck source=tests/fuse/lib.sh
source "$REPO/tests/fuse/lib.sh"
require_built shard_fuse_bench --fuse

SRC=$WORK/samples
mkdir -p "$SRC"
$PY - "$SRC" "$SAMPLES" "$SIZE_KB" "$SHARDS" <<'PYEOF'
import os, sys
root, n, kb, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for s in range(shards):
    os.makedirs(os.path.join(root, f"part-{s:02d}"), exist_ok=True)
for i in range(n):
    with open(os.path.join(root, f"part-{i % shards:02d}", f"sample-{i:06d}.bin"), "wb") as f:
        f.write(os.urandom(kb << 10))
PYEOF
mkdir -p "$WORK/shards"
for s in $(seq -f '%02g' 0 $((SHARDS - 1))); do
  tar -C "$SRC/part-$s" -cf "$WORK/shards/shard-$s.tar" .
  gzip -c "$WORK/shards/shard-$s.tar" >"$WORK/shards/shard-$s.tgz"
done

cluster_up >/dev/null
ais bucket create ais://sbench >/dev/null
ais put -q "$SRC" ais://sbench/loose/ >/dev/null || { echo "loose PUT failed"; exit 1; }
ais put -q "$WORK/shards" ais://sbench/shards/ >/dev/null || { echo "shard PUT failed"; exit 1; }
mount_fs --shards dirs

# LAYOUT ROOT: reads every sample (path under ROOT by layout) once in one random order.
read_all() {
  $PY - "$1" "$2" "$SRC" "$SAMPLES" "$SHARDS" "$THREADS" <<'PYEOF'
import os, random, sys, time
from concurrent.futures import ThreadPoolExecutor
layout, root, src, n, shards, threads = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])
def path(i):
    part, name = f"{i % shards:02d}", f"sample-{i:06d}.bin"
    if layout in ("local", "loose"):
        return os.path.join(root, f"part-{part}", name)
    ext = "tar" if layout == "tar" else "tgz"
    return os.path.join(root, f"shard-{part}.{ext}", name)
order = list(range(n))
random.Random(7).shuffle(order)
def one(i):
    with open(path(i), "rb") as f:
        got = f.read()
    with open(os.path.join(src, f"part-{i % shards:02d}", f"sample-{i:06d}.bin"), "rb") as f:
        if got != f.read():
            raise SystemExit(f"{path(i)}: differs")
    return len(got)
t = time.monotonic()
with ThreadPoolExecutor(threads) as ex:
    total = sum(ex.map(one, order))
dt = time.monotonic() - t
print(f"{n / dt:.0f} {total / dt / (1 << 20):.1f}")
PYEOF
}
declare -A R
R[local]=$(read_all local "$SRC") || exit 1
R[loose]=$(read_all loose "$MNT/sbench/loose") || exit 1
R[tar]=$(read_all tar "$MNT/sbench/shards") || exit 1
R[tgz]=$(read_all tgz "$MNT/sbench/shards") || exit 1
loose=$(cut -d' ' -f1 <<<"${R[loose]}")
echo "| layout ($SAMPLES x $SIZE_KB KiB, $SHARDS shards, $THREADS readers) | samples/s | MiB/s | vs loose |"
echo "|---|---|---|---|"
for l in local loose tar tgz; do
  read -r rate mib <<<"${R[$l]}"
  echo "| $l | $rate | $mib | $(awk -v a="$rate" -v b="$loose" 'BEGIN { printf "%.2f", a / b }') |"
done
unmount_fs
