#!/usr/bin/env bash
# AIStore's shapes of the native API (its http_api document; docs/api.md "AIStore's action
# messages") against a real cluster, with a plain HTTP client (Python's http.client, as curl would
# send them): action messages on /v1/buckets and /v1/objects, list-objects pages, set-bprops and
# the Ais-Bucket-Props header, ?what=smap; what is refused and how.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

$PY - "$(dirname "$0")" "$S3_ENDPOINT" "$AIS_BIN" <<'PY' || FAILS=$((FAILS + 1))
import json, subprocess, sys, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import check
import s3checks

gw = urllib.parse.urlsplit(sys.argv[2])
ais = sys.argv[3]

def call(method, path, msg=None, body=None):
    return s3checks.native(gw, method, path, msg, body)

def cli_json(*args):
    out = subprocess.run([ais, *args, "--json"], capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout) if out.returncode == 0 else None

# ---- buckets ----
st, doc, _ = call("POST", "/v1/buckets/abc", {"action": "create-bck"})
check("create-bck", st == 200, (st, doc))
st, doc, _ = call("GET", "/v1/buckets", {"action": "list"})
check("list buckets: AIStore's array", st == 200 and
      {"name": "abc", "provider": "ais", "namespace": {"uuid": "", "name": ""}} in (doc or []),
      (st, doc))

# ---- objects, and their listing in pages ----
for i in range(5):
    st, _, _ = call("PUT", "/v1/objects/abc/dir1/o%d?provider=ais" % i, body=b"x" * (10 + i))
    check("PUT o%d (?provider=ais)" % i, st == 200, st)
# What this cluster does not do is refused, never done on the ais:// bucket instead.
for what, method, path in [("provider=aws GET", "GET", "/v1/objects/abc/dir1/o1?provider=aws"),
                           ("provider=gcp listing", "GET", "/v1/buckets/abc?provider=gcp"),
                           ("provider=aws PUT", "PUT", "/v1/objects/abc/dir1/o1?provider=aws"),
                           ("a remote namespace", "GET", "/v1/objects/abc/dir1/o1?namespace=%40uuid%23name"),
                           ("an append (appendty)", "PUT", "/v1/objects/abc/dir1/o1?appendty=append&handle="),
                           ("archregx", "GET", "/v1/objects/abc/dir1/o1?archregx=x")]:
    st, doc, _ = call(method, path, body=b"new bytes" if method == "PUT" else None)
    check(what + " is 501", st == 501, (st, doc))
st, body, _ = call("GET", "/v1/objects/abc/dir1/o1?namespace=%40%23")
check("the global namespace (@#) is served", st == 200, st)
st, body, _ = call("GET", "/v1/objects/abc/dir1/o1")
check("and the refused PUTs left the object as it was", st == 200 and body == b"x" * 11, (st, body))
st, doc, _ = call("GET", "/v1/buckets/abc?provider=ais", {"action": "list", "value": {"props": "size"}})
entries = (doc or {}).get("entries") or []
shown = cli_json("object", "show", "ais://abc/dir1/o3") or {}
e3 = [e for e in entries if e["name"] == "dir1/o3"]
check("list-objects: entries as AIStore writes them", st == 200 and len(entries) == 5 and e3 and
      e3[0]["size"] == "13" and e3[0]["checksum"] == shown.get("checksum_value", shown.get("checksum")) and
      e3[0]["version"] == "1" and doc.get("continuation_token") == "" and doc.get("flags") == 0,
      (st, doc, shown))
names, token, pages = [], "", 0
while True:
    st, doc, _ = call("GET", "/v1/buckets/abc",
                      {"action": "list", "value": {"pagesize": 2, "continuation_token": token}})
    if st != 200:
        break
    pages += 1
    names += [e["name"] for e in doc["entries"]]
    token = doc["continuation_token"]
    if not token or pages > 10:
        break
check("list-objects: pages of pagesize, continuation_token", st == 200 and pages == 3 and
      names == ["dir1/o%d" % i for i in range(5)], (st, pages, names))
st, doc, _ = call("GET", "/v1/buckets/abc", {"action": "list", "value": {"prefix": "dir1/o4"}})
check("list-objects: prefix", st == 200 and [e["name"] for e in doc["entries"]] == ["dir1/o4"], doc)

