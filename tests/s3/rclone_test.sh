#!/usr/bin/env bash
# rclone against the S3 gateway with SigV4 keys: copy a source tree up, `rclone check` it (sizes
# and MD5s), sync local changes (new, changed and deleted files), copy it back byte-exact, and
# `rclone purge` the bucket (which lists object versions and removes the bucket).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
if ! command -v rclone >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rclone >/dev/null 2>&1 ||
    { echo "SKIP rclone not installed"; exit 0; }
fi
export AIS_S3_ACCESS_KEY=AKRCLONE AIS_S3_SECRET_KEY=rclonesecret
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY
export RCLONE_CONFIG="$WORK/rclone.conf" RCLONE_CONFIG_AIS_TYPE=s3 RCLONE_CONFIG_AIS_PROVIDER=Other \
  RCLONE_CONFIG_AIS_ENDPOINT=$S3_ENDPOINT RCLONE_CONFIG_AIS_ACCESS_KEY_ID=AKRCLONE \
  RCLONE_CONFIG_AIS_SECRET_ACCESS_KEY=rclonesecret RCLONE_CONFIG_AIS_REGION=us-east-1 \
  RCLONE_CONFIG_AIS_FORCE_PATH_STYLE=true
: >"$RCLONE_CONFIG"
# (rclone's S3 SDK cannot take a custom CA bundle over plain HTTP: it refuses to start with one.)
unset AWS_CA_BUNDLE
rc() { rclone --retries 1 --low-level-retries 2 "$@" >>"$WORK/rclone.log" 2>&1; }

SRC=$WORK/src
mkdir -p "$SRC"
cp -r /usr/include/linux/. "$SRC/" 2>/dev/null || cp -r "$REPO/node/." "$SRC/"
head -c 9000000 /dev/urandom >"$SRC/big.bin" # multipart (rclone's cutoff is 200 MiB: one PUT)
N=$(find "$SRC" -type f | wc -l)

check rclone_mkdir rc mkdir ais:rcb
check rclone_copy_up rc copy "$SRC" ais:rcb/tree
check rclone_check_after_copy rc check "$SRC" ais:rcb/tree
check rclone_lists_every_file test "$(rclone lsf -R --files-only ais:rcb/tree 2>/dev/null | wc -l)" = "$N"
one=$(cd "$SRC" && find . -type f -name '*.h' | head -1)
check rclone_md5_matches test "$(rclone md5sum "ais:rcb/tree/${one#./}" 2>/dev/null | cut -d' ' -f1)" = \
  "$(md5sum <"$SRC/$one" | cut -d' ' -f1)"

# Local changes: a new file, a changed one, a deleted one; sync makes the bucket match.
echo new >"$SRC/added.txt"
echo changed >>"$SRC/$one"
victim=$(cd "$SRC" && find . -type f -name '*.h' | sed -n 2p)
rm -f "$SRC/$victim"
check rclone_sync rc sync "$SRC" ais:rcb/tree
check rclone_check_after_sync rc check "$SRC" ais:rcb/tree
rclone lsf -R --files-only ais:rcb/tree >"$WORK/after-sync" 2>>"$WORK/rclone.log"
check rclone_sync_deleted_and_added bash -c "grep -qx 'added.txt' '$WORK/after-sync' && ! grep -qx '${victim#./}' '$WORK/after-sync'"
check rclone_copy_down rc copy ais:rcb/tree "$WORK/back"
check rclone_round_trip_exact diff -r "$SRC" "$WORK/back"

check rclone_purge rc purge ais:rcb
rclone lsd ais: >"$WORK/buckets" 2>>"$WORK/rclone.log"
check rclone_lsd_after_purge test $? = 0
check rclone_purge_removed_bucket bash -c "! grep -qw rcb '$WORK/buckets'"
((FAILS == 0)) || tail -n 20 "$WORK/rclone.log"
finish
