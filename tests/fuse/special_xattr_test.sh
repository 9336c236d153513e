#!/usr/bin/env bash
# Special files and extended attributes on aisfs (docs/aisfs.md, Mapping): FIFOs, sockets and
# device nodes are metadata-only objects with the right type, mode and rdev (a FIFO carries bytes
# between processes on the mount; the types survive a remount, a rename and tar); xattrs in the
# user, trusted and security namespaces are set, read, listed and removed with Linux's errnos
# (ENODATA, EEXIST, ERANGE, E2BIG, ENOSPC, EOPNOTSUPP), kept in the object's custom metadata
# (visible to the CLI), on files, directories and files still being written, and checked by the
# kernel for a non-root user on an allow_other mount; `-o noxattr` turns them off.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built special_xattr_test --fuse
cluster_up
B=fsspecial
ais bucket create ais://$B >/dev/null || fail bucket_create
mount_fs -o allow_other
M=$MNT/$B
mkdir -p "$M/sp" || fail mkdir

# ---- special files ----
check mkfifo mkfifo -m 0640 "$M/sp/fifo"
check mknod_char mknod -m 0600 "$M/sp/char" c 1 3
check mknod_block mknod "$M/sp/block" b 7 2
check socket_bind $PY -c "import socket; socket.socket(socket.AF_UNIX).bind('$M/sp/sock')"
types() { stat -c '%n %F %a %t:%T %s' "$1"/fifo "$1"/char "$1"/block "$1"/sock | sed "s|$1/||"; }
want_types='fifo fifo 640 0:0 0
char character special file 600 1:3 0
block block special file 644 7:2 0
sock socket 755 0:0 0'
check special_types test "$(types "$M/sp")" = "$want_types"
check listing_types test "$(ls -l "$M/sp" | awk 'NR>1 {print substr($1,1,1) $NF}' | sort | tr '\n' ' ')" = "bblock cchar pfifo ssock "
if (printf 'through the pipe\n' >"$M/sp/fifo" &) && [[ $(timeout 10 cat "$M/sp/fifo") == "through the pipe" ]]; then
  pass fifo_between_processes
else
  fail fifo_between_processes
fi
if mknod "$M/sp/char" c 1 5 2>"$WORK/err"; then fail mknod_existing "succeeded"; else check mknod_existing_eexist grep -q "File exists" "$WORK/err"; fi
check cli_sees_type bash -c "ais object show ais://$B/sp/char | grep -q 'posix.type *char'"
check rename_special mv "$M/sp/fifo" "$M/sp/fifo2"
check renamed_keeps_type test "$(stat -c %F "$M/sp/fifo2")" = fifo
mv "$M/sp/fifo2" "$M/sp/fifo"

# A tree with every type through tar, in and out.
mkdir -p "$WORK/src/t" && mkfifo "$WORK/src/t/p" && mknod "$WORK/src/t/c" c 4 64 && echo x >"$WORK/src/t/f"
check tar_into_mount bash -c "tar -C '$WORK/src' -cf - t | tar -C '$M' -xf -"
check tar_out_of_mount bash -c "mkdir -p '$WORK/back' && tar -C '$M' -cf - t | tar -C '$WORK/back' -xf -"
tree() { (cd "$1" && find . -printf '%p %y %m\n' | sort && stat -c '%t:%T' t/c); }
check tar_round_trip test "$(tree "$WORK/src")" = "$(tree "$WORK/back")"

check special_removed rm "$M/sp/sock"
check special_gone bash -c "! ais ls ais://$B/sp/ | grep -q sock"

# ---- extended attributes ----
F=$M/x/file
mkdir -p "$M/x" && printf 'content\n' >"$F"
check set_text setfattr -n user.text -v hello "$F"
check set_binary setfattr -n user.bin -v 0x00ff0100 "$F"
check set_empty setfattr -n user.empty "$F"
check get_all test "$(getfattr -d -e hex "$F" 2>/dev/null | grep '^user' | tr '\n' ' ')" = "user.bin=0x00ff0100 user.empty=0x user.text=0x68656c6c6f "
check cli_sees_xattr bash -c "ais object show ais://$B/x/file | grep -q 'xattr.user.text *0saGVsbG8='"
check content_unchanged test "$(cat "$F")" = content
if $PY - "$F" "$M/x" <<'PY'; then pass xattr_errnos; else fail xattr_errnos; fi
import ctypes, errno, os, sys
f, d = sys.argv[1], sys.argv[2]
def err(fn, *a):
    try:
        fn(*a)
    except OSError as e:
        return e.errno
    return 0
