#!/usr/bin/env bash
# Every node's Prometheus metrics (GET /metrics on its gateway) and `ais show performance`, on a
# real playground: aisloader's own counts equal the targets' ais_target_{get,put}_{count,bytes};
# errors are counted by kind (a missing object, a damaged one read through the owner's gateway);
# the gateway's HTTP requests, mountpath gauges and a job's progress are there; a bucket named
# "metrics" stays reachable through S3; a dead target makes `ais show performance` exit 7.
set -uo pipefail
# shellcheck source=tests/lib/cli_suite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cli_suite.sh"
require_built metrics_test
LOADER=$AIS_BUILD_DIR/tools/aisloader
[[ -x $LOADER ]] || { fail metrics_test "$LOADER is not built"; exit 1; }
playground metrics-test 21400 100 8 8
playground_up --targets 3

# metric NODE-ID NAME [LABEL-FILTER]: the sum of NAME's samples on that node (label filter: a
# substring every counted sample's labels must hold, e.g. 'kind="ObjectNotFound"').
metric() {
  curl -sf --max-time 10 "$(node_gw "$1")/metrics" |
    awk -v name="$2" -v want="${3:-}" '
      $1 == name || index($1, name "{") == 1 { if (want == "" || index($1, want)) s += $NF }
      END { printf "%.0f\n", s }'
}
# cluster_metric NAME [LABEL-FILTER]: the sum over the targets.
cluster_metric() {
  local t s=0
  for t in $(targets); do s=$((s + $(metric "$t" "$@"))); done
  echo "$s"
}
jq_() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- the exposition itself ----
t1=$(targets | head -n 1)
curl -sf -D "$WORK/h" "$(node_gw "$t1")/metrics" >"$WORK/m1"
check metrics_content_type grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/h"
check metrics_node_label grep -q "^ais_target_uptime{node_id=\"$t1\"}" "$WORK/m1"
check metrics_on_proxy bash -c "curl -sf '$(node_gw "$(proxy_id)")/metrics' | grep -q '^ais_proxy_uptime{node_id=\"$(proxy_id)\"}'"
# Every target reports each of its mountpaths' file system (2 mountpaths each in the playground).
mps=$(curl -sf "$(node_gw "$t1")/metrics" | grep -c '^ais_target_mountpath_bytes{.*kind="capacity"')
[[ $mps == 2 ]] && pass metrics_mountpaths || fail metrics_mountpaths "$mps capacity gauges"

# ---- aisloader's counts are the cluster's ----
"$LOADER" -bucket=ais://metb -duration=3s -numworkers=3 -pctput=50 -minsize=1KiB -maxsize=64KiB \
  -cleanup=false -seed=5 -json >"$WORK/load.json" 2>"$WORK/load.err"
rc=$?
read -r puts putBytes gets getBytes errs < <(jq_ "$WORK/load.json" \
  '" ".join(str(x) for x in (d["ops"][0]["count"], d["ops"][0]["bytes"], d["ops"][1]["count"], d["ops"][1]["bytes"], d["ops"][0]["errors"] + d["ops"][1]["errors"]))')
if ((rc == 0 && puts > 0 && gets > 0 && errs == 0)); then pass loader_ran; else
  fail loader_ran "exit $rc: $(head -c 300 "$WORK/load.json") $(head -c 300 "$WORK/load.err")"
fi
for what in "put_count $puts" "put_bytes $putBytes" "get_count $gets" "get_bytes $getBytes"; do
  read -r name want <<<"$what"
  got=$(cluster_metric "ais_target_$name" 'bucket="metb"')
  [[ $got == "$want" ]] && pass "metrics_$name" || fail "metrics_$name" "targets $got, aisloader $want"
done
curl -sf "$(node_gw "$t1")/metrics" >"$WORK/m2"
check metrics_typed_counter grep -q '^# TYPE ais_target_get_count counter' "$WORK/m2"
check metrics_latency_histogram grep -q '^# TYPE ais_target_get_latency_seconds histogram' "$WORK/m2"
# ...and what `ais show performance` adds up.
ais show performance --json >"$WORK/perf.json"
check perf_json_sums test "$(jq_ "$WORK/perf.json" 'sum(t["put_count"] for t in d), sum(t["get_count"] for t in d)')" = "($puts, $gets)"
ais show performance >"$WORK/perf.txt"
check perf_table_total grep -Eq "^TOTAL +$gets +$puts " "$WORK/perf.txt"
ais show performance latency >"$WORK/lat.txt"
check perf_latency [ "$(grep -cE '^t[0-9]+ +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}' "$WORK/lat.txt")" = 3 ]
# Throughput while a load runs: GETs per second above zero somewhere.
"$LOADER" -bucket=ais://metb -duration=4s -numworkers=2 -pctput=0 -cleanup=false >/dev/null 2>&1 &
loader=$!
ais show performance throughput --interval 2 --json >"$WORK/tp.json"
wait "$loader"
check perf_throughput test "$(jq_ "$WORK/tp.json" 'sum(t["get_per_sec"] for t in d) > 0')" = True

