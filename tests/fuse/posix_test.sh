#!/usr/bin/env bash
# aisfs POSIX behaviour against a real playground cluster: tar, rsync -a and cp -a round trips
# (content, modes, mtimes, symlinks), directories, rename, truncate/append, hard links, statfs,
# cross-visibility with the ais CLI, close-to-open, and hostile object names.
# Prints PASS/FAIL/SKIP <name>; exits non-zero if any check failed.
# shellcheck source=tests/fuse/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built posix_test --fuse
cluster_up
B=fusetest
ais bucket create ais://$B >/dev/null || fail bucket_create
mount_fs --attr-ttl 1 --list-ttl 1
M=$MNT/$B

# Lists path, mode, mtime (to the second: tar keeps no more), type and link target.
meta_list() { (cd "$1" && find . -printf '%p %m %T@ %y %l\n' | sed -E 's/\.[0-9]+ / /' | sort); }

[[ -d $M ]] && pass root_lists_buckets || fail root_lists_buckets "$(ls -la "$MNT")"

# ---- tar x / tar c ----
SRC=/usr/include/linux
mkdir -p "$M/tar"
if tar -C "$(dirname $SRC)" -cf - "$(basename $SRC)" | tar -C "$M/tar" -xf - 2>"$WORK/tar.err"; then
  pass tar_extract
else
  fail tar_extract "$(head -5 "$WORK/tar.err")"
fi
check tar_diff diff -r $SRC "$M/tar/linux"
if diff <(meta_list $SRC) <(meta_list "$M/tar/linux") >"$WORK/meta.diff"; then
  pass tar_modes_mtimes
else
  fail tar_modes_mtimes "$(head -6 "$WORK/meta.diff")"
fi
mkdir -p "$WORK/tarout"
if tar -C "$M/tar" -cf - linux | tar -C "$WORK/tarout" -xf -; then pass tar_create; else fail tar_create; fi
check tar_create_diff diff -r $SRC "$WORK/tarout/linux"
if diff <(meta_list $SRC) <(meta_list "$WORK/tarout/linux") >"$WORK/meta2.diff"; then
  pass tar_create_modes_mtimes
else
  fail tar_create_modes_mtimes "$(head -6 "$WORK/meta2.diff")"
fi

# ---- a directory's st_nlink is 2 + its subdirectories, as on ext4 (fresh and after the TTL) ----
links_list() { (cd "$1" && find . -type d -printf '%p %n\n' | sort); }
if diff <(links_list $SRC) <(links_list "$M/tar/linux") >"$WORK/nlink.diff"; then
  pass dir_nlink_tree
else
  fail dir_nlink_tree "$(head -6 "$WORK/nlink.diff")"
fi
sleep 1.2  # every listing and attribute of the tree expired: counted again from the cluster
if diff <(links_list $SRC) <(links_list "$M/tar/linux") >"$WORK/nlink2.diff"; then
  pass dir_nlink_tree_relisted
else
  fail dir_nlink_tree_relisted "$(head -6 "$WORK/nlink2.diff")"
fi
mkdir -p "$M/nl/src/sub" "$M/nl/dst"
links() { stat -c %h "$@" | tr '\n' ' '; }
expect_eq() { [[ $2 == "$3" ]] && pass "$1" || fail "$1" "want '$2', got '$3'"; }
expect_eq dir_nlink_mkdir "3 2 2 " "$(links "$M/nl/src" "$M/nl/dst" "$M/nl/src/sub")"
mv "$M/nl/src/sub" "$M/nl/dst/moved"
expect_eq dir_nlink_rename "2 3 " "$(links "$M/nl/src" "$M/nl/dst")"
rmdir "$M/nl/dst/moved"
expect_eq dir_nlink_rmdir "2 4 " "$(links "$M/nl/dst" "$M/nl")"
[[ $(stat -c %h "$M") -ge 3 ]] && pass dir_nlink_bucket || fail dir_nlink_bucket "$(stat -c %h "$M")"

