#!/usr/bin/env bash
# The native REST API (/v1, docs/api.md) with curl against a real cluster: buckets, objects,
# ranges, listing pages, errors.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

V1=$S3_ENDPOINT/v1
data=$WORK/data.bin
head -c 3000000 /dev/urandom >"$data"

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

check "health" bash -c "curl -sf $V1/health | grep -q ok"
check "daemon info" bash -c "curl -sf $V1/daemon | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"id\"]'"
check "cluster map lists 4 nodes" bash -c "curl -sf $V1/cluster | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d[\"smap\"][\"nodes\"])==4, d'"
check "create bucket" test "$(status -X PUT "$V1/buckets/nat")" = 200
check "create again is a conflict" test "$(status -X PUT "$V1/buckets/nat")" = 409
check "bad bucket name is 400" test "$(status -X PUT "$V1/buckets/Bad_Name")" = 400
check "bucket list has it" bash -c "curl -sf $V1/buckets | grep -q '\"nat\"'"
check "put object" bash -c "curl -sf -X PUT --data-binary @$data $V1/objects/nat/dir/big.bin | grep -q '\"size\":3000000'"
check "get object byte-exact" bash -c "curl -sf $V1/objects/nat/dir/big.bin | cmp - $data"
check "range get" bash -c "curl -sf -r 100-199 $V1/objects/nat/dir/big.bin | cmp - <(tail -c +101 $data | head -c 100)"
check "range past the end is 416" test "$(status -r 5000000-5000010 "$V1/objects/nat/dir/big.bin")" = 416
check "head has length" bash -c "curl -sfI $V1/objects/nat/dir/big.bin | grep -qi '^content-length: 3000000'"
# The checksum header is the xxhash64 in hex, the same value the CLI prints.
cli_ck=$("$AIS_BUILD_DIR/tools/ais" object head ais://nat/dir/big.bin --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["checksum"])')
check "checksum header is the CLI's hex xxhash64" bash -c "curl -sfI $V1/objects/nat/dir/big.bin | tr -d '\r' | grep -qix 'ais-checksum-value: ${cli_ck##*:}'"
# What the client asserts about a PUT's body is checked; a mismatch stores nothing.
xxh=$(curl -sfI $V1/objects/nat/dir/big.bin | tr -d '\r' | sed -n 's/^ais-checksum-value: //Ip')
check "put with the right ais-checksum (xxhash)" test "$(status -X PUT -H "ais-checksum-type: xxhash" -H "ais-checksum-value: $xxh" --data-binary @"$data" "$V1/objects/nat/ck/good")" = 200
check "put with the right ais-checksum (md5)" test "$(status -X PUT -H "ais-checksum-type: md5" -H "ais-checksum-value: $(md5sum <"$data" | cut -d' ' -f1)" --data-binary @"$data" "$V1/objects/nat/ck/md5")" = 200
check "put with a wrong ais-checksum is 400" test "$(status -X PUT -H "ais-checksum-type: xxhash" -H "ais-checksum-value: 0123456789abcdef" --data-binary @"$data" "$V1/objects/nat/ck/bad")" = 400
check "put with a wrong Content-MD5 is 400" test "$(status -X PUT -H "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==" --data-binary @"$data" "$V1/objects/nat/ck/badmd5")" = 400
check "a refused put stores nothing" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -I $V1/objects/nat/ck/bad)\" = 404 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -I $V1/objects/nat/ck/badmd5)\" = 404 ]"
check "unknown ais-checksum-type is 400" test "$(status -X PUT -H "ais-checksum-type: md7" -H "ais-checksum-value: 00" --data-binary x "$V1/objects/nat/ck/x")" = 400
check "checksum type header" bash -c "curl -sfI $V1/objects/nat/dir/big.bin | tr -d '\r' | grep -qix 'ais-checksum-type: xxhash64'"
# An md5 bucket (checksum.type=md5): the headers carry the content's MD5, and S3 clients get it
# as the ETag of an object stored through the native API.
"$AIS_BUILD_DIR/tools/ais" bucket create ais://natmd5 >/dev/null
check "md5 bucket prop" "$AIS_BUILD_DIR/tools/ais" bucket props set ais://natmd5 checksum.type=md5
curl -sf -X PUT --data-binary @"$data" "$V1/objects/natmd5/m.bin" >/dev/null
md5=$(md5sum <"$data" | cut -d' ' -f1)
check "md5 checksum header" bash -c "curl -sfI $V1/objects/natmd5/m.bin | tr -d '\r' | grep -qix 'ais-checksum-value: $md5'"
check "md5 bucket ETag is the MD5" bash -c "curl -sfI $S3_ENDPOINT/natmd5/m.bin | tr -d '\r' | grep -qix 'etag: \"$md5\"'"
check "missing object is 404" test "$(status "$V1/objects/nat/nope")" = 404
check "missing bucket is 404" test "$(status "$V1/objects/nobucket/x")" = 404
for i in $(seq 1 25); do curl -sf -X PUT --data-binary "v$i" "$V1/objects/nat/p/o$i" >/dev/null; done
check "listing pages walk every object once" /usr/bin/python3 - "$V1" <<'PY'
import json, sys, urllib.request
v1 = sys.argv[1]
token, names = "", []
for _ in range(20):
    q = f"{v1}/buckets/nat?prefix=p/&page_size=10" + (f"&continuation_token={token}" if token else "")
    page = json.load(urllib.request.urlopen(q))
    names += [e["name"] for e in page["entries"]]
    token = page.get("continuation_token", "")
    if not token:
        break
