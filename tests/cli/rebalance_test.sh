#!/usr/bin/env bash
# Rebalance drills on a real playground (1 proxy + 3 targets, 3,000 objects) with 4 clients (2
# readers checking bytes, 2 writers) running throughout: a 4th target joins (moves within 10% of
# 1/4 of the objects, all to it; every object then on exactly one target, its HRW owner; no read
# failed or returned wrong bytes); then a 5th joins and an old target is killed while the
# rebalance runs and restarted: the rebalance completes and nothing is lost or duplicated. Last, a
# target started with a wrong primary address is admitted with `ais cluster add-node`.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
# shellcheck source=tests/lib/primary_checks.sh
source "$REPO/tests/lib/primary_checks.sh"
playground rebalance-test 21000 100 8 8
playground_up --targets 3
N=3000
put_random_objects ais://reb $N 4000

smap_version() { "$AIS" show cluster --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["smap_version"])'; }
# Object name -> the targets whose mountpaths hold its file ("name t1 t3" lines for doubles).
holders_report() {
  $PY - "$AIS_DEV_DIR" reb <<'PYEOF'
import collections, glob, os, sys
dev, bucket = sys.argv[1], sys.argv[2]
held = collections.defaultdict(list)
for ob in glob.glob(f"{dev}/t*/mp*/@ais/{bucket}/%ob"):
    target = ob[len(dev) + 1:].split("/")[0]
    for root, _, files in os.walk(ob):
        for f in files:
            held[os.path.relpath(os.path.join(root, f), ob)].append(target)
print(len(held), sum(len(v) > 1 for v in held.values()))
for name, ts in sorted(held.items()):
    print(name, *ts)
PYEOF
}
# rebalance_settled: every target answers the job listing and has run a rebalance pass since it
# started (joined or restarted), none runs, and none waits to be retried (a pass that failed to
# move something is run again after a delay with no job running meanwhile: its newest pass did not
# fail).
rebalance_settled() {
  curl -sf --max-time 10 "$(node_gw "$(proxy_id)")/v1/jobs?kind=rebalance&all=true" 2>/dev/null |
    $PY -c '
import json, sys
d = json.load(sys.stdin)
newest, running = {}, False
for j in d["jobs"]:
    for p in j["parts"]:
        running = running or p["state"] == "running"
        if p["node"] not in newest or p["start_ns"] > newest[p["node"]]["start_ns"]:
            newest[p["node"]] = p
ok = not d["unreachable"] and not running
ok = ok and all(t in newest and newest[t]["state"] == "finished" for t in sys.argv[1:])
sys.exit(0 if ok else 1)' $(targets)
}
# passes_ended_without ID NEWER_THAN: every target but ID has ended (finished, failed or
# stopped) each of its rebalance passes for a Smap newer than NEWER_THAN, and has one.
passes_ended_without() {
  curl -sf --max-time 10 "$(node_gw "$(proxy_id)")/v1/jobs?kind=rebalance&all=true" 2>/dev/null |
    $PY -c '
import json, re, sys
d = json.load(sys.stdin)
skip, v0 = sys.argv[1], int(sys.argv[2])
seen, running = set(), set()
for j in d["jobs"]:
    m = re.match(r"rebalance-v(\d+)", j["id"])
    if not m or int(m[1]) <= v0:
        continue
    for p in j["parts"]:
        seen.add(p["node"])
        if p["state"] == "running":
            running.add(p["node"])
want = [t for t in sys.argv[3:] if t != skip]
sys.exit(0 if all(t in seen and t not in running for t in want) else 1)' "$1" "$2" $(targets)
}

