#!/usr/bin/env bash
# S3 object tagging with boto3 through the proxy's gateway and a target's own: tags set on PUT,
# CreateMultipartUpload and CopyObject (COPY and REPLACE directives), read, replaced and removed
# with ?tagging without touching the bytes or the ETag, counted in x-amz-tagging-count, dropped
# by an overwrite; S3's rules refused with S3's codes and nothing changed; bucket tags kept,
# shown and removed (up to 50).
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" "http://127.0.0.1:$((AIS_DEV_PORT + 502))" <<'PY' || FAILS=$((FAILS + 1))
import sys
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, sdk_code as code
import s3checks

def tags(s3, b, k):
    return [(t["Key"], t["Value"]) for t in s3.get_object_tagging(Bucket=b, Key=k)["TagSet"]]

def count(s3, b, k):
    return s3.head_object(Bucket=b, Key=k)["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count")

first = sdk_client(sys.argv[2])
first.create_bucket(Bucket="tags")
for g, ep in enumerate(sys.argv[2:]):
    s3 = sdk_client(ep)
    w = "(gateway %d)" % g
    k = "obj-%d" % g
    put = s3.put_object(Bucket="tags", Key=k, Body=b"tagged bytes",
                        Tagging="a=1&b=two%20words&c%2Bd=x%26y")
    check("PUT with x-amz-tagging: tags read back in order " + w,
          tags(s3, "tags", k) == [("a", "1"), ("b", "two words"), ("c+d", "x&y")], tags(s3, "tags", k))
    check("HEAD counts them " + w, count(s3, "tags", k) == "3", count(s3, "tags", k))
    got = s3.get_object(Bucket="tags", Key=k)
    check("GET counts them " + w, got.get("TagCount") == 3, got.get("TagCount"))

    s3.put_object_tagging(Bucket="tags", Key=k, Tagging={"TagSet": [
        {"Key": "ünïcode", "Value": "värde"}, {"Key": "empty", "Value": ""}]})
    check("PutObjectTagging replaces the set " + w,
          tags(s3, "tags", k) == [("ünïcode", "värde"), ("empty", "")], tags(s3, "tags", k))
    h = s3.head_object(Bucket="tags", Key=k)
    check("and leaves the bytes and the ETag " + w,
          h["ETag"] == put["ETag"] and s3.get_object(Bucket="tags", Key=k)["Body"].read() == b"tagged bytes")

    bad = {
        "11 tags": [{"Key": "k%d" % i, "Value": "v"} for i in range(11)],
        "a repeated key": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
        "an aws: key": [{"Key": "aws:x", "Value": "1"}],
        "a 129-character key": [{"Key": "k" * 129, "Value": "1"}],
        "a 257-character value": [{"Key": "k", "Value": "v" * 257}],
    }
    for what, ts in bad.items():
        c = code(lambda: s3.put_object_tagging(Bucket="tags", Key=k, Tagging={"TagSet": ts}))
        want = "BadRequest" if what == "11 tags" else "InvalidTag"
        check("PutObjectTagging with %s: %s %s" % (what, want, w), c == want, c)
    check("the tags are unchanged after the refusals " + w,
          tags(s3, "tags", k) == [("ünïcode", "värde"), ("empty", "")])
    ok10 = [{"Key": "k%d" % i, "Value": "v" * 256} for i in range(10)]
    c = code(lambda: s3.put_object_tagging(Bucket="tags", Key=k, Tagging={"TagSet": ok10}))
    check("10 tags with 256-character values are taken " + w, c == "OK" and count(s3, "tags", k) == "10", c)

    s3.delete_object_tagging(Bucket="tags", Key=k)
    check("DeleteObjectTagging empties the set " + w, tags(s3, "tags", k) == [])
    check("and HEAD no longer counts " + w, count(s3, "tags", k) is None)
    check("the bytes stay " + w, s3.get_object(Bucket="tags", Key=k)["Body"].read() == b"tagged bytes")

    c = code(lambda: s3.put_object(Bucket="tags", Key="bad-" + k, Body=b"x", Tagging="aws:k=1"))
    check("PUT with a bad x-amz-tagging: InvalidTag " + w, c == "InvalidTag", c)
    check("and nothing was stored " + w, code(lambda: s3.head_object(Bucket="tags", Key="bad-" + k)) in ("404", "NoSuchKey"))
    c = code(lambda: s3.get_object_tagging(Bucket="tags", Key="no-such-" + k))
    check("GetObjectTagging of no object: NoSuchKey " + w, c == "NoSuchKey", c)

    # An overwrite is a new object: no tags unless it brings some.
    s3.put_object(Bucket="tags", Key=k, Body=b"v1", Tagging="old=1")
    s3.put_object(Bucket="tags", Key=k, Body=b"v2")
    check("an overwrite drops the old tags " + w, tags(s3, "tags", k) == [])

