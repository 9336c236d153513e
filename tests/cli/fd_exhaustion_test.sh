#!/usr/bin/env bash
# A node out of file descriptors (its limit lowered to 150 with prlimit, then 300 connections
# held open to its HTTP gateway, then to its fabric port): while it is out it does not spin (the
# pending connection stays queued, so an immediate retry fails again at once), says so in its
# log, and once the connections are gone it serves both again. Before: the fabric listener
# stopped for good at the first failed accept (`ais show cluster` timed out from then on), and
# the HTTP gateway retried in a busy loop (95% of a core).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground fd-exhaustion-test 28520 20 8 8
playground_up --targets 1
P1=$(awk '$1 == "p1" { print $4 }' "$AIS_DEV_DIR/cluster")
check proxy_pid test -n "$P1"
prlimit --pid "$P1" --nofile=150:150
P1_LOG=$AIS_DEV_DIR/p1/aisnode.log
RPC_PORT=$(node_port p1)
HTTP_PORT=${S3_ENDPOINT##*:}

# flood PORT: holds 300 connections (50 per source address, under the per-client limit), prints
# the node's CPU use while they are held, then closes them and asks the port again.
flood() {
  $PY - "$1" "$P1" "$2" <<'PYEOF'
import socket, sys, time, urllib.request
port, pid, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(300):
    s = socket.socket()
    s.bind((f"127.0.0.{2 + i // 50}", 0))
    s.connect(("127.0.0.1", port))  # (queued by the kernel even when not accepted)
    socks.append(s)
time.sleep(1)
def ticks():
    f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
    return int(f[11]) + int(f[12])
a = ticks(); time.sleep(2); b = ticks()
print("cpu_percent", (b - a) // 2)
for s in socks:
    s.close()
PYEOF
}
cpu_of() { awk '$1 == "cpu_percent" { print $2 }' "$1"; }

flood "$HTTP_PORT" http >"$WORK/http.out" 2>&1
cpu=$(cpu_of "$WORK/http.out")
if [[ -n $cpu ]] && ((cpu < 30)); then pass "http_no_busy_loop_when_out_of_fds (${cpu}%)"; else
  fail http_no_busy_loop_when_out_of_fds "$(cat "$WORK/http.out")"
fi
check http_accept_failure_logged grep -q "HTTP gateway: accept failed" "$P1_LOG"
check http_serves_after curl -sf --max-time 5 --retry 5 --retry-delay 1 "$S3_ENDPOINT/v1/health" -o /dev/null

flood "$RPC_PORT" fabric >"$WORK/rpc.out" 2>&1
cpu=$(cpu_of "$WORK/rpc.out")
if [[ -n $cpu ]] && ((cpu < 30)); then pass "fabric_no_busy_loop_when_out_of_fds (${cpu}%)"; else
  fail fabric_no_busy_loop_when_out_of_fds "$(cat "$WORK/rpc.out")"
fi
check fabric_accept_failure_logged grep -q "fabric listener: accept failed" "$P1_LOG"
sleep 0.5
check fabric_serves_after "$AIS" show cluster
check fabric_put_get_after bash -c "'$AIS' bucket create ais://fds >/dev/null &&
  echo back | '$AIS' put - ais://fds/o >/dev/null && test \"\$('$AIS' get ais://fds/o -)\" = back"
check node_still_running kill -0 "$P1"

finish fd-exhaustion
