#!/usr/bin/env bash
# POSIX answers on aisfs as a local filesystem gives them: one scenario (rename over files and
# directories, into its own subtree, of "."; 255/256-byte names and 4,095-byte paths; O_EXCL,
# O_NOFOLLOW, O_DIRECTORY, O_APPEND; mkdir/rmdir/unlink/link/symlink/readlink/truncate misuse;
# link counts of files and directories; a file removed while open; xattr flags; sparse sizes;
# symlinks, trailing slashes, "..")
# prints each step's errno or result; it runs in a local directory and on the mount, and every
# line must be the same.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built errnos_test --fuse
mounted_bucket fserrnos
mkdir -p "$WORK/local" "$M/errnos" || fail mkdir

cat >"$WORK/errnos.py" <<'EOF'
# errnos.py DIR: each step prints "STEP ok" or "STEP ERRNO_NAME", and some the stat fields they
# leave (type, link count, size, same inode or not), as a local filesystem answers them.
import errno, os, stat, sys
os.chdir(sys.argv[1])
def step(name, fn):
    try:
        out = fn()
        print(f"{name} ok" + (f" {out}" if out is not None else ""))
    except OSError as e:
        print(f"{name} {errno.errorcode.get(e.errno, e.errno)}")
def kind(p):
    m = os.lstat(p).st_mode
    return "dir" if stat.S_ISDIR(m) else "link" if stat.S_ISLNK(m) else "file" if stat.S_ISREG(m) else "other"
def put(p, data=b"x"):
    with open(p, "wb") as f:
        f.write(data)
