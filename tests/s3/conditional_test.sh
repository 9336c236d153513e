#!/usr/bin/env bash
# S3 conditional writes and deletes, atomic with the commit, through the proxy's gateway (objects
# go over the fabric) and every target's own (its objects written in-process): PUT with If-Match
# (412 on another ETag, 404 on no object, 409 when the object changed between the check and the
# commit) and If-None-Match: *; DELETE with If-Match; DeleteObjects with a per-key ETag;
# CompleteMultipartUpload with If-None-Match: * and If-Match; CopyObject with either on its
# destination. Of concurrent If-Match PUTs over the same ETag exactly one wins. Conditions we do not
# support are refused, never ignored.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

gateways=("$S3_ENDPOINT")
for i in 1 2 3; do gateways+=("http://127.0.0.1:$((AIS_DEV_PORT + i + 500))"); done
check "create bucket" curl -sf -X PUT "$S3_ENDPOINT/cond"

/usr/bin/python3 - "$(dirname "$0")" "${gateways[@]}" <<'PY' || FAILS=$((FAILS + 1))
import os, re, sys, threading, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import check, req, error_code
import s3checks

gws = [urllib.parse.urlsplit(u) for u in sys.argv[2:]]

def get(gw, key):
    st, data, _ = req(gw, "GET", "/cond/" + key)
    return data if st == 200 else st

for g, gw in enumerate(gws):
    for size, label in ((100, "small"), (3 * (1 << 20) + 5, "streamed")):
        k = "c-%d-%s" % (g, label)
        what = "(gateway %d, %s)" % (g, label)
        v1, v2, v3 = os.urandom(size), os.urandom(size), os.urandom(size)
        st, _, r = req(gw, "PUT", "/cond/" + k, v1)
        e1 = r.getheader("ETag")
        check("plain PUT " + what, st == 200 and e1, st)
        st, data, _ = req(gw, "PUT", "/cond/" + k, v2, {"If-Match": '"0123456789abcdef"'})
        check("If-Match with another ETag: 412 " + what,
              st == 412 and error_code(data) == "PreconditionFailed", (st, data[:200]))
        check("and the object is unchanged " + what, get(gw, k) == v1)
        st, _, r = req(gw, "PUT", "/cond/" + k, v2, {"If-Match": e1})
        e2 = r.getheader("ETag")
        check("If-Match with its ETag stores " + what, st == 200 and e2 and e2 != e1, st)
        check("the new bytes are read " + what, get(gw, k) == v2)
        st, data, _ = req(gw, "PUT", "/cond/" + k, v3, {"If-Match": e1})
        check("If-Match with a stale ETag: 412 " + what, st == 412, (st, data[:200]))
        check("the newer object stays " + what, get(gw, k) == v2)
        st, _, _ = req(gw, "PUT", "/cond/" + k, v3, {"If-Match": "*"})
        check("If-Match: * over an object stores " + what, st == 200 and get(gw, k) == v3, st)
        st, data, _ = req(gw, "PUT", "/cond/none-" + k, v1, {"If-Match": e1})
        check("If-Match on no object: 404 NoSuchKey " + what,
              st == 404 and error_code(data) == "NoSuchKey", (st, data[:200]))
        check("and nothing was stored " + what, get(gw, "none-" + k) == 404)
    # Refused, never ignored.
    k = "c-%d-small" % g
    st, data, _ = req(gw, "PUT", "/cond/" + k, b"x", {"If-Match": "*", "If-None-Match": "*"})
    check("If-Match with If-None-Match on a write: 400 (gateway %d)" % g, st == 400, st)
    check("the object is untouched (gateway %d)" % g, len(get(gw, k)) == 100)
    st, _, r = req(gw, "HEAD", "/cond/" + k)
    cur = r.getheader("ETag")
    st, data, _ = req(gw, "PUT", "/cond/" + k, b"x", {"If-None-Match": cur})
    check("If-None-Match with its ETag: 412 (gateway %d)" % g,
          st == 412 and error_code(data) == "PreconditionFailed" and len(get(gw, k)) == 100,
          (st, data[:200]))
    st, data, _ = req(gw, "PUT", "/cond/" + k, b"replaced", {"If-None-Match": '"abc", "def"'})
    check("If-None-Match with other ETags stores (gateway %d)" % g,
          st == 200 and get(gw, k) == b"replaced", (st, data[:200]))
    st, data, _ = req(gw, "PUT", "/cond/inm-" + k, b"new", {"If-None-Match": '"abc"'})
    check("If-None-Match with an ETag and no object stores (gateway %d)" % g,
          st == 200 and get(gw, "inm-" + k) == b"new", (st, data[:200]))
    st, data, _ = req(gw, "PUT", "/cond/star-" + k, b"new", {"If-Match": "*"})
    check("If-Match: * and no object: 412, nothing stored (gateway %d)" % g,
          st == 412 and get(gw, "star-" + k) == 404, (st, data[:200]))

    # DELETE with If-Match.
    k = "d-%d" % g
    st, _, r = req(gw, "PUT", "/cond/" + k, b"to delete")
    e = r.getheader("ETag")
    st, data, _ = req(gw, "DELETE", "/cond/" + k, None, {"If-Match": '"ffff"'})
    check("DELETE If-Match with another ETag: 412 (gateway %d)" % g, st == 412, (st, data[:200]))
    check("and the object stays (gateway %d)" % g, get(gw, k) == b"to delete")
    st, _, _ = req(gw, "DELETE", "/cond/" + k, None, {"If-Match": e})
    check("DELETE If-Match with its ETag deletes (gateway %d)" % g, st == 204 and get(gw, k) == 404, st)
    st, data, _ = req(gw, "DELETE", "/cond/" + k, None, {"If-Match": e})
    check("DELETE If-Match of no object: 404 (gateway %d)" % g, st == 404, st)

