#!/usr/bin/env bash
# Sparse objects (docs/aisfs.md, Writes): `truncate -s` up, holes left by seeks and punched
# ranges are not uploaded as zeros: a sparse file streams only its data (a PUT's writeZeros),
# and the target leaves holes in the object's file. Every path still reads every byte, checked:
# the mount, the CLI, S3 (ranges across a hole's edge), mirror copies. Reads do not carry holes
# either (a GET sends a chunk of zeros as its length). "Sent" below is what the targets read
# (/proc/PID/io rchar: their sockets; nothing else reads files here), "served" what they wrote,
# so a 2 GiB transfer of zeros could not pass.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built sparse_test --fuse
mounted_bucket fssparse
ais bucket create ais://fsmirror >/dev/null || fail bucket_create
ais bucket props set ais://fsmirror mirror.enabled=true mirror.copies=2 >/dev/null || fail mirror_props

targets_io() { # rchar|wchar: bytes the cluster's targets have read / written so far
  local pid sum=0
  for pid in $(awk '$2 == "target" { print $4 }' "$AIS_DEV_DIR/cluster"); do
    sum=$((sum + $(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/io")))
  done
  echo "$sum"
}
targets_read() { targets_io rchar; }
# object_files BUCKET NAME: the object's files (every copy) on the targets' mountpaths
object_files() { find "$AIS_DEV_DIR" -path "*/@ais/$1/%ob/$2" -type f; }
allocated() { # bytes on disk of every copy of BUCKET NAME, summed
  local f sum=0
  for f in $(object_files "$1" "$2"); do sum=$((sum + $(stat -c '%b * %B' "$f"))); done
  echo "$sum"
}
sent_under() { # LIMIT COMMAND...: the targets read less than LIMIT bytes while COMMAND ran
  local before after
  before=$(targets_read)
  "${@:2}" || return 1
  after=$(targets_read)
  echo "targets read $((after - before)) bytes" >&2
  ((after - before < $1))
}
# served_under LIMIT COMMAND...: the targets wrote less than LIMIT bytes (their sockets: a GET's
# holes go as lengths; nothing else writes files here) while COMMAND ran
served_under() {
  local before after
  before=$(targets_io wchar)
  "${@:2}" || return 1
  after=$(targets_io wchar)
  echo "targets wrote $((after - before)) bytes" >&2
  ((after - before < $1))
}
MiB=$((1 << 20))

# ---- truncate up a new file: 2 GiB, nothing sent ----
mkdir -p "$M/d" || fail mkdir
# The measure itself: 64 MiB of data written through the mount is read by the targets.
head -c $((64 * MiB)) /dev/urandom >"$WORK/dense64"
if sent_under $((64 * MiB)) cp "$WORK/dense64" "$M/d/dense64" 2>/dev/null; then
  fail measure_sees_data "64 MiB written, the targets read less"
else
  pass measure_sees_data
fi
echo 3 >/proc/sys/vm/drop_caches
if served_under $((64 * MiB)) cmp "$WORK/dense64" "$M/d/dense64" 2>/dev/null; then
  fail measure_sees_reads "64 MiB read through the mount, the targets wrote less"
else
  pass measure_sees_reads
fi
check truncate_2g_sends_no_zeros sent_under $((64 * MiB)) truncate -s 2G "$M/d/big"
check truncate_size test "$(stat -c %s "$M/d/big")" = 2147483648
check truncate_size_cli bash -c "ais object show ais://$B/d/big | grep -q '(2147483648 bytes)'"
check truncate_on_disk_sparse test "$(allocated "$B" d/big)" -lt $MiB
# st_blocks counts what is stored (du, ls -s), not the holes.
check truncate_st_blocks test "$(stat -c %b "$M/d/big")" -lt 2048
check truncate_du test "$(du -k "$M/d/big" | cut -f1)" -lt 1024
check truncate_reads_zeros cmp <(dd if="$M/d/big" bs=1M skip=1500 count=2 2>/dev/null) <(head -c $((2 * MiB)) /dev/zero)
# Reads of holes do not carry the zeros either: a GET of the 2 GiB object to a file gives a
# sparse file, and the mount reads 64 MiB of a hole.
check get_holes_not_sent served_under $((64 * MiB)) ais get ais://$B/d/big "$WORK/big.got"
check get_file_size test "$(stat -c %s "$WORK/big.got")" = 2147483648
check get_file_sparse test $(($(stat -c '%b * %B' "$WORK/big.got"))) -lt $MiB
check mount_read_hole_not_sent served_under $((32 * MiB)) \
  cmp <(dd if="$M/d/big" bs=1M skip=700 count=64 2>/dev/null) <(head -c $((64 * MiB)) /dev/zero)

# ---- a file with data, holes and a tail: the same bytes everywhere ----
cat >"$WORK/mk_sparse.py" <<'PY'
import os, sys
random = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.pwrite(fd, b"head" * 1000, 0)
os.pwrite(fd, random, 100 << 20)        # data after a 100 MiB hole
os.ftruncate(fd, 300 << 20)             # a 200 MiB hole...
os.pwrite(fd, b"tail", (300 << 20) - 4)  # ...and 4 bytes at the end
os.close(fd)
PY
head -c 300000 /dev/urandom >"$WORK/random"
$PY "$WORK/mk_sparse.py" "$WORK/random" "$WORK/mixed" || fail mk_sparse_local
check mixed_sends_only_data sent_under $((16 * MiB)) $PY "$WORK/mk_sparse.py" "$WORK/random" "$M/d/mixed"
check mixed_on_disk_sparse test "$(allocated "$B" d/mixed)" -lt $((2 * MiB))
echo 3 >/proc/sys/vm/drop_caches
check mixed_same_on_mount cmp "$WORK/mixed" "$M/d/mixed"
check mixed_same_cli bash -c "ais get ais://$B/d/mixed '$WORK/mixed.cli' >/dev/null && cmp '$WORK/mixed' '$WORK/mixed.cli'"
check mixed_same_s3 bash -c "curl -sf '$S3_ENDPOINT/$B/d/mixed' | cmp - '$WORK/mixed'"
# A range across the edge of the first hole and the data after it.
check mixed_s3_range_edge bash -c "curl -sf -r 104857000-104858000 '$S3_ENDPOINT/$B/d/mixed' |
  cmp - <(tail -c +104857001 '$WORK/mixed' | head -c 1001)"

# ---- punched and zeroed ranges of a written file ----
head -c $((8 * MiB)) /dev/urandom >"$WORK/dense"
cp "$WORK/dense" "$M/d/punched" || fail cp_dense
cp "$WORK/dense" "$WORK/punched"
for f in "$WORK/punched" "$M/d/punched"; do
  fallocate --punch-hole --offset $((2 * MiB)) --length $((4 * MiB)) "$f" || fail "punch $f"
done
echo 3 >/proc/sys/vm/drop_caches
check punched_same cmp "$WORK/punched" "$M/d/punched"
check punched_on_disk_sparse test "$(allocated "$B" d/punched)" -lt $((5 * MiB))
# The same blocks as the local copy (within 64 KiB), from this mount and from the CLI's view.
near() { (($1 - $2 < 128 && $2 - $1 < 128)) || { echo "st_blocks $1 vs $2" >&2; return 1; }; }
check punched_st_blocks near "$(stat -c %b "$M/d/punched")" "$(stat -c %b "$WORK/punched")"

# ---- truncate up an object with data: only its data travels ----
head -c $MiB /dev/urandom >"$M/d/grown" || fail write_grown
check grow_sends_only_data sent_under $((32 * MiB)) truncate -s 1G "$M/d/grown"
# Growing an object that already has holes: its holes are neither fetched nor sent back.
# (Here the targets read the holes from disk for the GET: the mount's own writes count instead,
# its sockets and spool.)
mount_wrote() { awk '$1 == "wchar:" { print $2 }' "/proc/$(pgrep -f "spool-dir $WORK/spool" | head -n 1)/io"; }
regrow() {
  local before after
  before=$(mount_wrote)
  served_under $((64 * MiB)) truncate -s 3G "$M/d/big" || return 1
  after=$(mount_wrote)
  echo "the mount wrote $((after - before)) bytes" >&2
  ((after - before < 64 * MiB))
}
check regrow_moves_no_zeros regrow
check regrow_size test "$(ais object show ais://$B/d/big | grep -c '(3221225472 bytes)')" = 1
check regrow_sparse test "$(allocated "$B" d/big)" -lt $MiB
check grow_keeps_data cmp <(head -c $MiB "$M/d/grown") <(ais get ais://$B/d/grown - 2>/dev/null | head -c $MiB)
check grow_on_disk_sparse test "$(allocated "$B" d/grown)" -lt $((2 * MiB))
check grow_st_blocks near "$(stat -c %b "$M/d/grown")" 2048  # its 1 MiB of data

# ---- the CLI and S3 ----
truncate -s 1G "$WORK/local_sparse" && printf abc | dd of="$WORK/local_sparse" bs=1 seek=500000000 conv=notrunc 2>/dev/null
check cli_put_sends_only_data sent_under $((16 * MiB)) ais put "$WORK/local_sparse" ais://$B/from_cli
check cli_put_sparse test "$(allocated "$B" from_cli)" -lt $MiB
check cli_put_same cmp "$WORK/local_sparse" "$M/from_cli"
check cli_put_st_blocks near "$(stat -c %b "$M/from_cli")" "$(stat -c %b "$WORK/local_sparse")"
# Mirror copies are sparse too (both copies), and an S3 PUT of zeros is stored as a hole.
check mirror_put ais put "$WORK/local_sparse" ais://fsmirror/m
check mirror_copies_two test "$(object_files fsmirror m | wc -l)" = 2
check mirror_copies_sparse test "$(allocated fsmirror m)" -lt $MiB
head -c $((64 * MiB)) /dev/zero >"$WORK/zeros"
check s3_put_zeros curl -sf -T "$WORK/zeros" "$S3_ENDPOINT/fsmirror/zeros"
check s3_zeros_sparse test "$(allocated fsmirror zeros)" -lt $MiB
check s3_zeros_read_back bash -c "curl -sf '$S3_ENDPOINT/fsmirror/zeros' | cmp - '$WORK/zeros'"

# ---- flipped bytes in a hole are caught ----
f=$(object_files "$B" d/mixed | head -n 1)
printf 'X' | dd of="$f" bs=1 seek=$((50 * MiB)) conv=notrunc 2>/dev/null
check hole_flip_refused_s3 bash -c "! curl -sf -r $((50 * MiB))-$((50 * MiB + 10)) '$S3_ENDPOINT/$B/d/mixed' >/dev/null"
check hole_flip_refused_cli bash -c "! ais get ais://$B/d/mixed '$WORK/flipped' >/dev/null 2>&1"
finish
