# Shared by tests/integrity/*_test.sh (sourced): a private playground cluster (1 proxy + 3
# targets, data in a temp dir) on free ports in 25000-25999 (rpc ports 25000-25499, their HTTP
# gateways at +500; below the ephemeral range and apart from the other suites' ranges: cli
# 20000-22xxx, fuse 23000-23999, s3 24000-24999, bench 26000-26999, integration 28000+), an aisfs
# mount of it, PASS/FAIL/SKIP bookkeeping, and cleanup (unmount, nodes down, data removed) on any
# exit.
# shellcheck shell=bash disable=SC2034
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEV=$REPO/tools/dev
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
export AIS_DEV_NOBUILD=1 AIS_DEV_NOMOUNT=1  # the suite mounts aisfs itself, under $WORK
AISFS=$AIS_BUILD_DIR/fusefs/aisfs
AIS_BIN=$AIS_BUILD_DIR/tools/ais
HTTP_OFFSET=500 # a node's HTTP gateway listens on its rpc port + this (tools/dev)
TMO=60          # every client call runs under `timeout $TMO`: a hang is a failure, not a stall

# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"

require_built() {
  local bin
  for bin in "$AIS_BUILD_DIR/node/aisnode" "$AIS_BIN"; do
    if [[ ! -x $bin ]]; then
      echo "SKIP $1: $bin not built"
      exit 0
    fi
  done
}

have_fuse() { [[ -x $AISFS && -c /dev/fuse ]] && command -v fusermount3 >/dev/null; }

# A base port in 25000-25495 (step 4) whose 4 rpc ports and their gateways (+500) are free.
pick_port() { pick_port_in 25000 124 4 4; }

WORK=$(mktemp -d /tmp/ais-integrity.XXXXXX)
export AIS_DEV_DIR=$WORK/cluster
MNT=$WORK/mnt
mkdir -p "$MNT" "$WORK/spool"
MOUNTED=0

cleanup() {
  if ((MOUNTED)) || mountpoint -q "$MNT" 2>/dev/null; then
    fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
  fi
  "$DEV" down --clean >/dev/null 2>&1
  # --one-file-system: never recurse into a mount that refused to go away
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cluster_up() {
  AIS_DEV_PORT=$(pick_port) || { fail cluster_up "no free port range in 25000-25999"; exit 1; }
  export AIS_DEV_PORT
  if ! timeout 120 "$DEV" up >"$WORK/up.log" 2>&1; then
    fail cluster_up "$(tail -n 20 "$WORK/up.log")"
    exit 1
  fi
  export AIS_ENDPOINT=127.0.0.1:$AIS_DEV_PORT
  export S3_ENDPOINT=http://127.0.0.1:$((AIS_DEV_PORT + HTTP_OFFSET))
  # Every gateway's client connects lazily: wait until each node's gateway answers.
  local id port ok
  while read -r id _ port _; do
    ok=0
    for _ in $(seq 1 100); do
      curl -sf --max-time 2 "http://127.0.0.1:$((port + HTTP_OFFSET))/v1/health" >/dev/null && {
        ok=1
        break
      }
      sleep 0.1
    done
    ((ok)) || { fail cluster_up "gateway of $id (port $((port + HTTP_OFFSET))) not answering"; exit 1; }
  done <"$AIS_DEV_DIR/cluster"
  pass cluster_up
}

# The playground's node table: id role rpc-port pid confdir.
node_port() { awk -v id="$1" '$1 == id { print $3 }' "$AIS_DEV_DIR/cluster"; }
node_gw() { echo "http://127.0.0.1:$(($(node_port "$1") + HTTP_OFFSET))"; }
targets() { awk '$2 == "target" { print $1 }' "$AIS_DEV_DIR/cluster"; }
proxy_id() { awk '$2 == "proxy" { print $1; exit }' "$AIS_DEV_DIR/cluster"; }

ais() { timeout "$TMO" "$AIS_BIN" "$@"; }

# mount_fs [aisfs options...]: mounts the whole cluster at $MNT (the root lists buckets).
mount_fs() {
  if ! AISFS_LOG=$WORK/aisfs.log timeout 30 "$AISFS" --spool-dir "$WORK/spool" "$@" \
    "$AIS_ENDPOINT" "$MNT" >"$WORK/mount.out" 2>&1; then
    fail mount "$(cat "$WORK/mount.out" "$WORK/aisfs.log" 2>/dev/null)"
    return 1
  fi
  MOUNTED=1
  pass mount
}

# is_prefix FILE REF: FILE's bytes are a prefix of REF's (an empty or missing FILE is).
is_prefix() {
  [[ -e $1 ]] || return 0
  local n
  n=$(stat -c %s "$1")
  ((n <= $(stat -c %s "$2"))) && cmp -s -n "$n" "$1" "$2"
}

# slice REF OFF LEN OUT: OUT = LEN bytes of REF from OFF.
slice() { tail -c +$(($2 + 1)) "$1" | head -c "$3" >"$4"; }

finish() {
  echo "$1: $PASSES passed, $FAILS failed"
  ((FAILS == 0)) || exit 1
  exit 0
}