# ---- rename ----
st, doc, _ = call("POST", "/v1/objects/abc/dir1/o0", {"action": "rename", "name": "dir2/moved"})
check("rename", st == 200, (st, doc))
st_old, _, _ = call("GET", "/v1/objects/abc/dir1/o0")
st_new, body, _ = call("GET", "/v1/objects/abc/dir2/moved")
check("rename: the old name is gone, the new one has the bytes", st_old == 404 and
      st_new == 200 and body == b"x" * 10, (st_old, st_new, body))
st, doc, _ = call("POST", "/v1/objects/abc/dir2/moved", {"action": "rename"})
check("rename without a name: 400", st == 400 and "name" in doc["message"], (st, doc))

# ---- props ----
st, doc, _ = call("PATCH", "/v1/buckets/abc", {"action": "set-bprops", "value": {
    "checksum": {"type": "sha256"}, "mirror": {"enabled": True, "copies": 2}}})
check("set-bprops", st == 200, (st, doc))
props = cli_json("bucket", "props", "show", "ais://abc") or {}
check("set-bprops took effect (ais bucket props show)", props.get("checksum") == "sha256" and
      props.get("mirror") == {"enabled": True, "copies": 2}, props)
st, _, r = call("HEAD", "/v1/buckets/abc")
hp = json.loads(r.getheader("Ais-Bucket-Props") or "{}")
check("HEAD: Ais-Bucket-Props in AIStore's JSON", st == 200 and
      hp.get("checksum", {}).get("type") == "sha256" and hp.get("mirror") == {"enabled": True, "copies": 2} and
      hp.get("provider") == "ais", (st, hp))
st, doc, _ = call("PATCH", "/v1/buckets/abc", {"action": "set-bprops", "value": {"mirror": {"copies": 3}, "bogus": 1}})
st2, _, r = call("HEAD", "/v1/buckets/abc")
hp = json.loads(r.getheader("Ais-Bucket-Props") or "{}")
check("set-bprops with an unknown key: 400 naming it, nothing changed", st == 400 and
      "bogus" in doc["message"] and hp.get("mirror", {}).get("copies") == 2, (st, doc, hp))
st, doc, _ = call("PATCH", "/v1/buckets/abc", {"action": "set-bprops", "value": {"checksum": {"type": "crc64"}}})
check("set-bprops with a bad value: 400", st == 400 and "checksum" in doc["message"], (st, doc))

# ---- what is refused ----
st, doc, _ = call("POST", "/v1/buckets/abc", {"action": "etl-bck"})
check("an action not served: 400 naming the supported ones", st == 400 and "create-bck" in doc["message"], (st, doc))
st, doc, _ = call("GET", "/v1/buckets/abc", {"action": "create-bck"})
check("an action with the wrong method: 405", st == 405, (st, doc))
st, doc, _ = call("POST", "/v1/buckets/abc", "{not json")
check("a malformed message: 400", st == 400, (st, doc))
st, doc, _ = call("GET", "/v1/daemon?what=bogus")
check("what=bogus: 400 naming what is served", st == 400 and "smap" in doc["message"], (st, doc))

# ---- ?what=smap ----
cluster = cli_json("show", "cluster") or {}
primary = [cluster.get("primary")]
targets = sorted(n["id"] for n in cluster.get("nodes", []) if n["role"] == "target")
for path in ("/v1/daemon?what=smap", "/v1/cluster?what=smap"):
    st, doc, _ = call("GET", path)
    ok = st == 200 and len(targets) == 3 and sorted(doc["tmap"]) == targets
    ok = ok and doc["proxy_si"]["daemon_id"] == primary[0] and doc["version"] == cluster["smap_version"]
    ok = ok and all(n["daemon_type"] == "target" and n["public_net"]["direct_url"].startswith("http://")
                    for n in doc["tmap"].values()) and doc["version"] > 0 and doc["uuid"]
    check("%s: AIStore's Smap (pmap, tmap, proxy_si)" % path, ok, (st, doc))

# ---- GETs while the object is overwritten: always one version, never an error ----
# (/v1 and S3's ranged GET read the object's HEAD, then that version's bytes: an overwrite
# between the two is read again, not answered with "overwritten while being read".)
import os, threading, time
versions = {b"a" * 100000, b"b" * 120000, b"c" * 90000}
stop, bad, got = time.time() + 3, [], [0]
def overwrite():
    i = 0
    while time.time() < stop:
        call("PUT", "/v1/objects/abc/busy", body=sorted(versions)[i % 3])
        i += 1
