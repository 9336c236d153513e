#!/usr/bin/env bash
# S3 object versioning across rebalances (1 proxy + 3 targets, one bucket with versioning
# Enabled): 60 keys of 3 versions each (distinct bytes and sizes), 10 of them deleted (a delete
# marker on top), 2 deleted and written again (a marker in the middle) and a marker of a key never
# written. Then a 4th target joins; later the original target holding the most keys is
# decommissioned; then another one, after every key it holds was deleted (16 markers each: it
# holds no current object, only kept versions and markers). After each rebalance the kept
# versions must have moved with their key: the whole ListObjectVersions is the recorded one
# (order, ids, kinds, IsLatest, ETags, sizes, LastModified; in pages, and through targets'
# gateways too), every version reads back by its id byte for byte, every marker answers 405 by
# its id, GET without an id gives the latest bytes or 404 with the marker's headers,
# ListObjectsV2 lists exactly the live keys; on disk each key's current object, kept versions and
# markers are on one target, once, the one the cluster names as its owner; the keys that changed
# target went to the joining one (came from the leaving one), and the leaving target keeps
# nothing. Last, a moved key is overwritten (a new version on top of the moved ones), and a moved
# older version, a moved latest version and a moved delete marker are deleted by id.
# VREB_KEEP=DIR: on a failure the playground (data and logs) is copied to DIR.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster
AIS=$AIS_BUILD_DIR/tools/ais
PY=/usr/bin/python3
export AWS_EC2_METADATA_DISABLED=true
export WORK AIS S3_TESTS_DIR=$REPO/tests/s3

cat >"$WORK/vreb.py" <<'PY'
"""The Python side of versioning_rebalance_test.sh: `vreb.py PHASE ...` (write, verify, final).
State between the phases (the model of every key's versions, where each key's files were) is in
$WORK/vreb-state.json."""
import base64, hashlib, json, os, random, re, subprocess, sys, traceback, urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.environ["S3_TESTS_DIR"])
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
import s3checks
from s3checks import sdk_client, check, req

B = "vreb"
VB = "%v." + B          # where a target keeps the bucket's older versions and markers
SEP = "\x01"            # between a key and a version id in a kept version's name
WORK = os.environ["WORK"]
DEV = os.environ["AIS_DEV_DIR"]
EP = os.environ["S3_ENDPOINT"]
AIS = os.environ["AIS"]
STATE = os.path.join(WORK, "vreb-state.json")
s3 = sdk_client(EP)


def load():
    return json.load(open(STATE))


def save(state):
    tmp = STATE + ".tmp"
    json.dump(state, open(tmp, "w"))
    os.replace(tmp, STATE)


def md5q(b):
    return '"%s"' % hashlib.md5(b).hexdigest()


def b64(b):
    return base64.b64encode(b).decode()


def unb64(s):
    return base64.b64decode(s)


def short(x, n=600):
    s = str(x)
    return s if len(s) <= n else s[:n] + "..."


def section(name, fn, *args):
    """One part of a phase: an exception in it is one FAIL (with its traceback)."""
    print("-- " + name)
    try:
        return fn(*args)
    except Exception as e:
        for line in traceback.format_exc().splitlines()[-8:]:
            print("   | " + line)
        check(name + ": ran to its end", False, "%s: %s" % (type(e).__name__, e))


# --- raw ListObjectVersions (document order, every page) -------------------------------------

def sreq(ep, method, path):
    r = AWSRequest(method=method, url=ep + path, data=b"", headers={})
    S3SigV4Auth(Credentials("x", "y"), "s3", "us-east-1").add_auth(r)
    return req(urllib.parse.urlsplit(ep), method, path, b"", dict(r.headers.items()))


def tag(el):
    return el.tag.split("}")[-1]


def list_versions(ep, max_keys=1000):
    """Every entry of every page, in document order: (Key, VersionId, Kind V|M, IsLatest, ETag,
    Size, LastModified); and the number of pages."""
    out, params, pages = [], {"max-keys": max_keys}, 0
    for _ in range(1000):
        q = "".join("&%s=%s" % (k, urllib.parse.quote(str(v), safe="")) for k, v in params.items())
        st, data, _ = sreq(ep, "GET", "/%s?versions%s" % (B, q))
        if st != 200:
            raise AssertionError("GET /%s?versions%s: %d %s" % (B, q, st, data[:300]))
        pages += 1
        root = ET.fromstring(data)
        meta = {}
        for el in root:
            t = tag(el)
            if t in ("Version", "DeleteMarker"):
                f = {tag(c): (c.text or "") for c in el if tag(c) != "Owner"}
                v = t == "Version"
                out.append((f.get("Key"), f.get("VersionId"), "V" if v else "M", f.get("IsLatest") == "true",
                            f.get("ETag") if v else None, int(f["Size"]) if v and "Size" in f else None,
                            f.get("LastModified")))
            else:
                meta[t] = el.text or ""
        if meta.get("IsTruncated") != "true":
            return out, pages
        params = {"max-keys": max_keys, "key-marker": meta.get("NextKeyMarker", "")}
        if meta.get("NextVersionIdMarker"):
            params["version-id-marker"] = meta["NextVersionIdMarker"]
    raise AssertionError("more than 1000 pages")


