# The one test playground library, sourced by every suite that runs a cluster (tests/cli,
# tests/fuse, tests/s3, tests/integrity, tests/bench): a private playground started by tools/dev
# (its code paths: layout, launch, readiness, the port check of tests/lib/ports.sh) with its data
# in a temp dir, on free ports claimed in the suite's range; its environment exported; aisfs
# mounts under the same temp dir; everything (mounts, nodes, data) gone on any exit.
#
# Port ranges (below the ephemeral range; one per suite so that suites side by side never
# collide): cli 20000-22999, fuse 23000-23999, s3 24000-24999, integrity 25000-25999,
# bench 26000-26999; the C++ integration tests use 28000 and up.
# shellcheck shell=bash disable=SC2034
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEV=$REPO/tools/dev
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
# Suites run on the build tools/dev test made; they mount aisfs themselves (mount_fs).
export AIS_DEV_NOBUILD=1 AIS_DEV_NOMOUNT=1
AISFS=$AIS_BUILD_DIR/fusefs/aisfs
AIS_BIN=$AIS_BUILD_DIR/tools/ais
AIS=$AIS_BIN
HTTP_OFFSET=500 # a node's HTTP gateway listens on its rpc port + this (tools/dev)
TMO=${TMO:-120} # every `ais` call runs under `timeout $TMO`: a hang is a failure, not a stall
# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"
# shellcheck source=tests/lib/fuse_daemons.sh
source "$REPO/tests/lib/fuse_daemons.sh"

# require_built NAME: aisnode and ais exist (tools/dev test built them: a missing one fails the
# suite). With --fuse, aisfs too, and the machine must have /dev/fuse and fusermount3 (if not,
# the suite is skipped: that is the machine, not the build).
require_built() {
  local name=$1 bin bins=("$AIS_BUILD_DIR/node/aisnode" "$AIS_BIN")
  [[ ${2:-} == --fuse ]] && bins+=("$AISFS")
  for bin in "${bins[@]}"; do
    [[ -x $bin ]] || { fail "$name" "$bin is not built"; exit 1; }
  done
  if [[ ${2:-} == --fuse ]] && ! have_fuse; then
    skip "$name" "no /dev/fuse or fusermount3"
    exit 0
  fi
}
have_fuse() { [[ -x $AISFS && -c /dev/fuse ]] && command -v fusermount3 >/dev/null; }

# playground NAME FIRST CHOICES STEP N: the suite's work dir WORK (made unless set), the
# playground's data in $WORK/cluster (AIS_DEV_DIR), a mount point MNT and an aisfs spool, and a
# base port AIS_DEV_PORT = FIRST + k*STEP (k < CHOICES) with N rpc ports and their gateways free
# and claimed. Cleans up on exit.
playground() {
  local name=$1
  shift
  if [[ -z ${WORK:-} ]]; then WORK=$(mktemp -d "/tmp/ais-$name.XXXXXX") || exit 1; fi
  export AIS_DEV_DIR=$WORK/cluster
  MNT=$WORK/mnt
  mkdir -p "$MNT" "$WORK/spool"
  trap playground_cleanup EXIT
  trap 'exit 130' INT TERM
  AIS_DEV_PORT=$(pick_port_in "$@") || { fail setup "no free port range at $1"; exit 1; }
  export AIS_DEV_PORT
}

# Every FUSE mount under WORK (any suite's extra mounts too) is let go, the nodes stopped, the
# data removed (--one-file-system: never into a mount that refused to go away).
playground_cleanup() {
  local mnt
  awk -v d="$WORK/" '$3 ~ /^fuse/ && index($2, d) == 1 { print $2 }' /proc/mounts 2>/dev/null |
    sort -r | while read -r mnt; do
      fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null
    done
  "$DEV" down --clean >/dev/null 2>&1
  rm -rf --one-file-system "$WORK"
}
cleanup() { playground_cleanup; } # the name the suites' own traps call

