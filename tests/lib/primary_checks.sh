# Checks for primary failover suites (sourced after cli_suite.sh, with AIS_ENDPOINT set).
# shellcheck shell=bash

# "PRIMARY AGREED": the primary by the cluster map, and "yes" if every node that answers holds the
# same Smap version naming it.
primary_view() {
  "$AIS" show cluster --json 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
up = [n for n in d["nodes"] if n["reachable"]]
same = all(n["smap_primary"] == d["primary"] and n["smap_version"] == d["smap_version"] for n in up)
print(d["primary"], "yes" if same else "no")' 2>/dev/null || echo "- no"
}

# wait_primary NOT SECONDS: waits until every node that answers agrees on a primary other than
# NOT; prints it and the seconds it took ("-" if none in time).
wait_primary() {
  local not=$1 limit=$2 start=$SECONDS p agreed
  while ((SECONDS - start <= limit)); do
    read -r p agreed <<<"$(primary_view)"
    if [[ $p != "-" && $p != "$not" && $agreed == yes ]]; then
      echo "$p $((SECONDS - start))"
      return 0
    fi
    sleep 0.3
  done
  echo "- $((SECONDS - start))"
  return 1
}

# node_json ID FIELD: one field of a node in `ais show cluster --json` ("-" if absent).
node_json() {
  "$AIS" show cluster --json 2>/dev/null | $PY -c '
import json, sys
n = [n for n in json.load(sys.stdin)["nodes"] if n["id"] == sys.argv[1]]
print(n[0][sys.argv[2]] if n else "-")' "$1" "$2" 2>/dev/null || echo "-"
}

# Every Smap version was published by one primary only (each node logs what it publishes).
check_one_primary_per_version() {
  local dups published
  dups=$(grep -h "published Smap v" "$AIS_DEV_DIR"/*/aisnode.log |
    sed -E 's/.*published Smap (v[0-9]+) as primary ([^ ]+).*/\1 \2/' | sort -u |
    awk '{ n[$1]++ } END { for (v in n) if (n[v] > 1) print v }')
  published=$(grep -h "published Smap v" "$AIS_DEV_DIR"/*/aisnode.log | grep -c .)
  if [[ -z $dups && $published -gt 5 ]]; then pass "one_primary_per_smap_version ($published publications)"; else
    fail one_primary_per_smap_version "versions published by two primaries: $dups"
  fi
}

# took_over_after T0 OLD: seconds from T0 (date +%s.%N) to the first "took over from OLD" line
# of a node log after it (the new primary published its Smap); "-" if there is none.
took_over_after() {
  $PY - "$1" "$2" "$AIS_DEV_DIR" <<'PYEOF'
import datetime, glob, re, sys
t0, old = float(sys.argv[1]), sys.argv[2]
midnight = datetime.datetime.fromtimestamp(t0, datetime.timezone.utc).replace(
    hour=0, minute=0, second=0, microsecond=0).timestamp()
pat = re.compile(r"I (\d+):(\d+):([\d.]+) \S+ primary of Smap v\d+ \(took over from " + re.escape(old) + r"\)")
best = None
for path in glob.glob(sys.argv[3] + "/*/aisnode.log"):
    for line in open(path, errors="replace"):
        m = pat.match(line)
        if m:
            t = midnight + int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
            if t >= t0 and (best is None or t < best):
                best = t
print("-" if best is None else "%.1f" % (best - t0))
PYEOF
}

# check_took_over NAME T0 OLD LIMIT: a proxy took over from OLD within LIMIT seconds of T0.
check_took_over() {
  local name=$1 t
  t=$(took_over_after "$2" "$3")
  if [[ $t != "-" ]] && $PY -c "import sys; sys.exit(0 if $t <= $4 else 1)"; then pass "$name (${t}s)"; else
    fail "$name" "took over after ${t}s (limit $4 s)"
  fi
}

# check_follows NAME PRIMARY ID: within 20 s, every node that answers agrees on PRIMARY and node
# ID is up (a returning or healed proxy follows the primary elected without it).
check_follows() {
  local name=$1 want=$2 id=$3 p agreed
  for _ in $(seq 1 40); do
    read -r p agreed <<<"$(primary_view)"
    if [[ $p == "$want" && $agreed == yes && $(node_json "$id" status) == up ]]; then
      pass "$name"
      return 0
    fi
    sleep 0.5
  done
  fail "$name" "$(primary_view); $("$AIS" show cluster 2>&1 | tail -9)"
}
