#!/usr/bin/env bash
# Member reads of an EC-protected TAR shard with its owner down (degraded: another target
# restores the shard from the slices), side by side with the same reads with the owner up, one
# `ais get --archpath` process per read, each compared with its source. Prints
# "| owner | reads | s | reads/s |" rows.
# Usage: [MEMBERS=1000] [SIZE_KB=64] [READS=143] tests/bench/degraded_member_bench.sh
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEMBERS=${MEMBERS:-1000}
SIZE_KB=${SIZE_KB:-64}
READS=${READS:-143}
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground degraded-bench 26500 30 10 10
playground_up --targets 3 >/dev/null

mkdir -p "$WORK/src"
for i in $(seq 1 "$MEMBERS"); do head -c $((SIZE_KB * 1024)) /dev/urandom >"$WORK/src/m$i"; done
tar -C "$WORK/src" -cf "$WORK/shard.tar" .
"$AIS" bucket create ais://degraded >/dev/null
"$AIS" bucket props set ais://degraded ec.enabled=true ec.data_slices=1 ec.parity_slices=1 ec.objsize_limit=1KiB >/dev/null
"$AIS" put -q "$WORK/shard.tar" ais://degraded/shard.tar >/dev/null || { echo "shard PUT failed"; exit 1; }
owner=$("$AIS" object head ais://degraded/shard.tar --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')

# read_members LABEL: READS members spread over the shard; one row.
read_members() {
  local start end bad=0 n=0 i
  start=$(date +%s.%N)
  for ((k = 0; k < READS; k++)); do
    i=$((k * MEMBERS / READS + 1))
    "$AIS" get -q ais://degraded/shard.tar --archpath "./m$i" - 2>/dev/null | cmp -s - "$WORK/src/m$i" || bad=$((bad + 1))
    n=$((n + 1))
  done
  end=$(date +%s.%N)
  echo "| $1 | $n ($bad bad) | $(echo "$end - $start" | bc) | $(echo "$n / ($end - $start)" | bc) |"
}
echo "| owner | reads | s | reads/s |"
echo "|---|---|---|---|"
read_members up
"$DEV" kill "$owner" >/dev/null 2>&1
read_members down