# Of concurrent If-Match PUTs over the same ETag, exactly one wins (atomic at the commit); every
# loser gets 412 or 409 and the winner's bytes are what is read.
for rnd in range(12):
    k = "race-%d" % rnd
    st, _, r = req(gws[0], "PUT", "/cond/" + k, b"base")
    base = r.getheader("ETag")
    results = [None] * 8
    def put(i):
        body = (b"writer %d " % i) * (1 + (i % 2) * 200000)  # some one message, some streamed
        st, data, _ = req(gws[i % len(gws)], "PUT", "/cond/" + k, body, {"If-Match": base})
        results[i] = (st, error_code(data), body)
    ts = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
    won = [x for x in results if x[0] == 200]
    lost = [x for x in results if x[0] != 200]
    ok = len(won) == 1 and all((s, c) in ((412, "PreconditionFailed"), (409, "ConditionalRequestConflict"))
                               for s, c, _ in lost)
    check("round %d: one of 8 racing If-Match PUTs wins" % rnd, ok, [(s, c) for s, c, _ in results])
    if won:
        check("round %d: the winner's bytes are read" % rnd, get(gws[1], k) == won[0][2])

# DeleteObjects: a key with its ETag goes, one with another ETag stays (PreconditionFailed), a
# VersionId other than null is refused, a plain missing key is deleted (idempotent).
etags = {}
for k in ("m1", "m2", "m3"):
    st, _, r = req(gws[0], "PUT", "/cond/" + k, k.encode())
    etags[k] = r.getheader("ETag")
body = ("<Delete><Object><Key>m1</Key><ETag>%s</ETag></Object>"
        "<Object><Key>m2</Key><ETag>\"0000\"</ETag></Object>"
        "<Object><Key>m3</Key><VersionId>v123</VersionId></Object>"
        "<Object><Key>m4</Key></Object></Delete>" % etags["m1"]).encode()
st, data, _ = req(gws[0], "POST", "/cond?delete", body, {"Content-Type": "application/xml"})
deleted = re.findall(rb"<Deleted><Key>([^<]*)</Key>", data)
errors = dict(re.findall(rb"<Error><Key>([^<]*)</Key><Code>([^<]*)</Code>", data))
check("DeleteObjects answers 200", st == 200, st)
check("a key with its ETag and a missing key are deleted", sorted(deleted) == [b"m1", b"m4"], data)
check("a key with another ETag: PreconditionFailed", errors.get(b"m2") == b"PreconditionFailed", data)
check("a VersionId other than null is refused", errors.get(b"m3") == b"InvalidArgument", data)
check("m1 is gone, m2 and m3 stay",
      (get(gws[0], "m1"), get(gws[0], "m2"), get(gws[0], "m3")) == (404, b"m2", b"m3"))

# CompleteMultipartUpload with conditions.
def upload(gw, key, data, headers=None):
    st, x, _ = req(gw, "POST", "/cond/%s?uploads" % key)
    uid = re.search(rb"<UploadId>([^<]*)</UploadId>", x).group(1).decode()
    st, _, r = req(gw, "PUT", "/cond/%s?partNumber=1&uploadId=%s" % (key, uid), data)
    xml = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
           "</CompleteMultipartUpload>" % r.getheader("ETag")).encode()
    st, out, _ = req(gw, "POST", "/cond/%s?uploadId=%s" % (key, uid), xml, headers or {})
    return st, out, uid

