#!/usr/bin/env bash
# flock and fcntl locks between aisfs mounts (docs/aisfs.md, Locks): two mounts of one cluster
# exclude each other (flock exclusive/shared, blocking and not; fcntl byte ranges, F_GETLK with the
# holder's range and pid, release at close); a mount killed with -9 loses its locks when its lease
# runs out; a lock taken shows what the other mount wrote under its lock, on a descriptor opened
# before; two sqlite3 writers on two mounts lose no row.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built locks_test --fuse
cluster_up
B=fslocks
ais bucket create ais://$B >/dev/null || fail bucket_create
mount_fs --lock-lease 3s
M2MNT=$WORK/mnt2
mkdir -p "$M2MNT"
AISFS_LOG=$WORK/aisfs2.log timeout 30 "$AISFS" --lock-lease 3s "$AIS_ENDPOINT" "$M2MNT" || fail mount2
A=$MNT/$B
Bm=$M2MNT/$B
printf 'lock me\n' >"$A/f"
for _ in $(seq 1 60); do [[ -e $Bm/f ]] && break; sleep 0.1; done

# ---- flock ----
# hold_flock MODE FILE TAG: a background flock of FILE held until $WORK/TAG.release exists;
# $WORK/TAG.held says it is taken. Sets holder.
hold_flock() {
  flock "$1" "$2" sh -c 'touch "$1.held"; until [ -e "$1.release" ]; do sleep 0.05; done' _ "$WORK/$3" &
  holder=$!
  for _ in $(seq 1 100); do [[ -e $WORK/$3.held ]] && break; sleep 0.1; done
}
hold_flock -x "$A/f" x1
check flock_taken test -e "$WORK/x1.held"
if flock -n -x "$Bm/f" true; then fail flock_excludes_other_mount "granted"; else pass flock_excludes_other_mount; fi
if flock -n -s "$Bm/f" true; then fail flock_shared_waits_for_exclusive "granted"; else pass flock_shared_waits_for_exclusive; fi
# The holder lets go 1 s after B starts to wait: B's blocking flock must wait for that.
(sleep 1 && touch "$WORK/x1.release") &
start=$(date +%s%N)
check flock_blocking_waits flock -x "$Bm/f" true
waited=$((($(date +%s%N) - start) / 1000000))
((waited >= 800)) && pass flock_waited_for_release || fail flock_waited_for_release "${waited} ms"
wait $holder
hold_flock -s "$A/f" s1
check flock_shared_taken test -e "$WORK/s1.held"
check flock_shared_between_mounts flock -n -s "$Bm/f" true
if flock -n -x "$Bm/f" true; then fail flock_exclusive_while_shared "granted"; else pass flock_exclusive_while_shared; fi
touch "$WORK/s1.release"
wait $holder
# The kernel sends a flock's release after close() returns (FUSE's RELEASE is asynchronous), so
# the other mount may see it held for a moment: it must be free within 2 s.
freed=""
for _ in $(seq 1 40); do
  if flock -n -x "$Bm/f" true; then freed=1; break; fi
  sleep 0.05
done
check flock_free_after_close test -n "$freed"

# ---- fcntl record locks ----
if $PY - "$A/f" "$Bm/f" <<'PY'; then pass fcntl_ranges_between_mounts; else fail fcntl_ranges_between_mounts; fi
import errno, fcntl, os, struct, subprocess, sys
a, b = sys.argv[1], sys.argv[2]
fa = os.open(a, os.O_RDWR)
fcntl.lockf(fa, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)  # bytes 0-9
probe = r'''
import errno, fcntl, os, struct, sys
fb = os.open(sys.argv[1], os.O_RDWR)
out = []
try:
    fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 5)
    out.append("overlap-granted")
except OSError as e:
    out.append("overlap-" + errno.errorcode[e.errno])
fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 20)
out.append("disjoint-granted")
fmt = "hhqqi"
r = fcntl.fcntl(fb, fcntl.F_GETLK, struct.pack(fmt, fcntl.F_WRLCK, 0, 0, 0, 0))
t, _, s, l, p = struct.unpack(fmt, r[:struct.calcsize(fmt)])
out.append("getlk-%s-%d-%d-%d" % ("W" if t == fcntl.F_WRLCK else "U" if t == fcntl.F_UNLCK else "R", s, l, p))
print(" ".join(out))
'''
run = lambda: subprocess.run([sys.executable, "-c", probe, b], capture_output=True, text=True).stdout.split()
got = run()
assert got == ["overlap-EAGAIN", "disjoint-granted", "getlk-W-0-10-%d" % os.getpid()], got
os.close(fa)  # any close drops the process's record locks
got = run()
assert got == ["overlap-granted", "disjoint-granted", "getlk-U-0-0-0"], got
PY

