# The common start of a CLI suite script, sourced once REPO is set: tools/dev and the binaries of
# the build (AIS_BUILD_DIR), playgrounds that neither build nor mount, checks.sh's bookkeeping.
# shellcheck shell=bash
DEV=$REPO/tools/dev
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
export AIS_DEV_NOBUILD=1 AIS_DEV_NOMOUNT=1
# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"
AIS=$AIS_BUILD_DIR/tools/ais

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
