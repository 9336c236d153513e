#!/usr/bin/env bash
# Object versions without S3 versioning, as S3 answers for a bucket whose versioning was never
# enabled: every object is its one version "null". ListObjectVersions (boto3 and raw HTTP) lists
# each key once as the latest "null" version, with prefix, delimiter, url encoding and exact
# pages (key-marker, NextKeyMarker, version-id-marker); GET/HEAD/DELETE/tagging/copy with
# versionId=null name the object, another version id is 400 InvalidArgument and changes nothing;
# the cleanup test suites and tools use (list versions, DeleteObjects by VersionId, delete the
# bucket) empties a bucket.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" <<'PY' || FAILS=$((FAILS + 1))
import sys, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, req, error_code, sdk_code as code
import s3checks

ep = sys.argv[2]
gw = urllib.parse.urlsplit(ep)
s3 = sdk_client(ep)
s3.create_bucket(Bucket="ver")
keys = ["a/1", "a/2", "a/b/3", "c", "d e", "z\u00e9"]
for k in keys:
    s3.put_object(Bucket="ver", Key=k, Body=k.encode())

r = s3.list_object_versions(Bucket="ver")
vs = r.get("Versions", [])
check("ListObjectVersions lists every key once", [v["Key"] for v in vs] == keys, vs)
check("each as the latest version null",
      all(v["VersionId"] == "null" and v["IsLatest"] for v in vs), vs)
check("with its size and ETag", all(v["Size"] == len(v["Key"].encode()) and v["ETag"].startswith('"')
                                    for v in vs), vs)
check("and no delete markers, not truncated", not r.get("DeleteMarkers") and not r["IsTruncated"], r)

got, kwargs, pages = [], {"Bucket": "ver", "MaxKeys": 2}, 0
while True:
    r = s3.list_object_versions(**kwargs)
    pages += 1
    got += [v["Key"] for v in r.get("Versions", [])]
    if not r["IsTruncated"]:
        break
    check("a truncated page names NextKeyMarker and NextVersionIdMarker null",
          r.get("NextKeyMarker") == got[-1] and r.get("NextVersionIdMarker") == "null", r)
    kwargs["KeyMarker"], kwargs["VersionIdMarker"] = r["NextKeyMarker"], r["NextVersionIdMarker"]
check("pages of 2 give every key once, in order", got == keys and pages == 3, (got, pages))

r = s3.list_object_versions(Bucket="ver", Prefix="a/", Delimiter="/")
check("prefix and delimiter: keys and common prefixes",
      [v["Key"] for v in r.get("Versions", [])] == ["a/1", "a/2"] and
      [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["a/b/"], r)
r = s3.list_object_versions(Bucket="ver", Delimiter="/", MaxKeys=1)
check("a common prefix as NextKeyMarker continues after all under it",
      r.get("NextKeyMarker") == "a/" and
      [v["Key"] for v in s3.list_object_versions(Bucket="ver", Delimiter="/", KeyMarker="a/")
       .get("Versions", [])] == ["c", "d e", "z\u00e9"], r)
st, data, _ = req(gw, "GET", "/ver?versions&encoding-type=url&prefix=d")
check("encoding-type=url encodes the keys", st == 200 and b"<Key>d%20e</Key>" in data, data[:300])
st, data, _ = req(gw, "GET", "/ver?versions&version-id-marker=null")
check("a version-id-marker without a key-marker: 400 InvalidArgument",
      st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))
st, data, _ = req(gw, "GET", "/ver?versions&key-marker=a&version-id-marker=v1")
check("another version-id-marker: 400", st == 400, (st, data[:200]))
c = code(lambda: s3.list_object_versions(Bucket="nosuchver"))
check("of a missing bucket: NoSuchBucket", c == "NoSuchBucket", c)

check("GET versionId=null reads the object",
      s3.get_object(Bucket="ver", Key="c", VersionId="null")["Body"].read() == b"c")
check("HEAD versionId=null", code(lambda: s3.head_object(Bucket="ver", Key="c", VersionId="null")) == "OK")
c = code(lambda: s3.get_object(Bucket="ver", Key="c", VersionId="3HL4kqtJlcpXroDTDmJ"))
check("GET of another version id: InvalidArgument", c == "InvalidArgument", c)
c = code(lambda: s3.delete_object(Bucket="ver", Key="c", VersionId="3HL4kqtJlcpXroDTDmJ"))
check("DELETE of another version id: InvalidArgument", c == "InvalidArgument", c)
check("and the object is still there", s3.get_object(Bucket="ver", Key="c")["Body"].read() == b"c")
c = code(lambda: s3.copy_object(Bucket="ver", Key="c2", CopySource={"Bucket": "ver", "Key": "c", "VersionId": "null"}))
check("CopyObject from version null", c == "OK" and s3.get_object(Bucket="ver", Key="c2")["Body"].read() == b"c", c)
c = code(lambda: s3.get_object_tagging(Bucket="ver", Key="c", VersionId="null"))
check("GetObjectTagging of version null", c == "OK", c)
check("DELETE versionId=null deletes", code(lambda: s3.delete_object(Bucket="ver", Key="c2", VersionId="null")) == "OK"
      and code(lambda: s3.head_object(Bucket="ver", Key="c2")) in ("404", "NoSuchKey"))

# The cleanup of s3-tests and of tools that empty a bucket by its versions.
for page in s3.get_paginator("list_object_versions").paginate(Bucket="ver", MaxKeys=4):
    objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    if objs:
        out = s3.delete_objects(Bucket="ver", Delete={"Objects": objs, "Quiet": True})
        check("DeleteObjects by VersionId null: no errors", not out.get("Errors"), out)
check("the bucket is empty", not s3.list_object_versions(Bucket="ver").get("Versions"))
check("and can be deleted", code(lambda: s3.delete_bucket(Bucket="ver")) == "OK")
sys.exit(1 if s3checks.fails else 0)
PY
finish