# ---- rsync -a ----
if command -v rsync >/dev/null; then
  RS=$WORK/rsrc
  cp -a /usr/include/linux "$RS"
  ln -s types.h "$RS/a_symlink"
  chmod 600 "$RS/types.h"
  check rsync_in rsync -a "$RS/" "$M/rsync/"
  check rsync_out rsync -a "$M/rsync/" "$WORK/rout/"
  if diff -r "$RS" "$WORK/rout" >/dev/null && diff <(meta_list "$RS") <(meta_list "$WORK/rout") >"$WORK/rs.diff"; then
    pass rsync_round_trip
  else
    fail rsync_round_trip "$(head -6 "$WORK/rs.diff")"
  fi
  n=$(rsync -a --stats "$RS/" "$M/rsync/" | awk -F: '/Number of regular files transferred/ {gsub(/[ ,]/, "", $2); print $2}')
  [[ $n == 0 ]] && pass rsync_noop || fail rsync_noop "transferred $n files"
else
  skip rsync "rsync not installed"
fi

# ---- cp -a ----
CPS=$WORK/cpsrc
mkdir -p "$CPS/d/e"
echo one >"$CPS/d/one"
head -c 300000 /dev/urandom >"$CPS/d/e/blob"
ln -s one "$CPS/d/link"
chmod 640 "$CPS/d/one"
chmod 711 "$CPS/d/e"
chown 1234:2345 "$CPS/d/e/blob"
touch -d 2001-02-03 "$CPS/d/one" "$CPS/d/e"
check cp_in cp -a "$CPS/d" "$M/cpa"
check cp_out cp -a "$M/cpa" "$WORK/cpout"
if diff -r "$CPS/d" "$WORK/cpout" >/dev/null && diff <(meta_list "$CPS/d") <(meta_list "$WORK/cpout") >"$WORK/cp.diff"; then
  pass cp_a_round_trip
else
  fail cp_a_round_trip "$(head -6 "$WORK/cp.diff")"
fi
[[ $(stat -c %u:%g "$M/cpa/e/blob") == 1234:2345 ]] && pass chown_kept || fail chown_kept "$(stat -c %u:%g "$M/cpa/e/blob")"
[[ $(readlink "$M/cpa/link") == one ]] && pass symlink || fail symlink

# ---- directories ----
check mkdir mkdir "$M/dirs/a/b" -p
[[ -d $M/dirs/a/b ]] && pass mkdir_visible || fail mkdir_visible
if ais ls -H ais://$B/dirs/a/b/ 2>/dev/null | grep -q "^dirs/a/b/ "; then pass mkdir_marker; else fail mkdir_marker "$(ais ls -H ais://$B/dirs/a/b/ 2>&1)"; fi
echo x >"$M/dirs/a/f"
if rmdir "$M/dirs/a" 2>"$WORK/rmdir.err"; then fail rmdir_notempty "removed a non-empty directory"; elif grep -q "not empty" "$WORK/rmdir.err"; then pass rmdir_notempty; else fail rmdir_notempty "$(cat "$WORK/rmdir.err")"; fi
check rmdir_empty rmdir "$M/dirs/a/b"
[[ ! -e $M/dirs/a/b ]] && pass rmdir_gone || fail rmdir_gone

# ---- rename ----
echo first >"$M/dirs/r1"
echo second >"$M/dirs/r2"
check rename_file mv "$M/dirs/r1" "$M/dirs/r3"
[[ $(cat "$M/dirs/r3") == first && ! -e $M/dirs/r1 ]] && pass rename_file_content || fail rename_file_content
check rename_over mv "$M/dirs/r3" "$M/dirs/r2"
[[ $(cat "$M/dirs/r2") == first && ! -e $M/dirs/r3 ]] && pass rename_over_content || fail rename_over_content
# A directory's mtime moves when entries are created or removed in it (find -newer sees it).
mkdir "$M/dirs/dt"
sleep 1.1
d1=$(stat -c %Y "$M/dirs/dt")
touch "$WORK/newer-ref"
sleep 1.1
echo x >"$M/dirs/dt/x"
d2=$(stat -c %Y "$M/dirs/dt")
sleep 1.1
rm "$M/dirs/dt/x"
d3=$(stat -c %Y "$M/dirs/dt")
((d2 > d1 && d3 > d2)) && pass dir_mtime_follows_entries || fail dir_mtime_follows_entries "$d1 $d2 $d3"
[[ $(find "$M/dirs" -maxdepth 1 -name dt -newer "$WORK/newer-ref") == "$M/dirs/dt" ]] &&
  pass find_newer_sees_dir || fail find_newer_sees_dir