os.mkdir("e")
os.chdir("e")
put("f", b"hello")
put("g", b"other")
os.mkdir("d")
os.mkdir("d2")
put("d2/inside")
os.mkdir("empty")
os.symlink("f", "sl")
ino_f = os.stat("f").st_ino
# rename
step("rename_file_over_file", lambda: os.rename("g", "f2") or os.rename("f2", "g"))
step("rename_file_over_dir", lambda: os.rename("g", "d"))
step("rename_dir_over_file", lambda: os.rename("d", "g"))
step("rename_dir_over_nonempty_dir", lambda: os.rename("d", "d2"))
step("rename_dir_over_empty_dir", lambda: os.rename("d", "empty"))
step("renamed_dir_kind", lambda: kind("empty"))
step("rename_into_own_subtree", lambda: os.rename("d2", "d2/sub"))
step("rename_missing", lambda: os.rename("nothing", "x"))
step("rename_to_missing_parent", lambda: os.rename("g", "nodir/g"))
step("rename_same_name", lambda: os.rename("g", "g"))
step("rename_keeps_inode", lambda: (os.rename("f", "f3"), os.stat("f3").st_ino == ino_f, os.rename("f3", "f"))[1])
step("rename_over_keeps_source_inode", lambda: (put("victim"), os.rename("f", "victim"), os.stat("victim").st_ino == ino_f, os.rename("victim", "f"))[2])
step("rename_dot", lambda: os.rename("d2/.", "x"))
step("rename_symlink", lambda: (os.rename("sl", "sl2"), kind("sl2"), os.readlink("sl2"))[1:])
# names
step("name_255", lambda: put("n" * 255))
step("name_256", lambda: put("n" * 256))
step("lookup_256", lambda: os.stat("n" * 256))
step("mkdir_256", lambda: os.mkdir("m" * 256))
deep = "/".join(["p" * 200] * 19)  # 3,818 bytes
step("deep_path_mkdirs", lambda: os.makedirs(deep))
step("deep_path_file", lambda: put(deep + "/" + "q" * 200))  # 4,019 bytes
step("path_over_4095", lambda: put(deep + "/" + "q" * 200 + "/" + "r" * 100))
# open flags
step("o_excl_existing", lambda: os.close(os.open("f", os.O_CREAT | os.O_EXCL | os.O_WRONLY)))
step("o_nofollow_symlink", lambda: os.close(os.open("sl2", os.O_RDONLY | os.O_NOFOLLOW)))
step("o_directory_file", lambda: os.close(os.open("f", os.O_RDONLY | os.O_DIRECTORY)))
step("o_directory_dir", lambda: os.close(os.open("d2", os.O_RDONLY | os.O_DIRECTORY)))
step("open_dir_for_write", lambda: os.close(os.open("d2", os.O_WRONLY)))
step("o_creat_in_missing_dir", lambda: os.close(os.open("nodir/x", os.O_CREAT | os.O_WRONLY)))
step("o_creat_through_file", lambda: os.close(os.open("f/x", os.O_CREAT | os.O_WRONLY)))
step("mkdir_existing", lambda: os.mkdir("d2"))
step("mkdir_over_file", lambda: os.mkdir("f"))
step("rmdir_nonempty", lambda: os.rmdir("d2"))
step("rmdir_file", lambda: os.rmdir("f"))
step("unlink_dir", lambda: os.unlink("d2"))
step("unlink_missing", lambda: os.unlink("nothing"))
step("rmdir_dot", lambda: os.rmdir("d2/."))
step("link_dir", lambda: os.link("d2", "d2link"))
step("link_existing", lambda: os.link("f", "g"))
step("symlink_existing", lambda: os.symlink("x", "f"))
step("readlink_file", lambda: os.readlink("f"))
step("truncate_dir", lambda: os.truncate("d2", 0))
step("truncate_negative", lambda: os.truncate("f", -1))
# link counts
step("nlink_file", lambda: os.stat("f").st_nlink)
step("link_then_nlink", lambda: (os.link("f", "f_hl"), os.stat("f").st_nlink, os.stat("f_hl").st_ino == os.stat("f").st_ino)[1:])
step("unlink_one_name", lambda: (os.unlink("f_hl"), os.stat("f").st_nlink)[1])
step("dir_nlink", lambda: (os.mkdir("nl"), os.mkdir("nl/a"), os.mkdir("nl/b"), put("nl/c"), os.stat("nl").st_nlink)[-1])
step("dir_nlink_after_rmdir", lambda: (os.rmdir("nl/a"), os.stat("nl").st_nlink)[-1])
# removed while open
def unlinked_open():
    fd = os.open("tmpfile", os.O_RDWR | os.O_CREAT, 0o644)
    os.unlink("tmpfile")
    os.write(fd, b"z" * 10000)
    data = os.pread(fd, 20000, 0)
    nlink = os.fstat(fd).st_nlink
    os.close(fd)
    return (len(data), nlink, os.path.exists("tmpfile"))
step("unlinked_while_open", unlinked_open)
# xattrs
step("getxattr_missing", lambda: os.getxattr("f", "user.none"))
step("setxattr_create_existing", lambda: (os.setxattr("f", "user.a", b"1"), os.setxattr("f", "user.a", b"2", os.XATTR_CREATE)))
step("setxattr_replace_missing", lambda: os.setxattr("f", "user.b", b"1", os.XATTR_REPLACE))
step("removexattr_missing", lambda: os.removexattr("f", "user.none"))
step("xattr_value", lambda: os.getxattr("f", "user.a"))
step("xattr_list", lambda: sorted(os.listxattr("f")))
# sizes and holes
def sparse():
    with open("sparse", "wb") as f:
        f.truncate(10 << 20)
    st = os.stat("sparse")
    return (st.st_size, st.st_blocks < 100)
step("sparse_truncate", sparse)
step("size_after_write_at", lambda: (os.close(os.open("w", os.O_CREAT | os.O_WRONLY)), os.truncate("w", 0), open("w", "r+b").close(), os.stat("w").st_size)[-1])
def pwrite_past_end():
    fd = os.open("pw", os.O_CREAT | os.O_RDWR)
    os.pwrite(fd, b"end", 100000)
    os.close(fd)
    with open("pw", "rb") as f:
        d = f.read()
    return (len(d), d[:5] == b"\0" * 5, d[-3:])
