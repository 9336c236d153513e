#!/usr/bin/env bash
# `tools/dev up` with the aisfs mount: the mount works, and when its aisfs process dies (a dead
# FUSE mount: "Transport endpoint is not connected"), `tools/dev up` detaches it and mounts again.
set -uo pipefail
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/playground.sh"
require_built dev_mount_test --fuse
playground dev-mount 22200 100 8 8
unset AIS_DEV_NOMOUNT # this suite tests tools/dev's own mount
MNT=$AIS_DEV_DIR/mnt

check dev_up_with_mount "$DEV" up
check mount_lists_buckets ls "$MNT"
# Every user may use the playground mount (root runs this test).
if grep " $MNT " /proc/mounts | grep -q allow_other; then pass mount_allow_other; else fail mount_allow_other "$(grep " $MNT " /proc/mounts)"; fi
chmod o+x "$WORK" "$AIS_DEV_DIR"  # mktemp dirs are 0700
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
