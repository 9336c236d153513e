#!/usr/bin/env bash
# AIStore's /v1/cluster and /v1/daemon shapes (its http_api document; docs/api.md) against a real
# cluster with a plain HTTP client: ?what=config|bmd|snode|stats|sysinfo|mountpaths, the cluster
# config changed at run time (set-config as an action message and as a query, `ais config
# cluster KEY=VALUE`) and pushed to every node, kept across a restart; jobs through /v1/cluster
# (start, what=status|status_all|qryxstats, stop); the bucket actions that start jobs
# (make-n-copies, ec-encode) and reset-bprops; the object headers AIStore's clients read.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

# Every node's gateway, for the checks that a change reached each of them.
GATEWAYS=""
while read -r id _; do GATEWAYS+="$id=$(node_gw "$id") "; done <"$AIS_DEV_DIR/cluster"

$PY - "$(dirname "$0")" "$S3_ENDPOINT" "$AIS_BIN" "$GATEWAYS" <<'PY' || FAILS=$((FAILS + 1))
import json, os, subprocess, sys, time, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import check
import s3checks

gw = sys.argv[2]
ais = sys.argv[3]
gateways = dict(kv.split("=", 1) for kv in sys.argv[4].split())

def call(method, path, msg=None, body=None, base=None, hdrs=None):
    return s3checks.native(urllib.parse.urlsplit(base or gw), method, path, msg, body, hdrs)

def cli(*args):
    return subprocess.run([ais, *args], capture_output=True, text=True, timeout=120)

def cli_json(*args):
    out = cli(*args, "--json")
    return json.loads(out.stdout) if out.returncode == 0 else None

def wait_job(job_id, timeout=90):
    """Polls what=status until the job ends; its last status."""
    deadline = time.time() + timeout
    doc = None
    while time.time() < deadline:
        st, doc, _ = call("GET", "/v1/cluster?what=status", {"ID": job_id})
        if st == 200 and doc.get("end_time", 0) != 0:
            return doc
        time.sleep(0.3)
    return doc

# ---- the cluster config: read ----
st, cfg0, _ = call("GET", "/v1/cluster?what=config")
check("what=config: nested keys, version as a string", st == 200 and
      isinstance(cfg0.get("version"), str) and int(cfg0["version"]) >= 1 and
      cfg0.get("keepalive", {}).get("interval_ms", 0) > 0 and
      "chunk_bytes" in cfg0.get("fabric", {}) and "down_grace_ms" in cfg0.get("membership", {}),
      (st, cfg0))
v0 = int(cfg0["version"])

# ---- set-config: the action message, one key ----
st, doc, _ = call("PUT", "/v1/cluster", {"action": "set-config", "name": "keepalive.interval_ms",
                                         "value": "500ms"})
check("set-config {name, value}: 200, the new config", st == 200 and
      doc["keepalive"]["interval_ms"] == 500 and int(doc["version"]) == v0 + 1, (st, doc))
# ---- set-config: the query form, several keys at once ----
st, doc, _ = call("PUT", "/v1/cluster/set-config?keepalive.timeout_ms=8s&membership.down_grace_ms=90000")
check("PUT /v1/cluster/set-config?K=V&K=V: both keys, one version", st == 200 and
      doc["keepalive"]["timeout_ms"] == 8000 and doc["membership"]["down_grace_ms"] == 90000 and
      int(doc["version"]) == v0 + 2, (st, doc))
# ---- the value object form, nested ----
st, doc, _ = call("PUT", "/v1/cluster", {"action": "set-config",
                                         "value": {"fabric": {"chunk_bytes": "256KiB"}}})
check("set-config {value: {fabric: {chunk_bytes}}}", st == 200 and
      doc["fabric"]["chunk_bytes"] == 262144, (st, doc))