# ctime follows metadata changes (chmod, utimes) and writes; mtime only writes and utimes.
echo c >"$M/dirs/ct"
sleep 1.1
m1=$(stat -c %Y "$M/dirs/ct")
c1=$(stat -c %Z "$M/dirs/ct")
chmod 600 "$M/dirs/ct"
m2=$(stat -c %Y "$M/dirs/ct")
c2=$(stat -c %Z "$M/dirs/ct")
((m2 == m1 && c2 > c1)) && pass chmod_changes_ctime_only || fail chmod_changes_ctime_only "m $m1->$m2 c $c1->$c2"
touch -d '2001-01-01 00:00:00 UTC' "$M/dirs/ct"
m3=$(stat -c %Y "$M/dirs/ct")
c3=$(stat -c %Z "$M/dirs/ct")
((m3 == 978307200 && c3 >= c2)) && pass utimes_sets_mtime_and_ctime || fail utimes_sets_mtime_and_ctime "m $m3 c $c3"
# A rename is not a modification: the file keeps its mtime, whichever target the new name is on.
for i in $(seq 1 8); do echo "m$i" >"$M/dirs/mt$i"; done
sleep 1.1
mt_ok=1
for i in $(seq 1 8); do
  before=$(stat -c %Y "$M/dirs/mt$i")
  mv "$M/dirs/mt$i" "$M/dirs/moved-mt$i"
  [[ $(stat -c %Y "$M/dirs/moved-mt$i") == "$before" ]] || mt_ok=0
done
((mt_ok)) && pass rename_keeps_mtime || fail rename_keeps_mtime
mkdir -p "$M/dirs/tree/x/y"
for i in 1 2 3; do echo "$i" >"$M/dirs/tree/x/y/f$i"; done
echo top >"$M/dirs/tree/top"
check rename_dir mv "$M/dirs/tree" "$M/dirs/moved"
if [[ ! -e $M/dirs/tree && $(cat "$M/dirs/moved/x/y/f2") == 2 && $(cat "$M/dirs/moved/top") == top ]]; then
  pass rename_dir_content
else
  fail rename_dir_content "$(find "$M/dirs" | head)"
fi

# ---- truncate, append, overwrite ----
F=$M/dirs/trunc
printf 'hello world' >"$F"
check truncate truncate -s 5 "$F"
[[ $(cat "$F") == hello ]] && pass truncate_content || fail truncate_content "$(cat "$F")"
echo -n ' again' >>"$F"
[[ $(cat "$F") == "hello again" ]] && pass append || fail append "$(cat "$F")"
printf 'J' | dd of="$F" bs=1 seek=0 conv=notrunc status=none
[[ $(cat "$F") == "Jello again" ]] && pass overwrite || fail overwrite "$(cat "$F")"
truncate -s 100000 "$F"
[[ $(stat -c %s "$F") == 100000 && $(head -c 11 "$F") == "Jello again" ]] && pass truncate_grow || fail truncate_grow
echo new >"$F"
[[ $(cat "$F") == new ]] && pass o_trunc || fail o_trunc

# ---- hard links, statfs, chmod ----
# (hard links in depth: links_test.sh)
if ln "$M/dirs/r2" "$M/dirs/hard" && cmp -s "$M/dirs/r2" "$M/dirs/hard" && [[ $(stat -c %h "$M/dirs/r2") == 2 ]]; then pass hardlink; else fail hardlink; fi
total=$(stat -f -c %b "$M")
[[ $total -gt 0 ]] && pass statfs || fail statfs "blocks=$total"
chmod 604 "$M/dirs/r2"
[[ $(stat -c %a "$M/dirs/r2") == 604 ]] && pass chmod || fail chmod