def expected_listing(model):
    """The listing the model says: keys ascending, each key's entries newest first, the first one
    the latest."""
    out = []
    for k in sorted(model, key=lambda s: s.encode()):
        for i, e in enumerate(model[k]):
            out.append((k, e["id"], e["kind"], i == 0, e.get("etag"), e.get("size"), e.get("mtime")))
    return out


def listing_diff(want, got):
    """What differs between two listings, key by key (without LastModified)."""
    w, g = {}, {}
    for e in want:
        w.setdefault(e[0], []).append(e[1:6])
    for e in got:
        g.setdefault(e[0], []).append(e[1:6])
    lost_v = lost_m = extra = 0
    notes = []
    for k in sorted(set(w) | set(g)):
        a, b = w.get(k, []), g.get(k, [])
        if a == b:
            continue
        ida, idb = {x[0]: x for x in a}, {x[0]: x for x in b}
        missing = [i for i in ida if i not in idb]
        added = [i for i in idb if i not in ida]
        lost_v += sum(ida[i][1] == "V" for i in missing)
        lost_m += sum(ida[i][1] == "M" for i in missing)
        extra += len(added)
        if missing or added:
            notes.append("%s: missing %s, extra %s" % (
                k, ["%s %s%s" % (ida[i][1], i[:10], " latest" if ida[i][2] else "") for i in missing],
                ["%s %s" % (idb[i][1], i[:10]) for i in added]))
        else:
            notes.append("%s: same ids, other order or fields: want %s got %s" % (
                k, [(x[0][:10], x[1], x[2]) for x in a], [(x[0][:10], x[1], x[2]) for x in b]))
    head = "%d keys differ (%d versions and %d markers missing, %d entries extra; %d vs %d entries): " % (
        len(notes), lost_v, lost_m, extra, len(want), len(got))
    return head + " | ".join(notes[:12])


# --- what the targets hold on disk ------------------------------------------------------------

def disk():
    """{target: {"main": {key}, "kept": {(key, id)}, "odd": [paths]}} of the bucket's object
    files (current objects in B, kept versions and markers in VB) on every target's mountpaths."""
    held = {}
    for t in sorted(os.listdir(DEV)):
        tdir = os.path.join(DEV, t)
        if not (t.startswith("t") and os.path.isdir(tdir)):
            continue
        h = held.setdefault(t, {"main": set(), "kept": set(), "odd": []})
        for mp in sorted(os.listdir(tdir)):
            if not mp.startswith("mp"):
                continue
            for bucket, what in ((B, "main"), (VB, "kept")):
                bdir = os.path.join(tdir, mp, "@ais", bucket)
                hs = os.path.join(bdir, "%hs")
                for root, _, files in os.walk(hs):
                    h["odd"] += [os.path.join(root, f) for f in files]  # (names stored by hash)
                ob = os.path.join(bdir, "%ob")
                for root, _, files in os.walk(ob):
                    for f in files:
                        name = os.path.relpath(os.path.join(root, f), ob)
                        if what == "main":
                            if name in h["main"]:
                                h["odd"].append("twice on %s: %s" % (t, name))
                            h["main"].add(name)
                        else:
                            key, sep, vid = name.rpartition(SEP)
                            if not sep:
                                h["odd"].append(os.path.join(root, f))
                                continue
                            if (key, vid) in h["kept"]:
                                h["odd"].append("twice on %s: %r" % (t, name))
                            h["kept"].add((key, vid))
    return held


def holders_of(held):
    """{key: sorted targets holding any of its files}."""
    out = {}
    for t, h in held.items():
        for k in h["main"]:
            out.setdefault(k, set()).add(t)
        for k, _ in h["kept"]:
            out.setdefault(k, set()).add(t)
    return {k: sorted(v) for k, v in out.items()}


def files_of(held):
    """Every (target, file) as ("main", key) / ("kept", key, id)."""
    out = set()
    for t, h in held.items():
        out |= {(t, "main", k) for k in h["main"]}
        out |= {(t, "kept", k, i) for k, i in h["kept"]}
    return out


