#!/usr/bin/env bash
# An archive job (`ais archive bucket --wait`) on one playground (1 proxy + 3 targets): OBJECTS
# source objects of SIZE_KB KiB into TAR shards of SHARD_KB KiB, then the same objects into one
# shard each of 4 MiB. Every shard listed and counted. Prints "| shards | objects | s | objects/s |"
# rows.
# Usage: [OBJECTS=5000] [SIZE_KB=4] [SHARD_KB=16] tests/bench/archive_job_bench.sh
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OBJECTS=${OBJECTS:-5000}
SIZE_KB=${SIZE_KB:-4}
SHARD_KB=${SHARD_KB:-16}
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground archive-job-bench 26200 30 10 10
playground_up --targets 3 >/dev/null

mkdir -p "$WORK/src"
$PY - "$WORK/src" "$OBJECTS" "$SIZE_KB" <<'PYEOF'
import os, sys
d, n, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with open(os.path.join(d, "obj-%06d" % i), "wb") as f:
        f.write(os.urandom(kb * 1024))
PYEOF
"$AIS" bucket create ais://jobsrc >/dev/null && "$AIS" bucket create ais://jobdst >/dev/null
"$AIS" put -q "$WORK/src" ais://jobsrc/ >/dev/null || { echo "source PUT failed"; exit 1; }

# run LABEL TEMPLATE SHARD_SIZE: one job; one row.
run() {
  local start end shards members
  start=$(date +%s.%N)
  "$AIS" archive bucket ais://jobsrc "ais://jobdst/$2" --shard-size "$3" --wait >/dev/null 2>&1 ||
    { echo "| $1 | job failed | | |"; return; }
  end=$(date +%s.%N)
  shards=$("$AIS" ls "ais://jobdst/${2%%-*}-" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
  echo "| $1 ($shards shards) | $OBJECTS | $(echo "$end - $start" | bc) | $(echo "$OBJECTS / ($end - $start)" | bc) |"
}
echo "| shards | objects | s | objects/s |"
echo "|---|---|---|---|"
run "${SHARD_KB} KiB" "small-{000000..999999}.tar" "${SHARD_KB}KiB"
run "4 MiB" "large-{0000..9999}.tar" "4MiB"
