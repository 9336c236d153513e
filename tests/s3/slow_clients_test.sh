#!/usr/bin/env bash
# Stalled and slow clients never hold up other clients, and are dropped after the stall timeout
# without leaving anything behind: uploads that stop mid-body, downloads nobody reads (on the
# proxy's gateway, which forwards, and on every target's, which serves its own objects), headers
# that never finish. Far more of them than the gateway has threads.
set -u
source "$(dirname "$0")/lib.sh"
export AIS_HTTP_STALL_TIMEOUT_S=3
start_cluster
unset AIS_HTTP_STALL_TIMEOUT_S

check "create bucket" curl -sf -X PUT "$S3_ENDPOINT/slow"
head -c $((48 << 20)) /dev/urandom >"$WORK/big"
check "put a 48 MiB object" curl -sf -T "$WORK/big" "$S3_ENDPOINT/slow/big"
check "put a small object" curl -sf -X PUT --data-binary "small object" "$S3_ENDPOINT/slow/small"

gateways="$S3_ENDPOINT"
for i in 1 2 3; do gateways+=" http://127.0.0.1:$((AIS_DEV_PORT + i + 500))"; done

/usr/bin/python3 - "$(dirname "$0")" "$WORK/big" $gateways <<'PY' || FAILS=$((FAILS + 1))
import fcntl, http.client, socket, struct, subprocess, sys, termios, time, urllib.parse
sys.path.insert(0, sys.argv[1])
import s3checks

big = open(sys.argv[2], "rb").read()
gateways = [urllib.parse.urlsplit(u) for u in sys.argv[3:]]
proxy = gateways[0]
fails = 0

def check(name, ok, detail=""):
    global fails
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        fails += 1

def connect(u, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((u.hostname, u.port))
    return s

def accept_queue(u):
    return s3checks.accept_queue(u.port)

def waiting(s):
    """Bytes received on s and not read yet."""
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]

held = []
# Uploads that stop after 100 of 1,000,000 declared bytes.
for i in range(40):
    s = connect(proxy)
    s.sendall(b"PUT /slow/stalled-%d HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" % i
              + b"x" * 100)
    held.append(("put", s))
# Downloads of the big object that nobody reads, through every gateway.
for u in gateways:
    for _ in range(12):
        s = connect(u, rcvbuf=4096)
        s.sendall(b"GET /slow/big HTTP/1.1\r\nHost: x\r\n\r\n")
        held.append(("get", s))
# Headers that never finish.
for _ in range(40):
    s = connect(proxy)
    s.sendall(b"GET /slow/sm")
    held.append(("hdr", s))
# They all stall before the others are measured: every gateway has taken them in, and every
# unread download has bytes waiting (the server streams until the buffers are full).
def in_place():
    return all(accept_queue(u) == 0 for u in gateways) and \
        all(waiting(s) > 0 for k, s in held if k == "get")
for _ in range(100):
    if in_place():
        break
    time.sleep(0.1)
check("the stalled connections are in place", in_place(),
      "accept queues %s" % [accept_queue(u) for u in gateways])

# Meanwhile every gateway answers at once.
worst = 0.0
for u in gateways:
    for _ in range(10):
        t = time.time()
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        c.request("GET", "/slow/small")
        r = c.getresponse()
        body = r.read()
        c.close()
        worst = max(worst, time.time() - t)
        if r.status != 200 or body != b"small object":
            check("GET while others stall", False, "%d %r" % (r.status, body[:50]))
            break
check("small GETs answer while %d connections stall (worst %.3f s)" % (len(held), worst),
      worst < 2.0, "worst %.3f s" % worst)
t = time.time()
c = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=30)
c.request("GET", "/slow/big")
r = c.getresponse()
got = r.read()
check("the big object still reads whole (%.2f s)" % (time.time() - t),
      r.status == 200 and got == big, "status %d, %d bytes" % (r.status, len(got)))
c.close()

# After the stall timeout (3 s) the server has dropped the stalled uploads and downloads. (Time,
# on purpose: a download read before its timeout would no longer stall; 6 s leaves room.)
time.sleep(6)
def closed_by_server(s, limit):
    s.settimeout(10)
    total = 0
    try:
        while True:
            b = s.recv(1 << 20)
            if not b:
                return True, total
            total += len(b)
            if total > limit:
                return False, total
    except ConnectionResetError:
        return True, total
    except socket.timeout:
        return False, total

puts = [s for k, s in held if k == "put"]
gets = [s for k, s in held if k == "get"]
dropped = 0
for s in puts:
    ok, _ = closed_by_server(s, 1 << 16)
    dropped += ok
check("stalled uploads are dropped (%d of %d)" % (dropped, len(puts)), dropped == len(puts))
short = 0
for s in gets:
    ok, n = closed_by_server(s, len(big) + (1 << 16))
    short += ok and n < len(big)
check("unread downloads are cut off, never completed (%d of %d)" % (short, len(gets)),
      short == len(gets))
c = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=10)
missing = 0
for i in range(40):
    c.request("HEAD", "/slow/stalled-%d" % i)
    r = c.getresponse()
    r.read()
    missing += r.status == 404
    if r.status != 404:
        print("HEAD stalled-%d: %d" % (i, r.status))
check("no stalled upload left an object (%d of 40 absent)" % missing, missing == 40)
for _, s in held:
    s.close()
sys.exit(1 if fails else 0)
PY

check "the gateway still serves" curl -sf "$S3_ENDPOINT/slow/small"
# (A stall timer that fired as the socket drained once killed the node that owned "big".)
alive=0
while read -r _ _ _ pid _; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done <"$AIS_DEV_DIR/cluster"
check "every node still runs ($alive of 4)" test "$alive" -eq 4
finish
