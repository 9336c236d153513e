#!/usr/bin/env bash
# S3 object versioning with boto3 and SigV4-signed raw HTTP through the proxy's gateway and the
# targets' own: Get/PutBucketVersioning (no Status on a new bucket, Enabled, Suspended, malformed
# or bogus configurations 400, MFADelete 501, the owner's alone); the object written before
# versioning is version "null" and stays so; every PUT, copy and multipart upload in an Enabled
# bucket is a new version with an id of its own, read back (GET, HEAD, ranges, tags) by that id;
# ListObjectVersions in S3's order (keys ascending, each key's versions and delete markers newest
# first, one IsLatest) with prefixes, delimiters and exact pages by key-marker/version-id-marker;
# DELETE makes a delete marker (GET 404, GET of the marker 405), DELETE by id removes a version
# or a marker for good (idempotent), DeleteObjects does both; Suspended buckets write and delete
# the one "null" version; a bucket holding versions or only markers is BucketNotEmpty; the
# versions' storage shows in no bucket list; all of it is the same after a whole-cluster restart.
set -u
source "$(dirname "$0")/lib.sh"
cat >"$WORK/users.json" <<'JSON'
[{"name": "bob", "access_key": "AKBOB", "secret_key": "bobsecret"}]
JSON
with_users() {
  export AIS_S3_ACCESS_KEY=AKADMIN AIS_S3_SECRET_KEY=adminsecret AIS_S3_USERS_FILE=$WORK/users.json
}
with_users
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY AIS_S3_USERS_FILE
export AWS_EC2_METADATA_DISABLED=true
tgws=()
for i in 1 2 3; do tgws+=("http://127.0.0.1:$((AIS_DEV_PORT + 500 + i))"); done

# Helpers of both Python parts (before and after the restart).
cat >"$WORK/vcommon.py" <<'PY'
import hashlib, json, traceback, urllib.parse
import xml.etree.ElementTree as ET
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from s3checks import sdk_client, check, req, error_code

ADMIN = ("AKADMIN", "adminsecret")
BOB = ("AKBOB", "bobsecret")


def client(ep, keys=ADMIN):
    return sdk_client(ep, *keys)


def sreq(ep, method, path, body=None, headers=None, keys=ADMIN):
    """A raw request signed with SigV4 (path and query already encoded): status, body, response."""
    r = AWSRequest(method=method, url=ep + path, data=body or b"", headers=dict(headers or {}))
    S3SigV4Auth(Credentials(*keys), "s3", "us-east-1").add_auth(r)
    return req(urllib.parse.urlsplit(ep), method, path, body, dict(r.headers.items()))


def md5q(b):
    return '"%s"' % hashlib.md5(b).hexdigest()


def answer(fn):
    """(HTTP status, "OK" or the S3 error code, the response or the error's response)."""
    try:
        r = fn()
        return r["ResponseMetadata"]["HTTPStatusCode"], "OK", r
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], e.response


def get(s3, b, k, **kw):
    """("OK", body, response) of a GET, or (error code, None, error response)."""
    try:
        r = s3.get_object(Bucket=b, Key=k, **kw)
        return "OK", r["Body"].read(), r
    except ClientError as e:
        return e.response["Error"]["Code"], None, e.response


def tag(el):
    return el.tag.split("}")[-1]


def query(params):
    return "".join("&%s=%s" % (k, urllib.parse.quote(str(v), safe="")) for k, v in params.items())


def raw_list(ep, b, **params):
    """One ListObjectVersions page by raw HTTP: (entries in document order, common prefixes,
    the other top-level fields). An entry: {Key, VersionId, Kind V|M, IsLatest, ...}."""
    params = {k.replace("_", "-"): v for k, v in params.items()}
    st, data, _ = sreq(ep, "GET", "/%s?versions%s" % (b, query(params)))
    if st != 200:
        raise AssertionError("GET /%s?versions%s: %d %s" % (b, query(params), st, data[:300]))
    root = ET.fromstring(data)
    entries, prefixes, meta = [], [], {}
    for el in root:
        t = tag(el)
        if t in ("Version", "DeleteMarker"):
            e = {tag(c): (c.text or "") for c in el if tag(c) != "Owner"}
            e["Kind"] = "V" if t == "Version" else "M"
            entries.append(e)
        elif t == "CommonPrefixes":
            prefixes += [c.text or "" for c in el if tag(c) == "Prefix"]
        else:
            meta[t] = el.text or ""
    return entries, prefixes, meta


def short(entries):
    """Entries as (Key, VersionId, Kind, IsLatest) tuples."""
    return [(e["Key"], e["VersionId"], e["Kind"], e["IsLatest"] == "true") for e in entries]


def raw_pages(ep, b, max_keys, **params):
    """Every page of a raw listing of max_keys: (all entries, all prefixes, [(entries, prefixes,
    meta) per page])."""
    p = dict(params, max_keys=max_keys)
    entries, prefixes, pages = [], [], []
    for _ in range(200):
        es, ps, meta = raw_list(ep, b, **p)
        pages.append((es, ps, meta))
        entries += es
        prefixes += ps
        if meta.get("IsTruncated") != "true":
            break
        p["key_marker"] = meta.get("NextKeyMarker", "")
        p.pop("version_id_marker", None)
        if meta.get("NextVersionIdMarker"):
            p["version_id_marker"] = meta["NextVersionIdMarker"]
    return entries, prefixes, pages


def sdk_versions(s3, b, key=None, **kw):
    """boto3's ListObjectVersions: ([(Key, VersionId, IsLatest)] of Versions, same of
    DeleteMarkers), only `key`'s when given."""
    r = s3.list_object_versions(Bucket=b, **kw)
    pick = lambda xs: [(x["Key"], x["VersionId"], x["IsLatest"]) for x in xs
                       if key is None or x["Key"] == key]
    return pick(r.get("Versions", [])), pick(r.get("DeleteMarkers", []))


def snapshot(s3, ep, buckets):
    """What must outlive a restart: each bucket's versioning status, its whole version listing in
    order (ids, kinds, IsLatest, LastModified, ETag, Size) and every version's bytes (MD5)."""
    snap = {}
    for b in buckets:
        entries, _, _ = raw_list(ep, b, max_keys=1000)
        digests = {}
        for e in entries:
            if e["Kind"] == "V":
                c, body, _ = get(s3, b, e["Key"], VersionId=e["VersionId"])
                digests[e["Key"] + "\n" + e["VersionId"]] = (hashlib.md5(body).hexdigest() if c == "OK" else c)
        snap[b] = {"status": s3.get_bucket_versioning(Bucket=b).get("Status"),
                   "entries": [[e.get(f) for f in ("Key", "VersionId", "Kind", "IsLatest", "LastModified",
                                                   "ETag", "Size")] for e in entries],
                   "bytes": digests}
    return snap


def bucket_names(s3):
    return sorted(b["Name"] for b in s3.list_buckets()["Buckets"])


def native_bucket_names(ep):
    st, data, _ = sreq(ep, "GET", "/v1/buckets")
    if st != 200:
        return "status %d: %s" % (st, data[:200])
    return sorted(b["name"] for b in json.loads(data)["buckets"])