def read():
    while time.time() < stop:
        st, doc, _ = call("GET", "/v1/objects/abc/busy")
        got[0] += 1
        if st != 200 or doc not in versions:
            bad.append(("v1", st, doc if st != 200 else len(doc or b"")))
        st, data, _ = s3checks.req(gw, "GET", "/abc/busy", None, {"Range": "bytes=1000-5999"})
        if st != 206 or data not in {v[1000:6000] for v in versions}:
            bad.append(("s3 range", st, data[:200]))
        st, data, _ = s3checks.req(gw, "GET", "/abc/busy", None, {})
        if st != 200 or data not in versions:
            bad.append(("s3 whole", st, data[:200] if st != 200 else len(data)))
def cli_get():  # `ais get` (the fabric): the same promise
    out = "/tmp/ais-api-busy-%d" % os.getpid()
    while time.time() < stop:
        r = subprocess.run([ais, "get", "ais://abc/busy", out], capture_output=True, text=True,
                           timeout=60)
        got[0] += 1
        data = open(out, "rb").read() if r.returncode == 0 else b""
        if r.returncode != 0 or data not in versions:
            bad.append(("ais get", r.returncode, r.stderr[:200] or len(data)))
    if os.path.exists(out):
        os.remove(out)
call("PUT", "/v1/objects/abc/busy", body=b"a" * 100000)
threads = [threading.Thread(target=overwrite), threading.Thread(target=cli_get)] + \
    [threading.Thread(target=read) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
check("GETs during overwrites (/v1, S3 whole and ranged, ais get): each 200 with one version",
      got[0] > 20 and not bad,
      (got[0], bad[:3], len(bad)))

# ---- S3 ListBuckets in pages (max-buckets, continuation-token) and by prefix ----
import re
def bucket_page(query):
    st, data, _ = s3checks.req(gw, "GET", "/?" + query)
    token = re.search(rb"<ContinuationToken>([^<]*)</ContinuationToken>", data)
    return st, [n.decode() for n in re.findall(rb"<Name>([^<]*)</Name>", data)], \
        token and urllib.parse.quote(token.group(1).decode(), safe="")
call("POST", "/v1/buckets/abd", {"action": "create-bck"})
st, every, _ = bucket_page("")
paged, token, pages = [], None, 0
while pages < 50:
    st, names, token = bucket_page("max-buckets=1" + ("&continuation-token=" + token if token else ""))
    pages += 1
    if st != 200 or len(names) > 1:
        break
    paged += names
    if not token:
        break
check("ListBuckets a bucket a page, all of them in order", st == 200 and len(every) >= 2 and
      paged == sorted(every), (st, paged, every))
st, names, _ = bucket_page("prefix=abd")
check("ListBuckets by prefix", st == 200 and names == ["abd"], (st, names))
st, _, _ = bucket_page("max-buckets=0")
check("ListBuckets max-buckets=0: 400", st == 400, st)

# ---- destroy-bck: AIStore's, objects and all ----
st, doc, _ = call("DELETE", "/v1/buckets/abc", {"action": "destroy-bck"})
check("destroy-bck of a bucket with objects", st == 200, (st, doc))
st, doc, _ = call("GET", "/v1/buckets", {"action": "list"})
check("destroyed: no longer listed", st == 200 and not any(b["name"] == "abc" for b in doc), doc)
sys.exit(1 if s3checks.fails else 0)
PY

# A listing with a target down fails (AIStore's reply cannot name it): never a page that silently
# leaves that target's objects out.
curl -sf -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}' "$S3_ENDPOINT/v1/buckets/partial" >/dev/null
for i in $(seq 1 12); do curl -sf -X PUT --data-binary "x$i" "$S3_ENDPOINT/v1/objects/partial/o$i" >/dev/null; done
victim=$(awk '$2 == "target" { t = $1 } END { print t }' "$AIS_DEV_DIR/cluster")
"$DEV" kill "$victim" >/dev/null 2>&1
code=$(curl -s -o "$WORK/partial.json" -w '%{http_code}' -X GET -H 'Content-Type: application/json' \
  -d '{"action":"list"}' "$S3_ENDPOINT/v1/buckets/partial")
[[ $code == 503 ]] && pass "list-objects with a target down: 503, not a short page" ||
  fail "list-objects with a target down: 503, not a short page" "HTTP $code: $(head -c 300 "$WORK/partial.json")"
finish
