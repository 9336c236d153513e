#!/usr/bin/env bash
# S3 additional checksums: x-amz-checksum-crc32/crc32c/crc64nvme/sha1/sha256 checked on PUT and
# UploadPart (a wrong one stores nothing), kept with the object and returned to GET and HEAD with
# x-amz-checksum-mode: ENABLED (whole-object reads only), through copies; multipart uploads made
# with a checksum algorithm take parts that carry it and end with S3's COMPOSITE ("-N") or
# FULL_OBJECT checksum, checked here against values computed independently (Python's zlib and
# hashlib, a CRC-64/NVME written out below) and by botocore's own response validation.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" <<'PY' || FAILS=$((FAILS + 1))
import base64, hashlib, os, re, struct, sys, urllib.parse, zlib
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, req, error_code, sdk_code as code
import s3checks

ep = sys.argv[2]
gw = urllib.parse.urlsplit(ep)
s3 = sdk_client(ep)
s3.create_bucket(Bucket="sums")

# CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5, table by table entry.
TABLE = []
for b in range(256):
    c = b
    for _ in range(8):
        c = (c >> 1) ^ 0x9A6C9329AC4BC9B5 if c & 1 else c >> 1
    TABLE.append(c)
def crc64nvme(data):
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc = TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return struct.pack(">Q", crc ^ 0xFFFFFFFFFFFFFFFF)
check("the test's CRC-64/NVME has the check value", crc64nvme(b"123456789").hex() == "ae8b14860a799888")

def b64(raw):
    return base64.b64encode(raw).decode()
def digest(alg, data):
    if alg == "crc32":
        return struct.pack(">I", zlib.crc32(data))
    if alg == "crc64nvme":
        return crc64nvme(data)
    return hashlib.new(alg, data).digest()

# boto3 computes, sends and (with ChecksumMode) validates these itself.
body = os.urandom(300000)
for alg in ("CRC32", "CRC32C", "SHA1", "SHA256"):
    put = s3.put_object(Bucket="sums", Key="b-" + alg, Body=body, ChecksumAlgorithm=alg)
    sent = put.get("Checksum" + alg)
    got = s3.get_object(Bucket="sums", Key="b-" + alg, ChecksumMode="ENABLED")
    data = got["Body"].read()  # (botocore checks the bytes against the header here)
    head = s3.head_object(Bucket="sums", Key="b-" + alg, ChecksumMode="ENABLED")
    check("boto3 %s: PUT echoes it, GET and HEAD return it" % alg,
          sent and data == body and got.get("Checksum" + alg) == sent and head.get("Checksum" + alg) == sent,
          (sent, got.get("Checksum" + alg), head.get("Checksum" + alg)))
    if alg in ("CRC32", "SHA1", "SHA256"):
        check("boto3 %s: the value is the content's" % alg, sent == b64(digest(alg.lower(), body)), sent)
plain = s3.get_object(Bucket="sums", Key="b-CRC32")
check("without checksum mode no checksum is sent", "ChecksumCRC32" not in plain)
ranged = s3.get_object(Bucket="sums", Key="b-CRC32", Range="bytes=0-99", ChecksumMode="ENABLED")
check("a ranged GET sends none (it is the whole object's)", "ChecksumCRC32" not in ranged and len(ranged["Body"].read()) == 100)

# CRC64NVME (newer than this boto3) over raw HTTP; wrong values store nothing.
for alg in ("crc64nvme", "crc32", "sha256"):
    data = os.urandom(70001)
    value = b64(digest(alg, data))
    st, out, r = req(gw, "PUT", "/sums/r-" + alg, data, {"x-amz-checksum-" + alg: value})
    check("raw %s PUT: 200, echoed" % alg, st == 200 and r.getheader("x-amz-checksum-" + alg) == value, (st, out[:200]))
    st, out, r = req(gw, "GET", "/sums/r-" + alg, None, {"x-amz-checksum-mode": "ENABLED"})
    check("raw %s GET returns it as FULL_OBJECT" % alg,
          out == data and r.getheader("x-amz-checksum-" + alg) == value and r.getheader("x-amz-checksum-type") == "FULL_OBJECT",
          (r.getheader("x-amz-checksum-" + alg), value))
    wrong = b64(digest(alg, data + b"x"))
    st, out, _ = req(gw, "PUT", "/sums/w-" + alg, data, {"x-amz-checksum-" + alg: wrong})
    check("raw %s PUT with a wrong value: 400 BadDigest" % alg, st == 400 and error_code(out) == "BadDigest", (st, out[:200]))
    check("and nothing was stored (%s)" % alg, req(gw, "HEAD", "/sums/w-" + alg)[0] == 404)
st, out, _ = req(gw, "PUT", "/sums/unknown", b"x", {"x-amz-checksum-crc128": "AAAA"})
check("an unknown algorithm: 501, nothing stored", st == 501 and req(gw, "HEAD", "/sums/unknown")[0] == 404, st)

# Copies keep the checksum of their bytes (also when the metadata is replaced).
s3.copy_object(Bucket="sums", Key="copy", CopySource="sums/b-SHA256")
s3.copy_object(Bucket="sums", Key="copy-r", CopySource="sums/b-SHA256", MetadataDirective="REPLACE", Metadata={"a": "1"})
want = s3.head_object(Bucket="sums", Key="b-SHA256", ChecksumMode="ENABLED")["ChecksumSHA256"]
for k in ("copy", "copy-r"):
    h = s3.head_object(Bucket="sums", Key=k, ChecksumMode="ENABLED")
    check("a copy (%s) keeps the checksum" % k, h.get("ChecksumSHA256") == want, h.get("ChecksumSHA256"))