def section(name, fn):
    """Runs one part of the suite; an exception in it is one FAIL (with its traceback), and the
    next part still runs."""
    print("-- " + name)
    try:
        fn()
    except Exception as e:
        for line in traceback.format_exc().splitlines()[-6:]:
            print("   | " + line)
        check(name + ": ran to its end", False, "%s: %s" % (type(e).__name__, e))
PY

/usr/bin/python3 - "$(dirname "$0")" "$WORK" "$S3_ENDPOINT" "${tgws[@]}" <<'PY' || FAILS=$((FAILS + 1))
import base64, hashlib, json, math, os, sys, urllib.parse
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import s3checks
from s3checks import check, error_code
from vcommon import *

work, ep, teps = sys.argv[2], sys.argv[3], sys.argv[4:]
s3 = client(ep)
t1 = client(teps[0])   # a target's own gateway: reads
t2 = client(teps[1])   # another: writes
bob = client(ep, BOB)
gws = [("proxy", s3, ep), ("target", t1, teps[0])]
all_ids = set()        # every version id minted, to check they are never reused
BUCKETS = []


def new_id(vid, what):
    ok = isinstance(vid, str) and vid not in ("", "null") and vid not in all_ids
    check(what + ": a new version id (not empty, not null, never seen)", ok, vid)
    if isinstance(vid, str):
        all_ids.add(vid)
    return vid


def status_of(b):
    return s3.get_bucket_versioning(Bucket=b).get("Status")


def enable(b, st="Enabled"):
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": st})


def put(b, k, body, c=None, **kw):
    return (c or s3).put_object(Bucket=b, Key=k, Body=body, **kw)


