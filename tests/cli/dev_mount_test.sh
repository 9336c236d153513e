#!/usr/bin/env bash
# `tools/dev up` with the aisfs mount: the mount works, and when its aisfs process dies (a dead
# FUSE mount: "Transport endpoint is not connected"), `tools/dev up` detaches it and mounts again.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEV=$REPO/tools/dev
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
export AIS_DEV_NOBUILD=1
unset AIS_DEV_NOMOUNT
# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"

if [[ ! -x $AIS_BUILD_DIR/fusefs/aisfs || ! -e /dev/fuse ]]; then
  skip dev_mount "aisfs not built or no /dev/fuse"
  exit 0
fi
own_playground dev-mount 22200 100 8 8
MNT=$AIS_DEV_DIR/mnt

check dev_up_with_mount "$DEV" up
check mount_lists_buckets ls "$MNT"
# Every user may use the playground mount (root runs this test).
if grep " $MNT " /proc/mounts | grep -q allow_other; then pass mount_allow_other; else fail mount_allow_other "$(grep " $MNT " /proc/mounts)"; fi
chmod o+x "$AIS_DEV_DIR"  # mktemp dirs are 0700
if su nobody -s /bin/sh -c "ls '$MNT'" >/dev/null 2>&1; then pass mount_other_user_lists; else fail mount_other_user_lists; fi
pid=$(pgrep -f "fusefs/aisfs .* $MNT" | head -n 1)
if [[ -n $pid ]]; then pass found_aisfs; else fail found_aisfs "no aisfs process for $MNT"; fi
kill -9 "$pid" 2>/dev/null
for _ in $(seq 1 50); do ! kill -0 "$pid" 2>/dev/null && break; sleep 0.1; done
if stat "$MNT" >/dev/null 2>&1; then fail mount_is_dead "still answers"; else pass mount_is_dead; fi
check dev_up_recovers_the_mount "$DEV" up
check recovered_mount_works ls "$MNT"
echo "dev_mount_test: $FAILS failed"
((FAILS == 0))
