#!/usr/bin/env bash
# A disk that fails under a running target: 1 proxy + 1 target whose first mountpath is an ext4
# file system on a loop device (errors=remount-ro), 2,000 objects, then an ext4 error triggered
# (/sys/fs/ext4/DEV/trigger_fs_error: the kernel stops all writes to it, as after a real I/O
# error). The target takes the mountpath out of placement at the first write that fails and
# puts new objects on the other one (no PUT fails), reads every object, refuses to replace an
# object the failed disk holds (its old copy there could not be removed), comes back up after a
# restart with the disk still failed, and serves everything once the disk is repaired. Before:
# half of all PUTs failed with 500 for as long as the disk was broken, and the target did not
# start again at all ("cannot open the store: rename .ais.lomdb: Read-only file system").
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
# shellcheck source=tests/lib/failing_disk.sh
source "$REPO/tests/lib/failing_disk.sh"
playground failed-mountpath-test 28340 20 8 8
MP=$AIS_DEV_DIR/t1/mp1
playground_up --targets 1
S3=$S3_ENDPOINT
T1_LOG=$AIS_DEV_DIR/t1/aisnode.log
on_mp1() { [[ -n $(find "$MP/@ais/$1" -type f -name "$2" -path '*/%ob/*' 2>/dev/null) ]]; }

failing_disk_at "$MP" failed-mountpath
LOOP=$FAILING_LOOP

mkdir -p "$WORK/src"
for i in $(seq -w 1 2000); do echo "object $i $RANDOM$RANDOM" >"$WORK/src/f$i"; done
"$AIS" bucket create ais://fail >/dev/null && "$AIS" put -q "$WORK/src" ais://fail/ >/dev/null
check put_all test "$(listed_count ais://fail)" = 2000
held=$(find "$MP/@ais/fail" -type f -path '*/%ob/*' | wc -l)
check disk_holds_its_share test "$held" -ge 700
victim="" other=""
for i in $(seq -w 1 2000 | head -50); do
  if on_mp1 fail "f$i"; then [[ -n $victim ]] || victim=f$i; else [[ -n $other ]] || other=f$i; fi
done

check objects_on_both_disks test -n "$victim" -a -n "$other"
fail_disk
pfail=0
for i in $(seq -w 1 100); do
  c=$(code_of -X PUT --data-binary "new $i" "$S3/fail/n$i")
  [[ $c == 200 ]] || { pfail=$((pfail + 1)); echo "n$i: $c $(message)" >>"$WORK/put-errors.log"; }
done
if ((pfail == 0)); then pass puts_go_on_after_disk_failure; else
  fail puts_go_on_after_disk_failure "$pfail of 100: $(head -3 "$WORK/put-errors.log")"
fi
check failure_logged grep -q "mountpath $MP failed" "$T1_LOG"
check failure_shown bash -c "'$AIS' storage mountpath show t1 | grep -F '$MP' | grep -q 'failed (its disk refuses writes)'"
check failed_not_enabled_again bash -c "! '$AIS' storage mountpath enable t1 '$MP' 2>'$WORK/enable.err' && grep -q 'repair its disk' '$WORK/enable.err'"
check new_objects_elsewhere test -z "$(find "$MP/@ais/fail" -name 'n*' -path '*/%ob/*' 2>/dev/null)"
all_readable() { # the 2,000 and, if given, the 100 new ones
  local bad
  bad=$(differing_objects ais://fail)
  [[ -z $bad ]] || { echo "differ: $(head -c 300 <<<"$bad")"; return 1; }
}
check reads_after_disk_failure all_readable
c=$(code_of -X PUT --data-binary "over" "$S3/fail/$victim")
if [[ $c == 500 && $(message) == *"which failed"* ]]; then pass replace_on_failed_disk_refused; else
  fail replace_on_failed_disk_refused "$c $(message)"
fi
c=$(code_of -X DELETE "$S3/fail/$victim")
if [[ $c == 500 && $(message) == *"not removed"* ]]; then pass delete_on_failed_disk_refused; else
  fail delete_on_failed_disk_refused "$c $(message)"
fi
check replace_elsewhere_works test "$(code_of -X PUT --data-binary "over" "$S3/fail/$other")" = 200
echo -n over >"$WORK/src/$other"

"$DEV" kill t1 >/dev/null
"$DEV" start t1 >"$WORK/start2.log" 2>&1
check restart_with_failed_disk grep -q "started t1" "$WORK/start2.log"
check restart_logged grep -q "the file system is read-only" "$T1_LOG"
check reads_after_restart all_readable
check puts_after_restart test "$(code_of -X PUT --data-binary "late" "$S3/fail/late")" = 200
echo -n late >"$WORK/src/late"

# The disk repaired (fsck, mounted again): everything reads, the disk takes new objects again.
"$DEV" kill t1 >/dev/null
umount "$MP"
fsck.ext4 -y "$LOOP" >/dev/null 2>&1
mount -o errors=remount-ro "$LOOP" "$MP"
"$DEV" start t1 >"$WORK/start3.log" 2>&1
check restart_after_repair grep -q "started t1" "$WORK/start3.log"
for i in $(seq -w 1 100); do echo -n "new $i" >"$WORK/src/n$i"; done
check reads_after_repair all_readable
pfail=0
for i in $(seq -w 1 60); do [[ $(code_of -X PUT --data-binary "r $i" "$S3/fail/r$i") == 200 ]] || pfail=$((pfail + 1)); done
check puts_after_repair test "$pfail" = 0
check repaired_disk_takes_objects test -n "$(find "$MP/@ais/fail" -name 'r*' -path '*/%ob/*')"

finish failed-mountpath