# Multipart, COMPOSITE with boto3: sha256 of the parts' sha256s, "-2".
p1, p2 = os.urandom(5 << 20), os.urandom(12345)
up = s3.create_multipart_upload(Bucket="sums", Key="mp-sha", ChecksumAlgorithm="SHA256")
check("CreateMultipartUpload answers its algorithm", up.get("ChecksumAlgorithm") == "SHA256", up.get("ChecksumAlgorithm"))
uid = up["UploadId"]
parts = []
for n, data in ((1, p1), (2, p2)):
    r = s3.upload_part(Bucket="sums", Key="mp-sha", UploadId=uid, PartNumber=n, Body=data, ChecksumAlgorithm="SHA256")
    parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
lp = s3.list_parts(Bucket="sums", Key="mp-sha", UploadId=uid)
check("ListParts shows each part's checksum",
      [p.get("ChecksumSHA256") for p in lp["Parts"]] == [b64(digest("sha256", p1)), b64(digest("sha256", p2))], lp["Parts"])
bad = [dict(parts[0]), parts[1]]
bad[0]["ChecksumSHA256"] = b64(digest("sha256", b"other"))
c = code(lambda: s3.complete_multipart_upload(Bucket="sums", Key="mp-sha", UploadId=uid, MultipartUpload={"Parts": bad}))
check("Complete naming a wrong part checksum: InvalidPart", c == "InvalidPart", c)
done = s3.complete_multipart_upload(Bucket="sums", Key="mp-sha", UploadId=uid, MultipartUpload={"Parts": parts})
composite = b64(hashlib.sha256(digest("sha256", p1) + digest("sha256", p2)).digest()) + "-2"
h = s3.head_object(Bucket="sums", Key="mp-sha", ChecksumMode="ENABLED")
check("the object's checksum is the COMPOSITE of its parts'",
      done.get("ChecksumSHA256") == composite and h.get("ChecksumSHA256") == composite, (done.get("ChecksumSHA256"), composite))
check("and HEAD calls it COMPOSITE", h["ResponseMetadata"]["HTTPHeaders"].get("x-amz-checksum-type") == "COMPOSITE")

# Multipart, FULL_OBJECT over raw HTTP: the CRC of the whole (crc64nvme by default, crc32 asked).
def upload(key, alg, chunks, create_headers, part_header=True):
    st, x, r = req(gw, "POST", "/sums/%s?uploads" % key, None, create_headers)
    uid = re.search(rb"<UploadId>([^<]*)</UploadId>", x).group(1).decode()
    xml = "<CompleteMultipartUpload>"
    for n, data in enumerate(chunks, 1):
        hdrs = {"x-amz-checksum-" + alg: b64(digest(alg, data))} if part_header else {}
        st, out, pr = req(gw, "PUT", "/sums/%s?partNumber=%d&uploadId=%s" % (key, n, uid), data, hdrs)
        if st != 200:
            return st, out, r
        xml += "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (n, pr.getheader("ETag"))
    st, out, _ = req(gw, "POST", "/sums/%s?uploadId=%s" % (key, uid), (xml + "</CompleteMultipartUpload>").encode())
    return st, out, r

chunks = [os.urandom(5 << 20), os.urandom(777)]
whole = b"".join(chunks)
for alg, hdrs in (("crc64nvme", {"x-amz-checksum-algorithm": "CRC64NVME"}),
                  ("crc32", {"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT"})):
    st, out, created = upload("mp-" + alg, alg, chunks, hdrs)
    value = b64(digest(alg, whole))
    check("%s multipart: Create says FULL_OBJECT" % alg, created.getheader("x-amz-checksum-type") == "FULL_OBJECT")
    check("%s multipart: Complete answers the whole object's CRC" % alg,
          st == 200 and ("<Checksum%s>%s</Checksum%s>" % (alg.upper(), value, alg.upper())).encode() in out, (st, out[:400]))
    st, got, r = req(gw, "GET", "/sums/mp-" + alg, None, {"x-amz-checksum-mode": "ENABLED"})
    check("%s multipart: GET returns it, FULL_OBJECT" % alg,
          got == whole and r.getheader("x-amz-checksum-" + alg) == value and r.getheader("x-amz-checksum-type") == "FULL_OBJECT",
          r.getheader("x-amz-checksum-" + alg))

st, out, _ = upload("mp-missing", "crc32", chunks, {"x-amz-checksum-algorithm": "CRC32"}, part_header=False)
check("a part without the upload's checksum: 400 InvalidRequest", st == 400 and error_code(out) == "InvalidRequest", (st, out[:200]))
st, out, _ = upload("mp-other", "sha1", chunks, {"x-amz-checksum-algorithm": "CRC32"})
check("a part with another algorithm: 400 InvalidRequest", st == 400 and error_code(out) == "InvalidRequest", (st, out[:200]))
for hdrs, what in (({"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-type": "FULL_OBJECT"}, "sha256 FULL_OBJECT"),
                   ({"x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE"}, "crc64nvme COMPOSITE"),
                   ({"x-amz-checksum-algorithm": "MD4"}, "an unknown algorithm")):
    st, out, _ = req(gw, "POST", "/sums/mp-bad?uploads", None, hdrs)
    check("CreateMultipartUpload with %s: 400 InvalidRequest" % what, st == 400 and error_code(out) == "InvalidRequest", (st, out[:200]))
sys.exit(1 if s3checks.fails else 0)
PY
finish
