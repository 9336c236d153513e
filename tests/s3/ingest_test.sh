#!/usr/bin/env bash
# Small objects at scale (issue 20): 10,000 small files (INGEST_FILES; 0 B to 16 KiB, nested directories, names
# with spaces and UTF-8) ingested through `ais put DIR` (batched PUTs, group commit) and through
# the S3 API (boto3, 16 threads); each verified by a full S3 listing and a GET of every object,
# byte-exact. Then a kill -9 of a target in the middle of `ais put DIR`: every object the CLI
# did not report as failed is there after the restart, and nothing is there half written.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PY=/usr/bin/python3
AIS=$AIS_BUILD_DIR/tools/ais
CHECK=$REPO/tests/s3/ingest_check.py
N=${INGEST_FILES:-10000}  # (the CI budget; INGEST_FILES=100000 for a scale run)
start_cluster --targets 3

SRC=$WORK/src
$PY "$REPO/tests/lib/make_small_files.py" "$SRC" "$N" 20
check files_made test "$(find "$SRC" -type f | wc -l)" = "$N"
check bucket "$AIS" bucket create ais://ingest

start=$(date +%s.%N)
check ais_put_dir "$AIS" put -q "$SRC" ais://ingest/cli/ --conc 16
echo "  ais put DIR: $N files in $(echo "$(date +%s.%N) - $start" | bc) s"
check ais_put_dir_verified $PY "$CHECK" verify ingest cli/ "$SRC"

start=$(date +%s.%N)
check s3_put $PY "$CHECK" put ingest s3/ "$SRC"
echo "  S3 PUT: $N files in $(echo "$(date +%s.%N) - $start" | bc) s"
check s3_put_verified $PY "$CHECK" verify ingest s3/ "$SRC"
listed=$("$AIS" ls ais://ingest/s3/ --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
check ais_ls_counts_s3_put test "$listed" = "$N"
# The whole bucket (2N objects) page by page: long enough for each target's fetch to grow to its
# largest; every key once, in order, by every kind of paging.
check whole_bucket_pages $PY "$CHECK" pages ingest $((2 * N))
whole=$("$AIS" ls ais://ingest --json | $PY -c 'import json,sys; n=[e["name"] for e in json.load(sys.stdin)]; print(len(n) if n == sorted(set(n)) else -1)')
check ais_ls_whole_bucket_in_order test "$whole" = $((2 * N))

# kill -9 of a target while `ais put DIR` runs. The put (under a second for 10,000 files) runs in
# 50 ms slices, stopped (SIGSTOP) between them, so the kill lands while it is surely mid-way:
# once some objects are in, never after its last one.
"$AIS" put -q "$SRC" ais://ingest/kill/ --conc 16 2>"$WORK/kill.err" &
putpid=$!
kill -STOP $putpid
for _ in $(seq 1 200); do
  kill -CONT $putpid
  sleep 0.05
  kill -STOP $putpid 2>/dev/null || break  # (ended: the check below says so)
  [[ $("$AIS" ls ais://ingest/kill/ --limit 10 --json 2>/dev/null | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null) -ge 1 ]] && break
done
"$REPO/tools/dev" kill t2 >/dev/null
kill -CONT $putpid 2>/dev/null
wait $putpid
rc=$?
sed -n 's/^Error: .* (\(.*\))$/\1/p' "$WORK/kill.err" >"$WORK/failed.txt"
nfailed=$(wc -l <"$WORK/failed.txt")
if ((rc != 0 && nfailed > 0 && nfailed < N)); then pass "kill_hit_mid_put ($nfailed of $N reported failed)"; else
  fail kill_hit_mid_put "rc $rc, $nfailed reported failed"
fi
check restart_t2 "$REPO/tools/dev" start t2
check kill_acknowledged_all_there $PY "$CHECK" verify ingest kill/ "$SRC" --failed "$WORK/failed.txt"

echo "ingest_test: $FAILS failed"
finish