# 1. The bucket's versioning configuration.
def configuration():
    s3.create_bucket(Bucket="vconf")
    BUCKETS.append("vconf")
    r = s3.get_bucket_versioning(Bucket="vconf")
    check("GetBucketVersioning of a new bucket: no Status", "Status" not in r and "MFADelete" not in r, r)
    st, data, _ = sreq(ep, "GET", "/vconf?versioning")
    check("(raw: 200, a VersioningConfiguration without <Status>)",
          st == 200 and b"VersioningConfiguration" in data and b"<Status>" not in data, (st, data[:300]))
    for want in ("Enabled", "Suspended", "Enabled"):
        st, c, _ = answer(lambda: s3.put_bucket_versioning(Bucket="vconf", VersioningConfiguration={"Status": want}))
        check("PutBucketVersioning %s: 200" % want, (st, c) == (200, "OK"), (st, c))
        check("GetBucketVersioning says %s" % want, status_of("vconf") == want, status_of("vconf"))
    st, c, _ = answer(lambda: s3.put_bucket_versioning(
        Bucket="vconf", VersioningConfiguration={"Status": "Enabled", "MFADelete": "Disabled"}))
    check("PutBucketVersioning Enabled with MFADelete Disabled (as s3-tests send it): 200",
          (st, c) == (200, "OK"), (st, c))
    bad = {"malformed XML": b"<VersioningConfiguration><Status>Suspended</Status>",
           "Status Bogus": b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                           b"<Status>Bogus</Status></VersioningConfiguration>"}
    for what, body in bad.items():
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        st, data, _ = sreq(ep, "PUT", "/vconf?versioning", body, {"Content-MD5": md5})
        check("PutBucketVersioning with %s: 400 MalformedXML or IllegalVersioningConfigurationException" % what,
              st == 400 and error_code(data) in ("MalformedXML", "IllegalVersioningConfigurationException"),
              (st, data[:300]))
    check("and the bucket is still Enabled", status_of("vconf") == "Enabled", status_of("vconf"))
    st, c, _ = answer(lambda: s3.put_bucket_versioning(
        Bucket="vconf", VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"}))
    check("PutBucketVersioning with MFADelete Enabled: 501 NotImplemented", (st, c) == (501, "NotImplemented"), (st, c))
    st, c, _ = answer(lambda: bob.put_bucket_versioning(Bucket="vconf", VersioningConfiguration={"Status": "Suspended"}))
    check("bob (not the owner) PutBucketVersioning: 403 AccessDenied", (st, c) == (403, "AccessDenied"), (st, c))
    st, c, _ = answer(lambda: bob.get_bucket_versioning(Bucket="vconf"))
    check("bob GetBucketVersioning: 403 AccessDenied", (st, c) == (403, "AccessDenied"), (st, c))
    check("still Enabled after the refusals", status_of("vconf") == "Enabled", status_of("vconf"))
    st, c, _ = answer(lambda: s3.put_bucket_versioning(Bucket="no-such-vbucket", VersioningConfiguration={"Status": "Enabled"}))
    check("PutBucketVersioning of a missing bucket: 404 NoSuchBucket", (st, c) == (404, "NoSuchBucket"), (st, c))
    got = t1.get_bucket_versioning(Bucket="vconf").get("Status")
    check("a target's gateway sees Enabled too", got == "Enabled", got)


# 2, 3. The null version, versions by id through every gateway.
V0 = b"v0: written before versioning was enabled"
BODIES = [b"version one of doc", b"version two of doc, a little longer", b"doc v3"]
doc = {}


def null_and_versions():
    s3.create_bucket(Bucket="vers")
    BUCKETS.append("vers")
    r = put("vers", "doc", V0)
    check("PUT before versioning: no version id but null",
          r.get("VersionId") in (None, "null"), r.get("VersionId"))
    check("ListObjectVersions before versioning: doc is version null",
          sdk_versions(s3, "vers", "doc") == ([("doc", "null", True)], []), sdk_versions(s3, "vers", "doc"))
    enable("vers")
    check("after enabling, doc is still version null, the latest",
          sdk_versions(s3, "vers", "doc") == ([("doc", "null", True)], []), sdk_versions(s3, "vers", "doc"))
    c, body, r = get(s3, "vers", "doc", VersionId="null")
    check("GET ?versionId=null: the bytes, x-amz-version-id null",
          c == "OK" and body == V0 and r.get("VersionId") == "null", (c, body, r.get("VersionId") if r else None))
    ids = []
    for i, body in enumerate(BODIES, 1):
        r = put("vers", "doc", body)
        ids.append(new_id(r.get("VersionId"), "PUT %d of doc in the Enabled bucket" % i))
        check("PUT %d: its ETag" % i, r.get("ETag") == md5q(body), r.get("ETag"))
        doc[ids[-1]] = body
    doc["null"] = V0
    doc["ids"] = ids
    for name, c3, _ in gws:
        c, body, r = get(c3, "vers", "doc")
        check("GET doc without an id returns the latest (%s)" % name,
              c == "OK" and body == BODIES[-1] and r.get("VersionId") == ids[-1],
              (c, body, r.get("VersionId") if r else None))
        h = c3.head_object(Bucket="vers", Key="doc")
        check("HEAD doc without an id: the latest's id, ETag, length (%s)" % name,
              h.get("VersionId") == ids[-1] and h["ETag"] == md5q(BODIES[-1]) and
              h["ContentLength"] == len(BODIES[-1]), h)
        for vid in ["null"] + ids:
            want = doc[vid]
            c, body, r = get(c3, "vers", "doc", VersionId=vid)
            check("GET doc ?versionId=%s: that version's bytes, ETag and id (%s)" % (vid[:12], name),
                  c == "OK" and body == want and r.get("VersionId") == vid and r["ETag"] == md5q(want),
                  (c, body, r.get("VersionId") if r else None))
            st, c, h = answer(lambda: c3.head_object(Bucket="vers", Key="doc", VersionId=vid))
            check("HEAD doc ?versionId=%s: its length, ETag and id (%s)" % (vid[:12], name),
                  c == "OK" and h["ContentLength"] == len(want) and h["ETag"] == md5q(want) and
                  h.get("VersionId") == vid, (st, c))
        c, body, r = get(c3, "vers", "doc", VersionId=ids[1], Range="bytes=2-9")
        check("ranged GET of an old version: 206 and its bytes 2-9 (%s)" % name,
              c == "OK" and body == BODIES[1][2:10] and r["ResponseMetadata"]["HTTPStatusCode"] == 206 and
              r.get("ContentRange") == "bytes 2-9/%d" % len(BODIES[1]) and r.get("VersionId") == ids[1],
              (c, body, r.get("ContentRange") if r else None))
    want = [("doc", ids[2], "V", True), ("doc", ids[1], "V", False), ("doc", ids[0], "V", False),
            ("doc", "null", "V", False)]
    got = short(raw_list(ep, "vers", prefix="doc")[0])
    check("ListObjectVersions of doc: newest first, the null version last, one IsLatest", got == want, got)
    es = [e for e in raw_list(ep, "vers", prefix="doc")[0]]
    check("each listed version's ETag and Size are its own",
          all(e["ETag"] == md5q(doc[e["VersionId"]]) and int(e["Size"]) == len(doc[e["VersionId"]]) for e in es),
          es)
    # Writes through a target's gateway are versions too.
    w1 = new_id(put("vers", "via-target", b"written via a target 1", c=t2).get("VersionId"), "PUT through a target's gateway")
    w2 = new_id(put("vers", "via-target", b"written via a target 2", c=t2).get("VersionId"), "another PUT through it")
    got = sdk_versions(s3, "vers", "via-target")
    check("the proxy lists both, newest first", got == ([("via-target", w2, True), ("via-target", w1, False)], []), got)
    c, body, _ = get(client(teps[2]), "vers", "via-target", VersionId=w1)
    check("a third gateway reads the older by id", c == "OK" and body == b"written via a target 1", (c, body))


# 4. Listing: order, IsLatest, delete markers, prefixes, delimiters, pages.
LB = {}


def listing():
    s3.create_bucket(Bucket="vlist")
    BUCKETS.append("vlist")
    enable("vlist")
    ids = {}

    def w(k, body):
        vid = new_id(put("vlist", k, body).get("VersionId"), "PUT %s=%s" % (k, body.decode()))
        ids[body] = vid
        LB[vid] = body
        return vid

    def d(k, name):
        r = s3.delete_object(Bucket="vlist", Key=k)
        ids[name] = new_id(r.get("VersionId"), "DELETE %s" % k)
        check("DELETE %s: DeleteMarker true" % k, r.get("DeleteMarker") is True, r)

    w("a/1", b"a1-1"); w("a/b/2", b"ab2-1"); w("a/1", b"a1-2"); w("b", b"b-1"); w("c", b"c-1")
    w("a/1", b"a1-3"); d("b", "Mb"); w("c", b"c-2"); d("c", "Mc"); w("c", b"c-3"); w("a/b/2", b"ab2-2")
    exp = [("a/1", ids[b"a1-3"], "V", True), ("a/1", ids[b"a1-2"], "V", False), ("a/1", ids[b"a1-1"], "V", False),
           ("a/b/2", ids[b"ab2-2"], "V", True), ("a/b/2", ids[b"ab2-1"], "V", False),
           ("b", ids["Mb"], "M", True), ("b", ids[b"b-1"], "V", False),
           ("c", ids[b"c-3"], "V", True), ("c", ids["Mc"], "M", False), ("c", ids[b"c-2"], "V", False),
           ("c", ids[b"c-1"], "V", False)]
    entries, prefixes, meta = raw_list(ep, "vlist")
    got = short(entries)
    check("raw ListObjectVersions: keys ascending, each key's versions and markers newest first",
          got == exp, got)
    check("exactly one IsLatest per key, the newest",
          sorted(k for k, _, _, l in got if l) == ["a/1", "a/b/2", "b", "c"] and
          all(got[i][3] == (i == 0 or got[i - 1][0] != got[i][0]) for i in range(len(got))), got)
    check("not truncated", meta.get("IsTruncated") == "false", meta)
    check("each version's ETag and Size",
          all(e["ETag"] == md5q(LB[e["VersionId"]]) and int(e["Size"]) == len(LB[e["VersionId"]])
              for e in entries if e["Kind"] == "V"), entries)
    vs, ms = sdk_versions(s3, "vlist")
    check("boto3: Versions and DeleteMarkers, each in that order",
          vs == [(k, v, l) for k, v, t, l in exp if t == "V"] and ms == [(k, v, l) for k, v, t, l in exp if t == "M"],
          (vs, ms))
    check("a target's gateway lists the same", sdk_versions(t1, "vlist") == (vs, ms), sdk_versions(t1, "vlist"))
    for n in (1, 2, 3, 5):
        es, _, pages = raw_pages(ep, "vlist", n)
        check("pages of %d: every version once, in order" % n, short(es) == exp, short(es))
        check("pages of %d: exactly %d pages, the last not truncated" % (n, math.ceil(len(exp) / n)),
              len(pages) == math.ceil(len(exp) / n) and pages[-1][2].get("IsTruncated") == "false",
              [(len(p[0]), p[2].get("IsTruncated")) for p in pages])
        check("pages of %d: NextKeyMarker/NextVersionIdMarker name each page's last version" % n,
              all(p[2].get("NextKeyMarker") == p[0][-1]["Key"] and p[2].get("NextVersionIdMarker") == p[0][-1]["VersionId"]
                  for p in pages[:-1]), [(p[2].get("NextKeyMarker"), p[2].get("NextVersionIdMarker")) for p in pages])
    seen, kw = [], {"Bucket": "vlist", "MaxKeys": 2}
    for _ in range(50):
        r = s3.list_object_versions(**kw)
        seen += [(x["Key"], x["VersionId"]) for x in r.get("Versions", []) + r.get("DeleteMarkers", [])]
        if not r["IsTruncated"]:
            break
        kw["KeyMarker"], kw["VersionIdMarker"] = r["NextKeyMarker"], r["NextVersionIdMarker"]
    check("boto3 pages of 2 (KeyMarker, VersionIdMarker): every version exactly once",
          sorted(seen) == sorted((k, v) for k, v, _, _ in exp) and len(seen) == len(exp), seen)
    es, ps, _ = raw_list(ep, "vlist", prefix="a/", delimiter="/")
    check("prefix a/ delimiter /: a/1's versions and the common prefix a/b/",
          short(es) == exp[:3] and ps == ["a/b/"], (short(es), ps))
    vs, _ = sdk_versions(s3, "vlist", Prefix="a/", Delimiter="/")
    r = s3.list_object_versions(Bucket="vlist", Prefix="a/", Delimiter="/")
    check("(boto3: the same, CommonPrefixes a/b/)",
          vs == [(k, v, l) for k, v, _, l in exp[:3]] and [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["a/b/"], r)
    es, ps, _ = raw_list(ep, "vlist", delimiter="/")
    check("delimiter /: the prefix a/ and the versions and markers of b and c",
          short(es) == exp[5:] and ps == ["a/"], (short(es), ps))
    for n in (1, 2, 4):
        es, ps, pages = raw_pages(ep, "vlist", n, delimiter="/")
        check("delimiter / in pages of %d: a/ once and every other version once, in order" % n,
              short(es) == exp[5:] and ps == ["a/"], (short(es), ps, len(pages)))
    es, _, _ = raw_list(ep, "vlist", prefix="c")
    check("prefix c: c's versions and its marker", short(es) == exp[7:], short(es))
    es, _, _ = raw_list(ep, "vlist", key_marker="a/1")
    check("key-marker a/1: from the next key on", short(es) == exp[3:], short(es))
    es, _, _ = raw_list(ep, "vlist", key_marker="a/1", version_id_marker=ids[b"a1-2"])
    check("key-marker a/1 version-id-marker (a/1's second): from its next older version on",
          short(es) == exp[2:], short(es))
    es, _, _ = raw_list(ep, "vlist", key_marker="c", version_id_marker=ids["Mc"])
    check("version-id-marker of a delete marker: from the version after it", short(es) == exp[9:], short(es))
    r = s3.list_objects_v2(Bucket="vlist")
    objs = [(o["Key"], o["Size"], o["ETag"]) for o in r.get("Contents", [])]
    check("ListObjectsV2: only the keys not deleted, with their latest's size and ETag",
          objs == [("a/1", 4, md5q(b"a1-3")), ("a/b/2", 5, md5q(b"ab2-2")), ("c", 3, md5q(b"c-3"))], objs)
    r = s3.list_objects(Bucket="vlist")
    check("ListObjects v1: the same keys", [o["Key"] for o in r.get("Contents", [])] == ["a/1", "a/b/2", "c"], r.get("Contents"))
    c, body, _ = get(s3, "vlist", "c")
    check("GET c (a version after a marker): c-3", c == "OK" and body == b"c-3", (c, body))
    c, body, _ = get(s3, "vlist", "c", VersionId=ids[b"c-2"])
    check("GET c ?versionId=(before the marker): c-2", c == "OK" and body == b"c-2", (c, body))
    c, _, r = get(s3, "vlist", "b")
    check("GET b (latest a marker): 404 NoSuchKey", c == "NoSuchKey", c)
    st, c, _ = answer(lambda: s3.get_object(Bucket="vlist", Key="a/1", VersionId="null"))
    check("GET ?versionId=null of a key without a null version: 404 NoSuchVersion", (st, c) == (404, "NoSuchVersion"), (st, c))
    LB["ids"] = ids


# 8. CopyObject from a version.
def copies():
    c1 = new_id(put("vers", "cp-src", b"copy source one").get("VersionId"), "PUT cp-src 1")
    c2 = new_id(put("vers", "cp-src", b"copy source two!").get("VersionId"), "PUT cp-src 2")
    r = s3.copy_object(Bucket="vers", Key="cp-dst", CopySource={"Bucket": "vers", "Key": "cp-src", "VersionId": c1})
    check("CopyObject from an old version: CopySourceVersionId is that version",
          r.get("CopySourceVersionId") == c1, r.get("CopySourceVersionId"))
    d1 = new_id(r.get("VersionId"), "CopyObject's destination")
    check("and the copy's ETag is the old version's", r["CopyObjectResult"]["ETag"] == md5q(b"copy source one"), r)
    c, body, g = get(s3, "vers", "cp-dst")
    check("the copy has the old version's bytes, and the destination's new id",
          c == "OK" and body == b"copy source one" and g.get("VersionId") == d1, (c, body))
    r = s3.copy_object(Bucket="vers", Key="cp-dst", CopySource={"Bucket": "vers", "Key": "cp-src"})
    check("CopyObject without a VersionId copies the latest, CopySourceVersionId names it",
          r.get("CopySourceVersionId") == c2 and get(s3, "vers", "cp-dst")[1] == b"copy source two!", r)
    d2 = new_id(r.get("VersionId"), "the second copy")
    got = sdk_versions(s3, "vers", "cp-dst")
    check("the destination keeps both copies as versions", got == ([("cp-dst", d2, True), ("cp-dst", d1, False)], []), got)
    r = s3.copy_object(Bucket="vers", Key="doc-null", CopySource={"Bucket": "vers", "Key": "doc", "VersionId": "null"})
    check("CopyObject from version null: its bytes (CopySourceVersionId, if given, null)",
          r.get("CopySourceVersionId") in (None, "null") and get(s3, "vers", "doc-null")[1] == V0, r)
    new_id(r.get("VersionId"), "the copy of version null")
    r = s3.copy_object(Bucket="vers", Key="cp-src", CopySource={"Bucket": "vers", "Key": "cp-src", "VersionId": c1})
    c3 = new_id(r.get("VersionId"), "restoring an old version by copying it onto its key")
    got = sdk_versions(s3, "vers", "cp-src")
    check("the restored version is the latest, the others stay",
          got == ([("cp-src", c3, True), ("cp-src", c2, False), ("cp-src", c1, False)], []) and
          get(s3, "vers", "cp-src")[1] == b"copy source one", got)


# 9. A multipart upload is a new version.
def multipart():
    p0 = new_id(put("vers", "mp", b"before the upload").get("VersionId"), "PUT mp")
    parts = [os.urandom(5 << 20), b"the last part" * 10]
    up = s3.create_multipart_upload(Bucket="vers", Key="mp")["UploadId"]
    done = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="vers", Key="mp", UploadId=up, PartNumber=n, Body=p)["ETag"]}
            for n, p in enumerate(parts, 1)]
    r = s3.complete_multipart_upload(Bucket="vers", Key="mp", UploadId=up, MultipartUpload={"Parts": done})
    p1 = new_id(r.get("VersionId"), "CompleteMultipartUpload")
    c, body, g = get(s3, "vers", "mp")
    check("GET mp: the upload's bytes, its version id", c == "OK" and body == b"".join(parts) and g.get("VersionId") == p1,
          (c, len(body or b""), g.get("VersionId") if g else None))
    c, body, _ = get(s3, "vers", "mp", VersionId=p0)
    check("the object before the upload is kept as a version", c == "OK" and body == b"before the upload", (c, body))
    h = s3.head_object(Bucket="vers", Key="mp", VersionId=p1)
    check("HEAD of the upload's version: its multipart ETag", h["ETag"].endswith('-2"') and h.get("VersionId") == p1, h)
    got = sdk_versions(s3, "vers", "mp")
    check("ListObjectVersions of mp: the upload, then the old one", got == ([("mp", p1, True), ("mp", p0, False)], []), got)


