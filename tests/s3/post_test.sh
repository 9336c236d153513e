#!/usr/bin/env bash
# S3 browser POST uploads (PostObject) with boto3's generate_presigned_post and raw forms: SigV4-
# and SigV2-signed policies, key ${filename}, metadata and ACL fields, success_action_status 201 /
# redirect 303, a 20 MiB file streamed through; an expired or tampered policy, a broken condition,
# an uncovered field, a file outside content-length-range, another user's or an anonymous form to
# a private bucket, a form cut short: refused with S3's codes and nothing stored.
set -u
source "$(dirname "$0")/lib.sh"
echo '[{"name": "eve", "access_key": "AKEVE", "secret_key": "evesecret"}]' >"$WORK/users.json"
export AIS_S3_ACCESS_KEY=AKPOST AIS_S3_SECRET_KEY=postsecret AIS_S3_USERS_FILE=$WORK/users.json
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY AIS_S3_USERS_FILE

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" <<'PY' || FAILS=$((FAILS + 1))
import base64, hashlib, hmac, json, os, sys, time, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, req, error_code, sdk_code as code
import s3checks

ep = sys.argv[2]
gw = urllib.parse.urlsplit(ep)
s3 = sdk_client(ep, "AKPOST", "postsecret")
eve = sdk_client(ep, "AKEVE", "evesecret")
s3.create_bucket(Bucket="forms")
s3.create_bucket(Bucket="dropbox", ACL="public-read-write")

def encode(fields, file_bytes, filename="photo.jpg", cut=0):
    b = "----aisformboundary%d" % int(time.time() * 1000)
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (b, k, v)).encode()
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % (b, filename)).encode()
    out += file_bytes + ("\r\n--%s--\r\n" % b).encode()
    if cut:
        out = out[:-cut]
    return out, "multipart/form-data; boundary=" + b

def post(bucket, fields, file_bytes, **kw):
    body, ctype = encode(fields, file_bytes, **kw)
    return req(gw, "POST", "/" + bucket, body, {"Content-Type": ctype})

def stored(bucket, key):
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception:
        return None

p = s3.generate_presigned_post("forms", "uploads/${filename}",
                               Fields={"Content-Type": "image/jpeg", "x-amz-meta-album": "summer"},
                               Conditions=[["starts-with", "$key", "uploads/"],
                                           {"Content-Type": "image/jpeg"},
                                           {"x-amz-meta-album": "summer"},
                                           ["content-length-range", 1, 30 << 20]],
                               ExpiresIn=600)
st, data, resp = post("forms", p["fields"], b"jpeg bytes")
check("a SigV4-signed form: 204", st == 204, (st, data[:300]))
check("stored under uploads/${filename}", stored("forms", "uploads/photo.jpg") == b"jpeg bytes")
h = s3.head_object(Bucket="forms", Key="uploads/photo.jpg")
check("with the form's Content-Type and x-amz-meta-*",
      h["ContentType"] == "image/jpeg" and h["Metadata"].get("album") == "summer", h)
check("and the ETag the answer named", resp.getheader("ETag") == h["ETag"], (resp.getheader("ETag"), h["ETag"]))

big = os.urandom(20 << 20)
st, data, _ = post("forms", p["fields"], big, filename="big.bin")
check("a 20 MiB file streams through: 204", st == 204, (st, data[:300]))
got = stored("forms", "uploads/big.bin")
check("byte-exact", got is not None and hashlib.md5(got).digest() == hashlib.md5(big).digest())

p201 = s3.generate_presigned_post("forms", "k201", Fields={"success_action_status": "201"},
                                  Conditions=[{"success_action_status": "201"}])
st, data, _ = post("forms", p201["fields"], b"created")
check("success_action_status 201: a PostResponse", st == 201 and b"<Key>k201</Key>" in data and b"<ETag>" in data,
      (st, data[:300]))
import xml.etree.ElementTree as ET
check("... without a namespace, as S3's (a client's find('Key') gets it)",
      st == 201 and ET.fromstring(data).find("Key") is not None, data[:300])
redirect = "http://app.example/done"
p303 = s3.generate_presigned_post("forms", "k303", Fields={"success_action_redirect": redirect},
                                  Conditions=[{"success_action_redirect": redirect}])
st, data, resp = post("forms", p303["fields"], b"redirected")
loc = resp.getheader("Location") or ""
check("success_action_redirect: 303 to it with bucket, key and etag",
      st == 303 and loc.startswith(redirect + "?bucket=forms&key=k303&etag="), (st, loc))
