#!/usr/bin/env bash
# S3 requests the gateway must not pretend to honour, and edge cases that lost or leaked data:
# server-side encryption, storage classes other than STANDARD and object locks are refused (never
# stored or served as if honoured), a website redirect location is kept, partNumber is served
# (tests/s3/part_number_test.sh), a key of
# one space is deleted as itself, v1 NextMarker is a real key or prefix (pages walk every item
# once), response-* overrides apply, SigV2 presigned URLs get a clear refusal.
set -u
source "$(dirname "$0")/lib.sh"
export AIS_S3_ACCESS_KEY=AKSAFE AIS_S3_SECRET_KEY=safesecret
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY

/usr/bin/python3 - "$S3_ENDPOINT" "$(dirname "$0")" <<'PY' || FAILS=$((FAILS + 1))
import sys, urllib.request, urllib.error, boto3
from botocore.config import Config

ep = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=ep, aws_access_key_id="AKSAFE",
                  aws_secret_access_key="safesecret", region_name="us-east-1",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
fails = 0
def check(name, ok, detail=""):
    global fails
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))
    fails += not ok
sys.path.insert(0, sys.argv[2])
from s3checks import sdk_code as code

s3.create_bucket(Bucket="safe")
c = code(lambda: s3.put_object(Bucket="safe", Key="enc", Body=b"secret", ServerSideEncryption="AES256"))
check("SSE-S3 PUT is refused", c == "NotImplemented", c)
check("and nothing was stored", code(lambda: s3.head_object(Bucket="safe", Key="enc")) in ("404", "NoSuchKey"))
key = b"k" * 32
c = code(lambda: s3.put_object(Bucket="safe", Key="encc", Body=b"x", SSECustomerAlgorithm="AES256",
                               SSECustomerKey=key.decode()))
check("SSE-C PUT is refused", c == "NotImplemented", c)
# Storage classes and object locks are not offered: refused, never accepted and dropped.
for kw, want, what in [({"StorageClass": "GLACIER"}, "InvalidStorageClass", "storage class GLACIER"),
                       ({"StorageClass": "STANDARD_IA"}, "InvalidStorageClass", "storage class STANDARD_IA"),
                       ({"ObjectLockMode": "GOVERNANCE",
                         "ObjectLockRetainUntilDate": "2030-01-01T00:00:00Z"}, "InvalidRequest", "object lock retention"),
                       ({"ObjectLockLegalHoldStatus": "ON"}, "InvalidRequest", "object lock legal hold"),
                       ({"WebsiteRedirectLocation": "example.com/x"}, "InvalidRedirectLocation",
                        "a redirect location without http(s):// or /")]:
    c = code(lambda: s3.put_object(Bucket="safe", Key="refused", Body=b"x", **kw))
    check("PUT with " + what + " is refused", c == want, c)
    c = code(lambda: s3.create_multipart_upload(Bucket="safe", Key="refused", **kw))
    check("CreateMultipartUpload with " + what + " is refused", c == want, c)
check("and nothing was stored under that name",
      code(lambda: s3.head_object(Bucket="safe", Key="refused")) in ("404", "NoSuchKey"))
r = s3.put_object(Bucket="safe", Key="std", Body=b"x", StorageClass="STANDARD")
check("PUT with storage class STANDARD is stored", r["ResponseMetadata"]["HTTPStatusCode"] == 200, r)
s3.put_object(Bucket="safe", Key="src", Body=b"copy me")
c = code(lambda: s3.copy_object(Bucket="safe", Key="src", CopySource={"Bucket": "safe", "Key": "src"},
                                StorageClass="GLACIER"))
check("CopyObject to storage class GLACIER is refused", c == "InvalidStorageClass", c)
r = s3.copy_object(Bucket="safe", Key="dst", CopySource={"Bucket": "safe", "Key": "src"},
                   StorageClass="STANDARD")
check("CopyObject to STANDARD is done", s3.get_object(Bucket="safe", Key="dst")["Body"].read() == b"copy me", r)
# Sub-resources not served are refused, never taken for the plain request (a PUT ?renameObject
# taken for a PutObject would overwrite the key with the request's body).
s3.put_object(Bucket="safe", Key="keepme", Body=b"original")
def with_query(q):
    def add(request, **kwargs):
        request.url += ("&" if "?" in request.url else "?") + q
    return add
