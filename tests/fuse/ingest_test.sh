#!/usr/bin/env bash
# Small-file ingest through aisfs with write-behind (--batch-writes): `tar x` of 20,000 small files
# (0 B to 16 KiB, nested directories, names with spaces and UTF-8) into a mount whose closes are
# stored in batches; every file checked byte-exact through a second, plain mount, and counted by
# `ais ls`. fsync stores at once (another mount sees the file right after it); an unmount right
# after writing stores what was queued. (Directories are marker objects, "name/": not counted.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built ingest_test --fuse
PY=/usr/bin/python3
N=${INGEST_FILES:-20000}
cluster_up
B=fsingest
ais bucket create ais://$B >/dev/null || fail bucket_create
# INGEST_BATCH=0 mounts without write-behind (to compare; the fsync/unmount checks still hold).
BATCH=${INGEST_BATCH:-10ms}
if [[ $BATCH == 0 ]]; then mount_fs; else mount_fs --batch-writes "$BATCH"; fi
MNT2=$WORK/mnt2
mkdir -p "$MNT2"
AISFS_LOG=$WORK/aisfs2.log timeout 30 "$AISFS" --spool-dir "$WORK/spool" "$AIS_ENDPOINT" "$MNT2" ||
  { fail mount2 "$(cat "$WORK/aisfs2.log")"; exit 1; }

SRC=$WORK/src
$PY "$REPO/tests/lib/make_small_files.py" "$SRC" "$N" 17
tar -C "$SRC" -cf "$WORK/src.tar" .
mkdir -p "$MNT/$B/tarx" || fail mkdir_tarx
start=$(date +%s.%N)
if tar -C "$MNT/$B/tarx" -xf "$WORK/src.tar"; then pass tar_x; else fail tar_x; fi
echo "  tar x of $N files (batch-writes $BATCH): $(echo "$(date +%s.%N) - $start" | bc) s"
# Closes return once queued: the batches are stored in the background, within moments.
tarx_listed() { "$AIS_BIN" ls "ais://$B/tarx/" --json | $PY -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if not e["name"].endswith("/")))'; }
for _ in $(seq 1 60); do
  listed=$(tarx_listed)
  [[ $listed == "$N" ]] && break
  sleep 0.5
done
check "all_files_listed ($listed)" test "$listed" = "$N"
if diff -r "$SRC" "$MNT2/$B/tarx" >"$WORK/diff.out" 2>&1; then pass tar_x_byte_exact_on_second_mount; else
  fail tar_x_byte_exact_on_second_mount "$(head -5 "$WORK/diff.out")"
fi

# fsync stores at once: the second mount (listing cache bypassed by a direct lookup) sees it.
$PY - "$MNT/$B/synced.bin" <<'PYEOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"durable now\n")
os.fsync(fd)
os.close(fd)
PYEOF
check fsync_stores_at_once test "$("$AIS_BIN" get "ais://$B/synced.bin" - 2>/dev/null)" = "durable now"

# Files closed just before the unmount are stored by it.
mkdir -p "$MNT/$B/last"
for i in $(seq 1 50); do echo "file $i" >"$MNT/$B/last/f$i"; done
check unmount_after_writes unmount_fs
listed=$("$AIS_BIN" ls "ais://$B/last/" --json | $PY -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if not e["name"].endswith("/")))')
check "unmount_stores_queued ($listed)" test "$listed" = 50
check unmount_stored_bytes test "$("$AIS_BIN" get "ais://$B/last/f50" - 2>/dev/null)" = "file 50"
finish ingest_test
