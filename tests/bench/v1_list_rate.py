#!/usr/bin/python3
"""Entries/s of a whole listing through the native /v1 API (pages of 1,000; counts the entries,
no JSON parsing, like s3_list_rate.py; --parse: json.loads every page too).
Usage: v1_list_rate.py http://HOST:PORT BUCKET [--parse]"""
import json, re, sys, time, urllib.request, urllib.parse
ep, bucket = sys.argv[1], sys.argv[2]
parse = "--parse" in sys.argv
token, n, t = "", 0, time.time()
while True:
    q = {"page_size": "1000"}
    if token: q["continuation_token"] = token
    body = urllib.request.urlopen(f"{ep}/v1/buckets/{bucket}?{urllib.parse.urlencode(q)}").read()
    if parse:
        d = json.loads(body)
        n += len(d["entries"])
        token = d["continuation_token"]
    else:
        n += body.count(b'{"name":')
        m = re.search(rb'"continuation_token":"([^"]*)"', body)
        token = m.group(1).decode() if m else ""
    if not token: break
dt = time.time() - t
print(f"/v1 list{' (parsed)' if parse else ''}: {n} entries in {dt:.2f} s: {n/dt:.0f} entries/s")
