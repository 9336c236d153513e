# Shared by tests/s3/*_test.sh: starts a private playground cluster (tools/dev, data in a temp
# dir) on free ports in 24000-24999 (below the ephemeral range, so no outgoing connection can hold
# one), exports S3_ENDPOINT/AIS_ENDPOINT, counts PASS/FAIL and tears everything down on exit.
# shellcheck shell=bash
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
export AIS_DEV_NOBUILD=1 AIS_DEV_NOMOUNT=1
FAILS=0
WORK=$(mktemp -d)
export AIS_DEV_DIR=$WORK/cluster

free_base() {  # a base port whose 4 rpc and 4 http (base+500) ports are all free
  local base p ok
  for _ in $(seq 1 50); do
    base=$((24000 + (RANDOM % 100) * 4))
    ok=1
    for p in $base $((base + 1)) $((base + 2)) $((base + 3)) $((base + 500)) $((base + 501)) \
      $((base + 502)) $((base + 503)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then ok=0; fi
    done
    ((ok)) && { echo "$base"; return 0; }
  done
  return 1
}

cleanup() {
  "$REPO/tools/dev" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_cluster() {
  AIS_DEV_PORT=$(free_base) || { echo "FAIL no free ports"; exit 1; }
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

# check NAME CMD...: PASS if CMD succeeds.
check() {
  local name=$1
  shift
  if "$@" >"$WORK/last.log" 2>&1; then
    echo "PASS $name"
  else
    echo "FAIL $name"
    sed 's/^/    /' "$WORK/last.log" | tail -n 15
    FAILS=$((FAILS + 1))
  fi
}

finish() {
  ((FAILS == 0)) || exit 1
  exit 0
}