check("and the object is there", stored("forms", "k303") == b"redirected")

def refused(name, want_status, want_code, fields, body=b"x", key=None, bucket="forms", **kw):
    st, data, _ = post(bucket, fields, body, **kw)
    k = key or fields.get("key", "")
    check("%s: %d %s" % (name, want_status, want_code),
          st == want_status and error_code(data) == want_code, (st, data[:300]))
    if k:
        check("and nothing was stored (%s)" % name, stored(bucket, k.replace("${filename}", "photo.jpg")) is None)

small = s3.generate_presigned_post("forms", "small", Conditions=[["content-length-range", 2, 5]])
refused("a file over content-length-range", 400, "EntityTooLarge", small["fields"], b"123456")
refused("a file under content-length-range", 400, "EntityTooSmall", small["fields"], b"1")
expired = s3.generate_presigned_post("forms", "late", ExpiresIn=-10)
refused("an expired policy", 403, "AccessDenied", expired["fields"])
bad = dict(s3.generate_presigned_post("forms", "tampered")["fields"])
bad["x-amz-signature"] = "0" * 64
refused("a tampered signature", 403, "SignatureDoesNotMatch", bad)
unsigned = dict(s3.generate_presigned_post("forms", "unsigned")["fields"])
del unsigned["x-amz-signature"]
refused("a signed form without its signature", 400, "InvalidArgument", unsigned)
extra = dict(s3.generate_presigned_post("forms", "extra")["fields"])
extra["x-amz-meta-sneaky"] = "1"
refused("a field the policy does not cover", 403, "AccessDenied", extra)
cond = dict(p["fields"])
cond["key"] = "elsewhere/x"
refused("a key breaking starts-with", 403, "AccessDenied", cond)
ignored = dict(s3.generate_presigned_post("forms", "ignored")["fields"])
ignored["x-ignore-note"] = "fine"
st, data, _ = post("forms", ignored, b"ok")
check("x-ignore-* fields need no condition", st == 204 and stored("forms", "ignored") == b"ok", (st, data[:200]))

ev = eve.generate_presigned_post("forms", "eves")
refused("another user's form to a private bucket", 403, "AccessDenied", ev["fields"])
refused("an anonymous form to a private bucket", 403, "AccessDenied", {"key": "anon"})
st, data, _ = post("dropbox", {"key": "anon-drop"}, b"dropped")
check("an anonymous form to a public-read-write bucket: 204", st == 204, (st, data[:300]))
check("stored", stored("dropbox", "anon-drop") == b"dropped")
ev2 = eve.generate_presigned_post("dropbox", "eve-drop")
st, data, _ = post("dropbox", ev2["fields"], b"from eve")
check("eve's signed form to the public-read-write bucket: 204", st == 204, (st, data[:300]))

# SigV2 form: AWSAccessKeyId + base64 HMAC-SHA1 of the policy.
policy = base64.b64encode(json.dumps({
    "expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600)),
    "conditions": [{"bucket": "forms"}, ["eq", "$key", "v2key"], {"acl": "public-read"}]}).encode()).decode()
sig = base64.b64encode(hmac.new(b"postsecret", policy.encode(), hashlib.sha1).digest()).decode()
st, data, _ = post("forms", {"key": "v2key", "acl": "public-read", "AWSAccessKeyId": "AKPOST",
                             "policy": policy, "signature": sig}, b"v2 form")
check("a SigV2-signed form with acl public-read: 204", st == 204, (st, data[:300]))
st, data, _ = req(gw, "GET", "/forms/v2key")
check("anonymous reads it (the form's ACL)", st == 200 and data == b"v2 form", (st, data[:200]))
refused("a SigV2 form with a wrong signature", 403, "SignatureDoesNotMatch",
        {"key": "v2bad", "AWSAccessKeyId": "AKPOST", "policy": policy, "signature": "AAAA"})

refused("a form without a key", 400, "InvalidArgument", {"x-ignore-a": "b"}, bucket="dropbox")
st, data, _ = req(gw, "POST", "/dropbox", b"key=x", {"Content-Type": "application/x-www-form-urlencoded"})
check("a body that is not multipart/form-data: 412", st == 412, (st, data[:200]))
refused("a form cut before its closing boundary", 400, "MalformedPOSTRequest", {"key": "cut"},
        b"partial", bucket="dropbox", cut=12)
check("the gateway still serves", stored("forms", "k201") == b"created")
sys.exit(1 if s3checks.fails else 0)
PY
finish
