#!/usr/bin/env bash
# File and directory times on aisfs as POSIX and Linux keep them: one scenario of operations (a
# write, truncates, chmod, chown, utimensat with exact nanoseconds, with UTIME_OMIT and
# UTIME_NOW, xattr changes, link, rename, rename over a hard-linked name, unlink, mkdir, rmdir,
# open with O_TRUNC) prints which of atime, mtime and ctime each one moved on the file and its
# directory; it runs in a local directory and on the mount, and every line must be the same.
# Reads are left out: aisfs keeps atime as `noatime` would (docs/aisfs.md). Then the times the
# mount stored survive a remount exactly.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built times_test --fuse
mounted_bucket fstimes
mkdir -p "$WORK/local" "$M/times" || fail mkdir

cat >"$WORK/times.py" <<'EOF'
# times.py DIR: each step prints "STEP PATH: which of atime/mtime/ctime moved" (for the file or
# directory it names) after an operation, and a few exact values.
import os, sys, time
d = sys.argv[1]
os.chdir(d)
os.mkdir("t")
def times(p):
    st = os.lstat(p)
    return (st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns)
def moved(a, b):
    return ",".join(n for n, x, y in zip(("atime", "mtime", "ctime"), a, b) if x != y) or "none"
def step(name, fn, *paths):  # a path, or (its name before, its name after)
    pairs = [p if isinstance(p, tuple) else (p, p) for p in paths]
    before = [times(b) for b, _ in pairs]
    time.sleep(0.02)  # (a later tick of the filesystem's clock)
    fn()
    for (_, after), b in zip(pairs, before):
        print(f"{name} {after}: {moved(b, times(after))}")
with open("t/f", "w") as f:
    f.write("hello")
with open("t/g", "w") as f:
    f.write("other")
def append():
    with open("t/f", "a") as f:
        f.write(" more")
step("write", append, "t/f", "t")
step("truncate", lambda: os.truncate("t/f", 3), "t/f", "t")
step("truncate_same_size", lambda: os.truncate("t/f", 3), "t/f")
step("chmod", lambda: os.chmod("t/f", 0o600), "t/f", "t")
step("chown", lambda: os.chown("t/f", 1234, 5678), "t/f", "t")
step("utime_now", lambda: os.utime("t/f"), "t/f")
step("utime_exact", lambda: os.utime("t/f", ns=(1111111111123456789, 1222222222987654321)), "t/f")
print("exact", times("t/f")[:2])
step("utime_atime_only", lambda: os.utime("t/f", ns=(1333333333000000001, 1222222222987654321)), "t/f")
print("atime_only", times("t/f")[:2])
def omit_mtime():  # UTIME_OMIT for mtime, UTIME_NOW for atime, through touch -a
    os.system("touch -a t/f")
step("touch_a", omit_mtime, "t/f")
step("touch_m", lambda: os.system("touch -m t/f"), "t/f")
# mtime alone on a file and a directory whose atime was never set (UTIME_OMIT for atime)
open("t/h", "w").close()
os.mkdir("t/dm")
step("touch_m_fresh_file", lambda: os.system("touch -m t/h"), "t/h")
step("touch_m_fresh_dir", lambda: os.system("touch -m t/dm"), "t/dm")
step("write_fresh_file", lambda: open("t/h", "a").write("x"), "t/h")
step("setxattr", lambda: os.setxattr("t/f", "user.k", b"v"), "t/f", "t")
step("removexattr", lambda: os.removexattr("t/f", "user.k"), "t/f", "t")
step("link", lambda: os.link("t/f", "t/f2"), "t/f", "t")
step("rename", lambda: os.rename("t/g", "t/g2"), ("t/g", "t/g2"), "t")
step("rename_over", lambda: os.rename("t/g2", "t/f2"), ("t/g2", "t/f2"), "t/f", "t")
step("unlink", lambda: os.unlink("t/f2"), "t")
step("mkdir", lambda: os.mkdir("t/sub"), "t")
step("create_in_sub", lambda: open("t/sub/x", "w").close(), "t/sub", "t")
step("rmdir_sub_content", lambda: os.unlink("t/sub/x"), "t/sub", "t")
step("rmdir", lambda: os.rmdir("t/sub"), "t")
# Across directories: both directories, and the moved file or directory itself (its ctime);
# a directory's own status changes after entries were made in it.
os.makedirs("t/a/sd")
os.mkdir("t/b")
open("t/a/f", "w").write("1")
step("rename_across", lambda: os.rename("t/a/f", "t/b/f"), ("t/a/f", "t/b/f"), "t/a", "t/b")
step("rename_dir_across", lambda: os.rename("t/a/sd", "t/b/sd"), ("t/a/sd", "t/b/sd"), "t/a", "t/b")
step("symlink", lambda: os.symlink("f", "t/b/l"), "t/b")
step("mkfifo", lambda: os.mkfifo("t/b/p"), "t/b")
step("chmod_dir", lambda: os.chmod("t/b", 0o700), "t/b")
step("setxattr_dir", lambda: os.setxattr("t/b", "user.k", b"v"), "t/b")
def open_trunc():
    open("t/f", "w").close()
step("open_o_trunc", open_trunc, "t/f", "t")
EOF

$PY "$WORK/times.py" "$WORK/local" >"$WORK/local.out" 2>&1
$PY "$WORK/times.py" "$M/times" >"$WORK/mount.out" 2>&1
# The reference holds what POSIX says (a wrong reference fails here, not on the mount).
grep -qx "write t/f: mtime,ctime" "$WORK/local.out" && grep -qx "chmod t/f: ctime" "$WORK/local.out" &&
  grep -qx "exact (1111111111123456789, 1222222222987654321)" "$WORK/local.out" &&
  pass reference_as_expected || fail reference_as_expected "$(cat "$WORK/local.out")"
# A line's check: its step and path ("write t/f:" -> write_t_f), or its first word.
step_and_path() {
  local step path
  read -r step path _ <<<"$1"
  [[ $path == *: ]] && echo "${step}_$(tr '/' '_' <<<"${path%:}")" || echo "$step"
}
same_as_local "$WORK/local.out" "$WORK/mount.out" 35 step_and_path
# A directory's atime stays when entries are made in it, also once this mount has written its
# new mtime to the directory's marker (within about a second) and read it back (past the TTL).
dir_atime_kept() { # DIR
  mkdir "$1/at" && sleep 1.1 && local before && before=$(stat -c %x "$1/at") &&
    touch "$1/at/new" && sleep 2.5 && test "$(stat -c %x "$1/at")" = "$before"
}
check dir_atime_kept_locally dir_atime_kept "$WORK/local"
check dir_atime_kept dir_atime_kept "$M/times"
stamp() { stat -c '%X.%x %Y.%y %Z.%z' "$M/times/t/f" "$M/times/t" "$M/times/at"; }
before=$(stamp)
unmount_fs || fail unmount
mount_fs
check times_survive_remount test "$(stamp)" = "$before"
finish times_test
