#!/usr/bin/env bash
# Kept versions are verified like objects: a byte flipped on disk in an older version's file
# (S3 object versioning keeps it in the bucket's versions bucket) makes a GET of that version by
# id answer 500 before any byte (a ranged GET of a damaged block too; of a clean block, its
# bytes), never a 200 with the wrong bytes; the current version still reads; the scrub
# (`ais storage validate`) names it "KEY (version ID)" and exits 9.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster
AIS=$AIS_BUILD_DIR/tools/ais

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" "$WORK" <<'PY' || FAILS=$((FAILS + 1))
import json, os, sys
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check
s3 = sdk_client(sys.argv[2])
s3.create_bucket(Bucket="vint")
s3.put_bucket_versioning(Bucket="vint", VersioningConfiguration={"Status": "Enabled"})
old, new = os.urandom(200 << 10), os.urandom(200 << 10)
v1 = s3.put_object(Bucket="vint", Key="dir/k", Body=old)["VersionId"]
v2 = s3.put_object(Bucket="vint", Key="dir/k", Body=new)["VersionId"]
check("two versions", v1 and v2 and v1 != v2, (v1, v2))
json.dump({"v1": v1, "v2": v2, "old": old.hex(), "new": new.hex()}, open(sys.argv[3] + "/v.json", "w"))
import s3checks
sys.exit(1 if s3checks.fails else 0)
PY

# The kept version's file: the only object file under the versions bucket.
mapfile -t kept < <(find "$AIS_DEV_DIR" -path '*/@ais/%v.vint/*' -type f ! -path '*/%wk/*' ! -path '*/%pw/*')
check "one kept version file on disk" test "${#kept[@]}" -eq 1
# One byte in the middle (block 1 of 0..3), xor 0xff.
off=$((100 << 10))
byte=$(od -An -tu1 -j "$off" -N1 "${kept[0]}" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 255)))" | dd of="${kept[0]}" bs=1 seek="$off" conv=notrunc status=none

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" "$WORK" "http://127.0.0.1:$((AIS_DEV_PORT + 501))" <<'PY' || FAILS=$((FAILS + 1))
import json, sys, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import check, req, error_code
import s3checks
v = json.load(open(sys.argv[3] + "/v.json"))
old, new = bytes.fromhex(v["old"]), bytes.fromhex(v["new"])
for name, ep in (("proxy", sys.argv[2]), ("target", sys.argv[4])):
    gw = urllib.parse.urlsplit(ep)
    st, data, _ = req(gw, "GET", "/vint/dir/k?versionId=" + v["v1"])
    check("%s: GET of the damaged kept version: 500, not its bytes" % name,
          st == 500 and data != old, (st, data[:200]))
    st, data, _ = req(gw, "GET", "/vint/dir/k?versionId=" + v["v1"], headers={"Range": "bytes=%d-%d" % (100 << 10, (100 << 10) + 99)})
    check("%s: ranged GET of its damaged block: 500" % name, st == 500, (st, data[:200]))
    st, data, _ = req(gw, "GET", "/vint/dir/k?versionId=" + v["v1"], headers={"Range": "bytes=0-999"})
    check("%s: ranged GET of a clean block: its bytes" % name, st == 206 and data == old[:1000], st)
    st, data, _ = req(gw, "GET", "/vint/dir/k")
    check("%s: the current version reads whole" % name, st == 200 and data == new, st)
    st, data, _ = req(gw, "GET", "/vint/dir/k?versionId=" + v["v2"])
    check("%s: and by its id" % name, st == 200 and data == new, st)
sys.exit(1 if s3checks.fails else 0)
PY

"$AIS" storage validate ais://vint --json >"$WORK/scrub.json" 2>"$WORK/scrub.err"
rc=$?
check "storage validate exits 9 (corrupt)" test "$rc" -eq 9
v1=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["v1"])' "$WORK/v.json")
check "the scrub names it: dir/k (version $v1)" \
  /usr/bin/python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))
names = [n for t in r["targets"] for n in t["corrupt"]]
sys.exit(0 if names == ["dir/k (version %s)" % sys.argv[2]] and r["objects"] == 2 else 1)' "$WORK/scrub.json" "$v1"
finish