# ---- every node took it ----
seen = {}
deadline = time.time() + 10
while time.time() < deadline:
    seen = {}
    for node, base in gateways.items():
        st, doc, _ = call("GET", "/v1/daemon?what=config", base=base)
        seen[node] = (st, doc and doc.get("keepalive", {}).get("interval_ms"),
                      doc and doc.get("fabric", {}).get("chunk_bytes"))
    if all(v == (200, 500, 262144) for v in seen.values()):
        break
    time.sleep(0.3)
check("every node serves the new config (what=config on each gateway)", len(seen) == 4 and
      all(v == (200, 500, 262144) for v in seen.values()), seen)

# ---- bad changes: refused, named, nothing changed ----
_, before, _ = call("GET", "/v1/cluster?what=config")
for name, msg, word in [
        ("an unknown key", {"action": "set-config", "name": "stats_time", "value": "1s"}, "stats_time"),
        ("a value out of bounds", {"action": "set-config", "name": "keepalive.interval_ms", "value": "5"}, "interval_ms"),
        ("junk", {"action": "set-config", "name": "fabric.chunk_bytes", "value": "lots"}, "chunk_bytes"),
        ("a timeout under twice the interval", {"action": "set-config", "value": {"keepalive.timeout_ms": 600}}, "twice"),
        ("no key", {"action": "set-config"}, "no key")]:
    st, doc, _ = call("PUT", "/v1/cluster", msg)
    check("set-config with %s: 400 naming it" % name, st == 400 and word in doc.get("message", ""), (st, doc))
_, after, _ = call("GET", "/v1/cluster?what=config")
check("refused changes changed nothing", after == before, (before, after))
st, doc, _ = call("PUT", "/v1/daemon/set-config?keepalive.interval_ms=700")
check("a node's own config: 400 pointing at the cluster's", st == 400 and "cluster" in doc["message"], (st, doc))

# ---- the CLI: ais config cluster KEY=VALUE, KEY ----
out = cli("config", "cluster", "fabric.inline_max_bytes=64KiB", "keepalive.interval_ms=400")
check("ais config cluster K=V K=V", out.returncode == 0 and "updated" in out.stdout, out)
shown = cli_json("config", "cluster", "fabric")
check("ais config cluster fabric (keys under it)", shown == {"fabric.inline_max_bytes": 65536,
      "fabric.chunk_bytes": 262144}, shown)
out = cli("config", "cluster", "keepalive.interval_ms", "300")
shown = cli_json("config", "cluster", "keepalive.interval_ms")
check("ais config cluster KEY VALUE (AIStore's form)", out.returncode == 0 and
      shown == {"keepalive.interval_ms": 300}, (out, shown))
out = cli("config", "cluster", "keepalive.bogus=1")
check("ais config cluster with an unknown key: fails, named", out.returncode != 0 and
      "keepalive.bogus" in out.stderr, out)
out = cli("show", "config", "keepalive.interval_ms=100")
check("ais show config does not set", out.returncode != 0 and "ais config cluster" in out.stderr, out)
target = sorted(k for k in gateways if k.startswith("t"))[0]
node = cli_json("config", "node", target) or {}
check("ais config node T: identity, mountpaths and the cluster config", node.get("node.id") == target and
      node.get("node.role") == "target" and node.get("node.mountpaths") and
      node.get("keepalive.interval_ms") == 300, node)
out = cli("config", "node", target, "keepalive.interval_ms=100")
check("ais config node T K=V: refused, pointing at the cluster config", out.returncode != 0 and
      "cluster config" in out.stderr, out)

# ---- data moves with the new chunk and inline sizes ----
st, _, _ = call("POST", "/v1/buckets/cfg", {"action": "create-bck"})
blob = os.urandom(3 * 1024 * 1024 + 17)
small = os.urandom(100 * 1024)
call("PUT", "/v1/objects/cfg/big", body=blob)
call("PUT", "/v1/objects/cfg/small", body=small)
okb = all(call("GET", "/v1/objects/cfg/big", base=b)[1] == blob for b in gateways.values())
oks = all(call("GET", "/v1/objects/cfg/small", base=b)[1] == small for b in gateways.values())
check("GETs through every gateway with 256 KiB chunks and 64 KiB inline replies", okb and oks, (okb, oks))

