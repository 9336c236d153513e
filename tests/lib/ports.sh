# Free ports for playgrounds, sourced by tools/dev and by tests/lib/playground.sh: one test of
# whether a port is free, and, for test suites running side by side, claims on the ports a suite
# picked.
# shellcheck shell=bash

# port_free PORT [HOST]: nothing listens on HOST:PORT (default 127.0.0.1) and it can be bound.
port_free() {
  local port=$1 host=${2:-127.0.0.1}
  if [[ -x /usr/bin/python3 ]]; then
    /usr/bin/python3 - "$host" "$port" <<'PYEOF' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)
PYEOF
  else
    ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
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