# playground_up [UP-ARGS...]: `tools/dev up` (a failure ends the suite), its environment
# (AIS_ENDPOINT, S3_ENDPOINT) exported, and every node's gateway answering /v1/health.
playground_up() {
  if ! timeout 300 "$DEV" up "$@" >"$WORK/up.log" 2>&1; then
    fail cluster_up "$(tail -n 20 "$WORK/up.log")"
    exit 1
  fi
  eval "$("$DEV" env 2>/dev/null)"
  export AIS_ENDPOINT S3_ENDPOINT
  local id port host
  while read -r id _ port _ _ host; do
    host=${host:-127.0.0.1}:$((port + HTTP_OFFSET))
    curl -sf --max-time 5 --retry 10 --retry-delay 1 --retry-connrefused \
      "http://$host/v1/health" >/dev/null ||
      { fail cluster_up "the gateway of $id ($host) does not answer"; exit 1; }
  done <"$AIS_DEV_DIR/cluster"
  pass cluster_up
}

# The playground's node table: id role rpc-port pid confdir.
node_port() { awk -v id="$1" '$1 == id { print $3 }' "$AIS_DEV_DIR/cluster"; }
node_gw() { echo "http://127.0.0.1:$(($(node_port "$1") + HTTP_OFFSET))"; }
targets() { awk '$2 == "target" { print $1 }' "$AIS_DEV_DIR/cluster"; }
proxy_id() { awk '$2 == "proxy" { print $1; exit }' "$AIS_DEV_DIR/cluster"; }

ais() { timeout "$TMO" "$AIS_BIN" "$@"; }

# mount_fs [aisfs options...]: mounts the cluster at $MNT (the root lists buckets); a mount that
# fails ends the suite.
mount_fs() {
  if ! AISFS_LOG=$WORK/aisfs.log timeout 30 "$AISFS" --spool-dir "$WORK/spool" "$@" \
    "$AIS_ENDPOINT" "$MNT" >"$WORK/mount.out" 2>&1; then
    fail mount "$(cat "$WORK/mount.out" "$WORK/aisfs.log" 2>/dev/null)"
    exit 1
  fi
}

# unmount_fs: unmounts $MNT and waits until the kernel let go and the daemon exited (it stores
# what it deferred first: tests/lib/fuse_daemons.sh), so a remount or another client sees it.
unmount_fs() {
  local -a daemons
  mapfile -t daemons < <(aisfs_pids_of "$MNT")
  local out
  if ! out=$(fusermount3 -u "$MNT" 2>&1); then
    echo "unmount_fs: fusermount3 -u $MNT failed: $out"
    unmount_fs_report "${daemons[@]}"
    return 1
  fi
  for _ in $(seq 1 300); do
    if ! mountpoint -q "$MNT" && ! pids_alive "${daemons[@]}"; then return 0; fi
    sleep 0.1
  done
  echo "unmount_fs: after 30 s: $(mountpoint -q "$MNT" && echo "$MNT still mounted" || echo "$MNT unmounted")"
  unmount_fs_report "${daemons[@]}"
  return 1
}

# unmount_fs_report PID...: what an aisfs daemon that did not exit is doing (state, every
# thread's stack, its log's tail), for the suite's log.
unmount_fs_report() {
  local p
  for p in "$@"; do
    local state
    state=$(proc_state "$p")
    echo "unmount_fs: aisfs $p: ${state:+state }${state:-gone}"
    [[ -d /proc/$p ]] && timeout 60 gdb -p "$p" -batch -nx -ex "thread apply all bt" 2>/dev/null |
      grep -E '^(Thread|#)' | head -n 400
  done
  [[ -f $WORK/aisfs.log ]] && { echo "unmount_fs: tail of $WORK/aisfs.log:"; tail -n 40 "$WORK/aisfs.log"; }
  return 0
}

# finish [NAME]: the suite's verdict (exit 1 if any check failed).
finish() {
  [[ -n ${1:-} ]] && echo "$1: $PASSES passed, $FAILS failed"
  ((FAILS == 0)) || exit 1
  exit 0
}