# ---- cross-visibility with the CLI ----
if [[ -x $AIS_BIN ]]; then
  head -c 200000 /dev/urandom >"$WORK/x1"
  cp "$WORK/x1" "$M/cross1"
  if ais get -q ais://$B/cross1 "$WORK/x1.back" && cmp -s "$WORK/x1" "$WORK/x1.back"; then pass mount_to_cli; else fail mount_to_cli; fi
  head -c 150000 /dev/urandom >"$WORK/x2"
  ais put -q "$WORK/x2" ais://$B/cross2 >/dev/null
  if cmp -s "$WORK/x2" "$M/cross2"; then pass cli_to_mount; else fail cli_to_mount; fi
  # Close-to-open: a new version written by another client is seen by the next open
  # (consistency_test.sh checks that it needs no wait; here a bounded poll).
  cat "$M/cross2" >/dev/null
  head -c 150001 /dev/urandom >"$WORK/x3"
  ais put -q "$WORK/x3" ais://$B/cross2 >/dev/null
  seen=0
  for _ in $(seq 1 50); do
    if cmp -s "$WORK/x3" "$M/cross2"; then seen=1; break; fi
    sleep 0.1
  done
  if ((seen)); then pass close_to_open_new_version; else fail close_to_open_new_version; fi
  # The same for a large object read at random offsets (through the block cache): an overwrite
  # of the same size by another client is seen, never a mix of the two versions.
  head -c $((3 << 20)) /dev/urandom >"$WORK/big1"
  head -c $((3 << 20)) /dev/urandom >"$WORK/big2"
  ais put -q "$WORK/big1" ais://$B/bigcross >/dev/null
  ranges_match "$M/bigcross" "$WORK/big1" && pass random_reads_cached_version || fail random_reads_cached_version
  ais put -q "$WORK/big2" ais://$B/bigcross >/dev/null
  seen=0
  for _ in $(seq 1 50); do
    if ranges_match "$M/bigcross" "$WORK/big2"; then seen=1; break; fi
    sleep 0.1
  done
  if ((seen)) && cmp -s "$WORK/big2" "$M/bigcross"; then
    pass random_reads_new_version
  else
    fail random_reads_new_version
  fi
  # ---- a file unlinked while open keeps working through its descriptors; the name is gone
  # from the mount at once and from the cluster at the last close ----
  mkdir -p "$M/unl"
  if $PY - "$M/unl" "$AIS_BIN" "ais://$B/./aisfs-unlinked/" <<'PY'
import os, subprocess, sys, time
d, ais, hidden = sys.argv[1:4]

def unlinked_left():  # the hidden objects of files unlinked while open (gone at the last close)
    ls = subprocess.run([ais, "ls", "-H", hidden], capture_output=True, text=True, timeout=60)
    return ls.returncode != 0 or ls.stdout.strip() != ""

p = os.path.join(d, "f")
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
os.unlink(p)
assert not os.path.exists(p)
assert os.fstat(fd).st_nlink == 0, os.fstat(fd).st_nlink  # no name left, as on ext4
os.write(fd, b"a" * 10000)
assert len(os.pread(fd, 20000, 0)) == 10000
open(p, "wb").write(b"new")  # the name again while the unlinked file is open: another file
assert unlinked_left()
os.close(fd)
# The release comes after close() returns: once it removed the hidden object, the file now
# under the name must be untouched.
deadline = time.time() + 20
while unlinked_left() and time.time() < deadline:
    time.sleep(0.1)