# Multipart: the tags of CreateMultipartUpload are the object's.
up = first.create_multipart_upload(Bucket="tags", Key="mp", Tagging="m=1&n=2")["UploadId"]
e = first.upload_part(Bucket="tags", Key="mp", UploadId=up, PartNumber=1, Body=b"p" * 100)["ETag"]
first.complete_multipart_upload(Bucket="tags", Key="mp", UploadId=up,
                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
check("a multipart upload's tags", tags(first, "tags", "mp") == [("m", "1"), ("n", "2")], tags(first, "tags", "mp"))

# Copies: tags copied by default (also when the metadata is replaced), replaced on request.
first.put_object(Bucket="tags", Key="src", Body=b"source", Tagging="s=1", Metadata={"u": "1"})
first.copy_object(Bucket="tags", Key="copy", CopySource="tags/src")
check("a copy keeps the source's tags", tags(first, "tags", "copy") == [("s", "1")])
first.copy_object(Bucket="tags", Key="copy-meta", CopySource="tags/src", MetadataDirective="REPLACE",
                  Metadata={"u": "2"})
check("and keeps them when the metadata is replaced", tags(first, "tags", "copy-meta") == [("s", "1")])
check("(the metadata is replaced)", first.head_object(Bucket="tags", Key="copy-meta")["Metadata"] == {"u": "2"})
first.copy_object(Bucket="tags", Key="copy-new", CopySource="tags/src", TaggingDirective="REPLACE",
                  Tagging="t=2")
check("TaggingDirective REPLACE takes the request's tags", tags(first, "tags", "copy-new") == [("t", "2")])
check("and keeps the source's metadata", first.head_object(Bucket="tags", Key="copy-new")["Metadata"] == {"u": "1"})
first.copy_object(Bucket="tags", Key="src", CopySource="tags/src", TaggingDirective="REPLACE",
                  Tagging="in=place")
check("a copy onto itself replaces only the tags",
      tags(first, "tags", "src") == [("in", "place")] and
      first.get_object(Bucket="tags", Key="src")["Body"].read() == b"source")
c = code(lambda: first.copy_object(Bucket="tags", Key="copy-bad", CopySource="tags/src",
                                   TaggingDirective="REPLACE", Tagging="aws:no=1"))
check("a copy with bad tags is refused (InvalidTag)", c == "InvalidTag", c)

# Bucket tagging: kept in the bucket's props, up to 50 tags.
c = code(lambda: first.get_bucket_tagging(Bucket="tags"))
check("GetBucketTagging without tags: NoSuchTagSet", c == "NoSuchTagSet", c)
btags = [{"Key": "team", "Value": "vision"}, {"Key": "cost center", "Value": "42 / a"}]
check("PutBucketTagging", code(lambda: first.put_bucket_tagging(Bucket="tags", Tagging={"TagSet": btags})) == "OK")
got = first.get_bucket_tagging(Bucket="tags")["TagSet"]
check("GetBucketTagging gives them back", got == btags, got)
c = code(lambda: first.put_bucket_tagging(Bucket="tags", Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"} for i in range(51)]}))
check("51 bucket tags: InvalidTag", c == "InvalidTag", c)
c = code(lambda: first.put_bucket_tagging(Bucket="tags", Tagging={"TagSet": [{"Key": "aws:x", "Value": "v"}]}))
check("an aws: bucket tag key: InvalidTag", c == "InvalidTag", c)
check("and the tags are unchanged", first.get_bucket_tagging(Bucket="tags")["TagSet"] == btags)
c = code(lambda: first.put_bucket_tagging(Bucket="tags", Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"} for i in range(50)]}))
check("50 bucket tags are accepted", c == "OK" and len(first.get_bucket_tagging(Bucket="tags")["TagSet"]) == 50, c)
check("DeleteBucketTagging", code(lambda: first.delete_bucket_tagging(Bucket="tags")) == "OK")
c = code(lambda: first.get_bucket_tagging(Bucket="tags"))
check("and they are gone", c == "NoSuchTagSet", c)
c = code(lambda: first.get_bucket_tagging(Bucket="nosuchtags"))
check("GetBucketTagging of a missing bucket: NoSuchBucket", c == "NoSuchBucket", c)
sys.exit(1 if s3checks.fails else 0)
PY
finish