# ---- a lock shows what the other mount wrote under its lock (an fd opened before) ----
if $PY - "$A/g" "$Bm/g" <<'PY'; then pass lock_revalidates; else fail lock_revalidates; fi
import fcntl, os, sys, time
a, b = sys.argv[1], sys.argv[2]
open(a, "wb").write(b"old contents")
for _ in range(60):
    if os.path.exists(b):
        break
    time.sleep(0.1)
fb = os.open(b, os.O_RDWR)
assert os.pread(fb, 100, 0) == b"old contents"
fa = os.open(a, os.O_RDWR)
fcntl.lockf(fa, fcntl.LOCK_EX)
os.pwrite(fa, b"NEW", 0)
fcntl.lockf(fa, fcntl.LOCK_UN)  # stores what was written under the lock
fcntl.lockf(fb, fcntl.LOCK_SH)
assert os.pread(fb, 100, 0) == b"NEW contents", os.pread(fb, 100, 0)
fcntl.lockf(fb, fcntl.LOCK_UN)
os.close(fa)
os.close(fb)
PY

# ---- sqlite3: two writers, one on each mount ----
$PY -c "import sqlite3; c = sqlite3.connect('$A/db.sqlite'); c.execute('create table t(id integer primary key, who text, n int)'); c.commit()"
cat >"$WORK/writer.py" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=120)
for i in range(int(sys.argv[3])):
    c.execute("insert into t(who, n) values (?, ?)", (sys.argv[2], i))
    c.commit()
PY
for _ in $(seq 1 60); do [[ -e $Bm/db.sqlite ]] && break; sleep 0.1; done
$PY "$WORK/writer.py" "$A/db.sqlite" a 200 2>"$WORK/wa.err" &
wa=$!
$PY "$WORK/writer.py" "$Bm/db.sqlite" b 200 2>"$WORK/wb.err" &
wb=$!
wait $wa && wait $wb && pass sqlite_writers_done || fail sqlite_writers_done "$(cat "$WORK/wa.err" "$WORK/wb.err")"
got=$($PY -c "import sqlite3; c = sqlite3.connect('$A/db.sqlite'); print(c.execute('pragma integrity_check').fetchone()[0], c.execute('select count(*), count(distinct who) from t').fetchone())" 2>&1)
[[ $got == "ok (400, 2)" ]] && pass sqlite_integrity || fail sqlite_integrity "$got"