assert not unlinked_left()
assert open(p, "rb").read() == b"new"
g = os.path.join(d, "g")
open(g, "wb").write(b"b" * 3000000)
fd = os.open(g, os.O_RDONLY)
os.unlink(g)
assert "g" not in os.listdir(d)
assert os.pread(fd, 4000000, 0) == b"b" * 3000000
os.close(fd)
PY
  then pass unlinked_while_open; else fail unlinked_while_open; fi
  for _ in $(seq 1 30); do
    ais ls -H ais://$B/unl/ 2>/dev/null | grep -q '^unl/g ' || break
    sleep 0.1
  done
  if ais ls -H ais://$B/unl/ 2>/dev/null | grep -q '^unl/g '; then
    fail unlinked_removed_at_last_close
  else
    pass unlinked_removed_at_last_close
  fi
  # ---- rm -rf of many directories: none comes back (a directory's pending mtime must not
  # recreate the marker of a directory removed meanwhile) ----
  for i in $(seq 1 150); do mkdir -p "$M/rmtree/d$i/sub" && echo x >"$M/rmtree/d$i/sub/f"; done
  rm -rf "$M/rmtree" 2>"$WORK/rmtree.err" && pass rm_rf_tree || fail rm_rf_tree "$(head -3 "$WORK/rmtree.err")"
  sleep 2.5 # (past the directory mtime writer's period, 1 s)
  left=$(ais ls -H ais://$B/rmtree/ 2>/dev/null | wc -l)
  ((left == 0)) && [[ ! -e $M/rmtree ]] && pass rm_rf_nothing_back || fail rm_rf_nothing_back "$left object(s) left"
  # ---- fallocate: the same steps on the mount and on a local file give the same bytes and
  # sizes (allocate past the end, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE); collapse is EOPNOTSUPP;
  # O_TMPFILE is EOPNOTSUPP ----
  fa_steps() { # FILE
    head -c 300000 "$WORK/x1" >"$1" &&
      fallocate -l 500000 "$1" && [[ $(stat -c %s "$1") == 500000 ]] &&
      fallocate -n -o 0 -l 900000 "$1" && [[ $(stat -c %s "$1") == 500000 ]] &&
      fallocate -p -o 1000 -l 5000 "$1" &&
      fallocate -z -o 250000 -l 300000 "$1" && [[ $(stat -c %s "$1") == 550000 ]] &&
      fallocate -z -n -o 540000 -l 50000 "$1" && [[ $(stat -c %s "$1") == 550000 ]]
  }
  if fa_steps "$WORK/fa_local" && fa_steps "$M/fa" && cmp -s "$WORK/fa_local" "$M/fa" &&
    ais get -q ais://$B/fa "$WORK/fa_back" && cmp -s "$WORK/fa_local" "$WORK/fa_back"; then
    pass fallocate_modes
  else
    fail fallocate_modes "$(stat -c %s "$WORK/fa_local" "$M/fa" 2>&1 | tr '\n' ' ')"
  fi
  if fallocate -c -o 0 -l 4096 "$M/fa" 2>"$WORK/fa.err"; then
    fail fallocate_collapse_refused "succeeded"
  elif grep -q "not supported" "$WORK/fa.err"; then
    pass fallocate_collapse_refused
  else
    fail fallocate_collapse_refused "$(cat "$WORK/fa.err")"
  fi
  if $PY -c "
import errno, os, sys
try:
    os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o600)
except OSError as e:
    sys.exit(0 if e.errno == errno.EOPNOTSUPP else 1)
sys.exit(1)" "$M/unl"; then pass o_tmpfile_eopnotsupp; else fail o_tmpfile_eopnotsupp; fi
  # ---- name lengths: 255 bytes work, 256 are ENAMETOOLONG (create and lookup) ----
  if $PY - "$M" <<'PY'
import errno, os, sys
m = sys.argv[1]
ok = os.path.join(m, "n" * 255)
open(ok, "w").write("x")
assert open(ok).read() == "x"
for op in (lambda p: open(p, "w"), os.stat, os.mkdir):
    try:
        op(os.path.join(m, "n" * 256))
        sys.exit("no error")
    except OSError as e:
        assert e.errno == errno.ENAMETOOLONG, e
os.unlink(ok)
PY
  then pass name_lengths; else fail name_lengths; fi
  # ---- long paths: up to 4,095 bytes in the bucket work (stored by hash past 1,024), directories
  # too, longer ones are ENAMETOOLONG; a name past S3's 1,024-byte keys is read through the CLI
  # all the same ----
  if $PY - "$M" "$WORK/longname" <<'PY'
