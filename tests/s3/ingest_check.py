#!/usr/bin/python3
"""Small-object ingest checks through the S3 API (boto3, 16 threads).
  ingest_check.py put BUCKET PREFIX SRCDIR        PUT every file under SRCDIR as PREFIX<relpath>
  ingest_check.py verify BUCKET PREFIX SRCDIR [--failed FILE] [--partial]
      lists PREFIX (ListObjectsV2, every page) and GETs every object: the listing must hold exactly
      the files (name and size) and every object the file's bytes. --failed FILE: paths a writer
      reported as not stored, which may be missing; with --partial any file may be missing (but
      what is there must be whole). Prints one summary line; exit 1 on any mismatch.
  ingest_check.py pages BUCKET COUNT
      walks the whole bucket page by page: ListObjectsV2 in pages of 1,000 and of 777 (token) and
      ListObjects v1 (marker); each walk must give COUNT keys in strictly increasing order (none
      twice, none missing) and all walks the same keys."""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

ep = os.environ["S3_ENDPOINT"]
s3 = boto3.client("s3", endpoint_url=ep, aws_access_key_id=os.environ.get("AK", "test"),
                  aws_secret_access_key=os.environ.get("SK", "test"), region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                max_pool_connections=32, retries={"max_attempts": 3}))


def files_under(src):
    out = {}
    for root, _, names in os.walk(src):
        for n in names:
            path = os.path.join(root, n)
            out[os.path.relpath(path, src)] = path
    return out


def put(bucket, prefix, src):
    files = files_under(src)

    def one(item):
        rel, path = item
        with open(path, "rb") as f:
            s3.put_object(Bucket=bucket, Key=prefix + rel, Body=f.read())
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, files.items()))
    print("put %d objects" % len(files))
    return 0


def verify(bucket, prefix, src, failed_file=None, partial=False):
    files = files_under(src)
    may_miss = set()
    if failed_file:
        with open(failed_file) as f:
            for line in f:
                path = line.strip()
                if path:
                    may_miss.add(os.path.relpath(path, src))
    listed = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            listed[o["Key"][len(prefix):]] = o["Size"]
    problems = []
    for rel in listed:
        if rel not in files:
            problems.append("unexpected object " + rel)
    for rel, path in files.items():
        if rel not in listed:
            if not partial and rel not in may_miss:
                problems.append("missing " + rel)
        elif listed[rel] != os.path.getsize(path):
            problems.append("size of %s: %d listed, %d file" % (rel, listed[rel], os.path.getsize(path)))

    def one(rel):
        with open(files[rel], "rb") as f:
            want = f.read()
        got = s3.get_object(Bucket=bucket, Key=prefix + rel)["Body"].read()
        return None if got == want else "bytes of " + rel
    with ThreadPoolExecutor(16) as pool:
        problems += [p for p in pool.map(one, [r for r in listed if r in files]) if p]
    print("verify %s: %d files, %d listed, %d may be missing, %d problems%s" %
          (prefix, len(files), len(listed), len(may_miss), len(problems),
           (": " + "; ".join(problems[:5])) if problems else ""))
    return 1 if problems else 0


def pages(bucket, count):
    walks = {}
    for name, page_size in (("v2/1000", 1000), ("v2/777", 777)):
        keys, n = [], 0
        for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, PaginationConfig={"PageSize": page_size}):
            keys += [o["Key"] for o in page.get("Contents", [])]
            n += 1
        walks[name] = (keys, n)
    keys, n, marker = [], 0, ""
    while True:
        r = s3.list_objects(Bucket=bucket, Marker=marker, MaxKeys=1000)
        got = [o["Key"] for o in r.get("Contents", [])]
        keys += got
        n += 1
        if not r["IsTruncated"]:
            break
        marker = got[-1]
    walks["v1/1000"] = (keys, n)
    problems = []
    ref = walks["v2/1000"][0]
    for name, (keys, n) in walks.items():
        if len(keys) != count:
            problems.append("%s: %d keys, not %d" % (name, len(keys), count))
        bad = [i for i in range(1, len(keys)) if keys[i - 1] >= keys[i]]
        if bad:
            problems.append("%s: out of order or repeated at %d (%r, %r)" %
                            (name, bad[0], keys[bad[0] - 1], keys[bad[0]]))
        if keys != ref:
            problems.append("%s differs from v2/1000" % name)
    print("pages of %s: %s; %d problems%s" % (
        bucket, ", ".join("%s %d keys in %d pages" % (k, len(v[0]), v[1]) for k, v in walks.items()),
        len(problems), (": " + "; ".join(problems[:5])) if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "pages":
        sys.exit(pages(sys.argv[2], int(sys.argv[3])))
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "put":
        sys.exit(put(a[1], a[2], a[3]))
    if len(a) >= 4 and a[0] == "verify":
        failed = a[a.index("--failed") + 1] if "--failed" in a else None
        sys.exit(verify(a[1], a[2], a[3], failed, "--partial" in a))
    print(__doc__)
    sys.exit(2)