# ---- targets restart: holders take their locks back in the grace period ----
# Every target is killed and started again (the file's owner among them). A holds an exclusive
# flock and a record lock on bytes 0-9; B is refused both right after the restarts (the grace
# period), and after it (A took them back), and gets what A does not hold; once A lets go, B
# gets them.
printf '0123456789abcdefghij' >"$A/g"
for _ in $(seq 1 60); do [[ -e $Bm/g ]] && break; sleep 0.1; done
flock -x "$A/g" sh -c 'touch "$0"; exec sleep 60' "$WORK/g_held" &
flock_holder=$!
for _ in $(seq 1 100); do [[ -e $WORK/g_held ]] && break; sleep 0.1; done
$PY -c "
import fcntl, os, time
fd = os.open('$A/g', os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
open('$WORK/range_held', 'w').close()
time.sleep(60)" &
range_holder=$!
for _ in $(seq 1 100); do [[ -e $WORK/range_held ]] && break; sleep 0.1; done
range_try() { # START LEN: B's non-blocking record lock on that range
  $PY -c "
import fcntl, os, sys
fd = os.open('$Bm/g', os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, $2, $1)
except OSError:
    sys.exit(1)"
}
if flock -n -x "$Bm/g" true; then fail restart_held_before "granted"; else pass restart_held_before; fi
for t in t1 t2 t3; do
  "$DEV" kill $t >/dev/null 2>&1 && "$DEV" start $t >/dev/null 2>&1 || fail restart_target "$t"
done
restarted=$(date +%s)
if flock -n -x "$Bm/g" true; then fail restart_flock_in_grace "granted"; else pass restart_flock_in_grace; fi
if range_try 0 10; then fail restart_range_in_grace "granted"; else pass restart_range_in_grace; fi
# A negative check that needs the time: past the grace period (15 s from each target's start).
sleep $((restarted + 17 - $(date +%s)))
if flock -n -x "$Bm/g" true; then fail restart_flock_reclaimed "granted"; else pass restart_flock_reclaimed; fi
if range_try 5 3; then fail restart_range_reclaimed "granted"; else pass restart_range_reclaimed; fi
check restart_free_range_granted range_try 10 5
grep -q "reclaimed locks on ais://$B/g" "$WORK/aisfs.log" && pass restart_reclaim_logged ||
  fail restart_reclaim_logged "$(grep -i lock "$WORK/aisfs.log" | tail -3)"
pkill -P "$flock_holder" 2>/dev/null; kill "$flock_holder" "$range_holder" 2>/dev/null
wait "$flock_holder" "$range_holder" 2>/dev/null
check restart_flock_after_release timeout 20 flock -x "$Bm/g" true
check restart_range_after_release range_try 0 10

# ---- files removed while open: a mount that dies leaves them, the next mount removes them ----
cat >"$WORK/hold_unlinked.py" <<'PY'
import os, sys, time
path, ready, go = sys.argv[1], sys.argv[2], sys.argv[3]
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, b"u" * 5000)
os.fsync(fd)
os.unlink(path)
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.1)
sys.exit(0 if os.pread(fd, 10000, 0) == b"u" * 5000 else 1)
PY
$PY "$WORK/hold_unlinked.py" "$Bm/u" "$WORK/u_ready" "$WORK/u_go" 2>/dev/null &
dead_unlinked=$!
$PY "$WORK/hold_unlinked.py" "$A/v" "$WORK/v_ready" "$WORK/v_go" &
live_unlinked=$!
for _ in $(seq 1 100); do [[ -e $WORK/u_ready && -e $WORK/v_ready ]] && break; sleep 0.1; done
leftovers() { ais ls ais://$B -H 2>/dev/null | grep -c '^\./aisfs-unlinked/'; }
[[ $(leftovers) == 2 ]] && pass unlinked_hidden_while_open || fail unlinked_hidden_while_open "$(leftovers)"

# ---- a mount that dies loses its locks when the lease (3 s) runs out ----
flock -x "$Bm/f" sh -c 'touch "$0"; exec sleep 60' "$WORK/dead_held" &
dead_holder=$!
for _ in $(seq 1 100); do [[ -e $WORK/dead_held ]] && break; sleep 0.1; done
if flock -n -x "$A/f" true; then fail held_before_kill "granted"; else pass held_before_kill; fi
pkill -9 -f "aisfs --lock-lease 3s $AIS_ENDPOINT $M2MNT"
start=$(date +%s)
check lock_free_after_lease timeout 20 flock -x "$A/f" true
after=$(($(date +%s) - start))
((after >= 1 && after <= 8)) && pass lease_bounded || fail lease_bounded "${after} s"
pkill -P "$dead_holder" 2>/dev/null; kill "$dead_holder" "$dead_unlinked" 2>/dev/null
fusermount3 -uz "$M2MNT" 2>/dev/null
[[ $(leftovers) == 2 ]] && pass unlinked_left_by_dead_mount || fail unlinked_left_by_dead_mount "$(leftovers)"
# A mount started now finds the dead mount's lease free and removes its file, not A's (alive).
M3MNT=$WORK/mnt3
mkdir -p "$M3MNT"
AISFS_LOG=$WORK/aisfs3.log timeout 30 "$AISFS" "$AIS_ENDPOINT" "$M3MNT" || fail mount3
for _ in $(seq 1 100); do [[ $(leftovers) == 1 ]] && break; sleep 0.1; done
[[ $(leftovers) == 1 ]] && pass unlinked_swept_dead_only || fail unlinked_swept_dead_only "$(leftovers)"
grep -q "removed 1 of 1 file(s) left in ais://$B/" "$WORK/aisfs3.log" && pass unlinked_sweep_logged ||
  fail unlinked_sweep_logged "$(cat "$WORK/aisfs3.log")"
touch "$WORK/v_go"
if wait "$live_unlinked"; then pass unlinked_live_kept_readable; else fail unlinked_live_kept_readable; fi
for _ in $(seq 1 50); do [[ $(leftovers) == 0 ]] && break; sleep 0.1; done
[[ $(leftovers) == 0 ]] && pass unlinked_removed_at_last_close || fail unlinked_removed_at_last_close "$(leftovers)"
fusermount3 -u "$M3MNT" 2>/dev/null
finish locks_test
