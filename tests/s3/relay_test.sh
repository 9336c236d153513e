#!/usr/bin/env bash
# GETs through a gateway that does not hold the object are relayed to the owner target's own
# gateway (node/gateway/owner_relay.h): the owner checks the client's signature and serves the
# bytes. Through the proxy's gateway, with S3 keys on: boto3 (signed headers) and presigned URLs,
# every size, ranges, conditional GETs, errors, bad signatures; the owners' request counters show
# the relay was taken; a request already relayed is not relayed again; a gateway with relaying
# turned off (AIS_HTTP_RELAY_TO_OWNER=0) uses the fabric; an owner restarted (its
# kept-alive connections gone) or killed (its object answered with an error, the others still
# served).
set -u
source "$(dirname "$0")/lib.sh"
export AIS_S3_ACCESS_KEY=relaykey AIS_S3_SECRET_KEY=relaysecret AIS_S3_REGION=us-east-1
start_cluster

gw_of() { node_gw "$1"; }
PROXY_GW=$(gw_of "$(proxy_id)")
owner_gws=()
for t in $(targets); do owner_gws+=("$t=$(gw_of "$t")"); done

AIS_BIN=$AIS_BIN /usr/bin/python3 - "$(dirname "$0")" "$PROXY_GW" "$AIS_DEV_DIR" "$REPO/tools/dev" "${owner_gws[@]}" <<'PY' || FAILS=$((FAILS + 1))
import hashlib, os, re, subprocess, sys, time, urllib.error, urllib.parse, urllib.request
sys.path.insert(0, sys.argv[1])
from s3checks import check, sdk_client, sdk_code
import s3checks

proxy, devdir, dev = sys.argv[2], sys.argv[3], sys.argv[4]
owners = dict(a.split("=", 1) for a in sys.argv[5:])
s3 = sdk_client(proxy, "relaykey", "relaysecret")
bad = sdk_client(proxy, "relaykey", "not-the-secret")
s3.create_bucket(Bucket="relayb")

def owner_of(key):
    out = subprocess.run([os.environ["AIS_BIN"], "object", "show", "ais://relayb/" + key],
                         capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"^target\s+(\S+)", out, re.M)
    return m.group(1) if m else ""

def owner_gets(gw):
    """GETs the gateway at gw answered 2xx/3xx through S3 (its ais_http_requests_total)."""
    text = urllib.request.urlopen(gw + "/metrics", timeout=30).read().decode()
    n = 0
    for line in text.splitlines():
        if line.startswith("ais_http_requests_total{") and 'api="s3"' in line and \
                'method="GET"' in line and re.search(r'code="[23]\d\d"', line):
            n += float(line.rsplit(" ", 1)[1])
    return n

def stop(node):
    subprocess.run([dev, "kill", node], check=True, capture_output=True, timeout=60)

def start(node, **env):
    subprocess.run([dev, "start", node], check=True, capture_output=True, timeout=120,
                   env=dict(os.environ, **env))

def read_back(client, key, tries=100):
    """client's GET of key once it answers with its bytes (a node just started), else False."""
    for _ in range(tries):
        try:
            if client.get_object(Bucket="relayb", Key=key)["Body"].read() == data[key]:
                return True
        except Exception:
            pass
        time.sleep(0.3)
    return False

sizes = [0, 1, 16384, 300000, 5 * (1 << 20) + 3]
data = {}
for s in sizes:
    for k in range(2):
        key = "obj-%d-%d" % (s, k)
        data[key] = os.urandom(s)
        s3.put_object(Bucket="relayb", Key=key, Body=data[key])
owner = {key: owner_of(key) for key in data}
check("every object has an owner target", all(owner[k] in owners for k in data), owner)

