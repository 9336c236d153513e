#!/usr/bin/env bash
# A disk that fails under a mountpath's LOM database alone: 1 proxy + 1 target whose first
# mountpath keeps its RocksDB (`.ais.lomdb`) on an ext4 of its own on a loop device
# (errors=remount-ro), its object files on the other disk. An ext4 error then stops every write
# to the database while the files stay writable. The first PUT that cannot commit there takes the
# mountpath out of placement (it fails; the next ones go to the other mountpath), every object
# reads, a rename, delete, metadata update or tagging of an object held there is refused as such (and
# leaves nothing behind: before, a refused rename had made the new name and a refused metadata
# update had applied to a copy on the other mountpath), and the target starts again with the
# database's disk still failed. Before: every PUT
# placed on that mountpath failed with 500 for as long as the target ran (the disk-failure check
# looked at the creation of work files only), and a restart moved the database aside and failed.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
# shellcheck source=tests/lib/failing_disk.sh
source "$REPO/tests/lib/failing_disk.sh"
playground lomdb-failure-test 28700 20 8 8
MP=$AIS_DEV_DIR/t1/mp1
playground_up --targets 1
S3=$S3_ENDPOINT
T1_LOG=$AIS_DEV_DIR/t1/aisnode.log

failing_disk_at "$MP/.ais.lomdb" lomdb-failure

mkdir -p "$WORK/src"
for i in $(seq -w 1 1000); do echo "object $i $RANDOM$RANDOM" >"$WORK/src/f$i"; done
"$AIS" bucket create ais://dbf >/dev/null && "$AIS" put -q "$WORK/src" ais://dbf/ >/dev/null
check put_all test "$(listed_count ais://dbf)" = 1000
check first_mountpath_holds_some test "$(find "$MP/@ais/dbf" -type f -path '*/%ob/*' | wc -l)" -ge 300

fail_disk
pfail=0
for i in $(seq -w 1 100); do
  c=$(code_of -X PUT --data-binary "new $i" "$S3/dbf/n$i")
  if [[ $c == 200 ]]; then echo -n "new $i" >"$WORK/src/n$i"; else
    pfail=$((pfail + 1))
    echo "n$i: $c $(message)" >>"$WORK/put-errors.log"
  fi
done
# (The PUT that met the failure fails: its bytes could not be recorded.)
if ((pfail <= 1)); then pass puts_go_on_after_db_failure; else
  fail puts_go_on_after_db_failure "$pfail of 100: $(head -3 "$WORK/put-errors.log")"
fi
check failure_logged grep -q "mountpath $MP failed" "$T1_LOG"
check failure_shown bash -c "'$AIS' storage mountpath show t1 | grep -F '$MP' | grep -q 'failed (its disk refuses writes)'"
check new_objects_elsewhere test -z "$(find "$MP/@ais/dbf" -name 'n*' -path '*/%ob/*' 2>/dev/null)"
all_readable() {
  local bad
  bad=$(differing_objects ais://dbf)
  [[ -z $bad ]] || { echo "differ: $(head -c 300 <<<"$bad")"; return 1; }
}
check reads_after_db_failure all_readable
# An object whose LOM is on the failed database: a rename, a delete and a metadata update are
# refused with a message that says so (the database cannot record them), and it reads as before.
held=$(basename "$(find "$MP/@ais/dbf" -type f -path '*/%ob/*' -name 'f*' | head -1)")
refused() { grep -q "which failed: it can be read, not" <<<"$1"; }
out=$("$AIS" object mv "ais://dbf/$held" "ais://dbf/$held.moved" 2>&1)
rc=$?
if ((rc != 0)) && refused "$out"; then pass rename_refused_on_failed_db; else
  fail rename_refused_on_failed_db "rc=$rc $out"
fi
c=$(code_of -X DELETE "$S3/dbf/$held")
if [[ $c == 500 ]] && refused "$(message)"; then pass delete_refused_on_failed_db; else
  fail delete_refused_on_failed_db "$c $(message)"
fi
c=$(code_of -X PUT -H "x-amz-copy-source: dbf/$held" -H "x-amz-metadata-directive: REPLACE" \
  -H "x-amz-meta-k: v" "$S3/dbf/$held")
if [[ $c == 500 ]] && refused "$(message)"; then pass metadata_update_refused_on_failed_db; else
  fail metadata_update_refused_on_failed_db "$c $(message)"
fi
# Tags are the object's metadata too (the fabric's setCustom, as aisfs's chmod and utimes).
c=$(code_of -X PUT --data-binary \
  '<Tagging><TagSet><Tag><Key>t</Key><Value>v</Value></Tag></TagSet></Tagging>' "$S3/dbf/$held?tagging")
if [[ $c == 500 ]] && refused "$(message)"; then pass tagging_refused_on_failed_db; else
  fail tagging_refused_on_failed_db "$c $(message)"
fi
check tags_unchanged bash -c "! curl -sf '$S3/dbf/$held?tagging' | grep -q '<Key>t</Key>'"
c=$(code_of -I "$S3/dbf/$held")
if [[ $c == 200 ]] && ! grep -qi '^x-amz-meta-k:' "$WORK/resp" && curl -sf "$S3/dbf/$held" |
  cmp -s - "$WORK/src/$held"; then pass held_object_unchanged; else
  fail held_object_unchanged "$c $(head -c 300 "$WORK/resp")"
fi
check moved_name_absent test "$(code_of -I "$S3/dbf/$held.moved")" = 404

"$DEV" kill t1 >/dev/null
"$DEV" start t1 >"$WORK/start2.log" 2>&1
check restart_with_failed_db_disk grep -q "started t1" "$WORK/start2.log"
check reads_after_restart all_readable
check puts_after_restart test "$(code_of -X PUT --data-binary "late" "$S3/dbf/late")" = 200
finish lomdb-failure