def disk_checks(label, model):
    """The files on disk are exactly the model's (a live key's latest version is its current
    object, every other version and marker is kept), each once, a key's all on one target.
    Returns {key: its target}."""
    held = disk()
    odd = [p for h in held.values() for p in h["odd"]]
    want_main = {k for k, es in model.items() if es and es[0]["kind"] == "V"}
    want_kept = {(k, e["id"]) for k, es in model.items() for j, e in enumerate(es)
                 if not (j == 0 and e["kind"] == "V")}
    mains, kept = {}, {}
    for t, h in held.items():
        for k in h["main"]:
            mains.setdefault(k, []).append(t)
        for ki in h["kept"]:
            kept.setdefault(ki, []).append(t)
    lost_main = sorted(want_main - set(mains))
    lost_kept = sorted(want_kept - set(kept))
    extra = sorted(set(mains) - want_main) + sorted(set(kept) - want_kept)
    twice = {k: v for k, v in mains.items() if len(v) > 1}
    twice.update({"%s %s" % ki: v for ki, v in kept.items() if len(v) > 1})

    def where(ki):
        # Where a lost kept version's key is now, to tell "left behind" from "gone".
        return ki[0], ki[1][:10], "key on %s" % (sorted({t for t, h in held.items() if
                                                         ki[0] in h["main"] or any(x[0] == ki[0] for x in h["kept"])}))
    check("%s: on disk, every current object (%d) and every kept version and marker (%d) exactly once, nothing else"
          % (label, len(want_main), len(want_kept)),
          not lost_main and not lost_kept and not extra and not twice and not odd,
          "current objects missing %s; kept versions/markers missing (%d) %s; extra %s; on two targets %s; odd files %s" % (
              lost_main, len(lost_kept), [where(x) for x in lost_kept[:15]], extra[:10], short(twice, 300), odd[:5]))
    holders = holders_of(held)
    split = {k: v for k, v in holders.items() if len(v) > 1}
    detail = {}

    def named(k, i):
        # "V2/4" (the 2nd oldest of the key's 4 entries) or "M3/4", for the id i of key k.
        es = list(reversed(model.get(k, [])))
        n = [j for j, e in enumerate(es) if e["id"] == i]
        return "%s%d/%d %s" % (es[n[0]]["kind"], n[0] + 1, len(es), i[:12]) if n else "? " + i[:12]
    for k in list(split)[:8]:
        detail[k] = {t: ("current, " if k in held[t]["main"] else "") +
                     "kept %s" % [named(k, x[1]) for x in sorted(held[t]["kept"]) if x[0] == k] for t in split[k]}
    check("%s: each key's current object, kept versions and markers are on one target (%d keys)" % (label, len(holders)),
          not split and set(holders) == set(model), "split: %s; keys without files: %s" % (
              detail, sorted(set(model) - set(holders))[:10]))
    per = {t: (len(h["main"]), len(h["kept"])) for t, h in held.items()}
    print("   files per target (current, kept): %s" % per)
    return {k: v[0] for k, v in holders.items()}, held


