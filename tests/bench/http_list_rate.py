#!/usr/bin/python3
"""Entries/s of a whole listing through the HTTP gateway: S3 ListObjectsV2 or the native /v1 API,
pages of 1,000, counting the entries without parsing (--parse: json.loads every /v1 page too).
One kept-alive connection, as awscli, boto3 and the AIS clients use; --conn-per-page opens a new
one per page (urllib's way, the figures recorded before 2026-12-03's second sitting).
--prefix P and --delimiter D (S3 only) list a directory: its common prefixes count as entries.
Usage: http_list_rate.py http://HOST:PORT BUCKET [--api s3|v1] [--parse] [--conn-per-page]
                         [--prefix P] [--delimiter D]"""
import http.client, json, re, sys, time, urllib.parse

ep, bucket = sys.argv[1], sys.argv[2]
api = sys.argv[sys.argv.index("--api") + 1] if "--api" in sys.argv else "s3"
parse, per_page = "--parse" in sys.argv, "--conn-per-page" in sys.argv
opt = lambda name: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else ""
prefix, delimiter = opt("--prefix"), opt("--delimiter")
host = urllib.parse.urlsplit(ep).netloc
conn = None


def fetch(path):
    global conn
    if conn is None or per_page:
        if conn: conn.close()
        conn = http.client.HTTPConnection(host)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200: sys.exit(f"{path}: HTTP {r.status}: {body[:200]!r}")
    return body


token, n, pages, t = "", 0, 0, time.time()
while True:
    if api == "s3":
        q = {"list-type": "2", "max-keys": "1000"}
        if token: q["continuation-token"] = token
        if prefix: q["prefix"] = prefix
        if delimiter: q["delimiter"] = delimiter
        body = fetch(f"/{bucket}?{urllib.parse.urlencode(q)}")
        n += body.count(b"<Key>") + body.count(b"<CommonPrefixes>")
        m = re.search(rb"<NextContinuationToken>(.*?)</NextContinuationToken>", body)
        token = m.group(1).decode() if m else ""
    else:
        if delimiter: sys.exit("--delimiter: S3 only")
        q = {"page_size": "1000"}
        if prefix: q["prefix"] = prefix
        if token: q["continuation_token"] = token
        body = fetch(f"/v1/buckets/{bucket}?{urllib.parse.urlencode(q)}")
        if parse:
            d = json.loads(body)
            n += len(d["entries"])
            token = d["continuation_token"]
        else:
            n += body.count(b'{"name":')
            m = re.search(rb'"continuation_token":"([^"]*)"', body)
            token = m.group(1).decode() if m else ""
    pages += 1
    if not token: break
dt = time.time() - t
what = "S3 ListObjectsV2" if api == "s3" else "/v1 list" + (" (parsed)" if parse else "")
how = "a connection per page" if per_page else "one connection"
print(f"{what}: {n} entries, {pages} pages ({how}) in {dt:.2f} s: {n/dt:.0f} entries/s")