step("pwrite_past_end", pwrite_past_end)
def append_mode():
    with open("ap", "wb") as f:
        f.write(b"12345")
    fd = os.open("ap", os.O_WRONLY | os.O_APPEND)
    os.pwrite(fd, b"AB", 0) if False else os.write(fd, b"AB")
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, b"CD")
    os.close(fd)
    return open("ap", "rb").read()
step("o_append_writes_at_end", append_mode)
step("readdir", lambda: sorted(os.listdir("d2")))
step("final_listing", lambda: sorted(n if len(n) < 50 else f"{n[0]}*{len(n)}" for n in os.listdir(".")))
# Symlinks, trailing slashes, "..", and names through links (a directory of their own).
os.chdir("..")
os.mkdir("z")
os.chdir("z")
open("f", "w").write("x")
os.symlink("f", "l")
os.symlink("missing", "dangling")
os.mkdir("d")
step("xattr_user_on_symlink", lambda: os.setxattr("l", "user.k", b"v", follow_symlinks=False))
step("excl_on_dangling_symlink", lambda: os.close(os.open("dangling", os.O_CREAT | os.O_EXCL | os.O_WRONLY)))
step("creat_through_dangling_symlink", lambda: (os.close(os.open("dangling", os.O_CREAT | os.O_WRONLY)), os.path.exists("missing"))[1])
step("dotdot_ino", lambda: os.stat("d/..").st_ino == os.stat(".").st_ino)
step("dot_entries_listed", lambda: sorted(e for e in os.listdir("d")))
step("statvfs_namemax", lambda: os.statvfs(".").f_namemax)
step("mkdir_p_existing_file", lambda: os.makedirs("f/x"))
step("rename_file_to_dir_slash", lambda: os.rename("f", "nodir/"))
step("open_trailing_slash_file", lambda: os.close(os.open("f/", os.O_RDONLY)))
step("stat_trailing_slash_file", lambda: os.stat("f/"))
step("rmdir_trailing_slash", lambda: (os.mkdir("e"), os.rmdir("e/"))[1])
step("symlink_loop", lambda: (os.symlink("loop", "loop"), os.stat("loop"))[1])
step("readlink_target", lambda: os.readlink("dangling"))
step("link_to_symlink", lambda: (os.link("l", "l2", follow_symlinks=False), stat.S_ISLNK(os.lstat("l2").st_mode))[1])
step("chmod_symlink_follows", lambda: (os.chmod("l", 0o600), oct(os.stat("f").st_mode & 0o777))[1])
step("truncate_through_symlink", lambda: (os.truncate("l", 1), os.stat("f").st_size)[1])
step("unlink_symlink_keeps_target", lambda: (os.unlink("l2"), os.path.exists("f"))[1])
step("rename_dir_into_file_parent", lambda: os.rename("d", "f/d"))
step("long_symlink_target", lambda: (os.symlink("a" * 4000, "longl"), len(os.readlink("longl")))[1])
step("too_long_symlink_target", lambda: os.symlink("a" * 4096, "longl2"))
EOF

$PY "$WORK/errnos.py" "$WORK/local" >"$WORK/local.out" 2>&1
$PY "$WORK/errnos.py" "$M/errnos" >"$WORK/mount.out" 2>&1
# The reference holds what POSIX says (a wrong reference fails here, not on the mount).
grep -qx "rename_into_own_subtree EINVAL" "$WORK/local.out" && grep -qx "name_256 ENAMETOOLONG" "$WORK/local.out" &&
  grep -qx "unlinked_while_open ok (10000, 0, False)" "$WORK/local.out" &&
  pass reference_as_expected || fail reference_as_expected "$(cat "$WORK/local.out")"
same_as_local "$WORK/local.out" "$WORK/mount.out" 75
finish errnos_test