# ---- what=bmd, snode ----
st, bmd, _ = call("GET", "/v1/daemon?what=bmd")
buckets = (bmd or {}).get("providers", {}).get("ais", {}).get("@#", {})
check("what=bmd: AIStore's providers/namespace/buckets", st == 200 and "cfg" in buckets and
      buckets["cfg"].get("provider") == "ais" and int(bmd["version"]) > 0, (st, bmd))
st, me, _ = call("GET", "/v1/daemon")
st2, snode, _ = call("GET", "/v1/daemon?what=snode")
check("what=snode: this node", st2 == 200 and snode["daemon_id"] == me["id"] and
      snode["public_net"]["direct_url"] == gw, (st2, snode, me))
st, doc, _ = call("GET", "/v1/cluster?what=snode")
check("what=snode of the cluster: 400", st == 400, (st, doc))

# ---- what=stats, sysinfo, mountpaths ----
st, stats, _ = call("GET", "/v1/cluster?what=stats")
tstats = (stats or {}).get("target", {})
check("what=stats (cluster): every target with capacity and objects", st == 200 and
      len(tstats) == 3 and all(t["capacity"]["total"] > 0 for t in tstats.values()) and
      sum(t["objects"] for t in tstats.values()) >= 2 and len(stats["proxy"]) == 1, (st, stats))
owner = cli_json("object", "show", "ais://cfg/big") or {}
tgw = gateways.get(owner.get("target", ""), gw)
st, mine, _ = call("GET", "/v1/daemon?what=stats", base=tgw)
puts = mine.get("tracker", {}).get('ais_target_put_count{bucket="cfg"}', {}).get("value", 0) if mine else 0
check("what=stats (the owner target): its /metrics counters in tracker", st == 200 and
      mine["snode"]["daemon_id"] == owner.get("target") and puts >= 1, (st, owner, puts))
st, si, _ = call("GET", "/v1/cluster?what=sysinfo")
check("what=sysinfo: cpus, memory, capacity per node", st == 200 and len(si["target"]) == 3 and
      all(n["cpus"] >= 1 and n["mem_total"] > 0 and n["mem_used"] > 0 for n in list(si["target"].values()) + list(si["proxy"].values())) and
      all("capacity_avail" in n for n in si["target"].values()), (st, si))
st, mine_si, _ = call("GET", "/v1/daemon?what=sysinfo", base=tgw)
check("what=sysinfo of one node: that node only", st == 200 and not mine_si["proxy"] and
      list(mine_si["target"]) == [owner.get("target")], (st, mine_si))
st, mp, _ = call("GET", "/v1/cluster?what=mountpaths")
check("what=mountpaths: every target's", st == 200 and len(mp["targets"]) == 3 and
      all(m["available"] for m in mp["targets"].values()), (st, mp))

# ---- object headers ----
call("PUT", "/cfg/meta", body=b"m" * 10, hdrs={"x-amz-meta-color": "blue"})  # (S3: custom metadata)
st, _, r = call("HEAD", "/v1/objects/cfg/meta")
shown = cli_json("object", "show", "ais://cfg/meta") or {}
check("HEAD: ais-atime, ais-location, ais-present, Last-Modified, Content-Length", st == 200 and
      (r.getheader("ais-atime") or "").isdigit() and r.getheader("ais-present") == "true" and
      r.getheader("ais-location") == "t[%s]" % shown.get("target") and r.getheader("Last-Modified") and
      r.getheader("Content-Length") == "10" and r.getheader("ais-version") == "1" and
      "color=blue" in (r.getheader("ais-custom-md") or ""),
      (st, dict(r.getheaders()), shown))

