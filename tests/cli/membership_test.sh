#!/usr/bin/env bash
# Targets leaving and returning, through the CLI on a real 1 proxy + 4 target playground:
# maintenance (out of placement, objects stay on it and are read from it, nothing moves; on return
# what was written meanwhile moves to it, overwrites included), decommission (every object moves
# off under reads and writes, the node stops with its data removed and leaves the Smap), and
# decommission of a target that is dying (removed once marked down), and a target down longer
# than the grace period (removed; writes to the names it owned succeed; back, it rejoins and
# serves what it holds).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground membership-test 21600 100 8 8
export AIS_DEV_DOWN_GRACE_MS=3000  # (default 2 min)
check dev_up "$DEV" up --targets 4
export AIS_ENDPOINT=127.0.0.1:$AIS_DEV_PORT

N=120
put_random_objects ais://memb $N 40000

# Target holding each object, as the cluster reports it ("-" for one that is gone: after a target
# died, what only it held).
owners() {
  for f in "$WORK"/src/*; do
    echo "$(basename "$f") $("$AIS" object head "ais://memb/$(basename "$f")" --json 2>/dev/null |
      $PY -c 'import json,sys
try: print(json.load(sys.stdin)["target"])
except Exception: print("-")')"
  done
}
# Every object of src/ read back byte for byte; prints the names that differ or fail.
verify_all() {
  local bad=""
  for f in "$WORK"/src/*; do
    local n
    n=$(basename "$f")
    if ! "$AIS" get -q "ais://memb/$n" "$WORK/got/$n" >/dev/null 2>&1 || ! cmp -s "$f" "$WORK/got/$n"; then
      bad+=" $n"
    fi
  done
  echo "$bad"
}
state_of() {
  "$AIS" show cluster --json | $PY -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["id"] == sys.argv[1] and n["role"] == "target": print(n["status"])' "$1"
}
# Object files under a target's data directory (mountpath trees).
files_on() { find "$AIS_DEV_DIR/$1" -type f -path '*@ais/memb/*' -not -path '*/%pw/*' 2>/dev/null | wc -l; }
smap_version() { "$AIS" show cluster --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["smap_version"])'; }
# passes_ended V: every target has run its rebalance pass for a Smap newer than V (the one in
# maintenance too: it keeps its objects) and none of them runs.
passes_ended() {
  curl -sf --max-time 10 "$(node_gw "$(proxy_id)")/v1/jobs?kind=rebalance&all=true" 2>/dev/null |
    $PY -c '
import json, re, sys
d = json.load(sys.stdin)
v0 = int(sys.argv[1])
seen, running = set(), False
for j in d["jobs"]:
    for p in j["parts"]:
        running = running or p["state"] == "running"
        m = re.match(r"rebalance-v(\d+)", j["id"])
        if m and int(m[1]) > v0:
            seen.add(p["node"])
sys.exit(0 if not d["unreachable"] and not running and set(sys.argv[2:]) <= seen else 1)' "$1" \
    $(awk '$2 == "target" { print $1 }' "$AIS_DEV_DIR/cluster")
}

owners >"$WORK/owners0"
M=$(awk '{print $2}' "$WORK/owners0" | sort | uniq -c | sort -rn | awk 'NR==1 {print $2}')
held=$(awk -v t="$M" '$2 == t' "$WORK/owners0" | wc -l)
files_before=$(files_on "$M")

# A TAR shard it holds (in another bucket), for the archive calls while it is in maintenance.
mkdir -p "$WORK/shard" && echo alpha >"$WORK/shard/a.txt" && echo beta >"$WORK/shard/b.txt"
"$AIS" bucket create ais://memb-sh >/dev/null 2>&1
SH=""
for i in $(seq 1 40); do
  "$AIS" archive put "$WORK/shard" "ais://memb-sh/s$i.tar" >/dev/null 2>&1
  [[ $("$AIS" object head "ais://memb-sh/s$i.tar" --json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])') == "$M" ]] && SH=s$i.tar && break
done

# --- maintenance: out of placement, its objects stay and are served from it ---
v=$(smap_version)
out=$("$AIS" cluster add-remove-nodes start-maintenance "$M" 2>&1)
if [[ $? -eq 0 && $out == *"in maintenance"* && $(state_of "$M") == maintenance ]]; then
  pass maintenance_started
else
  fail maintenance_started "$out / state $(state_of "$M")"
fi
# Every target's pass for the new placement has run (a move would have happened by then).
ok=0
for _ in $(seq 1 120); do passes_ended "$v" && { ok=1; break; }; sleep 0.25; done
check maintenance_passes_ended test $ok = 1
bad=$(verify_all)
if [[ -z $bad ]]; then pass maintenance_reads_all; else fail maintenance_reads_all "differ:$bad"; fi
listed=$("$AIS" ls ais://memb --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
if [[ $listed == "$N" ]]; then pass maintenance_lists_all; else fail maintenance_lists_all "$listed of $N"; fi
if [[ $(files_on "$M") == "$files_before" ]]; then pass maintenance_moves_nothing; else
  fail maintenance_moves_nothing "$M held $files_before files, now $(files_on "$M")"
fi
# Writes meanwhile land on the other targets: new objects, and new versions of 3 objects it holds.
for n in $(awk -v t="$M" '$2 == t {print $1}' "$WORK/owners0" | head -3); do
  head -c 5000 /dev/urandom >"$WORK/src/$n"
  "$AIS" put -q "$WORK/src/$n" "ais://memb/$n" >/dev/null
done
for i in 1 2 3 4 5 6; do
  head -c 3000 /dev/urandom >"$WORK/src/new$i"
  "$AIS" put -q "$WORK/src/new$i" "ais://memb/new$i" >/dev/null
done
owners >"$WORK/owners1"
# (Objects it held are still reported on it; what was written meanwhile is elsewhere.)
written=$(awk -v t="$M" '$2 == t {print $1}' "$WORK/owners0" | head -3 | tr '\n' ' ')
on_m=$(for n in $written new1 new2 new3 new4 new5 new6; do grep "^$n $M\$" "$WORK/owners1"; done)
if [[ -z $on_m ]]; then pass maintenance_out_of_placement; else
  fail maintenance_out_of_placement "$on_m"
fi
bad=$(verify_all)
if [[ -z $bad ]]; then pass maintenance_reads_new_versions; else fail maintenance_reads_new_versions "differ:$bad"; fi
check stop_refused_for_unknown_node bash -c "! '$AIS' cluster add-remove-nodes stop-maintenance t99"
# Objects it holds renamed (each name's owner now another target, which fetches the object from
# it first), read under the new name, gone under the old one, renamed back, and copied.
renamed=0
for n in $(awk -v t="$M" '$2 == t {print $1}' "$WORK/owners0" | tail -2); do
  out=$("$AIS" object mv "ais://memb/$n" "ais://memb/$n.mv" 2>&1) &&
    "$AIS" get -q "ais://memb/$n.mv" "$WORK/got/$n.mv" >/dev/null 2>&1 &&
    cmp -s "$WORK/src/$n" "$WORK/got/$n.mv" &&
    ! "$AIS" object head "ais://memb/$n" >/dev/null 2>&1 &&
    out=$("$AIS" object mv "ais://memb/$n.mv" "ais://memb/$n" 2>&1) &&
    out=$("$AIS" object cp "ais://memb/$n" "ais://memb/$n.cp" 2>&1) &&
    "$AIS" get -q "ais://memb/$n.cp" "$WORK/got/$n.cp" >/dev/null 2>&1 &&
    cmp -s "$WORK/src/$n" "$WORK/got/$n.cp" && "$AIS" object rm "ais://memb/$n.cp" >/dev/null 2>&1 &&
    renamed=$((renamed + 1))
done
if ((renamed == 2)); then pass maintenance_renames_its_objects; else
  fail maintenance_renames_its_objects "$renamed of 2 renamed and back: $out"
fi
# Its shard listed, a member read, another appended (the shard's owner fetches it first).
echo gamma >"$WORK/c.txt"
out=$("$AIS" archive ls "ais://memb-sh/$SH" 2>&1) && [[ $out == *a.txt* && $out == *b.txt* ]] &&
  [[ $("$AIS" archive get "ais://memb-sh/$SH" --archpath a.txt - 2>&1) == alpha ]] &&
  out=$("$AIS" archive put --append "$WORK/c.txt" "ais://memb-sh/$SH" 2>&1) &&
  [[ $("$AIS" archive get "ais://memb-sh/$SH" --archpath c.txt - 2>&1) == gamma ]]
check maintenance_shard_calls test $? -eq 0 -a -n "$SH"
# Stopped while in maintenance, away past the grace period (10 s keepalive timeout + 3 s): it
# keeps its place in the cluster map, still in maintenance, and comes back with its objects.
P_LOG=$AIS_DEV_DIR/$(proxy_id)/aisnode.log # the primary's
downs=$(grep -c "node $M (target) silent" "$P_LOG")
"$DEV" kill "$M" >/dev/null 2>&1
# The primary marks it down (after the 10 s keepalive timeout)...
for _ in $(seq 1 60); do
  (($(grep -c "node $M (target) silent" "$P_LOG") > downs)) && break
  sleep 0.5
done
check maintenance_marked_down test "$(grep -c "node $M (target) silent" "$P_LOG")" -gt "$downs"
# ... and the 3 s grace period (counted from the primary's next round, every 0.5 s) runs out,
# with 2.5 s to spare: a target not in maintenance would have left the cluster map by now.
sleep 6
if [[ $(state_of "$M") == maintenance ]]; then pass maintenance_outlives_grace; else
  fail maintenance_outlives_grace "state '$(state_of "$M")'"
fi
check maintenance_node_restarts "$DEV" start "$M"

# --- back: what was written meanwhile moves to it; the newer versions win ---
out=$("$AIS" cluster add-remove-nodes stop-maintenance "$M" 2>&1)
if [[ $? -eq 0 && $(state_of "$M") == up ]]; then pass maintenance_stopped; else
  fail maintenance_stopped "$out / state $(state_of "$M")"
fi
ok=0
for _ in $(seq 1 60); do
  owners >"$WORK/owners2"
  if [[ $(awk -v t="$M" '$2 == t' "$WORK/owners2" | wc -l) -ge $held ]] && [[ -z $(verify_all) ]]; then
    ok=1
    break
  fi
  sleep 0.5
done
if ((ok)); then pass maintenance_return_serves_newest; else
  fail maintenance_return_serves_newest "owners: $(awk -v t="$M" '$2 == t' "$WORK/owners2" | wc -l) (want >= $held); differ:$(verify_all)"
fi

# --- decommission under reads and writes ---
D=$(awk '{print $2}' "$WORK/owners2" | sort | uniq -c | sort -rn | awk -v m="$M" '$2 != m {print $2; exit}')
D_PID=$("$DEV" ps | awk -v d="$D" '$1 == d {print $3}')
(
  i=0
  while [[ ! -e $WORK/stop ]]; do
    i=$((i + 1))
    head -c 2000 /dev/urandom >"$WORK/bg$i"
    "$AIS" put -q "$WORK/bg$i" "ais://memb/bg/$i" >/dev/null 2>&1 || echo "put bg/$i failed" >>"$WORK/bg.err"
    "$AIS" get -q "ais://memb/bg/$i" "$WORK/bg$i.got" >/dev/null 2>&1 && cmp -s "$WORK/bg$i" "$WORK/bg$i.got" ||
      echo "get bg/$i failed" >>"$WORK/bg.err"
  done
  echo "$i" >"$WORK/bg.count"
) &
BG=$!
out=$("$AIS" cluster add-remove-nodes decommission "$D" --rm-user-data --wait --timeout 120 2>&1)
rc=$?
touch "$WORK/stop"
wait $BG
if ((rc == 0)) && [[ $out == *"left the cluster"* ]] && [[ -z $(state_of "$D") ]]; then
  pass decommission_leaves_smap
else
  fail decommission_leaves_smap "exit $rc: $out; primary: $(grep 'decommission' "$P_LOG" | tail -2 | tr '\n' ' ')$D: $(grep -i 'rebalance' "$AIS_DEV_DIR/$D/aisnode.log" 2>/dev/null | tail -3 | tr '\n' ' ')"
fi
bad=$(verify_all)
if [[ -z $bad ]]; then pass decommission_loses_nothing; else fail decommission_loses_nothing "differ:$bad"; fi
if [[ ! -s $WORK/bg.err ]]; then pass decommission_under_load "$(cat "$WORK/bg.count") put+get pairs"; else
  fail decommission_under_load "$(head -3 "$WORK/bg.err")"
fi
bgn=$(cat "$WORK/bg.count")
listed=$("$AIS" ls ais://memb/bg/ --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
if [[ $listed == "$bgn" ]]; then pass decommission_lists_writes; else fail decommission_lists_writes "$listed of $bgn"; fi
for _ in $(seq 1 20); do kill -0 "$D_PID" 2>/dev/null || break; sleep 0.25; done
if ! kill -0 "$D_PID" 2>/dev/null && [[ $(files_on "$D") == 0 ]]; then pass decommission_stops_and_wipes; else
  fail decommission_stops_and_wipes "pid $D_PID alive: $(kill -0 "$D_PID" 2>/dev/null && echo yes || echo no); files left: $(files_on "$D")"
fi

# --- a target that died: decommission removes it (at once if the primary marked it down already,
# else as soon as it does) ---
K=$("$AIS" show cluster --json | $PY -c '
import json, sys
ts = [n["id"] for n in json.load(sys.stdin)["nodes"] if n["role"] == "target" and n["id"] != sys.argv[1]]
print(ts[0])' "$M")
"$DEV" kill "$K" >/dev/null 2>&1
# (Marked down after the keepalive timeout, 10 s by default.)
for _ in $(seq 1 60); do [[ $(state_of "$K") == down ]] && break; sleep 0.5; done
out=$("$AIS" cluster rm-node "$K" --mode decommission --wait --timeout 60 2>&1)
if [[ $? -eq 0 && -z $(state_of "$K") ]]; then pass decommission_dead_target; else
  fail decommission_dead_target "$out / state '$(state_of "$K")'"
fi
# --- down past the grace period: out of the Smap; all writes succeed; back, it serves again ---
G=$("$AIS" show cluster --json | $PY -c '
import json, sys
ts = [n["id"] for n in json.load(sys.stdin)["nodes"] if n["role"] == "target" and n["id"] != sys.argv[1]]
print(ts[0])' "$M")
owners >"$WORK/owners3"
"$DEV" kill "$G" >/dev/null 2>&1
# A bucket created at once (the primary has not flagged it down yet): created, and said so; the
# dead target takes the metadata when it is back.
out=$("$AIS" bucket create ais://memb-late 2>&1)
if [[ $? -eq 0 && $out == *"Created bucket ais://memb-late"* ]]; then pass create_while_target_dead; else
  fail create_while_target_dead "$out"
fi
gone=0
for _ in $(seq 1 80); do
  [[ -z $(state_of "$G") ]] && { gone=1; break; }
  sleep 0.5
done
if ((gone)); then pass grace_removes_dead_target; else fail grace_removes_dead_target "state $(state_of "$G")"; fi
putfail=0
for i in $(seq 1 30); do
  head -c 1000 /dev/urandom >"$WORK/g$i"
  "$AIS" put -q "$WORK/g$i" "ais://memb/g/$i" >/dev/null 2>&1 || putfail=$((putfail + 1))
done
if ((putfail == 0)); then pass grace_writes_all_succeed; else fail grace_writes_all_succeed "$putfail of 30 failed"; fi
check grace_target_rejoins "$DEV" start "$G"
bad=""
for n in $(awk -v t="$G" '$2 == t {print $1}' "$WORK/owners3"); do
  "$AIS" get -q "ais://memb/$n" "$WORK/got/$n" >/dev/null 2>&1 && cmp -s "$WORK/src/$n" "$WORK/got/$n" || bad+=" $n"
done
for i in $(seq 1 30); do
  "$AIS" get -q "ais://memb/g/$i" "$WORK/got/g$i" >/dev/null 2>&1 && cmp -s "$WORK/g$i" "$WORK/got/g$i" || bad+=" g/$i"
done
if [[ -z $bad && $(state_of "$G") == up ]]; then pass grace_rejoined_serves_all; else
  fail grace_rejoined_serves_all "state $(state_of "$G"); differ:$bad"
fi

out=$("$AIS" cluster rm-node p1 2>&1)
if [[ $? -ne 0 && $out == *"set-primary"* ]]; then pass primary_rm_refused_clearly; else fail primary_rm_refused_clearly "$out"; fi

echo "membership_test: $FAILS failed"
((FAILS == 0))