# 11. Tags are per version.
def tagging():
    def tags(**kw):
        r = s3.get_object_tagging(Bucket="vers", Key="tg", **kw)
        return [(t["Key"], t["Value"]) for t in r["TagSet"]], r.get("VersionId")

    g1 = new_id(put("vers", "tg", b"tagged one", Tagging="v=1").get("VersionId"), "PUT tg 1")
    g2 = new_id(put("vers", "tg", b"tagged two", Tagging="v=2").get("VersionId"), "PUT tg 2")
    check("each version has the tags it was written with",
          tags(VersionId=g1) == ([("v", "1")], g1) and tags() == ([("v", "2")], g2), (tags(VersionId=g1), tags()))
    r = s3.put_object_tagging(Bucket="vers", Key="tg", VersionId=g1,
                              Tagging={"TagSet": [{"Key": "old", "Value": "yes"}, {"Key": "n", "Value": "1"}]})
    check("PutObjectTagging of an old version: 200, its VersionId", r.get("VersionId") == g1, r)
    check("GetObjectTagging of that version: the new tags", tags(VersionId=g1) == ([("old", "yes"), ("n", "1")], g1),
          tags(VersionId=g1))
    check("the latest's tags are unchanged", tags() == ([("v", "2")], g2), tags())
    _, body, g = get(s3, "vers", "tg", VersionId=g1)
    check("GET of the old version: TagCount 2, same bytes and ETag",
          g.get("TagCount") == 2 and body == b"tagged one" and g["ETag"] == md5q(b"tagged one"), g)
    check("GET of the latest: TagCount 1", get(s3, "vers", "tg")[2].get("TagCount") == 1)
    got = sdk_versions(s3, "vers", "tg")
    check("tagging made no new version", got == ([("tg", g2, True), ("tg", g1, False)], []), got)
    s3.delete_object_tagging(Bucket="vers", Key="tg", VersionId=g1)
    check("DeleteObjectTagging of the old version empties only its tags",
          tags(VersionId=g1) == ([], g1) and tags() == ([("v", "2")], g2), (tags(VersionId=g1), tags()))

    # ACLs are per version too.
    def public(**kw):
        grants = s3.get_object_acl(Bucket="vers", Key="tg", **kw)["Grants"]
        return any(g["Grantee"].get("URI", "").endswith("AllUsers") and g["Permission"] == "READ"
                   for g in grants)
    check("both versions start private", not public(VersionId=g1) and not public())
    s3.put_object_acl(Bucket="vers", Key="tg", VersionId=g1, ACL="public-read")
    check("PutObjectAcl of the old version: it is public-read", public(VersionId=g1))
    check("the latest stays private", not public() and not public(VersionId=g2))
    st, _, _ = req(urllib.parse.urlsplit(ep), "GET", "/vers/tg?versionId=" + g1)
    check("anonymous GET of the public old version: 200", st == 200, st)
    st, _, _ = req(urllib.parse.urlsplit(ep), "GET", "/vers/tg?versionId=" + g2)
    check("anonymous GET of the private latest version: 403", st == 403, st)
    got = sdk_versions(s3, "vers", "tg")
    check("the ACL change made no new version", got == ([("tg", g2, True), ("tg", g1, False)], []), got)


