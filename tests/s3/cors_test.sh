#!/usr/bin/env bash
# S3 CORS with boto3 and raw HTTP, on a gateway with users (the bucket's owner "ais", a second
# user "eve", anonymous browsers): Put/Get/DeleteBucketCors round trips (the owner's alone; 404
# NoSuchCORSConfiguration without rules; bad methods and extra wildcards refused and nothing
# changed); OPTIONS preflights answered from the rules without a signature (first matching
# rule: origin with wildcards, method, every requested header; 403 otherwise, 400 without Origin or
# method); actual requests with an Origin get the matching rule's Access-Control-* headers on
# successes and errors alike, '*' for a wildcard rule unless the request is signed; a rule change
# holds at once through every gateway; concurrent changes of CORS rules, tags and ACL lose none.
set -u
source "$(dirname "$0")/lib.sh"
echo '[{"name": "eve", "access_key": "AKEVE", "secret_key": "evesecret"}]' >"$WORK/users.json"
export AIS_S3_ACCESS_KEY=AKCORS AIS_S3_SECRET_KEY=corssecret AIS_S3_USERS_FILE=$WORK/users.json
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY AIS_S3_USERS_FILE

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" "$((AIS_DEV_PORT + 501))" <<'PY' || FAILS=$((FAILS + 1))
import sys, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, req, error_code, sdk_code as code
import s3checks

ep = sys.argv[2]
gw = urllib.parse.urlsplit(ep)
target_gw = urllib.parse.urlsplit("http://127.0.0.1:" + sys.argv[3])
s3 = sdk_client(ep, "AKCORS", "corssecret")
eve = sdk_client(ep, "AKEVE", "evesecret")

s3.create_bucket(Bucket="web", ACL="public-read")
s3.put_object(Bucket="web", Key="page", Body=b"hello", ACL="public-read")
c = code(lambda: s3.get_bucket_cors(Bucket="web"))
check("GetBucketCors without rules: NoSuchCORSConfiguration", c == "NoSuchCORSConfiguration", c)
st, data, resp = req(gw, "OPTIONS", "/web/page",
                     headers={"Origin": "http://a.example", "Access-Control-Request-Method": "GET"})
check("a preflight without rules: 403, no Allow-Origin",
      st == 403 and resp.getheader("Access-Control-Allow-Origin") is None, (st, data[:200]))
st, _, resp = req(gw, "GET", "/web/page", headers={"Origin": "http://a.example"})
check("an actual GET without rules: 200, no CORS headers",
      st == 200 and resp.getheader("Access-Control-Allow-Origin") is None, st)

