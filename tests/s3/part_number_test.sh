#!/usr/bin/env bash
# GET and HEAD of one part (?partNumber=N): an object made by a multipart upload keeps its parts'
# sizes, so part N comes back as the byte range it was (206, Content-Range, x-amz-mp-parts-count);
# a plain object is its one part 1. A part past the last answers 416 InvalidPartNumber, a bad
# number 400, partNumber with a Range 400. Through the proxy's gateway and a target's.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" "http://127.0.0.1:$((AIS_DEV_PORT + 501))" <<'PY' || FAILS=$((FAILS + 1))
import os, sys, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, req, error_code, sdk_code as code

s3 = sdk_client(sys.argv[2])
s3.create_bucket(Bucket="parts")
MiB = 1 << 20
parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
up = s3.create_multipart_upload(Bucket="parts", Key="mpu")["UploadId"]
etags = [s3.upload_part(Bucket="parts", Key="mpu", UploadId=up, PartNumber=i + 1, Body=p)["ETag"]
         for i, p in enumerate(parts)]
s3.complete_multipart_upload(Bucket="parts", Key="mpu", UploadId=up, MultipartUpload={
    "Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
whole = b"".join(parts)
s3.put_object(Bucket="parts", Key="plain", Body=b"0123456789")
s3.put_object(Bucket="parts", Key="empty", Body=b"")

for name, ep in (("proxy", sys.argv[2]), ("target", sys.argv[3])):
    c = sdk_client(ep)
    offset = 0
    for n, p in enumerate(parts, 1):
        r = c.get_object(Bucket="parts", Key="mpu", PartNumber=n)
        body = r["Body"].read()
        check("%s: GET part %d: its bytes" % (name, n), body == p, len(body))
        check("%s: GET part %d: 206, Content-Range, PartsCount 3" % (name, n),
              r["ResponseMetadata"]["HTTPStatusCode"] == 206 and
              r["ContentRange"] == "bytes %d-%d/%d" % (offset, offset + len(p) - 1, len(whole)) and
              r.get("PartsCount") == 3, (r["ResponseMetadata"]["HTTPStatusCode"], r.get("ContentRange"), r.get("PartsCount")))
        h = c.head_object(Bucket="parts", Key="mpu", PartNumber=n)
        check("%s: HEAD part %d: its length, PartsCount 3" % (name, n),
              h["ContentLength"] == len(p) and h.get("PartsCount") == 3, (h["ContentLength"], h.get("PartsCount")))
        offset += len(p)
    check("%s: GET part 4 of 3: InvalidPartNumber" % name,
          code(lambda: c.get_object(Bucket="parts", Key="mpu", PartNumber=4)) == "InvalidPartNumber")
    r = c.get_object(Bucket="parts", Key="plain", PartNumber=1)
    check("%s: part 1 of a plain object: all of it, 206, bytes 0-9/10, no PartsCount" % name,
          r["Body"].read() == b"0123456789" and r["ResponseMetadata"]["HTTPStatusCode"] == 206 and
          r["ContentRange"] == "bytes 0-9/10" and "PartsCount" not in r, r)
    check("%s: part 2 of a plain object: InvalidPartNumber" % name,
          code(lambda: c.get_object(Bucket="parts", Key="plain", PartNumber=2)) == "InvalidPartNumber")
    check("%s: HEAD part 2 of a plain object: 416" % name,
          code(lambda: c.head_object(Bucket="parts", Key="plain", PartNumber=2)) == "416")
    r = c.get_object(Bucket="parts", Key="empty", PartNumber=1)
    check("%s: part 1 of an empty object: 200, nothing" % name,
          r["Body"].read() == b"" and r["ResponseMetadata"]["HTTPStatusCode"] == 200, r["ResponseMetadata"])
    gw = urllib.parse.urlsplit(ep)
    for bad in ("0", "10001", "abc", "-1", ""):
        st, data, _ = req(gw, "GET", "/parts/plain?partNumber=" + bad)
        check("%s: partNumber=%r: 400 InvalidArgument" % (name, bad),
              st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))
    st, data, _ = req(gw, "GET", "/parts/mpu?partNumber=1", headers={"Range": "bytes=0-9"})
    check("%s: partNumber with a Range: 400 InvalidRequest" % name,
          st == 400 and error_code(data) == "InvalidRequest", (st, data[:200]))
    # The whole object still reads whole.
    check("%s: GET without partNumber: all the parts" % name,
          c.get_object(Bucket="parts", Key="mpu")["Body"].read() == whole)

# An overwrite by a plain PUT forgets the parts.
s3.put_object(Bucket="parts", Key="mpu", Body=b"now plain")
r = s3.get_object(Bucket="parts", Key="mpu", PartNumber=1)
check("after a plain overwrite: part 1 is the whole new object, no PartsCount",
      r["Body"].read() == b"now plain" and "PartsCount" not in r, r)
import s3checks
sys.exit(1 if s3checks.fails else 0)
PY
finish
