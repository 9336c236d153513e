#!/usr/bin/env bash
# aisfs while a target hangs (SIGSTOP: its kernel still accepts connections, nothing answers):
# the files of a bucket with EC that it owned stay readable through the mount, byte-exact, and
# only the first call that meets the silent node waits out its probe (10 s); after that lookups,
# reads, `ls -l` and writes go around it at once (the client suspects the node, then the Smap
# flags it down; listings and peers' rounds skip it: docs/aisfs.md, "A target down or hung"),
# S3 GETs through the proxy meanwhile read them within seconds (so do /v1 and ranged GETs of
# objects nobody read yet), and an S3 listing of the bucket is complete. Once the Smap flags the
# target down, its EC objects read at once by S3, /v1 and the CLI, whole and ranged.
# A plain bucket's files on the other targets stay readable, and nothing hangs there either.
# Then the target resumes and every file still reads back.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built hung_target_test --fuse
mounted_bucket fshung
ais bucket props set "ais://$B" ec.enabled=true ec.data_slices=1 ec.parity_slices=1 \
  ec.objsize_limit=0 >/dev/null || fail ec_props
ais bucket create ais://fsplainh >/dev/null || fail bucket_create_plain
P=$MNT/fsplainh

mkdir -p "$WORK/src" "$M/d" "$P/d" || fail mkdir
for i in $(seq 1 18); do
  head -c $((40000 + i * 13001)) /dev/urandom >"$WORK/src/f$i"
  cp "$WORK/src/f$i" "$M/d/f$i" || fail "put_f$i"
  cp "$WORK/src/f$i" "$P/d/f$i" || fail "put_plain_f$i"
done
owner_of() { ais object head "ais://$1/$2" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])'; }
victim=$(owner_of "$B" d/f1)
pid=$(awk -v id="$victim" '$1 == id { print $4 }' "$AIS_DEV_DIR/cluster")
owned=() others=() plainowned=()
for i in $(seq 1 18); do
  if [[ $(owner_of "$B" "d/f$i") == "$victim" ]]; then owned+=("f$i"); fi
  if [[ $(owner_of fsplainh "d/f$i") != "$victim" ]]; then others+=("f$i"); else plainowned+=("f$i"); fi