# 5, 6. Delete markers, deleting versions and markers by id.
def deletes():
    ids = doc["ids"]
    v1, v2, v3 = ids
    r = s3.delete_object(Bucket="vers", Key="doc")
    check("DELETE doc without an id: DeleteMarker true", r.get("DeleteMarker") is True, r)
    m1 = new_id(r.get("VersionId"), "the delete marker")
    check("GET doc: 404 NoSuchKey", get(s3, "vers", "doc")[0] == "NoSuchKey", get(s3, "vers", "doc")[0])
    st, data, h = sreq(ep, "GET", "/vers/doc")
    check("(raw: 404 NoSuchKey with x-amz-delete-marker: true)",
          st == 404 and error_code(data) == "NoSuchKey" and h.getheader("x-amz-delete-marker") == "true",
          (st, data[:200], h.getheaders()))
    st, _, _ = answer(lambda: s3.head_object(Bucket="vers", Key="doc"))
    check("HEAD doc: 404", st == 404, st)
    st, _, h = sreq(ep, "HEAD", "/vers/doc")
    check("(raw HEAD: 404 with x-amz-delete-marker: true)",
          st == 404 and h.getheader("x-amz-delete-marker") == "true", (st, h.getheaders()))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="vers").get("Contents", [])]
    check("ListObjectsV2 no longer lists doc", "doc" not in keys and "cp-src" in keys, keys)
    got = sdk_versions(s3, "vers", "doc")
    check("ListObjectVersions: the marker is the latest, every version still there",
          got == ([("doc", v3, False), ("doc", v2, False), ("doc", v1, False), ("doc", "null", False)],
                  [("doc", m1, True)]), got)
    got = short(raw_list(ep, "vers", prefix="doc", delimiter="-")[0])
    check("(raw order: the marker first, then the versions newest first)",
          got == [("doc", m1, "M", True), ("doc", v3, "V", False), ("doc", v2, "V", False),
                  ("doc", v1, "V", False), ("doc", "null", "V", False)], got)
    c, body, _ = get(s3, "vers", "doc", VersionId=v2)
    check("GET ?versionId=(an old version) still reads it", c == "OK" and body == BODIES[1], (c, body))
    st, c, _ = answer(lambda: s3.get_object(Bucket="vers", Key="doc", VersionId=m1))
    check("GET ?versionId=(the marker): 405 MethodNotAllowed", (st, c) == (405, "MethodNotAllowed"), (st, c))
    st, data, h = sreq(ep, "GET", "/vers/doc?versionId=" + urllib.parse.quote(m1, safe=""))
    check("(raw: with x-amz-delete-marker: true)", st == 405 and h.getheader("x-amz-delete-marker") == "true",
          (st, h.getheaders()))
    st, _, _ = answer(lambda: s3.head_object(Bucket="vers", Key="doc", VersionId=m1))
    check("HEAD ?versionId=(the marker): 405", st == 405, st)
    check("through a target's gateway: GET doc 404 NoSuchKey, the old version by id",
          get(t1, "vers", "doc")[0] == "NoSuchKey" and get(t1, "vers", "doc", VersionId=v1)[1] == BODIES[0])

    st, c, r = answer(lambda: s3.delete_object(Bucket="vers", Key="doc", VersionId=m1))
    check("DELETE ?versionId=(the marker): 204, DeleteMarker true, its VersionId",
          st == 204 and r.get("DeleteMarker") is True and r.get("VersionId") == m1, (st, c, r))
    c, body, g = get(s3, "vers", "doc")
    check("and doc is back: GET gives the newest version", c == "OK" and body == BODIES[2] and g.get("VersionId") == v3,
          (c, body))
    got = sdk_versions(s3, "vers", "doc")
    check("no marker listed any more", got == ([("doc", v3, True), ("doc", v2, False), ("doc", v1, False),
                                               ("doc", "null", False)], []), got)
    check("doc is listed again", "doc" in [o["Key"] for o in s3.list_objects_v2(Bucket="vers").get("Contents", [])])

    st, c, r = answer(lambda: s3.delete_object(Bucket="vers", Key="doc", VersionId=v3))
    check("DELETE ?versionId=(the latest version): 204, its VersionId, no DeleteMarker",
          st == 204 and r.get("VersionId") == v3 and not r.get("DeleteMarker"), (st, c, r))
    c, body, g = get(s3, "vers", "doc")
    check("the previous version is the latest now", c == "OK" and body == BODIES[1] and g.get("VersionId") == v2, (c, body))
    h = t1.head_object(Bucket="vers", Key="doc")
    check("(through a target's gateway too)", h.get("VersionId") == v2 and h["ContentLength"] == len(BODIES[1]), h)
    st, c, _ = answer(lambda: s3.get_object(Bucket="vers", Key="doc", VersionId=v3))
    check("GET ?versionId=(the deleted version): 404 NoSuchVersion", (st, c) == (404, "NoSuchVersion"), (st, c))
    st, _, _ = answer(lambda: s3.head_object(Bucket="vers", Key="doc", VersionId=v3))
    check("HEAD of it: 404", st == 404, st)
    st, c, _ = answer(lambda: s3.delete_object(Bucket="vers", Key="doc", VersionId=v3))
    check("DELETE of it again: 204 (idempotent, as s3-tests expect)", (st, c) == (204, "OK"), (st, c))
    st, c, _ = answer(lambda: s3.delete_object(Bucket="vers", Key="doc", VersionId=m1))
    check("DELETE of the removed marker again: 204", (st, c) == (204, "OK"), (st, c))
    st, c, r = answer(lambda: s3.delete_object(Bucket="vers", Key="doc", VersionId=v1))
    check("DELETE ?versionId=(an old version): 204", st == 204 and r.get("VersionId") == v1, (st, c))
    got = sdk_versions(s3, "vers", "doc")
    check("only that one is gone", got == ([("doc", v2, True), ("doc", "null", False)], []), got)
    check("GET doc still the latest, version null still its bytes",
          get(s3, "vers", "doc")[1] == BODIES[1] and get(s3, "vers", "doc", VersionId="null")[1] == V0)


