#!/usr/bin/env bash
# Directory renames that are cut short finish from their intent record (docs/aisfs.md, Rename):
# an aisfs mount killed with -9 while it moves a directory of 3,000 files leaves the tree half
# moved and an intent (./aisfs-renames/...); a mount started after the dead mount's lease has run
# out moves the rest and removes the intent: every file under the new name, byte-exact, none under
# the old. A target killed during a rename: the mount finishes the move in the background once
# the target is back, and the tree is whole. A rename that completes leaves no intent. POSIX
# rename of directories: over an empty one, ENOTEMPTY, EINVAL into itself, ENOTDIR, EISDIR.
# A second mount listing the directories while one is renamed never sees it half done.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built rename_test --fuse
cluster_up
B=fsren
ais bucket create ais://$B >/dev/null || fail bucket_create
N=3000
mkdir -p "$WORK/src/sub"
for i in $(seq 1 $N); do echo "file $i" >"$WORK/src/f$i"; done
echo deep >"$WORK/src/sub/deep"
ais put -q "$WORK/src" ais://$B/big --conc 16 >/dev/null || fail put_tree
ais put -q "$WORK/src" ais://$B/big2 --conc 16 >/dev/null || fail put_tree2
count_under() { ais ls ais://$B/"$1" -H 2>/dev/null | grep -c "^$1"; }
intents() { ais ls ais://$B -H 2>/dev/null | grep -c '^\./aisfs-renames/'; }
tree_whole() { # PREFIX: every file of src under it, byte-exact (through the CLI)
  rm -rf "$WORK/back" && ais get -q ais://$B "$WORK/back" --prefix "$1/" >/dev/null 2>&1 &&
    diff -r "$WORK/src" "$WORK/back/$1" >/dev/null
}
check tree_before test "$(count_under big/)" = $((N + 1))

# ---- a plain rename: no intent left ----
mount_fs --lock-lease 3s
mkdir "$MNT/$B/small" && echo a >"$MNT/$B/small/a"
check small_rename mv "$MNT/$B/small" "$MNT/$B/small2"
check small_renamed test "$(cat "$MNT/$B/small2/a" 2>/dev/null)" = a
check no_intent_after_rename test "$(intents)" = 0

# ---- another mount never sees a rename half done: each of its listings (parent, old and new
# directory, asked of the cluster every time: TTLs 0) shows all 800 files on one side ----
O=800
mkdir -p "$WORK/obs"
for i in $(seq 1 $O); do echo "o $i" >"$WORK/obs/o$i"; done
ais put -q "$WORK/obs" ais://$B/obs/src --conc 16 >/dev/null || fail put_obs
OMNT=$WORK/mnt_obs
mkdir -p "$OMNT"
AISFS_LOG=$WORK/aisfs_obs.log timeout 30 "$AISFS" --attr-ttl 0 --list-ttl 0 "$AIS_ENDPOINT" "$OMNT" ||
  fail mount_observer
cat >"$WORK/observe.py" <<'PY'
import os, sys, time
root, stop, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen, bad = 0, []
def count(d):
    try:
        return len(os.listdir(d))
    except FileNotFoundError:
        return 0
while not os.path.exists(stop):
    parent = sorted(n for n in os.listdir(root) if n in ("src", "dst"))
    src, dst = count(root + "/src"), count(root + "/dst")
    seen += 1
    if len(parent) != 1 or src not in (0, want) or dst not in (0, want):
        bad.append((parent, src, dst))
print(seen, "listings,", len(bad), "half done:", bad[:5])
sys.exit(1 if bad or seen < 5 else 0)
PY
rm -f "$WORK/obs.stop"
$PY "$WORK/observe.py" "$OMNT/$B/obs" "$WORK/obs.stop" $O >"$WORK/obs.out" 2>&1 &
obs_pid=$!
sleep 1
check observed_rename mv "$MNT/$B/obs/src" "$MNT/$B/obs/dst"
sleep 1
touch "$WORK/obs.stop"
if wait $obs_pid; then pass never_half_done; else fail never_half_done "$(cat "$WORK/obs.out")"; fi
echo "observer: $(cat "$WORK/obs.out")"
check observer_sees_result test "$(ls "$OMNT/$B/obs/dst" | wc -l)" = $O
fusermount3 -u "$OMNT" || fail unmount_observer

# ---- POSIX rename of directories: over an empty one, not over a non-empty one, not into itself,
# types must match ----
mkdir -p "$MNT/$B/ra/in" "$MNT/$B/rb" "$MNT/$B/rc/x" && echo a >"$MNT/$B/ra/in/f" && echo f >"$MNT/$B/plain"
rename_errno() { # FROM TO: the errno name of os.rename, or OK
  $PY -c "
import errno, os, sys
try:
    os.rename(sys.argv[1], sys.argv[2]); print('OK')
except OSError as e:
    print(errno.errorcode[e.errno])" "$1" "$2"
}
check rename_dir_over_nonempty test "$(rename_errno "$MNT/$B/ra" "$MNT/$B/rc")" = ENOTEMPTY
check rename_dir_into_itself test "$(rename_errno "$MNT/$B/ra" "$MNT/$B/ra/in/deeper")" = EINVAL
check rename_dir_over_file test "$(rename_errno "$MNT/$B/ra" "$MNT/$B/plain")" = ENOTDIR
check rename_file_over_dir test "$(rename_errno "$MNT/$B/plain" "$MNT/$B/rb")" = EISDIR
check rename_dir_over_empty test "$(rename_errno "$MNT/$B/ra" "$MNT/$B/rb")" = OK
check rename_over_empty_content test "$(cat "$MNT/$B/rb/in/f" 2>&1) $(ls "$MNT/$B" | grep -cx ra)" = "a 0"
check rename_over_empty_cli test "$(ais ls ais://$B/rb/ -H | awk '{print $1}' | sort | tr '\n' ' ')" = "rb/ rb/in/ rb/in/f "

# ---- the mount is killed part-way ----
mv "$MNT/$B/big" "$MNT/$B/moved" 2>/dev/null &
mover=$!
for _ in $(seq 1 400); do (($(count_under moved/) > 0)) && break; sleep 0.02; done
pkill -9 -f "aisfs --spool-dir $WORK/spool --lock-lease 3s"
wait $mover 2>/dev/null
fusermount3 -uz "$MNT" 2>/dev/null
MOUNTED=0
left=$(count_under big/)
((left > 0 && left < N + 1)) && pass killed_part_way || fail killed_part_way "$left left under big/"
check intent_left test "$(intents)" = 1
sleep 3.5 # (time, on purpose) the dead mount's lease (3 s) runs out: no call tells when
mount_fs --lock-lease 3s
for _ in $(seq 1 100); do [[ $(intents) == 0 ]] && break; sleep 0.1; done
check intent_replayed test "$(intents)" = 0
check old_name_empty test "$(count_under big/)" = 0
check new_name_whole tree_whole moved
grep -q "finished the rename of ais://$B/big/ to moved/" "$WORK/aisfs.log" && pass replay_logged ||
  fail replay_logged "$(tail -5 "$WORK/aisfs.log")"
check mount_shows_moved test "$(ls "$MNT/$B/moved" | wc -l)" = $((N + 1))
[[ ! -e $MNT/$B/big ]] && pass mount_old_gone || fail mount_old_gone

# ---- a target is killed part-way ----
mv "$MNT/$B/big2" "$MNT/$B/moved2" 2>"$WORK/mv2.err" &
mover=$!
for _ in $(seq 1 400); do (($(count_under moved2/) > 0)) && break; sleep 0.02; done
"$DEV" kill t2 >/dev/null 2>&1
wait $mover
mv_rc=$?
# If mv failed, t2 stays down until the mount's background retry (every 2 s) has met it down.
if ((mv_rc != 0)); then
  for _ in $(seq 1 100); do
    grep -q "finishing a rename (ais://$B/" "$WORK/aisfs.log" && break
    grep -q "finished the rename of ais://$B/big2/" "$WORK/aisfs.log" && break
    sleep 0.1
  done
fi
"$DEV" start t2 >/dev/null 2>&1 || fail restart_t2
# Finished by this mount in the background (every 2 s) once t2 answers, if mv had not.
for _ in $(seq 1 300); do [[ $(intents) == 0 ]] && break; sleep 0.1; done
check target_kill_intent_done test "$(intents)" = 0
check target_kill_old_empty test "$(count_under big2/)" = 0
check target_kill_new_whole tree_whole moved2
echo "mv exit status with a target killed: $mv_rc ($(cat "$WORK/mv2.err"))"
finish rename_test