before = {t: owner_gets(g) for t, g in owners.items()}
gets = {t: 0 for t in owners}
for key, want in data.items():
    got = s3.get_object(Bucket="relayb", Key=key)["Body"].read()
    check("signed GET of %s through the proxy" % key, got == want, "%d vs %d bytes" % (len(got), len(want)))
    gets[owner[key]] += 1
    if len(want) > 200:
        r = s3.get_object(Bucket="relayb", Key=key, Range="bytes=100-200")
        check("ranged GET of %s through the proxy" % key,
              r["Body"].read() == want[100:201] and r["ContentRange"] == "bytes 100-200/%d" % len(want))
        gets[owner[key]] += 1
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "relayb", "Key": key})
    got = urllib.request.urlopen(url, timeout=60).read()
    check("presigned GET of %s through the proxy" % key, got == want)
    gets[owner[key]] += 1
after = {t: owner_gets(g) for t, g in owners.items()}
check("each owner's gateway answered the GETs the proxy took for it",
      all(after[t] - before[t] >= gets[t] for t in owners), (before, after, gets))

# One kept-alive connection, 20 GETs of a 66,000-byte object (the few hundred bytes of its body
# past the relay's first 64 KiB read are spliced to the client): each answer whole at once. The
# last splice of a body once carried SPLICE_F_MORE, which held those bytes back for the kernel's
# cork timer: 20 such GETs took 1.8 s (0.006 s without it).
import http.client
key = "obj-keepalive"
data[key] = os.urandom(66000)
s3.put_object(Bucket="relayb", Key=key, Body=data[key])
owner[key] = owner_of(key)
url = urllib.parse.urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "relayb", "Key": key}))
conn = http.client.HTTPConnection(url.netloc, timeout=60)
t0, whole = time.time(), True
for _ in range(20):
    conn.request("GET", url.path + "?" + url.query)
    whole &= conn.getresponse().read() == data[key]
took = time.time() - t0
conn.close()
print("20 kept-alive GETs of %s through the proxy: %.3f s" % (key, took))
check("20 kept-alive GETs of 66,000 bytes through the proxy within 0.5 s", whole and took < 0.5, "%.2f s" % took)

key = "obj-16384-0"
etag = s3.head_object(Bucket="relayb", Key=key)["ETag"]
check("If-None-Match through the proxy: 304",
      sdk_code(lambda: s3.get_object(Bucket="relayb", Key=key, IfNoneMatch=etag)) == "304")
check("If-Match with another ETag: 412 PreconditionFailed",
      sdk_code(lambda: s3.get_object(Bucket="relayb", Key=key, IfMatch='"0000"')) == "PreconditionFailed")
check("a missing key: NoSuchKey", sdk_code(lambda: s3.get_object(Bucket="relayb", Key="nope")) == "NoSuchKey")
check("a wrong secret: SignatureDoesNotMatch (checked by the owner)",
      sdk_code(lambda: bad.get_object(Bucket="relayb", Key=key)) == "SignatureDoesNotMatch")
url = s3.generate_presigned_url("get_object", Params={"Bucket": "relayb", "Key": key})
tampered = re.sub(r"X-Amz-Signature=([0-9a-f])", lambda m: "X-Amz-Signature=" + ("0" if m.group(1) != "0" else "1"), url)
try:
    urllib.request.urlopen(tampered, timeout=60)
    check("a tampered presigned URL: 403", False, "200")
except urllib.error.HTTPError as e:
    check("a tampered presigned URL: 403", e.code == 403, e.code)
try:
    urllib.request.urlopen(proxy + "/relayb/" + key, timeout=60)
    check("an anonymous GET: 403 AccessDenied", False, "200")
except urllib.error.HTTPError as e:
    check("an anonymous GET: 403 AccessDenied", e.code == 403 and b"AccessDenied" in e.read(), e.code)

# Already relayed (x-ais-relayed): served here, through the fabric, not passed on again.
t = owner[key]
n0 = owner_gets(owners[t])
got = urllib.request.urlopen(urllib.request.Request(url, headers={"x-ais-relayed": "test"}), timeout=60).read()
check("a request marked relayed is served by the gateway it reached", got == data[key])
check("... without another relay", owner_gets(owners[t]) == n0, (n0, owner_gets(owners[t])))

