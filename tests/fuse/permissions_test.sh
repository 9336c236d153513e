#!/usr/bin/env bash
# Permissions on an allow_other aisfs mount, as root switching uid/gid the way conformance suites
# do (setpriv): one scenario runs in a directory of the local filesystem and in a bucket directory
# of the mount, and every step must end the same way on both (the errno, or the mode and owner
# it leaves): modes for other users and supplementary groups, a read-only directory, the sticky
# bit on unlink/rename/rmdir, who may chmod/chown/chgrp/utimes, set-user-ID and set-group-ID bits
# cleared by a non-root write, truncate and chown (kept by root's write), a set-group-ID
# directory's group and bit passed on, S_ISGID dropped by a chmod from outside the group.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built permissions_test --fuse
mounted_bucket fsperm -o allow_other
chmod 0711 "$WORK" # (mktemp -d made it 0700: the users must reach both directories)
mkdir -p "$WORK/local" "$M/perm" || fail mkdir
chmod 0755 "$WORK/local" "$M/perm"

cat >"$WORK/scenario.sh" <<'EOF'
# scenario.sh DIR: each step prints "NAME ok", "NAME <errno text>" or "NAME <mode> <uid>:<gid>".
D=$1
A=(setpriv --reuid=1001 --regid=1001 --groups=1001,4242)  # a user in group 4242
B=(setpriv --reuid=1002 --regid=1002 --groups=1002)        # a user outside it
step() { # NAME CMD...: how the command ended (its message's last part: the errno's text)
  local name=$1 err
  shift
  if err=$("$@" 2>&1 >/dev/null); then echo "$name ok"; else echo "$name ${err##*: }"; fi
}
attrs() { echo "$1 $(stat -c '%a %u:%g' "$2")"; }
cd "$D" || exit 1
echo secret >priv && chmod 0600 priv
echo public >pub && chmod 0644 pub
echo group >grp && chown 0:4242 grp && chmod 0640 grp
mkdir ro && chmod 0555 ro
mkdir sticky && chmod 1777 sticky
echo shared >open && chmod 0666 open
step other_reads_private "${B[@]}" cat priv
step other_reads_public "${B[@]}" cat pub
step other_writes_public "${B[@]}" sh -c 'echo x >>pub'
step member_reads_group_file "${A[@]}" cat grp
step outsider_reads_group_file "${B[@]}" cat grp
step create_in_read_only_dir "${A[@]}" touch ro/new
step list_read_only_dir "${A[@]}" ls ro
step a_creates_in_sticky "${A[@]}" sh -c 'echo a >sticky/a && mkdir sticky/ad'
step b_unlinks_in_sticky "${B[@]}" rm -f sticky/a
step b_renames_in_sticky "${B[@]}" mv sticky/a sticky/b
step b_rmdirs_in_sticky "${B[@]}" rmdir sticky/ad
step b_renames_over_in_sticky "${B[@]}" sh -c 'echo b >sticky/bfile && mv sticky/bfile sticky/a'
step owner_renames_in_sticky "${A[@]}" mv sticky/a sticky/a2
step owner_unlinks_in_sticky "${A[@]}" rm sticky/a2
step root_rmdirs_in_sticky rmdir sticky/ad
step non_owner_chmod "${B[@]}" chmod 0777 pub
echo mine >mine && chown 1001:1001 mine
step owner_chmods "${A[@]}" chmod 0604 mine
attrs after_owner_chmod mine
step owner_gives_away "${A[@]}" chown 1002 mine
step owner_chgrps_to_own_group "${A[@]}" chgrp 4242 mine
attrs after_chgrp mine
step owner_chgrps_to_other_group "${A[@]}" chgrp 1002 mine
step writer_touches_now "${B[@]}" touch open
step writer_sets_times "${B[@]}" touch -d '2001-02-03 04:05:06' open
step owner_sets_times "${A[@]}" touch -d '2001-02-03 04:05:06' mine
echo "mine_mtime $(stat -c %Y mine)"
# Set-user-ID and set-group-ID bits (group-executable: both are to go) on write, truncate, chown.
for f in suid_w suid_t suid_root suid_chown; do
  echo data >$f && chown 1001:4242 $f && chmod 6775 $f
