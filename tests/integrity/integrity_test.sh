#!/usr/bin/env bash
# Fault drill: "bytes that fail their checksum are never delivered".
#
# A private playground (1 proxy + 3 targets) plus an aisfs mount. Objects of 10 KiB, 200 KiB,
# 3 MiB + 4567 B and 20 MiB are PUT once per fault kind, then their files on the owner target's
# mountpath are damaged behind the store's back:
#   flipmid   one byte in the middle flipped (xor 0xff)
#   fliplast  one byte in the last 64 KiB block flipped
#   trunc     the file truncated to 1000 bytes
#   gone      the file deleted (its metadata stays)
# and every read path must refuse the damaged bytes: `ais get` (file, stdout, ranges), S3 and the
# native /v1 API through the proxy's, the owner's and a non-owner target's HTTP gateway (whole and
# Range), `aws s3 cp`, and aisfs (`cat`). A failed read may deliver a prefix of the right bytes
# (then it must signal the failure: non-zero exit, a truncated HTTP body), never a wrong byte, never
# a wrong length with success, never a hang. Ranges that do not touch the damaged 64 KiB block must
# still succeed with the right bytes (per-block checksums). A deleted file gives a clear
# "not found"/"corrupt" error. Restarting the owner must not adopt the damaged file as the
# object; undamaged objects, and new PUTs, keep working.
# Prints PASS/FAIL/SKIP <name> (about 840 checks) and "integrity_test: N passed, N failed"; exits
# non-zero if any check failed. Takes about 150 s on 2 cores (alone).
# shellcheck source=tests/integrity/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built integrity_test

BLK=65536 # the store's checksum block
B=integ
D=$WORK/data # reference copies
O=$WORK/out  # what the reads returned
mkdir -p "$D" "$O"

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=2
HAVE_AWS=0
command -v aws >/dev/null && HAVE_AWS=1

