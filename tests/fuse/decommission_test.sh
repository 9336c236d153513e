#!/usr/bin/env bash
# Decommission of the target a file is being written to through aisfs: the file's streamed PUT
# began before the decommission and commits after the target's first rebalance pass went by.
# The decommission still ends (the leaving target scans again until it is stopped, and it does
# not stop while it holds an object), and no write it acknowledged is lost: a close that
# succeeded reads back with its bytes through the CLI; one that failed left the old ones.
# shellcheck source=tests/fuse/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built decommission_test --fuse
cluster_up
B=decomm
ais bucket create ais://$B >/dev/null || fail bucket_create
for i in $(seq 1 30); do echo "$i" >"$WORK/s$i"; ais put -q "$WORK/s$i" "ais://$B/small$i" >/dev/null; done
echo old >"$WORK/old"
ais put -q "$WORK/old" ais://$B/late >/dev/null || fail put_late
T=$(ais object show ais://$B/late --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
mount_fs
head -c $((12 << 20)) /dev/urandom >"$WORK/new"
# 12 MiB written in 1 MiB steps a quarter of a second apart: the close comes ~0.4 s after the
# decommission starts, once the leaving target's first pass is over.
$PY - "$MNT/$B/late" "$WORK/new" >"$WORK/writer.out" 2>&1 <<'PYEOF' &
import sys, time
dst, src = sys.argv[1], open(sys.argv[2], "rb").read()
try:
    with open(dst, "r+b") as f:
        f.truncate(0)
        for i in range(12):
            f.write(src[i << 20:(i + 1) << 20])
            f.flush()
            time.sleep(0.25)
    print("closed")
except OSError as e:
    print("failed:", e)
PYEOF
writer=$!
sleep 2.6
out=$(ais cluster add-remove-nodes decommission "$T" --rm-user-data --wait --timeout 60 2>&1)
rc=$?
wait $writer
if ((rc == 0)) && [[ $out == *"left the cluster"* ]]; then pass decommission_ends_after_late_write; else
  fail decommission_ends_after_late_write "exit $rc: $out"
fi
ais get -q ais://$B/late "$WORK/got" >/dev/null 2>&1
said=$(cat "$WORK/writer.out")
if [[ $said == closed ]] && cmp -s "$WORK/got" "$WORK/new"; then
  pass "late_write_kept (acknowledged, moved)"
elif [[ $said == failed:* ]] && cmp -s "$WORK/got" "$WORK/old"; then
  pass "late_write_kept (refused: $said)"
else
  fail late_write_kept "writer: $said; the object: $(head -c 20 "$WORK/got" | od -An -c | head -1)"
fi
listed=$(ais ls ais://$B --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
check decommission_loses_nothing test "$listed" = 31
finish