assert sorted(names) == sorted(f"p/o{i}" for i in range(1, 26)), names
assert len(names) == 25
PY
check "delimiter rolls up prefixes" bash -c "curl -sf '$V1/buckets/nat?delimiter=/' | grep -q '\"p/\"'"
check "a scrub job starts, runs and is listed" /usr/bin/python3 - "$V1" <<'PY'
import json, sys, time, urllib.request
v1 = sys.argv[1]
def call(method, path):
    req = urllib.request.Request(v1 + path, method=method)
    return json.load(urllib.request.urlopen(req))
job = call("POST", "/jobs?kind=validate&bucket=nat")["id"]
assert job.startswith("validate-"), job
for _ in range(100):
    d = call("GET", "/jobs/" + job)
    if d["jobs"][0]["state"] != "running":
        break
    time.sleep(0.1)
j = d["jobs"][0]
assert j["state"] == "finished" and j["kind"] == "validate" and j["bucket"] == "nat", j
assert j["objects"] == 28 and j["errors"] == 0 and len(j["parts"]) == 3, j
assert job not in [x["id"] for x in call("GET", "/jobs")["jobs"]]  # running only
assert job in [x["id"] for x in call("GET", "/jobs?all=true")["jobs"]]
PY
check "stopping a job that is not running is 404" test "$(status -X DELETE "$V1/jobs?kind=validate")" = 404
check "an unknown job is 404" test "$(status "$V1/jobs/validate-nosuch00")" = 404
check "a scrub of a missing bucket is 404" test "$(status -X POST "$V1/jobs?kind=validate&bucket=nobucket")" = 404
check "an unknown job kind is 400" test "$(status -X POST "$V1/jobs?kind=defrag")" = 400
check "non-empty bucket delete is 409" test "$(status -X DELETE "$V1/buckets/nat")" = 409
check "delete object" test "$(status -X DELETE "$V1/objects/nat/dir/big.bin")" = 200
check "deleted object is 404" test "$(status "$V1/objects/nat/dir/big.bin")" = 404
check "forced bucket delete" test "$(status -X DELETE "$V1/buckets/nat?force=true")" = 200
check "bucket is gone" test "$(status "$V1/objects/nat/p/o1")" = 404
# Membership with AIStore's action message: a target into maintenance and back.
check "maintenance through /v1/cluster" /usr/bin/python3 - "$V1" <<'PY'
import json, sys, urllib.request
v1 = sys.argv[1]
def call(body):
    req = urllib.request.Request(v1 + "/cluster", data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
def node(nid):
    nodes = json.load(urllib.request.urlopen(v1 + "/cluster"))["smap"]["nodes"]
    return [n for n in nodes if n["id"] == nid and n["role"] == "target"][0]
t = [n["id"] for n in json.load(urllib.request.urlopen(v1 + "/cluster"))["smap"]["nodes"]
     if n["role"] == "target"][0]
v = call({"action": "start-maintenance", "value": {"sid": t}})["smap_version"]
assert v > 0 and node(t)["maintenance"] and not node(t)["decommissioning"], node(t)
v2 = call({"action": "stop-maintenance", "value": {"sid": t}})["smap_version"]
assert v2 > v and not node(t)["maintenance"], node(t)
PY
check "cluster action: unknown action is 400" test "$(status -X PUT --data '{"action":"defrag","value":{"sid":"t1"}}' "$V1/cluster")" = 400
check "cluster action: no sid is 400" test "$(status -X PUT --data '{"action":"start-maintenance"}' "$V1/cluster")" = 400
check "cluster action: malformed JSON is 400" test "$(status -X PUT --data '{"action":' "$V1/cluster")" = 400
check "cluster action: bad rm_user_data is 400" test "$(status -X PUT --data '{"action":"decommission-node","value":{"sid":"t1","rm_user_data":"yes"}}' "$V1/cluster")" = 400
check "cluster action: unknown node is 404" test "$(status -X PUT --data '{"action":"start-maintenance","value":{"sid":"t99"}}' "$V1/cluster")" = 404
check "cluster: DELETE is refused" test "$(status -X DELETE "$V1/cluster")" = 400
finish
