# Shared by tests/s3/*_test.sh: starts a private playground cluster (tools/dev, data in a temp
# dir) on free ports in 24000-24999 (below the ephemeral range, so no outgoing connection can hold
# one), exports S3_ENDPOINT/AIS_ENDPOINT, counts PASS/FAIL and tears everything down on exit.
# shellcheck shell=bash
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
export AIS_DEV_NOBUILD=1 AIS_DEV_NOMOUNT=1
# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"
WORK=$(mktemp -d)
export AIS_DEV_DIR=$WORK/cluster

cleanup() {
  "$REPO/tools/dev" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_cluster() {
  # 4 rpc ports at a base in 24000-24399 and their gateways at base+500.
  AIS_DEV_PORT=$(pick_port_in 24000 100 4 4) || { echo "FAIL no free ports"; exit 1; }
  export AIS_DEV_PORT
  "$REPO/tools/dev" up "$@" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; echo "FAIL cluster up"; exit 1; }
  export AIS_ENDPOINT=127.0.0.1:$AIS_DEV_PORT
  export S3_ENDPOINT=http://127.0.0.1:$((AIS_DEV_PORT + 500))
  # The gateway's client connects lazily; wait until S3 answers.
  for _ in $(seq 1 50); do
    curl -sf "$S3_ENDPOINT/v1/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL gateway not answering on $S3_ENDPOINT"
  exit 1
}

finish() {
  ((FAILS == 0)) || exit 1
  exit 0
}
