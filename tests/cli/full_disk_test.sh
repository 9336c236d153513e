#!/usr/bin/env bash
# A full disk under a running target (1 proxy + 1 target whose first mountpath is a 256 MiB
# tmpfs): PUTs that would eat into the space kept for the mountpath's metadata get 507 with a
# clear message and store nothing; every object stored reads back byte-exact; deletes and
# zero-byte PUTs still work; PUTs resume once space is freed. Then the disk filled by someone
# else until the metadata database itself cannot write: the target keeps serving reads, and
# writes resume by themselves after space is freed. Then a restart with the disk full: the
# target comes up, serves the mountpath's objects, and refuses writes there until a restart
# with space. Before: RocksDB's own log file on the full disk aborted the process (Debian's
# librocksdb asserts), at every start too, and a full disk at start moved the database aside.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground full-disk-test 27800 20 8 8
MP=$AIS_DEV_DIR/t1/mp1
trap 'umount -l "$MP" 2>/dev/null; playground_cleanup' EXIT
playground_up --targets 1
S3=$S3_ENDPOINT
T1_LOG=$AIS_DEV_DIR/t1/aisnode.log

# The first mountpath on a small file system of its own (empty: nothing was stored yet).
"$DEV" kill t1 >/dev/null
find "$MP" -mindepth 1 -delete
mount -t tmpfs -o size=256m tmpfs "$MP" || { fail tmpfs_mount "cannot mount a tmpfs"; finish full-disk; }
"$DEV" start t1 >"$WORK/start.log" 2>&1
check target_up_on_tmpfs grep -q "started t1" "$WORK/start.log"
t1_alive() { "$DEV" ps | awk '$1 == "t1" { print $4 }' | grep -qx running; }
avail_mib() { df -m --output=avail "$MP" | tail -1 | tr -d ' '; }
on_mp1() { [[ -n $(find "$MP/@ais/full" -type f -name "$1" -path '*/%ob/*' 2>/dev/null) ]]; }

curl -sf -X PUT "$S3/full" >/dev/null
head -c $((1 << 20)) /dev/urandom >"$WORK/o1m"

# 1. Fill with 1 MiB objects: half land on the tmpfs, which refuses them at its reserve.
stored=() refused=()
msg507=""
for i in $(seq 1 420); do
  c=$(code_of -X PUT -T "$WORK/o1m" "$S3/full/o$i")
  if [[ $c == 200 ]]; then
    stored+=("o$i")
  elif [[ $c == 507 ]]; then
    refused+=("o$i")
    [[ -n $msg507 ]] || msg507=$(message)
  else
    fail "put_o$i" "$c $(message)"
  fi
