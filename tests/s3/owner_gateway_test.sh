#!/usr/bin/env bash
# Every target's own gateway: the objects it owns are written, read, listed and deleted through
# in-process calls to its target (no fabric connection to itself), the others through the fabric.
# Objects of every size go in and out through each gateway and must come back byte-exact
# everywhere; deletes through one gateway are seen by all.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

gateways=("$S3_ENDPOINT")
for i in 1 2 3; do gateways+=("http://127.0.0.1:$((AIS_DEV_PORT + i + 500))"); done
check "create bucket" curl -sf -X PUT "$S3_ENDPOINT/ownerb"

/usr/bin/python3 - "$(dirname "$0")" "${gateways[@]}" <<'PY' || FAILS=$((FAILS + 1))
import hashlib, os, sys, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import check, req, error_code
import s3checks

gws = [urllib.parse.urlsplit(u) for u in sys.argv[2:]]

sizes = [0, 1, 4096, 65536 + 3, 300000, 3 * (1 << 20) + 5]
objects = {}
for g, gw in enumerate(gws[1:], 1):
    for s in sizes:
        for k in range(3):
            name = "g%d-s%d-%d" % (g, s, k)
            data = os.urandom(s)
            st, _, r = req(gw, "PUT", "/ownerb/" + name, body=data)
            etag = r.getheader("ETag", "").strip('"')
            if st != 200 or etag != hashlib.md5(data).hexdigest():
                check("PUT %s through target gateway %d" % (name, g), False, "%d etag %s" % (st, etag))
            objects[name] = data
check("PUT %d objects through the targets' gateways" % len(objects), s3checks.fails == 0)

bad = 0
for name, data in objects.items():
    for gw in gws:
        st, got, r = req(gw, "GET", "/ownerb/" + name)
        if st != 200 or got != data:
            bad += 1
            print("   GET %s via :%d -> %d, %d bytes" % (name, gw.port, st, len(got)))
        st, _, r = req(gw, "HEAD", "/ownerb/" + name)
        if st != 200 or int(r.getheader("Content-Length")) != len(data):
            bad += 1
            print("   HEAD %s via :%d -> %d" % (name, gw.port, st))
check("every object reads back byte-exact through every gateway", bad == 0, "%d bad" % bad)

# A ranged GET and a conditional one through each gateway.
name = "g1-s%d-0" % sizes[-1]
data = objects[name]
for gw in gws:
    st, got, _ = req(gw, "GET", "/ownerb/" + name, headers={"Range": "bytes=1000-70000"})
    check("range via :%d" % gw.port, st == 206 and got == data[1000:70001], "%d" % st)

# Overwrite through one gateway, read through all.
new = os.urandom(123457)
st, _, _ = req(gws[2], "PUT", "/ownerb/" + name, body=new)
same = all(req(gw, "GET", "/ownerb/" + name)[1] == new for gw in gws)
check("an overwrite is seen through every gateway", st == 200 and same)

# Deletes through the targets' gateways, seen by all.
gone = 0
names = sorted(objects)
for i, name in enumerate(names):
    st, _, _ = req(gws[1 + i % 3], "DELETE", "/ownerb/" + name)
    if st != 204:
        print("   DELETE %s -> %d" % (name, st))
for name in names:
    gone += all(req(gw, "HEAD", "/ownerb/" + name)[0] == 404 for gw in gws)
check("deleted objects are gone through every gateway (%d of %d)" % (gone, len(names)),
      gone == len(names))
st, body, _ = req(gws[0], "GET", "/ownerb?list-type=2")
check("the bucket lists empty", st == 200 and b"<Key>" not in body, body[:200].decode(errors="replace"))
sys.exit(1 if s3checks.fails else 0)
PY

# A multipart upload through a target's gateway (parts land on whichever target owns them).
head -c $((12 << 20)) /dev/urandom >"$WORK/mp"
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
tg=${gateways[1]}
check "multipart upload through a target's gateway" aws --endpoint-url "$tg" s3 cp --only-show-errors \
  "$WORK/mp" s3://ownerb/mp
check "multipart object reads back through another" bash -c "aws --endpoint-url ${gateways[2]} s3 cp \
  --only-show-errors s3://ownerb/mp - | cmp - $WORK/mp"
finish
