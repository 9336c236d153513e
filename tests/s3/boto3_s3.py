#!/usr/bin/python3
"""boto3 against the S3 gateway: CRUD, metadata, ranged and conditional GET, presigned GET/PUT,
multipart (incl. UploadPartCopy, ListParts, ListMultipartUploads, Abort), error codes.
Prints PASS/FAIL lines; exit status 1 on any failure."""
import hashlib
import os
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ep = os.environ["S3_ENDPOINT"]
s3 = boto3.client("s3", endpoint_url=ep, aws_access_key_id=os.environ.get("AK", "test"),
                  aws_secret_access_key=os.environ.get("SK", "test"), region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
fails = 0


def check(name, fn):
    global fails
    try:
        fn()
        print("PASS " + name)
    except Exception as e:  # noqa: BLE001
        fails += 1
        print("FAIL %s: %r" % (name, e))


def err_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def expect(cond, msg="unexpected"):
    if not cond:
        raise AssertionError(msg)


B = "boto-bucket"
check("create_bucket", lambda: s3.create_bucket(Bucket=B))
check("head_bucket", lambda: s3.head_bucket(Bucket=B))
check("list_buckets", lambda: expect(B in [b["Name"] for b in s3.list_buckets()["Buckets"]]))
data = os.urandom(100000)
check("put_object", lambda: expect(s3.put_object(Bucket=B, Key="a/b.bin", Body=data,
                                                 ContentType="application/x-test",
                                                 Metadata={"k": "v"})["ETag"].strip('"') ==
                                   hashlib.md5(data).hexdigest()))
check("get_object", lambda: expect(s3.get_object(Bucket=B, Key="a/b.bin")["Body"].read() == data))
check("head_metadata", lambda: expect(s3.head_object(Bucket=B, Key="a/b.bin")["Metadata"] == {"k": "v"}))
check("content_type", lambda: expect(s3.head_object(Bucket=B, Key="a/b.bin")["ContentType"] == "application/x-test"))
check("ranged_get", lambda: expect(s3.get_object(Bucket=B, Key="a/b.bin", Range="bytes=10-19")["Body"].read() == data[10:20]))
check("suffix_range", lambda: expect(s3.get_object(Bucket=B, Key="a/b.bin", Range="bytes=-5")["Body"].read() == data[-5:]))
check("invalid_range", lambda: expect(err_code(lambda: s3.get_object(Bucket=B, Key="a/b.bin", Range="bytes=999999-")) == "InvalidRange"))
etag = '"%s"' % hashlib.md5(data).hexdigest()
check("if_match_ok", lambda: s3.get_object(Bucket=B, Key="a/b.bin", IfMatch=etag))
check("if_match_fail", lambda: expect(err_code(lambda: s3.get_object(Bucket=B, Key="a/b.bin", IfMatch='"x"')) == "PreconditionFailed"))
check("if_none_match_304", lambda: expect(err_code(lambda: s3.get_object(Bucket=B, Key="a/b.bin", IfNoneMatch=etag)) == "304"))
check("content_md5_bad", lambda: expect(err_code(lambda: s3.put_object(Bucket=B, Key="bad", Body=b"abc", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")) == "BadDigest"))
check("no_such_key", lambda: expect(err_code(lambda: s3.get_object(Bucket=B, Key="nope")) == "NoSuchKey"))
check("no_such_bucket", lambda: expect(err_code(lambda: s3.list_objects_v2(Bucket="no-such-bkt")) == "NoSuchBucket"))


def presigned():
    url = s3.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "pre.txt"}, ExpiresIn=60)
    req = urllib.request.Request(url, data=b"presigned!", method="PUT")
    urllib.request.urlopen(req).read()
    url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "pre.txt"}, ExpiresIn=60)
    expect(urllib.request.urlopen(url).read() == b"presigned!")


check("presigned_put_get", presigned)


def multipart():
    part = os.urandom(5 << 20)
    up = s3.create_multipart_upload(Bucket=B, Key="mp.bin", ContentType="x/mp")
    uid = up["UploadId"]
    expect(any(u["UploadId"] == uid for u in s3.list_multipart_uploads(Bucket=B).get("Uploads", [])), "listed")
    # Listed by key, then by when each began, each with its Initiator and Owner (rclone and
    # awscli read these to clean up).
    others = [s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"] for k in ("mp.b", "mp.a", "mp.b")]
    listed = s3.list_multipart_uploads(Bucket=B)["Uploads"]
    expect([(u["Key"], u["UploadId"]) for u in listed] ==
           [("mp.a", others[1]), ("mp.b", others[0]), ("mp.b", others[2]), ("mp.bin", uid)],
           "uploads by key, then by start: %s" % [(u["Key"], u["UploadId"]) for u in listed])
    expect(all(u["Initiator"]["ID"] and u["Owner"]["ID"] for u in listed), "initiator and owner")
    for k, other in zip(("mp.b", "mp.a", "mp.b"), others):
        s3.abort_multipart_upload(Bucket=B, Key=k, UploadId=other)
    e1 = s3.upload_part(Bucket=B, Key="mp.bin", UploadId=uid, PartNumber=1, Body=part)["ETag"]
    e2 = s3.upload_part_copy(Bucket=B, Key="mp.bin", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": B, "Key": "a/b.bin"},
                             CopySourceRange="bytes=0-999")["CopyPartResult"]["ETag"]
    parts = s3.list_parts(Bucket=B, Key="mp.bin", UploadId=uid)["Parts"]
    expect([p["PartNumber"] for p in parts] == [1, 2], "list_parts")
    s3.complete_multipart_upload(Bucket=B, Key="mp.bin", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    got = s3.get_object(Bucket=B, Key="mp.bin")
    expect(got["Body"].read() == part + data[:1000], "content")
    expect(got["ETag"].endswith('-2"'), "etag md5-N")
    expect(got["ContentType"] == "x/mp", "content type kept")
    expect(not s3.list_multipart_uploads(Bucket=B).get("Uploads"), "cleaned up")


check("multipart_complete", multipart)


def multipart_errors():
    uid = s3.create_multipart_upload(Bucket=B, Key="small.bin")["UploadId"]
    e1 = s3.upload_part(Bucket=B, Key="small.bin", UploadId=uid, PartNumber=1, Body=b"x" * 10)["ETag"]
    e2 = s3.upload_part(Bucket=B, Key="small.bin", UploadId=uid, PartNumber=2, Body=b"y")["ETag"]
    expect(err_code(lambda: s3.complete_multipart_upload(Bucket=B, Key="small.bin", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})) == "EntityTooSmall", "too small")
    expect(err_code(lambda: s3.complete_multipart_upload(Bucket=B, Key="small.bin", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 3, "ETag": e1}]})) == "InvalidPart", "invalid part")
    s3.abort_multipart_upload(Bucket=B, Key="small.bin", UploadId=uid)
    expect(err_code(lambda: s3.list_parts(Bucket=B, Key="small.bin", UploadId=uid)) == "NoSuchUpload", "aborted")
    expect(err_code(lambda: s3.head_object(Bucket=B, Key="small.bin")) == "404", "nothing visible")