done
step owner_writes_setuid_file "${A[@]}" sh -c 'echo more >>suid_w'
attrs after_nonroot_write suid_w
step owner_truncates_setuid_file "${A[@]}" truncate -s 1 suid_t
attrs after_nonroot_truncate suid_t
echo more >>suid_root
attrs after_root_write suid_root
chown 1002 suid_chown
attrs after_root_chown suid_chown
echo data >sgid_only && chown 1001:4242 sgid_only && chmod 2745 sgid_only
step owner_writes_sgid_no_group_exec "${A[@]}" sh -c 'echo more >>sgid_only'
attrs after_write_sgid_no_group_exec sgid_only
# A set-group-ID directory: what is made in it takes its group, a subdirectory the bit too.
mkdir sgd && chown 0:4242 sgd && chmod 2777 sgd
step a_makes_in_sgid_dir "${A[@]}" sh -c 'echo x >sgd/f && mkdir sgd/sub'
attrs sgid_dir_file sgd/f
attrs sgid_dir_subdir sgd/sub
# A file made there asking for set-group-ID with group execute keeps the bit only if its maker
# is in the directory's group (A: a supplementary one) or root.
mk2775() { /usr/bin/python3 -c "import os, sys; os.umask(0); os.close(os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o2775))" "$1"; }
step member_makes_sgid_exec "${A[@]}" bash -c "$(declare -f mk2775); mk2775 sgd/ax"
step outsider_makes_sgid_exec "${B[@]}" bash -c "$(declare -f mk2775); mk2775 sgd/bx"
attrs member_sgid_exec sgd/ax
attrs outsider_sgid_exec sgd/bx
# chmod g+s by an owner outside the file's group: the bit is dropped, the rest applies.
echo x >notmember && chown 1002:4242 notmember
step outsider_owner_sets_sgid "${B[@]}" chmod 2755 notmember
attrs after_outsider_sgid notmember
# Search permission, writes into directories, read-only files, xattrs of others' files.
mkdir noexec && echo hi >noexec/f && chmod 0644 noexec && chmod 0644 noexec/f
step search_without_x "${A[@]}" cat noexec/f
step list_without_x "${A[@]}" ls noexec
mkdir wdir && chmod 0755 wdir && echo x >wdir/g && chmod 0666 wdir/g
step rename_in_unwritable_dir "${A[@]}" mv wdir/g wdir/g2
step link_into_unwritable_dir "${A[@]}" ln wdir/g wdir/g3
step unlink_in_unwritable_dir "${A[@]}" rm -f wdir/g
echo r >ro && chmod 0444 ro
step o_trunc_read_only "${A[@]}" sh -c ': > ro'
step utime_now_no_write "${A[@]}" touch ro
step setxattr_others_file "${A[@]}" setfattr -n user.k -v v wdir/g
step getxattr_unreadable "${A[@]}" getfattr -n user.k priv
echo s >mine && chown 1001:1001 mine && chmod 0644 mine
step owner_setxattr "${A[@]}" setfattr -n user.k -v v mine
step other_getxattr_readable "${B[@]}" getfattr -n user.k --only-values mine
step owner_chmod_to_setuid "${A[@]}" chmod 4755 mine
attrs owner_setuid mine
mkdir -p adir && chown 1001:1001 adir
step other_mkdir_in_owned "${B[@]}" mkdir adir/x
step owner_rmdir_own "${A[@]}" sh -c 'mkdir adir/y && rmdir adir/y'
step other_rename_dir_over "${B[@]}" mv adir adir2
mkdir -p mv1 mv2 && chmod 0777 mv1 && chmod 0755 mv2 && su_f=mv1/af && "${A[@]}" sh -c "echo a > $su_f"
step move_into_unwritable "${A[@]}" mv mv1/af mv2/af
step rename_dir_needs_write_in_it "${A[@]}" sh -c 'mkdir mv1/sub && chmod 0555 mv1/sub && mv mv1/sub mv1/sub2'
EOF

bash "$WORK/scenario.sh" "$WORK/local" >"$WORK/local.out" 2>&1
bash "$WORK/scenario.sh" "$M/perm" >"$WORK/mount.out" 2>&1
# The reference holds what POSIX and Linux say (a wrong reference fails here, not on the mount).
grep -qx "other_reads_private Permission denied" "$WORK/local.out" &&
  grep -qx "after_nonroot_write 775 1001:4242" "$WORK/local.out" &&
  grep -qx "b_unlinks_in_sticky Operation not permitted" "$WORK/local.out" &&
  pass reference_as_expected || fail reference_as_expected "$(cat "$WORK/local.out")"
same_as_local "$WORK/local.out" "$WORK/mount.out" 55
# Through the CLI too: what the mount stored is the object's (mode, owner), not the mount's memory.
check cli_sees_owner bash -c "ais object show ais://$B/perm/suid_chown | grep -q 'posix.uid *1002'"
check cli_sees_inherited_group bash -c "ais object show ais://$B/perm/sgd/f | grep -q 'posix.gid *4242'"
finish permissions_test
