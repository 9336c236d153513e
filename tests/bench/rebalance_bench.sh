#!/usr/bin/env bash
# Rebalance throughput next to a raw copy of the same bytes on the same disk, and the GET
# throughput clients see during the rebalance next to before it. A private 1 proxy + 3 target
# playground holds OBJS objects of SIZE_KB each; aisloader GETs them (4 workers, figures every
# second) while a 4th target joins and the rebalance moves ~1/4 of them to it. Prints markdown.
# Usage: AIS_BUILD_DIR=build tests/bench/rebalance_bench.sh   (OBJS=800 SIZE_KB=1024 by default)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
OBJS=${OBJS:-800}
SIZE_KB=${SIZE_KB:-1024}
LOADER=$AIS_BUILD_DIR/tools/aisloader
LOADER_PID=""
playground rebalance-bench 26000 120 8 8
trap '[[ -n $LOADER_PID ]] && kill "$LOADER_PID" 2>/dev/null; playground_cleanup' EXIT
"$DEV" up --targets 3 >/dev/null
eval "$("$DEV" env)"
export AIS_ENDPOINT
now() { date +%s.%N; }
calc() { $PY -c "print($1)"; }

mkdir -p "$WORK/src"
for i in $(seq -w 1 "$OBJS"); do head -c $((SIZE_KB * 1024)) /dev/urandom >"$WORK/src/o$i"; done
"$AIS" bucket create ais://rebench >/dev/null
"$AIS" put -q "$WORK/src" ais://rebench >/dev/null

# The reference: a quarter of the bytes (what a 4th target takes) copied file by file on the
# filesystem that holds the mountpaths, then synced.
mkdir -p "$AIS_DEV_DIR/rawcopy"
sync
t0=$(now)
i=0
for f in "$WORK"/src/*; do
  ((i++ % 4 == 0)) && cp "$f" "$AIS_DEV_DIR/rawcopy/"
done
sync
t1=$(now)
raw_bytes=$(du -sb "$AIS_DEV_DIR/rawcopy" | awk '{ print $1 }')
raw_mibs=$(calc "$raw_bytes / 1048576 / ($t1 - $t0)")

# GETs all along; a sample per second ("TIME OP OPS/s MiB/s": a PUT row with the time, then GET).
L0=$(now)
stdbuf -oL "$LOADER" --bucket ais://rebench --pctput 0 --numworkers 4 --duration 600s \
  --statsinterval 1s >"$WORK/loader.out" 2>&1 &
LOADER_PID=$!
sleep 6
A=$(now)
"$DEV" add target >/dev/null 2>&1
version=$("$AIS" show cluster --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["smap_version"])')
"$AIS" job wait "rebalance-v$version" --timeout 600 >/dev/null
E=$(now)
sleep 3
kill "$LOADER_PID" 2>/dev/null || true
wait "$LOADER_PID" 2>/dev/null || true
LOADER_PID=""
read -r moved_objs moved_bytes < <("$AIS" job ls --all --json | $PY -c '
import json, sys
j = [j for j in json.load(sys.stdin) if j["id"] == "rebalance-v'"$version"'"][0]
print(j["objects"], j["bytes"])')
reb_secs=$(calc "$E - $A")
reb_mibs=$(calc "$moved_bytes / 1048576 / $reb_secs")

# Mean GET MiB/s of the samples before the join and of those while the rebalance ran.
read -r get_before get_during < <($PY - "$WORK/loader.out" "$L0" "$A" "$E" <<'PYEOF'
import sys
path, l0, a, e = sys.argv[1], *map(float, sys.argv[2:])
before, during, at = [], [], None
for line in open(path):
    f = line.split()
    if len(f) >= 3 and f[1] == "PUT" and f[0].endswith("s"):
        at = l0 + float(f[0][:-1])
    elif len(f) >= 3 and f[0] == "GET" and at is not None:
        mibs = float(f[2])
        if at <= a:
            before.append(mibs)
        elif at - 1 > a and at <= e:
            during.append(mibs)
mean = lambda v: sum(v) / len(v) if v else 0.0
print("%.1f %.1f" % (mean(before), mean(during)))
PYEOF
)

echo "## Rebalance: 1 proxy + 3 targets + 1 joining, $OBJS x $SIZE_KB KiB objects"
echo
echo "| what | figure |"
echo "|---|---|"
echo "| raw copy of 1/4 of the bytes on the same disk (cp + sync) | $(printf %.1f "$raw_mibs") MiB/s |"
echo "| rebalance: moved | $moved_objs objects, $(calc "round($moved_bytes / 1048576, 1)") MiB in $(printf %.1f "$reb_secs") s (join included) |"
echo "| rebalance throughput | $(printf %.1f "$reb_mibs") MiB/s ($(calc "round($reb_mibs / $raw_mibs, 2)") of the raw copy) |"
echo "| GET before (aisloader, 4 workers) | $get_before MiB/s |"
echo "| GET during the rebalance | $get_during MiB/s ($(calc "round($get_during / $get_before, 2) if $get_before else 0") of before) |"
