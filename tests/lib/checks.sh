# Shared by the test suites' libraries (sourced): PASS/FAIL/SKIP bookkeeping and free-port picking
# for a private playground. Each suite keeps its own port range (below the ephemeral range and
# apart from the others': cli 20000-22xxx, fuse 23000-23999, s3 24000-24999, integrity
# 25000-25999, bench 26000-26999, integration 28000+).
# shellcheck shell=bash
PY=/usr/bin/python3

FAILS=0
PASSES=0
pass() {
  echo "PASS $1"
  PASSES=$((PASSES + 1))
}
fail() {
  local detail=${2:-}
  echo "FAIL $1${detail:+: $(tr -s '\n ' ' ' <<<"$detail" | head -c 600)}"
  FAILS=$((FAILS + 1))
}
skip() { echo "SKIP $1${2:+: $2}"; }
# check NAME CMD...: the command must succeed.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(tail -n 5 <<<"$out")"; fi
}

port_free() {
  $PY - "$1" <<'PYEOF' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PYEOF
}

# Suites run side by side (tools/dev test runs two at a time), so a port a suite picked is
# claimed until that suite's shell ($$) exits: a directory $PORT_CLAIMS/PORT holding its pid,
# put in place by an atomic rename. A claim whose owner is gone is stale and taken over.
PORT_CLAIMS=/tmp/ais-test-ports
claim_port() { # PORT: fails if another live suite holds it
  local d=$PORT_CLAIMS/$1 tmp owner
  mkdir -p "$PORT_CLAIMS"
  tmp=$(mktemp -d "$PORT_CLAIMS/.new.XXXXXX") || return 1
  echo $$ >"$tmp/pid"
  if ! mv -T "$tmp" "$d" 2>/dev/null; then
    owner=$(cat "$d/pid" 2>/dev/null)
    if [[ $owner != "$$" ]] && { [[ -z $owner ]] || ! kill -0 "$owner" 2>/dev/null; }; then
      rm -rf "$d"
      mv -T "$tmp" "$d" 2>/dev/null && return 0
    fi
    rm -rf "$tmp"
    [[ $owner == "$$" ]]
    return
  fi
}
release_port() { [[ $(cat "$PORT_CLAIMS/$1/pid" 2>/dev/null) == "$$" ]] && rm -rf "${PORT_CLAIMS:?}/$1"; }

# pick_port_in FIRST CHOICES STEP N: a base port FIRST + k*STEP (k < CHOICES) whose N ports from
# the base, and their HTTP gateways at +500 (tools/dev), are all free and now claimed.
pick_port_in() {
  local first=$1 choices=$2 step=$3 n=$4 base i ok claimed
  for _ in $(seq 1 100); do
    base=$((first + (RANDOM % choices) * step))
    ok=1 claimed=()
    for ((i = 0; i < n; i++)); do
      claim_port $((base + i)) && claimed+=($((base + i))) &&
        claim_port $((base + 500 + i)) && claimed+=($((base + 500 + i))) &&
        port_free $((base + i)) && port_free $((base + 500 + i)) || { ok=0; break; }
    done
    ((ok)) && { echo "$base"; return 0; }
    for i in "${claimed[@]}"; do release_port "$i"; done
  done
  return 1
}

# flip_byte FILE [OFF]: the byte at OFF (default: the middle of FILE) xor 0xff, in place; always
# a change, whatever the byte was.
flip_byte() {
  local f=$1 off=${2:-} size byte
  size=$(stat -c %s "$f" 2>/dev/null) || return 1
  [[ -n $off ]] || off=$((size / 2))
  byte=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
  [[ -n $byte ]] || return 1
  # shellcheck disable=SC2059
  printf "$(printf '\\%03o' $((byte ^ 255)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# A playground of its own for one test script (tools/dev at $DEV): a temp AIS_DEV_DIR named after
# NAME and a base of free ports picked by pick_port_in's arguments (AIS_DEV_PORT), both
# exported; on exit the playground is stopped and AIS_DEV_DIR (and $WORK, if set) removed.
own_playground() {  # NAME FIRST CHOICES STEP N
  local name=$1
  shift
  AIS_DEV_DIR=$(mktemp -d "/tmp/ais-$name.XXXXXX")
  export AIS_DEV_DIR
  trap '"$DEV" down --clean >/dev/null 2>&1; rm -rf "$AIS_DEV_DIR" ${WORK:+"$WORK"}' EXIT
  AIS_DEV_PORT=$(pick_port_in "$@") || { fail setup "no free port range"; exit 1; }
  export AIS_DEV_PORT
}
