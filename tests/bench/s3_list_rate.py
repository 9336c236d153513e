#!/usr/bin/python3
"""Entries/s of a whole listing through the S3 gateway (ListObjectsV2, pages of 1,000; counts the
<Key>s, no XML parsing). Usage: s3_list_rate.py http://HOST:PORT BUCKET"""
import re, sys, time, urllib.request, urllib.parse
ep, bucket = sys.argv[1], sys.argv[2]
token, n, pages, t = None, 0, 0, time.time()
while True:
    q = {"list-type": "2", "max-keys": "1000"}
    if token: q["continuation-token"] = token
    body = urllib.request.urlopen(f"{ep}/{bucket}?{urllib.parse.urlencode(q)}").read()
    n += body.count(b"<Key>"); pages += 1
    m = re.search(rb"<NextContinuationToken>(.*?)</NextContinuationToken>", body)
    if not m: break
    token = m.group(1).decode()
dt = time.time() - t
print(f"S3 ListObjectsV2: {n} keys, {pages} pages in {dt:.2f} s: {n/dt:.0f} keys/s")
