#!/usr/bin/env bash
# S3 object versioning seen through aisfs: in a bucket with s3.versioning=enabled, a file
# overwritten on the mount keeps its earlier content as an older version (read back through S3
# by version id), `rm` leaves a delete marker (the file is gone from the mount and S3 answers
# 404 with x-amz-delete-marker), and `mv` is refused (the kept versions would not follow) with
# both names as they were. (aisfs stores a file empty when it is created or truncated, then
# with its bytes at close: in a versioned bucket those empty versions are kept too; the checks
# look at the versions with content.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built versioning_test --fuse
PY=/usr/bin/python3
cluster_up
B=fsver
ais bucket create ais://$B >/dev/null || fail bucket_create
check versioning_enable ais bucket props set ais://$B s3.versioning=enabled
mount_fs

printf 'first content\n' >"$MNT/$B/doc" || fail write_first
printf 'second content\n' >"$MNT/$B/doc" || fail write_second
check read_back_latest test "$(cat "$MNT/$B/doc")" = "second content"
printf 'keep me\n' >"$MNT/$B/other" || fail write_other

versions() { # KEY: "latest-bytes|older contents..." through S3
  $PY - "$REPO/tests/s3" "$S3_ENDPOINT" "$B" "$1" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client
s3 = sdk_client(sys.argv[2])
b, k = sys.argv[3], sys.argv[4]
r = s3.list_object_versions(Bucket=b, Prefix=k)
vs = [v for v in r.get("Versions", []) if v["Key"] == k]
ms = [m for m in r.get("DeleteMarkers", []) if m["Key"] == k]
latest = "marker" if any(m["IsLatest"] for m in ms) else "none"
older = []
for v in vs:
    body = s3.get_object(Bucket=b, Key=k, VersionId=v["VersionId"])["Body"].read().decode()
    if v["IsLatest"]:
        latest = body.strip()
    elif body:
        older.append(body.strip())
print(latest + "|" + ",".join(sorted(older)))
PYEOF
}
out=$(versions doc)
check "overwrite on the mount kept the first content as an older version ($out)" \
  test "$out" = "second content|first content"

if mv "$MNT/$B/other" "$MNT/$B/renamed" 2>"$WORK/mv.err"; then
  fail mv_refused "mv succeeded"
else
  pass mv_refused
fi
check mv_left_source test "$(cat "$MNT/$B/other")" = "keep me"
check mv_no_target test ! -e "$MNT/$B/renamed"

rm "$MNT/$B/doc" || fail rm
check rm_gone_from_mount test ! -e "$MNT/$B/doc"
out=$(versions doc)
check "rm left a delete marker on top, both contents kept ($out)" \
  test "$out" = "marker|first content,second content"
code=$(curl -s -o /dev/null -D "$WORK/h" -w '%{http_code}' "$S3_ENDPOINT/$B/doc")
check "S3 GET after rm: 404 with x-amz-delete-marker" \
  bash -c "[[ $code == 404 ]] && grep -qi '^x-amz-delete-marker: true' '$WORK/h'"
finish versioning_test