# 10. DeleteObjects by version and by key.
def delete_objects():
    b = [new_id(put("vers", "bulk", body).get("VersionId"), "PUT bulk") for body in (b"bulk 1", b"bulk 2", b"bulk 3")]
    k2 = new_id(put("vers", "bulk2", b"bulk2").get("VersionId"), "PUT bulk2")
    out = s3.delete_objects(Bucket="vers", Delete={"Objects": [{"Key": "bulk", "VersionId": b[0]},
                                                               {"Key": "bulk", "VersionId": b[2]}]})
    dl = out.get("Deleted", [])
    check("DeleteObjects of two versions: no errors, each echoes its VersionId, no markers",
          not out.get("Errors") and sorted((d["Key"], d.get("VersionId")) for d in dl) == sorted([("bulk", b[0]), ("bulk", b[2])])
          and not any(d.get("DeleteMarker") for d in dl), out)
    got = sdk_versions(s3, "vers", "bulk")
    check("only the middle version is left, the latest", got == ([("bulk", b[1], True)], []), got)
    check("GET bulk: its bytes", get(s3, "vers", "bulk")[1] == b"bulk 2")
    out = s3.delete_objects(Bucket="vers", Delete={"Objects": [{"Key": "bulk"}, {"Key": "bulk2"}]})
    dl = {d["Key"]: d for d in out.get("Deleted", [])}
    check("DeleteObjects by key: each a DeleteMarker with its DeleteMarkerVersionId",
          not out.get("Errors") and set(dl) == {"bulk", "bulk2"} and
          all(d.get("DeleteMarker") is True and d.get("DeleteMarkerVersionId") not in (None, "", "null") for d in dl.values()),
          out)
    mk = new_id(dl.get("bulk", {}).get("DeleteMarkerVersionId"), "bulk's marker")
    mk2 = new_id(dl.get("bulk2", {}).get("DeleteMarkerVersionId"), "bulk2's marker")
    got = sdk_versions(s3, "vers", "bulk")
    check("bulk lists its marker as the latest", got == ([("bulk", b[1], False)], [("bulk", mk, True)]), got)
    got = sdk_versions(s3, "vers", "bulk2")
    check("bulk2 too", got == ([("bulk2", k2, False)], [("bulk2", mk2, True)]), got)
    check("GET bulk: NoSuchKey", get(s3, "vers", "bulk")[0] == "NoSuchKey")
    out = s3.delete_objects(Bucket="vers", Delete={"Objects": [{"Key": "bulk", "VersionId": mk}]})
    dl = out.get("Deleted", [])
    check("DeleteObjects of a marker by its VersionId: DeleteMarker true, the id echoed",
          not out.get("Errors") and len(dl) == 1 and dl[0].get("VersionId") == mk and dl[0].get("DeleteMarker") is True,
          out)
    check("and bulk is back", get(s3, "vers", "bulk")[1] == b"bulk 2")

    # Conditional deletes in a versioned bucket (raw: If-Match on DELETE and <ETag> in
    # DeleteObjects are newer than this boto3).
    c1 = new_id(put("vers", "cond", b"cond one").get("VersionId"), "PUT cond 1")
    c2 = new_id(put("vers", "cond", b"cond two").get("VersionId"), "PUT cond 2")
    st, data, _ = sreq(ep, "DELETE", "/vers/cond?versionId=" + c1, headers={"If-Match": md5q(b"cond two")})
    check("DELETE ?versionId=<old> with the latest's ETag in If-Match: 412", st == 412, (st, data[:200]))
    check("and the old version is still there", get(s3, "vers", "cond", VersionId=c1)[1] == b"cond one")
    st, data, _ = sreq(ep, "DELETE", "/vers/cond?versionId=" + c1, headers={"If-Match": md5q(b"cond one")})
    check("DELETE ?versionId=<old> with its own ETag: 204", st == 204, (st, data[:200]))
    got = sdk_versions(s3, "vers", "cond")
    check("only the latest is left", got == ([("cond", c2, True)], []), got)

    def delete_xml(objects):
        body = "<Delete>" + "".join(
            "<Object><Key>%s</Key>%s%s</Object>" % (k, "<VersionId>%s</VersionId>" % v if v else "",
                                                   "<ETag>%s</ETag>" % e if e else "") for k, v, e in objects) + "</Delete>"
        body = body.encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        st, data, _ = sreq(ep, "POST", "/vers?delete", body, {"Content-MD5": md5})
        return st, data.decode()
    st, out = delete_xml([("cond", None, md5q(b"cond one"))])
    check("DeleteObjects <ETag> of another version: PreconditionFailed for that key",
          st == 200 and "<Code>PreconditionFailed</Code>" in out, (st, out))
    check("and cond is untouched", get(s3, "vers", "cond")[1] == b"cond two")
    st, out = delete_xml([("cond", None, md5q(b"cond two"))])
    check("DeleteObjects <ETag> of the current object: deleted, a delete marker",
          st == 200 and "<Deleted>" in out and "<DeleteMarker>true</DeleteMarker>" in out, (st, out))
    check("GET cond: NoSuchKey", get(s3, "vers", "cond")[0] == "NoSuchKey")
    st, out = delete_xml([("cond", c2, md5q(b"cond one"))])
    check("DeleteObjects <VersionId> with another ETag: PreconditionFailed",
          st == 200 and "<Code>PreconditionFailed</Code>" in out, (st, out))
    st, out = delete_xml([("cond", c2, md5q(b"cond two"))])
    check("DeleteObjects <VersionId> with its ETag: deleted",
          st == 200 and "<Deleted>" in out and "<VersionId>%s</VersionId>" % c2 in out, (st, out))
    got = sdk_versions(s3, "vers", "cond")
    check("cond has only its delete marker left", len(got[0]) == 0 and len(got[1]) == 1, got)