import errno, os, sys
m, out = sys.argv[1], sys.argv[2]
fd = os.open(m, os.O_RDONLY | os.O_DIRECTORY)
top = "long"
os.mkdir(top, dir_fd=fd)
dfd = os.open(top, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
os.close(fd)
rel = top

def descend(dfd, rel, comp, until):
    """mkdir comp, cd into it, until the path in the bucket is `until` bytes long."""
    while len(rel) < until:
        os.mkdir(comp, dir_fd=dfd)
        nfd = os.open(comp, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dfd)
        os.close(dfd)
        dfd, rel = nfd, rel + "/" + comp
    return dfd, rel

dfd, rel = descend(dfd, rel, "d" * 200, 3600)
leaf = "f" * 100
f = os.open(leaf, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=dfd)
os.write(f, b"deep bytes")
os.close(f)
f = os.open(leaf, os.O_RDONLY, dir_fd=dfd)
assert os.read(f, 100) == b"deep bytes"
os.close(f)
assert os.stat(leaf, dir_fd=dfd).st_size == 10
assert leaf in os.listdir(dfd)
os.rename(leaf, "g" * 100, src_dir_fd=dfd, dst_dir_fd=dfd)
assert os.listdir(dfd) == ["g" * 100]
name = rel + "/" + "g" * 100
assert len(name) > 3600, len(name)
# Past 4,095 bytes in the bucket: refused, with the errno POSIX gives.
dfd, rel = descend(dfd, rel, "e" * 100, 4000)
for op in (lambda n: os.open(n, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=dfd),
           lambda n: os.mkdir(n, dir_fd=dfd)):
    try:
        op("h" * 200)
        sys.exit("a name past 4095 bytes was made")
    except OSError as e:
        assert e.errno == errno.ENAMETOOLONG, e
# A directory and a file whose paths in the bucket are exactly 4,095 bytes (a directory's marker
# takes the byte more for its '/'); one byte more is refused.
edge = "k" * (4095 - len(rel) - 1)
assert 0 < len(edge) <= 255, len(edge)
os.mkdir(edge, 0o755, dir_fd=dfd)
st = os.stat(edge, dir_fd=dfd)
assert oct(st.st_mode) == oct(0o40755), oct(st.st_mode)
os.rmdir(edge, dir_fd=dfd)
f = os.open(edge, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=dfd)
os.close(f)
os.unlink(edge, dir_fd=dfd)
try:
    os.mkdir(edge + "k", dir_fd=dfd)
    sys.exit("a directory past 4095 bytes was made")
except OSError as e:
    assert e.errno == errno.ENAMETOOLONG, e
open(out, "w").write(name)
PY
  then pass long_paths; else fail long_paths; fi
  if [[ -s $WORK/longname ]] && ais get -q "ais://$B/$(cat "$WORK/longname")" "$WORK/longgot" >/dev/null 2>&1 &&
    [[ $(cat "$WORK/longgot") == "deep bytes" ]]; then
    pass long_path_through_cli
  else
    fail long_path_through_cli "$(ls -la "$WORK/longgot" 2>&1)"
  fi
  # S3 lists it whole but serves keys of up to 1,024 bytes only (KeyTooLongError, as S3).
  if [[ -s $WORK/longname && -n ${S3_ENDPOINT:-} ]]; then
    long=$(cat "$WORK/longname")
    listed=$(curl -s "$S3_ENDPOINT/$B?list-type=2&prefix=long/" | grep -c "<Key>$long</Key>")
    code=$(curl -s "$S3_ENDPOINT/$B/$long" | grep -c KeyTooLongError)
    [[ $listed == 1 && $code == 1 ]] && pass long_path_s3 || fail long_path_s3 "listed=$listed refused=$code"
  fi
  # ---- hostile names ----
  echo hi >"$WORK/hi"
  long=$(printf 'L%.0s' $(seq 1 300))
  for n in 'hostile/a//b' 'hostile/./c' "hostile/$long/x" 'hostile/ok' 'hostile/both' 'hostile/both/inner'; do
    ais put -q "$WORK/hi" "ais://$B/$n" >/dev/null || fail "hostile_put $n"
  done
  if ls -la "$M/hostile" >"$WORK/hostile.ls" 2>&1 && find "$M/hostile" >/dev/null 2>&1; then pass hostile_listing; else fail hostile_listing "$(cat "$WORK/hostile.ls")"; fi
  entries=$(ls -A "$M/hostile" | sort | tr '\n' ' ')
  [[ $entries == "a both ok " ]] && pass hostile_rule || fail hostile_rule "got: $entries"
  [[ -f $M/hostile/both && $(ls -A "$M/hostile/a" | wc -l) == 0 ]] && pass hostile_object_wins_and_hidden || fail hostile_object_wins_and_hidden
  [[ $(cat "$M/hostile/ok") == hi ]] && pass hostile_mount_alive || fail hostile_mount_alive
else
  skip cross_visibility "ais CLI not built"
fi

# ---- unmount ----
exec 3>"$M/dirs/busy"
if fusermount3 -u "$MNT" 2>/dev/null; then fail unmount_busy "unmounted with an open file"; MOUNTED=0; else pass unmount_busy_refused; fi
echo late >&3
exec 3>&-
if unmount_fs; then pass unmount; else fail unmount; fi
if [[ -x $AIS_BIN ]] && [[ $(ais get -q ais://$B/dirs/busy - 2>/dev/null) == late ]]; then pass stored_before_unmount; else fail stored_before_unmount; fi
finish posix_test