# ---- errors by kind ----
before=$(cluster_metric ais_target_errors_total 'kind="ObjectNotFound"')
ais get ais://metb/no-such-object "$WORK/x" >/dev/null 2>&1
after=$(cluster_metric ais_target_errors_total 'kind="ObjectNotFound"')
((after == before + 1)) && pass metrics_not_found_counted || fail metrics_not_found_counted "$before -> $after"
# A damaged object read through its owner's gateway (the local sendfile path): ObjectCorrupted.
head -c 100000 /dev/urandom >"$WORK/dmg"
ais put "$WORK/dmg" ais://metb/dmg >/dev/null
owner=$(ais object show ais://metb/dmg --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
file=$(find "$AIS_DEV_DIR/$owner" -type f -path '*@ais/metb/%ob/dmg' | head -n 1)
flip_byte "$file"
before=$(metric "$owner" ais_target_errors_total 'kind="ObjectCorrupted"')
code=$(curl -s -o /dev/null -w '%{http_code}' "$(node_gw "$owner")/metb/dmg")
after=$(metric "$owner" ais_target_errors_total 'kind="ObjectCorrupted"')
if [[ $code != 200 ]] && ((after == before + 1)); then pass metrics_corrupt_counted; else
  fail metrics_corrupt_counted "HTTP $code, ObjectCorrupted $before -> $after"
fi

# ---- the gateway's HTTP requests (the proxy forwards this GET over the fabric) ----
obj=$(ais ls ais://metb --json | $PY -c 'import json,sys; print([o["name"] for o in json.load(sys.stdin) if o["name"] != "dmg"][0])')
p=$(proxy_id)
before=$(metric "$p" ais_http_requests_total 'api="s3",code="200"')
tgets=$(cluster_metric ais_target_get_count)
curl -sf -o /dev/null "$S3_ENDPOINT/metb/$obj"
after=$(metric "$p" ais_http_requests_total 'api="s3",code="200"')
((after == before + 1)) && pass metrics_http_counted || fail metrics_http_counted "$before -> $after"
# (the proxy's forwarded GET: one fabric GET on the owner, or two for a large object's pieces)
((tgets < $(cluster_metric ais_target_get_count))) && pass metrics_forwarded_get_counted ||
  fail metrics_forwarded_get_counted "target GETs stayed $tgets"

# ---- a job's progress ----
ais storage validate ais://metb >/dev/null 2>&1
n=$(ais ls ais://metb --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
got=0
for _ in $(seq 1 50); do # (the gauges are refreshed every 2 s)
  got=$(cluster_metric ais_job_progress 'what="objects"')
  ((got == n)) && break
  sleep 0.2
done
((got == n)) && pass metrics_job_progress || fail metrics_job_progress "validate objects $got, bucket $n"

# ---- a bucket named "metrics" is still S3's at /metrics?query and /s3/metrics ----
ais bucket create ais://metrics >/dev/null
echo hi | ais put - ais://metrics/k >/dev/null
check s3_bucket_metrics_listed bash -c "curl -sf '$S3_ENDPOINT/metrics?list-type=2' | grep -q '<Key>k</Key>'"
check s3_bucket_metrics_under_s3 bash -c "curl -sf '$S3_ENDPOINT/s3/metrics' | grep -q '<Key>k</Key>'"

# ---- ais show storage: every target's mountpaths (2 each in the playground) ----
ais show storage --json >"$WORK/storage.json"
check show_storage test "$(jq_ "$WORK/storage.json" '(len(d), len({m["target"] for m in d}), all(m["capacity_bytes"] > 0 and m["used_bytes"] + m["available_bytes"] <= m["capacity_bytes"] for m in d))')" = "(6, 3, True)"
ais show storage >"$WORK/storage.txt"
check show_storage_table test "$(grep -c '^t[0-9]' "$WORK/storage.txt")" = 6

# ---- a dead target: the others' figures, its name, exit 7 ----
victim=$(targets | tail -n 1)
"$DEV" kill "$victim" >/dev/null 2>&1
ais show performance >"$WORK/dead.out" 2>"$WORK/dead.err"
rc=$?
if ((rc == 7)) && grep -q "^$victim:" "$WORK/dead.err" && [[ $(grep -c '^t[0-9]' "$WORK/dead.out") == 2 ]]; then
  pass perf_dead_target
else
  fail perf_dead_target "exit $rc: $(cat "$WORK/dead.err") / $(cat "$WORK/dead.out")"
fi
ais show storage >"$WORK/dead2.out" 2>"$WORK/dead2.err"
rc=$?
((rc == 7)) && grep -q "^$victim:" "$WORK/dead2.err" && pass storage_dead_target || fail storage_dead_target "exit $rc"
finish metrics_test