rules = {"CORSRules": [
    {"AllowedMethods": ["PUT", "DELETE"], "AllowedOrigins": ["http://www.example1.com"],
     "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
    {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
     "AllowedHeaders": ["x-amz-meta-header1"]},
    {"AllowedMethods": ["DELETE"], "AllowedOrigins": ["http://*.example2.com"]},
]}
c = code(lambda: eve.put_bucket_cors(Bucket="web", CORSConfiguration=rules))
check("another user's PutBucketCors: AccessDenied", c == "AccessDenied", c)
st, data, _ = req(gw, "PUT", "/web?cors", b"<CORSConfiguration/>")
check("an anonymous PutBucketCors: 403", st == 403, (st, data[:200]))
check("the owner's PutBucketCors", code(lambda: s3.put_bucket_cors(Bucket="web", CORSConfiguration=rules)) == "OK")
got = s3.get_bucket_cors(Bucket="web")["CORSRules"]
check("GetBucketCors gives the rules back",
      [(r["AllowedMethods"], r["AllowedOrigins"], r.get("AllowedHeaders"), r.get("MaxAgeSeconds"))
       for r in got] ==
      [(["PUT", "DELETE"], ["http://www.example1.com"], ["*"], 600),
       (["GET", "HEAD"], ["*"], ["x-amz-meta-header1"], None),
       (["DELETE"], ["http://*.example2.com"], None, None)], got)
c = code(lambda: eve.get_bucket_cors(Bucket="web"))
check("another user's GetBucketCors: AccessDenied", c == "AccessDenied", c)

def bad(name, doc, want):
    c = code(lambda: s3.put_bucket_cors(Bucket="web", CORSConfiguration=doc))
    check("PutBucketCors %s: %s" % (name, want), c == want, c)
bad("with method PATCH", {"CORSRules": [{"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}]},
    "InvalidRequest")
bad("with two wildcards in an origin",
    {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["http://*.*.com"]}]},
    "InvalidRequest")
check("the rules are unchanged by the refusals",
      len(s3.get_bucket_cors(Bucket="web")["CORSRules"]) == 3)

def preflight(path, origin, method, headers=None, via=gw):
    h = {"Access-Control-Request-Method": method}
    if origin is not None:
        h["Origin"] = origin
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    st, data, resp = req(via, "OPTIONS", path, headers=h)
    return (st, resp.getheader("Access-Control-Allow-Origin"),
            resp.getheader("Access-Control-Allow-Methods"),
            resp.getheader("Access-Control-Allow-Headers"), data)

for path in ("/web", "/web/page", "/web/no-such-key"):
    got = preflight(path, "http://any.origin", "GET", "x-amz-meta-header1")
    check("preflight %s GET from any origin: 200 '*'" % path,
          got[:4] == (200, "*", "GET, HEAD", "x-amz-meta-header1"), got)
got = preflight("/web/page", "http://www.example1.com", "PUT", "x-amz-meta-a, Content-Type")
check("preflight PUT from example1 with headers: the origin, its methods, the headers",
      got[:4] == (200, "http://www.example1.com", "PUT, DELETE", "x-amz-meta-a, Content-Type"), got)
got = preflight("/web/page", "http://www.example1.com", "GET", "x-amz-meta-other")
check("preflight GET with a header no GET rule allows: 403", got[0] == 403 and got[1] is None, got)
got = preflight("/web/page", "http://shop.example2.com", "DELETE")
check("preflight DELETE from a wildcard origin: 200", got[:3] == (200, "http://shop.example2.com", "DELETE"), got)
got = preflight("/web/page", "http://shop.example2.com", "DELETE", "x-amz-meta-a")
check("preflight with a header a rule without AllowedHeader refuses: 403", got[0] == 403, got)
got = preflight("/web/page", "http://not.allowed", "PUT")
check("preflight PUT from another origin: 403 AccessForbidden",
      got[0] == 403 and error_code(got[4]) == "AccessForbidden" and got[1] is None, got)
got = preflight("/web/page", None, "GET")
check("preflight without Origin: 400", got[0] == 400, got)
st, data, _ = req(gw, "OPTIONS", "/web/page", headers={"Origin": "http://a.example"})
check("preflight without Access-Control-Request-Method: 400", st == 400, (st, data[:200]))
# A preflight of a presigned URL (its query carries the GET's signature) is a preflight all the
# same: never checked as a signed request.
signed = urllib.parse.urlsplit(
    s3.generate_presigned_url("get_object", Params={"Bucket": "web", "Key": "page"}))
st, data, _ = req(gw, "OPTIONS", signed.path + "?" + signed.query)
check("preflight of a presigned URL without Origin: 400", st == 400, (st, data[:200]))
st, data, resp = req(gw, "OPTIONS", signed.path + "?" + signed.query,
                     headers={"Origin": "http://any.origin", "Access-Control-Request-Method": "GET"})
check("preflight of a presigned URL: 200 '*'",
      st == 200 and resp.getheader("Access-Control-Allow-Origin") == "*", (st, data[:200]))
got = preflight("/nosuchbucket/x", "http://a.example", "GET")
check("preflight on a missing bucket: 404", got[0] == 404, got)
got = preflight("/web/page", "http://any.origin", "GET", via=target_gw)
check("preflight through a target's gateway: 200 '*'", got[:2] == (200, "*"), got)

def actual(method, path, origin, body=None, headers=None):
    h = dict(headers or {})
    h["Origin"] = origin
    st, data, resp = req(gw, method, path, body, h)
    return (st, resp.getheader("Access-Control-Allow-Origin"),
            resp.getheader("Access-Control-Allow-Methods"),
            resp.getheader("Access-Control-Expose-Headers"), resp.getheader("Vary"))

got = actual("GET", "/web/page", "http://any.origin")
check("anonymous GET with an Origin: 200 and '*'", got[:3] == (200, "*", "GET, HEAD"), got)
check("and Vary names Origin", got[4] and "Origin" in got[4], got)
got = actual("GET", "/web/missing", "http://any.origin")
check("anonymous GET of a missing key: 404 with '*' (errors carry CORS too)", got[:2] == (404, "*"), got)
got = actual("PUT", "/web/anon", "http://www.example1.com", b"x")
check("anonymous PUT from example1 into a public-read bucket: 403, with the origin named",
      got[:2] == (403, "http://www.example1.com") and got[3] == "ETag", got)
got = actual("DELETE", "/web/page", "http://not.allowed")
check("a DELETE from an origin no rule allows: no Allow-Origin", got[1] is None, got)

# A signed request matching a '*' rule: the origin is named (with credentials, '*' is refused by
# browsers).
hdrs = {}
def keep(request, **kw):
    hdrs.update(dict(request.headers))
s3.meta.events.register("before-send.s3.GetObject", keep)
def with_origin(params, **kw):
    params["headers"]["Origin"] = "http://signed.example"
s3.meta.events.register("before-call.s3.GetObject", with_origin)
r = s3.get_object(Bucket="web", Key="page")
allow = r["ResponseMetadata"]["HTTPHeaders"].get("access-control-allow-origin")
check("a signed GET with an Origin: the origin named, credentials allowed",
      allow == "http://signed.example" and
      r["ResponseMetadata"]["HTTPHeaders"].get("access-control-allow-credentials") == "true", allow)

# Concurrent changes of a bucket's different S3 fields (CORS rules, tags, ACL), through two
# gateways: each is a compare-and-swap at the primary, so none undoes another.
import threading
s3.create_bucket(Bucket="racy")
errors = []
def changer(name, endpoint, apply):
    cl = sdk_client(endpoint, "AKCORS", "corssecret")
    for i in range(10):
        try:
            apply(cl, i)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append((name, i, str(e)))
target_ep = "http://127.0.0.1:" + sys.argv[3]
threads = [
    threading.Thread(target=changer, args=("cors", ep, lambda cl, i: cl.put_bucket_cors(
        Bucket="racy", CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"],
                                                         "MaxAgeSeconds": i}]}))),
    threading.Thread(target=changer, args=("tags", target_ep, lambda cl, i: cl.put_bucket_tagging(
        Bucket="racy", Tagging={"TagSet": [{"Key": "round", "Value": str(i)}]}))),
    threading.Thread(target=changer, args=("acl", ep, lambda cl, i: cl.put_bucket_acl(
        Bucket="racy", ACL="public-read" if i % 2 else "private"))),
]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("concurrent field changes all succeed", not errors, errors[:3])
cors_now = s3.get_bucket_cors(Bucket="racy")["CORSRules"][0].get("MaxAgeSeconds")
tags_now = s3.get_bucket_tagging(Bucket="racy")["TagSet"]
acl_now = [g["Permission"] for g in s3.get_bucket_acl(Bucket="racy")["Grants"]
           if g["Grantee"].get("URI", "").endswith("AllUsers")]
check("and each field holds its last value (none lost to another's change)",
      cors_now == 9 and tags_now == [{"Key": "round", "Value": "9"}] and acl_now == ["READ"],
      (cors_now, tags_now, acl_now))

check("DeleteBucketCors by another user: AccessDenied",
      code(lambda: eve.delete_bucket_cors(Bucket="web")) == "AccessDenied")
check("DeleteBucketCors by the owner", code(lambda: s3.delete_bucket_cors(Bucket="web")) == "OK")
c = code(lambda: s3.get_bucket_cors(Bucket="web"))
check("and the rules are gone", c == "NoSuchCORSConfiguration", c)
got = preflight("/web/page", "http://any.origin", "GET", via=target_gw)
check("a preflight through a target's gateway is refused at once", got[0] == 403, got)
got = actual("GET", "/web/page", "http://any.origin")
check("and an actual GET has no CORS headers", got[:2] == (200, None), got)
sys.exit(1 if s3checks.fails else 0)
PY
finish