def ais_json(*args):
    r = subprocess.run([AIS] + list(args) + ["--json"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("ais %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()[:300]))
    return json.loads(r.stdout)


def owner_checks(label, model, holder):
    """The target the cluster names for each live key (its HRW owner, which serves it) is the
    one holding its files."""
    bad = []
    live = sorted(k for k, es in model.items() if es[0]["kind"] == "V")
    for k in live:
        try:
            t = ais_json("object", "head", "ais://%s/%s" % (B, k)).get("target")
        except Exception as e:
            t = "error: %s" % e
        if t != holder.get(k):
            bad.append((k, "cluster says %s" % t, "files on %s" % holder.get(k)))
    check("%s: every live key (%d) is held by the target the cluster names as its owner" % (label, len(live)),
          not bad, bad[:10])


# --- reading everything back through the proxy's gateway --------------------------------------

def read_checks(label, model):
    bad_v, bad_m, n_v, n_m = [], [], 0, 0
    for k, es in sorted(model.items()):
        for e in es:
            if e["kind"] == "V":
                n_v += 1
                try:
                    r = s3.get_object(Bucket=B, Key=k, VersionId=e["id"])
                    body = r["Body"].read()
                    if body != unb64(e["body"]) or r.get("VersionId") != e["id"] or r.get("ETag") != e["etag"]:
                        bad_v.append((k, e["id"][:10], "wrong: %d bytes, id %s, ETag %s" % (
                            len(body), r.get("VersionId"), r.get("ETag"))))
                except ClientError as x:
                    bad_v.append((k, e["id"][:10], x.response["Error"]["Code"]))
            else:
                n_m += 1
                try:
                    s3.get_object(Bucket=B, Key=k, VersionId=e["id"])
                    bad_m.append((k, e["id"][:10], "200"))
                except ClientError as x:
                    st = x.response["ResponseMetadata"]["HTTPStatusCode"]
                    hd = x.response["ResponseMetadata"].get("HTTPHeaders", {})
                    if st != 405 or hd.get("x-amz-delete-marker") != "true":
                        bad_m.append((k, e["id"][:10], st, x.response["Error"]["Code"], hd.get("x-amz-delete-marker")))
    check("%s: every version (%d) reads back by its VersionId: its bytes, ETag and id" % (label, n_v),
          not bad_v, "%d failed: %s" % (len(bad_v), bad_v[:15]))
    check("%s: every delete marker (%d) answers GET by its id with 405 and x-amz-delete-marker" % (label, n_m),
          not bad_m, "%d failed: %s" % (len(bad_m), bad_m[:15]))
    bad_live, bad_del, n_live, n_del = [], [], 0, 0
    for k, es in sorted(model.items()):
        top = es[0]
        try:
            r = s3.get_object(Bucket=B, Key=k)
            body = r["Body"].read()
            if top["kind"] == "M":
                bad_del.append((k, "200 with %d bytes, id %s" % (len(body), r.get("VersionId"))))
            elif body != unb64(top["body"]) or r.get("VersionId") != top["id"]:
                bad_live.append((k, "%d bytes, id %s (want %s)" % (len(body), r.get("VersionId"), top["id"][:10])))
        except ClientError as x:
            st = x.response["ResponseMetadata"]["HTTPStatusCode"]
            hd = x.response["ResponseMetadata"].get("HTTPHeaders", {})
            if top["kind"] == "V":
                bad_live.append((k, st, x.response["Error"]["Code"]))
            elif (st, x.response["Error"]["Code"]) != (404, "NoSuchKey") or hd.get("x-amz-delete-marker") != "true" \
                    or hd.get("x-amz-version-id") != top["id"]:
                bad_del.append((k, st, x.response["Error"]["Code"], hd.get("x-amz-delete-marker"),
                                hd.get("x-amz-version-id")))
        n_live += top["kind"] == "V"
        n_del += top["kind"] == "M"
    check("%s: GET without an id returns the latest version's bytes and id (%d live keys)" % (label, n_live),
          not bad_live, "%d failed: %s" % (len(bad_live), bad_live[:15]))
    check("%s: GET without an id of a deleted key (%d): 404 NoSuchKey, x-amz-delete-marker, the marker's id" % (label, n_del),
          not bad_del, "%d failed: %s" % (len(bad_del), bad_del[:15]))


def live_listing_check(label, model):
    want = sorted(((k, es[0]["etag"], es[0]["size"]) for k, es in model.items() if es[0]["kind"] == "V"),
                  key=lambda x: x[0].encode())
    got = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=B, PaginationConfig={"PageSize": 17}):
        got += [(o["Key"], o["ETag"], o["Size"]) for o in page.get("Contents", [])]
    check("%s: ListObjectsV2 (pages of 17) lists exactly the live keys with their latest ETag and size (%d)" % (label, len(want)),
          got == want, "%d listed; missing %s; extra %s" % (len(got), [x[0] for x in want if x not in got][:15],
                                                            [x[0] for x in got if x not in want][:15]))


def listing_checks(label, model, gws=()):
    """Checked first after a rebalance (before any read through the proxy's gateway)."""
    want = expected_listing(model)
    got, _ = list_versions(EP)
    strip = lambda es: [e[:6] for e in es]
    check("%s: ListObjectVersions is the recorded one: order, ids, kinds, IsLatest, ETags, sizes (%d entries)" % (label, len(want)),
          strip(got) == strip(want), listing_diff(want, got))
    live_listing_check(label, model)
    moved_time = [(e[0], e[1][:10], w[6], e[6]) for e, w in zip(got, want) if e[:6] == w[:6] and e[6] != w[6]]
    check("%s: every version's and marker's LastModified is the recorded one" % label,
          strip(got) == strip(want) and not moved_time, moved_time[:10] if moved_time else "(the listing differs)")
    latest = {}
    for e in got:
        latest[e[0]] = latest.get(e[0], 0) + e[3]
    check("%s: exactly one IsLatest per key" % label, all(n == 1 for n in latest.values()),
          {k: n for k, n in latest.items() if n != 1})
    paged, pages = list_versions(EP, 7)
    check("%s: the same listing in pages of 7 (key-marker, version-id-marker; %d pages)" % (label, pages),
          paged == got and pages > 1, listing_diff(got, paged))
    for gw in gws:
        other, _ = list_versions(gw)
        check("%s: ListObjectVersions through the gateway at %s is the recorded one" % (label, gw),
              strip(other) == strip(want), listing_diff(want, other))


def relist(label, model):
    """(Not a check: after the reads, whether the proxy's gateway lists everything now.)"""
    want = expected_listing(model)
    got, _ = list_versions(EP)
    same = [e[:6] for e in got] == [e[:6] for e in want]
    print("   (%s, after the reads: the proxy's gateway's ListObjectVersions %s: %d of %d entries)" % (
        label, "is complete" if same else "still differs", len(got), len(want)))


def smap_views(label, gws):
    """(Not a check: the Smap version each gateway's fabric client holds, GET /v1/daemon, which
    does not refresh it, against the cluster's.)"""
    views = []
    for gw in [EP] + list(gws):
        try:
            st, data, _ = req(urllib.parse.urlsplit(gw), "GET", "/v1/daemon")
            views.append("%s: v%s" % (gw.rsplit(":", 1)[1], json.loads(data).get("smap_version") if st == 200 else st))
        except Exception as e:
            views.append("%s: %s" % (gw, e))
    try:
        cluster = ais_json("show", "cluster").get("smap_version")
    except Exception as e:
        cluster = e
    print("   (%s: the cluster's Smap is v%s; the gateways' clients hold %s)" % (label, cluster, ", ".join(views)))


def verify(label, gws):
    state = load()
    model = state["model"]
    smap_views(label, gws)
    section(label + " listing", listing_checks, label, model, gws)
    section(label + " reads", read_checks, label, model)
    relist(label, model)
    res = section(label + " disk", disk_checks, label, model)
    if res:
        holder, held = res
        state.setdefault("holders", {})[label] = holder
        state.setdefault("files", {})[label] = sorted(map(list, files_of(held)))
        save(state)
        section(label + " owners", owner_checks, label, model, holder)
    return state


# --- phases -------------------------------------------------------------------------------------

VID = re.compile(r"^[0-9a-f]{32}$")


def phase_write():
    s3.create_bucket(Bucket=B)
    s3.put_bucket_versioning(Bucket=B, VersioningConfiguration={"Status": "Enabled"})
    st = s3.get_bucket_versioning(Bucket=B).get("Status")
    check("versioning Enabled", st == "Enabled", st)
    rnd = random.Random(20240611)
    keys = [("dir%d/obj-%03d" % (i % 4, i)) if i % 3 == 2 else "obj-%03d" % i for i in range(60)]
    deleted = [k for i, k in enumerate(keys) if i % 6 == 0]
    revived = [keys[1], keys[7]]   # deleted, then written again: a marker in the middle
    ghost = "ghost/never-written"  # deleted without ever being written: only a marker
    hist = {}                      # key -> entries oldest first
    ids, bad = set(), []

    def put(k, n):
        body = ("%s v%d|" % (k, n)).encode() + os.urandom(rnd.randrange(0, 5000))
        r = s3.put_object(Bucket=B, Key=k, Body=body)
        vid = r.get("VersionId")
        if not isinstance(vid, str) or not VID.match(vid) or vid in ids or r.get("ETag") != md5q(body):
            bad.append((k, n, vid, r.get("ETag")))
        ids.add(vid)
        hist.setdefault(k, []).append({"id": vid, "kind": "V", "etag": md5q(body), "size": len(body), "body": b64(body)})

    def delete(k):
        r = s3.delete_object(Bucket=B, Key=k)
        vid = r.get("VersionId")
        if r.get("DeleteMarker") is not True or not isinstance(vid, str) or not VID.match(vid) or vid in ids:
            bad.append((k, "delete", vid, r.get("DeleteMarker")))
        ids.add(vid)
        hist.setdefault(k, []).append({"id": vid, "kind": "M"})

    for n in (1, 2, 3):
        for k in keys:
            put(k, n)
    for k in deleted + revived + [ghost]:
        delete(k)
    for k in revived:
        put(k, 4)
    check("%d PUTs and %d DELETEs: each a new version id (32 hex digits), the ETags the bytes' MD5, markers for the deletes"
          % (sum(1 for es in hist.values() for e in es if e["kind"] == "V"), len(deleted) + len(revived) + 1),
          not bad, bad[:10])
    model = {k: list(reversed(es)) for k, es in hist.items()}
    got, _ = list_versions(EP)
    want = expected_listing(model)
    strip = lambda es: [e[:6] for e in es]
    check("ListObjectVersions before any rebalance: what was written (%d entries, %d keys)" % (len(want), len(model)),
          strip(got) == strip(want), listing_diff(want, got))
    for k, es in model.items():   # LastModified as listed now: it must never change
        for e in es:
            m = [g for g in got if g[0] == k and g[1] == e["id"]]
            e["mtime"] = m[0][6] if m else None
    save({"model": model, "deleted": deleted, "revived": revived, "ghost": ghost, "ids": sorted(ids)})
    verify("before", sys.argv[2:])


def phase_verify(label, prev, gws, new_target=None, leaving=None, job=None):
    state = verify(label, gws)
    h0, h1 = state.get("holders", {}).get(prev), state.get("holders", {}).get(label)
    if h0 is None or h1 is None:
        check("%s: where the keys are, before and after" % label, False, "no disk snapshot")
        return
    moved = sorted(k for k in h1 if h0.get(k) != h1[k])
    f0, f1 = {tuple(x) for x in state["files"][prev]}, {tuple(x) for x in state["files"][label]}
    moved_files = f1 - f0
    nkept = sum(1 for x in moved_files if x[1] == "kept")
    nmark = sum(1 for x in moved_files if x[1] == "kept" and any(
        e["id"] == x[3] and e["kind"] == "M" for e in state["model"].get(x[2], [])))
    print("   %s: %d keys changed target: %d current objects, %d kept versions, %d delete markers moved; %s" % (
        label, len(moved), len(moved_files) - nkept, nkept - nmark, nmark, moved))
    model = state["model"]
    want_cur = sum(1 for k in moved if model[k][0]["kind"] == "V")
    want_kept = sum(len(model[k]) - (model[k][0]["kind"] == "V") for k in moved)
    check("%s: some keys changed target, each with all its kept versions and markers (%d keys: %d current objects, %d kept files moved)"
          % (label, len(moved), want_cur, want_kept),
          len(moved) > 0 and (len(moved_files) - nkept, nkept) == (want_cur, want_kept),
          "%d keys; moved %d current objects and %d kept files" % (len(moved), len(moved_files) - nkept, nkept))
    if new_target:
        bad = [(k, h0.get(k), h1[k]) for k in moved if h1[k] != new_target]
        check("%s: every key that changed target went to the new one, %s" % (label, new_target), not bad, bad[:10])
    if leaving:
        was = sorted(k for k, t in h0.items() if t == leaving)
        stayed = [k for k in was if h1.get(k) == leaving]
        wandered = [(k, h0[k], h1[k]) for k in moved if h0[k] != leaving]
        check("%s: every key %s held (%d) is now on another target, and no other key moved" % (label, leaving, len(was)),
              not stayed and not wandered and sorted(moved) == was, "still on %s: %s; moved between others: %s" % (
                  leaving, stayed[:10], wandered[:10]))
        left = disk().get(leaving, {"main": set(), "kept": set()})
        n = len(left["main"]) + len(left["kept"])
        check("%s: the decommissioned %s keeps none of the bucket's files (its data directory stays)" % (label, leaving),
              n == 0, "%d current objects %s, %d kept versions/markers %s" % (
                  len(left["main"]), sorted(left["main"])[:8], len(left["kept"]),
                  sorted((k, i[:10]) for k, i in left["kept"])[:12]))
    if job:
        try:
            j = ais_json("job", "show", job)
            check("%s: job %s finished without errors and counts the files it moved (%d)" % (label, job, len(moved_files)),
                  j.get("state") == "finished" and not j.get("errors") and j.get("objects") == len(moved_files),
                  {x: j.get(x) for x in ("state", "objects", "errors", "bytes")})
        except Exception as e:
            check("%s: job %s shown" % (label, job), False, e)


def phase_final():
    state = load()
    model, ids = state["model"], set(state["ids"])
    h = state.get("holders", {})
    base = h.get("before", {})
    moved = [k for k in sorted(model) if any(s.get(k) != base.get(k) for s in h.values())]
    live = [k for k in moved if model[k][0]["kind"] == "V" and len(model[k]) >= 3]
    # (Deleted keys whose marker lies on a version: deleting the marker by id brings it back.)
    dead = [k for k in moved if len(model[k]) >= 2 and model[k][0]["kind"] == "M" and model[k][1]["kind"] == "V"]
    print("   moved keys: %d live with 3+ versions, %d deleted" % (len(live), len(dead)))
    if not check_ok("moved live keys to work on (4 needed)", len(live) >= 4, len(live)):
        return
    over, mid, top, redel = live[:4]

    # An overwrite of a moved key: a new version on top of the moved ones.
    body = b"written after the rebalances " + os.urandom(777)
    r = s3.put_object(Bucket=B, Key=over, Body=body)
    vid = r.get("VersionId")
    check("overwrite of moved key %s: a new version id" % over,
          isinstance(vid, str) and VID.match(vid) is not None and vid not in ids, vid)
    ids.add(vid)
    model[over].insert(0, {"id": vid, "kind": "V", "etag": md5q(body), "size": len(body), "body": b64(body)})
    c = s3.get_object(Bucket=B, Key=over)
    check("GET %s: the new bytes, the new id" % over, c["Body"].read() == body and c.get("VersionId") == vid,
          c.get("VersionId"))
    ent = [e for e in list_versions(EP)[0] if e[0] == over]
    want = [e for e in expected_listing(model) if e[0] == over]
    check("ListObjectVersions of %s: the new version latest, then the moved ones unchanged (%d)" % (over, len(want)),
          [e[:6] for e in ent] == [e[:6] for e in want] and ent[1:] == want[1:],
          [(e[1][:10], e[2], e[3]) for e in ent])
    old = model[over][1]
    c = s3.get_object(Bucket=B, Key=over, VersionId=old["id"])
    check("the moved former latest of %s still reads back by its id" % over, c["Body"].read() == unb64(old["body"]))

    # Delete by id of a moved older version.
    gone = model[mid][1]
    r = s3.delete_object(Bucket=B, Key=mid, VersionId=gone["id"])
    check("DELETE of moved older version %s of %s by its id: 204, the id echoed" % (gone["id"][:10], mid),
          r["ResponseMetadata"]["HTTPStatusCode"] == 204 and r.get("VersionId") == gone["id"], r.get("VersionId"))
    model[mid].pop(1)
    try:
        s3.get_object(Bucket=B, Key=mid, VersionId=gone["id"])
        code = "OK"
    except ClientError as x:
        code = x.response["Error"]["Code"]
    check("GET of the deleted version by its id: NoSuchVersion", code == "NoSuchVersion", code)

    # Delete by id of a moved latest version: the one before it is current again.
    latest = model[top][0]
    r = s3.delete_object(Bucket=B, Key=top, VersionId=latest["id"])
    check("DELETE of moved latest version of %s by its id: 204" % top,
          r["ResponseMetadata"]["HTTPStatusCode"] == 204 and r.get("VersionId") == latest["id"], r.get("VersionId"))
    model[top].pop(0)
    c = s3.get_object(Bucket=B, Key=top)
    check("GET %s: the version before it (moved too) is current" % top,
          c["Body"].read() == unb64(model[top][0]["body"]) and c.get("VersionId") == model[top][0]["id"],
          c.get("VersionId"))

    # A new marker on a moved key, and delete by id of a moved marker: the key is back.
    r = s3.delete_object(Bucket=B, Key=redel)
    check("DELETE of moved key %s: a new delete marker" % redel,
          r.get("DeleteMarker") is True and r.get("VersionId") not in ids, r.get("VersionId"))
    ids.add(r.get("VersionId"))
    model[redel].insert(0, {"id": r.get("VersionId"), "kind": "M"})
    if dead:
        k = dead[0]
        mk = model[k][0]
        r = s3.delete_object(Bucket=B, Key=k, VersionId=mk["id"])
        check("DELETE of the moved delete marker of %s by its id: 204, DeleteMarker true" % k,
              r["ResponseMetadata"]["HTTPStatusCode"] == 204 and r.get("DeleteMarker") is True and
              r.get("VersionId") == mk["id"], r)
        model[k].pop(0)
        try:
            c = s3.get_object(Bucket=B, Key=k)
            ok = c["Body"].read() == unb64(model[k][0]["body"]) and c.get("VersionId") == model[k][0]["id"]
            detail = c.get("VersionId")
        except ClientError as x:
            ok, detail = False, x.response["Error"]["Code"]
        check("and %s is back: GET gives its last version's bytes (moved)" % k, ok, detail)
    else:
        print("SKIP delete by id of a moved delete marker: no deleted key changed target")
    # (The new entries' LastModified as listed now; the others' must be the recorded ones.)
    now = {(e[0], e[1]): e[6] for e in list_versions(EP)[0]}
    for k, es in model.items():
        for e in es:
            if e.get("mtime") is None:
                e["mtime"] = now.get((k, e["id"]))
    save(dict(state, model=model, ids=sorted(ids)))
    # Everything else is as it was: the whole listing, the bytes, the disk.
    section("after the last writes listing", listing_checks, "after the last writes", model, ())
    section("after the last writes reads", read_checks, "after the last writes", model)
    section("after the last writes disk", disk_checks, "after the last writes", model)


MORE_MARKERS = 15


def phase_delete_all(label, target):
    """A plain DELETE of every live key `target` holds, then MORE_MARKERS more DELETEs of every
    key it holds (each a marker, as in S3): it keeps no current object, only versions and a few
    hundred markers (so that moving them takes a while)."""
    state = load()
    model, ids = state["model"], set(state["ids"])
    holder = state["holders"][label]
    held = sorted(k for k, t in holder.items() if t == target)
    keys = [k for k in held if model[k][0]["kind"] == "V"]
    bad = []

    def delete(k):
        r = s3.delete_object(Bucket=B, Key=k)
        vid = r.get("VersionId")
        if r.get("DeleteMarker") is not True or not isinstance(vid, str) or not VID.match(vid) or vid in ids:
            bad.append((k, vid, r.get("DeleteMarker")))
        ids.add(vid)
        model[k].insert(0, {"id": vid, "kind": "M"})
    for k in keys:
        delete(k)
    for _ in range(MORE_MARKERS):
        for k in held:
            delete(k)
    check("DELETE of every live key %s holds (%d), then %d more of each of its %d keys: each a new delete marker"
          % (target, len(keys), MORE_MARKERS, len(held)), len(keys) > 0 and not bad, (len(keys), bad[:10]))
    got, _ = list_versions(EP)
    now = {(e[0], e[1]): e[6] for e in got}
    for k in held:
        for e in model[k]:
            if e.get("mtime") is None:
                e["mtime"] = now.get((k, e["id"]))
    want = expected_listing(model)
    check("ListObjectVersions shows the new markers on top (%d entries)" % len(want),
          [e[:6] for e in got] == [e[:6] for e in want], listing_diff(want, got))
    save(dict(state, model=model, ids=sorted(ids)))
    held = disk().get(target, {"main": set(), "kept": set()})
    check("%s now holds no current object of the bucket, only %d kept versions and markers" % (target, len(held["kept"])),
          not held["main"] and len(held["kept"]) > 0, (sorted(held["main"])[:10], len(held["kept"])))


def check_ok(name, ok, detail=""):
    check(name, ok, detail)
    return ok


def main():
    phase = sys.argv[1]
    if phase == "write":
        # write GATEWAY...
        section("write", phase_write)
    elif phase == "verify":
        # verify LABEL PREV GATEWAY,... [new=ID] [leaving=ID] [job=ID]
        kw = dict(a.split("=", 1) for a in sys.argv[5:])
        section(sys.argv[2], phase_verify, sys.argv[2], sys.argv[3], [g for g in sys.argv[4].split(",") if g],
                kw.get("new"), kw.get("leaving"), kw.get("job"))
    elif phase == "delete-all":
        section("delete every key of " + sys.argv[3], phase_delete_all, sys.argv[2], sys.argv[3])
    elif phase == "final":
        section("final", phase_final)
    elif phase == "busiest":
        # The original target holding the most keys after the join.
        state = load()
        h = state["holders"][sys.argv[2]]
        cands = sys.argv[3:]
        print(max(cands, key=lambda t: (sum(1 for v in h.values() if v == t), t)))
        return
    sys.exit(1 if s3checks.fails else 0)


main()
PY

smap_version() { "$AIS" show cluster --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["smap_version"])'; }
state_of() {
  "$AIS" show cluster --json | $PY -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["id"] == sys.argv[1] and n["role"] == "target": print(n["status"])' "$1"
}
# Until no rebalance job runs on any node (a pass that failed to move something is retried).
no_rebalance_running() {
  local running
  for _ in $(seq 1 120); do
    running=$("$AIS" job ls --json 2>/dev/null |
      $PY -c 'import json,sys; print(sum(j["kind"] == "rebalance" for j in json.load(sys.stdin)))' 2>/dev/null || echo 1)
    [[ $running == 0 ]] && return 0
    sleep 0.5
  done
  "$AIS" job ls 2>&1
  return 1
}
vreb() { $PY "$WORK/vreb.py" "$@" || FAILS=$((FAILS + 1)); }

gw_of() { echo "http://127.0.0.1:$(($(awk -v t="$1" '$1 == t { print $3 }' "$AIS_DEV_DIR/cluster") + 500))"; }

# 1. The versions, recorded and checked (listing, bytes, disk) before anything moves; t1's and
# t3's gateways list them too (their clients start with the 3 targets' map).
vreb write "$(gw_of t1)" "$(gw_of t3)"

# 2. A 4th target joins.
# (The port tools/dev gives it, and its gateway's, are claimed for this test like lib.sh's.)
claim_port $((AIS_DEV_PORT + 4)) && claim_port $((AIS_DEV_PORT + 504)) || true
v=$(smap_version)
check "a 4th target joins" "$REPO/tools/dev" add target
check "the Smap changed" test "$(smap_version)" -gt "$v"
v=$(smap_version)
check "rebalance-v$v (the join) finished" "$AIS" job wait "rebalance-v$v" --timeout 120
check "no rebalance runs any more" no_rebalance_running
T4=$(awk '$2 == "target" { t = $1 } END { print t }' "$AIS_DEV_DIR/cluster")
vreb verify join before "$(gw_of "$T4"),$(gw_of t1),$(gw_of t3)" new="$T4" job="rebalance-v$v"

# decommission_checked TARGET: TARGET is decommissioned (--wait), leaves the cluster map, its
# aisnode stops, and no rebalance runs afterwards.
decommission_checked() {
  local t=$1 pid out rc
  pid=$("$REPO/tools/dev" ps | awk -v d="$t" '$1 == d { print $3 }')
  out=$("$AIS" cluster add-remove-nodes decommission "$t" --wait --timeout 120 2>&1)
  rc=$?
  if ((rc == 0)) && [[ $out == *"left the cluster"* ]] && [[ -z $(state_of "$t") ]]; then
    pass "decommission of $t: it left the cluster map"
  else
    fail "decommission of $t: it left the cluster map" "exit $rc: $out; state '$(state_of "$t")'"
  fi
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  check "$t's aisnode (pid $pid) stopped" bash -c "! kill -0 $pid 2>/dev/null"
  check "no rebalance runs any more" no_rebalance_running
}

# 3. The original target holding the most keys is decommissioned (its data directory kept, so
# what it did not move shows).
D=$($PY "$WORK/vreb.py" busiest join t1 t2 t3)
decommission_checked "$D"
gws=$(gw_of "$T4")
for t in t1 t3; do [[ $t == "$D" ]] || gws+=,$(gw_of $t); done
vreb verify decommission join "$gws" leaving="$D"

# 4. A target that holds only kept versions and delete markers (every key it holds deleted, and
# deleted again: a few hundred markers, no current object left) is decommissioned: they must all
# move before it stops.
rest=()
for t in t1 t2 t3; do [[ $t == "$D" ]] || rest+=("$t"); done
O=$($PY "$WORK/vreb.py" busiest decommission "${rest[@]}")
vreb delete-all decommission "$O"
decommission_checked "$O"
gws=$(gw_of "$T4")
for t in "${rest[@]}"; do [[ $t == "$O" ]] || gws+=,$(gw_of "$t"); done
vreb verify decommission-2 decommission "$gws" leaving="$O"

# 5. New writes on moved keys: an overwrite, deletes by id.
vreb final

if ((FAILS > 0)); then
  echo "-- where the kept versions are (find -path '*%v.*', per target and mountpath):"
  for t in "$AIS_DEV_DIR"/t*; do
    for mp in "$t"/mp*; do
      echo "   $(basename "$t")/$(basename "$mp"): $(find "$mp" -path '*%v.*' -type f 2>/dev/null | wc -l) files"
    done
  done
  echo "-- the nodes' logs on rebalances and decommissions, in time order:"
  grep -h -E "rebalance|decommission|shutting down|signal|moved|versions" "$AIS_DEV_DIR"/*/aisnode.log 2>/dev/null |
    grep -v -E "job rebalance-v[0-9]+ \(rebalance\) (started|finished)$" | sort -s -k2,2 | tail -n 40 | sed 's/^/   | /'
  # (VREB_KEEP=DIR: the playground's data and logs are copied there for a look.)
  [[ -n ${VREB_KEEP:-} ]] && cp -a "$AIS_DEV_DIR" "$VREB_KEEP" && echo "-- the playground is copied to $VREB_KEEP"
fi
finish