# The owner restarts: the proxy's kept-alive connections to it are dead; the next GETs open new ones.
big = "obj-%d-0" % sizes[-1]
t = owner[big]
stop(t)
start(t)
for _ in range(100):
    try:
        urllib.request.urlopen(owners[t] + "/v1/health", timeout=5)
        break
    except Exception:
        time.sleep(0.2)
ok = all(s3.get_object(Bucket="relayb", Key=big)["Body"].read() == data[big] for _ in range(3))
check("GETs through the proxy right after the owner restarted", ok)

# A gateway started with AIS_HTTP_RELAY_TO_OWNER=0 serves other owners' objects over the fabric.
relayer = next(r for r in owners if r != t)
theirs = next(k for k in data if owner[k] != relayer and len(data[k]) > 0)
stop(relayer)
start(relayer, AIS_HTTP_RELAY_TO_OWNER="0")
via = sdk_client(owners[relayer], "relaykey", "relaysecret")
read_back(via, theirs)
n0 = owner_gets(owners[owner[theirs]])
for _ in range(3):
    got = via.get_object(Bucket="relayb", Key=theirs)["Body"].read()
check("relaying off: another owner's object served through the fabric", got == data[theirs])
check("... its owner's gateway not asked", owner_gets(owners[owner[theirs]]) == n0,
      (n0, owner_gets(owners[owner[theirs]])))
# ... and ranged GETs of it while it is overwritten (the HEAD, then that version's first bytes
# over the fabric) get one version's bytes, never "object changed while being read". Presigned
# and sent by urllib: boto3 would retry a 503 and hide it.
import threading
vers = [bytes([65 + i]) * (20000 + 1000 * i) for i in range(3)]
url = via.generate_presigned_url("get_object", Params={"Bucket": "relayb", "Key": theirs})
s3.put_object(Bucket="relayb", Key=theirs, Body=vers[0])  # (every version has the range)
until, bad, reads = time.time() + 3, [], [0]
def overwrite():
    i = 0
    while time.time() < until:
        s3.put_object(Bucket="relayb", Key=theirs, Body=vers[i % 3])
        i += 1
def ranged_reads():
    while time.time() < until:
        reads[0] += 1
        try:
            body = urllib.request.urlopen(
                urllib.request.Request(url, headers={"Range": "bytes=100-4099"}), timeout=30).read()
            if body not in {v[100:4100] for v in vers}:
                bad.append(("bytes", len(body)))
        except urllib.error.HTTPError as e:
            bad.append((e.code, e.read()[:160]))
        try:  # and whole GETs (each version is under the 4 MiB a gateway verifies before sending)
            body = urllib.request.urlopen(url, timeout=30).read()
            if body not in vers:
                bad.append(("whole bytes", len(body)))
        except urllib.error.HTTPError as e:
            bad.append(("whole", e.code, e.read()[:160]))
threads = [threading.Thread(target=overwrite)] + [threading.Thread(target=ranged_reads) for _ in range(2)]
for th in threads: th.start()
for th in threads: th.join()
check("relaying off: ranged and whole GETs during overwrites each get one version", reads[0] > 20 and not bad,
      (reads[0], len(bad), bad[:2]))
s3.put_object(Bucket="relayb", Key=theirs, Body=data[theirs])
stop(relayer)
start(relayer)
read_back(via, theirs)

# The owner killed: its objects get an error (not a hang, not wrong bytes); the others' are served.
victim = next(k for k in data if owner[k] == t and len(data[k]) > 0)
other = next(k for k in data if owner[k] != t and len(data[k]) > 0)
stop(t)
began = time.time()
code = sdk_code(lambda: s3.get_object(Bucket="relayb", Key=victim)["Body"].read())
check("an object of a killed owner: an error within 60 s", code != "OK" and time.time() - began < 60,
      (code, time.time() - began))
check("another owner's object still served",
      s3.get_object(Bucket="relayb", Key=other)["Body"].read() == data[other])
start(t)
check("the owner back: its object served again", read_back(s3, victim))
sys.exit(1 if s3checks.fails else 0)
PY
finish relay_test