assert err(os.getxattr, f, "user.none") == errno.ENODATA
assert err(os.removexattr, f, "user.none") == errno.ENODATA
assert err(os.setxattr, f, "user.text", b"x", os.XATTR_CREATE) == errno.EEXIST
assert err(os.setxattr, f, "user.new", b"x", os.XATTR_REPLACE) == errno.ENODATA
os.setxattr(f, "user.text", b"replaced", os.XATTR_REPLACE)
assert os.getxattr(f, "user.text") == b"replaced"
os.setxattr(f, "user.created", b"c", os.XATTR_CREATE)
assert err(os.setxattr, f, "user.big", b"v" * 65537) == errno.E2BIG
assert err(os.setxattr, f, "system.other", b"v") == errno.EOPNOTSUPP
# A buffer too small: ERANGE; size 0 asks for the size.
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(4)
assert libc.getxattr(f.encode(), b"user.text", buf, 4) == -1 and ctypes.get_errno() == errno.ERANGE
assert libc.getxattr(f.encode(), b"user.text", None, 0) == len(b"replaced")
assert libc.listxattr(f.encode(), buf, 4) == -1 and ctypes.get_errno() == errno.ERANGE
# 256 KiB of names and values per file at most: then ENOSPC; what was set stays.
for i in range(4):
    os.setxattr(f, f"user.fill{i}", b"f" * 60000)
assert err(os.setxattr, f, "user.fill4", b"f" * 60000) == errno.ENOSPC
for i in range(4):
    os.removexattr(f, f"user.fill{i}")
os.removexattr(f, "user.created")
assert sorted(os.listxattr(f)) == ["user.bin", "user.empty", "user.text"], os.listxattr(f)
# Directories keep theirs on the marker; trusted.* as root.
os.setxattr(d, "user.dir", b"on the directory")
os.setxattr(f, "trusted.root", b"t")
assert os.getxattr(f, "trusted.root") == b"t"
# A file still being written: the attribute travels with the data.
g = os.path.join(d, "being-written")
fd = os.open(g, os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b"bytes")
os.setxattr(g, "user.early", b"before close")
os.close(fd)
PY
ctime_before=$(stat -c %Z.%z "$F")
sleep 1.1 # (time, not sync) a newer second for the ctime the set gives
check set_changes_ctime bash -c "setfattr -n user.t2 -v 1 '$F' && test \"\$(stat -c %Z.%z '$F')\" != '$ctime_before'"
check remove_xattr setfattr -x user.t2 "$F"

# Another user: the kernel checks user.* against the file's mode, trusted.* needs CAP_SYS_ADMIN.
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
chmod 0711 "$WORK"  # (mktemp -d made it 0700: the user must reach the mount point)
check other_user_reaches_mount as_user stat "$M/x"
chmod 0666 "$M/x/being-written"
check other_user_reads as_user getfattr -n user.text --only-values "$F"
if as_user setfattr -n user.no -v 1 "$F" 2>/dev/null; then fail other_user_set_denied "set"; else pass other_user_set_denied; fi
check other_user_sets_writable as_user setfattr -n user.theirs -v 1 "$M/x/being-written"
if as_user setfattr -n trusted.no -v 1 "$M/x/being-written" 2>/dev/null; then fail trusted_needs_root "set"; else pass trusted_needs_root; fi
check trusted_hidden_from_users bash -c "! as_user getfattr -m - -d '$F' 2>/dev/null | grep -q trusted"

# Everything survives a remount (from the cluster, not the mount's memory).
unmount_fs || fail unmount
mount_fs -o allow_other
check remount_types test "$(types "$M/sp" 2>/dev/null | grep -v sock)" = "$(grep -v sock <<<"$want_types")"
check remount_xattrs test "$(getfattr -d "$F" 2>/dev/null | grep '^user' | tr '\n' ' ')" = 'user.bin=0sAP8BAA== user.empty="" user.text="replaced" '
check remount_dir_xattr test "$(getfattr -n user.dir --only-values "$M/x" 2>/dev/null)" = "on the directory"
check remount_written_xattr test "$(getfattr -n user.early --only-values "$M/x/being-written" 2>/dev/null)" = "before close"
check remount_written_bytes test "$(cat "$M/x/being-written")" = bytes

# Copies keep attributes both ways (rsync -X, cp --preserve=xattr).
mkdir -p "$WORK/xsrc" && echo one >"$WORK/xsrc/a" && setfattr -n user.k -v v1 "$WORK/xsrc/a"
check rsync_x_in rsync -aX "$WORK/xsrc/" "$M/xcopy/"
check rsync_x_kept test "$(getfattr -n user.k --only-values "$M/xcopy/a" 2>/dev/null)" = v1
check cp_preserve_out cp --preserve=xattr "$M/xcopy/a" "$WORK/a.out"
check cp_preserve_kept test "$(getfattr -n user.k --only-values "$WORK/a.out" 2>/dev/null)" = v1

# -o noxattr: no extended attributes at all (EOPNOTSUPP), the bytes as before.
unmount_fs || fail unmount
mount_fs -o noxattr
if setfattr -n user.n -v 1 "$F" 2>"$WORK/err"; then fail noxattr_refuses "set"; else check noxattr_refuses grep -q "not supported" "$WORK/err"; fi
check noxattr_reads_bytes test "$(cat "$F")" = content
finish special_xattr_test