# 4 clients for the whole drill: readers check bytes (a failed read is logged with the phase it
# fell in), writers add objects w/1..w/N and check them at the end.
echo join >"$WORK/phase"
STOP=$WORK/stop
writer() {
  local i=0
  mkdir -p "$WORK/w$1"
  while [[ ! -e $STOP ]]; do
    i=$((i + 1))
    head -c $((RANDOM % 3000 + 1)) /dev/urandom >"$WORK/w$1/$i"
    "$AIS" put -q "$WORK/w$1/$i" "ais://reb/w$1/$i" >/dev/null 2>&1 ||
      { echo "$(cat "$WORK/phase") PUTERR w$1/$i" >>"$WORK/writes.log"; rm -f "$WORK/w$1/$i"; }
  done
}
verifying_reader ais://reb 1 &
verifying_reader ais://reb 2 &
writer 1 &
writer 2 &
# The clients are at work before the join: each writer has stored (or failed) its first object
# and each reader has read one.
ok=0
for _ in $(seq 1 100); do
  [[ -e $WORK/w1/2 && -e $WORK/w2/2 && -e $WORK/r1 && -e $WORK/r2 ]] && { ok=1; break; }
  sleep 0.1
done
check clients_at_work test $ok = 1

holders_report >"$WORK/holders0"
v=$(smap_version)
"$DEV" add target >/dev/null 2>&1
check add_t4 test "$(smap_version)" -gt "$v"
v=$(smap_version)
check rebalance_finished "$AIS" job wait "rebalance-v$v" --timeout 300
moved=$("$AIS" job ls --all --json | $PY -c '
import json, sys
print([j for j in json.load(sys.stdin) if j["id"] == "rebalance-v'"$v"'"][0]["objects"])')
shown=$("$AIS" show rebalance --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["id"], d["state"], d["objects"], len(d["parts"]))')
check show_rebalance test "$shown" = "rebalance-v$v finished $moved 4"
check job_wait_by_kind "$AIS" job wait rebalance --timeout 60
check job_show_by_kind test "$("$AIS" job show rebalance --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')" = "rebalance-v$v"
# No pass runs or waits for its retry before the disk is looked at.
ok=0
for _ in $(seq 1 120); do rebalance_settled && { ok=1; break; }; sleep 0.25; done
check rebalance_settled_after_join test $ok = 1
holders_report >"$WORK/holders1"
read -r total doubles <"$WORK/holders1"
check every_object_once test "$doubles" = 0
check nothing_lost_on_disk test "$total" -ge $N
# Of the 3,000 there before, t4 took its HRW share (the writers' objects come and go meanwhile:
# the job's count also has those written to an old owner just before the join).
share=$(grep -c '^o[0-9]* t4$' "$WORK/holders1")
if $PY -c "import sys; sys.exit(0 if abs($share - $N / 4) <= 0.1 * $N / 4 else 1)"; then
  pass "t4_took_a_quarter ($share of $N; the job moved $moved)"
else
  fail t4_took_a_quarter "$share of $N on t4 (job moved $moved)"
fi
check job_moved_at_least_that test "$moved" -ge "$share"
# Nothing moved between the old targets: each of the 3,000 is where it was, or on t4.
between=$(join <(awk 'NR > 1 && $1 ~ /^o/' "$WORK/holders0" | sort) <(awk 'NR > 1 && $1 ~ /^o/' "$WORK/holders1" | sort) |
  awk '$3 != $2 && $3 != "t4"' | head -5)
check nothing_moved_between_old_targets test -z "$between"
# HRW owners as the cluster routes them, for a sample: the target that answers is the holder.
bad=""
while read -r n t; do
  owner=$("$AIS" object head "ais://reb/$n" --json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
  [[ $owner == "$t" ]] || bad+=" $n($t/$owner)"
done < <(sed -n '2~30p' "$WORK/holders1" | awk 'NF == 2')
check objects_on_their_owner test -z "$bad"
if grep -q "^join" "$WORK/reads.log" 2>/dev/null; then
  fail reads_during_join "$(grep '^join' "$WORK/reads.log" | head -5)"
else
  pass reads_during_join
fi

# A 5th target joins, and t1 is killed while that rebalance runs, then restarted.
echo kill >"$WORK/phase"
v=$(smap_version)
"$DEV" add target >/dev/null 2>&1
"$DEV" kill t1 >/dev/null
# t1 stays down while the others run their passes of the join's rebalance to the end.
ok=0
for _ in $(seq 1 240); do passes_ended_without t1 "$v" && { ok=1; break; }; sleep 0.25; done
check rebalance_ran_without_t1 test $ok = 1
"$DEV" start t1 >/dev/null
echo after >"$WORK/phase"
# Every target's part of the newest rebalance ends (the restarted t1 runs its own pass again),
# and no pass waits for its retry.
ok=0
for _ in $(seq 1 240); do rebalance_settled && { ok=1; break; }; sleep 0.25; done
check rebalance_after_kill_completes test $ok = 1
touch "$STOP"
wait
# (The writers' last PUTs start no pass; settled still, nothing is moving while the disk is read.)
for _ in $(seq 1 40); do rebalance_settled && break; sleep 0.25; done
holders_report >"$WORK/holders2"
read -r total doubles <"$WORK/holders2"
check no_duplicates_after_kill test "$doubles" = 0
if grep -q "WRONG" "$WORK/reads.log" 2>/dev/null; then
  fail no_wrong_bytes "$(grep WRONG "$WORK/reads.log" | head -5)"
else
  pass no_wrong_bytes
fi
if grep -q "^after" "$WORK/reads.log" 2>/dev/null; then
  fail reads_after_restart "$(grep '^after' "$WORK/reads.log" | head -5)"
else
  pass reads_after_restart
fi
bad=$(differing_objects ais://reb)
check all_objects_intact test -z "$bad"
bad="$(differing_files "$WORK/w1" "$WORK/all/w1") $(differing_files "$WORK/w2" "$WORK/all/w2")"
check written_during_drill_intact test -z "${bad// /}"
written=$(find "$WORK"/w1 "$WORK"/w2 -type f | wc -l)
check listing_complete test "$(listed_count ais://reb)" = $((N + written))

# A target started with a wrong primary address joins once admitted by `ais cluster add-node`.
port=$(awk '{ if ($3 > m) m = $3 } END { print m + 1 }' "$AIS_DEV_DIR/cluster")
confdir=$AIS_DEV_DIR/t9
mkdir -p "$confdir/mp1"
cat >"$confdir/aisnode.json" <<EOF
{"id": "t9", "rpc": "127.0.0.1:$port", "primary": "127.0.0.1:1", "confdir": "$confdir",
 "mountpaths": ["$confdir/mp1"]}
EOF
setsid "$AIS_BUILD_DIR/node/aisnode" --role target --config "$confdir/aisnode.json" \
  </dev/null >>"$confdir/aisnode.log" 2>&1 &
echo "t9 target $port $! $confdir" >>"$AIS_DEV_DIR/cluster"  # (tools/dev down stops it)
# t9 listens and its first join (to the wrong primary) has failed: it is not ready on its own.
for _ in $(seq 1 100); do grep -q "join via 127.0.0.1:1:" "$confdir/aisnode.log" 2>/dev/null && break; sleep 0.1; done
check t9_tried_to_join grep -q "join via 127.0.0.1:1:" "$confdir/aisnode.log"
check t9_not_ready_alone test ! -e "$confdir/ready"
check add_node "$AIS" cluster add-node "127.0.0.1:$port"
ok=0
for _ in $(seq 1 40); do [[ -e $confdir/ready && $(node_json t9 status) == up ]] && { ok=1; break; }; sleep 0.25; done
check added_node_joined test $ok = 1
out=$("$AIS" cluster add-node 127.0.0.1:1 2>&1)
if [[ $? -ne 0 && $out == *"no aisnode answers"* ]]; then pass add_node_nobody_there; else
  fail add_node_nobody_there "$out"
fi

echo "rebalance_test: $FAILS failed"
((FAILS == 0))