for g, gw in enumerate(gws):
    k = "mp-%d" % g
    st, out, _ = upload(gw, k, b"first", {"If-None-Match": "*"})
    check("Complete with If-None-Match: * creates (gateway %d)" % g, st == 200 and get(gw, k) == b"first", (st, out[:200]))
    st, out, uid = upload(gw, k, b"second", {"If-None-Match": "*"})
    check("Complete with If-None-Match: * over an object: 412 (gateway %d)" % g,
          st == 412 and error_code(out) == "PreconditionFailed", (st, out[:200]))
    check("and the object stays (gateway %d)" % g, get(gw, k) == b"first")
    st, _, r = req(gw, "HEAD", "/cond/" + k)
    cur = r.getheader("ETag")
    st, out, _ = upload(gw, k, b"third", {"If-Match": '"0000"'})
    check("Complete with another If-Match ETag: 412 (gateway %d)" % g, st == 412 and get(gw, k) == b"first", (st, out[:200]))
    st, out, _ = upload(gw, k, b"fourth", {"If-Match": cur})
    check("Complete with its If-Match ETag replaces (gateway %d)" % g, st == 200 and get(gw, k) == b"fourth", (st, out[:200]))

# Copies: x-amz-copy-source-if-* decide whether CopyObject and UploadPartCopy happen (412
# otherwise, the destination untouched); a matching If-Match makes If-Unmodified-Since moot.
gw = gws[0]
st, _, r = req(gw, "PUT", "/cond/src", b"copy source")
src_etag = r.getheader("ETag")
past, future = "Sat, 29 Oct 1994 19:43:31 GMT", "Sat, 29 Oct 2100 19:43:31 GMT"
cases = [
    ("if-match, another ETag", {"x-amz-copy-source-if-match": '"0000"'}, 412),
    ("if-match, its ETag", {"x-amz-copy-source-if-match": src_etag}, 200),
    ("if-none-match, its ETag", {"x-amz-copy-source-if-none-match": src_etag}, 412),
    ("if-none-match, another ETag", {"x-amz-copy-source-if-none-match": '"0000"'}, 200),
    ("if-modified-since the future", {"x-amz-copy-source-if-modified-since": future}, 412),
    ("if-modified-since the past", {"x-amz-copy-source-if-modified-since": past}, 200),
    ("if-unmodified-since the past", {"x-amz-copy-source-if-unmodified-since": past}, 412),
    ("if-unmodified-since the future", {"x-amz-copy-source-if-unmodified-since": future}, 200),
    ("if-match its ETag and if-unmodified-since the past",
     {"x-amz-copy-source-if-match": src_etag, "x-amz-copy-source-if-unmodified-since": past}, 200),
]
for i, (what, h, want) in enumerate(cases):
    dst = "copy-%d" % i
    hdrs = {"x-amz-copy-source": "/cond/src"}
    hdrs.update(h)
    st, data, _ = req(gw, "PUT", "/cond/" + dst, b"", hdrs)
    copied = get(gw, dst)
    ok = st == want and (copied == b"copy source" if want == 200 else copied == 404)
    check("CopyObject with %s: %d" % (what, want), ok, (st, data[:200]))
st, data, _ = req(gw, "PUT", "/cond/copy-v", b"", {"x-amz-copy-source": "/cond/src?versionId=abc"})
check("CopyObject of a versionId other than null: 400 InvalidArgument",
      st == 400 and error_code(data) == "InvalidArgument" and get(gw, "copy-v") == 404, (st, data[:200]))
st, data, _ = req(gw, "PUT", "/cond/copy-vn", b"", {"x-amz-copy-source": "/cond/src?versionId=null"})
check("CopyObject of versionId null copies", st == 200 and get(gw, "copy-vn") == b"copy source", st)
req(gw, "PUT", "/cond/q%3Fmark", b"question")
st, data, _ = req(gw, "PUT", "/cond/copy-q", b"", {"x-amz-copy-source": "/cond/q%3Fmark"})
check("a source key with an encoded ? is copied", st == 200 and get(gw, "copy-q") == b"question", (st, data[:200]))