for op, q, call in [("PutObject", "renameObject", lambda: s3.put_object(Bucket="safe", Key="keepme", Body=b"")),
                    ("ListObjects", "policyStatus", lambda: s3.list_objects(Bucket="safe")),
                    ("ListObjects", "session", lambda: s3.list_objects(Bucket="safe"))]:
    hook = with_query(q)
    s3.meta.events.register("before-sign.s3." + op, hook)
    try:
        c = code(call)
    finally:
        s3.meta.events.unregister("before-sign.s3." + op, hook)
    check("?" + q + " is refused (501)", c == "NotImplemented", c)
check("the key a PUT ?renameObject named is unchanged",
      s3.get_object(Bucket="safe", Key="keepme")["Body"].read() == b"original")
# x-amz-expected-bucket-owner: another owner's bucket refuses the request (403), its own serves it.
owner = s3.get_bucket_acl(Bucket="safe")["Owner"]["ID"]
c = code(lambda: s3.put_object(Bucket="safe", Key="ebo", Body=b"x", ExpectedBucketOwner="111122223333"))
check("a PUT expecting another bucket owner is refused", c == "AccessDenied", c)
check("and stored nothing", code(lambda: s3.head_object(Bucket="safe", Key="ebo")) in ("404", "NoSuchKey"))
c = code(lambda: s3.put_object(Bucket="safe", Key="ebo", Body=b"x", ExpectedBucketOwner=owner))
check("a PUT expecting the bucket's owner is stored", c == "OK", c)
c = code(lambda: s3.list_objects_v2(Bucket="safe", ExpectedBucketOwner="111122223333"))
check("a listing expecting another owner is refused", c == "AccessDenied", c)
c = code(lambda: s3.copy_object(Bucket="safe", Key="ebo2", CopySource={"Bucket": "safe", "Key": "ebo"},
                                ExpectedSourceBucketOwner="111122223333"))
check("a copy expecting another source owner is refused", c == "AccessDenied", c)
def encoded_slash(request, **kwargs):  # x-amz-copy-source with its slash encoded too
    request.headers.replace_header("x-amz-copy-source", "safe%2Febo")
s3.meta.events.register("before-sign.s3.CopyObject", encoded_slash)
try:
    c = code(lambda: s3.copy_object(Bucket="safe", Key="ebo3", CopySource={"Bucket": "safe", "Key": "ebo"},
                                    ExpectedSourceBucketOwner="111122223333"))
finally:
    s3.meta.events.unregister("before-sign.s3.CopyObject", encoded_slash)
check("... also when its copy source encodes the slash", c == "AccessDenied", c)
c = code(lambda: s3.copy_object(Bucket="safe", Key="ebo2", CopySource={"Bucket": "safe", "Key": "ebo"},
                                ExpectedSourceBucketOwner=owner, ExpectedBucketOwner=owner))