done
# Objects of the victim no client reads before the hang (no copy restored or kept anywhere):
# one for each path checked below, put through the CLI.
head -c 70000 /dev/urandom >"$WORK/src/x"
fresh=()
for i in $(seq 1 90); do
  ais put "$WORK/src/x" "ais://$B/x/x$i" >/dev/null || fail "put_x$i"
  [[ $(owner_of "$B" "x/x$i") == "$victim" ]] && fresh+=("x$i")
  ((${#fresh[@]} == 9)) && break
done
echo "victim $victim (pid $pid) owns ${#owned[@]} EC files; ${#others[@]} plain files elsewhere"
((${#owned[@]} >= 3)) && ((${#others[@]} >= 2)) && ((${#plainowned[@]} >= 1)) && ((${#fresh[@]} == 9)) && [[ -n $pid ]] || { fail setup "too few files"; finish; }

# A fresh mount: nothing of the files is cached in this aisfs or the kernel.
unmount_fs || fail unmount
mount_fs
secs() { echo "$(date +%s.%N) - $1" | bc; }
within() { # LIMIT START: the time since START is under LIMIT seconds
  (($(echo "$(secs "$2") < $1" | bc))) || {
    echo "took $(secs "$2") s (limit $1)" >&2
    return 1
  }
}

kill -STOP "$pid"
t0=$(date +%s.%N)
# At the same time, S3 GETs of those files through the proxy's gateway (which relays a GET to
# its owner's gateway): each byte-exact within 11 s, in the seconds before the primary flags
# the victim down (the relay waits 5 s for a header, then the node's fabric probe, 2 s, goes
# unanswered: the proxy's client and the target serving the degraded read then go around it).
s3_get() { # FILE: "ok SECONDS" or "bad SECONDS"
  local t verdict=bad
  t=$(date +%s.%N)
  curl -sf -m 60 "$S3_ENDPOINT/$B/d/$1" | cmp -s - "$WORK/src/$1" && verdict=ok
  echo "$verdict $(secs "$t")"
}
# ...and /v1 and ranged GETs of objects of the victim no client read yet, in the same window:
# within 13 s (measured 9-10 s: after the relay gives up, these ask the object's info and then
# its bytes, two degraded calls, and the target serving each gives the silent owner 1 s).
tail -c +1001 "$WORK/src/x" | head -c 50000 >"$WORK/range.want"  # bytes 1000..50999
http_get() { # URL-PATH RANGE|-: "ok SECONDS" or "bad SECONDS"
  local t verdict=bad want=$WORK/src/x
  [[ $2 != - ]] && want=$WORK/range.want
  t=$(date +%s.%N)
  local range=()
  [[ $2 != - ]] && range=(-r "$2")
  curl -sf -m 60 "${range[@]}" "$S3_ENDPOINT/$1" | cmp -s - "$want" && verdict=ok
  echo "$verdict $(secs "$t")"
}
getters=()
for f in "${owned[@]}"; do
  s3_get "$f" >"$WORK/s3get.$f" &
  getters+=($!)
done
http_get "v1/objects/$B/x/${fresh[6]}" - >"$WORK/early.v1" &
getters+=($!)
http_get "$B/x/${fresh[7]}" 1000-50999 >"$WORK/early.s3range" &
getters+=($!)
http_get "v1/objects/$B/x/${fresh[8]}" 1000-50999 >"$WORK/early.v1range" &
getters+=($!)
got=$(timeout 90 cat "$M/d/${owned[0]}" | cmp - "$WORK/src/${owned[0]}" && echo same)
if [[ $got == same ]] && within 30 "$t0"; then pass first_read_around_hung_owner; else
  fail first_read_around_hung_owner "${owned[0]}: ${got:-differs or failed} after $(secs "$t0") s"
fi
slow=""
for f in "${owned[@]:1}"; do
  t=$(date +%s.%N)
  timeout 60 cmp -s "$M/d/$f" "$WORK/src/$f" || slow+=" $f:differs"
  within 5 "$t" 2>/dev/null || slow+=" $f:$(secs "$t")s"
done
if [[ -z $slow ]]; then pass later_reads_go_around_at_once; else fail later_reads_go_around_at_once "$slow"; fi
wait "${getters[@]}"
bad=""
for f in "${owned[@]}"; do
  read -r verdict took <"$WORK/s3get.$f"
  echo "S3 GET of $f: $verdict after $took s"
  [[ $verdict == ok ]] && (($(echo "$took < 11" | bc))) || bad+=" $f:$verdict:${took}s"
done
if [[ -z $bad ]]; then pass s3_gets_around_hung_owner; else fail s3_gets_around_hung_owner "$bad"; fi
for kind in v1 s3range v1range; do
  read -r verdict took <"$WORK/early.$kind"
  echo "early $kind GET of a fresh EC object: $verdict after $took s"
  if [[ $verdict == ok ]] && (($(echo "$took < 13" | bc))); then pass "early_${kind}_get_around_hung_owner"; else
    fail "early_${kind}_get_around_hung_owner" "$verdict after $took s"
  fi
done
t=$(date +%s.%N)
n=$(timeout 60 ls -l "$M/d" | grep -c ' f[0-9]*$')
if ((n == 18)) && within 5 "$t"; then pass ls_l_complete_at_once; else
  fail ls_l_complete_at_once "$n of 18 names after $(secs "$t") s"
fi
# The same bucket through S3 (the gateway's own client): complete, the second listing at once.
s3_keys() { curl -s -m 90 "$S3_ENDPOINT/$B?list-type=2&prefix=d/f" | grep -o '<Key>d/f[0-9]*</Key>' | wc -l; }
t=$(date +%s.%N)
n1=$(s3_keys)
first=$(within 30 "$t" && echo ok)
t=$(date +%s.%N)
n2=$(s3_keys)
if ((n1 == 18 && n2 == 18)) && [[ $first == ok ]] && within 5 "$t"; then
  pass s3_listing_complete_at_once
else
  fail s3_listing_complete_at_once "$n1 then $n2 of 18 keys (second after $(secs "$t") s)"
fi
t=$(date +%s.%N)
head -c 123457 /dev/urandom >"$WORK/src/new"
if timeout 60 cp "$WORK/src/new" "$M/d/new" && timeout 60 cmp -s "$M/d/new" "$WORK/src/new" &&
  within 10 "$t"; then pass write_while_hung; else
  fail write_while_hung "after $(secs "$t") s"
fi
t=$(date +%s.%N)
bad=""
for f in "${others[@]:0:3}"; do timeout 60 cmp -s "$P/d/$f" "$WORK/src/$f" || bad+=" $f"; done
if [[ -z $bad ]] && within 30 "$t"; then pass plain_files_elsewhere_read; else
  fail plain_files_elsewhere_read "${bad:-slow} after $(secs "$t") s"
fi
# The plain bucket's listing misses the hung target's part: an error or a listing, not a hang.
t=$(date +%s.%N)
timeout 100 ls "$P/d" >/dev/null 2>&1
if within 75 "$t"; then pass plain_listing_returns; else fail plain_listing_returns; fi

# Once the primary flags the target down, the CLI's GET of a plain object it owns fails at
# once (no copy elsewhere), rather than each attempt waiting out the probe.
for _ in $(seq 1 60); do
  ais show cluster 2>/dev/null | awk -v id="$victim" '$2 == id && $4 == "down" { f = 1 } END { exit !f }' && break
  sleep 0.5
done
t=$(date +%s.%N)
ais get "ais://fsplainh/d/${plainowned[0]}" "$WORK/plain.got" >/dev/null 2>&1
got=$?
echo "ais get of ${plainowned[0]} (owner $victim, down): exit $got after $(secs "$t") s"
if ((got != 0)) && within 10 "$t"; then
  pass plain_get_of_down_owner_fails_at_once
else
  fail plain_get_of_down_owner_fails_at_once "after $(secs "$t") s"
fi

# The same through the proxy's gateway, S3 and /v1: a clear 503 within 10 s, no bytes.
for path in "fsplainh/d/${plainowned[0]}" "v1/objects/fsplainh/d/${plainowned[0]}"; do
  t=$(date +%s.%N)
  code=$(curl -s -m 60 -o "$WORK/plain.http" -w '%{http_code}' "$S3_ENDPOINT/$path")
  echo "GET /$path (owner $victim, down): $code after $(secs "$t") s"
  if [[ $code == 503 ]] && within 10 "$t"; then pass "http_get_of_down_owner_503_${path%%/*}"; else
    fail "http_get_of_down_owner_503_${path%%/*}" "$code after $(secs "$t") s: $(head -c 200 "$WORK/plain.http")"
  fi
done

# EC objects the hung target owns, by every other path while it is flagged down: whole and
# ranged, S3 and /v1 through the proxy's gateway, and the CLI whole and ranged: the right bytes
# within 10 s each (a degraded read from the slices: each object read for the first time),
# never an error or a hang.
ec_path() { # NAME URL-PATH [RANGE]: the body of a GET through the proxy's gateway is right
  local name=$1 path=$2 range=${3:-} t code want=$WORK/src/x f=${2##*/}
  [[ -n $range ]] && want=$WORK/range.want
  t=$(date +%s.%N)
  code=$(curl -s -m 60 -o "$WORK/ec.http" -w '%{http_code}' ${range:+-H "Range: bytes=$range"} "$S3_ENDPOINT/$path")
  echo "GET /$path ${range:+(bytes $range) }of EC $f (owner $victim, down): $code after $(secs "$t") s"
  if [[ $code == 20[06] ]] && cmp -s "$WORK/ec.http" "$want" && within 10 "$t"; then pass "$name"; else
    fail "$name" "$code after $(secs "$t") s, $(stat -c %s "$WORK/ec.http") bytes"
  fi
}
ec_path ec_s3_get_of_down_owner "$B/x/${fresh[0]}"
ec_path ec_s3_range_get_of_down_owner "$B/x/${fresh[1]}" 1000-50999
ec_path ec_v1_get_of_down_owner "v1/objects/$B/x/${fresh[2]}"
ec_path ec_v1_range_get_of_down_owner "v1/objects/$B/x/${fresh[3]}" 1000-50999
t=$(date +%s.%N)
if timeout 60 "$AIS_BIN" get "ais://$B/x/${fresh[4]}" "$WORK/ec.cli" >/dev/null 2>&1 && cmp -s "$WORK/ec.cli" "$WORK/src/x" &&
  within 10 "$t"; then pass ec_cli_get_of_down_owner; else
  fail ec_cli_get_of_down_owner "after $(secs "$t") s"
fi
t=$(date +%s.%N)
if timeout 60 "$AIS_BIN" get "ais://$B/x/${fresh[5]}" "$WORK/ec.cli.range" --offset 1000 --length 50000 >/dev/null 2>&1 &&
  cmp -s "$WORK/ec.cli.range" "$WORK/range.want" && within 10 "$t"; then
  pass ec_cli_range_get_of_down_owner
else
  fail ec_cli_range_get_of_down_owner "after $(secs "$t") s, $(stat -c %s "$WORK/ec.cli.range" 2>/dev/null) bytes"
fi

kill -CONT "$pid"
sleep 3
bad=""
for i in $(seq 1 18); do cmp -s "$M/d/f$i" "$WORK/src/f$i" || bad+=" f$i"; done
cmp -s "$M/d/new" "$WORK/src/new" || bad+=" new"
for f in "${owned[@]}"; do cmp -s "$P/d/$f" "$WORK/src/$f" 2>/dev/null || bad+=" plain:$f"; done
if [[ -z $bad ]]; then pass all_read_after_resume; else fail all_read_after_resume "$bad"; fi
check cli_reads_new_after_resume bash -c "'$AIS_BIN' get ais://$B/d/new '$WORK/new.got' >/dev/null && cmp -s '$WORK/new.got' '$WORK/src/new'"

# A short pause (8 s: the proxy's relay suspects the node, the primary may not flag it yet):
# once the victim answers again, S3 GETs of its objects go back to it within seconds (the
# suspected node is asked again in the background), not after its suspicion runs out (15 s).
sleep 16 # (the first stop's suspicion is over)
victim_http=$(ais show cluster --json | $PY -c '
import json, sys
print(next(n["http_endpoint"] for n in json.load(sys.stdin)["nodes"] if n["id"] == sys.argv[1]))' "$victim")
served() { curl -s -m 5 "http://$victim_http/metrics" | awk '/^ais_http_requests_total.*api="s3",code="200",method="GET"/ { n += $2 } END { print n + 0 }'; }
(for _ in $(seq 1 80); do curl -s -m 30 -o /dev/null "$S3_ENDPOINT/$B/d/${owned[0]}"; sleep 0.3; done) &
loop=$!
kill -STOP "$pid"
sleep 8
kill -CONT "$pid"
t=$(date +%s.%N)
at_cont=$(served)
back=""
for _ in $(seq 1 50); do
  (($(served) >= at_cont + 2)) && back=yes && break
  sleep 0.2
done
echo "after the short pause: the victim's gateway serves again after $(secs "$t") s"
if [[ $back == yes ]] && within 6 "$t"; then pass short_pause_owner_trusted_again; else
  fail short_pause_owner_trusted_again "no relayed GET reached $victim for $(secs "$t") s"
fi
kill "$loop" 2>/dev/null
wait "$loop" 2>/dev/null
finish