# 7. Suspended buckets: the one null version.
def suspended():
    s3.create_bucket(Bucket="vsusp")
    BUCKETS.append("vsusp")
    put("vsusp", "k", b"pre")
    enable("vsusp")
    e1 = new_id(put("vsusp", "k", b"e1").get("VersionId"), "PUT k (Enabled)")
    e2 = new_id(put("vsusp", "k", b"e2").get("VersionId"), "PUT k again")
    enable("vsusp", "Suspended")
    check("GetBucketVersioning: Suspended", status_of("vsusp") == "Suspended", status_of("vsusp"))
    r = put("vsusp", "k", b"s1")
    check("a PUT while Suspended answers no version id (as S3 and s3-tests have it)", r.get("VersionId") is None,
          r.get("VersionId"))
    got = sdk_versions(s3, "vsusp", "k")
    check("it replaced the null version (from before versioning), the Enabled ones stay",
          got == ([("k", "null", True), ("k", e2, False), ("k", e1, False)], []), got)
    c, body, g = get(s3, "vsusp", "k")
    check("GET k: the new bytes, version null", c == "OK" and body == b"s1" and g.get("VersionId") == "null", (c, body))
    put("vsusp", "k", b"s2, the last")
    got = sdk_versions(s3, "vsusp", "k")
    check("two PUTs in a row leave one null version",
          got == ([("k", "null", True), ("k", e2, False), ("k", e1, False)], []), got)
    check("with the last bytes", get(s3, "vsusp", "k", VersionId="null")[1] == b"s2, the last")
    es = [e for e in raw_list(ep, "vsusp", prefix="k")[0] if e["VersionId"] == "null"]
    check("(listed with the last bytes' size and ETag)",
          len(es) == 1 and int(es[0]["Size"]) == len(b"s2, the last") and es[0]["ETag"] == md5q(b"s2, the last"), es)
    check("the Enabled versions read back", get(s3, "vsusp", "k", VersionId=e1)[1] == b"e1" and
          get(t1, "vsusp", "k", VersionId=e2)[1] == b"e2")
    r = s3.delete_object(Bucket="vsusp", Key="k")
    check("DELETE while Suspended: DeleteMarker true, VersionId null",
          r.get("DeleteMarker") is True and r.get("VersionId") == "null", r)
    got = sdk_versions(s3, "vsusp", "k")
    check("the null marker replaced the null version; the Enabled versions stay",
          got == ([("k", e2, False), ("k", e1, False)], [("k", "null", True)]), got)
    check("GET k: NoSuchKey", get(s3, "vsusp", "k")[0] == "NoSuchKey")
    st, c, _ = answer(lambda: s3.get_object(Bucket="vsusp", Key="k", VersionId="null"))
    check("GET ?versionId=null (now a marker): 405 MethodNotAllowed", (st, c) == (405, "MethodNotAllowed"), (st, c))
    enable("vsusp")
    e3 = new_id(put("vsusp", "k", b"e3").get("VersionId"), "PUT k after enabling again")
    got = short(raw_list(ep, "vsusp", prefix="k")[0])
    check("enabled again: a new version on top of the null marker",
          got == [("k", e3, "V", True), ("k", "null", "M", False), ("k", e2, "V", False), ("k", e1, "V", False)], got)
    st, c, r = answer(lambda: s3.delete_object(Bucket="vsusp", Key="k", VersionId="null"))
    check("DELETE ?versionId=null removes the null marker",
          st == 204 and r.get("DeleteMarker") is True and r.get("VersionId") == "null", (st, c, r))
    got = sdk_versions(s3, "vsusp", "k")
    check("leaving the three versions", got == ([("k", e3, True), ("k", e2, False), ("k", e1, False)], []), got)
    put("vsusp", "k2", b"only, kept")   # (Enabled: a version, left for the restart)

    # Suspended straight from never-versioned (s3-tests' test_versioning_bucket_create_suspend).
    s3.create_bucket(Bucket="vsusp2")
    BUCKETS.append("vsusp2")
    put("vsusp2", "x", b"x before")
    enable("vsusp2", "Suspended")
    check("a never-versioned bucket can be Suspended", status_of("vsusp2") == "Suspended", status_of("vsusp2"))
    put("vsusp2", "x", b"x after")
    got = sdk_versions(s3, "vsusp2", "x")
    check("a PUT replaces its null version", got == ([("x", "null", True)], []) and get(s3, "vsusp2", "x")[1] == b"x after", got)
    r = s3.delete_object(Bucket="vsusp2", Key="x")
    got = sdk_versions(s3, "vsusp2", "x")
    check("DELETE: a null marker in its place",
          r.get("DeleteMarker") is True and r.get("VersionId") == "null" and got == ([], [("x", "null", True)]), (r, got))
    put("vsusp2", "y", b"y kept")


# 12. DeleteBucket of a bucket with versions or markers only.
def delete_bucket():
    st, c, _ = answer(lambda: s3.delete_bucket(Bucket="vers"))
    check("DeleteBucket of a bucket with versions: 409 BucketNotEmpty", (st, c) == (409, "BucketNotEmpty"), (st, c))
    s3.create_bucket(Bucket="vmark")
    enable("vmark")
    r = s3.delete_object(Bucket="vmark", Key="ghost")
    check("DELETE of a key that never was: a delete marker", r.get("DeleteMarker") is True, r)
    m = new_id(r.get("VersionId"), "ghost's marker")
    check("listed as a marker, no version", sdk_versions(s3, "vmark") == ([], [("ghost", m, True)]), sdk_versions(s3, "vmark"))
    check("ListObjectsV2 lists nothing", not s3.list_objects_v2(Bucket="vmark").get("Contents"))
    st, c, _ = answer(lambda: s3.delete_bucket(Bucket="vmark"))
    check("DeleteBucket of a bucket with only a delete marker: 409 BucketNotEmpty", (st, c) == (409, "BucketNotEmpty"), (st, c))
    for e in raw_list(ep, "vmark")[0]:
        s3.delete_object(Bucket="vmark", Key=e["Key"], VersionId=e["VersionId"])
    check("the marker deleted by id, nothing is listed", sdk_versions(s3, "vmark") == ([], []), sdk_versions(s3, "vmark"))
    st, c, _ = answer(lambda: s3.delete_bucket(Bucket="vmark"))
    check("now DeleteBucket succeeds", (st, c) == (204, "OK"), (st, c))


# 13. The versions' storage is nobody's bucket.
def invisible():
    names = bucket_names(s3)
    check("ListBuckets shows exactly the buckets made here", names == sorted(BUCKETS), names)
    check("(none starting with %, none named *versions*)",
          not any(n.startswith("%") or "versions" in n for n in names), names)
    names = native_bucket_names(ep)
    check("the native API's /v1/buckets shows exactly them too", names == sorted(BUCKETS), names)
    names = bucket_names(t1)
    check("a target's gateway's ListBuckets too", names == sorted(BUCKETS), names)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="vers").get("Contents", [])]
    check("ListObjectsV2 of vers: exactly its current keys",
          keys == ["bulk", "cp-dst", "cp-src", "doc", "doc-null", "mp", "tg", "via-target"], keys)


