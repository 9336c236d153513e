#!/usr/bin/env bash
# shellcheck disable=SC2015  # `cond && pass X || fail X` is fine: pass always succeeds
# End-to-end test of the `ais` CLI against a real playground cluster (tools/dev up) in a temp dir
# on free ports. Prints PASS/FAIL/SKIP <name> per check; exits non-zero if any check failed.
set -uo pipefail

CALL_TIMEOUT=${AIS_CLI_TEST_CALL_TIMEOUT:-60}
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/playground.sh"
require_built cli_test
# A base port with 8 free ports after it (the playground uses base..base+3, `add` the next), and
# their gateways at +500.
playground cli-test 20000 2000 1 8

ais() { timeout "$CALL_TIMEOUT" "$AIS_BIN" "$@"; }

# expect_rc NAME WANT CMD...: the command must exit with status WANT.
expect_rc() {
  local name=$1 want=$2 rc out
  shift 2
  out=$("$@" 2>&1)
  rc=$?
  if ((rc == want)); then pass "$name"; else fail "$name" "exit $rc, want $want: $(tail -n 2 <<<"$out" | tr '\n' ' ')"; fi
}

listed_count_of() { ais ls "$1" --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
json_field() { # FILE EXPR: evaluates EXPR on the parsed JSON document `d`
  /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- cluster up ----
if ! "$DEV" up >"$WORK/up.log" 2>&1; then
  fail cluster_up "$(tail -n 20 "$WORK/up.log" | tr '\n' ' ')"
  exit 1
fi
pass cluster_up
eval "$("$DEV" env 2>/dev/null)"
[[ ${AIS_ENDPOINT:-} == "127.0.0.1:$AIS_DEV_PORT" ]] && pass dev_env || fail dev_env "AIS_ENDPOINT=${AIS_ENDPOINT:-}"

check show_cluster ais show cluster
if ais show cluster --json >"$WORK/cluster.json" 2>&1 &&
  [[ $(json_field "$WORK/cluster.json" 'sum(1 for n in d["nodes"] if n["status"] == "up")') == 4 ]]; then
  pass show_cluster_json
else
  fail show_cluster_json "$(head -c 300 "$WORK/cluster.json")"
fi

# Each node also listens on the abstract Unix socket of its loopback endpoint, and its peers and
# local clients reach it there: no TCP connection to a fabric port (proto/local_socket.h).
ais show cluster >/dev/null 2>&1
missing="" tcp=0
for p in 0 1 2 3; do
  ss -xlH | grep -q "@ais-fabric/127.0.0.1:$((AIS_DEV_PORT + p)) " || missing+=" $((AIS_DEV_PORT + p))"
  tcp=$((tcp + $(ss -tnH state established "( dport = :$((AIS_DEV_PORT + p)) )" | grep -c .)))
done
check fabric_local_sockets test -z "$missing"
check fabric_not_over_tcp test "$tcp" = 0
check fabric_peers_over_local_sockets test "$(ss -xpH | grep -c aisnode)" -gt 0

# ---- buckets ----
B=ais://clitest
check bucket_create ais bucket create $B
expect_rc bucket_create_exists 4 ais bucket create $B
expect_rc bucket_bad_name 5 ais bucket create ais://Bad_Name
expect_rc bucket_bad_scheme 5 ais bucket create s3://clitest
if ais bucket ls --no-headers | grep -q '^ais://clitest '; then pass bucket_ls; else fail bucket_ls; fi
if ais ls --json >"$WORK/buckets.json" && [[ $(json_field "$WORK/buckets.json" '[b["name"] for b in d]') == *clitest* ]]; then
  pass bucket_ls_json
else
  fail bucket_ls_json
fi
expect_rc bucket_props_bad_key 5 ais bucket props set $B nosuchkey=1
# EC 2+2 (the default) needs 5 targets: refused on this playground, saying why (tests/cli/ec_test.sh
# drives EC itself).
expect_rc bucket_props_ec_refused 5 ais bucket props set $B ec.enabled=true
if [[ $(ais bucket props set $B ec.enabled=true 2>&1) == *"needs at least 5 targets"* ]]; then
  pass bucket_props_refusal_says_why
else
  fail bucket_props_refusal_says_why
fi
# Mirroring (the playground's targets have 2 mountpaths): AIS's key names, a copy per mountpath,
# the make-n-copies job; more copies than a target has mountpaths are refused, saying why.
M=ais://climirror
check bucket_mirror_create ais bucket create $M
check bucket_mirror_set ais bucket props set $M mirror.enabled=true
if ais bucket props show $M --json >"$WORK/mprops.json" &&
  [[ $(json_field "$WORK/mprops.json" '(d["mirror"]["enabled"], d["mirror"]["copies"])') == "(True, 2)" ]]; then
  pass bucket_mirror_props
else
  fail bucket_mirror_props "$(head -c 300 "$WORK/mprops.json")"
fi
# AIStore's `props show BUCKET SECTION`: that section only; an unknown one is an error.
out=$(ais bucket props show $M mirror 2>&1)
[[ $(grep -c '^mirror\.' <<<"$out") == 2 && $(grep -vc '^mirror\.\|^PROPERTY' <<<"$out") == 0 ]] &&
  pass bucket_props_section || fail bucket_props_section "$out"
[[ $(ais bucket props show $M mirror.copies --json 2>&1 | tr -d ' \n') == '{"mirror":{"copies":2}}' ]] &&
  pass bucket_props_one_json || fail bucket_props_one_json "$(ais bucket props show $M mirror.copies --json 2>&1)"
expect_rc bucket_props_unknown_section 5 ais bucket props show $M nosuch
head -c 300000 /dev/urandom >"$WORK/mirrored.bin"
check bucket_mirror_put ais put "$WORK/mirrored.bin" $M/m.bin
if ais get $M/m.bin "$WORK/mirrored.out" >/dev/null 2>&1 && cmp -s "$WORK/mirrored.bin" "$WORK/mirrored.out"; then
  pass bucket_mirror_get
else
  fail bucket_mirror_get
fi
mcopies=$(find "$AIS_DEV_DIR" -path '*/@ais/climirror/%ob/m.bin' -type f | wc -l)
[[ $mcopies == 2 ]] && pass bucket_mirror_two_files || fail bucket_mirror_two_files "$mcopies files"
# A flipped byte in one copy (each in turn, so the main one too): every read path still gets the
# right bytes (the reader fails over to the other copy): the fabric (whole and ranged), and /v1
# through every node's gateway (the owner's sendfile path and the forwarding ones), whole and
# ranged; the scrub then rewrites the damaged copy.
ais show cluster --json >"$WORK/mcluster.json"
meps=$(json_field "$WORK/mcluster.json" '" ".join(n["http_endpoint"] for n in d["nodes"] if n["http_endpoint"])')
mbad=0 mreads=0 mwhat=""
mfail() { mbad=$((mbad + 1)) mwhat+=" $1"; } # (which read went wrong, for the failure message)
# (The byte's complement: a fixed value would leave a random file unchanged 1 time in 256.)
mflip=$(printf '\\x%02x' $((255 - $(od -An -tu1 -j70000 -N1 "$WORK/mirrored.bin"))))
for mfile in $(find "$AIS_DEV_DIR" -path '*/@ais/climirror/%ob/m.bin' -type f); do
  printf "$mflip" | dd of="$mfile" bs=1 seek=70000 conv=notrunc 2>/dev/null
  cmp -s "$mfile" "$WORK/mirrored.bin" && mfail "flip:$mfile"  # the flip must have taken
  ais get $M/m.bin "$WORK/m.fabric" >/dev/null 2>&1 && cmp -s "$WORK/m.fabric" "$WORK/mirrored.bin" || mfail fabric
  [[ $(ais get $M/m.bin - --offset 65000 --length 10000 2>/dev/null | od -An -tx1 | tr -d ' \n') == \
    $(tail -c +65001 "$WORK/mirrored.bin" | head -c 10000 | od -An -tx1 | tr -d ' \n') ]] || mfail fabric-range
  for ep in $meps; do
    curl -sf "http://$ep/v1/objects/climirror/m.bin" | cmp -s - "$WORK/mirrored.bin" || mfail "v1:$ep"
    curl -sf -r 60000-79999 "http://$ep/v1/objects/climirror/m.bin" |
      cmp -s - <(tail -c +60001 "$WORK/mirrored.bin" | head -c 20000) || mfail "v1-range:$ep"
    mreads=$((mreads + 2))
  done
  ais storage validate $M >/dev/null 2>&1  # repairs what the reads' background repair left
  cmp -s "$mfile" "$WORK/mirrored.bin" || mfail "repair:$mfile"
done
((mbad == 0 && mreads >= 16)) && pass bucket_mirror_reads_fail_over ||
  fail bucket_mirror_reads_fail_over "$mbad bad of $mreads gateway reads (+ fabric):$mwhat"
if ais job ls make-n-copies --all 2>/dev/null | grep -q climirror; then
  pass bucket_mirror_job_listed
else
  fail bucket_mirror_job_listed
fi
# More copies than a target has mountpaths: refused up front, naming the target.
out=$(ais bucket props set $M mirror.copies=3 2>&1)
[[ $? == 5 && $out == *mountpaths*target* ]] && pass bucket_mirror_too_many_refused || fail bucket_mirror_too_many_refused "$out"
check bucket_mirror_off ais bucket props set $M mirror.enabled=false
check bucket_mirror_rmo ais rm $M/m.bin
[[ $(find "$AIS_DEV_DIR" -path '*/@ais/climirror/%ob/m.bin' -type f | wc -l) == 0 ]] &&
  pass bucket_mirror_rm_all_copies || fail bucket_mirror_rm_all_copies
check bucket_mirror_rmb ais bucket rm $M
check bucket_props_set ais bucket props set $B fsync=true
expect_rc bucket_props_versioning_off_refused 1 ais bucket props set $B versioning=false
expect_rc bucket_props_checksum_unknown 5 ais bucket props set $B checksum=md7
# S3 object versioning through the CLI: kept versions, no return to off, rename refused.
V=ais://cliver
check bucket_versioning_create ais bucket create $V
expect_rc bucket_versioning_bad_value 5 ais bucket props set $V s3.versioning=maybe
check bucket_versioning_enable ais bucket props set $V s3.versioning=enabled
if [[ $(ais bucket props show $V --json 2>/dev/null | json_field /dev/stdin 'd["s3"]["versioning"]') == Enabled ]]; then
  pass bucket_versioning_shown
else
  fail bucket_versioning_shown "$(ais bucket props show $V --json 2>&1 | tail -5)"
fi
echo one >"$WORK/v1.txt"
echo two >"$WORK/v2.txt"
check bucket_versioning_put1 ais put "$WORK/v1.txt" $V/doc
check bucket_versioning_put2 ais put "$WORK/v2.txt" $V/doc
expect_rc bucket_versioning_rename_refused 1 ais object mv $V/doc doc2
check bucket_versioning_rm ais object rm $V/doc
expect_rc bucket_versioning_rmb_not_empty 6 ais bucket rm $V
check bucket_versioning_suspend ais bucket props set $V s3.versioning=suspended
check bucket_versioning_rmb_force ais bucket rm $V --force
# checksum.type: each object keeps its bucket's digest (here md5: what md5sum prints).
K=ais://clicksum
check bucket_checksum_create ais bucket create $K
check bucket_checksum_md5 ais bucket props set $K checksum.type=md5
head -c 100000 /dev/urandom >"$WORK/ck.bin"
check bucket_checksum_put ais put "$WORK/ck.bin" $K/ck.bin
if ais object head $K/ck.bin --json >"$WORK/ck.json" &&
  [[ $(json_field "$WORK/ck.json" '(d["checksum_type"], d["checksum"])') == "('md5', '$(md5sum <"$WORK/ck.bin" | cut -d' ' -f1)')" ]]; then
  pass bucket_checksum_md5_value
else
  fail bucket_checksum_md5_value "$(head -c 300 "$WORK/ck.json")"
fi
check bucket_checksum_rmo ais rm $K/ck.bin
check bucket_checksum_rmb ais bucket rm $K
if ais bucket props $B --json >"$WORK/props.json" &&
  [[ $(json_field "$WORK/props.json" '(d["fsync"], d["versioning"], d["checksum"])') == "(True, True, 'xxhash64')" ]]; then
  pass bucket_props_get
else
  fail bucket_props_get "$(head -c 300 "$WORK/props.json")"
fi

# ---- put ----
head -c $((3 * 1024 * 1024 + 12345)) /dev/urandom >"$WORK/big.bin"
echo "small object" >"$WORK/small.txt"
TREE=$WORK/tree
mkdir -p "$TREE"
for d in a a/b a/b/c d; do
  mkdir -p "$TREE/$d"
  for i in 1 2 3 4 5; do head -c $((RANDOM * 7 + i)) /dev/urandom >"$TREE/$d/f$i.dat"; done
done
: >"$TREE/empty.txt"
(cd "$TREE" && find . -type f | sed 's|^\./|tree/|' | LC_ALL=C sort) >"$WORK/tree.expected"

check put_file ais put "$WORK/big.bin" $B
check put_file_named ais put "$WORK/small.txt" $B/docs/small.txt
check put_dir ais put "$TREE" $B/tree/ --recursive
if printf 'from stdin\n' | ais put - $B/stdin.txt >/dev/null 2>&1; then pass put_stdin; else fail put_stdin; fi
expect_rc put_missing_file 5 ais put "$WORK/nope" $B
expect_rc put_missing_bucket 3 ais put "$WORK/small.txt" ais://no-such-bucket/x

# ---- ls with paging ----
ais ls $B/tree/ --no-headers >"$WORK/ls.all" 2>&1
ais ls $B/tree/ --page-size 4 --no-headers >"$WORK/ls.paged" 2>&1
awk '{ print $1 }' "$WORK/ls.paged" >"$WORK/ls.paged.names"
if cmp -s "$WORK/ls.paged.names" "$WORK/tree.expected"; then pass ls_paged; else
  fail ls_paged "$(diff "$WORK/tree.expected" "$WORK/ls.paged.names" | head -n 5 | tr '\n' ' ')"
fi
cmp -s "$WORK/ls.all" "$WORK/ls.paged" && pass ls_paged_equals_unpaged || fail ls_paged_equals_unpaged
if ais ls $B/tree/ --page-size 3 --json >"$WORK/ls.json" &&
  [[ $(json_field "$WORK/ls.json" 'len(d)') == $(wc -l <"$WORK/tree.expected") ]]; then
  pass ls_json
else
  fail ls_json
fi
[[ $(ais ls $B --limit 5 --page-size 2 --no-headers | wc -l) == 5 ]] && pass ls_limit || fail ls_limit
[[ $(ais ls $B/docs/ --no-headers | awk '{ print $1 }') == docs/small.txt ]] && pass ls_prefix || fail ls_prefix
# AIS's spelling: the prefix as a flag; given twice differently, an error.
[[ $(ais ls $B --prefix docs/ --no-headers | awk '{ print $1 }') == docs/small.txt ]] && pass ls_prefix_flag || fail ls_prefix_flag
# --props picks the columns (AIS's names): the header and each row carry them in order.
ais ls $B --prefix docs/ --props name,version,location,size >"$WORK/ls.props" 2>&1
if [[ $(head -n 1 "$WORK/ls.props" | tr -s ' ') == "NAME VERSION LOCATION SIZE" ]] &&
  [[ $(sed -n 2p "$WORK/ls.props" | awk '{ print $1, ($2 > 0), ($3 ~ /^t/) }') == "docs/small.txt 1 1" ]]; then
  pass ls_props_columns
else
  fail ls_props_columns "$(head -c 300 "$WORK/ls.props")"
fi
# AIStore's --name-only (the NAME column; {name} in JSON) and --summary (the bucket summary).
[[ $(ais ls $B --prefix docs/ --name-only) == $'NAME\ndocs/small.txt' ]] && pass ls_name_only ||
  fail ls_name_only "$(ais ls $B --prefix docs/ --name-only 2>&1)"
[[ $(ais ls $B --prefix docs/ --name-only --json | tr -d ' \n') == '[{"name":"docs/small.txt"}]' ]] &&
  pass ls_name_only_json || fail ls_name_only_json "$(ais ls $B --prefix docs/ --name-only --json 2>&1)"
[[ $(ais ls $B/docs/ --summary --no-headers | awk '{ print $1, $2 }') == "$B/docs/ 1" ]] &&
  pass ls_summary || fail ls_summary "$(ais ls $B/docs/ --summary 2>&1)"
if ais ls $B --props size,nosuch >/dev/null 2>"$WORK/ls3.err"; then fail ls_props_unknown_refused; else
  grep -q 'unknown property "nosuch"' "$WORK/ls3.err" && pass ls_props_unknown_refused || fail ls_props_unknown_refused "$(cat "$WORK/ls3.err")"
fi
if ais ls $B/docs/ --prefix tree/ >/dev/null 2>"$WORK/ls2.err"; then fail ls_prefix_twice_refused; else
  grep -q "give it once" "$WORK/ls2.err" && pass ls_prefix_twice_refused || fail ls_prefix_twice_refused "$(cat "$WORK/ls2.err")"
fi

# ---- get ----
check get_file ais get $B/big.bin "$WORK/big.out"
cmp -s "$WORK/big.bin" "$WORK/big.out" && pass get_byte_exact || fail get_byte_exact
ok=1
while read -r name; do
  ais get -q "$B/$name" "$WORK/got" >/dev/null 2>&1 && cmp -s "$TREE/${name#tree/}" "$WORK/got" || { ok=0; echo "  mismatch: $name"; }
done <"$WORK/tree.expected"
((ok)) && pass get_tree_byte_exact || fail get_tree_byte_exact
[[ $(ais get $B/stdin.txt -) == "from stdin" ]] && pass get_stdout || fail get_stdout
(cd "$WORK" && rm -f small.txt && ais get $B/docs/small.txt >/dev/null && cmp -s small.txt "$WORK/small.txt") &&
  pass get_default_name || fail get_default_name

ais get $B/big.bin "$WORK/range.out" --offset 1000 --length 5000 >/dev/null 2>&1
tail -c +1001 "$WORK/big.bin" | head -c 5000 >"$WORK/range.want"
cmp -s "$WORK/range.out" "$WORK/range.want" && pass get_range || fail get_range
size=$(stat -c %s "$WORK/big.bin")
ais get $B/big.bin - --offset $((size - 10)) >"$WORK/tail.out" 2>/dev/null
tail -c 10 "$WORK/big.bin" | cmp -s - "$WORK/tail.out" && pass get_range_to_end || fail get_range_to_end
expect_rc get_range_not_satisfiable 10 ais get $B/big.bin - --offset $((size + 10)) --length 5
expect_rc get_missing_object 3 ais get $B/no-such-object "$WORK/x"
[[ ! -e $WORK/x ]] && pass get_missing_leaves_no_file || fail get_missing_leaves_no_file
expect_rc get_missing_bucket 3 ais get ais://no-such-bucket/x "$WORK/x"

# ---- jobs: the scrub is one ----
ais storage validate $B >"$WORK/validate.out" 2>"$WORK/validate.err"
rc=$?
jobid=$(grep -o 'validate-[a-z0-9]*' "$WORK/validate.err" | head -n 1)
if ((rc == 0)) && [[ -n $jobid ]]; then
  pass validate_is_a_job
else
  fail validate_is_a_job "exit $rc: $(head -c 300 "$WORK/validate.err")"
fi
if ais job ls --all --json >"$WORK/jobs.json" &&
  [[ $(json_field "$WORK/jobs.json" "[(j['state'], j['kind'], j['nodes']) for j in d if j['id'] == '$jobid']") == "[('finished', 'validate', 3)]" ]]; then
  pass job_ls_all
else
  fail job_ls_all "$(head -c 300 "$WORK/jobs.json")"
fi
if [[ $(ais job ls 2>&1) == *"No running jobs"* ]]; then pass job_ls_running; else fail job_ls_running; fi
if ais job show "$jobid" --json >"$WORK/job.json" &&
  [[ $(json_field "$WORK/job.json" "sorted(p['state'] for p in d['parts'])") == "['finished', 'finished', 'finished']" ]]; then
  pass job_show
else
  fail job_show "$(head -c 300 "$WORK/job.json")"
fi
check job_wait_finished ais job wait "$jobid"
expect_rc job_show_unknown 3 ais job show validate-nosuch0
expect_rc job_stop_none_running 3 ais job stop validate

# ---- head, mv, rm ----
if ais object head $B/big.bin --json >"$WORK/head.json" 2>&1 &&
  [[ $(json_field "$WORK/head.json" 'd["size"]') == "$size" ]]; then
  pass head_json
else
  fail head_json "$(head -c 300 "$WORK/head.json")"
fi
check head_alias ais head $B/big.bin
check object_mv ais object mv $B/docs/small.txt docs/moved.txt
expect_rc object_mv_old_gone 3 ais object head $B/docs/small.txt
[[ $(ais get $B/docs/moved.txt -) == "small object" ]] && pass object_mv_content || fail object_mv_content
check object_rm ais object rm $B/docs/moved.txt
expect_rc object_rm_gone 3 ais head $B/docs/moved.txt
expect_rc object_rm_missing 3 ais rm $B/docs/moved.txt
expect_rc bucket_rm_not_empty 6 ais bucket rm $B

# ---- mountpaths: show, disable (a resilver job moves the objects), enable ----
ais bucket create ais://climp >/dev/null
mkdir -p "$WORK/mpsrc"
# (120: a mountpath attached later takes ~1/3 of t1's share, never none by chance; with 30 it
# took 3-8, and none in one clean-clone run)
for i in $(seq 1 120); do head -c $((i * 977)) /dev/urandom >"$WORK/mpsrc/f$i"; done
check mountpath_put_dir ais put -r -q "$WORK/mpsrc" ais://climp/d/
if ais storage mountpath show --json >"$WORK/mps.json" &&
  [[ $(json_field "$WORK/mps.json" 'sum(1 for m in d if m["enabled"])') == 6 ]]; then
  pass mountpath_show
else
  fail mountpath_show "$(head -c 300 "$WORK/mps.json")"
fi
mp=$(json_field "$WORK/mps.json" '[m["mountpath"] for m in d if m["target"] == "t1"][0]')
out=$(ais storage mountpath disable "t1=$mp" 2>&1)
job=$(grep -o 'resilver-[^ )]*' <<<"$out" | head -1)
[[ -n $job ]] && pass mountpath_disable || fail mountpath_disable "$out"
check mountpath_resilver_wait ais job wait "$job" --timeout 60
[[ $(ais storage mountpath show t1 2>/dev/null | grep -c disabled) == 1 ]] && pass mountpath_shown_disabled ||
  fail mountpath_shown_disabled "$(ais storage mountpath show t1 2>&1)"
[[ $(find "$mp/@ais" -type f 2>/dev/null | wc -l) == 0 ]] && pass mountpath_emptied ||
  fail mountpath_emptied "$(find "$mp/@ais" -type f | head -3)"
badget=0
for i in $(seq 1 30); do
  ais get -q "ais://climp/d/f$i" "$WORK/mpout" >/dev/null 2>&1 && cmp -s "$WORK/mpout" "$WORK/mpsrc/f$i" || badget=$((badget + 1))
done
((badget == 0)) && pass mountpath_objects_readable || fail mountpath_objects_readable "$badget bad"
check mountpath_enable ais storage mountpath enable t1 "$mp"
expect_rc mountpath_unknown 5 ais storage mountpath disable t1 /no/such/mountpath

# ---- mountpaths at runtime: attach (objects move to it), detach once disabled and emptied;
# both kept across a restart of the target ----
newmp=$AIS_DEV_DIR/t1/mp3
out=$(ais storage mountpath attach t1 "$newmp" 2>&1)
job=$(grep -o 'resilver-[^ )]*' <<<"$out" | head -1)
[[ -n $job ]] && pass mountpath_attach || fail mountpath_attach "$out"
check mountpath_attach_resilver ais job wait "$job" --timeout 60
moved_in=$(find "$newmp/@ais" -type f -not -path "*/%pw/*" 2>/dev/null | wc -l)
((moved_in > 0)) && pass "mountpath_attached_took_objects ($moved_in)" || fail mountpath_attached_took_objects
expect_rc mountpath_attach_twice 5 ais storage mountpath attach t1 "$newmp"
all_mp_objects_ok() {
  local bad=0 i
  for i in $(seq 1 30); do
    ais get -q "ais://climp/d/f$i" "$WORK/mpout" >/dev/null 2>&1 && cmp -s "$WORK/mpout" "$WORK/mpsrc/f$i" || bad=$((bad + 1))
  done
  ((bad == 0))
}
check mountpath_attached_objects_readable all_mp_objects_ok
mp_count() { ais storage mountpath show t1 --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
"$DEV" kill t1 >/dev/null 2>&1 && "$DEV" start t1 >/dev/null 2>&1
check mountpath_attach_kept_after_restart test "$(mp_count)" = 3
out=$(ais storage mountpath detach t1 "$newmp" 2>&1)
[[ $? == 5 && $out == *"disable it first"* ]] && pass mountpath_detach_enabled_refused ||
  fail mountpath_detach_enabled_refused "$out"
out=$(ais storage mountpath disable t1 "$newmp" 2>&1)
job=$(grep -o 'resilver-[^ )]*' <<<"$out" | head -1)
check mountpath_disable_before_detach ais job wait "$job" --timeout 60
check mountpath_detach ais storage mountpath detach t1 "$newmp"
check mountpath_detached_not_shown test "$(mp_count)" = 2
check mountpath_detached_objects_readable all_mp_objects_ok
"$DEV" kill t1 >/dev/null 2>&1 && "$DEV" start t1 >/dev/null 2>&1
check mountpath_detach_kept_after_restart test "$(mp_count)" = 2
check mountpath_objects_after_restart all_mp_objects_ok

# ---- unreachable endpoint ----
dead_port=$((AIS_DEV_PORT + 7))
port_free $dead_port || dead_port=1
expect_rc endpoint_down 7 env AIS_ENDPOINT=127.0.0.1:$dead_port timeout "$CALL_TIMEOUT" "$AIS_BIN" ls
expect_rc endpoint_missing 2 env -u AIS_ENDPOINT timeout "$CALL_TIMEOUT" "$AIS_BIN" ls
# Several endpoints: the first that answers gives the cluster map.
expect_rc endpoint_list_skips_dead 0 env AIS_ENDPOINT="127.0.0.1:$dead_port,$AIS_ENDPOINT" \
  timeout "$CALL_TIMEOUT" "$AIS_BIN" ls

# ---- AIStore's shapes: http:// endpoint, create/rmb/rmo, props show, AIS prop names ----
HTTP_EP=http://127.0.0.1:$((AIS_DEV_PORT + 500))
expect_rc ais_endpoint_http_url 0 env AIS_ENDPOINT="$HTTP_EP" timeout "$CALL_TIMEOUT" "$AIS_BIN" ls
expect_rc ais_endpoint_https_refused 5 env AIS_ENDPOINT="https://127.0.0.1:1" "$AIS_BIN" ls
check ais_create ais create ais://aisshape
check ais_props_aisnames ais bucket props set ais://aisshape checksum.type=xxhash ec.data_slices=4 ec.parity_slices=1
if ais bucket props show ais://aisshape --json >"$WORK/shape.json" &&
  [[ $(json_field "$WORK/shape.json" '(d["checksum"], d["ec"]["data"], d["ec"]["parity"])') == "('xxhash64', 4, 1)" ]]; then
  pass ais_props_show
else
  fail ais_props_show "$(head -c 300 "$WORK/shape.json")"
fi
echo shape | ais put - ais://aisshape/o >/dev/null
check ais_rmo ais rmo ais://aisshape/o
check ais_rmb ais rmb ais://aisshape

# ---- copies (server-side), bucket summary, completion ----
ais create ais://cpsrc >/dev/null
for i in 1 2 3; do head -c $((i * 1000)) /dev/urandom >"$WORK/cp$i"; ais put -q "$WORK/cp$i" "ais://cpsrc/d/f$i" >/dev/null; done
echo top | ais put - ais://cpsrc/top >/dev/null
check object_cp ais object cp ais://cpsrc/d/f1 ais://cpsrc/copy1
ais get -q ais://cpsrc/copy1 "$WORK/cpgot" >/dev/null 2>&1
check object_cp_bytes cmp "$WORK/cp1" "$WORK/cpgot"
expect_rc object_cp_missing 3 ais object cp ais://cpsrc/nope ais://cpsrc/x
ais bucket cp --dry-run --wait ais://cpsrc/d/ ais://cpdry >"$WORK/dry.out" 2>&1
grep -q "3 objects" "$WORK/dry.out" && ! ais bucket props show ais://cpdry >/dev/null 2>&1 &&
  pass bucket_cp_dry_run || fail bucket_cp_dry_run "$(cat "$WORK/dry.out")"
check bucket_cp_prefix ais bucket cp --wait ais://cpsrc/d/ ais://cpdst
[[ $(listed_count_of ais://cpdst) == 3 ]] && pass bucket_cp_prefix_count || fail bucket_cp_prefix_count "$(listed_count_of ais://cpdst)"
ais get -q ais://cpdst/d/f3 "$WORK/cpgot" >/dev/null 2>&1
check bucket_cp_bytes cmp "$WORK/cp3" "$WORK/cpgot"
ais cp ais://cpsrc ais://cpall >"$WORK/cpjob.out" 2>&1
cpjob=$(grep -o 'copy-bck-[a-z0-9]*' "$WORK/cpjob.out" | head -n1)
[[ -n $cpjob ]] && pass cp_alias_bucket_job || fail cp_alias_bucket_job "$(cat "$WORK/cpjob.out")"
check cp_alias_bucket_wait ais job wait "$cpjob"
[[ $(listed_count_of ais://cpall) == 5 ]] && pass cp_alias_bucket_count || fail cp_alias_bucket_count "$(listed_count_of ais://cpall)"
check cp_alias_object ais cp ais://cpsrc/top ais://cpdst/renamed-top
expect_rc bucket_cp_same 5 ais bucket cp ais://cpsrc ais://cpsrc
# AIStore's `ais bucket mv`: the objects move, the source goes; the target must be new.
ais create ais://mvsrc >/dev/null
for i in 1 2 3 4; do ais put -q "$WORK/cp$((i % 3 + 1))" "ais://mvsrc/m$i" >/dev/null; done
check bucket_mv ais bucket mv ais://mvsrc ais://mvdst
[[ $(listed_count_of ais://mvdst) == 4 ]] && ! ais bucket props show ais://mvsrc >/dev/null 2>&1 &&
  pass bucket_mv_moved || fail bucket_mv_moved "$(ais bucket summary 2>&1)"
ais get -q ais://mvdst/m2 "$WORK/mvgot" >/dev/null 2>&1
check bucket_mv_bytes cmp "$WORK/cp3" "$WORK/mvgot"
expect_rc bucket_mv_exists 4 ais bucket mv ais://cpsrc ais://mvdst
# AIStore's `ais object promote` (files on the targets' own disks; one host here) and `evict`.
mkdir -p "$WORK/prom/sub" && echo one >"$WORK/prom/f1" && echo two >"$WORK/prom/sub/f2"
check object_promote ais object promote "$WORK/prom" ais://mvdst/prom/ --recursive --wait
[[ $(ais get ais://mvdst/prom/sub/f2 - 2>/dev/null) == two ]] && pass object_promote_bytes ||
  fail object_promote_bytes "$(ais ls ais://mvdst/prom/ 2>&1)"
expect_rc object_promote_relative 5 ais object promote prom ais://mvdst
expect_rc bucket_evict_absent 5 ais bucket evict ais://mvdst
ais bucket summary ais://cpall --json >"$WORK/sum.json"
[[ $(json_field "$WORK/sum.json" '(d[0]["objects"], d[0]["bytes"])') == "(5, $((1000 + 2000 + 3000 + 1000 + 4)))" ]] &&
  pass bucket_summary || fail bucket_summary "$(cat "$WORK/sum.json")"
ais bucket summary >"$WORK/sum.txt"
grep -Eq '^ais://cpdst +4 ' "$WORK/sum.txt" && pass bucket_summary_all || fail bucket_summary_all "$(cat "$WORK/sum.txt")"
ais storage summary >"$WORK/ssum.txt"  # (AIStore's name for it)
cmp -s "$WORK/sum.txt" "$WORK/ssum.txt" && pass storage_summary || fail storage_summary "$(cat "$WORK/ssum.txt")"
# The cluster config (tools/dev's down grace: AIS_DEV_DOWN_GRACE_MS, default 120000).
ais show config --json >"$WORK/cfg.json"
[[ $(json_field "$WORK/cfg.json" '(d["membership.down_grace_ms"], d["version"] > 0, d["fabric.chunk_bytes"] > 0)') == "(${AIS_DEV_DOWN_GRACE_MS:-120000}, True, True)" ]] &&
  pass show_config || fail show_config "$(cat "$WORK/cfg.json")"
ais config cluster >"$WORK/cfg.txt" 2>&1
grep -Eq '^keepalive.interval_ms +[0-9]+$' "$WORK/cfg.txt" && pass config_cluster || fail config_cluster "$(cat "$WORK/cfg.txt")"
# Set at run time (tests/s3/ais_cluster_api_test.sh has the rest): out of bounds is refused.
expect_rc config_cluster_set_out_of_bounds 5 ais config cluster keepalive.interval_ms=5
check config_cluster_set ais config cluster membership.down_grace_ms=130s
[[ $(ais config cluster membership.down_grace_ms --json) == *130000* ]] && pass config_cluster_set_shown ||
  fail config_cluster_set_shown "$(ais config cluster membership --json 2>&1)"
# Completion from the binary's own command tree (no cluster needed).
if env -u AIS_ENDPOINT "$AIS_BIN" completion bash >"$WORK/compl.bash" &&
  [[ $(bash -c "source '$WORK/compl.bash'; COMP_WORDS=(ais bucket su); COMP_CWORD=2; _ais; echo \${COMPREPLY[*]}") == summary ]] &&
  [[ $(bash -c "source '$WORK/compl.bash'; COMP_WORDS=(ais show performance ''); COMP_CWORD=3; _ais; echo \${COMPREPLY[*]}") == *throughput* ]]; then
  pass completion_bash
else
  fail completion_bash "$(head -c 300 "$WORK/compl.bash")"
fi

# ---- node restart keeps data ----
check dev_kill_t2 "$DEV" kill t2
# A dead target does not fail a listing: the rest is listed, the dead one named, exit 7.
ais ls $B >"$WORK/partial.out" 2>"$WORK/partial.err"
rc=$?
if ((rc == 7)) && grep -q 'target t2 could not be asked' "$WORK/partial.err" && [[ -s $WORK/partial.out ]]; then
  pass ls_with_a_dead_target
else
  fail ls_with_a_dead_target "exit $rc: $(head -c 300 "$WORK/partial.err")"
fi
check dev_start_t2 "$DEV" start t2
# The restarted target re-joins asynchronously: wait (bounded) until every object reads back.
deadline=$((SECONDS + 30))
while :; do
  ok=1
  while read -r name; do
    ais get -q "$B/$name" "$WORK/got" >/dev/null 2>&1 && cmp -s "$TREE/${name#tree/}" "$WORK/got" || { ok=0; break; }
  done <"$WORK/tree.expected"
  ((ok)) && ais get -q $B/big.bin "$WORK/big.out2" >/dev/null 2>&1 && cmp -s "$WORK/big.bin" "$WORK/big.out2" || ok=0
  ((ok || SECONDS >= deadline)) && break
  sleep 0.5
done
((ok)) && pass data_after_restart || fail data_after_restart "last failing object: ${name:-big.bin}"

# ---- teardown ----
check bucket_rm_force ais bucket rm $B --force
if ais bucket ls --no-headers | grep -q '^ais://clitest '; then fail bucket_rm_gone; else pass bucket_rm_gone; fi
check dev_down "$DEV" down --clean
[[ ! -e $AIS_DEV_DIR ]] && pass dev_down_clean || fail dev_down_clean

echo "cli_test: $FAILS failed"
((FAILS == 0))
