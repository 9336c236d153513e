#!/usr/bin/env bash
# A mountpath's LOM database damaged on disk (1 proxy + 1 target, 2,000 small objects): bytes
# flipped in the middle of its table files while the target is down. The database still opens
# (RocksDB checks blocks only when it reads them), so the damage shows when the start's crash
# recovery reads every LOM: the target moves the database aside, rebuilds it from the object
# files (loudly) and comes up with every object readable, byte-exact. Before: "cannot open the
# store: Corruption: block checksum mismatch" at every start, the target down for good. Then
# its write-ahead log: cut short (a crash) and damaged inside.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground lomdb-damage-test 27980 20 8 8
playground_up --targets 1
MP=$AIS_DEV_DIR/t1/mp1
T1_LOG=$AIS_DEV_DIR/t1/aisnode.log
mkdir -p "$WORK/src"
for i in $(seq -w 1 2000); do echo "object $i $RANDOM$RANDOM" >"$WORK/src/o$i"; done
"$AIS" bucket create ais://dmg >/dev/null && "$AIS" put -q "$WORK/src" ais://dmg/ >/dev/null
check put_all test "$(listed_count ais://dmg)" = 2000

# A restart flushes the database's log into table files.
"$DEV" kill t1 >/dev/null && "$DEV" start t1 >/dev/null
mapfile -t ssts < <(find "$MP/.ais.lomdb" -name '*.sst' -size +8k)
check table_files_made test "${#ssts[@]}" -ge 1
"$DEV" kill t1 >/dev/null
for f in "${ssts[@]}"; do
  size=$(stat -c %s "$f")
  printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
done
"$DEV" start t1 >"$WORK/start.log" 2>&1
check target_starts_with_damaged_lomdb grep -q "started t1" "$WORK/start.log"
check damage_logged grep -q "the LOM database is damaged" "$T1_LOG"
check rebuild_logged grep -q "LOM database rebuilt" "$T1_LOG"
check damaged_database_kept_aside test -n "$(find "$MP" -maxdepth 1 -name '.ais.lomdb.damaged.*')"
check listing_complete_after_rebuild test "$(listed_count ais://dmg)" = 2000
bad=$(differing_objects ais://dmg)
if [[ -z $bad ]]; then pass all_objects_byte_exact_after_rebuild; else
  fail all_objects_byte_exact_after_rebuild "$(head -c 300 <<<"$bad")"
fi
check put_after_rebuild bash -c "echo new | '$AIS' put - ais://dmg/new >/dev/null"
check get_after_rebuild test "$("$AIS" get ais://dmg/new - 2>/dev/null)" = new

# The database's log: a crash leaves its last record cut short, which costs only that unfinished
# write; bytes flipped inside it are damage. RocksDB's default dropped every write after the
# damaged record without a word (489 of 2,000 objects unlisted, their files on disk).
"$AIS" bucket create ais://wal >/dev/null && "$AIS" put -q "$WORK/src" ais://wal/ >/dev/null
check put_all_wal test "$(listed_count ais://wal)" = 2000
"$DEV" kill t1 >/dev/null
wal=$(ls -S "$MP"/.ais.lomdb/*.log | head -1)
truncate -s $(($(stat -c %s "$wal") - 30)) "$wal"
rebuilds=$(grep -c "LOM database rebuilt" "$T1_LOG")
"$DEV" start t1 >"$WORK/start2.log" 2>&1
check target_starts_after_torn_log grep -q "started t1" "$WORK/start2.log"
check torn_log_tail_is_no_damage test "$(grep -c "LOM database rebuilt" "$T1_LOG")" = "$rebuilds"
"$AIS" bucket create ais://wal2 >/dev/null && "$AIS" put -q "$WORK/src" ais://wal2/ >/dev/null
check put_all_wal2 test "$(listed_count ais://wal2)" = 2000
"$DEV" kill t1 >/dev/null
wal=$(ls -S "$MP"/.ais.lomdb/*.log | head -1)
printf '\xff\xff\xff\xff' | dd of="$wal" bs=1 seek=$(($(stat -c %s "$wal") / 2)) conv=notrunc 2>/dev/null
"$DEV" start t1 >"$WORK/start3.log" 2>&1
check target_starts_with_damaged_log grep -q "started t1" "$WORK/start3.log"
check damaged_log_rebuilds test "$(grep -c "LOM database rebuilt" "$T1_LOG")" = $((rebuilds + 1))
check listing_complete_after_log_damage test "$(listed_count ais://wal2)" = 2000
rm -rf "$WORK/all"
"$AIS" get -q ais://wal2 "$WORK/all" --prefix "" >"$WORK/all.log" 2>&1
bad=$(differing_files "$WORK/src" "$WORK/all")
if [[ -z $bad ]]; then pass objects_byte_exact_after_log_damage; else
  fail objects_byte_exact_after_log_damage "$(head -c 300 <<<"$bad")"
fi

finish lomdb-damage