section("1 versioning configuration", configuration)
section("2-3 null version and versions by id", null_and_versions)
section("4 listing versions", listing)
section("8 copies of versions", copies)
section("9 multipart uploads", multipart)
section("11 tags per version", tagging)
section("5-6 delete markers and deletes by id", deletes)
section("10 DeleteObjects", delete_objects)
section("7 Suspended", suspended)
section("12 DeleteBucket", delete_bucket)
section("13 invisible storage", invisible)



def save_snapshot():
    global all_ids
    snap = snapshot(s3, ep, BUCKETS)
    all_ids |= {e[1] for s in snap.values() for e in s["entries"]}
    json.dump({"snap": snap, "ids": sorted(all_ids), "buckets": BUCKETS}, open(os.path.join(work, "snap.json"), "w"))
    print("   %d buckets, %d listed entries, %d version ids minted" %
          (len(snap), sum(len(s["entries"]) for s in snap.values()), len(all_ids)))


section("snapshot before the restart", save_snapshot)
sys.exit(1 if s3checks.fails else 0)
PY

ais_bucket_names() {
  "$AIS_BUILD_DIR/tools/ais" bucket ls --json |
    /usr/bin/python3 -c 'import json, sys; print(" ".join(sorted(b["name"] for b in json.load(sys.stdin))))'
}
ais_lists() { # NAMES: ais bucket ls shows exactly these (space-separated, sorted)
  local got
  got=$(ais_bucket_names 2>&1)
  [[ $got == "$1" ]] || { echo "got '$got', want '$1'"; return 1; }
}
want=$(/usr/bin/python3 -c 'import json, sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["buckets"])))' \
  "$WORK/snap.json" 2>/dev/null)
check "ais bucket ls shows exactly the S3 buckets ($want)" ais_lists "$want"

# 14. A restart of the whole cluster: versions are data on disk.
"$REPO/tools/dev" down >/dev/null 2>&1
check "the whole cluster is down" bash -c "! curl -s -m 2 -o /dev/null $S3_ENDPOINT/v1/health"
with_users
"$REPO/tools/dev" up >"$WORK/up2.log" 2>&1 || { cat "$WORK/up2.log"; fail "cluster restart"; }
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY AIS_S3_USERS_FILE
for _ in $(seq 1 50); do curl -sf "$S3_ENDPOINT/v1/health" >/dev/null && break; sleep 0.1; done

/usr/bin/python3 - "$(dirname "$0")" "$WORK" "$S3_ENDPOINT" "${tgws[@]}" <<'PY' || FAILS=$((FAILS + 1))
import json, os, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import s3checks
from s3checks import check
from vcommon import *

work, ep, teps = sys.argv[2], sys.argv[3], sys.argv[4:]
s3 = client(ep)
t1 = client(teps[0])
try:
    saved = json.load(open(os.path.join(work, "snap.json")))
except OSError as e:
    check("the snapshot from before the restart", False, e)
    sys.exit(1)
before, buckets, old_ids = saved["snap"], saved["buckets"], set(saved["ids"])


def durability():
    after = snapshot(s3, ep, buckets)
    for b in buckets:
        x, y = before[b], after[b]
        check("after the restart, %s: the same versioning status (%s)" % (b, x["status"]),
              x["status"] == y["status"], (x["status"], y["status"]))
        check("%s: the same versions and markers, ids, order, IsLatest, dates, ETags, sizes (%d)" % (b, len(x["entries"])),
              x["entries"] == y["entries"], [e for e in y["entries"] if e not in x["entries"]] or y["entries"])
        check("%s: every version's bytes" % b, x["bytes"] == y["bytes"],
              {k: (v, y["bytes"].get(k)) for k, v in x["bytes"].items() if y["bytes"].get(k) != v})
        check("%s: a target's gateway lists the same" % b,
              short(raw_list(teps[0], b)[0]) == [(e[0], e[1], e[2], e[3] == "true") for e in y["entries"]])
    r = s3.put_object(Bucket="vers", Key="doc", Body=b"after the restart")
    vid = r.get("VersionId")
    check("a PUT after the restart: a version id never minted before",
          vid not in (None, "", "null") and vid not in old_ids, vid)
    c, body, g = get(t1, "vers", "doc")
    check("and it is the latest", c == "OK" and body == b"after the restart" and g.get("VersionId") == vid, (c, body))
    vs, _ = sdk_versions(s3, "vers", "doc")
    check("on top of the versions from before", [v for _, v, _ in vs][1:] == [e[1] for e in before["vers"]["entries"] if e[0] == "doc"],
          vs)


def cleanup():
    for b in buckets:
        errors, deleted, markers = [], 0, 0
        for _ in range(100):   # (as s3-tests empty a bucket: the first page, deleted, again)
            page = s3.list_object_versions(Bucket=b, MaxKeys=3)
            vs, ms = page.get("Versions", []), page.get("DeleteMarkers", [])
            objs = [{"Key": x["Key"], "VersionId": x["VersionId"]} for x in vs + ms]
            if not objs:
                break
            out = s3.delete_objects(Bucket=b, Delete={"Objects": objs})
            errors += out.get("Errors", [])
            deleted += len(out.get("Deleted", []))
            markers += sum(1 for d in out.get("Deleted", []) if d.get("DeleteMarker"))
            if out.get("Errors") or not out.get("Deleted"):
                break
        want_m = sum(1 for e in before[b]["entries"] if e[2] == "M")
        check("%s: DeleteObjects by VersionId of every version and marker, no errors" % b,
              not errors and markers == want_m, (errors, deleted, markers, want_m))
        check("%s: nothing listed, no versions, no markers" % b,
              sdk_versions(s3, b) == ([], []) and not s3.list_objects_v2(Bucket=b).get("Contents"), sdk_versions(s3, b))
        st, c, _ = answer(lambda: s3.delete_bucket(Bucket=b))
        check("%s: DeleteBucket succeeds" % b, (st, c) == (204, "OK"), (st, c))
    names = bucket_names(s3)
    check("ListBuckets is empty: no versions' storage left over or shown", names == [], names)
    names = native_bucket_names(ep)
    check("/v1/buckets is empty too", names == [], names)
    s3.create_bucket(Bucket="vers")
    r = s3.get_bucket_versioning(Bucket="vers")
    check("vers made again: versioning never enabled", "Status" not in r, r)
    check("and none of the old versions come back",
          sdk_versions(s3, "vers") == ([], []) and get(s3, "vers", "doc")[0] == "NoSuchKey", sdk_versions(s3, "vers"))
    s3.put_object(Bucket="vers", Key="doc", Body=b"new life")
    check("a new object in it is version null, alone", sdk_versions(s3, "vers") == ([("doc", "null", True)], []),
          sdk_versions(s3, "vers"))
    s3.delete_object(Bucket="vers", Key="doc")
    s3.delete_bucket(Bucket="vers")


section("14 durability across a restart", durability)
section("12 deleting every version, then the buckets", cleanup)
sys.exit(1 if s3checks.fails else 0)
PY
check "ais bucket ls shows no bucket at the end" ais_lists ""
finish