# ---- jobs through /v1/cluster ----
st, job, r = call("PUT", "/v1/cluster", {"action": "start", "value": {"Kind": "validate",
                                         "Bck": {"name": "cfg", "provider": "ais"}}})
job = job.decode() if isinstance(job, bytes) else str(job)
check("start validate: the job id as text", st == 200 and job.startswith("validate-"), (st, job))
status = wait_job(job)
check("what=status: AIStore's nl.Status until it ends", status and status["uuid"] == job and
      status["end_time"] > 0 and status["err"] == "" and status["aborted"] is False, status)
st, snaps, _ = call("GET", "/v1/cluster?what=qryxstats", {"ID": job})
objs = sum(s["stats"]["objects"] for v in (snaps or {}).values() for s in v)
check("what=qryxstats: per-target snapshots that count the objects", st == 200 and len(snaps) == 3 and
      objs == 3 and all(s["is_idle"] and s["end_time"] != "0001-01-01T00:00:00Z" for v in snaps.values() for s in v),
      (st, snaps))
st, alls, _ = call("GET", "/v1/cluster?what=status_all&kind=validate")
check("what=status_all&kind=validate lists it", st == 200 and any(s["uuid"] == job for s in alls), (st, alls))
st, running, _ = call("GET", "/v1/cluster?what=running_all")
check("what=running_all: not the ended one", st == 200 and not any(s["uuid"] == job for s in running), (st, running))
st, doc, _ = call("GET", "/v1/cluster?what=status", {"ID": "validate-nosuchjob"})
check("what=status of an unknown job: 404", st == 404, (st, doc))
st, doc, _ = call("PUT", "/v1/cluster", {"action": "stop", "value": {"ID": "validate-nosuchjob"}})
check("stop an unknown job: 404", st == 404, (st, doc))
st, doc, _ = call("PUT", "/v1/cluster", {"action": "start", "value": {"Kind": "lru"}})
check("start a kind not served: 400 naming the kinds", st == 400 and "validate" in doc["message"], (st, doc))
st, doc, _ = call("PUT", "/v1/cluster", {"action": "shutdown"})
check("an unsupported cluster action: 400 naming the supported ones", st == 400 and
      "set-config" in doc["message"], (st, doc))

# ---- bucket actions that start jobs ----
st, job, _ = call("POST", "/v1/buckets/cfg", {"action": "make-n-copies", "value": 2})
job = job.decode() if isinstance(job, bytes) else str(job)
status = wait_job(job) if st == 200 and job else None
props = cli_json("bucket", "props", "show", "ais://cfg") or {}
check("make-n-copies 2: its job ends, mirror.copies is 2", st == 200 and job.startswith("make-n-copies-") and
      status and status["err"] == "" and props.get("mirror", {}).get("copies") == 2, (st, job, status, props))
st, doc, _ = call("POST", "/v1/buckets/cfg", {"action": "make-n-copies", "value": 0})
check("make-n-copies 0: 400", st == 400, (st, doc))
call("POST", "/v1/buckets/ec1", {"action": "create-bck"})
for i in range(4):
    call("PUT", "/v1/objects/ec1/o%d" % i, body=os.urandom(300 * 1024))
st, job, _ = call("POST", "/v1/buckets/ec1", {"action": "ec-encode", "value": {"data_slices": 1, "parity_slices": 1}})
job = job.decode() if isinstance(job, bytes) else str(job)
status = wait_job(job) if st == 200 and job else None
props = cli_json("bucket", "props", "show", "ais://ec1") or {}
check("ec-encode 1+1: its job ends, EC on", st == 200 and job.startswith("ec-encode") and status and
      status["err"] == "" and props.get("ec", {}).get("enabled") is True and
      props["ec"].get("data_slices", props["ec"].get("data")) == 1, (st, job, status, props))

