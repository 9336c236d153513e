#!/usr/bin/env bash
# Small-file ingest (issue 20), side by side in one run: `ais put DIR` of N files of SIZE bytes
# into a plain bucket and into one with fsync=true, against a local copy loop over the same files
# (read each file, write a work file, rename it into place; fsync'd for the fsync row). Starts its
# own playground (1 proxy + 3 targets) on free ports unless AIS_ENDPOINT is set.
# Usage: ingest_bench.sh [N] [SIZE]   (default 10000 64; e.g. 10000 16384)
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${1:-10000}
SIZE=${2:-64}
if [[ -z ${AIS_ENDPOINT:-} ]]; then
  # shellcheck source=tests/lib/playground.sh
  source "$REPO/tests/lib/playground.sh"
  playground ingest-bench 26600 100 4 4
  playground_up --targets 3 >/dev/null
else
  source "$REPO/tests/lib/checks.sh"
  export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
  AIS=$AIS_BUILD_DIR/tools/ais
  WORK=$(mktemp -d /tmp/ais-ingest-bench.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
$PY - "$WORK/src" "$N" "$SIZE" <<'PYEOF'
import os, sys
src, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(src, "d%02d" % (i % 50))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(os.urandom(size))
PYEOF
now() { date +%s.%N; }
rate() { $PY -c "import sys; print('%.0f' % ($N / ($2 - $1)))" x "$1" "$2"; }
local_copy() {  # DST FSYNC
  $PY - "$WORK/src" "$1" "$2" <<'PYEOF'
import os, sys
src, dst, sync = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
for root, _, names in os.walk(src):
    out = os.path.join(dst, os.path.relpath(root, src))
    os.makedirs(out, exist_ok=True)
    for n in names:
        with open(os.path.join(root, n), "rb") as f:
            data = f.read()
        tmp = os.path.join(out, "." + n + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        if sync:
            os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(out, n))
    if sync:
        dfd = os.open(out, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
PYEOF
}
sync
printf '%-44s %10s\n' "$N files of $SIZE B" "files/s"
for fsync in 0 1; do
  t0=$(now)
  local_copy "$WORK/copy$fsync" $fsync
  t1=$(now)
  printf '%-44s %10s\n' "local copy loop$([[ $fsync == 1 ]] && echo ", fsync")" "$(rate "$t0" "$t1")"
  b=ingest-bench-$fsync-$$
  "$AIS" bucket create "ais://$b" >/dev/null
  [[ $fsync == 1 ]] && "$AIS" bucket props set "ais://$b" fsync=true >/dev/null
  t0=$(now)
  "$AIS" put -q "$WORK/src" "ais://$b/" --conc 16 || echo "ais put failed"
  t1=$(now)
  printf '%-44s %10s\n' "ais put DIR --conc 16$([[ $fsync == 1 ]] && echo ", bucket fsync=true")" "$(rate "$t0" "$t1")"
  if [[ $fsync == 0 && -n ${S3_ENDPOINT:-} ]]; then  # the ingested bucket listed back over HTTP
    for api in s3 v1; do "$REPO/tests/bench/http_list_rate.py" "$S3_ENDPOINT" "$b" --api $api; done
    # ...and as a directory of the 50 subdirectories (d00..d49) the files are in.
    "$REPO/tests/bench/http_list_rate.py" "$S3_ENDPOINT" "$b" --delimiter /
  fi
  "$AIS" bucket rm "ais://$b" --force >/dev/null 2>&1 || true
done
