#!/usr/bin/env bash
# aisloader against a real playground for a few seconds, natively and through S3 (anonymous and
# SigV4-signed): its counts match what the cluster holds, -verify finds no bad bytes, -cleanup
# removes what it wrote, -epochs reads the bucket N times, -getconfig loads the control plane,
# bad flags are refused.
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

# -epochs: every object of the bucket read N times, then it stops (whatever -duration says).
"$LOADER" -bucket=ais://loadb -epochs=2 -pctput=0 -numworkers=3 -duration=1h -json \
  >"$WORK/epochs.json" 2>"$WORK/epochs.err"
rc=$?
got=$(jq_ "$WORK/epochs.json" '(d["ops"][1]["count"], d["ops"][1]["errors"])' 2>/dev/null)
if ((rc == 0)) && [[ $got == "($((2 * listed)), 0)" ]]; then pass loader_epochs; else
  fail loader_epochs "exit $rc: GETs/errors $got, want 2 x $listed"
fi
# -getconfig: control-plane load (cluster-map fetches), no object I/O.
"$LOADER" -bucket=ais://loadb -getconfig -duration=1s -numworkers=2 -json >"$WORK/cfg.json" 2>&1
rc=$?
got=$(jq_ "$WORK/cfg.json" '(d["ops"][0]["op"], d["ops"][0]["count"] > 0, d["ops"][0]["errors"])' 2>/dev/null)
if ((rc == 0)) && [[ $got == "('CFG', True, 0)" ]]; then pass loader_getconfig; else fail loader_getconfig "exit $rc: $got"; fi

# S3 mode (-s3endpoint): the same workload through the gateway; its PUTs are what S3 lists.
eval "$("$DEV" env)"
"$LOADER" -s3endpoint="$S3_ENDPOINT" -bucket=s3load -duration=2s -numworkers=2 -pctput=50 \
  -minsize=1KiB -maxsize=32KiB -verify=true -cleanup=false -json >"$WORK/s3.json" 2>"$WORK/s3.err"
rc=$?
got=$(jq_ "$WORK/s3.json" '(d["api"], d["ops"][0]["count"] > 0, d["ops"][1]["count"] > 0, d["ops"][0]["errors"] + d["ops"][1]["errors"])' 2>/dev/null)
if ((rc == 0)) && [[ $got == "('s3', True, True, 0)" ]]; then pass loader_s3_puts_and_gets; else
  fail loader_s3_puts_and_gets "exit $rc: $got $(head -c 300 "$WORK/s3.err")"
fi
s3puts=$(jq_ "$WORK/s3.json" 'd["ops"][0]["count"]')
s3listed=$(listed_count ais://s3load)
[[ $s3puts == "$s3listed" ]] && pass loader_s3_count_matches || fail loader_s3_count_matches "PUT $s3puts, listed $s3listed"
# AIStore's endpoint form http://host:port/s3 too.
check loader_s3_prefix "$LOADER" -s3endpoint="$S3_ENDPOINT/s3" -bucket=s3load -epochs=1 -pctput=0 -numworkers=2
out=$("$LOADER" -s3endpoint="$S3_ENDPOINT" -bucket=s3load -getconfig 2>&1)
rc=$?
if ((rc == 2)) && [[ $out == *"native API only"* ]]; then pass loader_s3_getconfig_refused; else fail loader_s3_getconfig_refused "exit $rc: $out"; fi
out=$("$LOADER" -bucket=ais://loadb -epochs=1 -pctput=50 2>&1)
rc=$?
if ((rc == 2)) && [[ $out == *"-pctput=0"* ]]; then pass loader_epochs_needs_reads_only; else fail loader_epochs_needs_reads_only "exit $rc: $out"; fi

# tools/dev runs it against the playground, natively or (--s3) through S3.
"$DEV" aisloader -bucket=ais://devload -duration=1s -numworkers=1 -pctput=100 -minsize=1KiB -maxsize=1KiB -cleanup=false -json >"$WORK/dev1.json" 2>&1
"$DEV" aisloader --s3 -bucket=devload -epochs=1 -pctput=0 -numworkers=1 -json >"$WORK/dev2.json" 2>&1
n1=$(jq_ "$WORK/dev1.json" 'd["ops"][0]["count"]' 2>/dev/null)
got=$(jq_ "$WORK/dev2.json" '(d["api"], d["ops"][1]["count"], d["ops"][1]["errors"])' 2>/dev/null)
[[ -n $n1 && $got == "('s3', $n1, 0)" ]] && pass dev_aisloader || fail dev_aisloader "native PUTs $n1, S3 run $got: $(head -c 200 "$WORK/dev2.json")"

# With S3 keys on the cluster: SigV4 from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; a wrong secret
# is refused (exit 1, the gateway's reason named).
"$DEV" down >/dev/null 2>&1
AIS_S3_ACCESS_KEY=AKLOADER AIS_S3_SECRET_KEY=loader-secret "$DEV" up >"$WORK/up2.log" 2>&1 ||
  fail dev_up_with_keys "$(tail -n 5 "$WORK/up2.log")"
eval "$("$DEV" env)"
AWS_ACCESS_KEY_ID=AKLOADER AWS_SECRET_ACCESS_KEY=loader-secret "$LOADER" -s3endpoint="$S3_ENDPOINT" \
  -bucket=s3signed -duration=1s -numworkers=2 -pctput=50 -minsize=1KiB -maxsize=8KiB -verify=true \
  -json >"$WORK/signed.json" 2>"$WORK/signed.err"
rc=$?
got=$(jq_ "$WORK/signed.json" '(d["ops"][0]["count"] > 0, d["ops"][1]["count"] > 0, d["ops"][0]["errors"] + d["ops"][1]["errors"], d["cleanup_errors"])' 2>/dev/null)
if ((rc == 0)) && [[ $got == "(True, True, 0, 0)" ]]; then pass loader_s3_signed; else
  fail loader_s3_signed "exit $rc: $got $(head -c 300 "$WORK/signed.err")"
fi
out=$(AWS_ACCESS_KEY_ID=AKLOADER AWS_SECRET_ACCESS_KEY=wrong "$LOADER" -s3endpoint="$S3_ENDPOINT" -bucket=s3signed -duration=1s 2>&1)
rc=$?
if ((rc == 1)) && [[ $out == *SignatureDoesNotMatch* ]]; then pass loader_s3_wrong_secret_refused; else
  fail loader_s3_wrong_secret_refused "exit $rc: $out"
fi
out=$("$LOADER" -bucket=ais://loadb -pctput=150 2>&1)
rc=$?
if ((rc == 2)); then pass loader_bad_pctput_refused; else fail loader_bad_pctput_refused "exit $rc: $out"; fi
echo "aisloader_test: $FAILS failed"
((FAILS == 0))
