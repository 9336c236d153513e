# Shared by tests/fuse/*_test.sh (sourced): a playground cluster in a temp dir on free ports in
# 23000-23999 (below the ephemeral port range), an aisfs mount of it, PASS/FAIL/SKIP bookkeeping, and cleanup on any exit.
# shellcheck shell=bash disable=SC2034
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEV=$REPO/tools/dev
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
export AIS_DEV_NOBUILD=1
AISFS=$AIS_BUILD_DIR/fusefs/aisfs
AIS_BIN=$AIS_BUILD_DIR/tools/ais
# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"

require_built() {
  if [[ ! -x $AISFS || ! -x $AIS_BUILD_DIR/node/aisnode ]]; then
    echo "SKIP $1: $AISFS or $AIS_BUILD_DIR/node/aisnode not built"
    exit 0
  fi
  if [[ ! -c /dev/fuse ]] || ! command -v fusermount3 >/dev/null; then
    echo "SKIP $1: no /dev/fuse or fusermount3"
    exit 0
  fi
}

# A base port in 23000-23479 with the playground's ports free (base..base+7 for the fabric,
# base+500.. for HTTP).
pick_port() { pick_port_in 23000 480 1 8; }

WORK=$(mktemp -d /tmp/aisfs-test.XXXXXX)
export AIS_DEV_DIR=$WORK/cluster
MNT=$WORK/mnt
mkdir -p "$MNT" "$WORK/spool"
MOUNTED=0

cleanup() {
  if ((MOUNTED)); then
    fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
  fi
  "$DEV" down --clean >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Benchmarks: builds and mounts the minimal libfuse passthrough (the FUSE ceiling of the machine)
# of $WORK/pt_src at $WORK/pt_mnt, unmounted on exit. $BENCH is ../shared/bench.
mount_passthrough() {
  cc -O2 "$BENCH/passthrough.c" -o "$WORK/passthrough" $(pkg-config --cflags --libs fuse3) || exit 1
  mkdir -p "$WORK/local" "$WORK/pt_src" "$WORK/pt_mnt"
  "$WORK/passthrough" "$WORK/pt_src" "$WORK/pt_mnt" || exit 1
  trap 'fusermount3 -u "$WORK/pt_mnt" 2>/dev/null; cleanup' EXIT
}

cluster_up() {
  AIS_DEV_PORT=$(pick_port) || { fail cluster_up "no free port range"; exit 1; }
  export AIS_DEV_PORT
  if ! timeout 120 "$DEV" up >"$WORK/up.log" 2>&1; then
    fail cluster_up "$(tail -n 20 "$WORK/up.log")"
    exit 1
  fi
  eval "$("$DEV" env 2>/dev/null)"
  export AIS_ENDPOINT
  pass cluster_up
}

ais() { timeout 120 "$AIS_BIN" "$@"; }

# mount_fs [aisfs options...]: mounts the cluster at $MNT (root lists buckets).
mount_fs() {
  if ! AISFS_LOG=$WORK/aisfs.log timeout 30 "$AISFS" --spool-dir "$WORK/spool" "$@" \
    "$AIS_ENDPOINT" "$MNT"; then
    fail mount "$(cat "$WORK/aisfs.log" 2>/dev/null)"
    exit 1
  fi
  MOUNTED=1
}

# mounted_bucket BUCKET [aisfs options...]: a playground, a bucket in it, the cluster mounted;
# B is the bucket, M its directory on the mount.
mounted_bucket() {
  B=$1
  shift
  cluster_up
  ais bucket create "ais://$B" >/dev/null || fail bucket_create
  mount_fs "$@"
  M=$MNT/$B
}

# ranges_match COPY REFERENCE: 4 KiB reads at scattered offsets of COPY (on a mount: ranged GETs
# and the block cache) equal REFERENCE's.
ranges_match() {
  local off
  for off in 5 300 701 2 512 767; do
    cmp -s <(dd if="$1" bs=4096 skip=$off count=1 2>/dev/null) \
      <(dd if="$2" bs=4096 skip=$off count=1 2>/dev/null) || return 1
  done
}

unmount_fs() {
  fusermount3 -u "$MNT" && MOUNTED=0
  # The daemon exits once the kernel lets go; wait for it so the next mount starts clean.
  for _ in $(seq 1 50); do
    mountpoint -q "$MNT" || return 0
    sleep 0.1
  done
  return 1
}

finish() {
  if ((FAILS)); then
    echo "$1: $FAILS check(s) failed"
    exit 1
  fi
  echo "$1: all checks passed"
  exit 0
}
