#!/usr/bin/env bash
# aisloader against a real playground for a few seconds: its counts match what the cluster holds,
# -verify finds no bad bytes, -cleanup removes what it wrote, bad flags are refused.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
LOADER=$AIS_BUILD_DIR/tools/aisloader
if [[ ! -x $LOADER ]]; then
  fail aisloader_built "$LOADER is missing"
  exit 1
fi
playground loader-test 21200 100 8 8
check dev_up "$DEV" up
export AIS_ENDPOINT=127.0.0.1:$AIS_DEV_PORT
jq_() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# Go-style flags as AIStore's aisloader takes them; objects kept for the count check.
"$LOADER" -bucket=ais://loadb -duration=2s -numworkers=3 -pctput=50 -minsize=1KiB -maxsize=100KiB \
  -verify=true -cleanup=false -seed=11 -json >"$WORK/run1.json" 2>"$WORK/run1.err"
rc=$?
if ((rc == 0)) && [[ $(jq_ "$WORK/run1.json" '(d["ops"][0]["count"] > 0, d["ops"][1]["count"] > 0, d["ops"][0]["errors"] + d["ops"][1]["errors"])') == "(True, True, 0)" ]]; then
  pass loader_puts_and_gets
else
  fail loader_puts_and_gets "exit $rc: $(head -c 300 "$WORK/run1.json") $(head -c 200 "$WORK/run1.err")"
fi
puts=$(jq_ "$WORK/run1.json" 'd["ops"][0]["count"]')
listed=$("$AIS_BIN" ls ais://loadb/aisloader- --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
if [[ $puts == "$listed" ]]; then pass loader_count_matches_cluster; else fail loader_count_matches_cluster "PUT $puts, listed $listed"; fi

# With cleanup (the default) the run's objects are gone afterwards; the earlier run's stay.
"$LOADER" --bucket ais://loadb --duration 1s --pctput 100 --minsize 4KiB --maxsize 4KiB \
  --statsinterval 1s >"$WORK/run2.out" 2>&1
rc=$?
after=$("$AIS_BIN" ls ais://loadb/aisloader- --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
if ((rc == 0)) && [[ $after == "$listed" ]] && grep -q '^PUT ' "$WORK/run2.out" && grep -q 'cleanup: removed' "$WORK/run2.out"; then
  pass loader_cleanup
else
  fail loader_cleanup "exit $rc, $after objects (want $listed): $(tail -n 4 "$WORK/run2.out")"
fi

out=$("$LOADER" -bucket=ais://loadb -s3endpoint=http://x 2>&1)
rc=$?
if ((rc == 2)) && [[ $out == *"not supported yet"* ]]; then pass loader_s3_refused; else fail loader_s3_refused "exit $rc: $out"; fi
out=$("$LOADER" -bucket=ais://loadb -pctput=150 2>&1)
rc=$?
if ((rc == 2)); then pass loader_bad_pctput_refused; else fail loader_bad_pctput_refused "exit $rc: $out"; fi
echo "aisloader_test: $FAILS failed"
((FAILS == 0))