check("a copy expecting the right owners is done", c == "OK", c)
# A website redirect location is kept and returned, as S3 does.
s3.put_object(Bucket="safe", Key="redir", Body=b"r", WebsiteRedirectLocation="/elsewhere")
h = s3.head_object(Bucket="safe", Key="redir")
check("x-amz-website-redirect-location is kept", h.get("WebsiteRedirectLocation") == "/elsewhere", h)
up = s3.create_multipart_upload(Bucket="safe", Key="redir-mp", WebsiteRedirectLocation="https://example.com/")
part = s3.upload_part(Bucket="safe", Key="redir-mp", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
s3.complete_multipart_upload(Bucket="safe", Key="redir-mp", UploadId=up["UploadId"],
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
h = s3.head_object(Bucket="safe", Key="redir-mp")
check("and kept by a multipart upload", h.get("WebsiteRedirectLocation") == "https://example.com/", h)
s3.copy_object(Bucket="safe", Key="redir-copy", CopySource={"Bucket": "safe", "Key": "redir"})
h = s3.head_object(Bucket="safe", Key="redir-copy")
check("a copy does not take the source's redirect location", "WebsiteRedirectLocation" not in h, h)
s3.copy_object(Bucket="safe", Key="redir-copy", CopySource={"Bucket": "safe", "Key": "redir"},
               WebsiteRedirectLocation="/other")
h = s3.head_object(Bucket="safe", Key="redir-copy")
check("but the request's", h.get("WebsiteRedirectLocation") == "/other", h)
s3.put_object(Bucket="safe", Key="plain", Body=b"0123456789")
r = s3.get_object(Bucket="safe", Key="plain", PartNumber=1)
check("GET by partNumber 1 of a plain object: the whole object, 206",
      r["ResponseMetadata"]["HTTPStatusCode"] == 206 and r["Body"].read() == b"0123456789", r)

# A key of one space, next to others: deleting it deletes exactly it.
s3.put_object(Bucket="safe", Key=" ", Body=b"space")
s3.put_object(Bucket="safe", Key="keep", Body=b"keep")
r = s3.delete_objects(Bucket="safe", Delete={"Objects": [{"Key": " "}]})
check("DeleteObjects names the space key", [d["Key"] for d in r.get("Deleted", [])] == [" "], r)
check("the space key is gone", code(lambda: s3.head_object(Bucket="safe", Key=" ")) in ("404", "NoSuchKey"))
check("the others stay", s3.get_object(Bucket="safe", Key="keep")["Body"].read() == b"keep")

# v1 pages by NextMarker through common prefixes and keys: every item once, no internal marker.
names = ["a/1", "a/2", "b", "c/1", "d", "e/x/1", "f"]
for n in names:
    s3.put_object(Bucket="safe", Key="list/" + n, Body=b"x")
seen, marker, markers = [], "", []
for _ in range(20):
    kw = {"Bucket": "safe", "Prefix": "list/", "Delimiter": "/", "MaxKeys": 2}
    if marker:
        kw["Marker"] = marker
    page = s3.list_objects(**kw)
    seen += [o["Key"] for o in page.get("Contents", [])]
    seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    if not page.get("IsTruncated"):
        break
    marker = page["NextMarker"]
    markers.append(marker)
want = ["list/a/", "list/b", "list/c/", "list/d", "list/e/", "list/f"]
check("v1 NextMarker pages walk every key and prefix once", sorted(seen) == want, seen)
check("NextMarker is a key or prefix returned", all(m in want for m in markers) and
      not any("\U0010ffff" in m for m in markers), markers)

# Response header overrides (what presigned download links use).
r = s3.get_object(Bucket="safe", Key="plain", ResponseContentType="text/x-test",
                  ResponseContentDisposition='attachment; filename="p.txt"',
                  ResponseCacheControl="no-cache")
h = r["ResponseMetadata"]["HTTPHeaders"]
check("response-content-type applies", h.get("content-type") == "text/x-test", h)
check("response-content-disposition applies",
      h.get("content-disposition") == 'attachment; filename="p.txt"', h)
check("response-cache-control applies", h.get("cache-control") == "no-cache", h)

# Conditional writes: If-None-Match: * stores only a new key (atomically); If-Match only over
# the ETag named (tests/s3/conditional_test.sh has the rest).
# (This boto3 predates the IfNoneMatch parameter: the header goes in through an event hook.)
extra = {}
s3.meta.events.register("before-call.s3.PutObject",
                        lambda params, **kw: params["headers"].update(extra))
def put_with(key, body, **headers):
    extra.clear()
    extra.update(headers)
    try:
        return code(lambda: s3.put_object(Bucket="safe", Key=key, Body=body))
    finally:
        extra.clear()
big = b"y" * (3 << 20)  # streamed, not one message
for body, label in ((b"first", "small"), (big, "streamed")):
    k = "cond-" + label
    r1 = put_with(k, body, **{"If-None-Match": "*"})
    r2 = put_with(k, b"second", **{"If-None-Match": "*"})
    kept = s3.get_object(Bucket="safe", Key=k)["Body"].read()
    check("If-None-Match: * creates a new key (%s)" % label, r1 == "OK", r1)
    check("If-None-Match: * refuses a taken key, keeping it (%s)" % label,
          r2 == "PreconditionFailed" and kept == body, (r2, len(kept)))
c = put_with("crc64", b"data", **{"x-amz-checksum-crc64nvme": "AAAAAAAAAAA="})
check("a wrong CRC64NVME is refused", c == "BadDigest", c)
check("and nothing was stored (crc64)", code(lambda: s3.head_object(Bucket="safe", Key="crc64")) in ("404", "NoSuchKey"))
c = put_with("crc128", b"data", **{"x-amz-checksum-crc128": "AAAAAAAAAAA="})
check("a checksum in an unknown algorithm is refused", c == "NotImplemented", c)
check("and nothing was stored (crc128)", code(lambda: s3.head_object(Bucket="safe", Key="crc128")) in ("404", "NoSuchKey"))
c = put_with("cond-small", b"x", **{"If-Match": '"abc"'})
check("If-Match with another ETag on PUT fails", c == "PreconditionFailed", c)
check("the object is unchanged", s3.get_object(Bucket="safe", Key="cond-small")["Body"].read() == b"first")

# A retried CompleteMultipartUpload (the client missed the first answer) gets the same answer.
up = s3.create_multipart_upload(Bucket="safe", Key="mp")["UploadId"]
e1 = s3.upload_part(Bucket="safe", Key="mp", UploadId=up, PartNumber=1, Body=b"part one")["ETag"]
parts = {"Parts": [{"PartNumber": 1, "ETag": e1}]}
first = s3.complete_multipart_upload(Bucket="safe", Key="mp", UploadId=up, MultipartUpload=parts)
again = code(lambda: s3.complete_multipart_upload(Bucket="safe", Key="mp", UploadId=up,
                                                  MultipartUpload=parts))
check("a retried Complete succeeds", again == "OK", again)
check("the object is the upload's", s3.get_object(Bucket="safe", Key="mp")["Body"].read() == b"part one")
other = code(lambda: s3.complete_multipart_upload(Bucket="safe", Key="mp", UploadId="nosuch",
                                                  MultipartUpload=parts))
check("another upload id still gets NoSuchUpload", other == "NoSuchUpload", other)

# A SigV2 presigned URL is checked (a wrong signature refused as such, not taken as anonymous).
try:
    urllib.request.urlopen(ep + "/safe/plain?AWSAccessKeyId=AKSAFE&Expires=9999999999&Signature=abc")
    check("a bad SigV2 presigned URL is refused", False, "200")
except urllib.error.HTTPError as e:
    body = e.read().decode()
    check("a bad SigV2 presigned URL: 403 SignatureDoesNotMatch",
          e.code == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, body[:200])
sys.exit(1 if fails else 0)
PY

# The gateway's multipart staging bucket is invisible and untouchable outside S3, while an
# upload in it goes on.
mpu() {  # python snippet with s3 and the bucket "safe"
  /usr/bin/python3 - "$S3_ENDPOINT" "$WORK/mpu" "$1" <<'PY'
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="AKSAFE",
                  aws_secret_access_key="safesecret", region_name="us-east-1",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
if sys.argv[3] == "start":
    u = s3.create_multipart_upload(Bucket="safe", Key="mp")["UploadId"]
    e = s3.upload_part(Bucket="safe", Key="mp", UploadId=u, PartNumber=1, Body=b"x" * 1000)["ETag"]
    open(sys.argv[2], "w").write(u + " " + e)
else:
    u, e = open(sys.argv[2]).read().split()
    s3.complete_multipart_upload(Bucket="safe", Key="mp", UploadId=u,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
    assert s3.get_object(Bucket="safe", Key="mp")["Body"].read() == b"x" * 1000
PY
}
AIS=$AIS_BUILD_DIR/tools/ais
check "a multipart upload starts" mpu start
check "ais ls does not list the staging bucket" bash -c "! '$AIS' ls --no-headers | grep -q aisgw-multipart"
check "ais ls of the staging bucket is refused" bash -c "'$AIS' ls ais://aisgw-multipart >/dev/null 2>&1; [ \$? = 5 ]"
check "ais bucket rm of the staging bucket is refused" bash -c "'$AIS' bucket rm ais://aisgw-multipart >/dev/null 2>&1; [ \$? = 5 ]"
sig=(--aws-sigv4 aws:amz:us-east-1:s3 --user AKSAFE:safesecret)
check "/v1/buckets does not list it" bash -c "curl -sf ${sig[*]} $S3_ENDPOINT/v1/buckets | grep -q '\"safe\"' && ! curl -sf ${sig[*]} $S3_ENDPOINT/v1/buckets | grep -q aisgw-multipart"
check "/v1 objects of it are refused" test "$(curl -s -o /dev/null -w '%{http_code}' "${sig[@]}" "$S3_ENDPOINT/v1/objects/aisgw-multipart/safe/u/x")" = 400
check "the upload completes" mpu complete

# AIStore's S3 endpoint shape: http://host:port/s3 (signed requests, path style).
check "S3 under /s3 works for a signing client" /usr/bin/python3 - "$S3_ENDPOINT/s3" <<'PY'
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="AKSAFE",
                  aws_secret_access_key="safesecret", region_name="us-east-1",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="prefixed")
s3.put_object(Bucket="prefixed", Key="a/b.txt", Body=b"under s3")
assert s3.get_object(Bucket="prefixed", Key="a/b.txt")["Body"].read() == b"under s3"
assert [o["Key"] for o in s3.list_objects_v2(Bucket="prefixed")["Contents"]] == ["a/b.txt"]
assert "prefixed" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
u = s3.create_multipart_upload(Bucket="prefixed", Key="mp")["UploadId"]
e = s3.upload_part(Bucket="prefixed", Key="mp", UploadId=u, PartNumber=1, Body=b"p" * 100)["ETag"]
s3.complete_multipart_upload(Bucket="prefixed", Key="mp", UploadId=u,
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
assert s3.get_object(Bucket="prefixed", Key="mp")["Body"].read() == b"p" * 100
s3.delete_object(Bucket="prefixed", Key="a/b.txt")
PY
finish
