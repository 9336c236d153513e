#!/usr/bin/env bash
# A thousand stalled connections cost the gateway memory only: 10 clients (127.0.0.1-10) each
# hold 100 (headers never finished, bodies stopped early, idle keep-alives) while a fresh client
# is served at once; one client cannot hold more than its limit (AIS_HTTP_MAX_CONNS_PER_CLIENT,
# 100 here: the 101st gets 503 SlowDown at once and is closed), and a closed connection frees
# its place. The proxy's memory stays bounded.
set -u
source "$(dirname "$0")/lib.sh"
export AIS_HTTP_MAX_CONNS_PER_CLIENT=100 AIS_HTTP_STALL_TIMEOUT_S=60
start_cluster
unset AIS_HTTP_MAX_CONNS_PER_CLIENT AIS_HTTP_STALL_TIMEOUT_S

check "create bucket" curl -sf -X PUT "$S3_ENDPOINT/conns"
check "put an object" curl -sf -X PUT --data-binary "small object" "$S3_ENDPOINT/conns/small"
proxy_pid=$(pgrep -f "aisnode.*--role proxy.*$AIS_DEV_DIR" | head -1)

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" "${proxy_pid:-0}" <<'PY' || FAILS=$((FAILS + 1))
import http.client, socket, subprocess, sys, time, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import check
import s3checks

gw = urllib.parse.urlsplit(sys.argv[2])
pid = int(sys.argv[3])

def rss_mib():
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None

def connect(source):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(5)
    s.connect((gw.hostname, gw.port))
    return s

def accept_queue():
    return s3checks.accept_queue(gw.port)

def get_from(source):
    c = http.client.HTTPConnection(gw.hostname, gw.port, timeout=10, source_address=(source, 0))
    t = time.time()
    c.request("GET", "/conns/small")
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body, time.time() - t

before = rss_mib()
held = {}
kinds = (b"GET /conns/sm",  # a header never finished
         b"PUT /conns/stalled HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nxxxx",  # a body
         b"")  # a connection that never says anything
for i in range(1, 11):
    src = "127.0.0.%d" % i
    held[src] = []
    for k in range(100):
        s = connect(src)
        if kinds[k % 3]:
            s.sendall(kinds[k % 3])
        held[src].append(s)
# The gateway has taken every one of them in (and so decided on each: a connection over a
# client's limit is answered and closed at once).
for _ in range(100):
    if accept_queue() == 0:
        break
    time.sleep(0.1)
check("the gateway accepted them all", accept_queue() == 0, str(accept_queue()))
total = sum(len(v) for v in held.values())
check("1000 stalled connections are open", total == 1000, str(total))
# None of them was turned away (each client is at its limit, not over it).
alive = 0
for socks in held.values():
    for s in socks:
        s.setblocking(False)
        try:
            s.recv(1)  # closed (b"") or answered: not held
        except BlockingIOError:
            alive += 1  # nothing to read and not closed: still held
        except OSError:
            pass
        s.setblocking(True)
check("and all of them are held open", alive == 1000, str(alive))

worst = 0.0
for _ in range(10):
    st, body, took = get_from("127.0.0.20")
    worst = max(worst, took)
    if st != 200 or body != b"small object":
        check("a fresh client is served meanwhile", False, "%d %r" % (st, body[:80]))
        break
else:
    check("a fresh client is served meanwhile (slowest of 10: %.3f s)" % worst, worst < 2.0, "%.3f" % worst)

s = connect("127.0.0.1")
s.sendall(b"GET /conns/small HTTP/1.1\r\nHost: x\r\n\r\n")
answer = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        answer += d
except OSError:
    pass
s.close()
check("the 101st connection of one client: 503 SlowDown, closed",
      answer.startswith(b"HTTP/1.1 503") and b"<Code>SlowDown</Code>" in answer, answer[:200])

for s in held["127.0.0.1"][:5]:
    s.close()
# (Until the gateway has seen the closes, a GET is still the 101st: 503, and closed.)
for _ in range(50):
    st, body, _ = get_from("127.0.0.1")
    if st == 200:
        break
    time.sleep(0.1)
check("a closed connection frees its place", st == 200 and body == b"small object", str(st))

after = rss_mib()
if before is not None and after is not None:
    check("the proxy's memory stays bounded (%.0f -> %.0f MiB)" % (before, after), after - before < 64,
          "%.0f -> %.0f" % (before, after))
for socks in held.values():
    for s in socks:
        s.close()
for _ in range(50):
    st, body, _ = get_from("127.0.0.1")
    if st == 200:
        break
    time.sleep(0.1)
check("after they all go, the port serves as before", st == 200 and body == b"small object", str(st))
sys.exit(1 if s3checks.fails else 0)
PY
finish