check("multipart_errors", multipart_errors)


def paginate():
    for i in range(25):
        s3.put_object(Bucket=B, Key="p/%02d" % i, Body=b"x")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix="p/", PaginationConfig={"PageSize": 7}):
        keys += [c["Key"] for c in page.get("Contents", [])]
    expect(keys == ["p/%02d" % i for i in range(25)], "exact pagination")
    r = s3.list_objects_v2(Bucket=B, Prefix="p/", StartAfter="p/20")
    expect([c["Key"] for c in r["Contents"]] == ["p/21", "p/22", "p/23", "p/24"], "start-after")
    r = s3.list_objects(Bucket=B, Delimiter="/")
    expect([p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "p/"], "delimiter")


check("list_pagination", paginate)
check("copy_object", lambda: s3.copy_object(Bucket=B, Key="c.bin", CopySource={"Bucket": B, "Key": "a/b.bin"}))
check("delete_objects", lambda: expect(len(s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "c.bin"}, {"Key": "pre.txt"}]})["Deleted"]) == 2))
check("delete_object", lambda: s3.delete_object(Bucket=B, Key="a/b.bin"))
check("bucket_not_empty", lambda: expect(err_code(lambda: s3.delete_bucket(Bucket=B)) == "BucketNotEmpty"))
sys.exit(1 if fails else 0)