# ---- reset-bprops ----
call("POST", "/v1/buckets/rst", {"action": "create-bck"})
call("PATCH", "/v1/buckets/rst", {"action": "set-bprops", "value": {"checksum": {"type": "md5"}, "versioning": {"enabled": False}}})
st, doc, _ = call("PATCH", "/v1/buckets/rst", {"action": "reset-bprops"})
st2, _, r = call("HEAD", "/v1/buckets/rst")
hp = json.loads(r.getheader("Ais-Bucket-Props") or "{}")
check("reset-bprops: back to a new bucket's props", st == 200 and hp.get("checksum", {}).get("type") == "xxhash" and
      hp.get("versioning", {}).get("enabled") is True, (st, doc, hp))
st, doc, _ = call("DELETE", "/v1/buckets/rst", {"action": "evict-remote-bck"})
check("evict-remote-bck: 400, there are no remote buckets", st == 400 and "remote" in doc["message"], (st, doc))
# ---- copy-bck and move-bck: jobs with a part on every target ----
call("POST", "/v1/buckets/cps", {"action": "create-bck"})
data = {}
for i in range(24):
    name = ("keep/" if i % 3 else "skip/") + "o%02d" % i
    data[name] = os.urandom(1000 + 997 * i)
    call("PUT", "/v1/objects/cps/" + name, body=data[name])
kept = sorted(n for n in data if n.startswith("keep/"))
st, job, _ = call("POST", "/v1/buckets/cps?bck_to=ais/@%23/cpd/", {"action": "copy-bck", "value": {"prefix": "keep/", "dry_run": True}})
job = job.decode() if isinstance(job, bytes) else str(job)
status = wait_job(job) if st == 200 else None
st2, _, _ = call("HEAD", "/v1/buckets/cpd")
st3, snaps, _ = call("GET", "/v1/cluster?what=qryxstats", {"ID": job})
counted = sum(x["stats"]["objects"] for v in (snaps or {}).values() for x in v)
check("copy-bck dry_run: counts the prefix's objects, copies nothing", st == 200 and status and
      status["err"] == "" and st2 == 404 and counted == len(kept), (st, job, status, st2, counted))
st, job, _ = call("POST", "/v1/buckets/cps?bck_to=ais/@%23/cpd/", {"action": "copy-bck", "value": {"prefix": "keep/"}})
job = job.decode() if isinstance(job, bytes) else str(job)
status = wait_job(job) if st == 200 else None
st2, doc, _ = call("GET", "/v1/buckets/cpd", {"action": "list"})
got = sorted(e["name"] for e in (doc or {}).get("entries", []))
same = all(call("GET", "/v1/objects/cpd/" + n)[1] == data[n] for n in kept)
check("copy-bck with a prefix: those objects, byte for byte, in a new bucket", st == 200 and
      job.startswith("copy-bck-") and status and status["err"] == "" and got == kept and same,
      (st, job, status, got, same))
st, job, _ = call("POST", "/v1/buckets/cps?bck_to=mvd", {"action": "move-bck"})
job = job.decode() if isinstance(job, bytes) else str(job)
status = wait_job(job) if st == 200 else None
deadline = time.time() + 20
while time.time() < deadline and call("HEAD", "/v1/buckets/cps")[0] != 404:
    time.sleep(0.3)
st2, doc, _ = call("GET", "/v1/buckets/mvd", {"action": "list"})
got = sorted(e["name"] for e in (doc or {}).get("entries", []))
same = all(call("GET", "/v1/objects/mvd/" + n)[1] == data[n] for n in data)
check("move-bck: every object under the new name, the old bucket gone", st == 200 and status and
      status["err"] == "" and got == sorted(data) and same and call("HEAD", "/v1/buckets/cps")[0] == 404,
      (st, job, status, got[:3], same))
st, doc, _ = call("POST", "/v1/buckets/mvd?bck_to=cpd", {"action": "move-bck"})
check("move-bck onto an existing bucket: 409, nothing moved", st == 409 and
      call("HEAD", "/v1/buckets/mvd")[0] == 200, (st, doc))
