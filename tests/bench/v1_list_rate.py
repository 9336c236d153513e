#!/usr/bin/python3
"""Entries/s of a whole listing through the native /v1 API (pages of 1,000, json.loads each).
Usage: v1_list_rate.py http://HOST:PORT BUCKET"""
import json, sys, time, urllib.request, urllib.parse
ep, bucket = sys.argv[1], sys.argv[2]
token, n, t = "", 0, time.time()
while True:
    q = {"page_size": "1000"}
    if token: q["continuation_token"] = token
    d = json.loads(urllib.request.urlopen(f"{ep}/v1/buckets/{bucket}?{urllib.parse.urlencode(q)}").read())
    n += len(d["entries"]); token = d["continuation_token"]
    if not token: break
dt = time.time() - t
print(f"/v1 list: {n} entries in {dt:.2f} s: {n/dt:.0f} entries/s")
