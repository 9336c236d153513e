#!/usr/bin/env bash
# A node's persisted cluster metadata (smap.bin, bmd.bin, config.bin under its confdir) lost or
# damaged on disk, on a playground of 1 proxy + 3 targets with two buckets. The files are sealed
# with a checksum; a damaged BMD or config is set aside and the cluster's copy replaces it; a
# primary that lacks its BMD asks the Smap's nodes for theirs. Before: a primary restarted
# without bmd.bin founded an empty BMD (`ais bucket ls` empty while the targets served the
# buckets), and a damaged bmd.bin kept a target from starting (or, if it still decoded, was
# believed).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground meta-files-test 28160 20 8 8
playground_up
"$AIS" bucket create ais://meta1 ais://meta2 >/dev/null
echo one | "$AIS" put - ais://meta1/one >/dev/null
echo two | "$AIS" put - ais://meta2/two >/dev/null
buckets() { "$AIS" bucket ls 2>&1 | grep -o 'ais://meta[0-9]' | sort | tr '\n' ' '; }
flip() { # FILE: two bytes in its middle
  local size
  size=$(stat -c %s "$1")
  printf '\xff\xff' | dd of="$1" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
}
restart() { # ID [prepare command...]
  local id=$1
  shift
  "$DEV" kill "$id" >/dev/null
  "$@"
  "$DEV" start "$id" >"$WORK/start-$id.log" 2>&1
}
check sealed_on_disk bash -c "head -c 7 '$AIS_DEV_DIR/p1/bmd.bin' | grep -q AISMETA"

restart p1 rm "$AIS_DEV_DIR/p1/bmd.bin"
check primary_starts_without_bmd grep -q "started p1" "$WORK/start-p1.log"
check primary_recovers_buckets test "$(buckets)" = "ais://meta1 ais://meta2 "
check recovery_logged grep -q "recovered BMD" "$AIS_DEV_DIR/p1/aisnode.log"
check create_after_recovery "$AIS" bucket create ais://meta3
check put_get_after_recovery bash -c "echo three | '$AIS' put - ais://meta3/three >/dev/null &&
  test \"\$('$AIS' get ais://meta3/three -)\" = three"

restart p1 flip "$AIS_DEV_DIR/p1/bmd.bin"
check primary_starts_with_damaged_bmd grep -q "started p1" "$WORK/start-p1.log"
check damaged_bmd_set_aside test -n "$(find "$AIS_DEV_DIR/p1" -name 'bmd.bin.damaged.*')"
check primary_buckets_after_damage test "$(buckets)" = "ais://meta1 ais://meta2 ais://meta3 "

restart p1 flip "$AIS_DEV_DIR/p1/config.bin"
check primary_starts_with_damaged_config grep -q "started p1" "$WORK/start-p1.log"
check damaged_config_set_aside test -n "$(find "$AIS_DEV_DIR/p1" -name 'config.bin.damaged.*')"
check config_answers "$AIS" config cluster

for t in $(targets); do
  restart "$t" flip "$AIS_DEV_DIR/$t/bmd.bin"
  check "${t}_starts_with_damaged_bmd" grep -q "started $t" "$WORK/start-$t.log"
done
ok=1
for o in meta1/one meta2/two meta3/three; do
  [[ $("$AIS" get "ais://$o" - 2>/dev/null) == "${o#*/}" ]] || ok=0
done
check objects_read_after_target_damage test "$ok" = 1
check listing_after_target_damage test "$("$AIS" ls ais://meta1 --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1

# A damaged Smap is not replaced silently (a primary without one would found a new cluster): the
# node says so and how to go on.
t=$(targets | head -1)
restart "$t" flip "$AIS_DEV_DIR/$t/smap.bin"
check damaged_smap_refused grep -q "remove it to join the cluster as a new node" "$AIS_DEV_DIR/$t/aisnode.log"
restart "$t" rm "$AIS_DEV_DIR/$t/smap.bin"
check target_rejoins_without_smap grep -q "started $t" "$WORK/start-$t.log"
ok=1
for o in meta1/one meta2/two meta3/three; do
  [[ $("$AIS" get "ais://$o" - 2>/dev/null) == "${o#*/}" ]] || ok=0
done
check objects_read_after_rejoin test "$ok" = 1

finish meta-files