cluster_up
PROXY=$(proxy_id)
mapfile -t TARGETS < <(targets)
((${#TARGETS[@]} == 3)) || { fail cluster_layout "expected 3 targets: $(cat "$AIS_DEV_DIR/cluster")"; finish integrity_test; }

HAVE_FS=0
if have_fuse; then
  # Short TTLs: a restart or a fault must not hide behind cached attributes.
  mount_fs --attr-ttl 1 --list-ttl 1 && HAVE_FS=1 && pass mount
else
  skip aisfs "no aisfs binary, /dev/fuse or fusermount3: aisfs reads are not checked"
fi

if ais bucket create "ais://$B" >"$O/mk.log" 2>&1; then pass bucket_create; else
  fail bucket_create "$(cat "$O/mk.log")"
  finish integrity_test
fi

# ---------------------------------------------------------------------------------------------
# Objects: "ctl-*" stay intact (the reference for every path's mechanics); "<kind>-*" get damaged.

declare -A SIZE REF FILE OWNER OTHER KIND BADOFF BAD_RANGES CLEAN_RANGES DD_CLEAN HEAD_CK
LABELS=(10k 200k 3m 20m)
declare -A BYTES=([10k]=10240 [200k]=204800 [3m]=$((3 * 1048576 + 4567)) [20m]=$((20 * 1048576)))
KINDS=(flipmid fliplast trunc gone)
CTL=()
FAULTY=()

for l in "${LABELS[@]}"; do
  for k in ctl "${KINDS[@]}"; do
    o=$k-$l
    # each object its own random content: a mix-up between objects shows as wrong bytes
    head -c "${BYTES[$l]}" /dev/urandom >"$D/$o"
    SIZE[$o]=${BYTES[$l]}
    REF[$o]=$D/$o
    KIND[$o]=$k
    BAD_RANGES[$o]=""
    CLEAN_RANGES[$o]=""
    DD_CLEAN[$o]=""
    if [[ $k == ctl ]]; then CTL+=("$o"); else FAULTY+=("$o"); fi
  done
done

put_fail=0
for o in "${CTL[@]}" "${FAULTY[@]}"; do
  if ! ais put "${REF[$o]}" "ais://$B/$o" -q >"$O/put.log" 2>&1; then
    fail "put/$o" "$(cat "$O/put.log")"
    put_fail=1
  fi
done
((put_fail)) || pass "put_all_objects (${#CTL[@]} intact + ${#FAULTY[@]} to damage)"

# Find each object's file and owner: <AIS_DEV_DIR>/<target id>/mpN/@ais/<bucket>/%ob/<name>.
locate_fail=0
for o in "${CTL[@]}" "${FAULTY[@]}"; do
  mapfile -t hits < <(find "$AIS_DEV_DIR" -path "*/@ais/$B/%ob/$o" -type f)
  if ((${#hits[@]} != 1)); then
    fail "locate/$o" "expected exactly one file, found ${#hits[@]}: ${hits[*]}"
    locate_fail=1
    continue
  fi
  FILE[$o]=${hits[0]}
  rel=${hits[0]#"$AIS_DEV_DIR"/}
  OWNER[$o]=${rel%%/*}
  OTHER[$o]=""
  for t in "${TARGETS[@]}"; do [[ $t != "${OWNER[$o]}" ]] && { OTHER[$o]=$t; break; }; done
  if [[ $(stat -c %s "${FILE[$o]}") != "${SIZE[$o]}" ]] || ! cmp -s "${FILE[$o]}" "${REF[$o]}"; then
    fail "locate/$o" "${FILE[$o]} does not hold the object's bytes"
    locate_fail=1
  fi
done
((locate_fail)) && finish integrity_test
pass "locate_object_files (owners: $(for o in "${FAULTY[@]}"; do printf '%s=%s ' "$o" "${OWNER[$o]}"; done))"

# Small intact objects until every target holds at least two: after its restart, a target's own
# intact objects must read right.
declare -A KEEP_OWNER
KEEP=()
for ((i = 0; i < 100; i++)); do
  enough=1
  for t in "${TARGETS[@]}"; do
    c=0
    for k in "${KEEP[@]}"; do [[ ${KEEP_OWNER[$k]} == "$t" ]] && c=$((c + 1)); done
    ((c >= 2)) || enough=0
  done
  ((enough)) && break
  k=keep-$i
  head -c 4096 /dev/urandom >"$D/$k"
  if ! ais put "$D/$k" "ais://$B/$k" -q >"$O/put.log" 2>&1; then
    fail "put/$k" "$(cat "$O/put.log")"
    break
  fi
  hit=$(find "$AIS_DEV_DIR" -path "*/@ais/$B/%ob/$k" -type f | head -n1)
  rel=${hit#"$AIS_DEV_DIR"/}
  KEEP_OWNER[$k]=${rel%%/*}
  KEEP+=("$k")
done

# Head: the owner the cluster reports must be the one whose disk holds the file; keep the
# checksum to compare after the restart.
head_json() { # prints the JSON, or the error (a hang: "exit status 124")
  local out rc
  out=$(ais object head "ais://$B/$1" --json 2>&1)
  rc=$?
  ((rc == 124)) && out+=" (exit status 124)"
  echo "$out"
  return $rc
}
head_field() { $PY -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
for o in "${FAULTY[@]}"; do
  j=$(head_json "$o") || { fail "head/$o" "$j"; continue; }
  HEAD_CK[$o]=$(head_field checksum <<<"$j")
  tgt=$(head_field target <<<"$j")
  sz=$(head_field size <<<"$j")
  if [[ $sz != "${SIZE[$o]}" || -z ${HEAD_CK[$o]} ]]; then
    fail "head/$o" "size $sz (want ${SIZE[$o]}), checksum '${HEAD_CK[$o]}': $j"
  elif [[ -n $tgt && $tgt != "${OWNER[$o]}" && $tgt != *"${OWNER[$o]}"* ]]; then
    fail "head/$o" "head says target '$tgt', the file is on ${OWNER[$o]}"
  else
    pass "head/$o"
  fi
done

# Ranges ("OFF:LEN" words). Ranges that touch the damaged block must fail; ranges in other
# blocks must succeed. Ctl objects get the same shapes of ranges, all clean.
for o in "${CTL[@]}" "${FAULTY[@]}"; do
  s=${SIZE[$o]}
  lastblk=$(((s - 1) / BLK * BLK))
  case ${KIND[$o]} in
    ctl)
      CLEAN_RANGES[$o]="0:$((s < BLK ? s : BLK)) $((s / 2 - 500)):1000 $lastblk:$((s - lastblk))"
      ((s > 1048576)) && DD_CLEAN[$o]="0 $(((s - 1) / 4096))"
      ;;
    flipmid | fliplast)
      if [[ ${KIND[$o]} == flipmid ]]; then off=$((s / 2)); else off=$((s - 10)); fi
      BADOFF[$o]=$off
      a=$((off > 1000 ? off - 1000 : 0))
      e=$((off + 1000 < s ? off + 1000 : s))
      BAD_RANGES[$o]="$a:$((e - a))"
      bad_blk=$((off / BLK))
      # the first block, when it is not the damaged one
      ((bad_blk >= 1)) && CLEAN_RANGES[$o]="0:$BLK"
      if [[ ${KIND[$o]} == flipmid ]]; then
        # the last block (partial for 3m), when it is at least one block past the damaged one
        ((lastblk / BLK >= bad_blk + 2)) && CLEAN_RANGES[$o]+=" $lastblk:$((s - lastblk))"
        # the block right before the damaged one
        ((bad_blk >= 2)) && CLEAN_RANGES[$o]+=" $(((bad_blk - 1) * BLK)):$BLK"
        ((s > 1048576)) && DD_CLEAN[$o]="0 $(((s - 1) / 4096))"
      else
        # the block right before the last (damaged) one
        ((bad_blk >= 2)) && CLEAN_RANGES[$o]+=" $(((bad_blk - 1) * BLK)):$BLK"
        ((s > 1048576)) && DD_CLEAN[$o]="0"
      fi
      ;;
    trunc | gone)
      # any range beyond the first 1000 bytes: gone (trunc) or never there (gone)
      BAD_RANGES[$o]="$((s / 2)):1000"
      ;;
  esac
  # one check per distinct range (a small object's first block is also its last)
  CLEAN_RANGES[$o]=$(tr ' ' '\n' <<<"${CLEAN_RANGES[$o]}" | awk 'NF && !seen[$0]++' | tr '\n' ' ')
done

# ---------------------------------------------------------------------------------------------
# Read paths. MODE: good (must succeed, byte-exact), bad (must fail; whatever arrived must be a
# prefix of the right bytes), gone (bad, and the error must be a clear not-found/corrupt one).

# Failure messages that mean the cluster blamed itself (routing, availability) instead of the data.
UNCLEAR='stale|moved|not primary|unavailable|timed? ?out|no targets|\(503\)'
CLEAR='not found|does not exist|no such|corrupt|damaged|bad block|checksum|mismatch|missing|404|nosuchkey|baddigest'

describe_file() { # FILE EXPECTED: size and first difference, for failure messages
  local got=0
  [[ -e $1 ]] && got=$(stat -c %s "$1")
  local d
  d=$(cmp "$1" "$2" 2>&1 | head -c 200) || true
  echo "got $got bytes (want $(stat -c %s "$2"))${d:+; $d}"
}

# judge_cli NAME MODE RC OUTFILE EXPECTED ERRFILE [must_leave_no_file [message_visible]]
# message_visible=0: the client does not show the server's message (awscli after a HEAD: only the
# status), so a missing file is only required not to be blamed on the cluster.
judge_cli() {
  local name=$1 mode=$2 rc=$3 out=$4 exp=$5 err=$6 nofile=${7:-0} visible=${8:-1}
  local msg
  msg="exit $rc; $(describe_file "$out" "$exp"); stderr: $(head -c 300 "$err" 2>/dev/null)"
  if ((rc == 124)); then
    fail "$name" "hung (no answer in ${TMO}s); $msg"
    return
  fi
  case $mode in
    good)
      if ((rc == 0)) && cmp -s "$out" "$exp"; then pass "$name"; else fail "$name" "$msg"; fi
      ;;
    bad | gone)
      if ((rc == 0)); then
        fail "$name" "succeeded on damaged data; $msg"
      elif ! is_prefix "$out" "$exp"; then
        fail "$name" "delivered wrong bytes; $msg"
      elif ((nofile)) && [[ -e $out ]]; then
        fail "$name" "a failed get left $out behind; $msg"
      elif [[ $mode == gone ]] && grep -qiE "$UNCLEAR" "$err"; then
        fail "$name" "unclear error for a missing file; $msg"
      elif [[ $mode == gone ]] && ((visible)) && ! grep -qiE "$CLEAR" "$err"; then
        fail "$name" "error does not say not-found/corrupt; $msg"
      else
        pass "$name"
      fi
      ;;
  esac
}

# ais get: whole to a file, whole to stdout, and ranges.
read_ais() { # OBJ MODE
  local o=$1 mode=$2 rc r off len
  rm -f "$O/ais.out" "$O"/ais.out.ais-part-*
  ais get "ais://$B/$o" "$O/ais.out" -q >/dev/null 2>"$O/ais.err"
  rc=$?
  # A failed GET leaves no file (docs/cli.md).
  judge_cli "$o/ais-get" "$mode" $rc "$O/ais.out" "${REF[$o]}" "$O/ais.err" 1
  ais get "ais://$B/$o" - >"$O/ais.stdout" 2>"$O/ais.err"
  rc=$?
  judge_cli "$o/ais-get-stdout" "$mode" $rc "$O/ais.stdout" "${REF[$o]}" "$O/ais.err"
  for r in ${BAD_RANGES[$o]} ${CLEAN_RANGES[$o]}; do
    off=${r%%:*} len=${r##*:}
    slice "${REF[$o]}" "$off" "$len" "$O/exp.range"
    rm -f "$O/ais.range"
    ais get "ais://$B/$o" "$O/ais.range" --offset "$off" --length "$len" -q >/dev/null 2>"$O/ais.err"
    rc=$?
    judge_cli "$o/ais-get-range[$off+$len]" "$(range_mode "$o" "$r" "$mode")" $rc "$O/ais.range" \
      "$O/exp.range" "$O/ais.err"
  done
}

range_mode() { # OBJ RANGE OBJMODE: the expectation for one range
  [[ " ${CLEAN_RANGES[$1]} " == *" $2 "* ]] && { echo good; return; }
  echo "$3"
}

# http_read NAME MODE URL EXPECTED [RANGE OFF:LEN]
http_read() {
  local name=$1 mode=$2 url=$3 exp=$4 r=${5:-} code rc args msg want=200
  args=(-s --max-time "$TMO" -o "$O/body" -w '%{http_code}')
  if [[ -n $r ]]; then
    args+=(-H "Range: bytes=${r%%:*}-$((${r%%:*} + ${r##*:} - 1))")
    want=206
  fi
  rm -f "$O/body"
  code=$(timeout $((TMO + 10)) curl "${args[@]}" "$url")
  rc=$?
  [[ -e $O/body ]] || : >"$O/body"
  msg="HTTP $code, curl exit $rc; $(describe_file "$O/body" "$exp")"
  [[ $code == 2* ]] || msg+="; body: $(head -c 300 "$O/body" | tr -d '\0')"
  if ((rc == 28 || rc == 124)); then
    fail "$name" "hung (no answer in ${TMO}s); $msg"
    return
  fi
  case $mode in
    good)
      if [[ $code == "$want" ]] && ((rc == 0)) && cmp -s "$O/body" "$exp"; then pass "$name"; else
        fail "$name" "$msg"
      fi
      ;;
    bad | gone)
      if [[ $code == 000 ]]; then
        fail "$name" "no HTTP response; $msg"
      elif [[ $code == 2* ]] && ! is_prefix "$O/body" "$exp"; then
        fail "$name" "delivered wrong bytes with $code; $msg"
      elif [[ $code == 2* ]] && ((rc == 0)); then
        fail "$name" "$code with a complete body for damaged data; $msg"
      elif [[ $mode == gone && $code == 2* ]]; then
        fail "$name" "missing file answered $code (truncated body) instead of an error; $msg"
      elif [[ $mode == gone && $code == 503 ]] || { [[ $mode == gone ]] && grep -qiE "$UNCLEAR" "$O/body"; }; then
        fail "$name" "unclear error for a missing file; $msg"
      else
        pass "$name"
      fi
      ;;
  esac
}

# S3 and native, whole and ranges, through the proxy's, the owner's and a non-owner's gateway.
read_http() { # OBJ MODE
  local o=$1 mode=$2 gw id url r
  for gw in proxy owner other; do
    case $gw in
      proxy) id=$PROXY ;;
      owner) id=${OWNER[$o]} ;;
      other) id=${OTHER[$o]} ;;
    esac
    for api in s3 v1; do
      if [[ $api == s3 ]]; then url=$(node_gw "$id")/$B/$o; else url=$(node_gw "$id")/v1/objects/$B/$o; fi
      http_read "$o/$api@$gw($id)" "$mode" "$url" "${REF[$o]}"
      for r in ${BAD_RANGES[$o]} ${CLEAN_RANGES[$o]}; do
        slice "${REF[$o]}" "${r%%:*}" "${r##*:}" "$O/exp.range"
        http_read "$o/$api@$gw($id)/range[${r%%:*}+${r##*:}]" "$(range_mode "$o" "$r" "$mode")" \
          "$url" "$O/exp.range" "$r"
      done
    done
  done
}

# aws s3 cp of one object through one gateway: awscli asks HEAD first, then GETs.
read_aws_one() { # OBJ MODE NODE NAME
  local o=$1 mode=$2 id=$3 name=$4 rc f bad
  rm -rf "$O/aws"
  mkdir -p "$O/aws"
  timeout "$TMO" aws --endpoint-url "$(node_gw "$id")" s3 cp "s3://$B/$o" "$O/aws/out" \
    --only-show-errors >/dev/null 2>"$O/aws.err"
  rc=$?
  # awscli downloads into a temp name next to the target: no file there may hold wrong bytes.
  bad=""
  for f in "$O"/aws/*; do
    [[ -e $f && $f != "$O/aws/out" ]] && ! is_prefix "$f" "${REF[$o]}" && bad+=" $f"
  done
  if [[ -n $bad ]]; then
    fail "$name" "wrong bytes left in$bad; exit $rc"
  else
    judge_cli "$name" "$mode" $rc "$O/aws/out" "${REF[$o]}" "$O/aws.err" 0 0
  fi
}

# aws s3 cp of OBJS through the proxy's, each one's owner's and a non-owner's gateway: one awscli
# run per gateway node (--recursive, an --include per object: it lists the bucket, then GETs
# each), judged object by object from the files it left and the lines it printed about each.
# (awscli starts in ~1.5 s of CPU: one run per object and gateway was half of this drill's
# time.) A single `aws s3 cp`, which asks HEAD first, reads the "gone" ones through the proxy.
read_aws_all() { # good|damaged OBJ...
  local how=$1 o id rc orc mode f owner dir want
  shift
  ((HAVE_AWS)) || return 0
  local -A role=()
  for o in "$@"; do
    role[$PROXY]+=" $o:proxy"
    role[${OWNER[$o]}]+=" $o:owner"
    role[${OTHER[$o]}]+=" $o:other"
  done
  for id in "$PROXY" "${TARGETS[@]}"; do
    [[ -n ${role[$id]:-} ]] || continue
    dir=$O/aws-$id
    rm -rf "$dir"
    mkdir -p "$dir"
    local inc=()
    for o in ${role[$id]}; do inc+=(--include "${o%%:*}"); done
    timeout $((TMO * 4)) aws --endpoint-url "$(node_gw "$id")" s3 cp "s3://$B/" "$dir/" --recursive \
      --exclude '*' "${inc[@]}" --only-show-errors >/dev/null 2>"$O/aws-$id.err"
    rc=$?
    for o in ${role[$id]}; do
      local gw=${o##*:}
      o=${o%%:*}
      mode=good
      [[ $how == damaged ]] && { mode=bad; [[ ${KIND[$o]} == gone ]] && mode=gone; }
      # This object's lines ("download failed: s3://B/o to ...: <error>").
      grep -F "s3://$B/$o " "$O/aws-$id.err" >"$O/aws.err" 2>/dev/null
      orc=0
      if ((rc == 124)); then orc=124; elif [[ -s $O/aws.err || ! -e $dir/$o ]]; then orc=1; fi
      ((orc == 1)) && [[ ! -s $O/aws.err ]] && echo "no file and no message (awscli exit $rc)" >"$O/aws.err"
      judge_cli "$o/aws-s3-cp@$gw($id)" "$mode" $orc "$dir/$o" "${REF[$o]}" "$O/aws.err" 0 0
    done
    # awscli downloads into temp names next to the targets ("<name>.<suffix>"): no file left
    # there may hold wrong bytes.
    for f in "$dir"/*; do
      [[ -e $f ]] || continue
      owner=${f##*/}
      [[ -n ${REF[$owner]:-} ]] && continue  # an output, judged above
      owner=${owner%.*}
      want=${REF[$owner]:-/dev/null}
      if is_prefix "$f" "$want"; then pass "aws-temp-file@$id(${f##*/})"; else
        fail "aws-temp-file@$id(${f##*/})" "wrong bytes left in $f; exit $rc"
      fi
    done
  done
  if [[ $how == damaged ]]; then
    for o in "$@"; do
      [[ ${KIND[$o]} == gone ]] && read_aws_one "$o" gone "$PROXY" "$o/aws-s3-cp-single@proxy($PROXY)"
    done
  fi
}

# aisfs: cat the whole file; dd single 4 KiB pages of clean blocks.
read_fs() { # OBJ MODE
  local o=$1 mode=$2 rc n len fmode
  ((HAVE_FS)) || return 0
  timeout "$TMO" cat "$MNT/$B/$o" >"$O/fs.out" 2>"$O/fs.err"
  rc=$?
  fmode=$mode
  [[ $mode == gone ]] && fmode=bad # ENOENT or EIO both say it: no message to check
  judge_cli "$o/aisfs-cat" "$fmode" $rc "$O/fs.out" "${REF[$o]}" "$O/fs.err"
  for n in ${DD_CLEAN[$o]}; do
    len=$((SIZE[$o] - n * 4096 < 4096 ? SIZE[$o] - n * 4096 : 4096))
    slice "${REF[$o]}" $((n * 4096)) "$len" "$O/exp.page"
    timeout "$TMO" dd if="$MNT/$B/$o" of="$O/fs.page" bs=4096 skip="$n" count=1 status=none \
      2>"$O/fs.err"
    rc=$?
    judge_cli "$o/aisfs-dd-page[$n]" good $rc "$O/fs.page" "$O/exp.page" "$O/fs.err"
  done
}

read_all() { # OBJ MODE
  read_ais "$@"
  read_http "$@"
  read_fs "$@"
}

# head_not_adopted NAME OBJ: the metadata either reports the object gone/damaged, or still describes
# the original bytes; never the damaged file's size (1000 after truncation) or checksum.
head_not_adopted() {
  local name=$1 o=$2 j sz ck
  if j=$(head_json "$o"); then
    sz=$(head_field size <<<"$j")
    ck=$(head_field checksum <<<"$j")
    if [[ $sz == "${SIZE[$o]}" && $ck == "${HEAD_CK[$o]}" ]]; then
      pass "$name"
    else
      fail "$name" "head reports size $sz checksum $ck (was ${SIZE[$o]} ${HEAD_CK[$o]}): the damaged file was adopted"
    fi
  elif [[ $j == *"exit status 124"* ]] || grep -qiE "$UNCLEAR" <<<"$j"; then
    fail "$name" "unclear error or hang: $j"
  else
    pass "$name"
  fi
}

# ---------------------------------------------------------------------------------------------
# 1. Before any damage: every path reads the intact objects right (so a failure later is the
# damage, not the script), and the objects to damage read right through the CLI and S3.

for o in "${CTL[@]}"; do read_all "$o" good; done
read_aws_all good "${CTL[@]}"
for o in "${FAULTY[@]}"; do
  rm -f "$O/pre.out"
  if ais get "ais://$B/$o" "$O/pre.out" -q >/dev/null 2>&1 && cmp -s "$O/pre.out" "${REF[$o]}" &&
    curl -sf --max-time "$TMO" "$(node_gw "$PROXY")/$B/$o" -o "$O/pre.s3" && cmp -s "$O/pre.s3" "${REF[$o]}"; then
    pass "$o/intact_before_damage"
  else
    fail "$o/intact_before_damage" "$(describe_file "$O/pre.out" "${REF[$o]}")"
  fi
done

# ---------------------------------------------------------------------------------------------
# 2. Damage the files, and verify that the damage is what was intended.


for o in "${FAULTY[@]}"; do
  f=${FILE[$o]}
  case ${KIND[$o]} in
    flipmid | fliplast)
      flip_byte "$f" "${BADOFF[$o]}"
      # cmp -l: one line per differing byte, "OFFSET(1-based) OLD NEW" (octal values)
      diffs=$(cmp -l "$f" "${REF[$o]}" 2>&1)
      if [[ $(awk 'END { print NR }' <<<"$diffs") == 1 && $(awk '{ print $1 }' <<<"$diffs") == $((BADOFF[$o] + 1)) &&
        $(stat -c %s "$f") == "${SIZE[$o]}" ]]; then
        pass "$o/damaged (byte $((BADOFF[$o])) of ${SIZE[$o]} flipped)"
      else
        fail "$o/damaged" "cmp -l: $(head -c 200 <<<"$diffs")"
      fi
      ;;
    trunc)
      truncate -s 1000 "$f"
      if [[ $(stat -c %s "$f") == 1000 ]] && cmp -s -n 1000 "$f" "${REF[$o]}"; then
        pass "$o/damaged (truncated to 1000 of ${SIZE[$o]})"
      else
        fail "$o/damaged" "size $(stat -c %s "$f")"
      fi
      ;;
    gone)
      rm -f "$f"
      if [[ ! -e $f ]]; then pass "$o/damaged (file deleted)"; else fail "$o/damaged" "$f still there"; fi
      ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# 3. Every path, every damaged object.

for o in "${FAULTY[@]}"; do
  mode=bad
  [[ ${KIND[$o]} == gone ]] && mode=gone
  read_all "$o" "$mode"
  head_not_adopted "$o/head_after_damage" "$o"
done
read_aws_all damaged "${FAULTY[@]}"

# ---------------------------------------------------------------------------------------------
# Scrub: `ais storage validate` must name exactly the damaged objects (and an orphan file).

# validate_expect NAME CORRUPT MISSING ORPHANS: space-separated object names (orphans: name
# suffixes of the orphaned paths); exit code 9 when anything is corrupt or missing.
validate_expect() {
  local name=$1 corrupt=$2 missing=$3 orphans=$4 rc
  timeout 120 "$AIS_BIN" storage validate "ais://$B" --json >"$O/validate.json" 2>"$O/validate.err"
  rc=$?
  local want_rc=0
  [[ -n $corrupt || -n $missing ]] && want_rc=9
  if [[ $rc != "$want_rc" ]]; then
    fail "$name/exit" "exit $rc, expected $want_rc: $(head -c 400 "$O/validate.err")"
    return
  fi
  pass "$name/exit ($rc)"
  local diff
  diff=$($PY - "$O/validate.json" "$corrupt" "$missing" "$orphans" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = {k: sorted(v.split()) for k, v in zip(("corrupt", "missing"), sys.argv[2:4])}
got = {k: sorted(n for t in d["targets"] for n in t[k]) for k in ("corrupt", "missing")}
out = [f"{k}: got {got[k]} want {want[k]}" for k in want if got[k] != want[k]]
orphans = [n for t in d["targets"] for n in t["orphaned"]]
wo = sys.argv[4].split()
if len(orphans) != len(wo) or any(not any(o.endswith(w) for o in orphans) for w in wo):
    out.append(f"orphaned: got {orphans} want {wo}")
if any(t["status"] != "ok" for t in d["targets"]):
    out.append("a target failed: " + str([t["status"] for t in d["targets"]]))
print("; ".join(out))
PYEOF
)
  if [[ -z $diff ]]; then pass "$name/reports_exactly_the_damage"; else fail "$name/reports_exactly_the_damage" "$diff"; fi
}


want_corrupt=""
want_missing=""
for o in "${FAULTY[@]}"; do
  case ${KIND[$o]} in
    flipmid | fliplast | trunc) want_corrupt+=" $o" ;;
    gone) want_missing+=" $o" ;;
  esac
done
# An orphan: a file under the bucket's object tree that no metadata names.
orphan_dir=$(dirname "${FILE[${CTL[0]}]}")
cp "${FILE[${CTL[0]}]}" "$orphan_dir/orphan-file"
validate_expect scrub/before_restart "$want_corrupt" "$want_missing" "orphan-file"
rm -f "$orphan_dir/orphan-file"

# ---------------------------------------------------------------------------------------------
# 4. Restart each owner of a damaged object: it comes back, and does not adopt the damaged file.

node_up() { # ID: running per tools/dev, and "up" in the cluster map the primary serves
  "$DEV" ps 2>/dev/null | awk -v id="$1" '$1 == id && $4 == "running" { f = 1 } END { exit !f }' || return 1
  ais show cluster --json 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
ok = [n for n in d["nodes"] if n["id"] == sys.argv[1] and n["role"] == "target" and n.get("status") == "up"]
sys.exit(0 if ok else 1)' "$1"
}

mapfile -t OWNERS < <(for o in "${FAULTY[@]}"; do echo "${OWNER[$o]}"; done | sort -u)
for t in "${OWNERS[@]}"; do
  "$DEV" kill "$t" >"$O/restart.log" 2>&1
  if ! timeout 120 "$DEV" start "$t" >>"$O/restart.log" 2>&1; then
    fail "restart/$t" "$(tail -n 20 "$O/restart.log")"
    continue
  fi
  up=0
  for _ in $(seq 1 100); do
    node_up "$t" && { up=1; break; }
    sleep 0.2
  done
  if ((up)); then pass "restart/$t/node_up"; else
    fail "restart/$t/node_up" "$("$DEV" ps 2>&1; ais show cluster 2>&1 | head -20)"
  fi
  # its gateway answers again
  for _ in $(seq 1 100); do
    curl -sf --max-time 2 "$(node_gw "$t")/v1/health" >/dev/null && break
    sleep 0.1
  done
  bad=""
  n=0
  for k in "${KEEP[@]}"; do
    [[ ${KEEP_OWNER[$k]} == "$t" ]] || continue
    n=$((n + 1))
    rm -f "$O/keep.out"
    { ais get "ais://$B/$k" "$O/keep.out" -q >/dev/null 2>&1 && cmp -s "$O/keep.out" "$D/$k"; } || bad+=" $k(ais-get)"
    { curl -sf --max-time "$TMO" -o "$O/keep.out" "$(node_gw "$t")/$B/$k" && cmp -s "$O/keep.out" "$D/$k"; } ||
      bad+=" $k(s3@owner)"
  done
  if ((n > 0)) && [[ -z $bad ]]; then pass "restart/$t/own_intact_objects_read ($n objects)"; else
    fail "restart/$t/own_intact_objects_read" "$n objects on $t; failed:${bad:- none checked}"
  fi
  for o in "${FAULTY[@]}"; do
    [[ ${OWNER[$o]} == "$t" ]] || continue
    mode=bad
    [[ ${KIND[$o]} == gone ]] && mode=gone
    rm -f "$O/ais.out"
    ais get "ais://$B/$o" "$O/ais.out" -q >/dev/null 2>"$O/ais.err"
    judge_cli "$o/after_restart/ais-get" "$mode" $? "$O/ais.out" "${REF[$o]}" "$O/ais.err" 1
    http_read "$o/after_restart/s3@proxy($PROXY)" "$mode" "$(node_gw "$PROXY")/$B/$o" "${REF[$o]}"
    http_read "$o/after_restart/s3@owner($t)" "$mode" "$(node_gw "$t")/$B/$o" "${REF[$o]}"
    http_read "$o/after_restart/v1@owner($t)" "$mode" "$(node_gw "$t")/v1/objects/$B/$o" "${REF[$o]}"
    # the intact blocks of a damaged object still read right (block checksums survive a restart)
    for r in ${CLEAN_RANGES[$o]}; do
      slice "${REF[$o]}" "${r%%:*}" "${r##*:}" "$O/exp.range"
      rm -f "$O/ais.range"
      ais get "ais://$B/$o" "$O/ais.range" --offset "${r%%:*}" --length "${r##*:}" -q >/dev/null 2>"$O/ais.err"
      judge_cli "$o/after_restart/ais-get-range[${r%%:*}+${r##*:}]" good $? "$O/ais.range" "$O/exp.range" "$O/ais.err"
    done
    head_not_adopted "$o/after_restart/head_not_adopted" "$o"
  done
done

# After the restarts the truncated files are quarantined (never adopted): their objects now read as
# missing, and the owners count them. A LOM whose file vanished is dropped at startup (an
# interrupted rename leaves the same trace), counted too: those objects are simply not found.
want_corrupt=""
want_missing=""
for o in "${FAULTY[@]}"; do
  case ${KIND[$o]} in
    flipmid | fliplast) want_corrupt+=" $o" ;;
    trunc) want_missing+=" $o" ;;
  esac
done
validate_expect scrub/after_restart "$want_corrupt" "$want_missing" ""
quarantined=$(ais show cluster --json 2>/dev/null | $PY -c '
import json, sys
print(sum(n.get("integrity", {}).get("quarantined", 0) for n in json.load(sys.stdin)["nodes"]))')
ntrunc=0
for o in "${FAULTY[@]}"; do [[ ${KIND[$o]} == trunc ]] && ntrunc=$((ntrunc + 1)); done
if [[ $quarantined == "$ntrunc" ]]; then pass "scrub/quarantined_counted ($quarantined)"; else
  fail scrub/quarantined_counted "show cluster reports $quarantined quarantined, expected $ntrunc"
fi

# ---------------------------------------------------------------------------------------------
# 5. The cluster keeps serving: intact objects read right on every path, new objects round-trip.

for o in "${CTL[@]}"; do read_all "$o" good; done
read_aws_all good "${CTL[@]}"

head -c $((5 * 1048576 + 321)) /dev/urandom >"$D/fresh"
if ais put "$D/fresh" "ais://$B/fresh" -q >"$O/put.log" 2>&1; then pass fresh/put; else fail fresh/put "$(cat "$O/put.log")"; fi
rm -f "$O/fresh.out"
ais get "ais://$B/fresh" "$O/fresh.out" -q >/dev/null 2>"$O/ais.err"
judge_cli fresh/ais-get good $? "$O/fresh.out" "$D/fresh" "$O/ais.err"
http_read "fresh/s3@proxy($PROXY)" good "$(node_gw "$PROXY")/$B/fresh" "$D/fresh"
code=$(curl -s --max-time "$TMO" -o "$O/s3put.body" -w '%{http_code}' -X PUT --data-binary "@$D/fresh" \
  "$(node_gw "$PROXY")/$B/fresh-s3")
if [[ $code == 200 ]]; then pass fresh/s3-put; else fail fresh/s3-put "HTTP $code: $(head -c 300 "$O/s3put.body")"; fi
http_read "fresh/s3-put-then-get@proxy($PROXY)" good "$(node_gw "$PROXY")/$B/fresh-s3" "$D/fresh"
if ((HAVE_FS)); then
  timeout "$TMO" cat "$MNT/$B/fresh" >"$O/fs.out" 2>"$O/fs.err"
  judge_cli fresh/aisfs-cat good $? "$O/fs.out" "$D/fresh" "$O/fs.err"
fi

finish integrity_test
