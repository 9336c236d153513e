#!/usr/bin/env bash
# A file written through aisfs to a target that stops owning its name while the write is under
# way (the streamed PUT began before the change and commits after the target's rebalance pass
# went by): no write the cluster acknowledged is lost or hidden behind an older copy.
# - A target returns from maintenance and owns the name again (it kept the old bytes): the
#   committing target hands the new bytes over at once; a read gets them.
# - The target is decommissioned: the decommission still ends (the leaving target scans again
#   until it is stopped, and does not stop while it holds an object), and a close that succeeded
#   reads back with its bytes; one that failed left the old ones.
# On the builds before these changes: the old bytes were served after both closes succeeded, and
# the decommission waited forever.
# shellcheck source=tests/fuse/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built placement_change_test --fuse
cluster_up
"$DEV" add target >/dev/null 2>&1 || fail add_target
B=placement
ais bucket create ais://$B >/dev/null || fail bucket_create
owner_of() { ais object show "ais://$B/$1" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])'; }
echo old >"$WORK/old"
head -c $((12 << 20)) /dev/urandom >"$WORK/new"
mount_fs
# slow_write NAME: 12 MiB written to the mount in 1 MiB steps a quarter of a second apart (the
# close ~3 s after the start), in the background; its outcome in $WORK/writer.out.
slow_write() {
  $PY - "$MNT/$B/$1" "$WORK/new" >"$WORK/writer.out" 2>&1 <<'PYEOF' &
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
}
# kept NAME LABEL: a close that succeeded reads back its bytes; one that failed left the old ones.
kept() {
  ais get -q "ais://$B/$1" "$WORK/got" >/dev/null 2>&1
  local said
  said=$(cat "$WORK/writer.out")
  if [[ $said == closed ]] && cmp -s "$WORK/got" "$WORK/new"; then
    pass "$2 (acknowledged, served)"
  elif [[ $said == failed:* ]] && cmp -s "$WORK/got" "$WORK/old"; then
    pass "$2 (refused: $said)"
  else
    fail "$2" "writer: $said; read back: $(head -c 20 "$WORK/got" | od -An -c | head -1)"
  fi
}

# --- a target back from maintenance takes the name over mid-write ---
name=""
for i in $(seq 1 60); do
  ais put -q "$WORK/old" "ais://$B/j$i" >/dev/null
  [[ $(owner_of "j$i") == t4 ]] && name=j$i && break
done
[[ -n $name ]] || fail pick_name "no name of 60 on t4"
ais cluster add-remove-nodes start-maintenance t4 >/dev/null 2>&1 || fail start_maintenance
for _ in $(seq 1 40); do [[ $(owner_of "$name") != t4 ]] && break; sleep 0.25; done
ais put -q "$WORK/old" "ais://$B/$name" >/dev/null  # (written to the owner meanwhile; t4 keeps its copy)
slow_write "$name"
sleep 2.6
ais cluster add-remove-nodes stop-maintenance t4 >/dev/null 2>&1 || fail stop_maintenance
wait $writer
sleep 0.5 # (the handover's moment)
kept "$name" returned_owner_gets_late_write

# --- files a target in maintenance holds: their names now owned by others, which fetch them ---
held=()
for i in $(seq 1 60); do
  echo "kept $i" >"$WORK/k$i"
  ais put -q "$WORK/k$i" "ais://$B/k$i" >/dev/null
  [[ $(owner_of "k$i") == t4 ]] && held+=("k$i")
  ((${#held[@]} == 2)) && break
done
((${#held[@]} == 2)) || fail pick_held "fewer than 2 names of 60 on t4"
ais cluster add-remove-nodes start-maintenance t4 >/dev/null 2>&1 || fail start_maintenance_2
sleep 1.5 # (past the mount's attribute TTL)
f=$MNT/$B/${held[0]}
chmod 600 "$f" && touch -d 2020-01-02 "$f" && setfattr -n user.held -v yes "$f"
check maintenance_file_metadata_changes test "$(stat -c '%a %Y' "$f") $(getfattr -n user.held --only-values "$f" 2>/dev/null)" = "600 $(date -d 2020-01-02 +%s) yes"
mv "$MNT/$B/${held[1]}" "$MNT/$B/${held[1]}.mv"
check maintenance_file_renamed cmp "$MNT/$B/${held[1]}.mv" "$WORK/${held[1]}"
check maintenance_file_old_name_gone test ! -e "$MNT/$B/${held[1]}"
ais cluster add-remove-nodes stop-maintenance t4 >/dev/null 2>&1 || fail stop_maintenance_2
n_k=$(ais ls ais://$B --json | $PY -c 'import json,sys; print(sum(e["name"].startswith("k") for e in json.load(sys.stdin)))')

# --- the owner is decommissioned mid-write ---
for i in $(seq 1 30); do echo "$i" >"$WORK/s$i"; ais put -q "$WORK/s$i" "ais://$B/small$i" >/dev/null; done
ais put -q "$WORK/old" ais://$B/late >/dev/null || fail put_late
T=$(owner_of late)
slow_write late
sleep 2.6
out=$(ais cluster add-remove-nodes decommission "$T" --rm-user-data --wait --timeout 60 2>&1)
rc=$?
wait $writer
if ((rc == 0)) && [[ $out == *"left the cluster"* ]]; then pass decommission_ends_after_late_write; else
  fail decommission_ends_after_late_write "exit $rc: $out"
fi
kept late decommission_keeps_late_write
listed=$(ais ls ais://$B --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
want=$((30 + 1 + ${name#j} + n_k))  # small*, late, j1..jN, k*
check placement_changes_lose_nothing test "$listed" = "$want"
finish
