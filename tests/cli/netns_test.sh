#!/usr/bin/env bash
# Multi-host drills: a 3 proxy + 3 target playground where every node runs in its own network
# namespace with its own address (tools/dev up --netns). Objects spread over the three target
# hosts; cutting the primary's link (a partition: the process lives on, cut off) elects a new
# primary among the two others, and the cut-off one publishes nothing meanwhile; healed, it
# follows the new one. A target cut off is marked down and the others keep serving; healed, it
# serves again. Never two primaries for one Smap version. Needs root (network namespaces).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
# shellcheck source=tests/lib/primary_checks.sh
source "$REPO/tests/lib/primary_checks.sh"
if ((EUID != 0)) || ! ip netns list >/dev/null 2>&1; then
  skip netns_test "needs root and network namespaces (ip netns)"
  exit 0
fi
playground netns-test 20000 400 8 8
playground_up --netns --proxies 3 --targets 3

hosts=$(awk '{ print $6 }' "$AIS_DEV_DIR/cluster" | sort -u | grep -c .)
check six_hosts test "$hosts" = 6
check endpoints_not_loopback test -z "$(grep -o '127\.0\.0\.1' <<<"$AIS_ENDPOINT")"
# A node enters its network namespace only: with a mount namespace of its own (a copy of this
# host's mounts) it would keep every FUSE mount of that moment alive after its unmount here.
own_mnt_ns=$(readlink /proc/self/ns/mnt)
other_ns=$(awk '{ print $4 }' "$AIS_DEV_DIR/cluster" | while read -r pid; do
  [[ $(readlink "/proc/$pid/ns/mnt") == "$own_mnt_ns" ]] || echo "$pid"
done)
check nodes_share_mount_namespace test -z "$other_ns"

N=40
put_random_objects ais://netns $N 20000
declare -A OWNER
for f in "$WORK"/src/*; do
  n=$(basename "$f")
  OWNER[$n]=$("$AIS" object head "ais://netns/$n" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
done
check objects_on_three_hosts test "$(printf '%s\n' "${OWNER[@]}" | sort -u | grep -c .)" = 3

# read_owned_by_others T: every object not on target T reads back byte-exact; prints failures.
read_all_but() {
  local bad="" n
  for f in "$WORK"/src/*; do
    n=$(basename "$f")
    [[ ${OWNER[$n]} == "$1" ]] && continue
    "$AIS" get -q "ais://netns/$n" "$WORK/got/$n" >/dev/null 2>&1 && cmp -s "$f" "$WORK/got/$n" || bad+=" $n"
  done
  echo "$bad"
}

# Partition: the primary is cut off, alive.
published_by_p1() { grep -c "published Smap v" "$AIS_DEV_DIR/p1/aisnode.log"; }
before=$(published_by_p1)
T0=$(date +%s.%N)
"$DEV" cut p1 >/dev/null
# A client on p1's side of the cut asks it (still primary in its own eyes) for a bucket: refused,
# since no majority of the proxies follows it any more.
p1addr=$(awk '$1 == "p1" { print $6 ":" $3 }' "$AIS_DEV_DIR/cluster")
(nsenter "--net=/var/run/netns/ais$AIS_DEV_PORT-p1" env AIS_ENDPOINT="$p1addr" timeout 60 "$AIS" bucket create ais://split-side \
  >"$WORK/split.out" 2>&1; echo "rc=$?" >>"$WORK/split.out") &
SPLIT=$!
read -r P took <<<"$(wait_primary p1 20)"
if [[ $P == p2 || $P == p3 ]]; then pass "primary_elected_across_partition ($P seen in ${took}s)"; else
  fail primary_elected_across_partition "$(primary_view)"
fi
check_took_over partition_new_primary_within_10s "$T0" p1 10
check bucket_create_in_majority "$AIS" bucket create ais://netns-after
check reads_during_partition test -z "$(read_all_but none)"
sleep 12  # past the cut-off primary's keepalive timeout: it tries to mark everyone down
check cutoff_primary_published_nothing test "$(published_by_p1)" = "$before"
wait "$SPLIT"
if grep -q "rc=0" "$WORK/split.out" || ! grep -q "no quorum" "$WORK/split.out"; then
  fail cutoff_primary_refuses_bucket_change "$(cat "$WORK/split.out")"
else
  pass cutoff_primary_refuses_bucket_change
fi
grep -q "no quorum" "$AIS_DEV_DIR/p1/aisnode.log"
check cutoff_primary_saw_no_quorum test $? = 0

"$DEV" heal p1 >/dev/null
check_follows healed_primary_follows "$P" p1
check no_bucket_from_the_cutoff_side test -z "$("$AIS" bucket ls 2>&1 | grep split-side)"

# A target cut off: marked down by the keepalives, the rest keeps serving; healed, it serves.
"$DEV" cut t1 >/dev/null
ok=0
for _ in $(seq 1 60); do [[ $(node_json t1 flags) == 1 ]] && { ok=1; break; }; sleep 0.5; done
check cut_target_marked_down test $ok = 1
check others_serve_while_target_cut test -z "$(read_all_but t1)"
"$DEV" heal t1 >/dev/null
ok=0
for _ in $(seq 1 40); do [[ $(node_json t1 flags) == 0 ]] && { ok=1; break; }; sleep 0.5; done
check healed_target_back test $ok = 1
check all_objects_after_heal test -z "$(read_all_but none)"
check listing_complete test "$(listed_count ais://netns)" = $N
check_one_primary_per_version

echo "netns_test: $FAILS failed"
((FAILS == 0))