# Conditions on a copy's destination, decided at the copy's commit, through every gateway.
for g, gw in enumerate(gws):
    dst = "/cond/cdst-%d" % g
    def copy(headers):
        h = {"x-amz-copy-source": "/cond/src"}
        h.update(headers)
        return req(gw, "PUT", dst, b"", h)
    st, data, _ = copy({"If-Match": '"0000"'})
    check("gw%d: copy with If-Match onto no object: 404 NoSuchKey" % g,
          st == 404 and error_code(data) == "NoSuchKey" and get(gw, dst[6:]) == 404, (st, data[:200]))
    st, data, _ = copy({"If-None-Match": "*"})
    check("gw%d: copy with If-None-Match: * onto a free key" % g,
          st == 200 and get(gw, dst[6:]) == b"copy source", (st, data[:200]))
    req(gw, "PUT", dst, b"newer bytes")
    st, data, _ = copy({"If-None-Match": "*"})
    check("gw%d: copy with If-None-Match: * onto an object: 412, the object kept" % g,
          st == 412 and get(gw, dst[6:]) == b"newer bytes", (st, data[:200]))
    st, data, _ = copy({"If-Match": '"0000"'})
    check("gw%d: copy with If-Match of another ETag: 412, the object kept" % g,
          st == 412 and get(gw, dst[6:]) == b"newer bytes", (st, data[:200]))
    _, _, h = req(gw, "HEAD", dst)
    st, data, _ = copy({"If-Match": h.getheader("ETag")})
    check("gw%d: copy with If-Match of its ETag replaces it" % g,
          st == 200 and get(gw, dst[6:]) == b"copy source", (st, data[:200]))
    st, data, _ = copy({"If-None-Match": h.getheader("ETag")})
    check("gw%d: copy with If-None-Match of an old ETag" % g, st == 200, (st, data[:200]))
gw = gws[0]
st, data, _ = req(gw, "PUT", "/cond/src", b"", {"x-amz-copy-source": "/cond/src", "x-amz-metadata-directive": "REPLACE",
                                                 "x-amz-meta-round": "1", "If-Match": '"0000"'})
check("a conditional copy onto itself with another ETag: 412, the metadata kept",
      st == 412 and req(gw, "HEAD", "/cond/src")[2].getheader("x-amz-meta-round") is None, (st, data[:200]))
st, data, _ = req(gw, "PUT", "/cond/src", b"", {"x-amz-copy-source": "/cond/src", "x-amz-metadata-directive": "REPLACE",
                                                 "x-amz-meta-round": "2", "If-Match": src_etag})
_, body, h = req(gw, "GET", "/cond/src")
check("a conditional copy onto itself with its ETag: 200, new metadata, same bytes and ETag",
      st == 200 and h.getheader("x-amz-meta-round") == "2" and h.getheader("ETag") == src_etag and
      body == b"copy source", (st, data[:200], h.getheader("x-amz-meta-round")))
st, data, _ = req(gw, "PUT", "/cond/src", b"", {"x-amz-copy-source": "/cond/src", "x-amz-metadata-directive": "REPLACE",
                                                 "If-None-Match": "*"})
check("a copy onto itself with If-None-Match: *: 412", st == 412, (st, data[:200]))

st, x, _ = req(gw, "POST", "/cond/upc?uploads")
uid = re.search(rb"<UploadId>([^<]*)</UploadId>", x).group(1).decode()
part = "/cond/upc?partNumber=1&uploadId=" + uid
st, data, _ = req(gw, "PUT", part, b"", {"x-amz-copy-source": "/cond/src", "x-amz-copy-source-if-match": '"0000"'})
check("UploadPartCopy with a failed condition: 412", st == 412, (st, data[:200]))
st, data, _ = req(gw, "PUT", part, b"", {"x-amz-copy-source": "/cond/src", "x-amz-copy-source-range": "bytes=0-100"})
check("UploadPartCopy past the source's end: InvalidRange", error_code(data) == "InvalidRange", (st, data[:200]))
st, data, _ = req(gw, "PUT", part, b"", {"x-amz-copy-source": "/cond/src", "x-amz-copy-source-range": "bytes=0-"})
check("UploadPartCopy with a malformed range: 400 InvalidArgument",
      st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))
st, data, _ = req(gw, "PUT", part, b"", {"x-amz-copy-source": "/aisgw-multipart/" + uid})
check("UploadPartCopy from the multipart staging bucket: AccessDenied",
      st == 403 and error_code(data) == "AccessDenied", (st, data[:200]))
st, data, _ = req(gw, "PUT", part, b"", {"x-amz-copy-source": "/cond/src", "x-amz-copy-source-range": "bytes=5-10",
                                         "x-amz-copy-source-if-match": src_etag})
check("UploadPartCopy of a range whose condition holds", st == 200 and b"<ETag>" in data, (st, data[:200]))

sys.exit(1 if s3checks.fails else 0)
PY
finish