st, doc, _ = call("POST", "/v1/buckets/mvd", {"action": "copy-bck"})
check("copy-bck without a destination: 400", st == 400 and "bck_to" in doc["message"], (st, doc))
st, doc, _ = call("POST", "/v1/buckets/mvd?bck_to=mvd", {"action": "copy-bck"})
check("copy-bck onto itself: 400", st == 400, (st, doc))

# ---- promote: files on the targets' file system become objects (one host: a shared dir) ----
import tempfile
src = tempfile.mkdtemp(prefix="ais-promote-")
files = {"a": b"alpha" * 100, "b": b"beta", "sub/c": os.urandom(70000)}
for rel, b in files.items():
    os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
    open(os.path.join(src, rel), "wb").write(b)
call("POST", "/v1/buckets/prm", {"action": "create-bck"})
st, job, _ = call("POST", "/v1/buckets/prm", {"action": "promote", "name": src,
                                              "value": {"obj": "in/", "rcr": True}})
job = job.decode() if isinstance(job, bytes) else str(job)
status = wait_job(job) if st == 200 else None
st2, doc, _ = call("GET", "/v1/buckets/prm", {"action": "list"})
got = sorted(e["name"] for e in (doc or {}).get("entries", []))
same = all(call("GET", "/v1/objects/prm/in/" + r)[1] == b for r, b in files.items())
check("promote a directory recursively: each file once, byte for byte", st == 200 and
      job.startswith("promote-") and status and status["err"] == "" and
      got == ["in/a", "in/b", "in/sub/c"] and same, (st, job, status, got, same))
open(os.path.join(src, "a"), "wb").write(b"changed")
st, job, _ = call("POST", "/v1/buckets/prm", {"action": "promote", "name": src, "value": {"obj": "in/"}})
wait_job(job.decode() if isinstance(job, bytes) else str(job))
kept = call("GET", "/v1/objects/prm/in/a")[1] == files["a"]
st, job, _ = call("POST", "/v1/buckets/prm", {"action": "promote", "name": src, "value": {"obj": "in/", "ovw": True, "dls": True}})
wait_job(job.decode() if isinstance(job, bytes) else str(job))
replaced = call("GET", "/v1/objects/prm/in/a")[1] == b"changed"
check("promote: existing objects kept unless ovw; dls removes the promoted files", kept and replaced and
      not os.path.exists(os.path.join(src, "a")) and os.path.exists(os.path.join(src, "sub/c")),
      (kept, replaced, os.listdir(src)))
st, doc, _ = call("POST", "/v1/buckets/prm", {"action": "promote", "name": "relative/dir"})
check("promote of a relative path: 400", st == 400 and "absolute" in doc["message"], (st, doc))
st, doc, _ = call("POST", "/v1/buckets/prm", {"action": "promote", "name": src + "/nope"})
check("promote of a missing path: 400 naming it", st == 400 and "nope" in doc["message"], (st, doc))
st, doc, _ = call("POST", "/v1/buckets/prm", {"action": "promote", "name": os.environ.get("AIS_DEV_DIR", "/nonexistent")})
check("promote of a directory holding the store's mountpaths: 400", st == 400 and
      "mountpath" in doc["message"], (st, doc))
import shutil
shutil.rmtree(src, ignore_errors=True)
sys.exit(1 if s3checks.fails else 0)
PY

# The config is kept: a target restarted on its data still runs with what was set.
victim=$(targets | head -n1)
"$DEV" kill "$victim" >/dev/null 2>&1
"$DEV" start "$victim" >/dev/null 2>&1
got=$(curl -s "$(node_gw "$victim")/v1/daemon?what=config")
[[ $got == *'"interval_ms":300'* && $got == *'"chunk_bytes":262144'* ]] &&
  pass "a restarted target keeps the config set at run time" ||
  fail "a restarted target keeps the config set at run time" "$got"
finish