done
if ((${#refused[@]} > 0)); then pass "full_mountpath_refuses_puts (${#refused[@]} of 420: 507)"; else
  fail full_mountpath_refuses_puts "none refused; $(avail_mib) MiB left"
fi
if [[ $msg507 == *"out of space"*"kept free"* ]]; then pass out_of_space_message_is_clear; else
  fail out_of_space_message_is_clear "$msg507"
fi
left=$(avail_mib)
if ((left >= 60)); then pass "reserve_left_for_metadata (${left} MiB)"; else
  fail reserve_left_for_metadata "${left} MiB"
fi
check t1_alive_after_fill t1_alive

# 2. What was stored reads back; what was refused is not there at all.
bad=0
for o in "${stored[@]}"; do
  if [[ $(code_of "$S3/full/$o") != 200 ]] || ! cmp -s "$WORK/resp" "$WORK/o1m"; then bad=$((bad + 1)); fi
done
if ((bad == 0)); then pass "stored_objects_byte_exact (${#stored[@]})"; else
  fail stored_objects_byte_exact "$bad of ${#stored[@]}"
fi
check refused_object_absent test "$(code_of "$S3/full/${refused[0]}")" = 404

# 3. At the reserve, metadata-only writes still work: zero-byte PUTs and deletes.
zfail=0
for i in $(seq 1 40); do [[ $(code_of -X PUT --data-binary "" "$S3/full/z$i") == 200 ]] || zfail=$((zfail + 1)); done
check zero_byte_puts_at_reserve test "$zfail" = 0
freed=0
for o in "${stored[@]}"; do
  on_mp1 "$o" || continue
  [[ $(code_of -X DELETE "$S3/full/$o") == 204 ]] || fail "delete_$o" "$(message)"
  freed=$((freed + 1))
  ((freed < 40)) || break
done
check deletes_at_reserve test "$freed" -ge 30
c=$(code_of -X PUT -T "$WORK/o1m" "$S3/full/${refused[0]}")
check puts_resume_after_deletes test "$c" = 200
check resumed_put_byte_exact bash -c "curl -s '$S3/full/${refused[0]}' | cmp -s - '$WORK/o1m'"

# 4. Someone else fills the disk: metadata writes fail (507), the target stays up and serves
# reads, and writes resume by themselves once the space is back.
dd if=/dev/zero of="$MP/filler" bs=1M 2>/dev/null
dd if=/dev/zero of="$MP/filler2" bs=4k 2>/dev/null
$PY - "$S3" >"$WORK/flood.log" 2>&1 <<'PYEOF'
import http.client, sys, threading
host, port = sys.argv[1].replace("http://", "").split(":")
state = {"n": 0, "db507": None, "other": None}
lock = threading.Lock()
def worker(t):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    for i in range(t, 120000, 4):
        with lock:
            if state["db507"] or state["other"]:
                return
        # (zero bytes: only the metadata database writes; long names and metadata fill its log)
        c.request("PUT", "/full/f%06d" % i + "x" * 900, body=b"", headers={"x-amz-meta-pad": "p" * 1500})
        r = c.getresponse()
        body = r.read().decode(errors="replace")
        with lock:
            state["n"] += 1
            if r.status == 507 and "metadata cannot be written" in body:
                state["db507"] = body
            elif r.status not in (200, 507):
                state["other"] = f"{r.status} {body[:300]}"
ts = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
print("puts", state["n"])
print("db507", bool(state["db507"]))
print("other", state["other"])
PYEOF
if grep -q "db507 True" "$WORK/flood.log"; then pass "metadata_writes_fail_on_full_disk ($(head -1 "$WORK/flood.log"))"; else
  fail metadata_writes_fail_on_full_disk "$(cat "$WORK/flood.log")"
fi
check no_other_errors_while_full grep -q "other None" "$WORK/flood.log"
check t1_alive_metadata_full t1_alive
bad=0
for o in "${stored[@]:0:60}"; do
  c=$(code_of "$S3/full/$o")
  if [[ $c == 200 ]]; then cmp -s "$WORK/resp" "$WORK/o1m" || bad=$((bad + 1)); elif [[ $c != 404 ]]; then bad=$((bad + 1)); fi
done
check reads_while_metadata_full test "$bad" = 0
rm -f "$MP/filler" "$MP/filler2"
resumed=""
for _ in $(seq 1 60); do
  ok=1
  for k in 1 2 3 4 5 6; do [[ $(code_of -X PUT --data-binary "r$k" "$S3/full/r$k") == 200 ]] || ok=0; done
  if ((ok)); then resumed=1; break; fi
  sleep 1
done
check writes_resume_after_space_freed test -n "$resumed"
check deletes_resume_after_space_freed test "$(code_of -X DELETE "$S3/full/z1")" = 204

# 5. A restart while the disk is full: the target comes up and serves the mountpath read-only.
mp1_objects=()
for o in "${stored[@]}"; do
  if on_mp1 "$o" && [[ $(code_of "$S3/full/$o") == 200 ]]; then mp1_objects+=("$o"); fi
done
"$DEV" kill t1 >/dev/null
dd if=/dev/zero of="$MP/filler" bs=1M 2>/dev/null
dd if=/dev/zero of="$MP/filler2" bs=4k 2>/dev/null
"$DEV" start t1 >"$WORK/start2.log" 2>&1
check restart_with_full_disk grep -q "started t1" "$WORK/start2.log"
check t1_alive_after_full_restart t1_alive
check full_restart_logged grep -q "read-only until the target restarts" "$T1_LOG"
check database_not_moved_aside test -z "$(find "$MP" -maxdepth 1 -name '.ais.lomdb.damaged*')"
bad=0
for o in "${mp1_objects[@]}"; do
  if [[ $(code_of "$S3/full/$o") != 200 ]] || ! cmp -s "$WORK/resp" "$WORK/o1m"; then bad=$((bad + 1)); fi
done
if ((${#mp1_objects[@]} > 0 && bad == 0)); then pass "read_only_mountpath_serves (${#mp1_objects[@]})"; else
  fail read_only_mountpath_serves "$bad of ${#mp1_objects[@]}"
fi
ro=""
for i in $(seq 1 40); do
  c=$(code_of -X PUT --data-binary "" "$S3/full/ro$i") # (no bytes: only the database is written)
  if [[ $c == 507 ]]; then ro=$(message); break; fi
done
if [[ $ro == *"read-only"* ]]; then pass read_only_mountpath_refuses_writes; else fail read_only_mountpath_refuses_writes "$ro"; fi
rm -f "$MP/filler" "$MP/filler2"
"$DEV" kill t1 >/dev/null
"$DEV" start t1 >"$WORK/start3.log" 2>&1
check restart_with_space grep -q "started t1" "$WORK/start3.log"
pfail=0
for i in $(seq 1 20); do [[ $(code_of -X PUT -T "$WORK/o1m" "$S3/full/after$i") == 200 ]] || pfail=$((pfail + 1)); done
check puts_after_restart_with_space test "$pfail" = 0
bad=0
for o in "${mp1_objects[@]}"; do
  if [[ $(code_of "$S3/full/$o") != 200 ]] || ! cmp -s "$WORK/resp" "$WORK/o1m"; then bad=$((bad + 1)); fi
done
check objects_kept_across_restarts test "$bad" = 0

finish full-disk
