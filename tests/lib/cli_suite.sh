# The common start of a CLI suite script or bench (sourced): tests/lib/playground.sh, and helpers
# that put, read back and compare sets of objects.
# shellcheck shell=bash
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/playground.sh"

# code_of CURL-ARGS...: the HTTP status of a request, its body in $WORK/resp; message: the S3
# error's <Message> in that body (300 bytes at most).
code_of() { curl -s -o "$WORK/resp" -w '%{http_code}' "$@"; }
message() { grep -o '<Message>[^<]*' "$WORK/resp" | head -c 300; }

# Number of objects `ais ls BUCKET` lists.
listed_count() { "$AIS" ls "$1" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# put_random_objects BUCKET N MAXBYTES: N files of 1..MAXBYTES random bytes in $WORK/src (o001...),
# BUCKET created and all of them put; checks (put_all) that the listing counts N.
put_random_objects() {
  local bucket=$1 n=$2 max=$3 i
  mkdir -p "$WORK/src" "$WORK/got"
  for i in $(seq -w 1 "$n"); do head -c $((RANDOM % max + 1)) /dev/urandom >"$WORK/src/o$i"; done
  "$AIS" bucket create "$bucket" >/dev/null && "$AIS" put -q "$WORK/src" "$bucket" >/dev/null
  check put_all test "$(listed_count "$bucket")" = "$n"
}

# differing_objects BUCKET: the files of $WORK/src that BUCKET does not give back byte-exact,
# all read in one parallel `ais get BUCKET DIR --prefix ""` into $WORK/all (errors in
# $WORK/all.log).
differing_objects() {
  rm -rf "$WORK/all"
  "$AIS" get -q "$1" "$WORK/all" --prefix "" >"$WORK/all.log" 2>&1
  differing_files "$WORK/src" "$WORK/all"
}
# differing_files SRC GOT: the files under SRC (relative paths) missing from GOT or different.
differing_files() {
  $PY - "$1" "$2" <<'PYEOF'
import filecmp, os, sys
src, got = sys.argv[1:3]
bad = []
for root, _, files in os.walk(src):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), src)
        there = os.path.join(got, rel)
        if not os.path.isfile(there) or not filecmp.cmp(os.path.join(src, rel), there, shallow=False):
            bad.append(rel)
print(" ".join(sorted(bad)))
PYEOF
}

# verifying_reader BUCKET ID: GETs random objects of $WORK/src from BUCKET until $WORK/stop exists;
# each failed read ("ERR name") or wrong bytes ("WRONG name") goes to $WORK/reads.log, after the
# drill's phase (the content of $WORK/phase, "-" without it). Run it in the background.
verifying_reader() {
  local bucket=$1 id=$2 files=("$WORK"/src/*) f n phase
  while [[ ! -e $WORK/stop ]]; do
    f=${files[RANDOM % ${#files[@]}]}
    n=$(basename "$f")
    phase=$(cat "$WORK/phase" 2>/dev/null || echo -)
    if ! "$AIS" get -q "$bucket/$n" "$WORK/r$id" >/dev/null 2>&1; then
      echo "$phase ERR $n" >>"$WORK/reads.log"
    elif ! cmp -s "$f" "$WORK/r$id"; then
      echo "$phase WRONG $n" >>"$WORK/reads.log"
    fi
  done
}
