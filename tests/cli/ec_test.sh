#!/usr/bin/env bash
# Erasure coding on real playgrounds, through the CLI and the HTTP gateway: EC 2+1 on 4 targets
# and EC 4+2 on 7 targets. 500 objects of mixed sizes (small ones replicated, larger ones cut into
# slices); P targets killed with SIGKILL: every object reads back byte-exact (degraded reads),
# also ranged and over HTTP; back up, nothing is lost or listed twice. Bytes flipped in main copies
# and in slices on disk: reads return the right bytes (restored and written back), never wrong
# ones. Overwrites never serve an older generation; deletes remove the slices, also while the
# owner or a holder is down (repeated there, durably, once it is back); a restarted owner never
# serves its older copy, not even before it caught up (S3 and member reads); a PUT a hung owner
# commits late never undoes a newer write taken meanwhile, and a hung owner costs an S3 GET
# through another gateway seconds, not the relay's stall timeout. ec-encode of a
# populated bucket, interrupted by a node kill and run again, leaves every object protected.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground ec-test 22420 40 10 10
export AIS_ENDPOINT=127.0.0.1:$AIS_DEV_PORT
HTTP=127.0.0.1:$((AIS_DEV_PORT + 500))

N=500
mkdir -p "$WORK/src" "$WORK/got"
# Mixed sizes: mostly under the 64 KiB objsize_limit (replicated), a third above (sliced), a few
# of several MiB (slices streamed).
for i in $(seq -w 1 $N); do
  case $((10#$i % 3)) in
    0) size=$((RANDOM % 60000 + 1)) ;;
    1) size=$((RANDOM % 5000)) ;;
    2) size=$((RANDOM * 8 + 65536)) ;;
  esac
  ((10#$i % 100 == 0)) && size=$((RANDOM * 200 + 3000000))
  head -c "$size" /dev/urandom >"$WORK/src/o$i"
done

# Every object of src/ read back from BUCKET (one parallel bulk GET); prints the names that
# fail or differ, and the first errors.
verify_all() {
  local bad
  bad=$(differing_objects "ais://$1")
  [[ -z $bad ]] || echo "$bad; $(head -3 "$WORK/all.log")"
}
listed() { "$AIS" ls "ais://$1" --json 2>/dev/null | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# Files a target holds for others' objects of BUCKET (slices and replicas).
held_files() { find "$AIS_DEV_DIR" -type f -path "*@ais/%ec.$1/*" -not -path "*/%pw/*" 2>/dev/null | wc -l; }
# What the placement needs for src/: P replicas of a small object, D+P slices of a large one.
expected_held() {
  local d=$1 p=$2 limit=$3 total=0 f s
  for f in "$WORK"/src/*; do
    s=$(stat -c %s "$f")
    if ((s >= limit)); then total=$((total + d + p)); else total=$((total + p)); fi
  done
  echo $total
}
# Objects of src/ with fewer targets holding a piece of them than the placement wants.
underprotected() {
  local bucket=$1 d=$2 p=$3 limit=$4
  find "$AIS_DEV_DIR"/t*/ -type f -path "*@ais/%ec.$bucket/%ob/*" >"$WORK/held.txt" 2>/dev/null
  $PY - "$AIS_DEV_DIR" "$WORK/src" "$bucket" "$d" "$p" "$limit" "$WORK/held.txt" <<'PYEOF'
import os, sys
top, src, bucket, d, p, limit = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])
holders = {}
marker = "@ais/%ec." + bucket + "/%ob/"
for line in open(sys.argv[7]):
    path = line.rstrip("\n")
    target = os.path.relpath(path, top).split("/")[0]
    holders.setdefault(path.split(marker, 1)[1], set()).add(target)
out = []
for n in sorted(os.listdir(src)):
    want = d + p if os.path.getsize(os.path.join(src, n)) >= limit else p
    have = len(holders.get(n, ()))
    if have < want:
        out.append(f"{n}({have}/{want})")
print(" ".join(out))
PYEOF
}
main_file() { find "$AIS_DEV_DIR" -type f -path "*@ais/$1/%ob/$2" 2>/dev/null | head -1; }

# Starts a playground of T targets with bucket BUCKET on EC D+P; puts src/ there.
setup() {
  local t=$1 bucket=$2 d=$3 p=$4
  "$DEV" down --clean >/dev/null 2>&1
  check "up_${t}_targets" "$DEV" up --targets "$t"
  "$AIS" bucket create "ais://$bucket" >/dev/null
  check "ec_${d}_${p}_enabled" "$AIS" bucket props set "ais://$bucket" ec.enabled=true \
    "ec.data_slices=$d" "ec.parity_slices=$p" ec.objsize_limit=64KiB
  check "put_${N}_ec_${d}_${p}" "$AIS" put -q "$WORK/src" "ais://$bucket"
  local want got
  want=$(expected_held "$d" "$p" 65536)
  got=$(held_files "$bucket")
  if [[ $got == "$want" ]]; then pass "slices_placed_ec_${d}_${p}"; else
    fail "slices_placed_ec_${d}_${p}" "$got held files, want $want"
  fi
}

# Kills P targets, reads everything (degraded), restarts them, reads everything again.
kill_and_read() {
  local bucket=$1 p=$2 victims bad t
  victims=$("$AIS" show cluster --json | $PY -c '
import json, sys
ts = sorted(n["id"] for n in json.load(sys.stdin)["nodes"] if n["role"] == "target")
print(" ".join(ts[:int(sys.argv[1])]))' "$p")
  for t in $victims; do "$DEV" kill "$t" >/dev/null 2>&1; done
  # The listing is complete without them (what they own is listed from the pieces held elsewhere).
  local n rc
  n=$("$AIS" ls "ais://$bucket" --json 2>"$WORK/ls.err" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
  rc=${PIPESTATUS[0]}
  if [[ $rc == 0 && $n == "$N" ]]; then pass "degraded_listing_complete_${bucket}"; else
    fail "degraded_listing_complete_${bucket}" "rc $rc, $n listed of $N: $(head -c 200 "$WORK/ls.err")"
  fi
  bad=$(verify_all "$bucket")
  if [[ -z $bad ]]; then pass "degraded_reads_all_${bucket}"; else
    fail "degraded_reads_all_${bucket}" "killed $victims; failed or differ:$bad"
  fi
  # Ranged and HTTP reads of a large object while its slices are all there is to read.
  local big=o100 off=1000 len=200000
  if curl -sf -r "$off-$((off + len - 1))" "http://$HTTP/v1/objects/$bucket/$big" -o "$WORK/range" &&
    cmp -s "$WORK/range" <(tail -c +$((off + 1)) "$WORK/src/$big" | head -c "$len"); then
    pass "degraded_http_range_${bucket}"
  else
    fail "degraded_http_range_${bucket}" "ranged GET of $big differs"
  fi
  for t in $victims; do "$DEV" start "$t" >/dev/null 2>&1; done
  bad=$(verify_all "$bucket")
  if [[ -z $bad ]]; then pass "restarted_reads_all_${bucket}"; else
    fail "restarted_reads_all_${bucket}" "failed or differ:$bad"
  fi
  n=$(listed "$bucket")
  if [[ $n == "$N" ]]; then pass "listed_once_${bucket}"; else fail "listed_once_${bucket}" "$n listed"; fi
}

# ---------------- EC 2+1 on 4 targets ----------------
setup 4 ec21 2 1
# The native API shows the EC props as set.
if [[ $(curl -sf "http://$HTTP/v1/buckets/ec21?props" | $PY -c 'import json,sys; e=json.load(sys.stdin)["props"]["ec"]; print(e["enabled"], e["data_slices"], e["parity_slices"], e["objsize_limit"])') == "True 2 1 65536" ]]; then
  pass native_api_shows_ec_props
else
  fail native_api_shows_ec_props "$(curl -s "http://$HTTP/v1/buckets/ec21?props" | head -c 300)"
fi
kill_and_read ec21 1

# Damage on disk: 15 main copies and 15 slices or replicas of other objects, bytes flipped; one
# main copy deleted. Every read returns the original bytes; the main copies are written back.
names=$(ls "$WORK/src" | shuf -n 31 --random-source=<(yes))
mains=$(head -n 15 <<<"$names")
heldOf=$(sed -n 16,30p <<<"$names")
gone=$(sed -n 31p <<<"$names")
for n in $mains; do flip_byte "$(main_file ec21 "$n")"; done
damagedPieces=()  # "path md5" of each piece as damaged here
for n in $heldOf; do
  f=$(find "$AIS_DEV_DIR" -type f -path "*@ais/%ec.ec21/%ob/$n" | head -1)
  flip_byte "$f" && damagedPieces+=("$f $(md5sum <"$f" | cut -d' ' -f1)")
done
rm -f "$(main_file ec21 "$gone")"
bad=$(verify_all ec21)
if [[ -z $bad ]]; then pass damaged_copies_read_right; else fail damaged_copies_read_right "differ:$bad"; fi
# Over HTTP too (a main copy damaged again, read through the proxy's gateway).
n=$(head -n 1 <<<"$mains")
flip_byte "$(main_file ec21 "$n")"
if curl -sf "http://$HTTP/v1/objects/ec21/$n" -o "$WORK/http" && cmp -s "$WORK/http" "$WORK/src/$n"; then
  pass damaged_copy_http_right
else
  fail damaged_copy_http_right "GET /v1/objects/ec21/$n differs"
fi
# (Restored copies are written back in the background, after the answer.)
restored_count() { grep -h "restored from erasure coding" "$AIS_DEV_DIR"/t*/aisnode.log | wc -l; }
for _ in $(seq 1 100); do
  (($(restored_count) >= 16)) && cmp -s <(cat "$(main_file ec21 "$gone")" 2>/dev/null) "$WORK/src/$gone" && break
  sleep 0.1
done
restored=$(restored_count)
if ((restored >= 16)); then pass restored_written_back; else fail restored_written_back "$restored restores logged"; fi
if cmp -s <(cat "$(main_file ec21 "$gone")" 2>/dev/null) "$WORK/src/$gone"; then pass lost_copy_recreated; else
  fail lost_copy_recreated "main copy of $gone not back on disk"
fi

# The scrub restores what it finds damaged from the slices, and has the pieces damaged above
# placed again (nothing left to report: 1 main copy + the 15 pieces repaired, less any piece the
# cluster wrote anew since: counted here from the bytes on disk, and named in a failure).
n=$(sed -n 2p <<<"$mains")
flip_byte "$(main_file ec21 "$n")"
stillDamaged=0 rewritten=""
for piece in "${damagedPieces[@]}"; do
  read -r f sum <<<"$piece"
  if [[ -f $f && $(md5sum <"$f" | cut -d' ' -f1) == "$sum" ]]; then
    stillDamaged=$((stillDamaged + 1))
  else
    rewritten+=" ${f#"$AIS_DEV_DIR"/}"
  fi
done
[[ -n $rewritten ]] && echo "note: pieces written anew before the scrub:$rewritten"
out=$("$AIS" storage validate ais://ec21 --json 2>/dev/null)
if [[ $? -eq 0 ]] && ((${#damagedPieces[@]} == 15)) && cmp -s "$(main_file ec21 "$n")" "$WORK/src/$n" &&
  [[ $($PY -c 'import json,sys; d=json.load(sys.stdin); print(d["repaired"], d["corrupt"], d["errors"])' <<<"$out") == "$((1 + stillDamaged)) 0 0" ]] &&
  [[ -z $(underprotected ec21 2 1 65536) ]]; then
  pass scrub_restores_from_ec
else
  fail scrub_restores_from_ec "$(head -c 300 <<<"$out"); ${#damagedPieces[@]} pieces damaged, $stillDamaged still damaged before the scrub (rewritten:${rewritten:- none}); under-protected: $(underprotected ec21 2 1 65536 | head -c 200)"
fi

# Overwrite: the new content everywhere, also with the owner down (never the older generation).
ow=$(ls "$WORK/src" | grep -v o100 | head -n 1)
head -c 150000 /dev/urandom >"$WORK/new"
"$AIS" put -q "$WORK/new" "ais://ec21/$ow" >/dev/null
owner=$("$AIS" object head "ais://ec21/$ow" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
"$DEV" kill "$owner" >/dev/null 2>&1
if "$AIS" get -q "ais://ec21/$ow" "$WORK/got/new" >/dev/null 2>&1 && cmp -s "$WORK/new" "$WORK/got/new"; then
  pass overwrite_degraded_newest
else
  fail overwrite_degraded_newest "degraded read of $ow is not the new content"
fi
# Read again: from its second rebuild on, the target answering for the owner keeps the rebuilt
# copy (and asks the slices' metadata before serving it). Written again with the owner down, the
# next reads (native and HTTP) have the newer bytes, never the kept ones.
again=""
for i in 1 2 3; do
  "$AIS" get -q "ais://ec21/$ow" "$WORK/got/again$i" >/dev/null 2>&1 && cmp -s "$WORK/new" "$WORK/got/again$i" || again+=" read$i"
done
head -c 140000 /dev/urandom >"$WORK/newer"
"$AIS" put -q "$WORK/newer" "ais://ec21/$ow" >/dev/null 2>&1 || again+=" degraded-put"
"$AIS" get -q "ais://ec21/$ow" "$WORK/got/newer" >/dev/null 2>&1 && cmp -s "$WORK/newer" "$WORK/got/newer" || again+=" after-put"
curl -sf "http://$HTTP/v1/objects/ec21/$ow" -o "$WORK/got/newer-http" && cmp -s "$WORK/newer" "$WORK/got/newer-http" || again+=" after-put(http)"
if [[ -z $again ]]; then pass degraded_reread_then_overwrite_newest; else
  fail degraded_reread_then_overwrite_newest "$ow: wrong or failed:$again"
fi
# The owner back: the target that took the degraded PUT hands it over before the owner joins
# (catch-up at start-up), so the first reads from the owner already have the newer bytes.
"$DEV" start "$owner" >/dev/null 2>&1
back=""
"$AIS" get -q "ais://ec21/$ow" "$WORK/got/newer-back" >/dev/null 2>&1 && cmp -s "$WORK/newer" "$WORK/got/newer-back" || back+=" native"
curl -sf "http://$HTTP/v1/objects/ec21/$ow" -o "$WORK/got/newer-back-http" && cmp -s "$WORK/newer" "$WORK/got/newer-back-http" || back+=" http"
size=$("$AIS" object head "ais://ec21/$ow" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["size"])' 2>/dev/null)
[[ $size == 140000 ]] || back+=" head(size $size)"
if [[ -z $back ]]; then pass degraded_put_seen_when_owner_back; else
  fail degraded_put_seen_when_owner_back "$ow read from $owner, back: older or failed:$back"
fi
cp "$WORK/newer" "$WORK/src/$ow"
# While the owner still catches up (the peer that took a degraded PUT for it stopped: its
# hand-over answer does not come), its own gateway serves the newer version of a shard, by S3 GET
# and by a member read, never its older local copy.
mkdir -p "$WORK/cu/old" "$WORK/cu/new"
head -c 90000 /dev/urandom >"$WORK/cu/old/m.bin"
head -c 80000 /dev/urandom >"$WORK/cu/new/m.bin"
tar -cf "$WORK/cu/old.tar" -C "$WORK/cu/old" m.bin
tar -cf "$WORK/cu/new.tar" -C "$WORK/cu/new" m.bin
cu=catchup.tar
"$AIS" put -q "$WORK/cu/old.tar" "ais://ec21/$cu" >/dev/null
cuowner=$("$AIS" object head "ais://ec21/$cu" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
"$DEV" kill "$cuowner" >/dev/null 2>&1
"$AIS" put -q "$WORK/cu/new.tar" "ais://ec21/$cu" >/dev/null 2>&1
taker=$(find "$AIS_DEV_DIR" -path "*/@ais/ec21/%ob/$cu" | grep -v "^$AIS_DEV_DIR/$cuowner/" | head -1)
taker=${taker#"$AIS_DEV_DIR/"}
taker=${taker%%/*}
takerpid=$(pgrep -f "$AIS_DEV_DIR/$taker/aisnode.json" | head -1)
gw=127.0.0.1:$(( $(awk -v id="$cuowner" '$1 == id {print $3}' "$AIS_DEV_DIR/cluster") + 500 ))
seen=""
if [[ -n $takerpid ]]; then
  kill -STOP "$takerpid"
  caught=$(grep -c "caught up" "$AIS_DEV_DIR/$cuowner/aisnode.log")
  "$DEV" start "$cuowner" >"$WORK/cu/start.log" 2>&1 &
  startpid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://$gw/" && break; sleep 0.1; done
  curl -s -m 60 -o "$WORK/cu/s3" "http://$gw/ec21/$cu" &
  s3pid=$!
  curl -s -m 60 -o "$WORK/cu/member" "http://$gw/v1/objects/ec21/$cu?archpath=m.bin" &
  memberpid=$!
  curl -s -m 60 -o "$WORK/cu/v1" "http://$gw/v1/objects/ec21/$cu" &
  v1pid=$!
  curl -s -m 60 -r 1000-5999 -o "$WORK/cu/s3range" "http://$gw/ec21/$cu" &
  rangepid=$!
  sleep 0.5
  (($(grep -c "caught up" "$AIS_DEV_DIR/$cuowner/aisnode.log") == caught)) || seen+=" (caught up before the reads)"
  wait "$s3pid" "$memberpid" "$v1pid" "$rangepid"
  cmp -s "$WORK/cu/s3" "$WORK/cu/new.tar" || seen+=" s3:$(cmp -s "$WORK/cu/s3" "$WORK/cu/old.tar" && echo old || echo other)"
  cmp -s "$WORK/cu/v1" "$WORK/cu/new.tar" || seen+=" v1:$(cmp -s "$WORK/cu/v1" "$WORK/cu/old.tar" && echo old || echo other)"
  tail -c +1001 "$WORK/cu/new.tar" | head -c 5000 >"$WORK/cu/new-range"
  tail -c +1001 "$WORK/cu/old.tar" | head -c 5000 >"$WORK/cu/old-range"
  cmp -s "$WORK/cu/s3range" "$WORK/cu/new-range" || seen+=" s3-range:$(cmp -s "$WORK/cu/s3range" "$WORK/cu/old-range" && echo old || echo other)"
  cmp -s "$WORK/cu/member" "$WORK/cu/new/m.bin" || seen+=" member:$(cmp -s "$WORK/cu/member" "$WORK/cu/old/m.bin" && echo old || echo other)"
  kill -CONT "$takerpid"
  wait "$startpid"
else
  seen=" no target took the degraded PUT"
fi
if [[ -z $seen ]]; then pass catching_up_owner_serves_newest; else
  fail catching_up_owner_serves_newest "$cu on $cuowner ($taker stopped):$seen"
fi
"$AIS" object rm "ais://ec21/$cu" >/dev/null 2>&1  # (not one of src/, which the checks below count)
# A kept rebuild is checked against the slices before it is served: the owner down, the object
# read three times (the target answering for it keeps the rebuilt copy), the owner back and the
# object overwritten through it, the owner down again: the reads have the newest bytes, not the
# copy kept from before (that target saw no PUT to forget it by).
kp=$(ls "$WORK/src" | grep -v "^$ow\$" | tail -n 1)
kpowner=$("$AIS" object head "ais://ec21/$kp" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
"$DEV" kill "$kpowner" >/dev/null 2>&1
kept=""
for i in 1 2 3; do
  "$AIS" get -q "ais://ec21/$kp" "$WORK/got/kp$i" >/dev/null 2>&1 && cmp -s "$WORK/src/$kp" "$WORK/got/kp$i" || kept+=" read$i"
done
"$DEV" start "$kpowner" >/dev/null 2>&1
head -c 120000 /dev/urandom >"$WORK/kp-newer"
"$AIS" put -q "$WORK/kp-newer" "ais://ec21/$kp" >/dev/null 2>&1 || kept+=" put"
"$DEV" kill "$kpowner" >/dev/null 2>&1
for i in 1 2; do
  "$AIS" get -q "ais://ec21/$kp" "$WORK/got/kp-after$i" >/dev/null 2>&1 && cmp -s "$WORK/kp-newer" "$WORK/got/kp-after$i" ||
    kept+=" after$i:$(cmp -s "$WORK/src/$kp" "$WORK/got/kp-after$i" && echo kept-copy || echo other)"
done
"$DEV" start "$kpowner" >/dev/null 2>&1
cp "$WORK/kp-newer" "$WORK/src/$kp"
if [[ -z $kept ]]; then pass kept_rebuild_checked_against_slices; else
  fail kept_rebuild_checked_against_slices "$kp (owner $kpowner):$kept"
fi
# A hung owner (stopped: its connections stay open, nothing answers) costs a client seconds, not
# the request's whole timeout (60 s): a call out to a node for 5 s makes the client probe it, and
# with no answer within 5 s more it routes around it: a degraded PUT, then a degraded read.
hg=$(ls "$WORK/src" | grep -v -e "^$ow\$" -e "^$kp\$" | tail -n 2 | head -n 1)
hgowner=$("$AIS" object head "ais://ec21/$hg" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
hgpid=$(pgrep -f "$AIS_DEV_DIR/$hgowner/aisnode.json" | head -1)
head -c 110000 /dev/urandom >"$WORK/hg-newer"
hung=""
late=""
if [[ -n $hgpid ]]; then
  kill -STOP "$hgpid"
  # At once, through another node's gateway (S3), before the primary marks the owner down: the
  # relay to the owner's gateway gets no header within 5 s and the GET goes through the fabric,
  # routed around the owner too (before, the relay waited out the 60 s stall timeout).
  ts=$(date +%s)
  curl -sf -m 90 -o "$WORK/got/hg-s3-proxy" "http://$HTTP/ec21/$hg" &&
    cmp -s "$WORK/src/$hg" "$WORK/got/hg-s3-proxy" || hung+=" s3-get-via-proxy-failed"
  t0=$(date +%s)
  ((t0 - ts <= 30)) || hung+=" s3-get-via-proxy-took-$((t0 - ts))s"
  timeout 120 "$AIS" put -q "$WORK/hg-newer" "ais://ec21/$hg" >/dev/null 2>&1 || hung+=" put-failed"
  t1=$(date +%s)
  timeout 120 "$AIS" get -q "ais://ec21/$hg" "$WORK/got/hg" >/dev/null 2>&1 &&
    cmp -s "$WORK/hg-newer" "$WORK/got/hg" || hung+=" get-failed"
  t2=$(date +%s)
  # A second write while the owner still hangs: degraded too. The first PUT's messages still sit
  # in the owner's socket: when it resumes it commits them, late. That stale write must not win
  # over the newer one (the later-issued write is the object, whatever the order of the commits).
  head -c 110000 /dev/urandom >"$WORK/hg-newest"
  timeout 120 "$AIS" put -q "$WORK/hg-newest" "ais://ec21/$hg" >/dev/null 2>&1 || late+=" put2-failed"
  kill -CONT "$hgpid"
  # At once: the owner's loop stood still, so it checks the slices before it serves its own
  # copy (older, or the late first PUT) until the peers have handed over.
  hggw=127.0.0.1:$(( $(awk -v id="$hgowner" '$1 == id {print $3}' "$AIS_DEV_DIR/cluster") + 500 ))
  curl -s -m 30 -o "$WORK/got/hg-resumed-s3" "http://$hggw/ec21/$hg"
  cmp -s "$WORK/hg-newest" "$WORK/got/hg-resumed-s3" ||
    late+=" resumed-s3:$(cmp -s "$WORK/hg-newer" "$WORK/got/hg-resumed-s3" && echo stale-first-put || echo older)"
  ((t1 - t0 <= 30)) || hung+=" put-took-$((t1 - t0))s"
  ((t2 - t1 <= 30)) || hung+=" get-took-$((t2 - t1))s"
  sleep 4  # the late commit, and the handover round after it
  for i in 1 2 3; do
    "$AIS" get -q "ais://ec21/$hg" "$WORK/got/hg-late$i" >/dev/null 2>&1 || { late+=" read$i-failed"; continue; }
    cmp -s "$WORK/hg-newest" "$WORK/got/hg-late$i" ||
      late+=" read$i:$(cmp -s "$WORK/hg-newer" "$WORK/got/hg-late$i" && echo stale-first-put || echo other)"
    sleep 1
  done
else
  hung=" no pid for $hgowner"
fi
cp "$WORK/hg-newest" "$WORK/src/$hg"
if [[ -z $hung ]]; then pass hung_owner_routed_around; else
  fail hung_owner_routed_around "$hg (owner $hgowner stopped):$hung"
fi
if [[ -z $late && -z $hung ]]; then pass hung_owner_late_commit_loses; else
  fail hung_owner_late_commit_loses "$hg (owner $hgowner stopped):${late:-$hung}"
fi

# Deletes take the slices and replicas along.
before=$(held_files ec21)
dels=$(ls "$WORK/src" | tail -n 10)
for n in $dels; do "$AIS" object rm "ais://ec21/$n" >/dev/null 2>&1 || true; done
left=""
for n in $dels; do left+=" $(find "$AIS_DEV_DIR" -type f -path "*@ais/%ec.ec21/%ob/$n")"; done
if [[ -z ${left// /} ]] && (($(held_files ec21) < before)); then pass delete_removes_slices; else
  fail delete_removes_slices "held files of deleted objects remain:$left"
fi
for n in $dels; do rm -f "$WORK/src/$n"; done
N=$((N - 10))

# Deletes while a target that holds pieces is down: the objects stay deleted (never restored from
# what it held), and once it is back the delete reaches it too.
# (Objects t4 does not own here: a degraded delete, its owner down, is the next check.)
dels=""
for n in $(ls "$WORK/src" | tail -n 40); do
  [[ $("$AIS" object head "ais://ec21/$n" --json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])') != t4 ]] && dels+=" $n"
  (($(wc -w <<<"$dels") == 10)) && break
done
"$DEV" kill t4 >/dev/null 2>&1
for n in $dels; do "$AIS" object rm "ais://ec21/$n" >/dev/null 2>&1 || true; done
"$DEV" start t4 >/dev/null 2>&1
back=""
for n in $dels; do
  "$AIS" object head "ais://ec21/$n" >/dev/null 2>&1 && back+=" $n"
  "$AIS" get -q "ais://ec21/$n" "$WORK/got/x" >/dev/null 2>&1 && back+=" $n(get)"
done
if [[ -z $back ]]; then pass deleted_stay_deleted; else fail deleted_stay_deleted "back:$back"; fi
left=1
for _ in $(seq 1 30); do
  left=0
  for n in $dels; do left=$((left + $(find "$AIS_DEV_DIR" -type f -path "*@ais/%ec.ec21/%ob/$n" | wc -l))); done
  ((left == 0)) && break
  sleep 0.5
done
if ((left == 0)); then pass late_delete_reaches_returned_target; else
  fail late_delete_reaches_returned_target "$left pieces of deleted objects remain"
fi
for n in $dels; do rm -f "$WORK/src/$n"; done
N=$((N - $(wc -w <<<"$dels")))

owner_of() { "$AIS" object head "ais://$1/$2" --json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])'; }
# Pieces and copies of the given objects of ec21 left on disk (main copies and EC pieces).
leftovers() {
  local n c=0
  for n in "$@"; do c=$((c + $(find "$AIS_DEV_DIR" -type f \( -path "*@ais/%ec.ec21/%ob/$n" -o -path "*@ais/ec21/%ob/$n" \) | wc -l))); done
  echo $c
}

# leftovers, once it is 0 or after 20 s.
leftovers_after_wait() {
  local left _
  for _ in $(seq 1 40); do
    left=$(leftovers "$@")
    ((left == 0)) && break
    sleep 0.5
  done
  echo "$left"
}
# The given objects of ec21 that a GET still reads.
read_back() {
  local n
  for n in "$@"; do "$AIS" get -q "ais://ec21/$n" "$WORK/got/x" >/dev/null 2>&1 && echo -n " $n"; done
}

# A degraded delete: objects whose owner is down are deleted all the same (the target after it
# in HRW order takes the delete, and repeats it on the owner once that is back): gone at once,
# and the owner's own copies go when it returns.
owned=""
for n in $(ls "$WORK/src"); do
  [[ $(owner_of ec21 "$n") == t4 ]] && owned+=" $n"
  (($(wc -w <<<"$owned") == 5)) && break
done
"$DEV" kill t4 >/dev/null 2>&1
rmfail=""
for n in $owned; do out=$("$AIS" object rm "ais://ec21/$n" 2>&1) || rmfail+=" $n($(head -c 200 <<<"$out"))"; done
if [[ -n $owned && -z $rmfail ]]; then pass degraded_delete_succeeds; else
  fail degraded_delete_succeeds "owned by t4: '$owned'; failed:$rmfail"
fi
back=""
for n in $owned; do
  "$AIS" get -q "ais://ec21/$n" "$WORK/got/x" >/dev/null 2>&1 && back+=" $n"
  curl -sf "http://$HTTP/v1/objects/ec21/$n" -o /dev/null && back+=" $n(http)"
done
if [[ -z $back ]]; then pass degraded_deleted_gone; else fail degraded_deleted_gone "still read:$back"; fi
"$DEV" start t4 >/dev/null 2>&1
# Read at once: the delete reached t4 before it joined (catch-up), so it never serves them.
back=$(read_back $owned)
left=$(leftovers_after_wait $owned)
back+=$(read_back $owned)
if ((left == 0)) && [[ -z $back ]]; then pass degraded_delete_reaches_owner; else
  fail degraded_delete_reaches_owner "$left copies or pieces left; read back:$back"
fi
for n in $owned; do rm -f "$WORK/src/$n"; done
N=$((N - $(wc -w <<<"$owned")))

# The delete to repeat is durable: the target that keeps it restarts before the silent target
# is back, and the delete still reaches it (nothing deleted comes back).
keeper=""
dels=""
for n in $(ls "$WORK/src"); do
  o=$(owner_of ec21 "$n")
  [[ $o == t4 ]] && continue
  [[ -z $keeper ]] && keeper=$o
  [[ $o == "$keeper" ]] && dels+=" $n"
  (($(wc -w <<<"$dels") == 5)) && break
done
"$DEV" kill t4 >/dev/null 2>&1
for n in $dels; do "$AIS" object rm "ais://ec21/$n" >/dev/null 2>&1 || true; done
"$DEV" kill "$keeper" >/dev/null 2>&1
"$DEV" start "$keeper" >/dev/null 2>&1
"$DEV" start t4 >/dev/null 2>&1
left=$(leftovers_after_wait $dels)
back=$(read_back $dels)
resumed=$(grep -c "repeated delete(s) left by the last run" "$AIS_DEV_DIR/$keeper/aisnode.log")
if ((left == 0 && resumed > 0)) && [[ -n $dels && -z $back ]]; then pass delete_repeat_survives_restart; else
  fail delete_repeat_survives_restart "keeper $keeper (resumed $resumed): $left copies or pieces left; read back:$back"
fi
for n in $dels; do rm -f "$WORK/src/$n"; done
N=$((N - $(wc -w <<<"$dels")))

# A mountpath lost (wiped while its target was down): at restart the target has every EC bucket
# repaired: its objects that were there come back and the pieces it held are placed again.
mp=$(ls -d "$AIS_DEV_DIR"/t3/mp* | head -n 1)
"$DEV" kill t3 >/dev/null 2>&1
rm -rf "${mp:?}"/* "${mp:?}"/.ais.lomdb
"$DEV" start t3 >/dev/null 2>&1
mains() { find "$AIS_DEV_DIR" -type f -path "*@ais/$1/%ob/*" 2>/dev/null | wc -l; }
repaired=0
for _ in $(seq 1 60); do
  (($(mains ec21) == N)) && [[ -z $(underprotected ec21 2 1 65536) ]] && { repaired=1; break; }
  sleep 0.5
done
if ((repaired)); then pass lost_mountpath_repaired; else
  nomain=""
  for f in "$WORK"/src/*; do
    [[ -n $(main_file ec21 "$(basename "$f")") ]] || nomain+=" $(basename "$f")"
  done
  [[ -n ${DEBUG_EC:-} ]] && for n in $nomain; do grep -h "$n" "$AIS_DEV_DIR"/*/aisnode.log | tail -5; find "$AIS_DEV_DIR" -path "*/$n" | head; done
  # (Names with more than one main copy, and where: what a count over N is made of.)
  twice=$(find "$AIS_DEV_DIR" -type f -path "*@ais/ec21/%ob/*" -printf '%f\n' 2>/dev/null | sort | uniq -d)
  where=""
  for n in $twice; do where+=" $n: [$(find "$AIS_DEV_DIR" -type f -path "*@ais/ec21/%ob/$n" | sed "s|$AIS_DEV_DIR/||" | tr '\n' ' ')]"; done
  extra=""  # main copies of names no longer written (deleted above)
  for n in $(find "$AIS_DEV_DIR" -type f -path "*@ais/ec21/%ob/*" -printf '%f\n' 2>/dev/null | sort -u); do
    [[ -e $WORK/src/$n ]] || extra+=" $n"
  done
  fail lost_mountpath_repaired "$(mains ec21) main copies of $N (none:$nomain; twice:$where; not written:$extra); under-protected:$(underprotected ec21 2 1 65536 | head -c 300)"
fi

# ec-encode of a populated bucket, interrupted by a kill, run again: everything protected.
"$AIS" bucket create ais://plain >/dev/null
"$AIS" put -q "$WORK/src" ais://plain >/dev/null
if (($(held_files plain) == 0)); then pass plain_bucket_no_slices; else fail plain_bucket_no_slices; fi
"$AIS" ec-encode ais://plain --data-slices 2 --parity-slices 1 >/dev/null 2>&1
"$DEV" kill t2 >/dev/null 2>&1
# t2 stays down until the other targets' parts of that job have ended (what they could not
# place on t2 is left for the run below).
encode_ended_without() { # ID: every target but ID has a part of an ec-encode of ais://plain, ended
  curl -sf --max-time 10 "http://$HTTP/v1/jobs?kind=ec-encode&all=true" 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
parts = {}
for j in d["jobs"]:
    if j["bucket"].removeprefix("ais://") == "plain":
        for p in j["parts"]:
            parts.setdefault(p["node"], []).append(p["state"])
want = [t for t in sys.argv[2:] if t != sys.argv[1]]
sys.exit(0 if all(t in parts and "running" not in parts[t] for t in want) else 1)' "$1" $(targets)
}
ok=0
for _ in $(seq 1 240); do encode_ended_without t2 && { ok=1; break; }; sleep 0.25; done
check ec_encode_ran_without_t2 test $ok = 1
"$DEV" start t2 >/dev/null 2>&1
check ec_encode_resumed "$AIS" ec-encode ais://plain --wait --timeout 120
under=$(underprotected plain 2 1 262144)
if [[ -z $under ]]; then pass ec_encode_all_protected; else fail ec_encode_all_protected "under-protected:$under"; fi
"$DEV" kill t3 >/dev/null 2>&1
bad=$(verify_all plain)
if [[ -z $bad ]]; then pass ec_encoded_survive_kill; else fail ec_encoded_survive_kill "differ:$bad"; fi
"$DEV" start t3 >/dev/null 2>&1

# Props that would strand data are refused clearly.
out=$("$AIS" bucket props set ais://ec21 ec.data_slices=3 2>&1)
if [[ $? -ne 0 && $out == *"cannot change while EC is enabled"* ]]; then pass ec_slices_change_refused; else
  fail ec_slices_change_refused "$out"
fi
out=$("$AIS" bucket create ais://toowide 2>&1 && "$AIS" bucket props set ais://toowide ec.enabled=true ec.data_slices=3 ec.parity_slices=2 2>&1)
if [[ $? -ne 0 && $out == *"needs at least 6 targets"* ]]; then pass ec_too_few_targets_refused; else
  fail ec_too_few_targets_refused "$out"
fi

# ---------------- EC 4+2 on 7 targets ----------------
setup 7 ec42 4 2
kill_and_read ec42 2

# PUTs with P targets dead (owners among them): all succeed (the next target stores and
# protects what a dead owner would), read back while they are dead, and once they are back each
# object is handed over to its owner: one main copy each, the right bytes.
"$DEV" kill t1 >/dev/null 2>&1
"$DEV" kill t2 >/dev/null 2>&1
mkdir -p "$WORK/deg"
putfail=""
for i in $(seq 1 30); do
  head -c $((RANDOM * 4 + 1)) /dev/urandom >"$WORK/deg/d$i"
  out=$("$AIS" put -q "$WORK/deg/d$i" "ais://ec42/deg/d$i" 2>&1) || putfail+=" d$i($(head -c 300 <<<"$out"))"
done
if [[ -z $putfail ]]; then pass degraded_puts_succeed; else fail degraded_puts_succeed "failed:$putfail"; fi
bad=""
for i in $(seq 1 30); do
  "$AIS" get -q "ais://ec42/deg/d$i" "$WORK/got/d$i" >/dev/null 2>&1 && cmp -s "$WORK/deg/d$i" "$WORK/got/d$i" || bad+=" d$i"
done
if [[ -z $bad ]]; then pass degraded_puts_read_back; else fail degraded_puts_read_back "differ:$bad"; fi
"$DEV" start t1 >/dev/null 2>&1
"$DEV" start t2 >/dev/null 2>&1
handed=0
for _ in $(seq 1 40); do
  (($(find "$AIS_DEV_DIR" -type f -path "*@ais/ec42/%ob/deg/*" | wc -l) == 30)) &&
    (($(find "$AIS_DEV_DIR"/t1 "$AIS_DEV_DIR"/t2 -type f -path "*@ais/ec42/%ob/deg/*" | wc -l) > 0)) && { handed=1; break; }
  sleep 0.5
done
bad=""
for i in $(seq 1 30); do
  "$AIS" get -q "ais://ec42/deg/d$i" "$WORK/got/d$i" >/dev/null 2>&1 && cmp -s "$WORK/deg/d$i" "$WORK/got/d$i" || bad+=" d$i"
done
if ((handed)) && [[ -z $bad ]]; then pass degraded_puts_handed_over; else
  fail degraded_puts_handed_over "main copies: $(find "$AIS_DEV_DIR" -type f -path "*@ais/ec42/%ob/deg/*" | wc -l) (t1+t2: $(find "$AIS_DEV_DIR"/t1 "$AIS_DEV_DIR"/t2 -type f -path "*@ais/ec42/%ob/deg/*" | wc -l)); differ:$bad"
fi

# A dead target removed from the cluster: the new owners restore the main copies it took along.
"$DEV" kill t7 >/dev/null 2>&1
"$AIS" cluster rm-node t7 >/dev/null 2>&1
mains_of() { find "$AIS_DEV_DIR" -type f -path "*@ais/$1/%ob/*" -not -path "$AIS_DEV_DIR/t7/*" 2>/dev/null | wc -l; }
rebuilt=0
for _ in $(seq 1 60); do
  (($(mains_of ec42) == N + 30)) && { rebuilt=1; break; }
  sleep 0.5
done
if ((rebuilt)); then pass removed_target_objects_rebuilt; else
  fail removed_target_objects_rebuilt "$(mains_of ec42) main copies on the remaining targets, want $((N + 30))"
fi
bad=$(verify_all ec42)
if [[ -z $bad ]]; then pass removed_target_reads_all; else fail removed_target_reads_all "differ:$bad"; fi

echo "ec_test: $FAILS failed"
((FAILS == 0))
