#!/usr/bin/env bash
# Primary failover on a real 3 proxy + 3 target playground, driven through the CLI: the primary
# is killed (a new one within 10 s, bucket create works after, through any proxy), a target that
# was down meanwhile rejoins although its config names the dead primary, the old primary comes
# back and follows the new one, a primary frozen (SIGSTOP) long enough to be replaced steps down
# when it wakes, and no two proxies ever published the same Smap version. Objects read back
# byte-exact throughout.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
# shellcheck source=tests/lib/primary_checks.sh
source "$REPO/tests/lib/primary_checks.sh"
playground failover-test 20600 50 8 8
playground_up --proxies 3 --targets 3  # (AIS_ENDPOINT: every proxy, p1 first)
PIDS() { awk -v id="$1" '$1 == id { print $4 }' "$AIS_DEV_DIR/cluster"; }

N=60
put_random_objects ais://fover $N 30000

verify_all() {
  local bad=""
  for f in "$WORK"/src/*; do
    local n
    n=$(basename "$f")
    "$AIS" get -q "ais://fover/$n" "$WORK/got/$n" >/dev/null 2>&1 && cmp -s "$f" "$WORK/got/$n" || bad+=" $n"
  done
  echo "$bad"
}

read -r P0 _ <<<"$(primary_view)"
check first_primary_p1 test "$P0" = p1

# Readers through the whole drill: every GET must return the right bytes (of objects on t1 and t3:
# t2 is down for a while, and this bucket keeps no copies elsewhere).
READ_SET=()
for f in "$WORK"/src/o0*; do
  t=$("$AIS" object head "ais://fover/$(basename "$f")" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
  [[ $t != t2 ]] && READ_SET+=("$f")
done
check readers_have_objects test ${#READ_SET[@]} -ge 3
(
  end=$((SECONDS + 40))
  while ((SECONDS < end)); do
    for f in "${READ_SET[@]}"; do
      n=$(basename "$f")
      if ! out=$("$AIS" get -q "ais://fover/$n" "$WORK/reader.$n" 2>&1) || ! cmp -s "$f" "$WORK/reader.$n"; then
        echo "$n: $out" >>"$WORK/reader.bad"
      fi
    done
  done
) &
READER=$!

# A target goes down first; it comes back after the failover, its config still naming p1.
"$DEV" kill t2 >/dev/null
T0=$(date +%s.%N)
kill -9 "$(PIDS p1)"
read -r P1 took <<<"$(wait_primary p1 15)"
if [[ $P1 == p2 || $P1 == p3 ]]; then pass "clients_follow_new_primary ($P1 in ${took}s)"; else
  fail clients_follow_new_primary "$(primary_view); $("$AIS" show cluster 2>&1 | tail -3)"
fi
check_took_over new_primary_within_10s "$T0" p1 10
# The new primary asks every node once and marks those that do not answer down (t2), so that
# bucket changes do not wait for them.
ok=0
for _ in $(seq 1 20); do [[ $(node_json t2 flags) == 1 ]] && { ok=1; break; }; sleep 0.3; done
check dead_target_marked_down test $ok = 1
# Control calls reach the new primary through whichever proxy answers, the dead one listed first.
check bucket_create_after_failover "$AIS" bucket create ais://fover-after
other=$( [[ $P1 == p2 ]] && echo p3 || echo p2 )
oport=$(awk -v id="$other" '$1 == id { print $3 }' "$AIS_DEV_DIR/cluster")
check create_via_nonprimary_proxy env AIS_ENDPOINT="127.0.0.1:$oport" "$AIS" bucket create ais://fover-via
check put_after_failover sh -c "echo after | '$AIS' put - ais://fover-after/x"

"$DEV" start t2 >/dev/null
ok=0
for _ in $(seq 1 40); do [[ $(node_json t2 status) == up ]] && { ok=1; break; }; sleep 0.5; done
check target_rejoins_new_primary test $ok = 1

# The old primary returns: it follows the new one (no second primary, nothing published by it).
"$DEV" start p1 >/dev/null
check_follows old_primary_follows "$P1" p1

# A frozen primary (no answer, socket open) is replaced; woken, it steps down.
FROZEN=$P1
T0=$(date +%s.%N)
kill -STOP "$(PIDS "$FROZEN")"
read -r P2 took <<<"$(wait_primary "$FROZEN" 20)"
if [[ $P2 != "-" && $P2 != "$FROZEN" ]]; then pass "frozen_primary_replaced ($P2 seen in ${took}s)"; else
  fail frozen_primary_replaced "$(primary_view)"
fi
check_took_over frozen_primary_replaced_within_10s "$T0" "$FROZEN" 10
kill -CONT "$(PIDS "$FROZEN")"
ok=0
for _ in $(seq 1 30); do
  read -r p agreed <<<"$(primary_view)"
  [[ $p == "$P2" && $agreed == yes ]] && "$AIS" show cluster --json | $PY -c '
import json, sys
sys.exit(0 if all(n["reachable"] for n in json.load(sys.stdin)["nodes"]) else 1)' && { ok=1; break; }
  sleep 0.5
done
if ((ok)); then pass woken_primary_steps_down; else fail woken_primary_steps_down "$(primary_view)"; fi
check bucket_create_after_second_failover "$AIS" bucket create ais://fover-again

wait "$READER"
if [[ -s $WORK/reader.bad ]]; then fail reads_during_failovers "$(sort -u "$WORK/reader.bad" | head)"; else
  pass reads_during_failovers
fi
check all_objects_intact test -z "$(verify_all)"
check listing_complete test "$(listed_count ais://fover)" = $N


# Proxy membership: the role handed over on purpose, a proxy in maintenance never elected, the
# primary refusing maintenance of itself, a proxy decommissioned.
read -r A B <<<"$(printf '%s\n' p1 p2 p3 | grep -vx "$P2" | tr '\n' ' ')"
check set_primary "$AIS" cluster set-primary "$A"
check_follows handed_over "$A" "$P2"
check proxy_maintenance "$AIS" cluster add-remove-nodes start-maintenance "$B"
out=$("$AIS" cluster add-remove-nodes start-maintenance "$A" 2>&1)
if [[ $? -ne 0 && $out == *"set-primary"* ]]; then pass primary_maintenance_refused; else
  fail primary_maintenance_refused "$out"
fi
T0=$(date +%s.%N)
kill -9 "$(PIDS "$A")"
read -r P3 _ <<<"$(wait_primary "$A" 20)"
check maintenance_proxy_not_elected test "$P3" = "$P2"
check_took_over elected_without_maintenance_proxy "$T0" "$A" 10
out=$("$AIS" cluster add-remove-nodes decommission "$B" 2>&1)
if [[ $? -ne 0 && $out == *"no majority"* ]]; then pass decommission_refused_without_majority; else
  fail decommission_refused_without_majority "$out"
fi
check dead_proxy_decommissioned "$AIS" cluster add-remove-nodes decommission "$A"
check proxy_decommission "$AIS" cluster add-remove-nodes decommission "$B"
gone=1
for _ in $(seq 1 20); do kill -0 "$(PIDS "$B")" 2>/dev/null || { gone=0; break; }; sleep 0.3; done
check decommissioned_proxy_exited test $gone = 0
check decommissioned_proxy_left_map test "$(node_json "$B" status)" = "-"
check bucket_create_after_proxy_changes "$AIS" bucket create ais://fover-last
check_one_primary_per_version

echo "failover_test: $FAILS failed"
((FAILS == 0))
